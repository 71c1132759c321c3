{#- One row per user and video: the user's total watch time on the video, keyed by dense
    32-bit integers so the co-view self-join runs on small keys. Each user keeps only their
    `coview_max_videos_per_user` most-watched videos (ties: the lower video_id). -#}

with

users as (
    select user_id from {{ ref('stg_feed__users') }}
),

videos as (
    select video_id from {{ ref('stg_feed__videos') }}
),

interactions as (
    select
        user_id,
        video_id,
        watch_time_seconds
    from {{ ref('stg_feed__interactions') }}
),

user_keys as (
    select
        user_id,
        cast(row_number() over (order by user_id) as {{ dbt.type_int() }}) as user_key
    from users
),

-- Keys follow video_id order, so "lower key" and "lower video_id" break ties the same way.
video_keys as (
    select
        video_id,
        cast(row_number() over (order by video_id) as {{ dbt.type_int() }}) as video_key
    from videos
),

user_video_watch as (
    select
        user_id,
        video_id,
        sum(watch_time_seconds) as watch_time_seconds
    from interactions
    group by user_id, video_id
),

ranked as (
    select
        user_id,
        video_id,
        watch_time_seconds,
        row_number() over (
            partition by user_id
            order by watch_time_seconds desc, video_id asc
        ) as user_watch_rank
    from user_video_watch
),

capped as (
    select
        user_keys.user_key,
        video_keys.video_key,
        ranked.video_id,
        ranked.watch_time_seconds
    from ranked
    inner join user_keys
        on ranked.user_id = user_keys.user_id
    inner join video_keys
        on ranked.video_id = video_keys.video_id
    where ranked.user_watch_rank <= {{ var('coview_max_videos_per_user') }}
),

final as (
    select * from capped
)

select * from final
