{#- Named constants of the face models; described in _face__macros.yml beside them. -#}

{#- Scale that turns a median absolute deviation into an estimate of the standard deviation of
    normally distributed values (1 / the normal's 75th percentile, 1 / 0.6745). -#}
{% macro mad_to_standard_deviation() -%}
    {{ return(1.4826) }}
{%- endmacro %}
