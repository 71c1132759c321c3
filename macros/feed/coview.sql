{#- The co-view pair computation that video_coview_neighbors and the offline evaluation's
    fit-window neighbours share (see the coview_correlation docs). Emits three CTEs, ending in
    `coview_pairs_mirrored` (video_key, other_video_key, correlation, co_viewers): every ordered
    pair of distinct videos with a co-viewer and Pearson's r over all users. `watches` names a
    CTE of (user_key, video_key, watch_time_seconds) on dense integer keys; `videos` one of
    (video_key, user_count, watch_time_sum, variance_term). The self-join pairs only
    video_key < other key per user and mirrors afterwards; r is rounded to 12 decimals so that
    pairs that tie mathematically also tie after floating-point arithmetic. -#}
{% macro coview_pair_ctes(watches, videos) %}
coview_pair_sums as (
    select
        left_watch.video_key,
        right_watch.video_key as other_video_key,
        sum(left_watch.watch_time_seconds * right_watch.watch_time_seconds) as product_sum,
        count(*) as co_viewers
    from {{ watches }} as left_watch
    inner join {{ watches }} as right_watch
        on
            left_watch.user_key = right_watch.user_key
            and left_watch.video_key < right_watch.video_key
    group by left_watch.video_key, right_watch.video_key
),

coview_pair_correlations as (
    select
        coview_pair_sums.video_key,
        coview_pair_sums.other_video_key,
        coview_pair_sums.co_viewers,
        round(
            (
                video.user_count * coview_pair_sums.product_sum
                - video.watch_time_sum * other_video.watch_time_sum
            ) / sqrt(video.variance_term * other_video.variance_term),
            {{ coview_correlation_decimals() }}
        ) as correlation
    from coview_pair_sums
    inner join {{ videos }} as video
        on coview_pair_sums.video_key = video.video_key
    inner join {{ videos }} as other_video
        on coview_pair_sums.other_video_key = other_video.video_key
    where video.variance_term > 0 and other_video.variance_term > 0
),

coview_pairs_mirrored as (
    select
        video_key,
        other_video_key,
        correlation,
        co_viewers
    from coview_pair_correlations
    union all
    select
        other_video_key as video_key,
        video_key as other_video_key,
        correlation,
        co_viewers
    from coview_pair_correlations
)
{% endmacro %}
