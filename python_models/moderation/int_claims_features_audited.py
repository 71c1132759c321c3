"""Leakage audit: accuracy of the best single-feature rule for each feature of a claims video."""

from engagement_analytics.domains.moderation.leakage import leakage_audit


def model(dbt, session):
    flag_at = float(dbt.config.get("claims_leakage_flag_accuracy"))
    videos = dbt.ref("stg_moderation__claims_videos").order("video_id").df()
    return leakage_audit(videos, flag_at)
