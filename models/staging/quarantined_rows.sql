{#- Every raw row that breaks the raw-data contract, with its table, key and reason, for the
    raw tables of the domains this build covers. Raw rows = staging rows + quarantined rows, for
    every such table (tested). -#}
{%- set raw_tables = raw_table_models() -%}

with

{% for source_table, models in raw_tables.items() %}
{{ source_table }} as (
    select
        '{{ source_table }}' as source_table,
        record_key,
        key_ordinal,
        quarantine_reason
    from {{ ref(models.base) }}
    where quarantine_reason is not null
),

{% endfor -%}

final as (
    {%- for source_table in raw_tables %}
    select * from {{ source_table }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
