{#- Which domains of the raw-data contract this build covers. `python -m engagement_analytics
    build` finds the domains whose files are present in WAREHOUSE_RAW_DIR and sets
    WAREHOUSE_DOMAINS (comma-separated); a plain `dbt build` covers every domain. Models of a
    domain that is not covered are disabled (see dbt_project.yml), and models that read across
    domains guard the read with `domain_enabled`. -#}

{% macro warehouse_domains() -%}
    {%- set configured = env_var('WAREHOUSE_DOMAINS', 'feed,face,moderation,experiments') -%}
    {%- set domains = [] -%}
    {%- for domain in configured.split(',') -%}
        {%- if domain | trim -%}{%- do domains.append(domain | trim | lower) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(domains) }}
{%- endmacro %}

{% macro domain_enabled(domain) -%}
    {{ return(domain in warehouse_domains()) }}
{%- endmacro %}
