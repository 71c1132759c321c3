"""The long metric layout every domain's models share (mart ml_model_metrics): one row per model,
dataset split and metric, beside the baseline it is read against."""

from __future__ import annotations

import numpy as np
import pandas as pd

METRIC_COLUMNS = ["model_name", "dataset_type", "metric", "value", "baseline_name", "baseline_value"]
METRIC_DTYPES = {
    "model_name": "str",
    "dataset_type": "str",
    "metric": "str",
    "value": "float64",
    "baseline_name": "str",
    "baseline_value": "float64",
}
# The ROC AUC of a random ranking: the baseline every ROC AUC is read against.
CHANCE_ROC_AUC = 0.5


def metric_row(
    model_name: str,
    dataset_type: str,
    metric: str,
    value: float,
    baseline_name: str | None = None,
    baseline_value: float | None = None,
) -> dict:
    """One row of the ml_model_metrics layout."""
    return {
        "model_name": model_name,
        "dataset_type": dataset_type,
        "metric": metric,
        "value": float(value),
        "baseline_name": baseline_name,
        "baseline_value": None if baseline_value is None else float(baseline_value),
    }


def metric_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows in the shared column order, with stable dtypes even when empty.

    A metric that could not be computed (a NaN value: e.g. a score on a split with no rows) is
    left out rather than published as a number: the absent row says it was not computed."""
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS).astype(METRIC_DTYPES)
    return frame[frame["value"].notna()].reset_index(drop=True)


def has_both_classes(y: np.ndarray) -> bool:
    """True when a 0/1 label array holds at least one of each class."""
    y = np.asarray(y)
    return bool(len(y)) and 0 < int(y.sum()) < len(y)
