{#-
    ml_model_metrics: every model's evaluation in one long table, shared by every model in the
    warehouse. Convention for adding a model:
      1. A dbt Python model (schema intermediate) named <model>_model_metrics (or
         <model>_metrics) returns exactly the columns model_name, dataset_type, metric, value,
         baseline_name, baseline_value (helper: engagement_analytics.moderation.metrics.metric_frame),
         one row per (model_name, dataset_type, metric); baseline_name/baseline_value are null
         where no baseline applies.
      2. Add its ref to `metric_models` below: nothing else changes. dataset_type is train,
         validation or test (the accepted_values test in _ml__models.yml).
    The watch-time regression (issue 6 part 4) adds `watch_time_model_metrics`.
-#}
{%- set metric_models = [
    'claims_classifier_metrics',
    'verified_status_model_metrics',
    'watch_time_model_metrics',
    'interaction_time_forecast_model_metrics',
] -%}

with

{% for metric_model in metric_models %}
{{ metric_model }} as (
    select
        model_name,
        dataset_type,
        metric,
        value,
        baseline_name,
        baseline_value
    from {{ ref(metric_model) }}
),

{% endfor -%}

unioned as (
    {%- for metric_model in metric_models %}
    select * from {{ metric_model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(dataset_type as {{ dbt.type_string() }}) as dataset_type,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as double) as value,  -- noqa: RF04
        cast(baseline_name as {{ dbt.type_string() }}) as baseline_name,
        cast(baseline_value as double) as baseline_value
    from unioned
)

select * from final
