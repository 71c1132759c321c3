-- Question (experiments): what did every experiment show, and can its split be trusted?
-- Answer: experiment_results, every experiment, metric and treatment arm: the lift with its 95%
-- interval (Welch) and its CUPED-adjusted interval, the sample-ratio flag and the decision.
select
    experiment_id,
    metric,
    variant,
    users,
    control_users,
    control_mean,
    lift_abs,
    lift_rel,
    ci_low,
    ci_high,
    p_value,
    cuped_lift_abs,
    cuped_ci_low,
    cuped_ci_high,
    srm_flag,
    decision
from {{ ref('experiment_results') }}
order by experiment_id asc, metric asc, variant asc
