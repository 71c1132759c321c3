{#- The top match is the rank-1 co-view neighbour, unless that neighbour's r is not positive:
    then a video with no co-viewer at all can correlate higher (its r is
    -scale_a * scale_b < 0, scale = sum / sqrt(variance term)), and the best such video is
    compared too, so the match is the highest r over every other video. -#}

with

neighbors as (
    select * from {{ ref('video_coview_neighbors') }}
),

watches as (
    select
        user_key,
        video_key
    from {{ ref('int_coview_watches_capped') }}
),

videos as (
    select * from {{ ref('int_coview_videos_summarised') }}
    where variance_term > 0
),

best_neighbor as (
    select
        video_id,
        neighbor_video_id as matched_video_id,
        correlation,
        co_viewers
    from neighbors
    where neighbor_rank = 1
),

-- For a pair with no co-viewer r = -scale_a * scale_b, so the best such partner of any video
-- is the non-co-viewed video with the smallest scale (ties: the lower video_id).
video_scales as (
    select
        video_key,
        video_id,
        watch_time_sum / sqrt(variance_term) as scale,
        row_number() over (order by watch_time_sum / sqrt(variance_term) asc, video_key asc) as scale_order
    from videos
),

weak_videos as (
    select
        video_scales.video_key,
        video_scales.video_id,
        video_scales.scale
    from best_neighbor
    inner join video_scales
        on best_neighbor.video_id = video_scales.video_id
    where best_neighbor.correlation <= 0
),

-- The co-viewed partners of the (rare) weak videos, straight from the watch matrix.
weak_partners as (
    select distinct
        weak_videos.video_key,
        partner_watch.video_key as partner_video_key
    from weak_videos
    inner join watches as own_watch
        on weak_videos.video_key = own_watch.video_key
    inner join watches as partner_watch
        on
            own_watch.user_key = partner_watch.user_key
            and own_watch.video_key != partner_watch.video_key
),

weak_degrees as (
    select
        weak_videos.video_key,
        weak_videos.video_id,
        weak_videos.scale,
        count(weak_partners.partner_video_key) as partner_count
    from weak_videos
    left join weak_partners
        on weak_videos.video_key = weak_partners.video_key
    group by weak_videos.video_key, weak_videos.video_id, weak_videos.scale
),

-- Among the first partner_count + 2 videos by scale at least one is neither the video itself
-- nor one of its co-viewed partners.
non_coviewed_candidates as (
    select
        weak_degrees.video_id,
        candidate.video_id as matched_video_id,
        round(-weak_degrees.scale * candidate.scale, {{ coview_correlation_decimals() }}) as correlation,  -- noqa: RF04
        row_number() over (
            partition by weak_degrees.video_id
            order by candidate.scale_order asc
        ) as candidate_rank
    from weak_degrees
    inner join video_scales as candidate
        on
            weak_degrees.partner_count + 2 >= candidate.scale_order
            and weak_degrees.video_key != candidate.video_key
    left join weak_partners
        on
            weak_degrees.video_key = weak_partners.video_key
            and candidate.video_key = weak_partners.partner_video_key
    where weak_partners.video_key is null
),

candidates as (
    select
        video_id,
        matched_video_id,
        correlation,
        co_viewers
    from best_neighbor
    union all
    select
        video_id,
        matched_video_id,
        correlation,
        cast(0 as {{ dbt.type_bigint() }}) as co_viewers
    from non_coviewed_candidates
    where candidate_rank = 1
),

ranked as (
    select
        video_id,
        matched_video_id,
        correlation,
        co_viewers,
        row_number() over (
            partition by video_id
            order by correlation desc, matched_video_id asc
        ) as match_rank
    from candidates
),

final as (
    select
        video_id,
        matched_video_id,
        correlation,
        co_viewers
    from ranked
    where match_rank = 1
)

select * from final
