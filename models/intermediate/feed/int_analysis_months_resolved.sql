{#- One row: the months the interactions cover and the analysis month of the genre drop marts
    (the var as_of_month, truncated to its month, or else the latest month with interactions);
    no row when there are no interactions. -#}
{#- A view: one row, a min and max over the interactions. -#}
{{ config(materialized='view') }}
{%- if var('as_of_month') %}
{%- set as_of_date = "cast('" ~ var('as_of_month') ~ "' as date)" %}
{%- set analysis_month_expression = "cast(" ~ dbt.date_trunc('month', as_of_date) ~ " as date)" %}
{%- else %}
{%- set analysis_month_expression = "last_data_month" %}
{%- endif %}
with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

data_months as (
    select
        cast({{ dbt.date_trunc('month', 'min(first_clicked_at)') }} as date) as first_data_month,
        cast({{ dbt.date_trunc('month', 'max(first_clicked_at)') }} as date) as last_data_month
    from interactions
),

analysis as (
    select
        first_data_month,
        last_data_month,
        {{ analysis_month_expression }} as analysis_month
    from data_months
    where last_data_month is not null
),

final as (
    select
        first_data_month,
        last_data_month,
        analysis_month,
        cast({{ dbt.dateadd('month', -1, 'analysis_month') }} as date) as previous_month
    from analysis
)

select * from final
