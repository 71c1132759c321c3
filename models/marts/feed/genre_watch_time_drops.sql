{#- One row per genre for the analysis month: its fan watch time against the month before, and
    drop_rank among the genres whose fan watch time fell (ties: the genre name, alphabetically). -#}
with

monthly as (
    select * from {{ ref('genre_fan_watch_time_monthly') }}
),

analysis_months as (
    select * from {{ ref('int_analysis_months_resolved') }}
),

analysis_rows as (
    select
        monthly.genre,
        analysis_months.analysis_month,
        analysis_months.previous_month,
        monthly.fan_watch_time_seconds,
        monthly.prev_month_fan_watch_time_seconds,
        monthly.watch_time_delta_seconds,
        monthly.watch_time_delta_pct,
        monthly.active_fans
    from monthly
    inner join analysis_months
        on monthly.activity_month = analysis_months.analysis_month
),

ordered as (
    select
        *,
        row_number() over (
            order by
                case when watch_time_delta_seconds < 0 then watch_time_delta_seconds end asc nulls last,
                genre asc
        ) as delta_order
    from analysis_rows
),

final as (
    select
        genre,
        analysis_month,
        previous_month,
        fan_watch_time_seconds,
        prev_month_fan_watch_time_seconds,
        watch_time_delta_seconds,
        watch_time_delta_pct,
        active_fans,
        cast(
            case when watch_time_delta_seconds < 0 then delta_order end as {{ dbt.type_int() }}
        ) as drop_rank,
        coalesce(
            watch_time_delta_seconds < 0 and delta_order <= {{ var('feed_top_drop_genres') }}, false
        ) as is_top_drop
    from ordered
)

select * from final
