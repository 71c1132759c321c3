-- Question (moderation): how should the review queue be ordered?
-- Answer: claim_predictions by review_priority (1 = review first); the head of the queue.
select
    review_priority,
    video_id,
    claim_probability,
    predicted_claim_status,
    claim_status,
    dataset_type
from {{ ref('claim_predictions') }}
order by review_priority
limit {{ var('analysis_head_rows') }}
