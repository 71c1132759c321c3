{#- One row per watched video: the marginal sums of its (capped) per-user watch-time vector
    and its variance term N * sum(x^2) - sum(x)^2 over all N users in staging. -#}

with

watches as (
    select * from {{ ref('int_coview_watches_capped') }}
),

users as (
    select count(*) as user_count from {{ ref('stg_feed__users') }}
),

video_sums as (
    select
        video_key,
        video_id,
        count(*) as viewers,
        sum(watch_time_seconds) as watch_time_sum,
        sum(watch_time_seconds * watch_time_seconds) as watch_time_sum_of_squares
    from watches
    group by video_key, video_id
),

final as (
    select
        video_sums.video_key,
        video_sums.video_id,
        video_sums.viewers,
        video_sums.watch_time_sum,
        video_sums.watch_time_sum_of_squares,
        users.user_count,
        users.user_count * video_sums.watch_time_sum_of_squares
        - video_sums.watch_time_sum * video_sums.watch_time_sum as variance_term
    from video_sums
    cross join users
)

select * from final
