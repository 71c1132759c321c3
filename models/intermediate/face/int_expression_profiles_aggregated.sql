{#- Each user's expression profile, the user-level part: expressions recorded and the mean and
    spread of their strength. Users with fewer than expression_segment_min_expressions
    expressions get no profile (see the expression_profile docs). -#}
{#- A view: one group-by over expressions, read only while the segment tables are built. -#}
{{ config(materialized='view') }}

with

expressions as (
    select * from {{ ref('stg_face__expressions') }}
),

profiles as (
    select
        user_id,
        count(*) as expressions,
        avg(expression_strength) as mean_strength,
        -- Sample standard deviation; 0 for a single expression.
        coalesce(stddev_samp(expression_strength), 0) as strength_stddev
    from expressions
    group by user_id
),

final as (
    select
        user_id,
        expressions,
        mean_strength,
        strength_stddev
    from profiles
    where expressions >= {{ var('expression_segment_min_expressions') }}
)

select * from final
