{#- Daily active users per experiment, variant and day of the window, for the dashboard: every
    day of the window appears for every variant, 0 where nobody was active. Day offsets come
    from five digits, so windows of up to 100,000 days (273 years) are covered. -#}

with

windowed as (
    select * from {{ ref('int_experiment_assignments_windowed') }}
),

activity_days as (
    select * from {{ ref('int_experiment_activity_days_aggregated') }}
    where not is_pre_period
),

digits as (
    select 0 as digit
    {%- for digit in range(1, 10) %}
    union all
    select {{ digit }} as digit
    {%- endfor %}
),

day_offsets as (
    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
),

variants as (
    select
        experiment_id,
        variant,
        start_date,
        window_days,
        count(*) as assigned_users
    from windowed
    group by experiment_id, variant, start_date, window_days
),

variant_days as (
    select
        variants.experiment_id,
        variants.variant,
        variants.assigned_users,
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'variants.start_date') }} as date) as activity_date
    from variants
    inner join day_offsets on variants.window_days > day_offsets.day_offset
),

active as (
    select
        windowed.experiment_id,
        windowed.variant,
        activity_days.activity_date,
        count(*) as daily_active_users
    from activity_days
    inner join windowed
        on
            activity_days.experiment_id = windowed.experiment_id
            and activity_days.user_id = windowed.user_id
    group by windowed.experiment_id, windowed.variant, activity_days.activity_date
),

final as (
    select
        variant_days.experiment_id,
        variant_days.variant,
        variant_days.activity_date,
        variant_days.assigned_users,
        coalesce(active.daily_active_users, 0) as daily_active_users
    from variant_days
    left join active
        on
            variant_days.experiment_id = active.experiment_id
            and variant_days.variant = active.variant
            and variant_days.activity_date = active.activity_date
)

select * from final
