-- Question (feed): which users drove the drop in each of the top-drop genres?
-- Answer: genre_decline_contributors; per genre, the largest declines (feed_drop_drivers_per_genre,
-- five by default) and how few fans carry half of the genre's drop.
with

contributors as (
    select * from {{ ref('genre_decline_contributors') }}
),

cumulative as (
    select
        genre,
        contribution_rank,
        sum(share_of_genre_drop) over (
            partition by genre order by contribution_rank
            rows between unbounded preceding and current row
        ) as cumulative_share
    from contributors
),

fans_for_half as (
    select
        genre,
        min(contribution_rank) as fans_carrying_half_of_drop
    from cumulative
    where cumulative_share >= 0.5
    group by genre
),

final as (
    select
        contributors.drop_rank,
        contributors.genre,
        contributors.contribution_rank,
        contributors.user_id,
        contributors.prev_month_fan_watch_time_seconds,
        contributors.fan_watch_time_seconds,
        contributors.user_delta_seconds,
        contributors.share_of_genre_drop,
        fans_for_half.fans_carrying_half_of_drop
    from contributors
    left join fans_for_half on contributors.genre = fans_for_half.genre
    where contributors.contribution_rank <= {{ var('feed_drop_drivers_per_genre') }}
)

select * from final
order by drop_rank, contribution_rank
