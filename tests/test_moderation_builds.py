"""The moderation models and the ml marts built by dbt on claims files we did not make: one with a
header and no rows, one with ten labelled videos of one class (first column `id`, labels in other
case and spacing). Only the moderation domain is built (WAREHOUSE_DOMAINS=moderation), as for a
raw folder that holds nothing but claims_videos.csv."""

from __future__ import annotations

import csv
from pathlib import Path
from subprocess import CompletedProcess

import duckdb
import pandas as pd
import pytest

from engagement_analytics.tooling.analyses import published_analyses
from engagement_analytics.tooling.report import render
from engagement_analytics.tooling.warehouse import BuildPaths, run_dbt
from tests.conftest import build_paths

HEADER = [
    "claim_status",
    "video_id",
    "video_duration_sec",
    "video_transcription_text",
    "verified_status",
    "author_ban_status",
    "video_view_count",
    "video_like_count",
    "video_share_count",
    "video_download_count",
    "video_comment_count",
]
MODERATION_MARTS = [
    "claims_engagement_summary",
    "claims_view_count_test",
    "verified_status_coefficients",
    "claim_predictions",
    "claims_feature_importance",
    "claims_leakage_audit",
]
ML_MARTS = ["ml_model_metrics", "ml_model_headline_metrics"]
SELECT = ["--select", "+ml_model_headline_metrics", "+path:models/marts/moderation", "--indirect-selection", "cautious"]
# Ten labelled videos, every one a claim, ids above 2**53; one more row without a label.
TINY_ROWS = [
    [
        i + 1,
        "Claim " if i % 2 else " CLAIM",
        2**60 + i,
        10 + i,
        f'someone said, "fact {i}"',
        "Not Verified" if i % 3 else "verified",
        "UNDER_REVIEW" if i == 4 else "Active",
        1000 * (i + 1),
        10 * i,
        i,
        i // 2,
        i % 3,
    ]
    for i in range(10)
]
TINY_ROWS.append([11, "", 2**60 + 10, 12, "", "verified", "active", "", "", "", "", ""])


def write_claims(folder: Path, first_column: str, rows: list[list]) -> Path:
    folder.mkdir(parents=True)
    with (folder / "claims_videos.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([first_column, *HEADER])
        writer.writerows(rows)
    return folder


def build_moderation(base: Path, first_column: str, rows: list[list]) -> tuple[BuildPaths, CompletedProcess]:
    paths = build_paths(base, write_claims(base / "raw", first_column, rows))
    result = run_dbt(["build", *SELECT], paths, extra_env={"WAREHOUSE_DOMAINS": "moderation"}, capture=True)
    return paths, result


@pytest.fixture(scope="module")
def header_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildPaths, CompletedProcess]:
    return build_moderation(tmp_path_factory.mktemp("header_only"), "#", [])


@pytest.fixture(scope="module")
def ten_claims(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildPaths, CompletedProcess]:
    return build_moderation(tmp_path_factory.mktemp("ten_claims"), "id", TINY_ROWS)


def query(paths, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(paths.warehouse_db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.mark.parametrize("build", ["header_only", "ten_claims"])
def test_the_build_passes_and_every_mart_is_there(request, build: str):
    paths, result = request.getfixturevalue(build)
    assert result.returncode == 0, result.stdout[-4000:]
    tables = set(
        query(paths, "select table_name from information_schema.tables where table_schema = 'marts'")["table_name"]
    )
    assert {*MODERATION_MARTS, *ML_MARTS} <= tables


def test_header_only_file_gives_empty_marts_and_says_what_was_not_fitted(header_only):
    paths, _ = header_only
    counts = {
        mart: int(query(paths, f"select count(*) as n from marts.{mart}")["n"].iloc[0]) for mart in MODERATION_MARTS
    }
    assert counts == {mart: 2 if mart == "claims_view_count_test" else 0 for mart in MODERATION_MARTS}
    tests = query(
        paths,
        "select test_name, n_a, n_b, p_value, skipped_reason from marts.claims_view_count_test order by test_name",
    )
    assert tests["skipped_reason"].tolist() == ["empty_group", "fewer_than_two_videos_in_a_group"]
    assert tests["p_value"].isna().all()
    flags = query(
        paths,
        "select model_name, metric, value from marts.ml_model_metrics where metric = 'is_fitted' order by model_name",
    )
    assert flags["value"].tolist() == [0.0] * 4
    headline = query(paths, "select * from marts.ml_model_headline_metrics")
    assert headline["headline_metric"].isna().all()
    assert (headline["metrics_compared"] == 0).all()


def test_ten_claims_of_one_class_are_scored_by_the_named_fallback(ten_claims):
    paths, _ = ten_claims
    staged = query(paths, "select * from staging.stg_moderation__claims_videos order by claim_row_id")
    assert staged["claim_row_id"].tolist() == list(range(1, 11))  # the `id` column is the row id
    assert staged["video_id"].tolist() == [2**60 + i for i in range(10)]
    assert set(staged["claim_status"]) == {"claim"}
    assert set(staged["verified_status"]) == {"verified", "not verified"}
    assert set(staged["author_ban_status"]) == {"active", "under review"}
    quarantined = query(
        paths,
        "select quarantine_reason from staging.base_moderation__claims_videos where quarantine_reason is not null",
    )
    assert quarantined["quarantine_reason"].tolist() == ["missing_label"]
    predictions = query(paths, "select * from marts.claim_predictions")
    assert len(predictions) == 10
    assert set(predictions["model_name"]) == {"claims_classifier_class_prior"}
    assert (predictions["claim_probability"] == 1.0).all()


def test_a_model_that_cannot_beat_its_baseline_warns_and_is_flagged(ten_claims):
    paths, result = ten_claims
    headline = query(
        paths,
        "select * from marts.ml_model_headline_metrics "
        "where model_name = 'claims_classifier_class_prior' and dataset_type = 'test'",
    )
    # The fallback predicts the training majority: on f1 it ties the majority class, so it did not beat it.
    assert headline[["headline_metric", "baseline_name", "beats_baseline"]].values.tolist() == [
        ["f1", "majority_class", False]
    ]
    assert "WARN" in result.stdout
    assert "ml_models_beat_their_baseline_on_test" in result.stdout
    stored = query(paths, "select model_name from dbt_test__audit.ml_models_beat_their_baseline_on_test")
    assert "claims_classifier_class_prior" in set(stored["model_name"])


@pytest.mark.parametrize("build", ["header_only", "ten_claims"])
def test_the_report_renders_the_moderation_and_model_sections(request, build: str):
    paths, _ = request.getfixturevalue(build)
    with published_analyses(paths, "report") as reader:
        html, status = render(reader, str(paths.warehouse_db))
    assert status["moderation"] == "ok"
    assert status["model-baselines"] == "ok"
    assert ("did not beat majority_class" in html) == (build == "ten_claims")
