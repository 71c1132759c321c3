with

backtest as (
    select * from {{ ref('int_forecast_models_backtested') }}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast(series as {{ dbt.type_bigint() }}) as series,
        cast(origins as {{ dbt.type_int() }}) as origins,
        cast(forecasts as {{ dbt.type_bigint() }}) as forecasts,
        cast(mae as {{ type_double() }}) as mae,
        cast(smape as {{ type_double() }}) as smape,
        cast(mase as {{ type_double() }}) as mase,
        cast(interval_coverage_80 as {{ type_double() }}) as interval_coverage_80
    from backtest
)

select * from final
