"""Statistics behind the experiment readout, as plain typed functions.

Every test is two-sided. A statistic that is undefined (a variant with fewer than two users, no
variance in either arm) is NaN, never a made-up number; the readout turns NaN into null and the
decision rules read a null p-value as "not significant".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

# Columns of the per-user metric frame the comparison reads (int_experiment_user_metrics).
USER_METRIC_COLUMNS = ["experiment_id", "user_id", "variant", "metric", "value", "pre_value"]
# Columns of the planned-arms frame (int_experiment_arms_planned): one row per experiment and arm.
ARM_COLUMNS = ["experiment_id", "variant", "is_control", "planned_share", "assigned_users"]
# Columns of the experiment registry the comparison reads (stg_experiments__experiments).
EXPERIMENT_COLUMNS = ["experiment_id", "surface", "control_variant"]
NAN = float("nan")
# Planned share left to no arm below this is rounding, not a missing arm.
SHARE_EPSILON = 1e-9
# A sample variance (and so a t-test or a CUPED slope) needs at least this many values.
MIN_VALUES_FOR_VARIANCE = 2
# The sample-ratio chi-square compares at least this many groups.
MIN_GROUPS_FOR_SRM = 2
# A sample size within this of a whole number is that number (floating-point noise, not one more user).
WHOLE_USERS_TOLERANCE = 1e-9
# The comparison frame, one row per experiment, metric and treatment arm, with its column types
# (an empty frame keeps them, so the marts' contracts hold on empty input).
COMPARISON_DTYPES: dict[str, str] = {
    "experiment_id": "str",
    "metric": "str",
    "variant": "str",
    "users": "int64",
    "control_users": "int64",
    "mean": "float64",
    "control_mean": "float64",
    "lift_abs": "float64",
    "lift_rel": "float64",
    "std_err": "float64",
    "welch_df": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value": "float64",
    "cuped_theta": "float64",
    "cuped_lift_abs": "float64",
    "cuped_std_err": "float64",
    "cuped_ci_low": "float64",
    "cuped_ci_high": "float64",
    "cuped_p_value": "float64",
    "variance_reduction": "float64",
    "mde_abs": "float64",
    "mde_rel": "float64",
    "cuped_mde_abs": "float64",
    "cuped_mde_rel": "float64",
    "target_lift_rel": "float64",
    "users_needed": "float64",
    "cuped_users_needed": "float64",
    "control_variant": "str",
    "planned_share": "float64",
    "control_planned_share": "float64",
    "assigned_users": "int64",
    "assigned_control_users": "int64",
    "srm_p_value": "float64",
}
COMPARISON_COLUMNS = list(COMPARISON_DTYPES)


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
    if n_t < MIN_VALUES_FOR_VARIANCE or n_c < MIN_VALUES_FOR_VARIANCE:
        return WelchResult(n_t, n_c, mean_t, mean_c, diff, NAN, NAN, NAN, NAN, NAN)
    var_t, var_c = float(treatment.var(ddof=1)), float(control.var(ddof=1))
    se2 = var_t / n_t + var_c / n_c
    if not se2 > 0:
        return WelchResult(n_t, n_c, mean_t, mean_c, diff, 0.0, NAN, NAN, NAN, NAN)
    result = stats.ttest_ind(treatment, control, equal_var=False)
    interval = result.confidence_interval(confidence)
    return WelchResult(
        n_t,
        n_c,
        mean_t,
        mean_c,
        diff,
        math.sqrt(se2),
        float(result.df),
        float(result.pvalue),
        float(interval.low),
        float(interval.high),
    )


def cuped_theta(values: np.ndarray, pre_values: np.ndarray) -> float:
    """theta = cov(Y, X) / var(X) over the users given (both arms pooled); 0 when X has no
    variance (the adjustment then changes nothing)."""
    y = np.asarray(values, dtype=float)
    x = np.asarray(pre_values, dtype=float)
    if len(x) < MIN_VALUES_FOR_VARIANCE:
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
    values and theta (no users: nothing to adjust, theta 0)."""
    y = np.asarray(values, dtype=float)
    if len(y) == 0:
        return y, 0.0
    x = fill_missing_pre_values(pre_values)
    theta = cuped_theta(y, x)
    return y - theta * (x - x.mean()), theta


def srm_p_value(counts: dict[str, int], shares: dict[str, float]) -> float:
    """Chi-square goodness-of-fit p-value of the assigned users per arm against the planned shares.
    A planned arm nobody was assigned to counts 0; planned share that no arm carries (an
    experiment that planned treatment users but has no treatment arm) is one more category with 0
    users. NaN with fewer than two categories or no users."""
    variants = sorted(shares)
    observed = [float(counts.get(v, 0)) for v in variants]
    planned = [float(shares[v]) for v in variants]
    uncovered = 1.0 - sum(planned)
    if uncovered > SHARE_EPSILON:
        observed.append(0.0)
        planned.append(uncovered)
    total = sum(observed)
    if len(observed) < MIN_GROUPS_FOR_SRM or total == 0:
        return NAN
    expected = np.array(planned) / sum(planned) * total
    return float(stats.chisquare(np.array(observed), f_exp=expected).pvalue)


