{#- Helpers shared by the staging base models, which type raw rows and give each one a
    quarantine reason (null when the row keeps to the raw-data contract). -#}

{#- The accepted spellings of one categorical column, from the accepted_category_values seed. -#}
{% macro accepted_categories(source_table, column_name) -%}
    select
        value_key,
        value
    from {{ ref('accepted_category_values') }}
    where source_table = '{{ source_table }}' and column_name = '{{ column_name }}'
{%- endmacro %}

{#- Normalises a raw categorical value for matching against accepted_categories.value_key. -#}
{% macro category_key(expression) -%}
    lower(trim(cast({{ expression }} as {{ dbt.type_string() }})))
{%- endmacro %}

{#- A row's natural key as text ('<null>' for a missing part), for the quarantine table. -#}
{% macro record_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- True when a raw value was present but did not cast to its contract type. -#}
{% macro failed_cast(raw_column, typed_column) -%}
    ({{ raw_column }} is not null and {{ typed_column }} is null)
{%- endmacro %}

{#- Each raw table of the domains this build covers (warehouse_domains()), with its domain, the
    base model that checks it and the staging model that keeps its clean rows: the one list the
    quarantine model and the reconciliation test share. -#}
{% macro raw_table_models() -%}
    {%- set all_tables = {
        'users': {'domain': 'feed', 'base': 'base_feed__users', 'staging': 'stg_feed__users'},
        'videos': {'domain': 'feed', 'base': 'base_feed__videos', 'staging': 'stg_feed__videos'},
        'interactions': {'domain': 'feed', 'base': 'base_feed__interactions', 'staging': 'stg_feed__interactions'},
        'claims_videos': {
            'domain': 'moderation', 'base': 'base_moderation__claims_videos', 'staging': 'stg_moderation__claims_videos'
        },
        'user_facial_data': {
            'domain': 'face', 'base': 'base_face__facial_landmarks', 'staging': 'stg_face__facial_landmarks'
        },
        'user_expressions': {'domain': 'face', 'base': 'base_face__expressions', 'staging': 'stg_face__expressions'},
        'product_interactions': {
            'domain': 'face', 'base': 'base_face__product_interactions', 'staging': 'stg_face__product_interactions'
        },
        'experiments': {
            'domain': 'experiments', 'base': 'base_experiments__experiments', 'staging': 'stg_experiments__experiments'
        },
        'experiment_assignments': {
            'domain': 'experiments', 'base': 'base_experiments__assignments', 'staging': 'stg_experiments__assignments'
        },
    } -%}
    {%- set enabled_tables = {} -%}
    {%- for source_table, models in all_tables.items() if domain_enabled(models.domain) -%}
        {%- do enabled_tables.update({source_table: models}) -%}
    {%- endfor -%}
    {{ return(enabled_tables) }}
{%- endmacro %}
