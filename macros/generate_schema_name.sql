{#- Schemas are named exactly as configured (staging, intermediate, marts), never prefixed
    with the target schema, so BI tools see the same names on every machine. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
