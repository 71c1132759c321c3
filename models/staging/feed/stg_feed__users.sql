with

clean_rows as (
    select * from {{ ref('base_feed__users') }}
    where quarantine_reason is null
),

final as (
    select
        user_id,
        preferred_genre,
        last_active_date
    from clean_rows
)

select * from final
