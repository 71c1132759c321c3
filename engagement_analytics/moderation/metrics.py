"""The long metric layout shared by every model in the warehouse (mart ml_model_metrics)."""

from __future__ import annotations

import pandas as pd

METRIC_COLUMNS = ["model_name", "dataset_type", "metric", "value", "baseline_name", "baseline_value"]


def metric_row(model_name: str, dataset_type: str, metric: str, value: float,
               baseline_name: str | None = None, baseline_value: float | None = None) -> dict:
    """One row of the ml_model_metrics layout."""
    return {"model_name": model_name, "dataset_type": dataset_type, "metric": metric, "value": float(value),
            "baseline_name": baseline_name,
            "baseline_value": None if baseline_value is None else float(baseline_value)}


def metric_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows in the shared column order, with stable dtypes even when empty."""
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    frame["baseline_value"] = frame["baseline_value"].astype("float64")
    return frame
