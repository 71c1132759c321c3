"""The long metric layout shared by every model in the warehouse (mart ml_model_metrics)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

METRIC_COLUMNS = ["model_name", "dataset_type", "metric", "value", "baseline_name", "baseline_value"]
METRIC_DTYPES = {"model_name": "str", "dataset_type": "str", "metric": "str", "value": "float64",
                 "baseline_name": "str", "baseline_value": "float64"}


def metric_row(model_name: str, dataset_type: str, metric: str, value: float,
               baseline_name: str | None = None, baseline_value: float | None = None) -> dict:
    """One row of the ml_model_metrics layout."""
    return {"model_name": model_name, "dataset_type": dataset_type, "metric": metric, "value": float(value),
            "baseline_name": baseline_name,
            "baseline_value": None if baseline_value is None else float(baseline_value)}


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


def finite_or_nan(value: float) -> float:
    """The value as a float, NaN when it is not finite (so it is stored as null)."""
    value = float(value)
    return value if math.isfinite(value) else math.nan


# --- reading a row against its baseline (the answer book and the report say it the same way) ---

def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def baseline_verdict(beats_baseline: object, baseline_name: object) -> str:
    """A metric row's comparison in words: 'beat <baseline>', 'did not beat <baseline>' (a tie
    included), 'no baseline', or 'direction unknown' (a baseline, but a metric missing from
    ml_metric_directions)."""
    if _missing(baseline_name):
        return "no baseline"
    if _missing(beats_baseline):
        return "direction unknown"
    return f"beat {baseline_name}" if bool(beats_baseline) else f"did not beat {baseline_name}"


def _figure(value: object) -> str:
    return "–" if _missing(value) else f"{float(value):.4g}"


def verdict_sentence(row: dict) -> str:
    """One model and split against its baseline as a sentence, from a row of
    ml_model_headline_metrics (or of ml_model_metrics: ``metric`` instead of ``headline_metric``)."""
    model = f"**{row['model_name']}**"
    metric = row.get("headline_metric", row.get("metric"))
    if _missing(metric) or _missing(row.get("baseline_name")):
        return f"{model} was not compared with a baseline (no metric with a baseline could be computed)."
    verdict = baseline_verdict(row.get("beats_baseline"), row["baseline_name"])
    if verdict == "direction unknown":
        return (f"{model} was not compared with {row['baseline_name']} on {metric}: whether higher or lower "
                f"is better is unknown.")
    sentence = (f"{model} {verdict} on {metric}: {_figure(row['value'])} against "
                f"{_figure(row['baseline_value'])}")
    if not _missing(row.get("metrics_compared")):
        sentence += f" ({int(row['metrics_beating_baseline'])} of {int(row['metrics_compared'])} metrics beaten)"
    return sentence + "."
