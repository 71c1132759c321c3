"""The warehouse on data that does not follow our own conventions: for every generator profile
(big sparse ids, pixels or metres, other variant names and arms, other expression labels, short
and long spans, many cold-start users) build the whole warehouse once and check every planted
truth against truth.json and the raw files, with the same thresholds on every profile.

Thresholds are what the default profile achieves (seed 7, SF0.02: anomaly precision and recall
1.00, segment ARI 0.99, every series video matched inside its series), less a margin; they are
never set per profile. The measured figures are printed as one table per run (and written to
``planted_truths.md`` in pytest's base temp folder).

WAREHOUSE_TEST_PROFILES=name,name narrows the profiles while developing; CI runs them all.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import pandas as pd
import pytest

from engagement_analytics.tooling.generator import PROFILES, generate
from tests import planted_truth as pt
from tests.conftest import TEST_SEED, BuiltWarehouse, build_paths, build_warehouse

PROFILE_SCALE = 0.02
SELECTED = [name for name in os.environ.get("WAREHOUSE_TEST_PROFILES", ",".join(PROFILES)).split(",") if name]
TOP_DROPS = 3
ANOMALY_PRECISION_MIN = 0.9
ANOMALY_RECALL_MIN = 0.9
SEGMENT_ARI_MIN = 0.9
SERIES_COVERAGE_MIN = 0.9
SERIES_IN_SERIES_MIN = 0.95
DROP_DELTA_RTOL = 1e-4


# --- the per-profile table -------------------------------------------------------------------


@dataclass
class TruthTable:
    """Measured truths per profile, printed at the end of the run."""

    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    arms: list[dict] = field(default_factory=list)
    srm: list[dict] = field(default_factory=list)
    path: object = None

    def record(self, profile: str, **values: str) -> None:
        self.rows.setdefault(profile, {}).update(values)

    def lines(self) -> list[str]:
        columns = [
            "build",
            "top drops",
            "drivers listed",
            "series in series",
            "anomaly P / R",
            "segment ARI (k)",
            "quarantine",
        ]
        out = ["| profile | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for profile, values in self.rows.items():
            out.append(f"| {profile} | " + " | ".join(values.get(c, "not run") for c in columns) + " |")
        if self.arms:
            out += [
                "",
                (
                    "| profile | experiment | arm | metric | lift_rel | CUPED lift_rel | planted | CUPED 95% CI "
                    "| as planted |"
                ),
                "|---" * 9 + "|",
            ]
            for a in self.arms:
                out.append(
                    f"| {a['profile']} | {a['experiment_id']} | {a['arm']} | {a['metric']} "
                    f"| {_f(a['lift_rel'])} | {_f(a['cuped_lift_rel'])} | {_f(a['planted_lift_rel'])} "
                    f"| [{_f(a['cuped_ci_low'], 4)}, {_f(a['cuped_ci_high'], 4)}] | {a['verdict']} |"
                )
        if self.srm:
            out += [
                "",
                "| profile | experiment | planted SRM | srm_flag | mart SRM p | independent SRM p |",
                "|---" * 6 + "|",
            ]
            for s in self.srm:
                out.append(
                    f"| {s['profile']} | {s['experiment_id']} | {s['has_srm']} | {s['flags']} "
                    f"| {_f(s['srm_p_value'], 6)} | {_f(s['independent_p'], 6)} |"
                )
        return out

    def pytest_terminal_summary(self, terminalreporter) -> None:  # pytest hook
        if not self.rows:
            return
        terminalreporter.write_sep("=", "planted truths per generator profile")
        for line in self.lines():
            terminalreporter.write_line(line)
        if self.path is not None:
            self.path.write_text("\n".join(self.lines()) + "\n")
            terminalreporter.write_line(f"(also in {self.path})")


def _f(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"


@pytest.fixture(scope="session")
def truth_table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TruthTable:
    table = TruthTable(path=tmp_path_factory.getbasetemp() / "planted_truths.md")
    request.config.pluginmanager.register(table, "planted-truth-table")
    return table


# --- one build per profile -------------------------------------------------------------------


@dataclass
class ProfileBuild:
    name: str
    warehouse: BuiltWarehouse
    table: TruthTable

    def record(self, **values: str) -> None:
        self.table.record(self.name, **values)

    def mart_or_fail(self, measure, *args):
        """Run a measurement; a mart that did not build fails the check with its failing node."""
        try:
            return measure(self.warehouse, *args)
        except pt.MissingMartError as missing:
            message = str(missing)
        pytest.fail(message, pytrace=False)


@pytest.fixture(scope="module", params=SELECTED)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, truth_table: TruthTable
) -> ProfileBuild:
    """Generate the profile's files and `dbt build` the whole warehouse once. A failing node does
    not stop the build's other nodes, so what did build stays readable for the other checks."""
    name = request.param
    base = tmp_path_factory.mktemp(f"profile_{name}")
    raw_dir = base / "raw"
    truth = generate(PROFILE_SCALE, TEST_SEED, raw_dir, progress=False, profile=name)
    result, run_results = build_warehouse(base, raw_dir)
    truth_table.record(
        name, build="ok" if result.returncode == 0 else f"{len(pt.failing_nodes(run_results))} failing nodes"
    )
    warehouse = BuiltWarehouse(build_paths(base, raw_dir), truth, result, run_results, uses_real_claims=False)
    return ProfileBuild(name, warehouse, truth_table)


