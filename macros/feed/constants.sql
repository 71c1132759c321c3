{#- Named constants of the feed models. Each is a fact of the model's design, not a setting
    (settings are vars in dbt_project.yml); described in _feed__macros.yml beside them. -#}

{#- The id of a recommendation fit window: `serving` (every interaction; the lists
    user_video_recommendations serves) or `evaluation` (the interactions before the holdout;
    recommendation_offline_eval). -#}
{% macro feed_fit_id(fit_name) -%}
    {%- set fit_ids = {'serving': 1, 'evaluation': 2} -%}
    {%- if fit_name not in fit_ids -%}
        {{ exceptions.raise_compiler_error("feed_fit_id: unknown fit '" ~ fit_name ~ "' (serving or evaluation)") }}
    {%- endif -%}
    {{ return(fit_ids[fit_name]) }}
{%- endmacro %}

{#- Decimals co-view correlations are rounded to, so that pairs whose r is equal up to float
    noise tie exactly (ties then go to the lower video_id). -#}
{% macro coview_correlation_decimals() -%}
    {{ return(12) }}
{%- endmacro %}

{#- Most calendar months genre_fan_watch_time_monthly spans (100 years): the size of the month
    series its rows are generated from. -#}
{% macro feed_max_months() -%}
    {{ return(1200) }}
{%- endmacro %}
