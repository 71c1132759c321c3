-- Question (feed): what do users with no history get, and how much of every list explores
-- fresh videos?
-- Answer: user_video_recommendations; the reasons behind the slots, for cold-start users
-- (no interactions) and for users with history.
with

recommendations as (
    select * from {{ ref('user_video_recommendations') }}
),

watchers as (
    select distinct user_id from {{ ref('feed_interactions') }}
),

labelled as (
    select
        recommendations.user_id,
        recommendations.reason,
        case when watchers.user_id is null then 'cold_start' else 'with_history' end as user_group
    from recommendations
    left join watchers on recommendations.user_id = watchers.user_id
),

final as (
    select
        user_group,
        reason,
        count(distinct user_id) as users_with_reason,
        count(*) as slots,
        count(*) * 1.0 / sum(count(*)) over (partition by user_group) as share_of_slots
    from labelled
    group by user_group, reason
)

select * from final
order by user_group asc, slots desc
