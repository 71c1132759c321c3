{#- The interaction-time forecast's backtest headline in the shape ml_model_metrics unions: one
    row per metric over every horizon day (the mean weighted by forecasts), dataset_type test
    (each origin's block is held out from the fit), read against the stronger of the two
    baselines on that metric. Every error metric is lower-is-better. An empty backtest (a span
    too short for one origin) gives no rows. -#}
{#- A view: a handful of rows reshaped from the backtest table, read once. -#}
{{ config(materialized='view') }}

with

backtest as (
    select * from {{ ref('int_forecast_models_backtested') }}
),

model_errors as (
    select
        model_name,
        sum(forecasts) as forecasts,
        sum(mae * forecasts) / sum(forecasts) as mae,
        sum(smape * forecasts) / sum(forecasts) as smape,
        sum(case when mase is not null then mase * forecasts end)
        / sum(case when mase is not null then forecasts end) as mase,
        sum(case when interval_coverage_80 is not null then interval_coverage_80 * forecasts end)
        / sum(case when interval_coverage_80 is not null then forecasts end) as interval_coverage_80
    from backtest
    group by model_name
),

long_errors as (
    select
        model_name,
        'mae' as metric,
        mae as metric_value
    from model_errors
    union all
    select
        model_name,
        'smape' as metric,
        smape as metric_value
    from model_errors
    union all
    select
        model_name,
        'mase' as metric,
        mase as metric_value
    from model_errors
),

forecast_errors as (
    select * from long_errors
    where model_name = 'seasonal_damped_trend'
),

-- The stronger baseline on each metric (ties: the name that sorts first).
best_baselines as (
    select
        metric,
        model_name as baseline_name,
        metric_value as baseline_value
    from (
        select
            metric,
            model_name,
            metric_value,
            row_number() over (
                partition by metric order by metric_value asc nulls last, model_name asc
            ) as baseline_rank
        from long_errors
        where model_name != 'seasonal_damped_trend'
    ) as ranked_baselines
    where baseline_rank = 1
),

compared as (
    select
        forecast_errors.metric,
        forecast_errors.metric_value,
        best_baselines.baseline_name,
        best_baselines.baseline_value
    from forecast_errors
    left join best_baselines
        on forecast_errors.metric = best_baselines.metric
),

unbaselined as (
    select
        'interval_coverage_80' as metric,
        interval_coverage_80 as metric_value
    from model_errors
    where model_name = 'seasonal_damped_trend'
    union all
    select
        'rows' as metric,
        cast(forecasts as {{ type_double() }}) as metric_value
    from model_errors
    where model_name = 'seasonal_damped_trend'
),

final as (
    select
        cast('interaction_time_forecast_seasonal_damped_trend' as {{ dbt.type_string() }}) as model_name,
        cast('test' as {{ dbt.type_string() }}) as dataset_type,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(metric_value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(baseline_name as {{ dbt.type_string() }}) as baseline_name,
        cast(baseline_value as {{ type_double() }}) as baseline_value
    from compared
    where metric_value is not null
    union all
    select
        cast('interaction_time_forecast_seasonal_damped_trend' as {{ dbt.type_string() }}) as model_name,
        cast('test' as {{ dbt.type_string() }}) as dataset_type,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(metric_value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as baseline_name,
        cast(null as {{ type_double() }}) as baseline_value
    from unbaselined
    where metric_value is not null
)

select * from final
