with

forecasts as (
    select * from {{ ref('int_interaction_times_forecasted') }}
),

final as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(product as {{ dbt.type_string() }}) as product,
        cast(forecast_date as date) as forecast_date,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast(forecast_seconds as {{ type_double() }}) as forecast_seconds,
        cast(lower_80 as {{ type_double() }}) as lower_80,
        cast(upper_80 as {{ type_double() }}) as upper_80,
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(history_days as {{ dbt.type_int() }}) as history_days
    from forecasts
)

select * from final
