with

landmark_variances as (
    select * from {{ ref('user_landmark_variance') }}
),

capture_periods as (
    select * from {{ ref('int_landmark_captures_periodised') }}
),

period_captures as (
    select
        user_id,
        period_start,
        count(*) as captures
    from capture_periods
    group by user_id, period_start
),

period_variances as (
    select
        user_id,
        period_start,
        -- Landmarks seen in a single capture have no variance and are left out of the mean.
        avg(total_variance) as mean_total_variance
    from landmark_variances
    group by user_id, period_start
),

ranked as (
    select
        user_id,
        period_start,
        case
            when count(*) over (partition by period_start) > 1
                then 100.0 * percent_rank() over (
                        partition by period_start order by mean_total_variance desc
                    )
        end as consistency_percentile
    from period_variances
    where mean_total_variance is not null
),

final as (
    select
        period_captures.user_id,
        period_captures.period_start,
        period_captures.captures,
        period_variances.mean_total_variance,
        ranked.consistency_percentile
    from period_captures
    left join period_variances
        on
            period_captures.user_id = period_variances.user_id
            and period_captures.period_start = period_variances.period_start
    left join ranked
        on
            period_captures.user_id = ranked.user_id
            and period_captures.period_start = ranked.period_start
)

select * from final
