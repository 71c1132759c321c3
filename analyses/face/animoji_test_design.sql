-- Question (face): how should the animoji test (animoji_enhanced_mapping) be sized?
-- Answer: experiment_power, the minimum detectable effect with the assigned sample (with and
-- without CUPED) and the users needed to detect a 2% lift.
select
    metric,
    variant,
    users,
    control_users,
    mde_rel,
    cuped_mde_rel,
    target_lift_rel,
    users_needed,
    cuped_users_needed
from {{ ref('experiment_power') }}
where experiment_id = 'animoji_enhanced_mapping'
order by metric, variant
