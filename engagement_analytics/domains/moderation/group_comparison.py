"""Welch's t-test and a Mann-Whitney U test of a count between two groups (verified vs not).

Both rows are always published: when a test cannot run on the rows at hand (a group with too
few videos, or no spread at all), its statistics are null and ``skipped_reason`` says why."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

TEST_COLUMNS = [
    "test_name",
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "mean_a",
    "mean_b",
    "median_a",
    "median_b",
    "mean_difference",
    "statistic",
    "degrees_of_freedom",
    "p_value",
    "ci_lower",
    "ci_upper",
    "effect_size",
    "effect_size_measure",
    "skipped_reason",
]
TEST_DTYPES = {
    "test_name": "str",
    "group_a": "str",
    "group_b": "str",
    "n_a": "int64",
    "n_b": "int64",
    "effect_size_measure": "str",
    "skipped_reason": "str",
    # Every statistic, mean_a to effect_size, is a double.
    **dict.fromkeys(TEST_COLUMNS[TEST_COLUMNS.index("mean_a") : TEST_COLUMNS.index("effect_size") + 1], "float64"),
}
# Why a test has no statistics: Welch needs two videos per group and some spread within a group;
# Mann-Whitney needs a video in each group.
SKIPPED_FEW_VIDEOS = "fewer_than_two_videos_in_a_group"
SKIPPED_NO_SPREAD = "no_variance_in_both_groups"
SKIPPED_EMPTY_GROUP = "empty_group"
WELCH_MEASURE, MANN_WHITNEY_MEASURE = "hedges_g", "rank_biserial_correlation"
# Welch's t-test needs a sample variance in each group, so at least this many videos per group.
MIN_VIDEOS_FOR_WELCH = 2


def welch_t_test(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict:
    """Welch's unequal-variance t-test of mean(a) - mean(b), its interval and Hedges' g.

    Hedges' g uses the pooled standard deviation and the small-sample correction
    J = 1 - 3 / (4 (n_a + n_b) - 9)."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    n_a, n_b = len(a), len(b)
    if n_a < MIN_VIDEOS_FOR_WELCH or n_b < MIN_VIDEOS_FOR_WELCH:
        raise ValueError("Welch's t-test needs at least two observations per group")
    var_a, var_b = a.var(ddof=1), b.var(ddof=1)
    se_a, se_b = var_a / n_a, var_b / n_b
    difference = a.mean() - b.mean()
    standard_error = np.sqrt(se_a + se_b)
    t = difference / standard_error
    df = (se_a + se_b) ** 2 / (se_a**2 / (n_a - 1) + se_b**2 / (n_b - 1))
    p_value = 2 * stats.t.sf(abs(t), df)
    half_width = stats.t.ppf(0.5 + confidence / 2, df) * standard_error
    pooled_sd = np.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
    correction = 1 - 3 / (4 * (n_a + n_b) - 9)
    return {
        "statistic": float(t),
        "degrees_of_freedom": float(df),
        "p_value": float(p_value),
        "mean_difference": float(difference),
        "ci_lower": float(difference - half_width),
        "ci_upper": float(difference + half_width),
        "effect_size": float(difference / pooled_sd * correction),
        "effect_size_measure": WELCH_MEASURE,
        "skipped_reason": None,
    }


def mann_whitney_u_test(a: np.ndarray, b: np.ndarray) -> dict:
    """Two-sided Mann-Whitney U (normal approximation with tie correction) of a against b.

    The effect size is the rank-biserial correlation 2U / (n_a n_b) - 1 (positive: a tends higher)."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    u = float(result.statistic)
    return {
        "statistic": u,
        "degrees_of_freedom": None,
        "p_value": float(result.pvalue),
        "mean_difference": float(a.mean() - b.mean()),
        "ci_lower": None,
        "ci_upper": None,
        "effect_size": 2 * u / (len(a) * len(b)) - 1,
        "effect_size_measure": MANN_WHITNEY_MEASURE,
        "skipped_reason": None,
    }


def _skipped(reason: str, measure: str) -> dict:
    return {"effect_size_measure": measure, "skipped_reason": reason}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else np.nan


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else np.nan


def compare_groups(
    values: pd.Series, is_a: pd.Series, group_a: str, group_b: str, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per test (welch_t_test, mann_whitney_u) comparing values where is_a against the rest.

    Both rows are there on any input, empty included; a test that cannot run has null statistics
    and a ``skipped_reason``."""
    mask = is_a.astype(bool).to_numpy()
    numbers = values.astype("float64").to_numpy()
    a, b = numbers[mask], numbers[~mask]
    groups = {
        "group_a": group_a,
        "group_b": group_b,
        "n_a": len(a),
        "n_b": len(b),
        "mean_a": _mean(a),
        "mean_b": _mean(b),
        "median_a": _median(a),
        "median_b": _median(b),
        "mean_difference": _mean(a) - _mean(b),
    }
    if len(a) < MIN_VIDEOS_FOR_WELCH or len(b) < MIN_VIDEOS_FOR_WELCH:
        welch = _skipped(SKIPPED_FEW_VIDEOS, WELCH_MEASURE)
    elif a.var(ddof=1) + b.var(ddof=1) == 0:
        welch = _skipped(SKIPPED_NO_SPREAD, WELCH_MEASURE)
    else:
        welch = welch_t_test(a, b, confidence)
    mann_whitney = (
        _skipped(SKIPPED_EMPTY_GROUP, MANN_WHITNEY_MEASURE) if len(a) == 0 or len(b) == 0 else mann_whitney_u_test(a, b)
    )
    rows = [{"test_name": "welch_t_test", **groups, **welch}, {"test_name": "mann_whitney_u", **groups, **mann_whitney}]
    return pd.DataFrame(rows, columns=TEST_COLUMNS).astype(TEST_DTYPES)
