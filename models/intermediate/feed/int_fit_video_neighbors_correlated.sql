{#- Co-view neighbours computed on the evaluation fit window alone (interactions before the
    holdout), so the offline evaluation's co_view and blended strategies never see the holdout.
    Same definition as video_coview_neighbors (see coview_correlation: Pearson's r over all
    users in staging, histories capped at coview_max_videos_per_user, ties to the lower
    video_id, top coview_neighbors_k per video), on dense 32-bit keys, with the same pair
    arithmetic (the coview_pair_ctes macro). -#}
with

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
    where fit_id = {{ feed_fit_id('evaluation') }}
),

users as (
    select count(*) as user_count from {{ ref('stg_feed__users') }}
),

user_keys as (
    select
        user_id,
        cast(row_number() over (order by user_id) as {{ dbt.type_int() }}) as user_key
    from user_videos
    group by user_id
),

video_keys as (
    select
        video_id,
        cast(row_number() over (order by video_id) as {{ dbt.type_int() }}) as video_key
    from user_videos
    group by video_id
),

ranked_watches as (
    select
        user_id,
        video_id,
        watch_time_seconds,
        row_number() over (
            partition by user_id order by watch_time_seconds desc, video_id asc
        ) as user_watch_rank
    from user_videos
),

watches as (
    select
        user_keys.user_key,
        video_keys.video_key,
        ranked_watches.watch_time_seconds
    from ranked_watches
    inner join user_keys
        on ranked_watches.user_id = user_keys.user_id
    inner join video_keys
        on ranked_watches.video_id = video_keys.video_id
    where ranked_watches.user_watch_rank <= {{ var('coview_max_videos_per_user') }}
),

video_sums as (
    select
        watches.video_key,
        sum(watches.watch_time_seconds) as watch_time_sum,
        max(users.user_count) * sum(watches.watch_time_seconds * watches.watch_time_seconds)
        - sum(watches.watch_time_seconds) * sum(watches.watch_time_seconds) as variance_term,
        max(users.user_count) as user_count
    from watches
    cross join users
    group by watches.video_key
),

{{ coview_pair_ctes('watches', 'video_sums') }},

ranked as (
    select
        *,
        row_number() over (
            partition by video_key order by correlation desc, other_video_key asc
        ) as neighbor_rank
    from coview_pairs_mirrored
),

final as (
    select
        video.video_id,
        neighbor.video_id as neighbor_video_id,
        cast(ranked.neighbor_rank as {{ dbt.type_int() }}) as neighbor_rank,
        ranked.correlation,
        cast(ranked.co_viewers as {{ dbt.type_bigint() }}) as co_viewers
    from ranked
    inner join video_keys as video
        on ranked.video_key = video.video_key
    inner join video_keys as neighbor
        on ranked.other_video_key = neighbor.video_key
    where ranked.neighbor_rank <= {{ var('coview_neighbors_k') }}
)

select * from final
