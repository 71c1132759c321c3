-- Question (face): how has daily interaction time per product run lately, and where does the
-- forecast take it?
-- Answer: interaction_time_forecasts summed over users per product and day, with its 80%
-- interval, then the last eight weeks of actual interaction time per product and day
-- (stg_face__product_interactions, all users) before the first forecast day.
{%- set actual_days_shown = 56 %}
with

forecasts as (
    select
        product,
        forecast_date as activity_date,
        sum(forecast_seconds) as interaction_time_seconds,
        sum(lower_80) as lower_80,
        sum(upper_80) as upper_80
    from {{ ref('interaction_time_forecasts') }}
    group by product, forecast_date
),

first_forecast as (
    select min(activity_date) as first_forecast_date
    from forecasts
),

actuals as (
    select
        product,
        cast(started_at as date) as activity_date,
        sum(interaction_time_seconds) as interaction_time_seconds
    from {{ ref('face_product_sessions') }}
    group by product, cast(started_at as date)
),

final as (
    select
        actuals.product,
        actuals.activity_date,
        'actual' as series,
        actuals.interaction_time_seconds,
        cast(null as {{ type_double() }}) as lower_80,
        cast(null as {{ type_double() }}) as upper_80
    from actuals
    cross join first_forecast
    where actuals.activity_date >= {{ dbt.dateadd('day', -actual_days_shown, 'first_forecast.first_forecast_date') }}
    union all
    select
        product,
        activity_date,
        'forecast' as series,
        interaction_time_seconds,
        lower_80,
        upper_80
    from forecasts
)

select * from final
order by series desc, activity_date asc, product asc
