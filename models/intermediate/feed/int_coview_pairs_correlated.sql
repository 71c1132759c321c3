{#- Every ordered pair of distinct videos with at least one co-viewer, with Pearson's r of
    their per-user watch-time vectors over all users (see the coview_correlation docs).
    The self-join pairs only video_key < other key per user, then mirrors. A view: the tens of
    millions of pairs stream straight into the neighbour ranking and are never written. -#}

with

watches as (
    select
        user_key,
        video_key,
        watch_time_seconds
    from {{ ref('int_coview_watches_capped') }}
),

videos as (
    select * from {{ ref('int_coview_videos_summarized') }}
    where variance_term > 0
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

-- r rounded to 12 decimals, so pairs that tie mathematically also tie after floating-point
-- arithmetic and the lower video_id wins. (`correlation` is a keyword to sqlfluff, but it is
-- the column name the issue fixes, hence the noqa.)
pair_correlations as (
    select
        pair_sums.video_key,
        pair_sums.other_video_key,
        pair_sums.co_viewers,
        round(
            (
                video.user_count * pair_sums.product_sum
                - video.watch_time_sum * other_video.watch_time_sum
            ) / sqrt(video.variance_term * other_video.variance_term),
            12
        ) as correlation  -- noqa: RF04
    from pair_sums
    inner join videos as video
        on pair_sums.video_key = video.video_key
    inner join videos as other_video
        on pair_sums.other_video_key = other_video.video_key
),

mirrored as (
    select
        video_key,
        other_video_key,
        correlation,
        co_viewers
    from pair_correlations
    union all
    select
        other_video_key as video_key,
        video_key as other_video_key,
        correlation,
        co_viewers
    from pair_correlations
),

final as (
    select * from mirrored
)

select * from final
