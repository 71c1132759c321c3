{#- One row per fan of a top-drop genre (drop_rank <= feed_top_drop_genres) whose fan watch time fell
    from the previous month to the analysis month; contribution_rank 1 = the largest decline
    (ties: the lower user_id). -#}
with

fan_months as (
    select * from {{ ref('int_fan_months_aggregated') }}
),

drops as (
    select * from {{ ref('genre_watch_time_drops') }}
),

users as (
    select * from {{ ref('stg_feed__users') }}
),

top_genres as (
    select
        genre,
        analysis_month,
        previous_month,
        drop_rank,
        watch_time_delta_seconds as genre_delta_seconds
    from drops
    where is_top_drop
),

fans as (
    select
        users.user_id,
        top_genres.genre,
        top_genres.analysis_month,
        top_genres.previous_month,
        top_genres.drop_rank,
        top_genres.genre_delta_seconds
    from users
    inner join top_genres
        on users.preferred_genre = top_genres.genre
),

fan_deltas as (
    select
        fans.user_id,
        fans.genre,
        fans.drop_rank,
        fans.analysis_month,
        fans.genre_delta_seconds,
        coalesce(current_month.fan_watch_time_seconds, 0) as fan_watch_time_seconds,
        coalesce(previous_month.fan_watch_time_seconds, 0) as prev_month_fan_watch_time_seconds
    from fans
    left join fan_months as current_month
        on
            fans.user_id = current_month.user_id
            and fans.analysis_month = current_month.activity_month
    left join fan_months as previous_month
        on
            fans.user_id = previous_month.user_id
            and fans.previous_month = previous_month.activity_month
),

declines as (
    select
        *,
        fan_watch_time_seconds - prev_month_fan_watch_time_seconds as user_delta_seconds
    from fan_deltas
    where fan_watch_time_seconds < prev_month_fan_watch_time_seconds
),

final as (
    select
        user_id,
        genre,
        analysis_month,
        cast(drop_rank as {{ dbt.type_int() }}) as drop_rank,
        cast(prev_month_fan_watch_time_seconds as {{ type_double() }}) as prev_month_fan_watch_time_seconds,
        cast(fan_watch_time_seconds as {{ type_double() }}) as fan_watch_time_seconds,
        cast(user_delta_seconds as {{ type_double() }}) as user_delta_seconds,
        cast(user_delta_seconds / genre_delta_seconds as {{ type_double() }}) as share_of_genre_drop,
        cast(row_number() over (
            partition by genre order by user_delta_seconds asc, user_id asc
        ) as {{ dbt.type_int() }}) as contribution_rank
    from declines
)

select * from final
