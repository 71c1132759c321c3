"""Measuring a built warehouse against the truths its generator planted, without knowing the
generator profile: everything comes from truth.json (ids, names and dates as the files hold
them), the raw files (read with an in-memory DuckDB, not through staging) and the marts.

Each ``measure_*`` function returns plain numbers and the lists a test asserts on, so the same
figures feed the assertions and the per-profile table the suite prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sklearn.metrics import adjusted_rand_score

from tests.conftest import BuiltWarehouse

PROJECT = "engagement_warehouse"
CAPTURE_KEY = ["user_id", "captured_at"]


class MissingMartError(Exception):
    """A mart the check reads was not built; the message names the failing node upstream."""


def failing_nodes(run_results: dict) -> list[str]:
    """Every node of a `dbt build` that errored or failed, with the first line of its message."""
    return [
        f"{r['unique_id']} ({r['status']}): {(r.get('message') or '').strip().splitlines()[0][:160]}"
        if (r.get("message") or "").strip()
        else f"{r['unique_id']} ({r['status']})"
        for r in run_results.get("results", [])
        if r["status"] in ("error", "fail", "runtime error")
    ]


def read_mart(build: BuiltWarehouse, name: str, columns: str = "*") -> pd.DataFrame:
    """A mart as a frame; when it is missing, MissingMartError says how its build went."""
    try:
        return build.query(f"select {columns} from marts.{name}")
    except duckdb.CatalogException:
        status = {r["unique_id"]: r["status"] for r in build.run_results.get("results", [])}
        node = f"model.{PROJECT}.{name}"
        raise MissingMartError(
            f"marts.{name} was not built ({status.get(node, 'not run')}); failing nodes: "
            f"{failing_nodes(build.run_results) or 'none'}"
        ) from None


def raw_sql(build: BuiltWarehouse, sql: str) -> pd.DataFrame:
    return build.raw(sql)


# --- feed ------------------------------------------------------------------------------------


def raw_fan_months(build: BuiltWarehouse) -> pd.DataFrame:
    """Fan watch time (a user's watch time on videos of their preferred genre) per user, genre and
    calendar month, straight from the raw files."""
    return raw_sql(
        build,
        """
        select i.user_id, u.preferred_genre as genre,
               cast(date_trunc('month', i.first_click_timestamp) as date) as activity_month,
               sum(i.watch_time) as seconds
        from read_parquet('{raw}/interactions.parquet') as i
        inner join read_parquet('{raw}/users.parquet') as u on i.user_id = u.user_id
        inner join read_parquet('{raw}/videos.parquet') as v on i.video_id = v.video_id
        where v.genre = u.preferred_genre
        group by all
    """,
    )


@dataclass
class DropMeasure:
    analysis_months: list[str]
    planted_month: str
    top: list[str]
    planted: list[str]
    delta_errors: dict[str, float]  # genre -> relative error of the mart's delta against the planted drop


def measure_drops(build: BuiltWarehouse, top_n: int = 3) -> DropMeasure:
    truth = build.truth["feed"]
    drops = read_mart(build, "genre_watch_time_drops")
    top = drops[drops["drop_rank"] <= top_n].sort_values("drop_rank")["genre"].tolist()
    errors = {}
    for genre, seconds in truth["drop_seconds"].items():
        delta = drops.loc[drops["genre"] == genre, "watch_time_delta_seconds"]
        errors[genre] = (
            float("inf") if delta.empty or pd.isna(delta.iloc[0]) else abs(float(delta.iloc[0]) + seconds) / seconds
        )
    months = sorted({pd.Timestamp(m).date().isoformat() for m in drops["analysis_month"].dropna()})
    return DropMeasure(months, truth["analysis_month"], top, list(truth["drop_genres"]), errors)


@dataclass
class DriverMeasure:
    expected: dict[str, set[int]]  # genre -> drivers who watched their genre the month before
    listed: dict[str, set[int]]  # of those, the ones the mart lists with 0 seconds now
    contributors: int

    @property
    def recall(self) -> float:
        total = sum(len(v) for v in self.expected.values())
        return sum(len(v) for v in self.listed.values()) / total if total else float("nan")


def measure_drivers(build: BuiltWarehouse) -> DriverMeasure:
    """The planted drivers stopped watching their genre in the analysis month: each one who watched
    it the month before must be a decline contributor with no fan watch time now."""
    truth = build.truth["feed"]
    previous = pd.Timestamp(truth["analysis_month"]) - pd.offsets.MonthBegin(1)
    fans = raw_fan_months(build)
    fans["activity_month"] = pd.to_datetime(fans["activity_month"])
    before = fans[(fans["activity_month"] == previous) & (fans["seconds"] > 0)]
    contributors = read_mart(build, "genre_decline_contributors", "user_id, genre, fan_watch_time_seconds")
    expected, listed = {}, {}
    for genre, drivers in truth["drop_drivers"].items():
        watched = set(before.loc[before["genre"] == genre, "user_id"].astype("int64"))
        expected[genre] = {int(u) for u in drivers} & watched
        rows = contributors[(contributors["genre"] == genre) & (contributors["fan_watch_time_seconds"] == 0)]
        listed[genre] = expected[genre] & {int(u) for u in rows["user_id"]}
    return DriverMeasure(expected, listed, len(contributors))


@dataclass
class SeriesMeasure:
    series_videos: int
    matched: int
    in_series: int
    outside: list[tuple[int, int]]  # (video, its top match) pairs that leave the series

    @property
    def coverage(self) -> float:
        return self.matched / self.series_videos if self.series_videos else float("nan")

    @property
    def in_series_share(self) -> float:
        return self.in_series / self.matched if self.matched else float("nan")


def measure_series(build: BuiltWarehouse) -> SeriesMeasure:
    series_of = {int(v): i for i, members in enumerate(build.truth["feed"]["series"]) for v in members}
    top = read_mart(build, "video_top_coview_match", "video_id, matched_video_id")
    top = top[top["video_id"].isin(list(series_of))]
    same = [
        series_of.get(int(m)) == series_of[int(v)]
        for v, m in zip(top["video_id"], top["matched_video_id"], strict=True)
    ]
    outside = [
        (int(v), int(m)) for v, m, ok in zip(top["video_id"], top["matched_video_id"], same, strict=True) if not ok
    ]
    return SeriesMeasure(len(series_of), len(top), int(sum(same)), outside)


# --- face ------------------------------------------------------------------------------------


@dataclass
class AnomalyMeasure:
    planted: int
    flagged: int
    hits: int
    recall_by_kind: dict[str, float]

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.planted if self.planted else float("nan")


def measure_anomalies(build: BuiltWarehouse) -> AnomalyMeasure:
    planted = pd.DataFrame(build.truth["face"]["anomalies"], columns=["user_id", "captured_at", "kind"])
    planted["user_id"] = planted["user_id"].astype("int64")
    planted["captured_at"] = pd.to_datetime(planted["captured_at"]).astype("datetime64[us]")
    anomalies = read_mart(build, "landmark_capture_anomalies", "user_id, captured_at, is_anomaly")
    anomalies["captured_at"] = anomalies["captured_at"].astype("datetime64[us]")
    flagged = anomalies[anomalies["is_anomaly"].fillna(False).astype(bool)]
    hits = planted.merge(flagged, on=CAPTURE_KEY, how="left", indicator=True)
    hits["hit"] = hits["_merge"] == "both"
    by_kind = hits.groupby("kind")["hit"].mean().to_dict()
    return AnomalyMeasure(len(planted), len(flagged), int(hits["hit"].sum()), by_kind)


@dataclass
class SegmentMeasure:
    users: int
    planted_users: int
    segments: int
    planted_profiles: int
    ari: float


def measure_segments(build: BuiltWarehouse) -> SegmentMeasure:
    truth = build.truth["face"]
    planted = {int(user): profile for user, profile in truth["profiles"].items()}
    segments = read_mart(build, "user_expression_segments", "user_id, segment_id")
    profile = segments["user_id"].map(planted)
    known = profile.notna()
    ari = adjusted_rand_score(profile[known], segments.loc[known, "segment_id"]) if known.any() else float("nan")
    return SegmentMeasure(
        len(segments),
        len(planted),
        int(segments["segment_id"].nunique()),
        len(truth["profile_definitions"]),
        float(ari),
    )


# --- experiments -----------------------------------------------------------------------------


def _same_name(a: pd.Series, b: str) -> pd.Series:
    return a.astype(str).str.strip().str.lower() == b.strip().lower()


def measure_arms(build: BuiltWarehouse) -> pd.DataFrame:
    """One row per experiment, treatment arm and metric with a planted lift (and the primary
    metric): the readout's lift and CUPED interval next to what was planted."""
    results = read_mart(build, "experiment_results")
    rows = []
    for experiment_id, truth in build.truth["experiments"].items():
        primary = truth["primary_metric"]
        for arm, planted in truth["arms"].items():
            if planted["is_control"]:
                continue
            metrics = dict.fromkeys([primary, *planted["planted_lift_rel"]])
            for metric in metrics:
                found = results[
                    (results["experiment_id"] == experiment_id)
                    & (results["metric"] == metric)
                    & _same_name(results["variant"], arm)
                ]
                row = found.iloc[0] if len(found) else None
                control_mean = None if row is None else row.get("control_mean")
                cuped_rel = (
                    float(row["cuped_lift_abs"]) / float(control_mean)
                    if row is not None and control_mean and not pd.isna(row["cuped_lift_abs"])
                    else np.nan
                )
                rows.append(
                    {
                        "experiment_id": experiment_id,
                        "arm": arm,
                        "metric": metric,
                        "primary": metric == primary,
                        "has_effect": planted["has_effect"],
                        "found": row is not None,
                        "planted_lift_rel": planted["planted_lift_rel"].get(metric),
                        "lift_rel": np.nan if row is None else float(row["lift_rel"]),
                        "cuped_lift_rel": cuped_rel,
                        "cuped_ci_low": np.nan if row is None else float(row["cuped_ci_low"]),
                        "cuped_ci_high": np.nan if row is None else float(row["cuped_ci_high"]),
                        "decision": None if row is None else row["decision"],
                    }
                )
    return pd.DataFrame(rows)


def independent_srm_p(build: BuiltWarehouse, experiment_id: str) -> float:
    """Chi-square p of the clean assignment counts per arm against the planned shares, from the raw
    file without the planted guardrail breaches."""
    truth = build.truth["experiments"][experiment_id]
    breached = {int(u) for users in truth["guardrail_breaches"].values() for u in users}
    raw = raw_sql(
        build, "select experiment_id, user_id, variant from read_parquet('{raw}/experiment_assignments.parquet')"
    )
    raw = raw[(raw["experiment_id"] == experiment_id) & ~raw["user_id"].isin(list(breached))]
    arms = truth["arms"]
    counts = np.array([int(_same_name(raw["variant"], arm).sum()) for arm in arms])
    shares = np.array([arms[arm]["planned_share"] for arm in arms])
    return float(scipy_stats.chisquare(counts, f_exp=counts.sum() * shares / shares.sum()).pvalue)


def measure_srm(build: BuiltWarehouse) -> pd.DataFrame:
    results = read_mart(build, "experiment_results", "experiment_id, variant, srm_flag, srm_p_value")
    rows = []
    for experiment_id, truth in build.truth["experiments"].items():
        mine = results[results["experiment_id"] == experiment_id]
        flags = set(mine["srm_flag"].dropna().astype(bool))
        rows.append(
            {
                "experiment_id": experiment_id,
                "has_srm": truth["has_srm"],
                "rows": len(mine),
                "flags": sorted(flags),
                "srm_p_value": float(mine["srm_p_value"].min()) if len(mine) else np.nan,
                "independent_p": independent_srm_p(build, experiment_id),
            }
        )
    return pd.DataFrame(rows)


def quarantined_counts(build: BuiltWarehouse) -> pd.DataFrame:
    return build.query(
        "select source_table, quarantine_reason, count(*) as n_rows "
        "from staging.quarantined_rows group by all order by all"
    )
