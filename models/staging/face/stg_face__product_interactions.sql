with

clean_rows as (
    select * from {{ ref('base_face__product_interactions') }}
    where quarantine_reason is null
),

final as (
    select
        user_id,
        started_at,
        product,
        interaction_time_seconds
    from clean_rows
)

select * from final
