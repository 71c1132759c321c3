{#- The declared arms of an experiment (the optional `arms` column of experiments.csv, see the
    experiment_arms docs): `name:share` entries joined by `|`. Portable string functions only
    (split_part, replace, length), so the same SQL runs wherever the project does. -#}

{#- Most entries one `arms` value may hold (the three digits of the positions below); a longer
    list is invalid_arms, never cut short. -#}
{% macro experiment_max_arms() -%}
    {{ return(1000) }}
{%- endmacro %}

{#- Entries of an `arms` text, empty ones included: 1 + the number of `|` separators. -#}
{% macro experiment_arm_count(arms) -%}
    (1 + {{ dbt.length(arms) }} - {{ dbt.length(dbt.replace(arms, "'|'", "''")) }})
{%- endmacro %}

{#- One row per non-empty entry of the `arms` text of each row of `experiments` (a CTE or
    relation with the columns key_columns and `arms`; rows whose `arms` is null have none):
    the entry as written, its position, the arm name as a category key (lower case, trimmed),
    the share as a double (null when it does not parse) and the number of `:` in the entry
    (exactly one in a valid entry). -#}
{% macro experiment_arm_entries(experiments, key_columns) -%}
    select
        {%- for column in key_columns %}
        entries.{{ column }},
        {%- endfor %}
        entries.arm_position,
        entries.arm_entry,
        nullif({{ category_key(dbt.split_part('entries.arm_entry', "':'", 1)) }}, '') as variant,
        {{ dbt.safe_cast(
            'trim(' ~ dbt.split_part('entries.arm_entry', "':'", 2) ~ ')',
            type_double()
        ) }} as planned_share,
        {{ dbt.length('entries.arm_entry') }}
        - {{ dbt.length(dbt.replace('entries.arm_entry', "':'", "''")) }} as separators
    from (
        select
            {%- for column in key_columns %}
            {{ experiments }}.{{ column }},
            {%- endfor %}
            positions.arm_position,
            trim({{ dbt.split_part(experiments ~ '.arms', "'|'", 'positions.arm_position') }}) as arm_entry
        from {{ experiments }}
        inner join (
            select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1 as arm_position
            from
            {%- for place in ['ones', 'tens', 'hundreds'] %}
            {% if not loop.first %}cross join {% endif %}(
                {%- for digit in range(10) %}
                select {{ digit }} as digit
                {%- if not loop.last %}
                union all
                {%- endif %}
                {%- endfor %}
            ) as {{ place }}
            {%- endfor %}
        ) as positions
            on positions.arm_position <= {{ experiment_arm_count(experiments ~ '.arms') }}
        where {{ experiments }}.arms is not null
    ) as entries
    where entries.arm_entry != ''
{%- endmacro %}
