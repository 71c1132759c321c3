with

sessions as (
    select * from {{ ref('stg_face__product_interactions') }}
),

session_days as (
    select
        user_id,
        product,
        interaction_time_seconds,
        cast(started_at as date) as activity_date
    from sessions
),

data_range as (
    select
        min(activity_date) as first_date,
        max(activity_date) as last_date,
        cast({{ dbt.date_trunc('week', 'min(activity_date)') }} as date) as first_week_start
    from session_days
),

weekly_sessions as (
    select
        user_id,
        product,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start,
        count(*) as sessions,
        sum(interaction_time_seconds) as interaction_seconds
    from session_days
    group by
        user_id,
        product,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date)
),

weeks as (
    select distinct week_start from weekly_sessions
),

series as (
    select
        user_id,
        product,
        min(week_start) as first_week_start
    from weekly_sessions
    group by user_id, product
),

-- Every week from a series' first active week on, so weeks without a session count as 0.
series_weeks as (
    select
        series.user_id,
        series.product,
        weeks.week_start
    from series
    inner join weeks
        on series.first_week_start <= weeks.week_start
),

filled as (
    select
        series_weeks.user_id,
        series_weeks.product,
        series_weeks.week_start,
        coalesce(weekly_sessions.sessions, 0) as sessions,
        coalesce(weekly_sessions.interaction_seconds, 0) as interaction_seconds,
        (
            series_weeks.week_start >= data_range.first_date
            and {{ dbt.dateadd('day', 6, 'series_weeks.week_start') }} <= data_range.last_date
        ) as is_complete_week,
        {{ dbt.datediff('data_range.first_week_start', 'series_weeks.week_start', 'day') }}
        / 7.0 as week_number
    from series_weeks
    cross join data_range
    left join weekly_sessions
        on
            series_weeks.user_id = weekly_sessions.user_id
            and series_weeks.product = weekly_sessions.product
            and series_weeks.week_start = weekly_sessions.week_start
),

trend_sums as (
    select
        user_id,
        product,
        count(*) as trend_weeks,
        avg(interaction_seconds) as mean_weekly_seconds,
        sum(week_number) as sum_x,
        sum(interaction_seconds) as sum_y,
        sum(week_number * week_number) as sum_xx,
        sum(week_number * interaction_seconds) as sum_xy
    from filled
    where is_complete_week
    group by user_id, product
),

trends as (
    select
        user_id,
        product,
        trend_weeks,
        mean_weekly_seconds,
        case
            when trend_weeks >= {{ var('usage_trend_min_weeks') }}
                then (trend_weeks * sum_xy - sum_x * sum_y) / (trend_weeks * sum_xx - sum_x * sum_x)
        end as trend_slope_seconds_per_week
    from trend_sums
),

final as (
    select
        cast(filled.user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(filled.product as {{ dbt.type_string() }}) as product,
        filled.week_start,
        cast(filled.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(filled.interaction_seconds as {{ type_double() }}) as interaction_seconds,
        filled.is_complete_week,
        cast(coalesce(trends.trend_weeks, 0) as {{ dbt.type_int() }}) as trend_weeks,
        cast(trends.trend_slope_seconds_per_week as {{ type_double() }}) as trend_slope_seconds_per_week,
        cast(
            trends.trend_slope_seconds_per_week / nullif(trends.mean_weekly_seconds, 0) as {{ type_double() }}
        ) as relative_trend_per_week,
        cast(
            case
                when trends.trend_slope_seconds_per_week > 0 then 1
                when trends.trend_slope_seconds_per_week < 0 then -1
                when trends.trend_slope_seconds_per_week = 0 then 0
            end as {{ dbt.type_int() }}
        ) as trend_sign
    from filled
    left join trends
        on
            filled.user_id = trends.user_id
            and filled.product = trends.product
)

select * from final
