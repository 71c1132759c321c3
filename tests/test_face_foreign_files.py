"""Face analytics on files we did not make: the generator's face files rewritten the way other
trackers and classifiers write them (pixel or metre coordinates, MediaPipe's 468 landmarks,
expression types outside our list, ids above 2**53, one month or three years of sessions, a
header-only folder), each built with only the face models. Every expectation is computed here
from the rewritten files and the generator's planted truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from engagement_analytics.tooling.generator import generate
from engagement_analytics.tooling.warehouse import PROJECT_DIR
from tests.conftest import build_warehouse

FACE_FILES = ("user_facial_data.parquet", "user_expressions.parquet", "product_interactions.parquet")
FACE_SELECT = (
    "--select",
    "+path:models/marts/face",
    "+interaction_time_forecast_model_metrics",
    "--indirect-selection",
    "cautious",
)
KEY = ["user_id", "captured_at"]
ID_OFFSET = 2**60  # ids far above 2**53, where a float64 would round them
MEDIAPIPE_LANDMARKS = 468
SMIRK_SHARE_OF_FROWNS = 0.6


@dataclass
class FaceBuild:
    raw_dir: Path
    db_path: Path
    run_results: dict
    returncode: int
    stdout: str

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def statuses(self) -> dict[str, str]:
        return {r["unique_id"]: r["status"] for r in self.run_results["results"]}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("face_generated")
    truth = generate(0.005, 11, out, progress=False)
    return out, truth


@pytest.fixture(scope="module")
def planted(generated: tuple[Path, dict]) -> pd.DataFrame:
    frame = pd.DataFrame(generated[1]["face"]["anomalies"])
    frame["captured_at"] = pd.to_datetime(frame["captured_at"]).astype("datetime64[us]")
    frame["user_id"] = frame["user_id"].astype("int64")
    return frame


def read(raw_dir: Path, file_name: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        return con.execute(f"select * from read_parquet('{raw_dir / file_name}')").df()
    finally:
        con.close()


def write(frame: pd.DataFrame, path: Path, types: dict[str, str]) -> None:
    """Write ``frame`` as Parquet with the contract's column types."""
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        columns = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in types.items())
        con.execute(f"copy (select {columns} from frame) to '{path}' (format parquet)")
    finally:
        con.close()


LANDMARK_TYPES = {
    "user_id": "bigint",
    "captured_at": "timestamp",
    "landmark_id": "integer",
    "x": "double",
    "y": "double",
    "z": "double",
}
EXPRESSION_TYPES = {
    "user_id": "bigint",
    "recorded_at": "timestamp",
    "expression_type": "varchar",
    "expression_strength": "double",
}
SESSION_TYPES = {"user_id": "bigint", "started_at": "timestamp", "product": "varchar", "interaction_time": "double"}
TYPES = dict(zip(FACE_FILES, (LANDMARK_TYPES, EXPRESSION_TYPES, SESSION_TYPES), strict=True))


def build_case(base: Path, source: Path, rewrite: dict[str, Callable[[pd.DataFrame], pd.DataFrame]]) -> FaceBuild:
    """A raw folder with the three face files, some rewritten, built with the face models only."""
    raw_dir = base / "raw"
    raw_dir.mkdir(parents=True)
    for file_name in FACE_FILES:
        frame = read(source, file_name)
        write(rewrite.get(file_name, lambda f: f)(frame), raw_dir / file_name, TYPES[file_name])
    result, run_results = build_warehouse(base, raw_dir, *FACE_SELECT)
    return FaceBuild(raw_dir, base / "warehouse.duckdb", run_results, result.returncode, result.stdout)


# --- the rewrites --------------------------------------------------------------------------------


def to_pixels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(x=frame["x"] * 1920, y=frame["y"] * 1080, z=frame["z"] * 1000)


