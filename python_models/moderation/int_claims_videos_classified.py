"""Every labelled claims video scored by the three calibrated candidates; the one picked on
validation gives claim_probability and predicted_claim_status."""

from engagement_analytics.domains.moderation.claims_classifier import run_claims_classifier


def model(dbt, session):
    seed = int(dbt.config.get("moderation_seed"))
    validation_share = float(dbt.config.get("claims_validation_share"))
    test_share = float(dbt.config.get("claims_test_share"))
    threshold = float(dbt.config.get("claims_decision_threshold"))
    l2_c = float(dbt.config.get("moderation_l2_c"))
    videos = dbt.ref("stg_moderation__claims_videos").order("video_id").df()
    return run_claims_classifier(videos, seed, validation_share, test_share, threshold, l2_c)
