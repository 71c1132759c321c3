-- Question (moderation): what does the claims data look like?
-- Answer: claims_engagement_summary rolled up to claim status: videos, typical reach and
-- engagement per view.
select
    claim_status,
    sum(videos) as videos,
    sum(mean_view_count * videos) / sum(videos) as mean_view_count,
    sum(likes_per_view * videos) / sum(videos) as mean_likes_per_view,
    sum(shares_per_view * videos) / sum(videos) as mean_shares_per_view,
    sum(case when verified_status = 'verified' then videos else 0 end) * 1.0 / sum(videos) as verified_share,
    sum(case when author_ban_status != 'active' then videos else 0 end) * 1.0 / sum(videos) as not_active_author_share
from {{ ref('claims_engagement_summary') }}
group by claim_status
order by claim_status
