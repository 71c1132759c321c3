"""The semantic layer: metrics queried offline with the MetricFlow CLI (`mf query`) agree with the
marts that answer the same question, and with independent pandas computations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engagement_analytics.tooling.warehouse import PROJECT_DIR, dbt_environment
from tests.conftest import BuiltWarehouse


@pytest.fixture(scope="module")
def mf_project(warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch project root for `mf`: it reads `<project>/target/semantic_manifest.json`
    whatever DBT_TARGET_PATH says, so it gets the session build's manifest in a folder of its own
    (never the shared target/)."""
    root = tmp_path_factory.mktemp("mf_project")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(PROJECT_DIR / name, root / name)
    (root / "target").mkdir()
    shutil.copyfile(warehouse.paths.target_dir / "semantic_manifest.json", root / "target" / "semantic_manifest.json")
    return root


def mf_query(
    warehouse: BuiltWarehouse, project: Path, metrics: list[str], group_by: list[str], where: str | None = None
) -> pd.DataFrame:
    out = project / f"query_{abs(hash((tuple(metrics), tuple(group_by), where)))}.csv"
    args = [
        str(Path(sys.executable).parent / "mf"),
        "query",
        "--metrics",
        ",".join(metrics),
        "--group-by",
        ",".join(group_by),
        "--csv",
        str(out),
    ]
    if where:
        args += ["--where", where]
    env = dbt_environment(warehouse.paths, {"DBT_PROFILES_DIR": str(project), "DBT_PROJECT_DIR": str(project)})
    result = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return pd.read_csv(out)


def test_fan_watch_time_metric_matches_the_genre_mart(warehouse: BuiltWarehouse, mf_project: Path):
    metrics = mf_query(
        warehouse, mf_project, ["fan_watch_time_seconds", "active_fans"], ["metric_time__month", "video__genre"]
    )
    metrics["activity_month"] = pd.to_datetime(metrics["metric_time__month"]).dt.date
    mart = warehouse.query(
        "select genre, activity_month, fan_watch_time_seconds, active_fans from marts.genre_fan_watch_time_monthly"
    )
    mart["activity_month"] = pd.to_datetime(mart["activity_month"]).dt.date
    joined = mart.merge(
        metrics.rename(columns={"video__genre": "genre"}),
        on=["genre", "activity_month"],
        how="outer",
        suffixes=("_mart", "_mf"),
        indicator=True,
    )
    # MetricFlow returns no row where nobody watched; the mart fills those months with 0.
    missing = joined[joined["_merge"] == "left_only"]
    assert (missing["fan_watch_time_seconds_mart"] == 0).all()
    assert (missing["active_fans_mart"] == 0).all()
    assert (joined["_merge"] != "right_only").all()
    both = joined[joined["_merge"] == "both"]
    assert len(both) > 50
    assert both["fan_watch_time_seconds_mf"].to_numpy() == pytest.approx(
        both["fan_watch_time_seconds_mart"].to_numpy(), rel=1e-9
    )
    assert (both["active_fans_mf"] == both["active_fans_mart"]).all()


def test_daily_active_users_and_watch_time_match_pandas(warehouse: BuiltWarehouse, mf_project: Path):
    metrics = mf_query(
        warehouse, mf_project, ["daily_active_users", "watch_time_seconds", "interactions"], ["metric_time__day"]
    )
    metrics["day"] = pd.to_datetime(metrics["metric_time__day"]).dt.date
    events = warehouse.query(
        "select user_id, cast(watch_time_seconds as double) as watch_time_seconds, first_clicked_at "
        "from staging.stg_feed__interactions"
    )
    events["day"] = pd.to_datetime(events["first_clicked_at"]).dt.date
    expected = (
        events.groupby("day")
        .agg(dau=("user_id", "nunique"), watch=("watch_time_seconds", "sum"), n=("user_id", "size"))
        .reset_index()
    )
    joined = expected.merge(metrics, on="day", how="outer", indicator=True)
    assert (joined["_merge"] == "both").all()
    assert (joined["daily_active_users"] == joined["dau"]).all()
    assert (joined["interactions"] == joined["n"]).all()
    assert joined["watch_time_seconds"].to_numpy() == pytest.approx(joined["watch"].to_numpy(), rel=1e-9)


def test_interaction_time_metric_matches_the_weekly_usage_mart(warehouse: BuiltWarehouse, mf_project: Path):
    metrics = mf_query(
        warehouse,
        mf_project,
        ["interaction_time_seconds", "face_sessions"],
        ["metric_time__week", "face_session__product"],
    )
    metrics["week_start"] = pd.to_datetime(metrics["metric_time__week"]).dt.date
    mart = warehouse.query(
        "select product, week_start, sum(interaction_seconds) as seconds, sum(sessions) as sessions "
        "from marts.user_product_usage_trends group by product, week_start"
    )
    mart["week_start"] = pd.to_datetime(mart["week_start"]).dt.date
    joined = mart.merge(
        metrics.rename(columns={"face_session__product": "product"}),
        on=["product", "week_start"],
        how="outer",
        indicator=True,
    )
    # Weeks the mart fills with 0 have no MetricFlow row; every metric row is in the mart.
    assert (joined.loc[joined["_merge"] == "left_only", "sessions"] == 0).all()
    both = joined[joined["_merge"] == "both"]
    assert (joined["_merge"] != "right_only").all()
    assert len(both) > 50
    assert both["interaction_time_seconds"].to_numpy() == pytest.approx(both["seconds"].to_numpy(), rel=1e-9)
    assert (both["face_sessions"] == both["sessions"]).all()


def test_review_queue_size_matches_claim_predictions(warehouse: BuiltWarehouse, mf_project: Path):
    metrics = mf_query(warehouse, mf_project, ["review_queue_size", "scored_videos"], ["claim_video__dataset_type"])
    mart = warehouse.query(
        "select dataset_type, count(*) filter (where predicted_claim_status = 'claim') as queued, "
        "count(*) as scored from marts.claim_predictions group by dataset_type"
    )
    joined = mart.merge(metrics, left_on="dataset_type", right_on="claim_video__dataset_type", validate="one_to_one")
    assert len(joined) == len(mart) == 3
    assert (joined["review_queue_size"] == joined["queued"]).all()
    assert (joined["scored_videos"] == joined["scored"]).all()
