with

clean_rows as (
    select * from {{ ref('base_feed__videos') }}
    where quarantine_reason is null
),

final as (
    select
        video_id,
        genre,
        upload_date
    from clean_rows
)

select * from final
