{#- Candidate videos per fit window and user from the strategies that need no co-view data:
    `popular`, `genre_trending` (the user's preferred genre) and `fresh` (in rotation), never a
    video the user watched in the fit window; source_rank orders each source for the user.

    Spill-safe pools: a user who watched h videos needs at most h + N + fresh slots candidates
    from a ranked list to be sure of N unwatched ones. Each user gets positions 1..h (their
    own history rows) plus h+1..h+N+fresh slots (a small series), and the positions are joined
    to the rankings on integer equality; the total is the size of the watch history plus a
    constant per user, never users x videos. -#}
{%- set pool_extra = var('feed_recommendations_per_user') + feed_fresh_slots() %}
with

fit_users as (
    select * from {{ ref('int_fit_users_profiled') }}
),

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
),

fit_videos as (
    select * from {{ ref('int_fit_videos_ranked') }}
),

extra_positions as (
    {{ dbt.generate_series(pool_extra) }}
),

fit_user_videos as (
    select
        user_videos.fit_id,
        user_videos.user_id,
        user_videos.video_id,
        user_videos.recency_rank
    from user_videos
    inner join fit_users
        on
            user_videos.fit_id = fit_users.fit_id
            and user_videos.user_id = fit_users.user_id
),

positions as (
    select
        fit_id,
        user_id,
        recency_rank as pool_position
    from fit_user_videos
    union all
    select
        fit_users.fit_id,
        fit_users.user_id,
        fit_users.watched_videos + extra_positions.generated_number as pool_position
    from fit_users
    cross join extra_positions
),

user_positions as (
    select
        positions.fit_id,
        positions.user_id,
        positions.pool_position,
        fit_users.genre_key,
        fit_users.watched_fresh_videos
    from positions
    inner join fit_users
        on
            positions.fit_id = fit_users.fit_id
            and positions.user_id = fit_users.user_id
),

popular as (
    select
        user_positions.fit_id,
        user_positions.user_id,
        fit_videos.video_id,
        'popular' as candidate_source,
        0 as pool_tier,
        cast(fit_videos.popularity_rank as {{ dbt.type_bigint() }}) as pool_rank,
        fit_videos.popularity_score as score
    from user_positions
    inner join fit_videos
        on
            user_positions.fit_id = fit_videos.fit_id
            and user_positions.pool_position = fit_videos.popularity_rank
),

genre_trending as (
    select
        user_positions.fit_id,
        user_positions.user_id,
        fit_videos.video_id,
        'genre_trending' as candidate_source,
        0 as pool_tier,
        cast(fit_videos.genre_trending_rank as {{ dbt.type_bigint() }}) as pool_rank,
        coalesce(fit_videos.trending_score, 0) as score
    from user_positions
    inner join fit_videos
        on
            user_positions.fit_id = fit_videos.fit_id
            and user_positions.genre_key = fit_videos.genre_key
            and user_positions.pool_position = fit_videos.genre_trending_rank
),

fresh_genre_counts as (
    select
        fit_id,
        genre_key,
        max(fresh_genre_count) as fresh_genre_count
    from fit_videos
    where is_fresh
    group by fit_id, genre_key
),

fresh_totals as (
    select
        fit_id,
        max(fresh_count) as fresh_count
    from fit_videos
    where is_fresh
    group by fit_id
),

-- Fresh videos in rotation: user u's p-th pick is the video at position (u + p - 1) modulo the
-- number of fresh videos, first among the fresh videos of the user's genre, then among all.
-- The sum is taken modulo the count term by term, so an id near the BIGINT limit cannot
-- overflow, and a negative id still lands on a position (0 .. count - 1).
fresh_positions as (
    select
        user_positions.fit_id,
        user_positions.user_id,
        user_positions.genre_key,
        user_positions.pool_position,
        mod(
            mod(user_positions.user_id, fresh_genre_counts.fresh_genre_count)
            + fresh_genre_counts.fresh_genre_count
            + mod(user_positions.pool_position - 1, fresh_genre_counts.fresh_genre_count),
            fresh_genre_counts.fresh_genre_count
        ) as genre_rotation_position,
        mod(
            mod(user_positions.user_id, fresh_totals.fresh_count)
            + fresh_totals.fresh_count
            + mod(user_positions.pool_position - 1, fresh_totals.fresh_count),
            fresh_totals.fresh_count
        ) as rotation_position
    from user_positions
    inner join fresh_totals
        on user_positions.fit_id = fresh_totals.fit_id
    left join fresh_genre_counts
        on
            user_positions.fit_id = fresh_genre_counts.fit_id
            and user_positions.genre_key = fresh_genre_counts.genre_key
    where user_positions.pool_position <= {{ feed_fresh_slots() }} + user_positions.watched_fresh_videos
),

fresh_in_genre as (
    select
        fresh_positions.fit_id,
        fresh_positions.user_id,
        fit_videos.video_id,
        0 as pool_tier,
        fresh_positions.pool_position as pool_rank,
        coalesce(fit_videos.fresh_score, 0) as score
    from fresh_positions
    inner join fit_videos
        on
            fresh_positions.fit_id = fit_videos.fit_id
            and fresh_positions.genre_key = fit_videos.genre_key
            and fresh_positions.genre_rotation_position = fit_videos.fresh_genre_position
),

fresh_anywhere as (
    select
        fresh_positions.fit_id,
        fresh_positions.user_id,
        fit_videos.video_id,
        -- after every pick from the user's own genre
        1 as pool_tier,
        fresh_positions.pool_position as pool_rank,
        coalesce(fit_videos.fresh_score, 0) as score
    from fresh_positions
    inner join fit_videos
        on
            fresh_positions.fit_id = fit_videos.fit_id
            and fresh_positions.rotation_position = fit_videos.fresh_position
),

fresh_picks as (
    select * from fresh_in_genre
    union all
    select * from fresh_anywhere
),

-- A video picked both ways keeps its earlier pick: the lower tier, then the lower position
-- (its score is the video's fresh_score either way).
fresh_ordered as (
    select
        *,
        row_number() over (
            partition by fit_id, user_id, video_id order by pool_tier, pool_rank
        ) as pick_order
    from fresh_picks
),

fresh as (
    select
        fit_id,
        user_id,
        video_id,
        'fresh' as candidate_source,
        pool_tier,
        cast(pool_rank as {{ dbt.type_bigint() }}) as pool_rank,
        score
    from fresh_ordered
    where pick_order = 1
),

candidates as (
    select * from popular
    union all
    select * from genre_trending
    union all
    select * from fresh
),

unwatched as (
    select candidates.*
    from candidates
    left join fit_user_videos
        on
            candidates.fit_id = fit_user_videos.fit_id
            and candidates.user_id = fit_user_videos.user_id
            and candidates.video_id = fit_user_videos.video_id
    where fit_user_videos.video_id is null
),

ranked as (
    select
        fit_id,
        user_id,
        video_id,
        candidate_source,
        row_number() over (
            partition by fit_id, user_id, candidate_source order by pool_tier, pool_rank, video_id
        ) as source_rank,
        score
    from unwatched
),

-- No list needs more than N + fresh slots candidates from one source.
final as (
    select
        fit_id,
        user_id,
        video_id,
        candidate_source,
        cast(source_rank as {{ dbt.type_int() }}) as source_rank,
        cast(score as {{ type_double() }}) as score
    from ranked
    where source_rank <= {{ pool_extra }}
)

select * from final
