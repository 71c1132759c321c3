"""Raw folders that hold only some domains (MovieLens brings the feed files only): the publishing
build finds the domains present, builds and publishes those, and says which it skipped and why;
a present domain missing one of its files stops before dbt starts. Each build here is small
(SF0.002 files) and runs only its domain's nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engagement_analytics.tooling.contract import files_of
from engagement_analytics.tooling.warehouse import PROJECT_DIR, BuildPaths, run_dbt
from tests.conftest import PublishedBuild, copy_contract_files, publishing_build


def marts_of(folder: str) -> set[str]:
    """The mart tables a folder defines (one SQL model per mart)."""
    return {path.stem for path in (PROJECT_DIR / "models" / "marts" / folder).glob("*.sql")}


def domain_build(
    request: pytest.FixtureRequest, small_raw_folder: Path, tmp_path_factory: pytest.TempPathFactory, domain: str
) -> tuple[Path, PublishedBuild]:
    base = tmp_path_factory.mktemp(f"{domain}_only")
    raw = copy_contract_files(small_raw_folder, base / "raw", [c.name for c in files_of(domain)])
    return raw, publishing_build(request.config, f"{domain}-only build", raw, base)


@pytest.fixture(scope="module")
def feed_only(request, small_raw_folder, tmp_path_factory) -> tuple[Path, PublishedBuild]:
    return domain_build(request, small_raw_folder, tmp_path_factory, "feed")


@pytest.fixture(scope="module")
def moderation_only(request, small_raw_folder, tmp_path_factory) -> tuple[Path, PublishedBuild]:
    return domain_build(request, small_raw_folder, tmp_path_factory, "moderation")


def skipped_lines(raw: Path, skipped: list[str]) -> list[str]:
    return [
        f"skipping {domain}: files not found in {raw} ({', '.join(c.name for c in files_of(domain))})"
        for domain in skipped
    ]


def test_feed_only_folder_builds_and_publishes_the_feed_marts(feed_only):
    raw, built = feed_only
    assert built.returncode == 0, built.printed[-3000:] + built.dbt_output[-4000:]
    lines = built.printed.splitlines()
    assert lines[:4] == ["building domains: feed", *skipped_lines(raw, ["moderation", "face", "experiments"])]
    tables = built.tables()
    # The ml marts read every domain's models and build with any of them.
    assert tables["marts"] == marts_of("feed") | marts_of("ml")
    assert {t for t in tables["staging"] if t.startswith("stg_")} == {
        "stg_feed__users",
        "stg_feed__videos",
        "stg_feed__interactions",
    }
    assert "quarantined_rows" in tables["staging"]


def test_moderation_only_folder_builds_and_publishes_the_moderation_marts(moderation_only):
    raw, built = moderation_only
    assert built.returncode == 0, built.printed[-3000:] + built.dbt_output[-4000:]
    lines = built.printed.splitlines()
    assert lines[:4] == ["building domains: moderation", *skipped_lines(raw, ["feed", "face", "experiments"])]
    tables = built.tables()
    assert tables["marts"] == marts_of("moderation") | marts_of("ml")
    assert {t for t in tables["staging"] if t.startswith("stg_")} == {"stg_moderation__claims_videos"}


@pytest.mark.parametrize("fixture", ["feed_only", "moderation_only"])
def test_a_partial_folder_runs_no_node_of_an_absent_domain(request, fixture: str):
    """No model, test or unit test defined in an absent domain's folders ran."""
    _, built = request.getfixturevalue(fixture)
    present = fixture.removesuffix("_only")
    absent = {"feed", "moderation", "face", "experiments"} - {present}
    manifest = json.loads((built.paths.target_dir / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["unit_tests"]}
    ran = [
        nodes[r["unique_id"]]["original_file_path"] for r in built.run_results()["results"] if r["unique_id"] in nodes
    ]
    assert len(ran) > 20
    assert [path for path in ran if absent & set(Path(path).parts)] == []


def test_a_face_folder_missing_one_file_stops_before_dbt(request, small_raw_folder, tmp_path: Path):
    names = [c.name for c in [*files_of("feed"), *files_of("face")] if c.name != "user_expressions.parquet"]
    raw = copy_contract_files(small_raw_folder, tmp_path / "raw", names)
    built = publishing_build(request.config, "face file missing", raw, tmp_path)
    assert built.returncode == 2
    assert (
        "user_expressions.parquet: is missing: the face domain needs it (user_facial_data.parquet, "
        f"product_interactions.parquet are present in {raw})"
    ) in built.printed.splitlines()
    assert built.dbt_output == ""
    assert not built.paths.target_dir.exists()
    assert not built.paths.warehouse_db.exists()


@pytest.mark.parametrize("domains", ["face", "feed,experiments", "face,experiments"])
def test_dbt_parses_with_warnings_as_errors_for_domain_sets(tmp_path: Path, domains: str):
    """feed and moderation alone parse in the builds above, every domain in `make parse`."""
    paths = BuildPaths(
        raw_dir=tmp_path,
        warehouse_db=tmp_path / "unused.duckdb",
        target_dir=tmp_path / "target",
        log_dir=tmp_path / "logs",
    )
    result = run_dbt(
        ["--warn-error", "parse"], paths, {"WAREHOUSE_TARGET": "lint", "WAREHOUSE_DOMAINS": domains}, capture=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
