"""A raw folder whose nine files have their headers (Parquet: typed columns) and no rows: the
contract holds, so the whole warehouse builds, every mart is published (empty, or with the rows
that say there is no data), and nothing is quarantined."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from engagement_analytics.tooling.contract import CONTRACT, check_folder
from engagement_analytics.tooling.warehouse import PROJECT_DIR, staging_path
from tests.conftest import PublishedBuild, publishing_build


def write_header_only(source: Path, target: Path) -> Path:
    """Every contract file of ``source`` with its header and types, and no rows."""
    target.mkdir(parents=True)
    con = duckdb.connect()
    try:
        for contract in CONTRACT:
            path = source / contract.name
            if contract.format == "parquet":
                con.execute(
                    f"copy (select * from read_parquet('{path}') limit 0) to '{target / contract.name}' "
                    "(format parquet)"
                )
            else:
                header = path.read_text(encoding="utf-8").splitlines()[0]
                (target / contract.name).write_text(header + "\n", encoding="utf-8")
    finally:
        con.close()
    return target


@pytest.fixture(scope="module")
def header_only(request, small_raw_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> PublishedBuild:
    base = tmp_path_factory.mktemp("header_only")
    raw = write_header_only(small_raw_folder, base / "raw")
    return publishing_build(request.config, "header-only build", raw, base)


def failed_nodes(built: PublishedBuild) -> list[str]:
    return [
        f"{r['unique_id']}: {(r.get('message') or '').strip().splitlines()[-1:]}"
        for r in built.run_results()["results"]
        if r["status"] in ("error", "fail", "runtime error")
    ]


def test_header_only_files_keep_the_contract(small_raw_folder: Path, tmp_path: Path):
    raw = write_header_only(small_raw_folder, tmp_path / "raw")
    con = duckdb.connect()
    assert all(
        con.execute(f"select count(*) from read_parquet('{p}')").fetchall()[0][0] == 0 for p in raw.glob("*.parquet")
    )
    checked = check_folder(raw)
    assert checked.problems == []
    assert checked.domains == ["feed", "moderation", "face", "experiments"]


def test_dbt_build_succeeds_on_header_only_files(header_only: PublishedBuild):
    assert failed_nodes(header_only) == []
    assert header_only.returncode == 0, header_only.printed[-3000:]


def test_every_mart_is_published(header_only: PublishedBuild):
    marts = {path.stem for path in (PROJECT_DIR / "models" / "marts").glob("*/*.sql")}
    assert marts - header_only.tables().get("marts", set()) == set()


def test_staging_is_empty_and_nothing_is_quarantined(header_only: PublishedBuild):
    # Staging is built first: read the staged file when a later node failed the build.
    published = header_only.paths.warehouse_db
    con = duckdb.connect(str(published if published.exists() else staging_path(published)), read_only=True)
    try:
        staging = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'staging' "
                "and table_name like 'stg_%'"
            ).fetchall()
        ]
        assert set(staging) == {path.stem for path in (PROJECT_DIR / "models" / "staging").glob("*/stg_*.sql")}
        counts = {
            t: con.execute(f"select count(*) from staging.{t}").fetchall()[0][0] for t in [*staging, "quarantined_rows"]
        }
    finally:
        con.close()
    assert counts == dict.fromkeys(counts, 0)
