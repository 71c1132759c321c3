{#- For every raw table of the domains this build covers: raw rows = clean staging rows +
    quarantined rows. Returns the tables where rows went missing or were counted twice. -#}
{%- set raw_tables = raw_table_models() -%}

with

quarantined as (
    select
        source_table,
        count(*) as quarantined_rows
    from {{ ref('quarantined_rows') }}
    group by source_table
),

counts as (
    {%- for source_table, models in raw_tables.items() %}
    select
        '{{ source_table }}' as source_table,
        (select count(*) from {{ source('raw', source_table) }}) as raw_rows,
        (select count(*) from {{ ref(models.staging) }}) as clean_rows
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    counts.source_table,
    counts.raw_rows,
    counts.clean_rows,
    coalesce(quarantined.quarantined_rows, 0) as quarantined_rows
from counts
left join quarantined on counts.source_table = quarantined.source_table
where counts.raw_rows != counts.clean_rows + coalesce(quarantined.quarantined_rows, 0)
