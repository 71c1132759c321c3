-- Question (feed): how far does co-view correlation reach across the catalogue?
-- Answer: video_top_coview_match against stg_feed__videos: how many videos have a top match
-- and how strong matches typically are.
with

videos as (
    select video_id from {{ ref('feed_videos') }}
),

matches as (
    select * from {{ ref('video_top_coview_match') }}
),

final as (
    select
        count(distinct videos.video_id) as videos,
        count(distinct matches.video_id) as videos_with_match,
        count(distinct matches.video_id) * 1.0 / count(distinct videos.video_id) as share_with_match,
        median(matches.correlation) as median_top_correlation,
        avg(case when matches.correlation >= 0.5 then 1.0 else 0.0 end) as share_of_matches_above_half
    from videos
    left join matches on videos.video_id = matches.video_id
)

select * from final