# --- checks ----------------------------------------------------------------------------------


def test_dbt_build_succeeds(built: ProfileBuild):
    failing = pt.failing_nodes(built.warehouse.run_results)
    message = (
        f"{built.name}: dbt build exit {built.warehouse.build.returncode}, failing nodes:\n"
        + "\n".join(failing)
        + f"\n{built.warehouse.build.stdout[-2000:]}"
    )
    assert built.warehouse.build.returncode == 0, message
    assert not failing, message


def test_nothing_is_quarantined_but_the_planted_breaches(built: ProfileBuild):
    """Generated files keep the contract: the only quarantined rows are claims without a label and
    the planted assignment breaches (an unknown variant only where the experiment declares its
    arms: otherwise every variant other than control is a treatment arm)."""
    wh = built.warehouse
    quarantined = wh.query("select source_table, record_key, quarantine_reason from staging.quarantined_rows")
    summary = quarantined.groupby(["source_table", "quarantine_reason"]).size()
    built.record(quarantine=", ".join(f"{t}.{r}={n}" for (t, r), n in summary.items()) or "none")
    unexpected = quarantined[~quarantined["source_table"].isin(["claims_videos", "experiment_assignments"])]
    problems = [
        f"{t}: {r} x{n}" for (t, r), n in unexpected.groupby(["source_table", "quarantine_reason"]).size().items()
    ]
    claims = quarantined[quarantined["source_table"] == "claims_videos"]
    if set(claims["quarantine_reason"]) - {"missing_label"} or len(claims) != wh.truth["claims"]["rows_missing_label"]:
        problems.append(
            f"claims: {claims['quarantine_reason'].value_counts().to_dict()}, planted "
            f"{wh.truth['claims']['rows_missing_label']} missing labels"
        )
    reason = {
        "assigned_to_two_variants": "multiple_variants",
        "assigned_outside_window": "assigned_outside_window",
        "unknown_variant": "unknown_variant",
    }
    assignments = quarantined[quarantined["source_table"] == "experiment_assignments"]
    got = assignments.groupby("record_key")["quarantine_reason"].agg(set).to_dict()
    expected, optional = {}, set()
    for experiment_id, truth in wh.truth["experiments"].items():
        for kind, users in truth["guardrail_breaches"].items():
            for user_id in users:
                key = f"{experiment_id}|{user_id}"
                if kind == "unknown_variant" and not truth["arms_declared"]:
                    optional.add(key)
                else:
                    expected[key] = {reason[kind]}
    wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    extra = sorted(set(got) - set(expected) - optional)
    if wrong or extra:
        problems.append(
            f"assignments: {len(wrong)} planted breaches not quarantined as planted "
            f"{list(wrong.items())[:5]}, {len(extra)} other assignments quarantined {extra[:5]}"
        )
    assert not problems, f"{built.name}: " + "; ".join(problems)


