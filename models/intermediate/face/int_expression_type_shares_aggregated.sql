{#- Each profiled user's share of every expression type present among profiled users, one row
    per user and type (0 for a type the user never showed): the share part of the expression
    profile. The vocabulary is open: every type in staging counts, known to the seed or not. -#}
{#- A view: one group-by over expressions, read only while the segment tables are built. -#}
{{ config(materialized='view') }}

with

expressions as (
    select * from {{ ref('stg_face__expressions') }}
),

profiles as (
    select * from {{ ref('int_expression_profiles_aggregated') }}
),

profiled_expressions as (
    select
        expressions.user_id,
        expressions.expression_type,
        expressions.is_known_expression_type
    from expressions
    inner join profiles on expressions.user_id = profiles.user_id
),

expression_types as (
    select
        expression_type,
        -- A type's flag is the same on every row (it comes from the seed).
        max(case when is_known_expression_type then 1 else 0 end) = 1 as is_known_expression_type
    from profiled_expressions
    group by expression_type
),

type_counts as (
    select
        user_id,
        expression_type,
        count(*) as type_expressions
    from profiled_expressions
    group by user_id, expression_type
),

user_types as (
    select
        profiles.user_id,
        profiles.expressions,
        expression_types.expression_type,
        expression_types.is_known_expression_type
    from profiles
    cross join expression_types
),

final as (
    select
        user_types.user_id,
        user_types.expression_type,
        user_types.is_known_expression_type,
        coalesce(type_counts.type_expressions, 0) as type_expressions,
        1.0 * coalesce(type_counts.type_expressions, 0) / user_types.expressions as type_share
    from user_types
    left join type_counts
        on
            user_types.user_id = type_counts.user_id
            and user_types.expression_type = type_counts.expression_type
)

select * from final
