-- Question (moderation): what do near-perfect classifier scores on this data mean?
-- Answer: claims_leakage_audit, single features ranked by how well one rule on them alone
-- separates claims from opinions.
select
    feature,
    feature_kind,
    best_rule,
    accuracy,
    is_leaky
from {{ ref('claims_leakage_audit') }}
order by accuracy desc, feature asc