def test_top_drop_genres_are_the_planted_ones_in_order(built: ProfileBuild):
    drops = built.mart_or_fail(pt.measure_drops, TOP_DROPS)
    built.record(**{"top drops": ("ok " if drops.top == drops.planted else "got ") + "/".join(drops.top)})
    assert drops.analysis_months == [drops.planted_month], (built.name, drops.analysis_months)
    assert drops.top == drops.planted, (built.name, drops.top, drops.planted)
    assert max(drops.delta_errors.values()) <= DROP_DELTA_RTOL, (built.name, drops.delta_errors)


def test_planted_drivers_are_decline_contributors(built: ProfileBuild):
    drivers = built.mart_or_fail(pt.measure_drivers)
    total = sum(len(v) for v in drivers.expected.values())
    listed = sum(len(v) for v in drivers.listed.values())
    built.record(**{"drivers listed": f"{listed}/{total}"})
    assert total > 0, f"{built.name}: no planted driver watched their genre the month before"
    missing = {
        g: sorted(drivers.expected[g] - drivers.listed[g])[:5]
        for g in drivers.expected
        if drivers.expected[g] - drivers.listed[g]
    }
    assert not missing, f"{built.name}: planted drivers missing from genre_decline_contributors: {missing}"


def test_series_videos_match_inside_their_series(built: ProfileBuild):
    series = built.mart_or_fail(pt.measure_series)
    built.record(**{"series in series": f"{series.in_series}/{series.matched} (of {series.series_videos})"})
    assert series.coverage >= SERIES_COVERAGE_MIN, (built.name, series.coverage)
    assert series.in_series_share >= SERIES_IN_SERIES_MIN, (built.name, series.in_series_share, series.outside[:5])


def test_landmark_anomalies_reach_precision_and_recall(built: ProfileBuild):
    anomalies = built.mart_or_fail(pt.measure_anomalies)
    built.record(
        **{
            "anomaly P / R": f"{_f(anomalies.precision, 2)} / {_f(anomalies.recall, 2)} "
            f"({anomalies.flagged} flagged, {anomalies.planted} planted)"
        }
    )
    assert anomalies.planted > 0
    quality = (built.name, anomalies.precision, anomalies.recall, anomalies.recall_by_kind)
    assert anomalies.precision >= ANOMALY_PRECISION_MIN, quality
    assert anomalies.recall >= ANOMALY_RECALL_MIN, quality


def test_expression_segments_recover_the_planted_profiles(built: ProfileBuild):
    segments = built.mart_or_fail(pt.measure_segments)
    built.record(
        **{
            "segment ARI (k)": f"{_f(segments.ari, 2)} ({segments.segments}; "
            f"{segments.users}/{segments.planted_users} users)"
        }
    )
    assert segments.users >= 0.95 * segments.planted_users, (built.name, segments.users, segments.planted_users)
    assert segments.ari >= SEGMENT_ARI_MIN, (built.name, segments.ari)


def test_experiment_effects_are_read_as_planted(built: ProfileBuild):
    """Every treatment arm's primary metric: a planted effect is positive with a CUPED interval
    above 0; an arm without one has an interval that covers 0."""
    arms = built.mart_or_fail(pt.measure_arms)
    problems = []
    for row in arms.to_dict("records"):
        if not row["found"]:
            verdict = "no readout row"
        elif not row["primary"]:
            verdict = "reported"
        elif row["has_effect"]:
            verdict = "ok" if row["cuped_ci_low"] > 0 else "effect missed"
        else:
            verdict = "ok" if row["cuped_ci_low"] <= 0 <= row["cuped_ci_high"] else "false effect"
        built.table.arms.append({"profile": built.name, **row, "verdict": verdict})
        if row["primary"] and verdict != "ok":
            problems.append(
                f"{row['experiment_id']}/{row['arm']}/{row['metric']}: {verdict} "
                f"(CUPED CI [{row['cuped_ci_low']}, {row['cuped_ci_high']}])"
            )
    assert built.warehouse.truth["experiments"] == {} or len(arms) > 0
    assert not problems, f"{built.name}: " + "; ".join(problems)


