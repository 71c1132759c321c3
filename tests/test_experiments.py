"""Experiment marts against independent computations: clean assignments rebuilt from the raw file,
per-user metrics recomputed with pandas from staging, Welch, CUPED and the SRM chi-square
recomputed with scipy, and the generator's planted truth (a real effect on Spotlight, a
sample-ratio mismatch on Animoji, the guardrail breaches)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from tests.conftest import BuiltWarehouse

FEED_METRICS = ["watch_time_seconds", "active_days", "shares", "retained_last_7_days"]
FACE_METRICS = ["animoji_seconds", "faceid_seconds", "sessions", "landmark_jitter"]
RTOL = 1e-6
SPOTLIGHT, ANIMOJI = "spotlight_trending_genres", "animoji_enhanced_mapping"


@pytest.fixture(scope="module")
def experiments(warehouse: BuiltWarehouse) -> pd.DataFrame:
    frame = pd.read_csv(warehouse.raw_dir / "experiments.csv", parse_dates=["start_date", "end_date"])
    frame["days"] = (frame["end_date"] - frame["start_date"]).dt.days + 1
    frame["pre_start"] = frame["start_date"] - pd.to_timedelta(frame["days"], unit="D")
    return frame.set_index("experiment_id")


@pytest.fixture(scope="module")
def clean_assignments(warehouse: BuiltWarehouse, experiments: pd.DataFrame) -> pd.DataFrame:
    """The guardrails, applied with pandas to the raw assignment file."""
    raw = warehouse.raw("select * from read_parquet('{raw}/experiment_assignments.parquet')")
    raw["variant"] = raw["variant"].str.strip().str.lower()
    variants_per_user = raw.groupby(["experiment_id", "user_id"])["variant"].transform("nunique")
    raw = raw[variants_per_user == 1].drop_duplicates(["experiment_id", "user_id"])
    control = raw["experiment_id"].map(experiments["control_variant"])
    known = (raw["variant"] == control) | (raw["variant"] == "treatment") | raw["variant"].str.match(r"^treatment_.+")
    day = raw["assigned_at"].dt.normalize()
    inside = (day >= raw["experiment_id"].map(experiments["start_date"])) & (
        day <= raw["experiment_id"].map(experiments["end_date"]))
    feed_users = set(warehouse.raw("select user_id from read_parquet('{raw}/users.parquet')")["user_id"])
    is_feed = raw["experiment_id"].map(experiments["surface"]) == "feed"
    user_ok = ~is_feed | raw["user_id"].isin(feed_users)
    return raw[known & inside & user_ok][["experiment_id", "user_id", "variant"]].reset_index(drop=True)


def _period_sums(events: pd.DataFrame, users: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                 columns: dict[str, pd.Series]) -> pd.DataFrame:
    in_period = events[(events["day"] >= start) & (events["day"] <= end)]
    grouped = in_period.groupby("user_id")
    out = pd.DataFrame(index=users["user_id"])
    for name, func in columns.items():
        out[name] = func(grouped).reindex(out.index).fillna(0)
    return out


def _steady_landmarks(landmarks: pd.DataFrame, fault_factor: float = 10.0) -> pd.DataFrame:
    """Landmarks of captures that are not sensor faults (out of frame, or far off the typical shape)."""
    out_of_frame = ~(landmarks["x"].between(0, 1) & landmarks["y"].between(0, 1) & landmarks["z"].between(-1, 1))
    bad = landmarks.loc[out_of_frame, ["user_id", "captured_at"]].drop_duplicates().assign(bad=True)
    frame = landmarks.merge(bad, on=["user_id", "captured_at"], how="left")
    frame = frame[frame["bad"].isna()].drop(columns="bad")
    typical = frame.groupby(["user_id", "landmark_id"])[["x", "y", "z"]].transform("mean")
    squared = ((frame[["x", "y", "z"]] - typical) ** 2).sum(axis=1)
    deviation = squared.groupby([frame["user_id"], frame["captured_at"]]).mean().rename("deviation").reset_index()
    deviation["limit"] = fault_factor * deviation.groupby("user_id")["deviation"].transform("mean")
    steady = deviation.loc[deviation["deviation"] <= deviation["limit"], ["user_id", "captured_at"]]
    return frame.merge(steady, on=["user_id", "captured_at"])


def _jitter(landmarks: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    frame = landmarks[(landmarks["day"] >= start) & (landmarks["day"] <= end)].copy()
    centre = frame.groupby(["user_id", "landmark_id"])[["x", "y", "z"]].transform("mean")
    frame["d2"] = ((frame[["x", "y", "z"]] - centre) ** 2).sum(axis=1)
    per_capture = frame.groupby(["user_id", "captured_at"])["d2"].mean()
    per_user = per_capture.groupby(level="user_id")
    return per_user.mean()[per_user.size() >= 2]


@pytest.fixture(scope="module")
def expected_user_metrics(warehouse: BuiltWarehouse, experiments: pd.DataFrame,
                          clean_assignments: pd.DataFrame) -> pd.DataFrame:
    """Per-user metrics recomputed with pandas from the staging tables."""
    interactions = warehouse.query(
        "select user_id, first_clicked_at, watch_time_seconds, shares from staging.stg_feed__interactions")
    interactions["day"] = interactions["first_clicked_at"].dt.normalize()
    interactions["watch_time_seconds"] = interactions["watch_time_seconds"].astype("float64")
    sessions = warehouse.query(
        "select user_id, started_at, product, interaction_time_seconds from staging.stg_face__product_interactions")
    sessions["day"] = sessions["started_at"].dt.normalize()
    sessions["interaction_time_seconds"] = sessions["interaction_time_seconds"].astype("float64")
    sessions["animoji"] = np.where(sessions["product"] == "Animoji", sessions["interaction_time_seconds"], 0.0)
    sessions["faceid"] = np.where(sessions["product"] == "FaceID", sessions["interaction_time_seconds"], 0.0)
    landmarks = warehouse.query("select * from staging.stg_face__facial_landmarks")
    landmarks["day"] = landmarks["captured_at"].dt.normalize()
    landmarks[["x", "y", "z"]] = landmarks[["x", "y", "z"]].astype("float64")
    face_users = clean_assignments.loc[
        clean_assignments["experiment_id"].map(experiments["surface"]) == "face", "user_id"].unique()
    steady = _steady_landmarks(landmarks[landmarks["user_id"].isin(face_users)])
    frames = []
    for experiment_id, users in clean_assignments.groupby("experiment_id"):
        e = experiments.loc[experiment_id]
        periods = {"value": (e["start_date"], e["end_date"]),
                   "pre_value": (e["pre_start"], e["start_date"] - pd.Timedelta(days=1))}
        per_period = {}
        for column, (start, end) in periods.items():
            if e["surface"] == "feed":
                sums = _period_sums(interactions, users, start, end, {
                    "watch_time_seconds": lambda g: g["watch_time_seconds"].sum(),
                    "active_days": lambda g: g["day"].nunique(),
                    "shares": lambda g: g["shares"].sum(),
                })
                recent = interactions[(interactions["day"] > end - pd.Timedelta(days=7))
                                      & (interactions["day"] <= end)]["user_id"]
                sums["retained_last_7_days"] = sums.index.isin(set(recent)).astype(float)
            else:
                sums = _period_sums(sessions, users, start, end, {
                    "animoji_seconds": lambda g: g["animoji"].sum(),
                    "faceid_seconds": lambda g: g["faceid"].sum(),
                    "sessions": lambda g: g.size(),
                })
                sums["landmark_jitter"] = _jitter(steady[steady["user_id"].isin(users["user_id"])],
                                                  start, end).reindex(sums.index)
            per_period[column] = sums.stack(future_stack=True).rename(column)
        long = pd.concat(per_period.values(), axis=1).reset_index()
        long.columns = ["user_id", "metric", "value", "pre_value"]
        long = long.merge(users, on="user_id")
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def marts(warehouse: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return {name: warehouse.query(f"select * from marts.{name}") for name in
            ("experiment_user_metrics", "experiment_results", "experiment_power", "experiment_daily_active_users")}


def _cuped(frame: pd.DataFrame) -> np.ndarray:
    x = frame["pre_value"].fillna(frame["pre_value"].mean()).fillna(0.0).to_numpy(float)
    y = frame["value"].to_numpy(float)
    var_x = x.var(ddof=1)
    theta = np.cov(y, x, ddof=1)[0, 1] / var_x if var_x > 0 else 0.0
    return y - theta * (x - x.mean())


def test_clean_assignments_match_staging_and_breaches_are_quarantined(
        warehouse: BuiltWarehouse, clean_assignments: pd.DataFrame):
    staged = warehouse.query("select experiment_id, user_id, variant from staging.stg_experiments__assignments")
    key = ["experiment_id", "user_id"]
    pd.testing.assert_frame_equal(staged.sort_values(key).reset_index(drop=True),
                                  clean_assignments.sort_values(key).reset_index(drop=True), check_dtype=False)
    quarantined = warehouse.query(
        "select record_key, quarantine_reason from staging.quarantined_rows "
        "where source_table = 'experiment_assignments'")
    reasons = quarantined.groupby("record_key")["quarantine_reason"].agg(set).to_dict()
    expected_reason = {"assigned_to_two_variants": "multiple_variants",
                       "assigned_outside_window": "assigned_outside_window", "unknown_variant": "unknown_variant"}
    for experiment_id, truth in warehouse.truth["experiments"].items():
        for kind, users in truth["guardrail_breaches"].items():
            assert users, kind
            for user_id in users:
                assert reasons.get(f"{experiment_id}|{user_id}") == {expected_reason[kind]}, (experiment_id, user_id)


def test_readout_excludes_quarantined_users(warehouse: BuiltWarehouse, marts: dict[str, pd.DataFrame]):
    metrics = marts["experiment_user_metrics"]
    for experiment_id, truth in warehouse.truth["experiments"].items():
        breached = {u for users in truth["guardrail_breaches"].values() for u in users}
        in_readout = set(metrics.loc[metrics["experiment_id"] == experiment_id, "user_id"])
        assert not breached & in_readout


def test_user_metrics_match_an_independent_computation(
        marts: dict[str, pd.DataFrame], expected_user_metrics: pd.DataFrame):
    actual = marts["experiment_user_metrics"]
    key = ["experiment_id", "user_id", "metric"]
    assert not actual.duplicated(key).any()
    merged = expected_user_metrics.merge(actual, on=key, how="outer", suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["variant"] == merged["variant_expected"]).all()
    for column in ("value", "pre_value"):
        np.testing.assert_allclose(merged[column].to_numpy(float), merged[f"{column}_expected"].to_numpy(float),
                                   rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=column)
    # Every assigned user has every metric of the surface; no activity counts 0.
    per_user = actual.groupby(["experiment_id", "user_id"])["metric"].nunique()
    assert (per_user == 4).all()
    assert actual.loc[actual["metric"] != "landmark_jitter", "value"].notna().all()
    assert (actual.loc[actual["metric"] == "active_days", "value"] == 0).any()


def test_welch_cuped_and_srm_match_scipy(marts: dict[str, pd.DataFrame], expected_user_metrics: pd.DataFrame,
                                         experiments: pd.DataFrame):
    results = marts["experiment_results"].set_index(["experiment_id", "metric", "variant"])
    assert len(results) == 8
    for (experiment_id, metric), frame in expected_user_metrics.groupby(["experiment_id", "metric"]):
        control_name = experiments.loc[experiment_id, "control_variant"]
        counts = frame.groupby("variant")["user_id"].nunique()
        srm = scipy_stats.chisquare(counts.sort_index().to_numpy(), f_exp=np.full(len(counts), counts.sum() / 2))
        frame = frame[frame["value"].notna()]
        control = frame[frame["variant"] == control_name]
        treatment = frame[frame["variant"] == "treatment"]
        row = results.loc[(experiment_id, metric, "treatment")]
        welch = scipy_stats.ttest_ind(treatment["value"], control["value"], equal_var=False)
        interval = welch.confidence_interval(0.95)
        adjusted = pd.Series(_cuped(frame), index=frame.index)
        cuped = scipy_stats.ttest_ind(adjusted[treatment.index], adjusted[control.index], equal_var=False)
        cuped_interval = cuped.confidence_interval(0.95)
        expected = {
            "users": len(treatment), "control_users": len(control),
            "mean": treatment["value"].mean(), "control_mean": control["value"].mean(),
            "lift_abs": treatment["value"].mean() - control["value"].mean(),
            "p_value": welch.pvalue, "ci_low": interval.low, "ci_high": interval.high,
            "cuped_lift_abs": adjusted[treatment.index].mean() - adjusted[control.index].mean(),
            "cuped_p_value": cuped.pvalue, "cuped_ci_low": cuped_interval.low, "cuped_ci_high": cuped_interval.high,
            "variance_reduction": 1 - ((cuped_interval.high - cuped_interval.low) / scipy_stats.t.ppf(0.975, cuped.df))
            ** 2 / ((interval.high - interval.low) / scipy_stats.t.ppf(0.975, welch.df)) ** 2,
            "srm_p_value": srm.pvalue,
        }
        for column, value in expected.items():
            assert row[column] == pytest.approx(value, rel=RTOL, abs=1e-12), (experiment_id, metric, column)


def test_planted_effect_is_detected_and_shipped(warehouse: BuiltWarehouse, marts: dict[str, pd.DataFrame]):
    results = marts["experiment_results"].set_index(["experiment_id", "metric"])
    assert warehouse.truth["experiments"][SPOTLIGHT]["has_effect"]
    primary = results.loc[(SPOTLIGHT, "active_days")]
    assert primary["decision"] == "ship"
    assert primary["cuped_lift_abs"] > 0 and primary["cuped_p_value"] < 0.05 and primary["cuped_ci_low"] > 0
    # The Animoji treatment lengthens sessions: detected too, though the SRM invalidates the readout.
    animoji = results.loc[(ANIMOJI, "animoji_seconds")]
    assert animoji["cuped_lift_abs"] > 0 and animoji["cuped_p_value"] < 0.05


def test_planted_jitter_reduction_is_measured(warehouse: BuiltWarehouse, marts: dict[str, pd.DataFrame]):
    """Treated captures deviate jitter_factor times as far from the face: variance times its square."""
    row = marts["experiment_results"].set_index(["experiment_id", "metric"]).loc[(ANIMOJI, "landmark_jitter")]
    planted = warehouse.truth["experiments"][ANIMOJI]["jitter_factor"] ** 2 - 1
    assert row["cuped_ci_high"] < 0 and row["cuped_p_value"] < 0.05
    assert abs(row["lift_rel"] - planted) < 0.15


def test_planted_sample_ratio_mismatch_is_flagged(warehouse: BuiltWarehouse, marts: dict[str, pd.DataFrame]):
    results = marts["experiment_results"]
    for experiment_id, truth in warehouse.truth["experiments"].items():
        rows = results[results["experiment_id"] == experiment_id]
        assert (rows["srm_flag"] == truth["has_srm"]).all(), experiment_id
        assert ((rows["decision"] == "invalid_srm") == truth["has_srm"]).all(), experiment_id


def test_cuped_narrows_the_interval_when_the_pre_period_correlates(
        marts: dict[str, pd.DataFrame], expected_user_metrics: pd.DataFrame):
    results = marts["experiment_results"].set_index(["experiment_id", "metric"])
    correlated = 0
    for (experiment_id, metric), frame in expected_user_metrics.dropna().groupby(["experiment_id", "metric"]):
        if np.corrcoef(frame["value"], frame["pre_value"])[0, 1] < 0.5:
            continue
        correlated += 1
        row = results.loc[(experiment_id, metric)]
        assert row["cuped_ci_high"] - row["cuped_ci_low"] < row["ci_high"] - row["ci_low"], (experiment_id, metric)
        assert row["variance_reduction"] > 0.2
    assert correlated >= 2


def test_power_matches_the_normal_approximation(marts: dict[str, pd.DataFrame], expected_user_metrics: pd.DataFrame):
    power = marts["experiment_power"].set_index(["experiment_id", "metric"])
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    for (experiment_id, metric), frame in expected_user_metrics.groupby(["experiment_id", "metric"]):
        frame = frame[frame["value"].notna()]
        t = frame.loc[frame["variant"] == "treatment", "value"]
        c = frame.loc[frame["variant"] == "control", "value"]
        row = power.loc[(experiment_id, metric)]
        mde = z * np.sqrt(t.var() / len(t) + c.var() / len(c))
        assert row["mde_abs"] == pytest.approx(mde, rel=RTOL)
        needed = z ** 2 * (t.var() / 0.5 + c.var() / 0.5) / (0.02 * c.mean()) ** 2
        assert abs(row["users_needed"] - needed) <= 1
        assert row["cuped_users_needed"] <= row["users_needed"] * 1.01


def test_daily_active_users_match_an_independent_count(warehouse: BuiltWarehouse, marts: dict[str, pd.DataFrame],
                                                       experiments: pd.DataFrame,
                                                       clean_assignments: pd.DataFrame):
    dau = marts["experiment_daily_active_users"]
    interactions = warehouse.query("select user_id, cast(first_clicked_at as date) as day "
                                   "from staging.stg_feed__interactions")
    sessions = warehouse.query("select user_id, cast(started_at as date) as day "
                               "from staging.stg_face__product_interactions")
    for experiment_id, users in clean_assignments.groupby("experiment_id"):
        e = experiments.loc[experiment_id]
        events = interactions if e["surface"] == "feed" else sessions
        days = pd.date_range(e["start_date"], e["end_date"])
        events = events.assign(day=pd.to_datetime(events["day"]))
        active = events[events["day"].isin(days)].drop_duplicates().merge(users, on="user_id")
        expected = active.groupby(["variant", "day"]).size()
        rows = dau[dau["experiment_id"] == experiment_id]
        assert len(rows) == len(days) * users["variant"].nunique()
        for row in rows.itertuples():
            key = (row.variant, pd.Timestamp(row.activity_date))
            assert row.daily_active_users == expected.get(key, 0), key
            assert row.assigned_users == (users["variant"] == row.variant).sum()
