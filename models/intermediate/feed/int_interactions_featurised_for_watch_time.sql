{#- One row per clean interaction with the features the watch-time model may use: only what
    was known before the click. "Before" is strictly earlier in time: the running totals are
    taken through the click's timestamp and the click's own timestamp group (ties included)
    is subtracted, so an interaction never sees itself or anything at the same instant. -#}

with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

users as (
    select * from {{ ref('stg_feed__users') }}
),

videos as (
    select * from {{ ref('stg_feed__videos') }}
),

enriched as (
    select
        interactions.interaction_id,
        interactions.user_id,
        interactions.video_id,
        interactions.first_clicked_at,
        interactions.interaction_type,
        interactions.watch_time_seconds,
        users.preferred_genre,
        videos.genre as video_genre,
        videos.upload_date,
        cast(interactions.first_clicked_at as date) as clicked_date
    from interactions
    inner join users
        on interactions.user_id = users.user_id
    inner join videos
        on interactions.video_id = videos.video_id
),

histories as (
    select
        interaction_id,
        user_id,
        video_id,
        first_clicked_at,
        interaction_type,
        watch_time_seconds,
        preferred_genre,
        video_genre,
        upload_date,
        clicked_date,
        count(*) over (
            partition by user_id order by first_clicked_at
            range between unbounded preceding and current row
        ) - count(*) over (partition by user_id, first_clicked_at) as user_prior_interactions,
        sum(watch_time_seconds) over (
            partition by user_id order by first_clicked_at
            range between unbounded preceding and current row
        ) - sum(watch_time_seconds) over (partition by user_id, first_clicked_at) as user_prior_watch_time_seconds,
        count(*) over (
            partition by video_id order by first_clicked_at
            range between unbounded preceding and current row
        ) - count(*) over (partition by video_id, first_clicked_at) as video_prior_interactions
    from enriched
),

genre_days as (
    select
        video_genre,
        clicked_date,
        count(*) as interactions,
        sum(watch_time_seconds) as watch_time_seconds
    from enriched
    group by video_genre, clicked_date
),

-- The cold-start fallback: the genre's mean watch time over the days before the click's day.
genre_priors as (
    select
        video_genre,
        clicked_date,
        sum(watch_time_seconds) over (
            partition by video_genre order by clicked_date
            rows between unbounded preceding and 1 preceding
        ) / sum(interactions) over (
            partition by video_genre order by clicked_date
            rows between unbounded preceding and 1 preceding
        ) as genre_prior_mean_watch_time_seconds
    from genre_days
),

final as (
    select
        histories.interaction_id,
        histories.user_id,
        histories.video_id,
        histories.first_clicked_at,
        histories.watch_time_seconds,
        histories.interaction_type,
        histories.preferred_genre,
        histories.video_genre,
        coalesce(histories.preferred_genre = histories.video_genre, false) as is_preferred_genre,
        histories.user_prior_interactions,
        histories.user_prior_interactions = 0 as is_cold_start_user,
        case
            when histories.user_prior_interactions > 0
                then histories.user_prior_watch_time_seconds / histories.user_prior_interactions
            else genre_priors.genre_prior_mean_watch_time_seconds
        end as user_prior_mean_watch_time_seconds,
        {{ dbt.datediff(dbt.safe_cast('histories.upload_date', dbt.type_timestamp()),
                        'histories.first_clicked_at', 'second') }} / 86400.0 as video_age_days,
        histories.video_prior_interactions
    from histories
    left join genre_priors
        on
            histories.video_genre = genre_priors.video_genre
            and histories.clicked_date = genre_priors.clicked_date
)

select * from final
