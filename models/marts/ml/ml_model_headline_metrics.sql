{#-
    One row per model and split: whether the model beat its baseline on its headline metric
    (the compared metric with the lowest headline_priority in ml_metric_directions), and on how
    many of its compared metrics it did.
-#}

with

metrics as (
    select * from {{ ref('ml_model_metrics') }}
),

directions as (
    select * from {{ ref('ml_metric_directions') }}
),

model_splits as (
    select distinct
        domain,
        model_name,
        dataset_type
    from metrics
),

compared_metrics as (
    select
        metrics.model_name,
        metrics.dataset_type,
        metrics.metric,
        metrics.value,
        metrics.baseline_name,
        metrics.baseline_value,
        metrics.metric_direction,
        metrics.beats_baseline,
        directions.headline_priority
    from metrics
    inner join directions on metrics.metric = directions.metric
    where metrics.beats_baseline is not null
),

counted as (
    select
        model_name,
        dataset_type,
        count(*) as metrics_compared,
        sum(case when beats_baseline then 1 else 0 end) as metrics_beating_baseline
    from compared_metrics
    group by model_name, dataset_type
),

ranked as (
    select
        *,
        row_number() over (
            partition by model_name, dataset_type
            order by headline_priority asc, metric asc
        ) as headline_rank
    from compared_metrics
    where headline_priority is not null
),

final as (
    select
        cast(model_splits.domain as {{ dbt.type_string() }}) as domain,  -- noqa: RF04
        cast(model_splits.model_name as {{ dbt.type_string() }}) as model_name,
        cast(model_splits.dataset_type as {{ dbt.type_string() }}) as dataset_type,
        cast(ranked.metric as {{ dbt.type_string() }}) as headline_metric,
        cast(ranked.value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(ranked.baseline_name as {{ dbt.type_string() }}) as baseline_name,
        cast(ranked.baseline_value as {{ type_double() }}) as baseline_value,
        cast(ranked.metric_direction as {{ dbt.type_string() }}) as metric_direction,
        cast(ranked.beats_baseline as {{ dbt.type_boolean() }}) as beats_baseline,
        cast(coalesce(counted.metrics_compared, 0) as {{ dbt.type_bigint() }}) as metrics_compared,
        cast(coalesce(counted.metrics_beating_baseline, 0) as {{ dbt.type_bigint() }}) as metrics_beating_baseline
    from model_splits
    left join ranked
        on
            model_splits.model_name = ranked.model_name
            and model_splits.dataset_type = ranked.dataset_type
            and ranked.headline_rank = 1
    left join counted
        on
            model_splits.model_name = counted.model_name
            and model_splits.dataset_type = counted.dataset_type
)

select * from final
