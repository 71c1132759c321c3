with

source as (
    select * from {{ source('raw', 'claims_videos') }}
),

claim_statuses as (
    {{ accepted_categories('claims_videos', 'claim_status') }}
),

verified_statuses as (
    {{ accepted_categories('claims_videos', 'verified_status') }}
),

ban_statuses as (
    {{ accepted_categories('claims_videos', 'author_ban_status') }}
),

typed as (
    select
        {{ dbt.safe_cast('id', dbt.type_bigint()) }} as claim_row_id,
        {{ dbt.safe_cast('video_id', dbt.type_bigint()) }} as video_id,
        nullif({{ category_key('claim_status') }}, '') as claim_status_key,
        {{ dbt.safe_cast('video_duration_sec', type_double()) }} as video_duration_seconds,
        video_transcription_text as transcription_text,
        {{ category_key('verified_status') }} as verified_status_key,
        {{ category_key('author_ban_status') }} as author_ban_status_key,
        {{ dbt.safe_cast('video_view_count', dbt.type_bigint()) }} as view_count,
        {{ dbt.safe_cast('video_like_count', dbt.type_bigint()) }} as like_count,
        {{ dbt.safe_cast('video_share_count', dbt.type_bigint()) }} as share_count,
        {{ dbt.safe_cast('video_download_count', dbt.type_bigint()) }} as download_count,
        {{ dbt.safe_cast('video_comment_count', dbt.type_bigint()) }} as comment_count,
        (
            {{ failed_cast('video_view_count', dbt.safe_cast('video_view_count', dbt.type_bigint())) }}
            or {{ failed_cast('video_like_count', dbt.safe_cast('video_like_count', dbt.type_bigint())) }}
            or {{ failed_cast('video_share_count', dbt.safe_cast('video_share_count', dbt.type_bigint())) }}
            or {{ failed_cast('video_download_count', dbt.safe_cast('video_download_count', dbt.type_bigint())) }}
            or {{ failed_cast('video_comment_count', dbt.safe_cast('video_comment_count', dbt.type_bigint())) }}
        ) as has_unparseable_count
    from source
),

keyed as (
    select
        *,
        {{ record_key(['video_id']) }} as record_key,
        row_number() over (partition by video_id order by claim_row_id) as key_ordinal
    from typed
),

checked as (
    select
        keyed.*,
        claim_statuses.value as claim_status,
        verified_statuses.value as verified_status,
        ban_statuses.value as author_ban_status,
        case
            when keyed.video_id is null then 'missing_key'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when keyed.claim_status_key is null then 'missing_label'
            when
                claim_statuses.value is null
                or verified_statuses.value is null
                or ban_statuses.value is null
                then 'unknown_category'
            when keyed.has_unparseable_count then 'invalid_count'
            -- A sum is null when any of its terms is.
            when
                keyed.view_count + keyed.like_count + keyed.share_count
                + keyed.download_count + keyed.comment_count is null
                then 'missing_counts'
            when
                least(
                    keyed.view_count, keyed.like_count, keyed.share_count, keyed.download_count, keyed.comment_count
                ) < 0
                then 'invalid_count'
            when
                keyed.video_duration_seconds is null
                or not {{ is_finite('keyed.video_duration_seconds') }}
                or keyed.video_duration_seconds < 0
                then 'invalid_duration'
        end as quarantine_reason
    from keyed
    left join claim_statuses on keyed.claim_status_key = claim_statuses.value_key
    left join verified_statuses on keyed.verified_status_key = verified_statuses.value_key
    left join ban_statuses on keyed.author_ban_status_key = ban_statuses.value_key
),

final as (
    select
        claim_row_id,
        video_id,
        claim_status,
        video_duration_seconds,
        transcription_text,
        verified_status,
        author_ban_status,
        view_count,
        like_count,
        share_count,
        download_count,
        comment_count,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final
