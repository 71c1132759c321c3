-- Question (moderation): how many videos does the classifier send to review as claims?
-- Answer: claim_predictions, every video by its predicted status.
select
    predicted_claim_status,
    count(*) as videos
from {{ ref('claim_predictions') }}
group by predicted_claim_status
order by videos desc, predicted_claim_status asc
