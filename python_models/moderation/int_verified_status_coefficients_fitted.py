"""Coefficients of the verified-status logistic regression (one row per feature)."""

from engagement_analytics.domains.moderation.verified_status import fit_verified_status_model


def model(dbt, session):
    seed = int(dbt.config.get("moderation_seed"))
    test_share = float(dbt.config.get("verified_status_test_share"))
    l2_c = float(dbt.config.get("moderation_l2_c"))
    videos = dbt.ref("stg_moderation__claims_videos").order("video_id").df()
    return fit_verified_status_model(videos, seed, test_share, l2_c).coefficients
