"""The readout's statistics (engagement_analytics.domains.experiments.stats) against scipy, with the edge
cases: a variant with one user, zero variance, a pre-period that does not vary or is missing."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from engagement_analytics.domains.experiments import stats


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
    df = (v_t + v_c) ** 2 / (v_t**2 / 79 + v_c**2 / 129)
    half = scipy_stats.t.ppf(0.975, df) * math.sqrt(v_t + v_c)
    diff = treatment.mean() - control.mean()
    assert (result.ci_low, result.ci_high) == pytest.approx((diff - half, diff + half), rel=1e-12)


def test_welch_with_one_user_in_a_variant_is_undefined():
    result = stats.welch_test(np.array([3.0]), np.array([1.0, 2.0, 4.0]))
    assert result.diff == pytest.approx(3.0 - 7 / 3)
    assert all(math.isnan(v) for v in (result.std_err, result.p_value, result.ci_low, result.ci_high))


def test_welch_with_zero_variance_is_undefined():
    result = stats.welch_test(np.full(5, 2.0), np.full(4, 1.0))
    assert result.diff == 1.0
    assert result.std_err == 0.0
    assert math.isnan(result.p_value)
    assert math.isnan(result.ci_low)


def test_cuped_theta_is_the_regression_slope_and_zero_without_pre_variance(rng: np.random.Generator):
    x = rng.normal(0, 1, 200)
    y = 2.5 * x + rng.normal(0, 0.1, 200)
    assert stats.cuped_theta(y, x) == pytest.approx(scipy_stats.linregress(x, y).slope, rel=1e-12)
    assert stats.cuped_theta(y, np.zeros(200)) == 0.0
    adjusted, theta = stats.cuped_adjust(y, np.zeros(200))
    assert theta == 0.0
    assert np.array_equal(adjusted, y)


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
    assert row["cuped_mde_abs"] < row["mde_abs"]
    assert row["cuped_users_needed"] < row["users_needed"]


def test_srm_p_value_is_the_chi_square_against_the_planned_split():
    assert stats.srm_p_value({"control": 180, "treatment": 108}, {"control": 0.5, "treatment": 0.5}) == pytest.approx(
        scipy_stats.chisquare([180, 108]).pvalue, rel=1e-12
    )
    # Three arms, unequal planned shares.
    shares = {"control": 0.5, "blue": 0.3, "green": 0.2}
    counts = {"control": 400, "blue": 330, "green": 170}
    assert stats.srm_p_value(counts, shares) == pytest.approx(
        scipy_stats.chisquare([330, 400, 170], f_exp=[270, 450, 180]).pvalue, rel=1e-12
    )
    # A planned arm nobody was assigned to counts 0.
    assert stats.srm_p_value({"control": 10}, {"control": 0.5, "treatment": 0.5}) == pytest.approx(
        scipy_stats.chisquare([10, 0]).pvalue, rel=1e-12
    )
    # Planned share that no arm carries (no treatment arm seen) is one more category with 0 users.
    assert stats.srm_p_value({"control": 30}, {"control": 0.4}) == pytest.approx(
        scipy_stats.chisquare([30, 0], f_exp=[12, 18]).pvalue, rel=1e-12
    )
    # No users, or a single category: no test.
    assert math.isnan(stats.srm_p_value({}, {"control": 0.5, "treatment": 0.5}))
    assert math.isnan(stats.srm_p_value({"control": 10}, {"control": 1.0}))


def test_arm_sample_fraction_is_the_arms_part_of_arm_plus_control():
    assert stats.arm_sample_fraction(0.3, 0.5) == pytest.approx(0.375)
    assert stats.arm_sample_fraction(0.5, 0.5) == 0.5
    assert math.isnan(stats.arm_sample_fraction(0.0, 0.5))
    assert math.isnan(stats.arm_sample_fraction(float("nan"), 0.5))
    assert math.isnan(stats.users_needed(4.0, 4.0, float("nan"), 1.0, 0.05, 0.8))


def test_power_formulas_are_consistent():
    mde = stats.minimum_detectable_effect(4.0, 4.0, 100, 100, 0.05, 0.8)
    # A true effect of exactly the MDE is detected with 80% power (normal approximation).
    se = math.sqrt(4.0 / 100 + 4.0 / 100)
    power = scipy_stats.norm.sf(scipy_stats.norm.ppf(0.975) - mde / se)
    assert power == pytest.approx(0.8, abs=1e-3)
    needed = stats.users_needed(4.0, 4.0, 0.5, mde, 0.05, 0.8)
    assert needed == pytest.approx(200, abs=1)
    assert math.isnan(stats.users_needed(4.0, 4.0, 0.5, 0.0, 0.05, 0.8))


def _arms(rows: list[tuple[str, str, bool, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=stats.ARM_COLUMNS)


def _experiments(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=stats.EXPERIMENT_COLUMNS)


def _user_metrics(
    experiment_id: str, variants: list[str], metrics: list[str], rng: np.random.Generator, first_user_id: int = 0
) -> pd.DataFrame:
    users = pd.DataFrame(
        {
            "experiment_id": experiment_id,
            "variant": variants,
            "user_id": np.arange(first_user_id, first_user_id + len(variants), dtype=np.int64),
        }
    )
    return pd.concat(
        [
            users.assign(metric=m, value=rng.normal(0, 1, len(users)), pre_value=rng.normal(0, 1, len(users)))
            for m in metrics
        ],
        ignore_index=True,
    )[stats.USER_METRIC_COLUMNS]


METRICS = {"feed": ["a", "b"], "face": ["c"]}


def test_compare_experiments_one_row_per_metric_and_arm(rng: np.random.Generator):
    frame = _user_metrics("e", ["control"] * 6 + ["treatment"] * 5 + ["treatment_b"], ["a", "b"], rng)
    arms = _arms(
        [("e", "control", True, 0.5, 6), ("e", "treatment", False, 0.25, 5), ("e", "treatment_b", False, 0.25, 1)]
    )
    result = stats.compare_experiments(frame, arms, _experiments([("e", "feed", "control")]), METRICS)
    assert list(result.columns) == stats.COMPARISON_COLUMNS
    assert sorted(zip(result["metric"], result["variant"], strict=True)) == [
        ("a", "treatment"),
        ("a", "treatment_b"),
        ("b", "treatment"),
        ("b", "treatment_b"),
    ]
    one_user = result[result["variant"] == "treatment_b"]
    assert one_user["p_value"].isna().all()
    assert (one_user["users"] == 1).all()
    assert result["srm_p_value"].nunique() == 1
    assert result["srm_p_value"].iloc[0] == pytest.approx(
        scipy_stats.chisquare([6, 5, 1], f_exp=[6, 3, 3]).pvalue, rel=1e-12
    )


def test_every_arm_is_compared_with_the_control_whatever_its_name(rng: np.random.Generator):
    """Three arms with unequal planned shares: each treatment arm against the control alone
    (Welch and CUPED over that arm and the control), the chi-square over all three."""
    variants = ["a"] * 50 + ["blue"] * 30 + ["variant_2"] * 12
    frame = _user_metrics("e", variants, ["c"], rng)
    arms = _arms([("e", "a", True, 0.5, 50), ("e", "blue", False, 0.3, 30), ("e", "variant_2", False, 0.2, 12)])
    result = stats.compare_experiments(frame, arms, _experiments([("e", "face", "a")]), METRICS).set_index("variant")
    assert sorted(result.index) == ["blue", "variant_2"]
    control = frame[frame["variant"] == "a"]
    for arm, fraction in (("blue", 0.3 / 0.8), ("variant_2", 0.2 / 0.7)):
        treated = frame[frame["variant"] == arm]
        reference = scipy_stats.ttest_ind(treated["value"], control["value"], equal_var=False)
        row = result.loc[arm]
        assert row["p_value"] == pytest.approx(reference.pvalue, rel=1e-12)
        both = pd.concat([treated, control])
        adjusted, theta = stats.cuped_adjust(both["value"].to_numpy(), both["pre_value"].to_numpy())
        cuped = scipy_stats.ttest_ind(adjusted[: len(treated)], adjusted[len(treated) :], equal_var=False)
        assert row["cuped_p_value"] == pytest.approx(cuped.pvalue, rel=1e-12)
        assert row["cuped_theta"] == pytest.approx(theta, rel=1e-12)
        z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
        effect = 0.02 * control["value"].mean()
        needed = z**2 * (treated["value"].var() / fraction + control["value"].var() / (1 - fraction)) / effect**2
        assert abs(row["users_needed"] - needed) <= 1
        assert row["control_variant"] == "a"
        assert row["assigned_control_users"] == 50
    assert result.loc["blue", "planned_share"] == 0.3
    assert result.loc["blue", "assigned_users"] == 30
    assert result["srm_p_value"].iloc[0] == pytest.approx(
        scipy_stats.chisquare([50, 30, 12], f_exp=np.array([0.5, 0.3, 0.2]) * 92).pvalue, rel=1e-12
    )


def test_an_experiment_without_a_treatment_arm_gets_rows_that_say_so(rng: np.random.Generator):
    only_control = _user_metrics("solo", ["ctl"] * 8, ["a", "b"], rng)
    arms = _arms([("solo", "ctl", True, 0.6, 8), ("empty", "control", True, 0.5, 0)])
    experiments = _experiments([("solo", "feed", "ctl"), ("empty", "face", "control")])
    result = stats.compare_experiments(only_control, arms, experiments, METRICS)
    solo = result[result["experiment_id"] == "solo"]
    assert sorted(solo["metric"]) == ["a", "b"]
    assert solo["variant"].isna().all()
    assert (solo["users"] == 0).all()
    assert (solo["assigned_users"] == 0).all()
    assert (solo["control_users"] == 8).all()
    assert solo["p_value"].isna().all()
    assert solo["lift_abs"].isna().all()
    for metric, row in solo.set_index("metric").iterrows():
        assert row["control_mean"] == pytest.approx(only_control.loc[only_control["metric"] == metric, "value"].mean())
    assert solo["planned_share"].iloc[0] == pytest.approx(0.4)
    # 8 control users where 40% were planned outside the control: the split itself is off.
    assert solo["srm_p_value"].iloc[0] == pytest.approx(
        scipy_stats.chisquare([8, 0], f_exp=[4.8, 3.2]).pvalue, rel=1e-12
    )
    # No clean assignment at all: a row per metric of the surface, nothing defined.
    empty = result[result["experiment_id"] == "empty"]
    assert list(empty["metric"]) == ["c"]
    assert empty["variant"].isna().all()
    assert (empty[["users", "control_users", "assigned_users", "assigned_control_users"]] == 0).all().all()
    assert empty["srm_p_value"].isna().all()
    assert empty["control_mean"].isna().all()


def test_a_declared_arm_nobody_was_assigned_to_has_rows_with_no_statistics(rng: np.random.Generator):
    frame = _user_metrics("e", ["control"] * 10 + ["x"] * 10, ["c"], rng)
    arms = _arms([("e", "control", True, 0.5, 10), ("e", "x", False, 0.25, 10), ("e", "y", False, 0.25, 0)])
    result = stats.compare_experiments(frame, arms, _experiments([("e", "face", "control")]), METRICS)
    empty = result[result["variant"] == "y"].iloc[0]
    assert empty["users"] == 0
    assert empty["assigned_users"] == 0
    assert empty["control_users"] == 10
    assert math.isnan(empty["p_value"])
    assert math.isnan(empty["mde_abs"])
    assert math.isnan(empty["users_needed"])
    assert not math.isnan(result[result["variant"] == "x"]["p_value"].iloc[0])
    assert empty["srm_p_value"] == pytest.approx(scipy_stats.chisquare([10, 10, 0], f_exp=[10, 5, 5]).pvalue)


def test_empty_input_gives_a_typed_empty_frame():
    empty = stats.compare_experiments(
        pd.DataFrame(columns=stats.USER_METRIC_COLUMNS),
        pd.DataFrame(columns=stats.ARM_COLUMNS),
        pd.DataFrame(columns=stats.EXPERIMENT_COLUMNS),
        METRICS,
    )
    assert empty.empty
    assert {c: str(t) for c, t in empty.dtypes.items()} == {
        c: str(pd.Series(dtype=t).dtype) for c, t in stats.COMPARISON_DTYPES.items()
    }
    described = {row[0]: row[1] for row in duckdb.sql("describe select * from empty").fetchall()}
    assert described["experiment_id"] == "VARCHAR"
    assert described["variant"] == "VARCHAR"
    assert described["users"] == "BIGINT"
    assert described["p_value"] == "DOUBLE"
    assert set(described.values()) == {"VARCHAR", "BIGINT", "DOUBLE"}