def to_metres(frame: pd.DataFrame) -> pd.DataFrame:
    """Metres around a face anchor at the frame's centre, a face about 8 cm wide (ARKit-like)."""
    return frame.assign(x=(frame["x"] - 0.5) * 0.15, y=(frame["y"] - 0.5) * 0.15, z=frame["z"] * 0.15)


def shift_ids(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(user_id=frame["user_id"].astype("int64") + ID_OFFSET)


def to_mediapipe(frame: pd.DataFrame) -> pd.DataFrame:
    """468 landmarks per capture: each of the 68 points becomes up to seven points at fixed offsets
    (ids 7 * landmark + j below 468), so every planted fault carries over to the copies."""
    copies = []
    rng = np.random.default_rng(3)
    offsets = rng.normal(0, 0.01, (7, 3))
    for j in range(7):
        ids = frame["landmark_id"] * 7 + j
        keep = ids < MEDIAPIPE_LANDMARKS
        part = frame[keep].assign(
            landmark_id=ids[keep],
            x=frame.loc[keep, "x"] + offsets[j, 0],
            y=frame.loc[keep, "y"] + offsets[j, 1],
            z=frame.loc[keep, "z"] + offsets[j, 2],
        )
        copies.append(part)
    return pd.concat(copies, ignore_index=True)


def single_capture_users(frame: pd.DataFrame) -> pd.DataFrame:
    """Users whose id is a multiple of 10 keep only their first capture."""
    first = frame.groupby("user_id")["captured_at"].transform("min")
    return frame[(frame["user_id"] % 10 != 0) | (frame["captured_at"] == first)]


def with_unknown_types(profiles: dict[int, str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The frowning profile's classifier learnt 'smirk': 60% of those users' frowns are written
    ' Smirk ' (any case and spacing); plus two rows with an empty type, which stay quarantined."""

    def rewrite(frame: pd.DataFrame) -> pd.DataFrame:
        rng = np.random.default_rng(5)
        frowning = frame["user_id"].map(profiles).eq("frowning_focused")
        relabel = frowning & frame["expression_type"].eq("frown") & (rng.random(len(frame)) < SMIRK_SHARE_OF_FROWNS)
        frame = frame.assign(expression_type=np.where(relabel, " Smirk ", frame["expression_type"]))
        blank = frame.head(2).assign(
            expression_type=["", "   "], recorded_at=pd.Timestamp("2020-01-01") + pd.to_timedelta([1, 2], unit="s")
        )
        return pd.concat([frame, blank], ignore_index=True)

    return rewrite


def one_month(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame["started_at"].max()
    return frame[frame["started_at"] > last - pd.Timedelta(days=30)]


def three_years(frame: pd.DataFrame) -> pd.DataFrame:
    """The year of sessions spread over three: each session's offset from the start tripled."""
    start = frame["started_at"].min()
    return frame.assign(started_at=start + (frame["started_at"] - start) * 3)


# --- the builds ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builds(generated: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> dict[str, FaceBuild]:
    source, truth = generated
    profiles = {int(k): v for k, v in truth["face"]["profiles"].items()}
    cases = {
        "normalised": {"user_expressions.parquet": with_unknown_types(profiles)},
        "pixels": {
            "user_facial_data.parquet": lambda f: shift_ids(to_pixels(f)),
            "user_expressions.parquet": shift_ids,
            "product_interactions.parquet": shift_ids,
        },
        "metres": {"user_facial_data.parquet": to_metres, "product_interactions.parquet": three_years},
        "mediapipe": {
            "user_facial_data.parquet": lambda f: to_mediapipe(single_capture_users(f)),
            "product_interactions.parquet": one_month,
        },
    }
    out = {}
    for name, rewrite in cases.items():
        out[name] = build_case(tmp_path_factory.mktemp(f"face_{name}"), source, rewrite)
    return out


def test_every_face_build_passes(builds: dict[str, FaceBuild]):
    for name, build in builds.items():
        assert build.returncode == 0, (name, build.stdout[-3000:])
        failed = {
            node: status for node, status in build.statuses().items() if status not in ("success", "pass", "warn")
        }
        assert not failed, (name, failed)


def anomalies_of(build: FaceBuild, id_offset: int = 0) -> pd.DataFrame:
    frame = build.query("select * from marts.landmark_capture_anomalies")
    frame["captured_at"] = frame["captured_at"].astype("datetime64[us]")
    frame["user_id"] = frame["user_id"].astype("int64") - id_offset
    return frame


def precision_recall(anomalies: pd.DataFrame, planted: pd.DataFrame) -> tuple[float, float]:
    flagged = anomalies[anomalies["is_anomaly"]]
    hits = len(flagged.merge(planted, on=KEY))
    return hits / max(len(flagged), 1), hits / len(planted)


def test_anomalies_are_the_same_in_pixels_and_metres(builds: dict[str, FaceBuild], planted: pd.DataFrame):
    normalised = anomalies_of(builds["normalised"])
    results = {"normalised": precision_recall(normalised, planted)}
    expected = normalised.set_index(KEY)["reason"].sort_index()
    for unit, offset in (("pixels", ID_OFFSET), ("metres", 0)):
        anomalies = anomalies_of(builds[unit], offset)
        results[unit] = precision_recall(anomalies, planted)
        got = anomalies.set_index(KEY)["reason"].sort_index()
        assert got.index.equals(expected.index), unit
        assert (got == expected).all(), (unit, pd.concat([got, expected], axis=1)[got != expected])
    print("anomaly precision/recall by unit:", results)
    for unit, (precision, recall) in results.items():
        assert precision >= 0.95, (unit, precision, recall)
        assert recall >= 0.95, (unit, precision, recall)
        assert (precision, recall) == results["normalised"], unit


def test_each_planted_kind_gets_its_reason_in_every_unit(builds: dict[str, FaceBuild], planted: pd.DataFrame):
    for unit, offset in (("normalised", 0), ("pixels", ID_OFFSET), ("metres", 0)):
        merged = planted.merge(anomalies_of(builds[unit], offset), on=KEY, how="left")
        assert (merged["reason"] == merged["kind"]).mean() >= 0.95, unit
        assert merged.groupby("kind")["is_anomaly"].mean().min() >= 0.9, unit


def test_fixed_frame_bounds_are_off_by_default(builds: dict[str, FaceBuild]):
    """Metre coordinates are negative and pixel ones far above 1: no fixed frame applies unless set."""
    for unit in ("pixels", "metres"):
        raw = read(builds[unit].raw_dir, "user_facial_data.parquet")
        assert (raw["x"] < 0).any() or (raw["x"] > 1).any(), unit
        flagged = (
            builds[unit]
            .query("select count(*) as n from marts.landmark_capture_anomalies where reason = 'out_of_range'")["n"]
            .iloc[0]
        )
        captures = builds[unit].query("select count(*) as n from marts.landmark_capture_anomalies")["n"].iloc[0]
        assert flagged < 0.05 * captures, unit


def test_mediapipe_captures_expect_468_landmarks(builds: dict[str, FaceBuild], planted: pd.DataFrame):
    build = builds["mediapipe"]
    anomalies = anomalies_of(build)
    single = anomalies.groupby("user_id")["captured_at"].transform("size") == 1
    assert single.sum() == anomalies.loc[anomalies["user_id"] % 10 == 0, "user_id"].nunique() > 0
    # Single-capture users: nothing to compare with, so no score and no fault.
    assert anomalies.loc[single, "anomaly_score"].isna().all()
    assert (anomalies.loc[single, "reason"] == "none").all()
    multi = anomalies[~single]
    assert (multi["expected_landmarks"] == MEDIAPIPE_LANDMARKS).all()
    assert (multi.loc[multi["reason"] != "missing_landmarks", "landmarks_present"] == MEDIAPIPE_LANDMARKS).all()
    # The same anomalies as the 68-point normalised build, for the users kept whole.
    normalised = anomalies_of(builds["normalised"])
    normalised = normalised[normalised["user_id"] % 10 != 0].set_index(KEY)["reason"].sort_index()
    got = multi.set_index(KEY)["reason"].sort_index()
    assert got.index.equals(normalised.index)
    assert (got == normalised).mean() >= 0.99
    kept = planted[planted["user_id"] % 10 != 0]
    precision, recall = precision_recall(multi, kept)
    print(f"mediapipe-like: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.95


def test_variance_marts_keep_any_landmark_id(builds: dict[str, FaceBuild]):
    variance = builds["mediapipe"].query(
        "select min(landmark_id) as lo, max(landmark_id) as hi, "
        "count(distinct landmark_id) as n from marts.user_landmark_variance"
    )
    assert variance.iloc[0].tolist() == [0, MEDIAPIPE_LANDMARKS - 1, MEDIAPIPE_LANDMARKS]


def test_unknown_expression_types_survive_to_the_segments(builds: dict[str, FaceBuild], generated: tuple[Path, dict]):
    build = builds["normalised"]
    truth = generated[1]
    staged = build.query(
        "select expression_type, is_known_expression_type, count(*) as n "
        "from staging.stg_face__expressions group by all"
    ).set_index("expression_type")
    assert "smirk" in staged.index
    assert not staged.loc["smirk", "is_known_expression_type"]
    assert staged.drop(index="smirk")["is_known_expression_type"].all()
    blanks = build.query(
        "select quarantine_reason, count(*) as n from staging.base_face__expressions "
        "where quarantine_reason is not null group by all"
    )
    assert dict(zip(blanks["quarantine_reason"], blanks["n"], strict=True)) == {"missing_key": 2}
    warn = [r for r in build.run_results["results"] if "only_known_expression_types" in r["unique_id"]]
    assert len(warn) == 1
    assert warn[0]["status"] == "warn"
    assert warn[0]["failures"] == staged.loc["smirk", "n"]

    segments = build.query("select * from marts.user_expression_segments order by user_id")
    planted_profiles = segments["user_id"].map({int(k): v for k, v in truth["face"]["profiles"].items()})
    ari = adjusted_rand_score(planted_profiles, segments["segment_id"])
    print(f"segment ARI with an unknown type: {ari:.4f}")
    assert ari >= 0.8

    # The per-user shares: smirk is a profile feature, and shares are those of the rewritten file.
    raw = read(build.raw_dir, "user_expressions.parquet")
    raw["expression_type"] = raw["expression_type"].str.strip().str.lower()
    raw = raw[raw["expression_type"] != ""]
    counts = pd.crosstab(raw["user_id"], raw["expression_type"])
    expected = counts.div(counts.sum(axis=1), axis=0)
    shares = build.query("select user_id, expression_type, type_share from marts.user_expression_type_shares")
    wide = shares.pivot(index="user_id", columns="expression_type", values="type_share")
    assert set(wide.columns) == set(expected.columns)
    assert np.allclose(wide.to_numpy(), expected.loc[wide.index, wide.columns].to_numpy())

    # The frowning segment is told apart by its smirks, and its label says so.
    mix = build.query("select * from marts.expression_segment_type_shares")
    frowning_segment = (
        planted_profiles.groupby(segments["segment_id"]).agg(lambda s: (s == "frowning_focused").mean()).idxmax()
    )
    smirk = mix[(mix["expression_type"] == "smirk")].set_index("segment_id")
    assert smirk.loc[frowning_segment, "lift"] >= 1.5
    assert not smirk["is_known_expression_type"].any()
    assert "smirk expressions" in segments.loc[segments["segment_id"] == frowning_segment, "segment_label"].iloc[0]


def test_ids_above_2_pow_53_survive_every_face_mart(builds: dict[str, FaceBuild], generated: tuple[Path, dict]):
    build = builds["pixels"]
    raw = read(build.raw_dir, "product_interactions.parquet")
    expected_ids = set(raw["user_id"].astype("int64"))
    for mart in (
        "landmark_capture_anomalies",
        "user_landmark_consistency",
        "user_expression_segments",
        "user_expression_type_shares",
        "interaction_time_forecasts",
        "user_product_usage_trends",
    ):
        ids = build.query(f"select distinct user_id from marts.{mart}")["user_id"].astype("int64")
        assert ids.min() > ID_OFFSET, mart
        if mart in ("interaction_time_forecasts", "user_product_usage_trends"):
            assert set(ids) == expected_ids, mart
    profiles = {int(k) + ID_OFFSET: v for k, v in generated[1]["face"]["profiles"].items()}
    segments = build.query("select user_id, segment_id from marts.user_expression_segments")
    assert segments["user_id"].map(profiles).notna().all()


def test_one_month_of_sessions_forecasts_with_the_fallback_and_an_empty_backtest(builds: dict[str, FaceBuild]):
    build = builds["mediapipe"]
    forecasts = build.query("select * from marts.interaction_time_forecasts")
    sessions = read(build.raw_dir, "product_interactions.parquet")
    assert len(forecasts) == 14 * len(sessions[["user_id", "product"]].drop_duplicates())
    assert (forecasts["model_name"] == "moving_average_fallback_short_history").all()
    assert (forecasts["history_days"] <= 31).all()
    assert build.query("select count(*) as n from marts.interaction_time_forecast_backtest")["n"].iloc[0] == 0
    assert (
        build.query("select count(*) as n from intermediate.interaction_time_forecast_model_metrics")["n"].iloc[0] == 0
    )


def test_three_years_of_sessions_forecast_and_backtest(builds: dict[str, FaceBuild]):
    build = builds["metres"]
    sessions = read(build.raw_dir, "product_interactions.parquet")
    span = (sessions["started_at"].max() - sessions["started_at"].min()).days
    assert span > 3 * 360
    forecasts = build.query("select forecast_date, model_name from marts.interaction_time_forecasts")
    last = sessions["started_at"].max().normalize()
    assert pd.to_datetime(forecasts["forecast_date"]).min() == last + pd.Timedelta(days=1)
    backtest = build.query("select * from marts.interaction_time_forecast_backtest")
    assert len(backtest) == 3 * 14
    assert (backtest["origins"] == 4).all()
    metrics = build.query("select * from intermediate.interaction_time_forecast_model_metrics")
    assert set(metrics["metric"]) == {"mae", "smape", "mase", "interval_coverage_80", "rows"}
    assert (metrics["dataset_type"] == "test").all()


def test_a_header_only_folder_builds_every_face_mart_empty_and_typed(tmp_path: Path):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    con = duckdb.connect()
    for file_name, types in TYPES.items():
        columns = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in types.items())
        con.execute(f"copy (select {columns} where false) to '{raw_dir / file_name}' (format parquet)")
    con.close()
    result, run_results = build_warehouse(tmp_path, raw_dir, *FACE_SELECT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(r["status"] in ("success", "pass") for r in run_results["results"])
    built = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        for table in (
            "int_expression_profiles_clustered",
            "int_interaction_times_forecasted",
            "int_forecast_models_backtested",
        ):
            types = {row[0]: row[1] for row in built.execute(f"describe intermediate.{table}").fetchall()}
            assert "NULL" not in types.values(), (table, types)
            assert built.execute(f"select count(*) from intermediate.{table}").fetchall()[0][0] == 0
        marts = [
            row[0]
            for row in built.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        assert len(marts) == len(list((PROJECT_DIR / "models" / "marts" / "face").glob("*.sql")))
        for mart in marts:
            assert built.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] == 0, mart
    finally:
        built.close()
