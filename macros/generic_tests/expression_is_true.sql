{#- Passes when the boolean expression holds on every row: arithmetic identities and ranges
    that a column test cannot state. Narrow it with the standard `where` test config. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