def arm_sample_fraction(arm_share: float, control_share: float) -> float:
    """The arm's part of the arm-plus-control sample, arm_share / (arm_share + control_share): the
    split the sample-size formula plans for; NaN when either share is missing or not positive."""
    if not (arm_share > 0 and control_share > 0):
        return NAN
    return arm_share / (arm_share + control_share)


def z_sum(alpha: float, power: float) -> float:
    """z_(1 - alpha/2) + z_(power): the normal quantiles of a two-sided test at that power."""
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def minimum_detectable_effect(
    var_treatment: float, var_control: float, n_treatment: int, n_control: int, alpha: float, power: float
) -> float:
    """Smallest absolute difference in means a two-sided test at ``alpha`` detects with ``power``
    for these arm sizes (normal approximation)."""
    if n_treatment < 1 or n_control < 1 or math.isnan(var_treatment) or math.isnan(var_control):
        return NAN
    return z_sum(alpha, power) * math.sqrt(var_treatment / n_treatment + var_control / n_control)


def users_needed(
    var_treatment: float, var_control: float, treatment_fraction: float, effect: float, alpha: float, power: float
) -> float:
    """Users (both arms together, split treatment_fraction : 1 - treatment_fraction) needed to detect
    an absolute ``effect`` (normal approximation), rounded up; NaN when the effect is 0 or undefined
    or the fraction is not strictly between 0 and 1."""
    if not abs(effect) > 0 or math.isnan(var_treatment) or math.isnan(var_control) or not 0 < treatment_fraction < 1:
        return NAN
    total = (
        z_sum(alpha, power) ** 2
        * (var_treatment / treatment_fraction + var_control / (1 - treatment_fraction))
        / effect**2
    )
    return float(math.ceil(total - WHOLE_USERS_TOLERANCE))


def _variance(values: np.ndarray) -> float:
    return float(np.var(values, ddof=1)) if len(values) >= MIN_VALUES_FOR_VARIANCE else NAN


def compare_metric(
    experiment_id: str,
    metric: str,
    variant: str | None,
    treatment: pd.DataFrame,
    control: pd.DataFrame,
    arm_fraction: float,
    alpha: float,
    power: float,
    target_lift: float,
) -> dict:
    """Every statistic of one treatment arm against the control on one metric. ``treatment`` and
    ``control`` hold value and pre_value per user; users with a null value are left out."""
    treatment = treatment[treatment["value"].notna()]
    control = control[control["value"].notna()]
    welch = welch_test(treatment["value"].to_numpy(), control["value"].to_numpy(), 1 - alpha)
    both = pd.concat([treatment, control], ignore_index=True)
    adjusted, theta = cuped_adjust(both["value"].to_numpy(dtype=float), both["pre_value"].to_numpy(dtype=float))
    adjusted_t, adjusted_c = adjusted[: len(treatment)], adjusted[len(treatment) :]
    cuped = welch_test(adjusted_t, adjusted_c, 1 - alpha)
    variance_reduction = (
        1 - cuped.std_err**2 / welch.std_err**2 if welch.std_err > 0 and not math.isnan(cuped.std_err) else NAN
    )
    var_t, var_c = (
        _variance(treatment["value"].to_numpy(dtype=float)),
        _variance(control["value"].to_numpy(dtype=float)),
    )
    cuped_var_t, cuped_var_c = _variance(adjusted_t), _variance(adjusted_c)
    mde = minimum_detectable_effect(var_t, var_c, welch.n_treatment, welch.n_control, alpha, power)
    cuped_mde = minimum_detectable_effect(cuped_var_t, cuped_var_c, welch.n_treatment, welch.n_control, alpha, power)
    target_effect = target_lift * welch.mean_control

    def relative(value: float) -> float:
        return value / welch.mean_control if welch.mean_control != 0 and not math.isnan(welch.mean_control) else NAN

    return {
        "experiment_id": experiment_id,
        "metric": metric,
        "variant": variant,
        "users": welch.n_treatment,
        "control_users": welch.n_control,
        "mean": welch.mean_treatment,
        "control_mean": welch.mean_control,
        "lift_abs": welch.diff,
        "lift_rel": relative(welch.diff),
        "std_err": welch.std_err,
        "welch_df": welch.df,
        "ci_low": welch.ci_low,
        "ci_high": welch.ci_high,
        "p_value": welch.p_value,
        "cuped_theta": theta,
        "cuped_lift_abs": cuped.diff,
        "cuped_std_err": cuped.std_err,
        "cuped_ci_low": cuped.ci_low,
        "cuped_ci_high": cuped.ci_high,
        "cuped_p_value": cuped.p_value,
        "variance_reduction": variance_reduction,
        "mde_abs": mde,
        "mde_rel": relative(mde),
        "cuped_mde_abs": cuped_mde,
        "cuped_mde_rel": relative(cuped_mde),
        "target_lift_rel": target_lift,
        "users_needed": users_needed(var_t, var_c, arm_fraction, target_effect, alpha, power),
        "cuped_users_needed": users_needed(cuped_var_t, cuped_var_c, arm_fraction, target_effect, alpha, power),
    }


