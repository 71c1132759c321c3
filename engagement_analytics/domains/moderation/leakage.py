"""Leakage audit: how well a single feature alone separates claims from opinions.

For a numeric feature the best rule is one threshold (values above it are one class, the rest
the other); for a categorical feature each value is given its majority label. Accuracy is
measured over every labelled video, so it is the best any one-feature rule can do in sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engagement_analytics.domains.moderation.features import COUNT_COLUMNS, transcription_opener

AUDIT_COLUMNS = ["feature", "feature_kind", "best_rule", "accuracy", "distinct_values", "videos", "is_leaky"]
AUDIT_DTYPES = {
    "feature": "str",
    "feature_kind": "str",
    "best_rule": "str",
    "accuracy": "float64",
    "distinct_values": "int64",
    "videos": "int64",
    "is_leaky": "bool",
}


def best_threshold_rule(values: pd.Series, is_claim: pd.Series) -> tuple[float, float, str]:
    """(accuracy, threshold, class above) of the best rule 'value > threshold -> class, else the other'.

    Thresholds run over the distinct values (a cut below the smallest value is the
    majority-class rule). Ties keep the lowest threshold and 'claim' above."""
    x = values.astype("float64").to_numpy()
    y = is_claim.astype(bool).to_numpy()
    if len(x) == 0:
        raise ValueError("no rows to audit")
    distinct, inverse = np.unique(x, return_inverse=True)
    claims_per_value = np.bincount(inverse, weights=y, minlength=len(distinct))
    rows_per_value = np.bincount(inverse, minlength=len(distinct))
    claims_at_or_below = np.concatenate([[0.0], np.cumsum(claims_per_value)])
    rows_at_or_below = np.concatenate([[0], np.cumsum(rows_per_value)])
    n, claims = len(x), y.sum()
    # cut k: the first k distinct values are 'below'; claim above = claims above + opinions below
    claim_above = (claims - claims_at_or_below) + (rows_at_or_below - claims_at_or_below)
    accuracy_claim_above = claim_above / n
    accuracy_opinion_above = 1 - accuracy_claim_above
    best_claim, best_opinion = accuracy_claim_above.argmax(), accuracy_opinion_above.argmax()
    thresholds = np.concatenate([[-np.inf], distinct])
    if accuracy_claim_above[best_claim] >= accuracy_opinion_above[best_opinion]:
        return float(accuracy_claim_above[best_claim]), float(thresholds[best_claim]), "claim"
    return float(accuracy_opinion_above[best_opinion]), float(thresholds[best_opinion]), "opinion"


def best_category_rule(categories: pd.Series, is_claim: pd.Series) -> float:
    """Accuracy of labelling each category value with its majority class."""
    table = pd.crosstab(categories.fillna("<null>"), is_claim.astype(bool))
    return float(table.max(axis=1).sum() / len(categories))


def leakage_audit(frame: pd.DataFrame, flag_at: float = 0.99, opener_words: int = 2) -> pd.DataFrame:
    """One row per feature: each count, the duration, verified and ban status, and the opener
    (first ``opener_words`` words of the transcription); is_leaky where accuracy >= flag_at.

    No labelled videos, no rules: an empty, typed frame. With one class only every rule is 100%
    right (the constant rule is), so every feature is flagged: nothing can be learnt either way."""
    if frame.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS).astype(AUDIT_DTYPES)
    is_claim = frame["is_claim"]
    rows = []
    for feature in [*COUNT_COLUMNS, "video_duration_seconds"]:
        accuracy, threshold, above = best_threshold_rule(frame[feature], is_claim)
        other = "opinion" if above == "claim" else "claim"
        rule = (
            f"every video -> {above}" if np.isinf(threshold) else f"{feature} > {threshold:g} -> {above}, else {other}"
        )
        rows.append(
            {
                "feature": feature,
                "feature_kind": "numeric",
                "best_rule": rule,
                "accuracy": accuracy,
                "distinct_values": int(frame[feature].nunique()),
            }
        )
    categorical = {
        "verified_status": frame["verified_status"],
        "author_ban_status": frame["author_ban_status"],
        f"transcription_first_{opener_words}_words": transcription_opener(frame["transcription_text"], opener_words),
    }
    for feature, values in categorical.items():
        rows.append(
            {
                "feature": feature,
                "feature_kind": "categorical",
                "best_rule": "each value -> its majority label",
                "accuracy": best_category_rule(values, is_claim),
                "distinct_values": int(values.nunique()),
            }
        )
    audit = pd.DataFrame(rows)
    audit["videos"] = len(frame)
    audit["is_leaky"] = audit["accuracy"] >= flag_at
    return audit[AUDIT_COLUMNS].astype(AUDIT_DTYPES)
