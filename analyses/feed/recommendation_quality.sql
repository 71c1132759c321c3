-- Question (feed): do the blended recommendations beat simply recommending what is popular?
-- Answer: recommendation_offline_eval, every strategy on the time-based holdout.
select
    strategy,
    k,
    users_evaluated,
    precision_at_k,
    recall_at_k,
    ndcg_at_k,
    hit_rate_at_k
from {{ ref('recommendation_offline_eval') }}
order by k asc, ndcg_at_k desc
