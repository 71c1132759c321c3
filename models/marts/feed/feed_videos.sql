{#- The video dimension for BI and the semantic layer: every clean video, with its effective
    upload date. -#}

with

videos as (
    select * from {{ ref('stg_feed__videos') }}
),

final as (
    select
        video_id,
        genre,
        upload_date,
        declared_upload_date,
        is_upload_date_moved_back
    from videos
)

select * from final
