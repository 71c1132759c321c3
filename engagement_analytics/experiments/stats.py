"""Statistics behind the experiment readout, as plain typed functions.

Every test is two-sided. A statistic that is undefined (a variant with fewer than two users, no
variance in either arm) is NaN, never a made-up number; the readout turns NaN into null and the
decision rules read a null p-value as "not significant".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

# Columns of the per-user metric frame the comparison reads (the experiment_user_metrics mart).
USER_METRIC_COLUMNS = ["experiment_id", "user_id", "variant", "metric", "value", "pre_value"]
NAN = float("nan")
# Columns of the comparison frame, one row per experiment, metric and non-control variant.
COMPARISON_COLUMNS = [
    "experiment_id", "metric", "variant", "users", "control_users", "mean", "control_mean", "lift_abs", "lift_rel",
    "std_err", "welch_df", "ci_low", "ci_high", "p_value", "cuped_theta", "cuped_lift_abs", "cuped_std_err",
    "cuped_ci_low", "cuped_ci_high", "cuped_p_value", "variance_reduction", "mde_abs", "mde_rel", "cuped_mde_abs",
    "cuped_mde_rel", "target_lift_rel", "users_needed", "cuped_users_needed", "control_variant", "assigned_users",
    "assigned_control_users", "srm_p_value",
]


@dataclass(frozen=True)
class WelchResult:
    """Welch's unequal-variance t-test of treatment minus control."""

    n_treatment: int
    n_control: int
    mean_treatment: float
    mean_control: float
    diff: float
    std_err: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float


def welch_test(treatment: np.ndarray, control: np.ndarray, confidence: float = 0.95) -> WelchResult:
    """Welch t-test (two-sided) and the confidence interval of the difference in means, with
    Welch-Satterthwaite degrees of freedom; the same numbers as scipy.stats.ttest_ind(equal_var=False)."""
    treatment = np.asarray(treatment, dtype=float)
    control = np.asarray(control, dtype=float)
    n_t, n_c = len(treatment), len(control)
    mean_t = float(treatment.mean()) if n_t else NAN
    mean_c = float(control.mean()) if n_c else NAN
    diff = mean_t - mean_c
    if n_t < 2 or n_c < 2:
        return WelchResult(n_t, n_c, mean_t, mean_c, diff, NAN, NAN, NAN, NAN, NAN)
    var_t, var_c = float(treatment.var(ddof=1)), float(control.var(ddof=1))
    se2 = var_t / n_t + var_c / n_c
    if not se2 > 0:
        return WelchResult(n_t, n_c, mean_t, mean_c, diff, 0.0, NAN, NAN, NAN, NAN)
    result = stats.ttest_ind(treatment, control, equal_var=False)
    interval = result.confidence_interval(confidence)
    return WelchResult(n_t, n_c, mean_t, mean_c, diff, math.sqrt(se2), float(result.df), float(result.pvalue),
                       float(interval.low), float(interval.high))


def cuped_theta(values: np.ndarray, pre_values: np.ndarray) -> float:
    """theta = cov(Y, X) / var(X) over the users given (both arms pooled); 0 when X has no
    variance (the adjustment then changes nothing)."""
    y = np.asarray(values, dtype=float)
    x = np.asarray(pre_values, dtype=float)
    if len(x) < 2:
        return 0.0
    var_x = float(np.var(x, ddof=1))
    if not var_x > 0:
        return 0.0
    return float(np.cov(y, x, ddof=1)[0, 1] / var_x)


def fill_missing_pre_values(pre_values: np.ndarray) -> np.ndarray:
    """Null pre-period values take the mean of the known ones (0 when none is known), so the
    CUPED adjustment leaves those users unchanged."""
    x = np.asarray(pre_values, dtype=float)
    known = x[~np.isnan(x)]
    return np.where(np.isnan(x), float(known.mean()) if len(known) else 0.0, x)


def cuped_adjust(values: np.ndarray, pre_values: np.ndarray) -> tuple[np.ndarray, float]:
    """CUPED: Y - theta * (X - mean(X)), theta pooled over every user given; returns the adjusted
    values and theta."""
    x = fill_missing_pre_values(pre_values)
    y = np.asarray(values, dtype=float)
    theta = cuped_theta(y, x)
    return y - theta * (x - x.mean()), theta


def planned_shares(variants: list[str], control_variant: str, treatment_share: float) -> dict[str, float]:
    """Planned share of assigned users per variant: the control gets 1 - treatment_share, the
    treatment arms split treatment_share equally."""
    arms = sorted(v for v in set(variants) if v != control_variant)
    shares = {control_variant: 1.0 - treatment_share}
    shares.update({arm: treatment_share / len(arms) for arm in arms})
    return shares


def srm_p_value(counts: dict[str, int], shares: dict[str, float]) -> float:
    """Chi-square goodness-of-fit p-value of the assigned users per variant against the planned
    split (a planned variant with no users counts 0); NaN with fewer than two planned variants."""
    variants = sorted(shares)
    if len(variants) < 2:
        return NAN
    observed = np.array([counts.get(v, 0) for v in variants], dtype=float)
    expected = np.array([shares[v] for v in variants]) * observed.sum()
    if observed.sum() == 0:
        return NAN
    return float(stats.chisquare(observed, f_exp=expected).pvalue)


def z_sum(alpha: float, power: float) -> float:
    """z_(1 - alpha/2) + z_(power): the normal quantiles of a two-sided test at that power."""
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def minimum_detectable_effect(var_treatment: float, var_control: float, n_treatment: int, n_control: int,
                              alpha: float, power: float) -> float:
    """Smallest absolute difference in means a two-sided test at ``alpha`` detects with ``power``
    for these arm sizes (normal approximation)."""
    if n_treatment < 1 or n_control < 1 or math.isnan(var_treatment) or math.isnan(var_control):
        return NAN
    return z_sum(alpha, power) * math.sqrt(var_treatment / n_treatment + var_control / n_control)


