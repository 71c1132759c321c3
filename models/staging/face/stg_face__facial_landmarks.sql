with

clean_rows as (
    select * from {{ ref('base_face__facial_landmarks') }}
    where quarantine_reason is null
),

final as (
    select
        user_id,
        captured_at,
        landmark_id,
        x,
        y,
        z
    from clean_rows
)

select * from final
