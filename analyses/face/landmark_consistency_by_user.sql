-- Question (face): whose landmark tracking was least consistent in the latest month?
-- Answer: user_landmark_consistency for the latest calendar month, one row per user, the least
-- consistent first (lowest consistency_percentile: 0 = the least steady user, 100 = the
-- steadiest); users with a single capture (no variance, no percentile) last.
with

consistency as (
    select * from {{ ref('user_landmark_consistency') }}
),

latest as (
    select max(period_start) as period_start
    from consistency
),

final as (
    select
        consistency.user_id,
        consistency.period_start,
        consistency.captures,
        consistency.mean_total_variance,
        consistency.consistency_percentile
    from consistency
    inner join latest on consistency.period_start = latest.period_start
)

select * from final
order by consistency_percentile asc nulls last, user_id asc
