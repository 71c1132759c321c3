-- Question (feed): what did the spotlight experiment (spotlight_trending_genres) show, and is it valid?
-- Answer: experiment_results, every metric of the experiment with its lift, 95% interval,
-- Welch p-value, CUPED-adjusted interval, sample-ratio check and decision.
select
    metric,
    variant,
    users,
    control_users,
    mean,
    control_mean,
    lift_rel,
    ci_low,
    ci_high,
    p_value,
    cuped_ci_low,
    cuped_ci_high,
    variance_reduction,
    srm_p_value,
    decision
from {{ ref('experiment_results') }}
where experiment_id = 'spotlight_trending_genres'
order by metric, variant
