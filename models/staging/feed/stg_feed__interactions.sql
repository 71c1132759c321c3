with

clean_rows as (
    select * from {{ ref('base_feed__interactions') }}
    where quarantine_reason is null
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
    from clean_rows
)

select * from final
