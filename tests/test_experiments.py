"""Experiment marts against independent computations.

- The session warehouse (generated data, arms as the generator writes them) and a copy of its
  raw folder whose experiments.csv declares the planned arms: clean assignments rebuilt from the
  raw files with pandas, per-user metrics recomputed from staging, Welch, CUPED and the SRM
  chi-square recomputed with scipy; on the declared copy, the generator's planted truth (a real
  effect on Spotlight, a sample-ratio mismatch on Animoji, the guardrail breaches).
- A hand-written foreign folder (`foreign_build`): variants of any name and case, three arms with
  unequal declared shares and an SRM planted on one arm, percentages, an experiment with only a
  control, one whose every treatment row is quarantined, a declared arm nobody was assigned to,
  every arms-rule violation, a pre-period wholly before the data, a 195-day window, and ids above
  2**53 (up to 2**63 - 2).
- A header-only folder (no experiments at all) and a feed-only folder with a single face
  experiment (its surface not loaded).

Each folder is built with `--select +path:models/marts/experiments`, not the whole warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from engagement_analytics.tooling.warehouse import run_dbt
from tests.conftest import BuiltWarehouse, build_paths

FEED_METRICS = ["watch_time_seconds", "active_days", "shares", "retained_last_7_days"]
FACE_METRICS = ["animoji_seconds", "faceid_seconds", "sessions", "landmark_jitter"]
RTOL = 1e-6
SPOTLIGHT, ANIMOJI = "spotlight_trending_genres", "animoji_enhanced_mapping"
EXPERIMENT_SELECTION = "+path:models/marts/experiments"
ALL_DOMAINS = "feed,face,moderation,experiments"
MARTS = ("experiment_user_metrics", "experiment_results", "experiment_power", "experiment_daily_active_users")


def build_experiments(base: Path, raw_dir: Path, domains: str = ALL_DOMAINS) -> BuiltWarehouse:
    """`dbt build` of the experiment marts and everything they read, for one raw folder."""
    paths = build_paths(base, raw_dir)
    result = run_dbt(
        ["build", "--select", EXPERIMENT_SELECTION, "--indirect-selection", "cautious"],
        paths,
        extra_env={"WAREHOUSE_DOMAINS": domains},
        capture=True,
    )
    results_file = paths.target_dir / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return BuiltWarehouse(paths, {}, result, run_results, False)


def assert_built(build: BuiltWarehouse) -> None:
    assert build.build.returncode == 0, build.build.stdout[-6000:]
    failed = [
        (r["unique_id"], r["status"]) for r in build.run_results["results"] if r["status"] not in ("success", "pass")
    ]
    assert not failed


# --- independent computations -------------------------------------------------------------------


def parse_arms(text: object) -> dict[str, float] | None:
    """The declared arms, parsed with plain Python: name -> share over the total."""
    if not isinstance(text, str) or not text.strip():
        return None
    entries = [e.strip() for e in text.split("|") if e.strip()]
    shares = {name.strip().lower(): float(share) for name, share in (e.split(":") for e in entries)}
    total = sum(shares.values())
    return {name: share / total for name, share in shares.items()}


def read_experiments(raw_dir: Path, experiment_ids: list[str] | None = None) -> pd.DataFrame:
    """The registry as written (all of it, or the valid experiments named), arms parsed."""
    frame = pd.read_csv(raw_dir / "experiments.csv", dtype=str, keep_default_na=False)
    if experiment_ids is not None:
        frame = frame[frame["experiment_id"].isin(experiment_ids)]
    if "arms" not in frame.columns:
        frame["arms"] = ""
    frame["control_variant"] = frame["control_variant"].str.strip().str.lower()
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["days"] = (frame["end_date"] - frame["start_date"]).dt.days + 1
    frame["pre_start"] = frame["start_date"] - pd.to_timedelta(frame["days"], unit="D")
    frame["declared"] = frame["arms"].map(parse_arms)
    return frame.set_index("experiment_id")


def clean_assignments(build: BuiltWarehouse, experiments: pd.DataFrame) -> pd.DataFrame:
    """The guardrails, applied with pandas to the raw assignment file (valid experiments only)."""
    raw = build.raw("select * from read_parquet('{raw}/experiment_assignments.parquet')")
    raw["variant"] = raw["variant"].str.strip().str.lower()
    raw = raw[raw["variant"].fillna("") != ""]
    raw = raw[raw["experiment_id"].isin(experiments.index)]
    variants_per_user = raw.groupby(["experiment_id", "user_id"])["variant"].transform("nunique")
    raw = raw[variants_per_user == 1].drop_duplicates(["experiment_id", "user_id"])
    declared = raw["experiment_id"].map(experiments["declared"])
    known = [arms is None or variant in arms for variant, arms in zip(raw["variant"], declared, strict=True)]
    day = raw["assigned_at"].dt.normalize()
    inside = (day >= raw["experiment_id"].map(experiments["start_date"])) & (
        day <= raw["experiment_id"].map(experiments["end_date"])
    )
    feed_users = set(build.raw("select user_id from read_parquet('{raw}/users.parquet')")["user_id"])
    is_feed = raw["experiment_id"].map(experiments["surface"]) == "feed"
    user_ok = ~is_feed | raw["user_id"].isin(feed_users)
    return raw[np.array(known) & inside & user_ok][["experiment_id", "user_id", "variant"]].reset_index(drop=True)


def planned_shares(experiment: pd.Series, assigned: pd.DataFrame) -> dict[str, float]:
    """Declared shares, or the control's 1 - treatment_share and the seen treatment arms' equal split."""
    if experiment["declared"] is not None:
        return experiment["declared"]
    share = float(experiment["treatment_share"])
    arms = sorted(set(assigned["variant"]) - {experiment["control_variant"]})
    return {experiment["control_variant"]: 1 - share, **{arm: share / len(arms) for arm in arms}}


def srm_p_value(experiment: pd.Series, assigned: pd.DataFrame) -> float:
    shares = planned_shares(experiment, assigned)
    counts = assigned["variant"].value_counts()
    observed = [counts.get(v, 0) for v in shares]
    expected = [shares[v] * len(assigned) for v in shares]
    if sum(shares.values()) < 1 - 1e-9:
        observed.append(0)
        expected.append((1 - sum(shares.values())) * len(assigned))
    return scipy_stats.chisquare(observed, f_exp=expected).pvalue


def _period_sums(
    events: pd.DataFrame, users: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, columns: dict[str, pd.Series]
) -> pd.DataFrame:
    in_period = events[(events["day"] >= start) & (events["day"] <= end)]
    grouped = in_period.groupby("user_id")
    out = pd.DataFrame(index=users["user_id"])
    for name, func in columns.items():
        out[name] = func(grouped).reindex(out.index).fillna(0)
    return out


def _steady_landmarks(landmarks: pd.DataFrame, faults: pd.DataFrame) -> pd.DataFrame:
    """Landmarks of captures that are not sensor faults: the captures landmark_capture_anomalies
    flags are left out (int_landmark_captures_classified, the face domain's one definition behind
    landmark_capture_anomalies)."""
    flagged = faults[["user_id", "captured_at"]].assign(fault=True)
    frame = landmarks.merge(flagged, on=["user_id", "captured_at"], how="left")
    return frame[frame["fault"].isna()].drop(columns="fault")


def _jitter(landmarks: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    frame = landmarks[(landmarks["day"] >= start) & (landmarks["day"] <= end)].copy()
    centre = frame.groupby(["user_id", "landmark_id"])[["x", "y", "z"]].transform("mean")
    frame["d2"] = ((frame[["x", "y", "z"]] - centre) ** 2).sum(axis=1)
    per_capture = frame.groupby(["user_id", "captured_at"])["d2"].mean()
    per_user = per_capture.groupby(level="user_id")
    return per_user.mean()[per_user.size() >= 2]


def expected_user_metrics(
    build: BuiltWarehouse, experiments: pd.DataFrame, assignments: pd.DataFrame, with_jitter: bool = True
) -> pd.DataFrame:
    """Per-user metrics recomputed with pandas from the staging tables."""
    interactions = build.query(
        "select user_id, first_clicked_at, watch_time_seconds, shares from staging.stg_feed__interactions"
    )
    interactions["day"] = interactions["first_clicked_at"].dt.normalize()
    interactions["watch_time_seconds"] = interactions["watch_time_seconds"].astype("float64")
    sessions = build.query(
        "select user_id, started_at, product, interaction_time_seconds from staging.stg_face__product_interactions"
    )
    sessions["day"] = sessions["started_at"].dt.normalize()
    sessions["interaction_time_seconds"] = sessions["interaction_time_seconds"].astype("float64")
    sessions["animoji"] = np.where(sessions["product"] == "Animoji", sessions["interaction_time_seconds"], 0.0)
    sessions["faceid"] = np.where(sessions["product"] == "FaceID", sessions["interaction_time_seconds"], 0.0)
    steady = None
    if with_jitter:
        landmarks = build.query("select * from staging.stg_face__facial_landmarks")
        landmarks["day"] = landmarks["captured_at"].dt.normalize()
        landmarks[["x", "y", "z"]] = landmarks[["x", "y", "z"]].astype("float64")
        face_users = assignments.loc[
            assignments["experiment_id"].map(experiments["surface"]) == "face", "user_id"
        ].unique()
        faults = build.query(
            "select user_id, captured_at from intermediate.int_landmark_captures_classified where is_anomaly"
        )
        steady = _steady_landmarks(landmarks[landmarks["user_id"].isin(face_users)], faults)
    frames = []
    for experiment_id, users in assignments.groupby("experiment_id"):
        e = experiments.loc[experiment_id]
        periods = {
            "value": (e["start_date"], e["end_date"]),
            "pre_value": (e["pre_start"], e["start_date"] - pd.Timedelta(days=1)),
        }
        per_period = {}
        for column, (start, end) in periods.items():
            if e["surface"] == "feed":
                sums = _period_sums(
                    interactions,
                    users,
                    start,
                    end,
                    {
                        "watch_time_seconds": lambda g: g["watch_time_seconds"].sum(),
                        "active_days": lambda g: g["day"].nunique(),
                        "shares": lambda g: g["shares"].sum(),
                    },
                )
                recent = interactions[
                    (interactions["day"] > end - pd.Timedelta(days=7)) & (interactions["day"] <= end)
                ]["user_id"]
                sums["retained_last_7_days"] = sums.index.isin(set(recent)).astype(float)
            else:
                sums = _period_sums(
                    sessions,
                    users,
                    start,
                    end,
                    {
                        "animoji_seconds": lambda g: g["animoji"].sum(),
                        "faceid_seconds": lambda g: g["faceid"].sum(),
                        "sessions": lambda g: g.size(),
                    },
                )
                if steady is not None:
                    sums["landmark_jitter"] = _jitter(
                        steady[steady["user_id"].isin(users["user_id"])], start, end
                    ).reindex(sums.index)
            per_period[column] = sums.stack(future_stack=True).rename(column)
        long = pd.concat(per_period.values(), axis=1).reset_index()
        long.columns = ["user_id", "metric", "value", "pre_value"]
        long = long.merge(users, on="user_id")
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


def _cuped(frame: pd.DataFrame) -> np.ndarray:
    x = frame["pre_value"].fillna(frame["pre_value"].mean()).fillna(0.0).to_numpy(float)
    y = frame["value"].to_numpy(float)
    var_x = x.var(ddof=1)
    theta = np.cov(y, x, ddof=1)[0, 1] / var_x if var_x > 0 else 0.0
    return y - theta * (x - x.mean())


def expected_comparison(frame: pd.DataFrame, arm: str, control_name: str) -> dict[str, float]:
    """Welch and CUPED of one arm against the control on one metric's per-user rows."""
    frame = frame[frame["value"].notna() & frame["variant"].isin([arm, control_name])]
    control = frame[frame["variant"] == control_name]
    treatment = frame[frame["variant"] == arm]
    welch = scipy_stats.ttest_ind(treatment["value"], control["value"], equal_var=False)
    interval = welch.confidence_interval(0.95)
    adjusted = pd.Series(_cuped(frame), index=frame.index)
    cuped = scipy_stats.ttest_ind(adjusted[treatment.index], adjusted[control.index], equal_var=False)
    cuped_interval = cuped.confidence_interval(0.95)
    return {
        "users": len(treatment),
        "control_users": len(control),
        "mean": treatment["value"].mean(),
        "control_mean": control["value"].mean(),
        "lift_abs": treatment["value"].mean() - control["value"].mean(),
        "p_value": welch.pvalue,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "cuped_lift_abs": adjusted[treatment.index].mean() - adjusted[control.index].mean(),
        "cuped_p_value": cuped.pvalue,
        "cuped_ci_low": cuped_interval.low,
        "cuped_ci_high": cuped_interval.high,
        "variance_reduction": 1
        - ((cuped_interval.high - cuped_interval.low) / scipy_stats.t.ppf(0.975, cuped.df)) ** 2
        / ((interval.high - interval.low) / scipy_stats.t.ppf(0.975, welch.df)) ** 2,
    }


