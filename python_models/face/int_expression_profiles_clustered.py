"""Expression profiles clustered into segments: one row per face user with a profile.

The logic lives in engagement_analytics.domains.face.segments; this model reads, calls and returns.
"""

from engagement_analytics.domains.face.segments import segment_users


def model(dbt, session):
    k_min = int(dbt.config.get("expression_segment_k_min"))
    k_max = int(dbt.config.get("expression_segment_k_max"))
    seed = int(dbt.config.get("expression_segment_seed"))
    profiles = dbt.ref("int_expression_profiles_aggregated").order("user_id").df()
    type_shares = dbt.ref("int_expression_type_shares_aggregated").order("user_id, expression_type").df()
    return segment_users(profiles, type_shares, k_min=k_min, k_max=k_max, seed=seed)
