"""Most important features of each claims-classifier candidate, refitted on the same train split."""

from engagement_analytics.domains.moderation.claims_classifier import candidate_importance


def model(dbt, session):
    seed = int(dbt.config.get("moderation_seed"))
    validation_share = float(dbt.config.get("claims_validation_share"))
    test_share = float(dbt.config.get("claims_test_share"))
    top_n = int(dbt.config.get("claims_importance_top_n"))
    l2_c = float(dbt.config.get("moderation_l2_c"))
    videos = dbt.ref("stg_moderation__claims_videos").order("video_id").df()
    return candidate_importance(videos, seed, validation_share, test_share, top_n, l2_c)
