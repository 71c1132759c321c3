"""Daily interaction time forecast per user and product: one row per series and forecast date.

The logic lives in engagement_analytics.domains.face.forecasting; this model reads, calls and returns.
"""

from engagement_analytics.domains.face.forecasting import ModelParams, forecast_panel, panel_from_sessions


def model(dbt, session):
    horizon = int(dbt.config.get("forecast_horizon_days"))
    min_history_days = int(dbt.config.get("forecast_min_history_days"))
    fit_window_days = int(dbt.config.get("forecast_fit_window_days"))
    level_half_life_days = float(dbt.config.get("forecast_level_half_life_days"))
    trend_damping = float(dbt.config.get("forecast_trend_damping"))
    seasonal_shrinkage = float(dbt.config.get("forecast_seasonal_shrinkage"))
    params = ModelParams(
        fit_window_days=fit_window_days,
        level_half_life_days=level_half_life_days,
        trend_damping=trend_damping,
        seasonal_shrinkage=seasonal_shrinkage,
    )
    panel = panel_from_sessions(dbt.ref("stg_face__product_interactions"))
    return forecast_panel(panel, horizon=horizon, min_history_days=min_history_days, params=params)
