-- Question (feed): which genres (the top feed_top_drop_genres, three by default) lost the most watch time
-- among their fans last month?
-- Answer: genre_watch_time_drops, the genres ranked by their fans' drop in the analysis month.
select
    drop_rank,
    genre,
    analysis_month,
    prev_month_fan_watch_time_seconds,
    fan_watch_time_seconds,
    watch_time_delta_seconds,
    watch_time_delta_pct,
    active_fans
from {{ ref('genre_watch_time_drops') }}
where is_top_drop
order by drop_rank
