{#- The users each fit window makes lists for: every user in staging for `serving`, the users
    with at least one holdout interaction for `evaluation`; with how much of the catalogue each
    has already watched, which sizes their candidate pools. -#}
with

users as (
    select * from {{ ref('stg_feed__users') }}
),

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

fits as (
    select * from {{ ref('int_recommendation_fits_defined') }}
),

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
),

fit_videos as (
    select * from {{ ref('int_fit_videos_ranked') }}
),

genres as (
    select distinct
        genre,
        genre_key
    from fit_videos
),

holdout_users as (
    select distinct
        fits.fit_id,
        interactions.user_id
    from interactions
    inner join fits
        on
            interactions.first_clicked_at >= fits.fit_end_date
            and interactions.first_clicked_at < fits.holdout_end_date
),

fit_users as (
    select
        fits.fit_id,
        users.user_id
    from users
    cross join fits
    where fits.holdout_end_date is null
    union all
    select
        fit_id,
        user_id
    from holdout_users
),

watched as (
    select
        user_videos.fit_id,
        user_videos.user_id,
        count(*) as watched_videos,
        sum(case when fit_videos.is_fresh then 1 else 0 end) as watched_fresh_videos
    from user_videos
    inner join fit_videos
        on
            user_videos.fit_id = fit_videos.fit_id
            and user_videos.video_id = fit_videos.video_id
    group by user_videos.fit_id, user_videos.user_id
),

final as (
    select
        fit_users.fit_id,
        fit_users.user_id,
        users.preferred_genre,
        genres.genre_key,
        coalesce(watched.watched_videos, 0) as watched_videos,
        coalesce(watched.watched_fresh_videos, 0) as watched_fresh_videos
    from fit_users
    inner join users
        on fit_users.user_id = users.user_id
    left join genres
        on users.preferred_genre = genres.genre
    left join watched
        on
            fit_users.fit_id = watched.fit_id
            and fit_users.user_id = watched.user_id
)

select * from final
