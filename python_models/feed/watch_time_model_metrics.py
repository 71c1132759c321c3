"""Watch-time regression metrics (MAE, RMSE, R2) per split, beside each baseline's, in the
shape the shared ml_model_metrics mart unions. Logic: engagement_analytics.domains.feed.watch_time."""

from engagement_analytics.domains.feed.watch_time import metrics_frame


def model(dbt, session):
    scored = dbt.ref("watch_time_model_predictions").order("interaction_id").df()
    return metrics_frame(scored)