@dataclass(frozen=True)
class Arm:
    """One arm of an experiment: its variant name, planned share and clean assigned users."""

    variant: str | None
    planned_share: float
    assigned_users: int


@dataclass(frozen=True)
class ExperimentArms:
    """An experiment's control, its treatment arms (sorted by name) and the sample-ratio p-value
    over all of them. With no treatment arm, ``treatments`` holds one arm with no variant that
    carries the planned non-control share, so the readout can say so."""

    experiment_id: str
    control: Arm
    treatments: tuple[Arm, ...]
    srm_p_value: float


def experiment_arms(experiment_id: str, control_variant: str, arms: pd.DataFrame) -> ExperimentArms:
    """The arms of one experiment from its rows of the planned-arms frame (ARM_COLUMNS)."""
    control_rows = arms[arms["variant"] == control_variant]
    control = Arm(
        control_variant,
        float(control_rows["planned_share"].iloc[0]) if len(control_rows) else NAN,
        int(control_rows["assigned_users"].sum()),
    )
    treatment_rows = arms[arms["variant"] != control_variant].sort_values("variant")
    treatments = tuple(
        Arm(str(row.variant), float(row.planned_share), int(row.assigned_users))
        for row in treatment_rows.itertuples(index=False)
    )
    counts = {str(v): int(n) for v, n in zip(arms["variant"], arms["assigned_users"], strict=True)}
    shares = {str(v): float(x) for v, x in zip(arms["variant"], arms["planned_share"], strict=True)}
    if not treatments:
        treatments = (Arm(None, 1.0 - control.planned_share, 0),)
    return ExperimentArms(experiment_id, control, treatments, srm_p_value(counts, shares))


def compare_arm(
    plan: ExperimentArms,
    arm: Arm,
    metric: str,
    treatment: pd.DataFrame,
    control: pd.DataFrame,
    alpha: float,
    power: float,
    target_lift: float,
) -> dict:
    """One readout row: ``arm`` against the control on ``metric``, with the plan's shares, counts
    and sample-ratio p-value."""
    row = compare_metric(
        plan.experiment_id,
        metric,
        arm.variant,
        treatment,
        control,
        arm_sample_fraction(arm.planned_share, plan.control.planned_share),
        alpha,
        power,
        target_lift,
    )
    row.update(
        {
            "control_variant": plan.control.variant,
            "planned_share": arm.planned_share,
            "control_planned_share": plan.control.planned_share,
            "assigned_users": arm.assigned_users,
            "assigned_control_users": plan.control.assigned_users,
            "srm_p_value": plan.srm_p_value,
        }
    )
    return row


def comparison_frame(rows: list[dict]) -> pd.DataFrame:
    """The comparison rows as a frame with COMPARISON_DTYPES, also when there are none."""
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return frame.astype(COMPARISON_DTYPES)


def surface_metrics(config_value: str) -> dict[str, list[str]]:
    """The metrics measured per surface ({"feed": [...], "face": [...]}) from the comparison
    model's ``experiment_metrics`` config: the ``experiment_surface_metrics`` var as JSON."""
    return json.loads(config_value)


def compare_experiments(
    user_metrics: pd.DataFrame,
    arms: pd.DataFrame,
    experiments: pd.DataFrame,
    metrics_by_surface: dict[str, list[str]],
    alpha: float = 0.05,
    power: float = 0.8,
    target_lift: float = 0.02,
) -> pd.DataFrame:
    """One row per experiment, metric of its surface and treatment arm, with the Welch, CUPED,
    sample-ratio and power statistics. ``user_metrics`` has USER_METRIC_COLUMNS (one row per
    experiment, user and metric), ``arms`` ARM_COLUMNS, ``experiments`` EXPERIMENT_COLUMNS. An
    experiment with no treatment arm gets one row per metric with no variant; a planned arm with
    no users gets its rows with undefined statistics."""
    empty = user_metrics.iloc[0:0]
    by_experiment = dict(iter(user_metrics.groupby("experiment_id", sort=False)))
    arms_by_experiment = dict(iter(arms.groupby("experiment_id", sort=False)))
    rows = []
    for experiment in experiments.itertuples(index=False):
        plan = experiment_arms(
            experiment.experiment_id,
            experiment.control_variant,
            arms_by_experiment.get(experiment.experiment_id, arms.iloc[0:0]),
        )
        frame = by_experiment.get(experiment.experiment_id, empty)
        groups = dict(iter(frame.groupby(["metric", "variant"], sort=False)))
        for metric in metrics_by_surface.get(experiment.surface, []):
            control = groups.get((metric, plan.control.variant), empty)
            for arm in plan.treatments:
                treatment = groups.get((metric, arm.variant), empty)
                rows.append(compare_arm(plan, arm, metric, treatment, control, alpha, power, target_lift))
    return comparison_frame(rows)
