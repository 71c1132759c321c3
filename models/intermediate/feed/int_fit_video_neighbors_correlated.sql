{{ config(materialized='table') }}

{#- Co-view neighbours computed on the evaluation fit window alone (interactions before the
    holdout), so the offline evaluation's co_view and blended strategies never see the holdout.
    Same definition as video_coview_neighbors (see coview_correlation: Pearson's r over all
    users in staging, histories capped at coview_max_videos_per_user, r rounded to 12 decimals,
    ties to the lower video_id, top coview_neighbors_k per video), on dense 32-bit keys with
    the a < b self-join mirrored afterwards. -#}
with

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
    where fit_id = 2
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

pair_sums as (
    select
        left_watch.video_key,
        right_watch.video_key as other_video_key,
        sum(left_watch.watch_time_seconds * right_watch.watch_time_seconds) as product_sum,
        count(*) as co_viewers
    from watches as left_watch
    inner join watches as right_watch
        on
            left_watch.user_key = right_watch.user_key
            and left_watch.video_key < right_watch.video_key
    group by left_watch.video_key, right_watch.video_key
),

pair_correlations as (
    select
        pair_sums.video_key,
        pair_sums.other_video_key,
        pair_sums.co_viewers,
        round(
            (video.user_count * pair_sums.product_sum - video.watch_time_sum * other_video.watch_time_sum)
            / sqrt(video.variance_term * other_video.variance_term),
            12
        ) as pair_correlation
    from pair_sums
    inner join video_sums as video
        on pair_sums.video_key = video.video_key
    inner join video_sums as other_video
        on pair_sums.other_video_key = other_video.video_key
    where video.variance_term > 0 and other_video.variance_term > 0
),

mirrored as (
    select
        video_key,
        other_video_key,
        pair_correlation,
        co_viewers
    from pair_correlations
    union all
    select
        other_video_key as video_key,
        video_key as other_video_key,
        pair_correlation,
        co_viewers
    from pair_correlations
),

ranked as (
    select
        *,
        row_number() over (
            partition by video_key order by pair_correlation desc, other_video_key asc
        ) as neighbor_rank
    from mirrored
),

final as (
    select
        video.video_id,
        neighbor.video_id as neighbor_video_id,
        cast(ranked.neighbor_rank as {{ dbt.type_int() }}) as neighbor_rank,
        ranked.pair_correlation as correlation,  -- noqa: RF04
        cast(ranked.co_viewers as {{ dbt.type_bigint() }}) as co_viewers
    from ranked
    inner join video_keys as video
        on ranked.video_key = video.video_key
    inner join video_keys as neighbor
        on ranked.other_video_key = neighbor.video_key
    where ranked.neighbor_rank <= {{ var('coview_neighbors_k') }}
)

select * from final
