"""Expression profiles clustered into segments: one row per face user with enough expressions.

The logic lives in engagement_analytics.face.segments; this model reads, calls and returns.
"""

from engagement_analytics.face.segments import segment_users


def model(dbt, session):
    k_min = int(dbt.config.get("expression_segment_k_min"))
    k_max = int(dbt.config.get("expression_segment_k_max"))
    seed = int(dbt.config.get("expression_segment_seed"))
    min_expressions = int(dbt.config.get("expression_segment_min_expressions"))
    expressions = dbt.ref("stg_face__expressions").order("user_id, recorded_at, expression_type").df()
    return segment_users(expressions, k_min=k_min, k_max=k_max, seed=seed, min_expressions=min_expressions)
