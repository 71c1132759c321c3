with

clean_rows as (
    select * from {{ ref('base_face__expressions') }}
    where quarantine_reason is null
),

final as (
    select
        user_id,
        recorded_at,
        expression_type,
        is_known_expression_type,
        expression_strength
    from clean_rows
)

select * from final
