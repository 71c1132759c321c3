"""The readout's statistics (engagement_analytics.experiments.stats) against scipy, with the edge
cases: a variant with one user, zero variance, a pre-period that does not vary or is missing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from engagement_analytics.experiments import stats


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(5)


def test_welch_matches_scipy(rng: np.random.Generator):
    treatment, control = rng.normal(1.2, 2.0, 80), rng.normal(1.0, 1.0, 130)
    result = stats.welch_test(treatment, control)
    reference = scipy_stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.df == pytest.approx(reference.df, rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-12)
    # The interval by hand: Welch-Satterthwaite df and the t quantile.
    v_t, v_c = treatment.var(ddof=1) / 80, control.var(ddof=1) / 130
    df = (v_t + v_c) ** 2 / (v_t ** 2 / 79 + v_c ** 2 / 129)
    half = scipy_stats.t.ppf(0.975, df) * math.sqrt(v_t + v_c)
    diff = treatment.mean() - control.mean()
    assert (result.ci_low, result.ci_high) == pytest.approx((diff - half, diff + half), rel=1e-12)


def test_welch_with_one_user_in_a_variant_is_undefined():
    result = stats.welch_test(np.array([3.0]), np.array([1.0, 2.0, 4.0]))
    assert result.diff == pytest.approx(3.0 - 7 / 3)
    assert all(math.isnan(v) for v in (result.std_err, result.p_value, result.ci_low, result.ci_high))


def test_welch_with_zero_variance_is_undefined():
    result = stats.welch_test(np.full(5, 2.0), np.full(4, 1.0))
    assert result.diff == 1.0 and result.std_err == 0.0
    assert math.isnan(result.p_value) and math.isnan(result.ci_low)


def test_cuped_theta_is_the_regression_slope_and_zero_without_pre_variance(rng: np.random.Generator):
    x = rng.normal(0, 1, 200)
    y = 2.5 * x + rng.normal(0, 0.1, 200)
    assert stats.cuped_theta(y, x) == pytest.approx(scipy_stats.linregress(x, y).slope, rel=1e-12)
    assert stats.cuped_theta(y, np.zeros(200)) == 0.0
    adjusted, theta = stats.cuped_adjust(y, np.zeros(200))
    assert theta == 0.0 and np.array_equal(adjusted, y)


def test_missing_pre_values_take_the_mean_and_are_not_adjusted():
    adjusted, theta = stats.cuped_adjust(np.array([1.0, 2.0, 3.0, 10.0]), np.array([1.0, 2.0, 3.0, np.nan]))
    assert theta == pytest.approx(1.0)
    assert adjusted[3] == pytest.approx(10.0)


def test_cuped_narrows_the_interval_when_the_pre_period_correlates(rng: np.random.Generator):
    level = rng.lognormal(0, 1, 400)
    pre = level + rng.normal(0, 0.2, 400)
    value = level * np.where(np.arange(400) < 200, 1.1, 1.0) + rng.normal(0, 0.2, 400)
    frame = pd.DataFrame({"value": value, "pre_value": pre})
    row = stats.compare_metric("e", "m", "treatment", frame.iloc[:200], frame.iloc[200:], 0.5, 0.05, 0.8, 0.02)
    assert row["cuped_ci_high"] - row["cuped_ci_low"] < 0.5 * (row["ci_high"] - row["ci_low"])
    assert row["variance_reduction"] > 0.7
    assert row["cuped_mde_abs"] < row["mde_abs"] and row["cuped_users_needed"] < row["users_needed"]


def test_srm_p_value_is_the_chi_square_against_the_planned_split():
    shares = stats.planned_shares(["control", "treatment"], "control", 0.5)
    assert stats.srm_p_value({"control": 180, "treatment": 108}, shares) == pytest.approx(
        scipy_stats.chisquare([180, 108]).pvalue, rel=1e-12)
    three = stats.planned_shares(["control", "treatment_a", "treatment_b"], "control", 0.6)
    assert three == pytest.approx({"control": 0.4, "treatment_a": 0.3, "treatment_b": 0.3})
    counts = {"control": 400, "treatment_a": 330, "treatment_b": 270}
    assert stats.srm_p_value(counts, three) == pytest.approx(
        scipy_stats.chisquare([400, 330, 270], f_exp=[400, 300, 300]).pvalue, rel=1e-12)
    # A planned arm nobody was assigned to counts 0; with a single planned variant there is no test.
    assert stats.srm_p_value({"control": 10}, {"control": 0.5, "treatment": 0.5}) == pytest.approx(
        scipy_stats.chisquare([10, 0]).pvalue, rel=1e-12)
    assert math.isnan(stats.srm_p_value({"control": 10}, stats.planned_shares(["control"], "control", 0.5)))


def test_power_formulas_are_consistent():
    mde = stats.minimum_detectable_effect(4.0, 4.0, 100, 100, 0.05, 0.8)
    # A true effect of exactly the MDE is detected with 80% power (normal approximation).
    se = math.sqrt(4.0 / 100 + 4.0 / 100)
    power = scipy_stats.norm.sf(scipy_stats.norm.ppf(0.975) - mde / se)
    assert power == pytest.approx(0.8, abs=1e-3)
    needed = stats.users_needed(4.0, 4.0, 0.5, mde, 0.05, 0.8)
    assert needed == pytest.approx(200, abs=1)
    assert math.isnan(stats.users_needed(4.0, 4.0, 0.5, 0.0, 0.05, 0.8))


def test_compare_experiments_one_row_per_metric_and_arm(rng: np.random.Generator):
    users = pd.DataFrame({
        "experiment_id": "e", "user_id": np.arange(12), "variant": ["control"] * 6 + ["treatment"] * 5 + ["treatment_b"],
    })
    frame = pd.concat([users.assign(metric=m, value=rng.normal(0, 1, 12), pre_value=rng.normal(0, 1, 12))
                       for m in ("a", "b")], ignore_index=True)
    experiments = pd.DataFrame({"experiment_id": ["e"], "control_variant": ["control"], "treatment_share": [0.5]})
    result = stats.compare_experiments(frame, experiments)
    assert list(result.columns) == stats.COMPARISON_COLUMNS
    assert sorted(zip(result["metric"], result["variant"])) == [
        ("a", "treatment"), ("a", "treatment_b"), ("b", "treatment"), ("b", "treatment_b")]
    one_user = result[result["variant"] == "treatment_b"]
    assert one_user["p_value"].isna().all() and (one_user["users"] == 1).all()
    assert result["srm_p_value"].nunique() == 1
    assert result["srm_p_value"].iloc[0] == pytest.approx(
        scipy_stats.chisquare([6, 5, 1], f_exp=[6, 3, 3]).pvalue, rel=1e-12)
