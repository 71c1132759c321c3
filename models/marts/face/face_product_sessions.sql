{#- The FaceID and Animoji session fact for BI and the semantic layer: every clean session. -#}

with

sessions as (
    select * from {{ ref('stg_face__product_interactions') }}
),

final as (
    select
        user_id,
        started_at,
        product,
        interaction_time_seconds
    from sessions
)

select * from final
