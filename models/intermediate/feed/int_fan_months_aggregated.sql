{#- One row per fan per calendar month in which the fan watched videos of their own genre. -#}
{#- A view: read only while the two genre marts are built. -#}
{{ config(materialized='view') }}
with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

videos as (
    select * from {{ ref('stg_feed__videos') }}
),

users as (
    select * from {{ ref('stg_feed__users') }}
),

fan_interactions as (
    select
        interactions.user_id,
        users.preferred_genre as genre,
        interactions.watch_time_seconds,
        cast({{ dbt.date_trunc('month', 'interactions.first_clicked_at') }} as date) as activity_month
    from interactions
    inner join videos
        on interactions.video_id = videos.video_id
    inner join users
        on interactions.user_id = users.user_id
    where videos.genre = users.preferred_genre
),

final as (
    select
        user_id,
        genre,
        activity_month,
        sum(watch_time_seconds) as fan_watch_time_seconds,
        count(*) as fan_interactions
    from fan_interactions
    group by user_id, genre, activity_month
)

select * from final
