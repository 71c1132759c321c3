"""Validation metrics of the three claims-classifier candidates and train/test metrics of the one
picked, in the ml_model_metrics layout (computed from the stored predictions; nothing is refitted)."""

from engagement_analytics.domains.moderation.claims_classifier import classifier_metrics


def model(dbt, session):
    threshold = float(dbt.config.get("claims_decision_threshold"))
    predictions = dbt.ref("int_claims_videos_classified").order("video_id").df()
    return classifier_metrics(predictions, threshold)
