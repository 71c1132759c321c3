"""A model's metrics against their baselines, in words: the answer book and the report say it the
same way."""

from __future__ import annotations

import math

import pandas as pd


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
        return (
            f"{model} was not compared with {row['baseline_name']} on {metric}: whether higher or lower "
            f"is better is unknown."
        )
    sentence = f"{model} {verdict} on {metric}: {_figure(row['value'])} against {_figure(row['baseline_value'])}"
    if not _missing(row.get("metrics_compared")):
        sentence += f" ({int(row['metrics_beating_baseline'])} of {int(row['metrics_compared'])} metrics beaten)"
    return sentence + "."


def with_verdicts(frame: pd.DataFrame) -> pd.DataFrame:
    """A metrics result with ``beats_baseline`` in words: a ``verdict`` column in its place (the
    frame as it is when it has no ``beats_baseline`` and ``baseline_name``)."""
    if not {"beats_baseline", "baseline_name"} <= set(frame.columns):
        return frame
    verdicts = [
        baseline_verdict(beats, baseline)
        for beats, baseline in zip(
            frame["beats_baseline"].astype(object), frame["baseline_name"].astype(object), strict=True
        )
    ]
    shown = frame.copy()
    shown.insert(shown.columns.get_loc("beats_baseline"), "verdict", verdicts)
    return shown.drop(columns="beats_baseline")
