with

source as (
    select * from {{ source('raw', 'interactions') }}
),

clean_users as (
    select user_id from {{ ref('base_feed__users') }}
    where quarantine_reason is null
),

clean_videos as (
    select video_id from {{ ref('base_feed__videos') }}
    where quarantine_reason is null
),

interaction_types as (
    {{ accepted_categories('interactions', 'interaction_type') }}
),

typed as (
    select
        {{ dbt.safe_cast('interaction_id', dbt.type_bigint()) }} as interaction_id,
        {{ dbt.safe_cast('user_id', dbt.type_bigint()) }} as user_id,
        {{ dbt.safe_cast('video_id', dbt.type_bigint()) }} as video_id,
        {{ dbt.safe_cast('watch_time', type_double()) }} as watch_time_seconds,
        {{ dbt.safe_cast('first_click_timestamp', dbt.type_timestamp()) }} as first_clicked_at,
        {{ category_key('interaction_type') }} as interaction_type_key,
        {{ dbt.safe_cast("shares", dbt.type_int()) }} as shares,  -- noqa: RF04
        first_click_timestamp as raw_first_click_timestamp
    from source
),

keyed as (
    select
        *,
        {{ record_key(['interaction_id']) }} as record_key,
        row_number() over (
            partition by interaction_id
            order by first_clicked_at, user_id, video_id, watch_time_seconds, interaction_type_key, shares
        ) as key_ordinal
    from typed
),

checked as (
    select
        keyed.*,
        interaction_types.value as interaction_type,
        case
            when keyed.interaction_id is null then 'missing_key'
            when keyed.key_ordinal > 1 then 'duplicate_key'
            when {{ failed_cast('keyed.raw_first_click_timestamp', 'keyed.first_clicked_at') }}
                then 'unparseable_timestamp'
            when keyed.first_clicked_at is null then 'missing_timestamp'
            when keyed.watch_time_seconds is null
                or not {{ is_finite('keyed.watch_time_seconds') }}
                or keyed.watch_time_seconds < 0
                then 'invalid_duration'
            when interaction_types.value is null then 'unknown_category'
            when keyed.shares is null or keyed.shares < 0 then 'invalid_count'
            when clean_users.user_id is null then 'orphan_user_id'
            when clean_videos.video_id is null then 'orphan_video_id'
        end as quarantine_reason
    from keyed
    left join clean_users on keyed.user_id = clean_users.user_id
    left join clean_videos on keyed.video_id = clean_videos.video_id
    left join interaction_types on keyed.interaction_type_key = interaction_types.value_key
),

final as (
    select
        interaction_id,
        user_id,
        video_id,
        watch_time_seconds,
        first_clicked_at,
        interaction_type,
        shares,
        record_key,
        key_ordinal,
        quarantine_reason
    from checked
)

select * from final
