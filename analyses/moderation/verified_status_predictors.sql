-- Question (moderation): what predicts whether an account is verified?
-- Answer: verified_status_coefficients, strongest effects first.
select
    feature,
    coefficient,
    odds_ratio,
    variance_inflation_factor
from {{ ref('verified_status_coefficients') }}
order by abs(coefficient) desc
