{#- One row per genre per calendar month, from the first month with interactions to the analysis
    month or the last month with interactions, whichever is later; a month without fan watching is 0. -#}
with

fan_months as (
    select * from {{ ref('int_fan_months_aggregated') }}
),

analysis_months as (
    select * from {{ ref('int_analysis_months_resolved') }}
),

users as (
    select * from {{ ref('stg_feed__users') }}
),

videos as (
    select * from {{ ref('stg_feed__videos') }}
),

genres as (
    select preferred_genre as genre from users
    where preferred_genre is not null
    union
    select genre from videos
    where genre is not null
),

month_numbers as (
    {{ dbt.generate_series(feed_max_months()) }}
),

months as (
    select
        cast(
            {{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'analysis_months.first_data_month') }}
            as date
        ) as activity_month
    from analysis_months
    cross join month_numbers
    where
        month_numbers.generated_number - 1 <= {{ dbt.datediff(
            'analysis_months.first_data_month',
            'greatest(analysis_months.last_data_month, analysis_months.analysis_month)',
            'month'
        ) }}
),

genre_totals as (
    select
        genre,
        activity_month,
        sum(fan_watch_time_seconds) as fan_watch_time_seconds,
        count(*) as active_fans
    from fan_months
    group by genre, activity_month
),

filled as (
    select
        genres.genre,
        months.activity_month,
        coalesce(genre_totals.fan_watch_time_seconds, 0) as fan_watch_time_seconds,
        coalesce(genre_totals.active_fans, 0) as active_fans
    from genres
    cross join months
    left join genre_totals
        on
            genres.genre = genre_totals.genre
            and months.activity_month = genre_totals.activity_month
),

with_previous as (
    select
        genre,
        activity_month,
        fan_watch_time_seconds,
        active_fans,
        lag(fan_watch_time_seconds) over (
            partition by genre order by activity_month
        ) as prev_month_fan_watch_time_seconds
    from filled
),

final as (
    select
        genre,
        activity_month,
        cast(fan_watch_time_seconds as {{ type_double() }}) as fan_watch_time_seconds,
        cast(prev_month_fan_watch_time_seconds as {{ type_double() }}) as prev_month_fan_watch_time_seconds,
        cast(
            fan_watch_time_seconds - prev_month_fan_watch_time_seconds as {{ type_double() }}
        ) as watch_time_delta_seconds,
        cast(
            100.0 * (fan_watch_time_seconds - prev_month_fan_watch_time_seconds)
            / nullif(prev_month_fan_watch_time_seconds, 0) as {{ type_double() }}
        ) as watch_time_delta_pct,
        cast(active_fans as {{ dbt.type_bigint() }}) as active_fans
    from with_previous
)

select * from final
