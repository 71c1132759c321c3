-- Question (face): how will interaction time develop?
-- Answer: interaction_time_forecasts summed per product over the forecast horizon, beside
-- the direction of users' weekly trends in user_product_usage_trends.
with

forecasts as (
    select
        product,
        min(forecast_date) as first_forecast_date,
        max(forecast_date) as last_forecast_date,
        sum(forecast_seconds) / count(distinct forecast_date) as forecast_seconds_per_day,
        sum(lower_80) / count(distinct forecast_date) as lower_80_per_day,
        sum(upper_80) / count(distinct forecast_date) as upper_80_per_day
    from {{ ref('interaction_time_forecasts') }}
    group by product
),

trends as (
    select
        product,
        count(distinct user_id) as users_with_trend,
        count(distinct case when trend_sign = 1 then user_id end) as users_trending_up,
        count(distinct case when trend_sign = -1 then user_id end) as users_trending_down
    from {{ ref('user_product_usage_trends') }}
    group by product
),

final as (
    select
        forecasts.product,
        forecasts.first_forecast_date,
        forecasts.last_forecast_date,
        forecasts.forecast_seconds_per_day,
        forecasts.lower_80_per_day,
        forecasts.upper_80_per_day,
        trends.users_with_trend,
        trends.users_trending_up,
        trends.users_trending_down
    from forecasts
    left join trends on forecasts.product = trends.product
)

select * from final
order by product
