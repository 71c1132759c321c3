{#- Exactly feed_recommendations_per_user videos for every user in staging, none already watched:
    the blend of co_view, genre_trending, fresh and popular computed on every interaction (fit 1,
    `serving`). See the recommendation_rules docs. -#}
with

fit_users as (
    select * from {{ ref('int_fit_users_profiled') }}
    where fit_id = {{ feed_fit_id('serving') }}
),

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
    where fit_id = {{ feed_fit_id('serving') }}
),

pooled as (
    select * from {{ ref('int_fit_user_candidates_pooled') }}
    where fit_id = {{ feed_fit_id('serving') }}
),

neighbors as (
    select * from {{ ref('video_coview_neighbors') }}
),

co_view as (
    {{ feed_coview_source('user_videos', 'neighbors') }}
),

candidates as (
    select * from pooled
    union all
    select * from co_view
),

{{ feed_blend_ctes('candidates', 'serving') }}

final as (
    select
        serving_blended.user_id,
        cast(serving_blended.recommendation_rank as {{ dbt.type_int() }}) as recommendation_rank,
        serving_blended.video_id,
        cast(serving_blended.score as {{ type_double() }}) as score,
        serving_blended.reason
    from serving_blended
    inner join fit_users
        on serving_blended.user_id = fit_users.user_id
)

select * from final
