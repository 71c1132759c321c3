with

clean_rows as (
    select * from {{ ref('base_moderation__claims_videos') }}
    where quarantine_reason is null
),

final as (
    select
        claim_row_id,
        video_id,
        claim_status,
        claim_status = 'claim' as is_claim,
        video_duration_seconds,
        transcription_text,
        verified_status,
        verified_status = 'verified' as is_verified,
        author_ban_status,
        view_count,
        like_count,
        share_count,
        download_count,
        comment_count
    from clean_rows
)

select * from final
