"""Welch's t-test and Mann-Whitney U of view counts, verified vs not verified authors."""

from engagement_analytics.domains.moderation.group_comparison import compare_groups


def model(dbt, session):
    confidence = float(dbt.config.get("claims_test_confidence"))
    videos = dbt.ref("stg_moderation__claims_videos").order("video_id").df()
    return compare_groups(videos["view_count"], videos["is_verified"], "verified", "not verified", confidence)
