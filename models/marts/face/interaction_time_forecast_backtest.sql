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
        cast(mae as double) as mae,
        cast(smape as double) as smape,
        cast(mase as double) as mase,
        cast(interval_coverage_80 as double) as interval_coverage_80
    from backtest
)

select * from final
