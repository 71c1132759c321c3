-- Question (face): how consistent is each user's landmark tracking?
-- Answer: user_landmark_consistency; per calendar month, how spread users' landmark variance is.
select
    period_start,
    count(*) as users_measured,
    median(mean_total_variance) as median_mean_total_variance,
    quantile_cont(mean_total_variance, 0.9) as p90_mean_total_variance,
    max(mean_total_variance) as max_mean_total_variance,
    sum(captures) as captures
from {{ ref('user_landmark_consistency') }}
group by period_start
order by period_start