def users_needed(var_treatment: float, var_control: float, treatment_fraction: float, effect: float,
                 alpha: float, power: float) -> float:
    """Users (both arms together, split treatment_fraction : 1 - treatment_fraction) needed to detect
    an absolute ``effect`` (normal approximation), rounded up; NaN when the effect is 0 or undefined."""
    if not abs(effect) > 0 or math.isnan(var_treatment) or math.isnan(var_control):
        return NAN
    total = z_sum(alpha, power) ** 2 * (var_treatment / treatment_fraction
                                        + var_control / (1 - treatment_fraction)) / effect ** 2
    return float(math.ceil(total - 1e-9))


def _variance(values: np.ndarray) -> float:
    return float(np.var(values, ddof=1)) if len(values) >= 2 else NAN


def compare_metric(experiment_id: str, metric: str, variant: str, treatment: pd.DataFrame, control: pd.DataFrame,
                   arm_fraction: float, alpha: float, power: float, target_lift: float) -> dict:
    """Every statistic of one treatment arm against the control on one metric. ``treatment`` and
    ``control`` hold value and pre_value per user; users with a null value are left out."""
    treatment = treatment[treatment["value"].notna()]
    control = control[control["value"].notna()]
    welch = welch_test(treatment["value"].to_numpy(), control["value"].to_numpy(), 1 - alpha)
    both = pd.concat([treatment, control], ignore_index=True)
    adjusted, theta = cuped_adjust(both["value"].to_numpy(dtype=float), both["pre_value"].to_numpy(dtype=float))
    adjusted_t, adjusted_c = adjusted[:len(treatment)], adjusted[len(treatment):]
    cuped = welch_test(adjusted_t, adjusted_c, 1 - alpha)
    variance_reduction = (1 - cuped.std_err ** 2 / welch.std_err ** 2
                          if welch.std_err > 0 and not math.isnan(cuped.std_err) else NAN)
    var_t, var_c = _variance(treatment["value"].to_numpy(dtype=float)), _variance(control["value"].to_numpy(dtype=float))
    cuped_var_t, cuped_var_c = _variance(adjusted_t), _variance(adjusted_c)
    mde = minimum_detectable_effect(var_t, var_c, welch.n_treatment, welch.n_control, alpha, power)
    cuped_mde = minimum_detectable_effect(cuped_var_t, cuped_var_c, welch.n_treatment, welch.n_control, alpha, power)
    target_effect = target_lift * welch.mean_control

    def relative(value: float) -> float:
        return value / welch.mean_control if welch.mean_control != 0 and not math.isnan(welch.mean_control) else NAN

    return {
        "experiment_id": experiment_id, "metric": metric, "variant": variant,
        "users": welch.n_treatment, "control_users": welch.n_control,
        "mean": welch.mean_treatment, "control_mean": welch.mean_control,
        "lift_abs": welch.diff, "lift_rel": relative(welch.diff),
        "std_err": welch.std_err, "welch_df": welch.df,
        "ci_low": welch.ci_low, "ci_high": welch.ci_high, "p_value": welch.p_value,
        "cuped_theta": theta, "cuped_lift_abs": cuped.diff, "cuped_std_err": cuped.std_err,
        "cuped_ci_low": cuped.ci_low, "cuped_ci_high": cuped.ci_high, "cuped_p_value": cuped.p_value,
        "variance_reduction": variance_reduction,
        "mde_abs": mde, "mde_rel": relative(mde), "cuped_mde_abs": cuped_mde, "cuped_mde_rel": relative(cuped_mde),
        "target_lift_rel": target_lift,
        "users_needed": users_needed(var_t, var_c, arm_fraction, target_effect, alpha, power),
        "cuped_users_needed": users_needed(cuped_var_t, cuped_var_c, arm_fraction, target_effect, alpha, power),
    }


def compare_experiments(user_metrics: pd.DataFrame, experiments: pd.DataFrame, alpha: float = 0.05,
                        power: float = 0.8, target_lift: float = 0.02) -> pd.DataFrame:
    """One row per experiment, metric and non-control variant with the Welch, CUPED, sample-ratio
    and power statistics. ``user_metrics`` has USER_METRIC_COLUMNS (one row per experiment, user and
    metric); ``experiments`` has experiment_id, control_variant and treatment_share."""
    rows = []
    for experiment in experiments.itertuples(index=False):
        frame = user_metrics[user_metrics["experiment_id"] == experiment.experiment_id]
        if frame.empty:
            continue
        assigned = frame.drop_duplicates("user_id")
        counts = assigned["variant"].value_counts().to_dict()
        shares = planned_shares(list(counts), experiment.control_variant, float(experiment.treatment_share))
        srm = srm_p_value(counts, shares)
        for (metric, variant), treatment in frame.groupby(["metric", "variant"], sort=True):
            if variant == experiment.control_variant:
                continue
            control = frame[(frame["metric"] == metric) & (frame["variant"] == experiment.control_variant)]
            arm_fraction = shares[variant] / (shares[variant] + shares[experiment.control_variant])
            row = compare_metric(experiment.experiment_id, metric, variant, treatment, control, arm_fraction,
                                 alpha, power, target_lift)
            row["control_variant"] = experiment.control_variant
            row["assigned_users"] = int(counts.get(variant, 0))
            row["assigned_control_users"] = int(counts.get(experiment.control_variant, 0))
            row["srm_p_value"] = srm
            rows.append(row)
    result = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return result.astype({"users": "int64", "control_users": "int64", "assigned_users": "int64",
                          "assigned_control_users": "int64"})
