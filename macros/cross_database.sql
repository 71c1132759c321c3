{#- Small cross-database helpers that dbt does not ship. Each dispatches, so a Spark
    implementation can sit beside the DuckDB one. -#}

{#- dbt-duckdb's safe_cast is a plain cast that errors on bad input; try_cast returns null,
    which staging turns into a quarantine reason. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- True when a double is neither NaN nor infinite. -#}
{% macro is_finite(expression) -%}
    {{ return(adapter.dispatch('is_finite')(expression)) }}
{%- endmacro %}

{% macro default__is_finite(expression) -%}
    isfinite({{ expression }})
{%- endmacro %}

{% macro spark__is_finite(expression) -%}
    (not isnan({{ expression }}) and abs({{ expression }}) != double('infinity'))
{%- endmacro %}

{#- An 8-byte floating-point type. dbt.type_float() is a 4-byte real on DuckDB and Spark,
    too coarse for watch time and landmark coordinates. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