def marts_of(build: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return {name: build.query(f"select * from marts.{name}") for name in MARTS}


# --- the generated data: as generated, and with the planned arms declared -----------------------


@pytest.fixture(scope="module")
def declared_build(warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The session's raw folder with experiments.csv declaring the arms the generator planned: the
    variants of the clean assignments, less the ones the truth plants as unknown."""
    base = tmp_path_factory.mktemp("declared_arms")
    raw_dir = base / "raw"
    raw_dir.mkdir()
    for source in warehouse.raw_dir.iterdir():
        if source.name != "experiments.csv":
            os.symlink(source, raw_dir / source.name)
    experiments = pd.read_csv(warehouse.raw_dir / "experiments.csv", dtype=str, keep_default_na=False)
    assignments = warehouse.raw(
        "select experiment_id, user_id, variant from read_parquet('{raw}/experiment_assignments.parquet')"
    )
    arms = []
    for row in experiments.itertuples(index=False):
        unknown = set(warehouse.truth["experiments"][row.experiment_id]["guardrail_breaches"]["unknown_variant"])
        rows = assignments[(assignments["experiment_id"] == row.experiment_id) & ~assignments["user_id"].isin(unknown)]
        treatment_arms = sorted(set(rows["variant"].str.lower()) - {row.control_variant})
        share = float(row.treatment_share)
        arms.append(
            "|".join(
                [f"{row.control_variant}:{1 - share}"]
                + [f"{arm}:{share / len(treatment_arms)}" for arm in treatment_arms]
            )
        )
    experiments["arms"] = arms
    experiments.to_csv(raw_dir / "experiments.csv", index=False)
    build = build_experiments(base, raw_dir)
    assert_built(build)
    return BuiltWarehouse(build.paths, warehouse.truth, build.build, build.run_results, False)


@pytest.fixture(scope="module", params=["session", "declared_arms"])
def built(request: pytest.FixtureRequest) -> BuiltWarehouse:
    return request.getfixturevalue("warehouse" if request.param == "session" else "declared_build")


@pytest.fixture(scope="module")
def experiments(built: BuiltWarehouse) -> pd.DataFrame:
    return read_experiments(built.raw_dir)


@pytest.fixture(scope="module")
def assignments(built: BuiltWarehouse, experiments: pd.DataFrame) -> pd.DataFrame:
    return clean_assignments(built, experiments)


@pytest.fixture(scope="module")
def user_metrics(built: BuiltWarehouse, experiments: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    return expected_user_metrics(built, experiments, assignments)


@pytest.fixture(scope="module")
def marts(built: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return marts_of(built)


def test_clean_assignments_match_staging(built: BuiltWarehouse, assignments: pd.DataFrame):
    staged = built.query("select experiment_id, user_id, variant from staging.stg_experiments__assignments")
    key = ["experiment_id", "user_id"]
    pd.testing.assert_frame_equal(
        staged.sort_values(key).reset_index(drop=True),
        assignments.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )


def test_user_metrics_match_an_independent_computation(marts: dict[str, pd.DataFrame], user_metrics: pd.DataFrame):
    actual = marts["experiment_user_metrics"]
    key = ["experiment_id", "user_id", "metric"]
    assert not actual.duplicated(key).any()
    merged = user_metrics.merge(actual, on=key, how="outer", suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["variant"] == merged["variant_expected"]).all()
    for column in ("value", "pre_value"):
        np.testing.assert_allclose(
            merged[column].to_numpy(float),
            merged[f"{column}_expected"].to_numpy(float),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=column,
        )
    # Every assigned user has every metric of the surface; no activity counts 0.
    per_user = actual.groupby(["experiment_id", "user_id"])["metric"].nunique()
    assert (per_user == 4).all()
    assert actual.loc[actual["metric"] != "landmark_jitter", "value"].notna().all()
    assert (actual.loc[actual["metric"] == "active_days", "value"] == 0).any()


def test_every_arm_matches_scipy(
    marts: dict[str, pd.DataFrame], user_metrics: pd.DataFrame, experiments: pd.DataFrame, assignments: pd.DataFrame
):
    """Every treatment arm, whatever its name, against the control: Welch, CUPED and the SRM
    chi-square over all arms against the planned shares."""
    results = marts["experiment_results"].set_index(["experiment_id", "metric", "variant"])
    expected_rows = 0
    for (experiment_id, metric), frame in user_metrics.groupby(["experiment_id", "metric"]):
        experiment = experiments.loc[experiment_id]
        assigned = assignments[assignments["experiment_id"] == experiment_id]
        arms = sorted(set(planned_shares(experiment, assigned)) - {experiment["control_variant"]})
        srm = srm_p_value(experiment, assigned)
        for arm in arms:
            expected_rows += 1
            row = results.loc[(experiment_id, metric, arm)]
            expected = expected_comparison(frame, arm, experiment["control_variant"])
            if expected["users"] < 2:
                assert np.isnan(row["p_value"])
                assert row["users"] == expected["users"]
                continue
            for column, value in {**expected, "srm_p_value": srm}.items():
                assert row[column] == pytest.approx(value, rel=RTOL, abs=1e-12), (experiment_id, metric, arm, column)
    assert len(results) == expected_rows


def test_power_matches_the_normal_approximation(
    marts: dict[str, pd.DataFrame], user_metrics: pd.DataFrame, experiments: pd.DataFrame, assignments: pd.DataFrame
):
    power = marts["experiment_power"].set_index(["experiment_id", "metric", "variant"])
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    checked = 0
    for (experiment_id, metric), group in user_metrics.groupby(["experiment_id", "metric"]):
        experiment = experiments.loc[experiment_id]
        shares = planned_shares(experiment, assignments[assignments["experiment_id"] == experiment_id])
        control_name = experiment["control_variant"]
        frame = group[group["value"].notna()]
        c = frame.loc[frame["variant"] == control_name, "value"]
        for arm in set(shares) - {control_name}:
            t = frame.loc[frame["variant"] == arm, "value"]
            if len(t) < 2:
                continue
            row = power.loc[(experiment_id, metric, arm)]
            mde = z * np.sqrt(t.var() / len(t) + c.var() / len(c))
            assert row["mde_abs"] == pytest.approx(mde, rel=RTOL)
            fraction = shares[arm] / (shares[arm] + shares[control_name])
            needed = z**2 * (t.var() / fraction + c.var() / (1 - fraction)) / (0.02 * c.mean()) ** 2
            assert abs(row["users_needed"] - needed) <= 1
            assert row["cuped_users_needed"] <= row["users_needed"] * 1.01
            checked += 1
    assert checked >= 8


def test_daily_active_users_match_an_independent_count(
    built: BuiltWarehouse, marts: dict[str, pd.DataFrame], experiments: pd.DataFrame, assignments: pd.DataFrame
):
    dau = marts["experiment_daily_active_users"]
    interactions = built.query(
        "select user_id, cast(first_clicked_at as date) as day from staging.stg_feed__interactions"
    )
    sessions = built.query(
        "select user_id, cast(started_at as date) as day from staging.stg_face__product_interactions"
    )
    for experiment_id, users in assignments.groupby("experiment_id"):
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


def test_a_misspelt_variant_is_an_arm_unless_the_arms_are_declared(
    warehouse: BuiltWarehouse, declared_build: BuiltWarehouse
):
    """Without declared arms, the generator's planted misspelling is a treatment arm like any other
    name; with the arms declared it is quarantined (unknown_variant) and no readout row names it."""
    for build in (warehouse, declared_build):
        experiments = read_experiments(build.raw_dir)
        staged = build.query("select experiment_id, user_id, variant from staging.stg_experiments__assignments")
        results = build.query("select experiment_id, variant from marts.experiment_results")
        for experiment_id, truth in warehouse.truth["experiments"].items():
            misspelt = set(truth["guardrail_breaches"]["unknown_variant"])
            rows = staged[(staged["experiment_id"] == experiment_id) & staged["user_id"].isin(misspelt)]
            arms = set(results.loc[results["experiment_id"] == experiment_id, "variant"])
            declared = experiments.loc[experiment_id, "declared"]
            if declared is not None:
                assert rows.empty
                assert arms <= set(declared)
            else:
                assert len(rows) == len(misspelt)
                assert set(rows["variant"]) <= arms
    assert read_experiments(declared_build.raw_dir)["declared"].notna().all()


# --- the planted truth, on the declared copy -----------------------------------------------------


@pytest.fixture(scope="module")
def declared_marts(declared_build: BuiltWarehouse) -> dict[str, pd.DataFrame]:
    return marts_of(declared_build)


def test_guardrail_breaches_are_quarantined(declared_build: BuiltWarehouse):
    quarantined = declared_build.query(
        "select experiment_id, user_id, quarantine_reason from staging.base_experiments__assignments "
        "where quarantine_reason is not null"
    )
    reasons = quarantined.groupby(["experiment_id", "user_id"])["quarantine_reason"].agg(set).to_dict()
    expected_reason = {
        "assigned_to_two_variants": "multiple_variants",
        "assigned_outside_window": "assigned_outside_window",
        "unknown_variant": "unknown_variant",
    }
    for experiment_id, truth in declared_build.truth["experiments"].items():
        for kind, users in truth["guardrail_breaches"].items():
            assert users, kind
            for user_id in users:
                assert reasons.get((experiment_id, user_id)) == {expected_reason[kind]}, (experiment_id, user_id)


def test_readout_excludes_quarantined_users(declared_build: BuiltWarehouse, declared_marts: dict[str, pd.DataFrame]):
    metrics = declared_marts["experiment_user_metrics"]
    for experiment_id, truth in declared_build.truth["experiments"].items():
        breached = {u for users in truth["guardrail_breaches"].values() for u in users}
        in_readout = set(metrics.loc[metrics["experiment_id"] == experiment_id, "user_id"])
        assert not breached & in_readout


def test_planted_effect_is_detected_and_shipped(
    declared_build: BuiltWarehouse, declared_marts: dict[str, pd.DataFrame]
):
    results = declared_marts["experiment_results"].set_index(["experiment_id", "metric"])
    assert declared_build.truth["experiments"][SPOTLIGHT]["has_effect"]
    assert len(declared_marts["experiment_results"]) == 8
    primary = results.loc[(SPOTLIGHT, "active_days")]
    assert primary["decision"] == "ship"
    assert primary["cuped_lift_abs"] > 0
    assert primary["cuped_p_value"] < 0.05
    assert primary["cuped_ci_low"] > 0
    # The Animoji treatment lengthens sessions: detected too, though the SRM invalidates the readout.
    animoji = results.loc[(ANIMOJI, "animoji_seconds")]
    assert animoji["cuped_lift_abs"] > 0
    assert animoji["cuped_p_value"] < 0.05


def test_planted_jitter_reduction_is_measured(declared_build: BuiltWarehouse, declared_marts: dict[str, pd.DataFrame]):
    """Treated captures deviate jitter_factor times as far from the face: variance times its square."""
    row = declared_marts["experiment_results"].set_index(["experiment_id", "metric"]).loc[(ANIMOJI, "landmark_jitter")]
    planted = declared_build.truth["experiments"][ANIMOJI]["jitter_factor"] ** 2 - 1
    assert row["cuped_ci_high"] < 0
    assert row["cuped_p_value"] < 0.05
    assert abs(row["lift_rel"] - planted) < 0.15


def test_planted_sample_ratio_mismatch_is_flagged(
    declared_build: BuiltWarehouse, declared_marts: dict[str, pd.DataFrame]
):
    results = declared_marts["experiment_results"]
    for experiment_id, truth in declared_build.truth["experiments"].items():
        rows = results[results["experiment_id"] == experiment_id]
        assert (rows["srm_flag"] == truth["has_srm"]).all(), experiment_id
        assert ((rows["decision"] == "invalid_srm") == truth["has_srm"]).all(), experiment_id


def test_cuped_narrows_the_interval_when_the_pre_period_correlates(
    declared_build: BuiltWarehouse, declared_marts: dict[str, pd.DataFrame]
):
    experiments = read_experiments(declared_build.raw_dir)
    per_user = expected_user_metrics(
        declared_build, experiments, clean_assignments(declared_build, experiments), with_jitter=False
    )
    results = declared_marts["experiment_results"].set_index(["experiment_id", "metric"])
    correlated = 0
    for (experiment_id, metric), frame in per_user.dropna().groupby(["experiment_id", "metric"]):
        if np.corrcoef(frame["value"], frame["pre_value"])[0, 1] < 0.5:
            continue
        correlated += 1
        row = results.loc[(experiment_id, metric)]
        assert row["cuped_ci_high"] - row["cuped_ci_low"] < row["ci_high"] - row["ci_low"], (experiment_id, metric)
        assert row["variance_reduction"] > 0.2
    assert correlated >= 2


# --- a foreign folder: other names, arms, spans and ids -----------------------------------------

FEED_USER_BASE = 2**60 + 12_345
FACE_USER_BASE = 2**62 + 7
BIG_IDS = [2**53 + 1, 2**63 - 2]  # not representable as float64 / the largest BIGINT but one
EXPERIMENTS_HEADER = "experiment_id,surface,start_date,end_date,control_variant,treatment_share,arms\n"
FOREIGN_EXPERIMENTS = {
    # experiment_id: (surface, start, end, control_variant, treatment_share, arms)
    "checkout_colors": ("feed", "2019-03-01", "2019-03-14", "Control", "", "CONTROL:0.5|Blue:0.3| green :0.2|"),
    "button_ab": ("feed", "2018-09-01", "2019-03-14", "a", "0.5", ""),
    "only_control": ("feed", "2019-03-01", "2019-03-14", "ctl", "0.5", ""),
    "percent_split": ("feed", "2019-03-01", "2019-03-14", "control", "", "control:50|b:50"),
    "all_quarantined": ("face", "2019-06-01", "2019-06-14", "control", "0.5", ""),
    "empty_arm": ("face", "2019-06-01", "2019-06-14", "ctl", "0.4", "ctl:0.6|x:0.2|y:0.2"),
    "thirds": ("face", "2019-06-01", "2019-06-14", "c", "", "c:0.333|d:0.333|e:0.333"),
    "bad_shares": ("feed", "2019-03-01", "2019-03-14", "control", "", "control:0.5|b:0.4"),
    "no_control_listed": ("feed", "2019-03-01", "2019-03-14", "control", "", "a:0.5|b:0.5"),
    "bad_entry": ("feed", "2019-03-01", "2019-03-14", "control", "", "control:0.5|b"),
    "duplicate_arm": ("feed", "2019-03-01", "2019-03-14", "control", "", "control:0.5|B:0.25|b:0.25"),
    "zero_share": ("feed", "2019-03-01", "2019-03-14", "control", "", "control:1|b:0"),
    "mismatch": ("feed", "2019-03-01", "2019-03-14", "control", "0.3", "control:0.5|b:0.5"),
    "no_split": ("feed", "2019-03-01", "2019-03-14", "control", "", ""),
}
EXPECTED_EXPERIMENT_REASONS = {
    "bad_shares": "arm_shares_not_one",
    "no_control_listed": "control_not_in_arms",
    "bad_entry": "invalid_arms",
    "duplicate_arm": "invalid_arms",
    "zero_share": "invalid_arms",
    "mismatch": "treatment_share_mismatch",
    "no_split": "share_out_of_range",
}


def _write_parquet(frame: pd.DataFrame, path: Path, types: dict[str, str]) -> None:
    """Write ``frame`` with the contract column types (an empty frame writes a header-only file)."""
    con = duckdb.connect()
    con.register("frame", frame)
    columns = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in types.items())
    con.execute(f"copy (select {columns} from frame) to '{path}' (format parquet)")
    con.close()


CONTRACT_TYPES = {
    "users.parquet": {"user_id": "bigint", "preferred_genre": "varchar", "last_active": "date"},
    "videos.parquet": {"video_id": "bigint", "genre": "varchar", "upload_date": "date"},
    "interactions.parquet": {
        "interaction_id": "bigint",
        "user_id": "bigint",
        "video_id": "bigint",
        "watch_time": "double",
        "first_click_timestamp": "timestamp",
        "interaction_type": "varchar",
        "shares": "integer",
    },
    "user_facial_data.parquet": {
        "user_id": "bigint",
        "captured_at": "timestamp",
        "landmark_id": "integer",
        "x": "double",
        "y": "double",
        "z": "double",
    },
    "user_expressions.parquet": {
        "user_id": "bigint",
        "recorded_at": "timestamp",
        "expression_type": "varchar",
        "expression_strength": "double",
    },
    "product_interactions.parquet": {
        "user_id": "bigint",
        "started_at": "timestamp",
        "product": "varchar",
        "interaction_time": "double",
    },
    "experiment_assignments.parquet": {
        "experiment_id": "varchar",
        "user_id": "bigint",
        "variant": "varchar",
        "assigned_at": "timestamp",
    },
}
FACE_FILES = ("user_facial_data.parquet", "user_expressions.parquet", "product_interactions.parquet")
CLAIMS_HEADER = (
    "#,claim_status,video_id,video_duration_sec,video_transcription_text,verified_status,"
    "author_ban_status,video_view_count,video_like_count,video_share_count,video_download_count,"
    "video_comment_count\n"
)


def write_header_only(raw_dir: Path, files: tuple[str, ...] = tuple(CONTRACT_TYPES)) -> None:
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name in files:
        _write_parquet(pd.DataFrame({c: [] for c in CONTRACT_TYPES[name]}), raw_dir / name, CONTRACT_TYPES[name])
    (raw_dir / "claims_videos.csv").write_text(CLAIMS_HEADER)
    (raw_dir / "experiments.csv").write_text(EXPERIMENTS_HEADER)


def _daily_events(rng: np.random.Generator, user_ids: np.ndarray, first: str, last: str) -> pd.DataFrame:
    """Each user active on a random subset of the days (own rate), 1-3 events per active day."""
    days = pd.date_range(first, last)
    rates = rng.beta(2, 6, len(user_ids))
    active = rng.random((len(user_ids), len(days))) < rates[:, None]
    users, day_index = np.nonzero(active)
    repeats = rng.integers(1, 4, len(users))
    users, day_index = np.repeat(users, repeats), np.repeat(day_index, repeats)
    seconds = rng.integers(0, 86_400, len(users))
    return pd.DataFrame({"user_id": user_ids[users], "at": days[day_index] + pd.to_timedelta(seconds, unit="s")})


@dataclass
class ForeignFolder:
    raw_dir: Path
    assignments: pd.DataFrame
    interactions: pd.DataFrame


def write_foreign_folder(raw_dir: Path, seed: int = 11) -> ForeignFolder:
    rng = np.random.default_rng(seed)
    write_header_only(raw_dir)
    feed_users = np.concatenate(
        [FEED_USER_BASE + 7_919 * np.arange(3_000, dtype=np.int64), np.array(BIG_IDS, dtype=np.int64)]
    )
    face_users = FACE_USER_BASE + 3 * np.arange(700, dtype=np.int64)
    videos = pd.DataFrame(
        {
            "video_id": 2**40 + np.arange(40, dtype=np.int64),
            "genre": [f"genre {k % 5}" for k in range(40)],
            "upload_date": dt.date(2018, 6, 1),
        }
    )
    events = _daily_events(rng, feed_users, "2019-01-20", "2019-03-14")
    interactions = pd.DataFrame(
        {
            "interaction_id": 2**58 + np.arange(len(events), dtype=np.int64),
            "user_id": events["user_id"],
            "video_id": rng.choice(videos["video_id"].to_numpy(), len(events)),
            "watch_time": rng.gamma(2.0, 30.0, len(events)),
            "first_click_timestamp": events["at"],
            "interaction_type": rng.choice(["view", "like"], len(events)),
            "shares": rng.poisson(0.2, len(events)),
        }
    )
    users = pd.DataFrame(
        {
            "user_id": feed_users,
            "preferred_genre": "genre 1",
            "last_active": interactions.groupby("user_id")["first_click_timestamp"]
            .max()
            .dt.date.reindex(feed_users)
            .to_numpy(),
        }
    )
    sessions = _daily_events(rng, face_users, "2019-05-15", "2019-06-14")
    product_interactions = pd.DataFrame(
        {
            "user_id": sessions["user_id"],
            "started_at": sessions["at"],
            "product": rng.choice(["Animoji", "FaceID"], len(sessions)),
            "interaction_time": rng.gamma(2.0, 20.0, len(sessions)),
        }
    ).drop_duplicates(["user_id", "started_at", "product"])
    for name, frame in (
        ("users.parquet", users),
        ("videos.parquet", videos),
        ("interactions.parquet", interactions),
        ("product_interactions.parquet", product_interactions),
    ):
        _write_parquet(frame, raw_dir / name, CONTRACT_TYPES[name])

    def assign(experiment_id: str, ids: np.ndarray, variants: list[str], at: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "experiment_id": experiment_id,
                "user_id": ids,
                "variant": variants,
                "assigned_at": pd.Timestamp(at) + pd.to_timedelta(rng.integers(0, 86_400, len(ids)), "s"),
            }
        )

    # Three arms planned 50/30/20; 150 of the 400 green users are lost (the planted SRM), the two
    # largest ids sit in blue, one user has a variant the experiment did not declare.
    checkout_ids = np.concatenate([feed_users[:1_850], np.array(BIG_IDS, dtype=np.int64), feed_users[2_000:2_001]])
    checkout_variants = (
        ["control", " CONTROL", "Control", "control"] * 250
        + ["BLUE", "blue"] * 300
        + ["green"] * 250
        + ["blue"] * 2
        + ["purple"]
    )
    ab = rng.random(800) < 0.5
    frames = [
        assign("checkout_colors", checkout_ids, checkout_variants, "2019-03-01"),
        assign("button_ab", feed_users[2_000:2_800], list(np.where(ab, "B", "A")), "2018-09-01"),
        assign("only_control", feed_users[:300], ["ctl"] * 300, "2019-03-02"),
        assign("percent_split", feed_users[:20], ["control", "b"] * 10, "2019-03-02"),
        assign("all_quarantined", face_users[:200], ["control"] * 200, "2019-06-01"),
        assign("all_quarantined", face_users[200:400], ["t"] * 200, "2019-06-20"),
        assign("empty_arm", face_users[400:700], ["ctl"] * 225 + ["x"] * 75, "2019-06-01"),
    ]
    frames += [
        assign(experiment_id, feed_users[:1], ["b"], "2019-03-02") for experiment_id in EXPECTED_EXPERIMENT_REASONS
    ]
    assignments = pd.concat(frames, ignore_index=True)
    _write_parquet(
        assignments, raw_dir / "experiment_assignments.parquet", CONTRACT_TYPES["experiment_assignments.parquet"]
    )
    (raw_dir / "experiments.csv").write_text(
        EXPERIMENTS_HEADER
        + "".join(f"{experiment_id},{','.join(row)}\n" for experiment_id, row in FOREIGN_EXPERIMENTS.items())
    )
    return ForeignFolder(raw_dir, assignments, interactions)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> tuple[ForeignFolder, BuiltWarehouse, dict[str, pd.DataFrame]]:
    base = tmp_path_factory.mktemp("foreign_experiments")
    folder = write_foreign_folder(base / "raw")
    build = build_experiments(base, folder.raw_dir)
    assert_built(build)
    return folder, build, marts_of(build)


def test_foreign_registry_rules_quarantine_each_broken_arms_declaration(foreign):
    _, build, _ = foreign
    registry = build.query("select experiment_id, quarantine_reason from staging.base_experiments__experiments")
    reasons = dict(zip(registry["experiment_id"], registry["quarantine_reason"], strict=True))
    assert {e: r for e, r in reasons.items() if pd.notna(r)} == EXPECTED_EXPERIMENT_REASONS
    arms = build.query("select experiment_id, variant, planned_share from staging.stg_experiments__declared_arms")
    declared = {e: dict(zip(g["variant"], g["planned_share"], strict=True)) for e, g in arms.groupby("experiment_id")}
    assert declared["checkout_colors"] == pytest.approx({"control": 0.5, "blue": 0.3, "green": 0.2})
    assert declared["percent_split"] == pytest.approx({"control": 0.5, "b": 0.5})
    assert declared["thirds"] == pytest.approx({"c": 1 / 3, "d": 1 / 3, "e": 1 / 3})
    assert set(declared) == {"checkout_colors", "percent_split", "empty_arm", "thirds"}
    shares = build.query("select experiment_id, treatment_share from staging.stg_experiments__experiments")
    assert dict(zip(shares["experiment_id"], shares["treatment_share"], strict=True)) == pytest.approx(
        {
            "checkout_colors": 0.5,
            "button_ab": 0.5,
            "only_control": 0.5,
            "percent_split": 0.5,
            "all_quarantined": 0.5,
            "empty_arm": 0.4,
            "thirds": 2 / 3,
        }
    )


def test_foreign_assignments_keep_any_variant_name_and_quarantine_undeclared_ones(foreign):
    folder, build, _ = foreign
    rows = build.query(
        "select experiment_id, user_id, variant, quarantine_reason from staging.base_experiments__assignments"
    )
    reasons = rows.groupby("quarantine_reason")["experiment_id"].agg(list).to_dict()
    assert reasons["unknown_variant"] == ["checkout_colors"]
    assert reasons["assigned_outside_window"] == ["all_quarantined"] * 200
    assert sorted(reasons["orphan_experiment_id"]) == sorted(EXPECTED_EXPERIMENT_REASONS)
    assert set(reasons) == {"unknown_variant", "assigned_outside_window", "orphan_experiment_id"}
    staged = build.query(
        "select experiment_id, variant, count(*) as n from staging.stg_experiments__assignments group by all"
    )
    counts = {(r.experiment_id, r.variant): r.n for r in staged.itertuples()}
    ab = folder.assignments[folder.assignments["experiment_id"] == "button_ab"]["variant"].value_counts()
    assert counts == {
        ("checkout_colors", "control"): 1_000,
        ("checkout_colors", "blue"): 602,
        ("checkout_colors", "green"): 250,
        ("button_ab", "a"): ab["A"],
        ("button_ab", "b"): ab["B"],
        ("only_control", "ctl"): 300,
        ("percent_split", "control"): 10,
        ("percent_split", "b"): 10,
        ("all_quarantined", "control"): 200,
        ("empty_arm", "ctl"): 225,
        ("empty_arm", "x"): 75,
    }


def test_foreign_three_arms_each_against_control_with_the_srm_over_all_arms(foreign):
    """Unequal declared shares 50/30/20 with 150 green users lost: the chi-square over the three
    arms equals scipy's and flags it; blue and green each match scipy against the control."""
    folder, build, marts = foreign
    results = marts["experiment_results"].set_index(["experiment_id", "metric", "variant"])
    srm = scipy_stats.chisquare([1_000, 602, 250], f_exp=np.array([0.5, 0.3, 0.2]) * 1_852).pvalue
    assert srm < 1e-6
    rows = results.loc["checkout_colors"]
    assert sorted(set(rows.index.get_level_values("variant"))) == ["blue", "green"]
    assert rows["srm_p_value"].to_numpy() == pytest.approx(np.full(len(rows), srm), rel=1e-9)
    assert (rows["decision"] == "invalid_srm").all()
    assert rows["srm_flag"].all()
    assert rows.xs("green", level="variant")["planned_share"].to_numpy() == pytest.approx(np.full(4, 0.2))
    experiments = read_experiments(folder.raw_dir, ["checkout_colors"])
    assigned = clean_assignments(build, experiments)
    per_user = expected_user_metrics(build, experiments, assigned, with_jitter=False)
    for metric in FEED_METRICS:
        frame = per_user[per_user["metric"] == metric]
        for arm in ("blue", "green"):
            expected = expected_comparison(frame, arm, "control")
            for column, value in expected.items():
                assert rows.loc[(metric, arm), column] == pytest.approx(value, rel=RTOL, abs=1e-12), (metric, arm)


def test_foreign_experiments_without_a_treatment_arm_say_so(foreign):
    _, _, marts = foreign
    results = marts["experiment_results"]
    for experiment_id, metrics, control_users, planned in (
        ("only_control", FEED_METRICS, 300, 0.5),
        ("all_quarantined", FACE_METRICS, 200, 0.5),
    ):
        rows = results[results["experiment_id"] == experiment_id]
        assert sorted(rows["metric"]) == sorted(metrics)
        assert rows["variant"].isna().all()
        assert (rows["decision"] == "no_treatment_arm").all()
        assert (rows["users"] == 0).all()
        assert (rows["assigned_control_users"] == control_users).all()
        assert rows["p_value"].isna().all()
        assert rows["lift_abs"].isna().all()
        # All the planned treatment share is missing: the split is off.
        srm = scipy_stats.chisquare(
            [control_users, 0], f_exp=[control_users * (1 - planned), control_users * planned]
        ).pvalue
        assert rows["srm_p_value"].to_numpy() == pytest.approx(np.full(len(rows), srm), rel=1e-9)
    empty = results[results["experiment_id"] == "empty_arm"].set_index(["variant", "metric"])
    assert (empty.loc["y", "decision"] == "no_treatment_arm").all()
    assert (empty.loc["y", "users"] == 0).all()
    assert (empty.loc["x", "decision"] == "invalid_srm").all()
    assert empty["srm_p_value"].iloc[0] == pytest.approx(
        scipy_stats.chisquare([225, 75, 0], f_exp=[180, 60, 60]).pvalue, rel=1e-9
    )
    thirds = results[results["experiment_id"] == "thirds"]
    assert sorted(set(thirds["variant"])) == ["d", "e"]
    assert (thirds["decision"] == "no_treatment_arm").all()
    assert thirds["srm_p_value"].isna().all()
    power = marts["experiment_power"]
    assert power[power["experiment_id"] == "only_control"]["variant"].isna().all()
    assert len(power) == len(results)


def test_foreign_pre_period_before_the_data_leaves_cuped_equal_to_welch(foreign):
    """button_ab's 195-day pre-period ends before the data starts: every pre-period value is 0,
    theta is 0 and the CUPED numbers are the Welch ones; every day of the window is in the DAU."""
    _, _, marts = foreign
    metrics = marts["experiment_user_metrics"]
    ab = metrics[metrics["experiment_id"] == "button_ab"]
    assert (ab["pre_value"] == 0).all()
    rows = marts["experiment_results"].set_index(["experiment_id", "metric", "variant"]).loc["button_ab"]
    assert list(rows.index.get_level_values("variant").unique()) == ["b"]
    assert rows["cuped_p_value"].to_numpy() == pytest.approx(rows["p_value"].to_numpy(), rel=1e-12)
    assert rows["cuped_lift_abs"].to_numpy() == pytest.approx(rows["lift_abs"].to_numpy(), rel=1e-12)
    dau = marts["experiment_daily_active_users"]
    assert len(dau[dau["experiment_id"] == "button_ab"]) == 195 * 2


def test_foreign_ids_above_2_53_survive_into_the_marts(foreign):
    folder, build, marts = foreign
    metrics = marts["experiment_user_metrics"]
    written = folder.assignments[
        (folder.assignments["experiment_id"] == "checkout_colors") & (folder.assignments["variant"] != "purple")
    ]
    expected = {int(u) for u in written["user_id"]}
    got = {int(u) for u in metrics.loc[metrics["experiment_id"] == "checkout_colors", "user_id"]}
    assert got == expected
    assert set(BIG_IDS) <= got
    # Read as exact integers in SQL too (no float64 on the way).
    big = build.query(
        "select user_id from marts.experiment_user_metrics "
        f"where user_id in ({', '.join(map(str, BIG_IDS))}) and metric = 'active_days'"
    )
    assert sorted(int(u) for u in big["user_id"]) == BIG_IDS


# --- no experiments at all; a surface that is not loaded ----------------------------------------


def _column_types(build: BuiltWarehouse, table: str) -> dict[str, str]:
    return {row[0]: row[1] for row in build.query(f"describe marts.{table}").itertuples(index=False)}


def test_header_only_folder_builds_every_experiment_mart_empty_and_typed(tmp_path: Path):
    write_header_only(tmp_path / "raw")
    build = build_experiments(tmp_path, tmp_path / "raw")
    assert_built(build)
    for table in MARTS:
        assert build.query(f"select count(*) as n from marts.{table}")["n"][0] == 0, table
    types = _column_types(build, "experiment_results")
    assert types["variant"] == "VARCHAR"
    assert types["users"] == "BIGINT"
    assert types["p_value"] == "DOUBLE"
    assert _column_types(build, "experiment_power")["users_needed"] == "BIGINT"


def test_an_experiment_whose_surface_is_not_loaded_is_quarantined_and_read_out_as_such(tmp_path: Path):
    """Feed and experiment files only (no face files at all), one face experiment: its
    assignments are surface_not_loaded and its readout rows say there is no treatment arm."""
    raw_dir = tmp_path / "raw"
    write_header_only(raw_dir, tuple(name for name in CONTRACT_TYPES if name not in FACE_FILES))
    (raw_dir / "experiments.csv").write_text(EXPERIMENTS_HEADER + "face_only,face,2019-06-01,2019-06-14,ctl,0.5,\n")
    assignments = pd.DataFrame(
        {
            "experiment_id": "face_only",
            "user_id": FACE_USER_BASE + np.arange(6),
            "variant": ["ctl", "new"] * 3,
            "assigned_at": pd.Timestamp("2019-06-02"),
        }
    )
    _write_parquet(
        assignments, raw_dir / "experiment_assignments.parquet", CONTRACT_TYPES["experiment_assignments.parquet"]
    )
    build = build_experiments(tmp_path, raw_dir, domains="feed,experiments")
    assert_built(build)
    reasons = build.query(
        "select quarantine_reason, count(*) as n from staging.base_experiments__assignments group by all"
    )
    assert dict(zip(reasons["quarantine_reason"], reasons["n"], strict=True)) == {"surface_not_loaded": 6}
    results = build.query("select * from marts.experiment_results")
    assert sorted(results["metric"]) == sorted(FACE_METRICS)
    assert (results["decision"] == "no_treatment_arm").all()
    assert results["variant"].isna().all()
    assert build.query("select count(*) as n from marts.experiment_user_metrics")["n"][0] == 0
