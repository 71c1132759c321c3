{#- Every video that exists in a fit window (uploaded before its end), with the rankings the
    strategies draw from: overall popularity, trending within its genre, and the rotation
    positions of fresh videos. -#}
with

videos as (
    select * from {{ ref('stg_feed__videos') }}
),

fits as (
    select * from {{ ref('int_recommendation_fits_defined') }}
),

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
),

genres as (
    select
        genre,
        dense_rank() over (order by genre) as genre_key
    from videos
    where genre is not null
    group by genre
),

fit_videos as (
    select
        fits.fit_id,
        videos.video_id,
        videos.genre,
        genres.genre_key,
        videos.upload_date,
        videos.upload_date >= fits.fresh_start_date as is_fresh,
        fits.trending_start_date
    from videos
    inner join genres
        on videos.genre = genres.genre
    inner join fits
        on videos.upload_date < fits.fit_end_date
),

viewing as (
    select
        user_videos.fit_id,
        user_videos.video_id,
        count(*) as viewers,
        sum(user_videos.watch_time_seconds) as watch_time_seconds,
        sum(case when user_videos.last_watched_at >= fit_videos.trending_start_date then 1 else 0 end)
            as recent_viewers
    from user_videos
    inner join fit_videos
        on
            user_videos.fit_id = fit_videos.fit_id
            and user_videos.video_id = fit_videos.video_id
    group by user_videos.fit_id, user_videos.video_id
),

measured as (
    select
        fit_videos.fit_id,
        fit_videos.video_id,
        fit_videos.genre,
        fit_videos.genre_key,
        fit_videos.upload_date,
        fit_videos.is_fresh,
        coalesce(viewing.viewers, 0) as viewers,
        coalesce(viewing.recent_viewers, 0) as recent_viewers,
        coalesce(viewing.watch_time_seconds, 0) as watch_time_seconds
    from fit_videos
    left join viewing
        on
            fit_videos.fit_id = viewing.fit_id
            and fit_videos.video_id = viewing.video_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by fit_id
            order by viewers desc, watch_time_seconds desc, video_id asc
        ) as popularity_rank,
        row_number() over (
            partition by fit_id, genre_key
            order by recent_viewers desc, viewers desc, video_id asc
        ) as genre_trending_rank,
        row_number() over (
            partition by fit_id, is_fresh, genre_key order by video_id
        ) - 1 as genre_freshness_position,
        row_number() over (
            partition by fit_id, is_fresh order by video_id
        ) - 1 as freshness_position,
        max(viewers) over (partition by fit_id) as top_viewers,
        max(recent_viewers) over (partition by fit_id, genre_key) as genre_top_recent_viewers,
        sum(case when is_fresh then 1 else 0 end) over (partition by fit_id, genre_key) as fresh_genre_count,
        sum(case when is_fresh then 1 else 0 end) over (partition by fit_id) as fresh_count,
        max(case when is_fresh then viewers end) over (partition by fit_id) as fresh_top_viewers
    from measured
),

final as (
    select
        fit_id,
        video_id,
        genre,
        cast(genre_key as {{ dbt.type_int() }}) as genre_key,
        upload_date,
        is_fresh,
        viewers,
        recent_viewers,
        cast(watch_time_seconds as {{ type_double() }}) as watch_time_seconds,
        popularity_rank,
        genre_trending_rank,
        cast(viewers as {{ type_double() }}) / nullif(top_viewers, 0) as popularity_score,
        cast(recent_viewers as {{ type_double() }}) / nullif(genre_top_recent_viewers, 0) as trending_score,
        cast(viewers as {{ type_double() }}) / nullif(fresh_top_viewers, 0) as fresh_score,
        case when is_fresh then genre_freshness_position end as fresh_genre_position,
        fresh_genre_count,
        case when is_fresh then freshness_position end as fresh_position,
        fresh_count
    from ranked
)

select * from final
