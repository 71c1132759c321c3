{#- What each user watched in each fit window: one row per fit, user and video, with the
    user's most recently watched videos first (recency_rank). -#}
with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

fits as (
    select * from {{ ref('int_recommendation_fits_defined') }}
),

fit_interactions as (
    select
        fits.fit_id,
        interactions.user_id,
        interactions.video_id,
        interactions.watch_time_seconds,
        interactions.first_clicked_at
    from interactions
    inner join fits
        on interactions.first_clicked_at < fits.fit_end_date
),

user_videos as (
    select
        fit_id,
        user_id,
        video_id,
        sum(watch_time_seconds) as watch_time_seconds,
        count(*) as interactions,
        max(first_clicked_at) as last_watched_at
    from fit_interactions
    group by fit_id, user_id, video_id
),

final as (
    select
        fit_id,
        user_id,
        video_id,
        cast(watch_time_seconds as {{ type_double() }}) as watch_time_seconds,
        interactions,
        last_watched_at,
        row_number() over (
            partition by fit_id, user_id
            order by last_watched_at desc, video_id desc
        ) as recency_rank
    from user_videos
)

select * from final
