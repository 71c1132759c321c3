{#-
    ml_model_metrics: every model's evaluation in one long table, each metric beside its baseline
    and whether the model beat it. The models are listed in int_ml_model_metrics_unioned (how a
    model joins is written there); the direction of each metric comes from the seed
    ml_metric_directions (see the ml_beats_baseline docs).
-#}

with

metrics as (
    select * from {{ ref('int_ml_model_metrics_unioned') }}
),

directions as (
    select * from {{ ref('ml_metric_directions') }}
),

compared as (
    select
        metrics.model_name,
        metrics.dataset_type,
        metrics.metric,
        metrics.value,
        metrics.baseline_name,
        metrics.baseline_value,
        case
            when metrics.baseline_name is null then null
            when directions.direction is null then 'unknown'
            else directions.direction
        end as metric_direction,
        case
            when metrics.baseline_name is null or metrics.baseline_value is null then null
            when directions.direction = 'higher_is_better' then metrics.value > metrics.baseline_value
            when directions.direction = 'lower_is_better' then metrics.value < metrics.baseline_value
        end as beats_baseline,
        metrics.domain
    from metrics
    left join directions on metrics.metric = directions.metric
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(dataset_type as {{ dbt.type_string() }}) as dataset_type,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(baseline_name as {{ dbt.type_string() }}) as baseline_name,
        cast(baseline_value as {{ type_double() }}) as baseline_value,
        cast(metric_direction as {{ dbt.type_string() }}) as metric_direction,
        cast(beats_baseline as {{ dbt.type_boolean() }}) as beats_baseline,
        cast(domain as {{ dbt.type_string() }}) as domain  -- noqa: RF04
    from compared
)

select * from final
