-- Question (feed): which video correlates most with each video?
-- Answer: video_top_coview_match; here the strongest pairs (each pair once;
-- analysis_head_rows of them, ten by default).
select
    video_id,
    matched_video_id,
    correlation,
    co_viewers
from {{ ref('video_top_coview_match') }}
where video_id < matched_video_id
order by correlation desc, video_id asc
limit {{ var('analysis_head_rows') }}