def test_sample_ratio_mismatch_is_flagged_exactly_where_planted(built: ProfileBuild):
    srm = built.mart_or_fail(pt.measure_srm)
    for row in srm.to_dict("records"):
        built.table.srm.append({"profile": built.name, **row})
    wrong = srm[(srm["rows"] == 0) | srm.apply(lambda r: r["flags"] != [r["has_srm"]], axis=1)]
    assert wrong.empty, f"{built.name}:\n{wrong.to_string()}"


def test_ids_survive_from_the_raw_files_to_the_marts(built: ProfileBuild):
    """Ids of any size within BIGINT (the profiles put some above 2**53) reach staging and the
    marts unchanged: every raw feed user has recommendations, and the face marts hold raw face
    user ids only (an id rounded through float64 would not be one)."""
    wh = built.warehouse
    raw_users = set(wh.raw("select user_id from read_parquet('{raw}/users.parquet')")["user_id"].astype("int64"))
    raw_face = set(
        wh.raw("select distinct user_id from read_parquet('{raw}/user_expressions.parquet')")["user_id"].astype("int64")
    )
    staged = set(wh.query("select user_id from staging.stg_feed__users")["user_id"].astype("int64"))
    assert staged == raw_users, (built.name, sorted(raw_users - staged)[:5], sorted(staged - raw_users)[:5])
    recommended = set(
        built.mart_or_fail(pt.read_mart, "user_video_recommendations", "distinct user_id")["user_id"].astype("int64")
    )
    assert recommended == raw_users, (built.name, sorted(raw_users - recommended)[:5])
    for mart in ("user_expression_segments", "landmark_capture_anomalies"):
        ids = set(built.mart_or_fail(pt.read_mart, mart, "distinct user_id")["user_id"].astype("int64"))
        assert ids, (built.name, mart)
        assert ids <= raw_face, (built.name, mart, sorted(ids - raw_face)[:5])


def test_experiments_csv_matches_the_truth(built: ProfileBuild):
    """truth.json names each experiment as experiments.csv does, with dates inside the data."""
    wh = built.warehouse
    registry = pd.read_csv(wh.raw_dir / "experiments.csv", dtype=str, keep_default_na=False)
    assert sorted(registry["experiment_id"]) == sorted(wh.truth["experiments"])
    clicks = wh.raw(
        "select min(first_click_timestamp) as lo, max(first_click_timestamp) as hi "
        "from read_parquet('{raw}/interactions.parquet')"
    ).iloc[0]
    for row in registry.to_dict("records"):
        truth = wh.truth["experiments"][row["experiment_id"]]
        assert (row["start_date"], row["end_date"], row["control_variant"]) == (
            truth["start_date"],
            truth["end_date"],
            truth["control_variant"],
        )
        assert clicks["lo"] <= pd.Timestamp(row["start_date"])
        assert pd.Timestamp(row["end_date"]) <= clicks["hi"]
        if truth["arms_declared"]:
            declared = dict(pair.split(":") for pair in row["arms"].split("|"))
            assert {k: float(v) for k, v in declared.items()} == {
                arm: planted["planned_share"] for arm, planted in truth["arms"].items()
            }


# --- the generator's own promises, without a build -------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, dict]]:
    """Every profile's files at the smallest scale (the floors in common.py), no warehouse."""
    base = tmp_path_factory.mktemp("profiles_raw")
    return {
        name: (base / name, generate(PROFILE_SCALE, TEST_SEED, base / name, progress=False, profile=name))
        for name in PROFILES
    }


