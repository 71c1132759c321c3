{#- Clean videos with their effective upload date: the declared upload date, moved back to the
    day of the video's first clean interaction when that comes earlier (see the docs block
    effective_upload_date), so no interaction downstream precedes its video's upload. -#}
with

clean_rows as (
    select * from {{ ref('base_feed__videos') }}
    where quarantine_reason is null
),

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

first_interactions as (
    select
        video_id,
        cast(min(first_clicked_at) as date) as first_interaction_date
    from interactions
    group by video_id
),

dated as (
    select
        clean_rows.video_id,
        clean_rows.genre,
        clean_rows.upload_date as declared_upload_date,
        first_interactions.first_interaction_date
    from clean_rows
    left join first_interactions
        on clean_rows.video_id = first_interactions.video_id
),

final as (
    select
        video_id,
        genre,
        case
            when first_interaction_date < declared_upload_date then first_interaction_date
            else declared_upload_date
        end as upload_date,
        declared_upload_date,
        coalesce(first_interaction_date < declared_upload_date, false) as is_upload_date_moved_back
    from dated
)

select * from final
