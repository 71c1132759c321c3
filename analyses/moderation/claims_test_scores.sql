-- Question (moderation): how does the classifier rank the labelled videos it never trained on?
-- Answer: claim_predictions on the held-out test split, one row per labelled video with its
-- calibrated claim probability, its true and its predicted status, the most likely claims first.
select
    video_id,
    claim_probability,
    claim_status,
    predicted_claim_status
from {{ ref('claim_predictions') }}
where
    dataset_type = 'test'
    and claim_status is not null
order by claim_probability desc, video_id asc
