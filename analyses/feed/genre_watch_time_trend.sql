-- Question (feed): how has each genre's fan watch time moved month by month?
-- Answer: genre_fan_watch_time_monthly, every genre and calendar month (zero-filled), the latest
-- month first and, within a month, the genres with the most fan watch time first.
select
    activity_month,
    genre,
    fan_watch_time_seconds,
    prev_month_fan_watch_time_seconds,
    watch_time_delta_pct,
    active_fans
from {{ ref('genre_fan_watch_time_monthly') }}
order by activity_month desc, fan_watch_time_seconds desc, genre asc
