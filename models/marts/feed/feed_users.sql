{#- The feed user dimension for BI and the semantic layer: every clean feed user. -#}

with

users as (
    select * from {{ ref('stg_feed__users') }}
),

final as (
    select
        user_id,
        preferred_genre,
        last_active_date
    from users
)

select * from final
