{#-
    Every model's metrics in one relation, tagged with the domain that owns the model;
    ml_model_metrics adds each metric's direction and the beats_baseline flag.

    Adding a model: a dbt Python model returns the columns model_name, dataset_type, metric,
    value, baseline_name, baseline_value (helper: engagement_analytics.domains.ml_metrics.metric_frame),
    one row per (model_name, dataset_type, metric); add (its domain, its name) to the list below.
    Models of a domain this build does not cover are left out (domain_enabled), so this builds
    with any subset of domains, and with none as an empty relation of the same columns and types.
-#}
{#- A view: a union of four small metric tables, read once, by ml_model_metrics. -#}
{{ config(materialized='view') }}
{%- set metric_models = [
    ('moderation', 'claims_classifier_metrics'),
    ('moderation', 'verified_status_model_metrics'),
    ('feed', 'watch_time_model_metrics'),
    ('face', 'interaction_time_forecast_model_metrics'),
] -%}
{%- set built_models = [] -%}
{%- for domain, metric_model in metric_models -%}
    {%- if domain_enabled(domain) -%}{%- do built_models.append((domain, metric_model)) -%}{%- endif -%}
{%- endfor -%}

with

{% for domain, metric_model in built_models %}
{{ metric_model }} as (
    select
        '{{ domain }}' as domain,  -- noqa: RF04
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
    {%- for domain, metric_model in built_models %}
    select * from {{ metric_model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    -- No domain with a metrics model is built: no rows, the same columns.
    select
        null as domain,  -- noqa: RF04
        null as model_name,
        null as dataset_type,
        null as metric,
        null as value,
        null as baseline_name,
        null as baseline_value
    where 1 = 0
    {%- endfor %}
),

final as (
    select
        cast(domain as {{ dbt.type_string() }}) as domain,  -- noqa: RF04
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(dataset_type as {{ dbt.type_string() }}) as dataset_type,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(baseline_name as {{ dbt.type_string() }}) as baseline_name,
        cast(baseline_value as {{ type_double() }}) as baseline_value
    from unioned
)

select * from final
