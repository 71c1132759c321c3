{#- The interaction fact for BI and the semantic layer: every clean feed interaction. -#}

with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

final as (
    select
        interaction_id,
        user_id,
        video_id,
        watch_time_seconds,
        first_clicked_at,
        interaction_type,
        shares
    from interactions
)

select * from final
