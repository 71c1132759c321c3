{#- Each capture with the period it counts in for the landmark variance marts: its calendar
    month by default, or the one window given by the vars landmark_period_start and
    landmark_period_end (inclusive dates; an empty bound is the first or last capture date).
    Captures outside the window are left out. -#}
{#- A view: a projection of the int_landmark_captures_summarised table, read by the two variance marts. -#}
{{ config(materialized='view') }}
{%- set window_start = var('landmark_period_start') -%}
{%- set window_end = var('landmark_period_end') -%}

with

captures as (
    select * from {{ ref('int_landmark_captures_summarised') }}
),

{% if window_start or window_end %}
capture_dates as (
    select
        *,
        cast(captured_at as date) as captured_date
    from captures
),

window_bounds as (
    select
        coalesce(cast(nullif('{{ window_start }}', '') as date), min(captured_date)) as period_start,
        coalesce(cast(nullif('{{ window_end }}', '') as date), max(captured_date)) as period_end
    from capture_dates
),

periodised as (
    select
        capture_dates.*,
        window_bounds.period_start,
        window_bounds.period_end
    from capture_dates
    cross join window_bounds
    where
        capture_dates.captured_date >= window_bounds.period_start
        and capture_dates.captured_date <= window_bounds.period_end
),
{% else %}
periodised as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'captured_at') }} as date) as period_start,
        cast({{ dbt.last_day('captured_at', 'month') }} as date) as period_end
    from captures
),
{% endif %}

final as (
    select
        user_id,
        captured_at,
        period_start,
        period_end,
        landmarks_present,
        mean_squared_deviation,
        capture_deviation
    from periodised
)

select * from final
