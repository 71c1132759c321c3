-- Question (moderation): do verified and unverified accounts' videos differ in views?
-- Answer: claims_view_count_test, Welch's t-test with a Mann-Whitney U robustness row.
select
    test_name,
    group_a,
    group_b,
    n_a,
    n_b,
    mean_a,
    mean_b,
    mean_difference,
    statistic,
    p_value,
    ci_lower,
    ci_upper,
    effect_size,
    effect_size_measure
from {{ ref('claims_view_count_test') }}
order by test_name