def test_profiles_vary_the_conventions_they_name(generated: dict):
    import duckdb

    con = duckdb.connect()
    try:
        for name, (raw, truth) in generated.items():
            profile = PROFILES[name]
            assert truth["profile"]["name"] == name
            users = con.execute(f"select user_id from '{raw}/users.parquet'").df()["user_id"]
            assert users.is_unique
            assert users.min() >= 1
            assert users.max() < 2**63
            assert ((users > 2**53).any()) == (profile.feed_user_ids.high_share > 0), name
            landmarks = (
                con.execute(
                    f"select max(landmark_id) + 1 as n, min(x) as x0, max(x) as x1, "
                    f"min(captured_at) as t0 from '{raw}/user_facial_data.parquet'"
                )
                .df()
                .iloc[0]
            )
            assert landmarks["n"] == profile.landmarks == truth["face"]["landmarks_per_capture"]
            assert truth["face"]["coordinate_unit"] == profile.coordinate_unit.name
            if profile.coordinate_unit.name == "metres":
                assert -0.5 < landmarks["x0"] < 0 < landmarks["x1"] < 1
            if profile.coordinate_unit.name == "pixels":
                assert landmarks["x1"] > 100
            assert landmarks["t0"].date() >= profile.start_month
            labels = set(
                con.execute(f"select distinct expression_type from '{raw}/user_expressions.parquet'").df()[
                    "expression_type"
                ]
            )
            assert labels == set(profile.expression_labels) == set(truth["face"]["expression_labels"].values())
            months = con.execute(
                f"select count(distinct date_trunc('month', first_click_timestamp)) from '{raw}/interactions.parquet'"
            ).fetchall()[0][0]
            assert months == profile.months
            assert (
                truth["feed"]["analysis_month"]
                == (pd.Timestamp(profile.start_month) + pd.DateOffset(months=profile.months - 1)).date().isoformat()
            )
            cold = len(truth["feed"]["cold_start_user_ids"]) / len(users)
            assert abs(cold - profile.cold_start_share) < 0.05, (name, cold)
            # Each experiment has a full pre-period inside the data; Spotlight ends before the two
            # months the planted genre drop compares.
            previous_month = pd.Timestamp(truth["feed"]["analysis_month"]) - pd.DateOffset(months=1)
            for experiment in truth["experiments"].values():
                start, end = pd.Timestamp(experiment["start_date"]), pd.Timestamp(experiment["end_date"])
                assert start.weekday() == 0
                assert (end - start).days + 1 in (28, 14)
                assert start - (end - start) - pd.Timedelta(days=1) >= pd.Timestamp(profile.start_month)
                assert end < previous_month + pd.DateOffset(months=2)
                if experiment["surface"] == "feed":
                    assert end < previous_month
    finally:
        con.close()


def test_generate_defaults_to_the_default_profile(generated: dict, tmp_path):
    """generate() without a profile writes the same files as the default profile, byte for byte."""
    import hashlib

    raw, _ = generated["default"]
    generate(PROFILE_SCALE, TEST_SEED, tmp_path, progress=False)
    for path in sorted(raw.iterdir()):
        if path.name == "truth.json":
            continue
        assert (
            hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256((tmp_path / path.name).read_bytes()).digest()
        ), path.name


def test_profiles_reject_conventions_the_generator_cannot_plant():
    import datetime as dt

    from engagement_analytics.tooling.generator.profiles import Arm, ExperimentDesign, GeneratorProfile, IdRange

    with pytest.raises(ValueError, match="months >= 2"):
        GeneratorProfile(months=1)
    with pytest.raises(ValueError, match="start_month must be the first of a month"):
        GeneratorProfile(start_month=dt.date(2025, 10, 2))
    with pytest.raises(ValueError, match="planned shares must sum to 1"):
        ExperimentDesign((Arm("control", 0.5), Arm("b", 0.4)))
    with pytest.raises(ValueError, match="the unknown variant 'B' is one of the arms"):
        ExperimentDesign((Arm("control", 0.5), Arm("b", 0.5)), unknown_variant="B")
    with pytest.raises(ValueError, match=r"must stay in 1\.\.2\*\*53"):
        IdRange(start=2**53 - 10, max_step=5, high_share=0.1).draw(__import__("numpy").random.default_rng(0), 100)
    with pytest.raises(ValueError, match="unknown generator profile 'no_such_profile'"):
        generate(PROFILE_SCALE, TEST_SEED, __import__("pathlib").Path("/nonexistent"), profile="no_such_profile")
