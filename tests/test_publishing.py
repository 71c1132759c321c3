"""Safe publishing: `make build` builds into a staged file and renames it over the published one.

A BI tool holding a read-only connection must neither block the build nor be broken by it, and
a failed build must leave the published warehouse byte-identical. The builds here select only
the feed users' staging chain, so they cost a few seconds each."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from engagement_analytics.tooling import warehouse
from engagement_analytics.tooling.warehouse import build, staging_path
from tests.conftest import copy_contract_files

SELECTION = ["--select", "+stg_feed__users", "--indirect-selection", "cautious"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh_reader_counts(db: Path) -> dict:
    """Counts seen by a NEW reader in another process (DuckDB reuses an open database per
    path inside one process, so a new reader must live elsewhere, as a BI tool does)."""
    code = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "q = lambda sql: con.execute(sql).fetchall()[0][0]\n"
        "print(json.dumps({'users': q('select count(*) from staging.stg_feed__users'),"
        " 'base_view': q('select count(*) from staging.base_feed__users')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory, small_raw_folder: Path) -> Path:
    """One published warehouse (and its raw files) that each test copies; built once."""
    base = tmp_path_factory.mktemp("publishing")
    copy_contract_files(small_raw_folder, base / "raw")
    with pytest.MonkeyPatch.context() as patch:
        set_paths(patch, base, base)
        assert build(SELECTION) == 0
    return base


def set_paths(patch: pytest.MonkeyPatch, base: Path, shared: Path) -> None:
    patch.setenv("WAREHOUSE_RAW_DIR", str(base / "raw"))
    patch.setenv("WAREHOUSE_DB", str(base / "bi" / "warehouse.duckdb"))
    # One target folder for every build here, so dbt parses the project only partially.
    patch.setenv("DBT_TARGET_PATH", str(shared / "target"))
    patch.setenv("DBT_LOG_PATH", str(shared / "logs"))


@pytest.fixture
def publishing_env(first_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    for folder in ("raw", "bi"):
        shutil.copytree(first_build / folder, tmp_path / folder, ignore=shutil.ignore_patterns(".build"))
    set_paths(monkeypatch, tmp_path, first_build)
    published = tmp_path / "bi" / "warehouse.duckdb"
    assert published.exists()
    assert not staging_path(published).exists()
    return {"raw": tmp_path / "raw", "published": published}


def raw_user_count(raw: Path) -> int:
    return duckdb.connect().execute(f"select count(*) from read_parquet('{raw}/users.parquet')").fetchall()[0][0]


def test_staged_file_keeps_the_published_name():
    published = Path("/srv/bi/warehouse.duckdb")
    # dbt-duckdb writes the catalog name (the file stem) into view definitions.
    assert staging_path(published) == Path("/srv/bi/.build/warehouse.duckdb")


def test_reader_keeps_old_file_while_new_readers_see_the_new_build(publishing_env):
    raw, published = publishing_env["raw"], publishing_env["published"]
    users_before = raw_user_count(raw)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        assert reader.execute("select count(*) from staging.stg_feed__users").fetchall()[0][0] > 0
        old_count = reader.execute("select count(*) from staging.stg_feed__users").fetchall()[0][0]
        # New raw data: keep 25 users (interactions are not rebuilt by this selection).
        duckdb.connect().execute(
            f"copy (select * from read_parquet('{raw}/users.parquet') order by user_id limit 25) "
            f"to '{raw}/users_new.parquet' (format parquet)"
        )
        (raw / "users_new.parquet").replace(raw / "users.parquet")

        # Without staging, this build would fail with "Could not set lock" on the held file.
        assert build(SELECTION) == 0

        # The open reader still reads the file it opened, views included.
        assert reader.execute("select count(*) from staging.stg_feed__users").fetchall()[0][0] == old_count
        assert reader.execute("select count(*) from staging.base_feed__users").fetchall()[0][0] == users_before
    finally:
        reader.close()
    # A new reader sees the finished new warehouse, and its views resolve after the rename.
    assert fresh_reader_counts(published) == {"users": 25, "base_view": 25}
    assert not staging_path(published).exists()
    assert not published.with_name(published.name + ".wal").exists()


def test_broken_contract_stops_the_build_and_leaves_published_file_untouched(publishing_env):
    raw, published = publishing_env["raw"], publishing_env["published"]
    before = sha256(published)
    counts_before = fresh_reader_counts(published)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        (raw / "users.parquet").write_bytes(b"this is not a parquet file")
        assert build(SELECTION) == 2
        assert reader.execute("select count(*) from staging.stg_feed__users").fetchall()[0][0] == counts_before["users"]
    finally:
        reader.close()
    assert sha256(published) == before
    assert fresh_reader_counts(published) == counts_before


def test_failed_dbt_build_leaves_published_file_untouched(publishing_env, monkeypatch: pytest.MonkeyPatch):
    """dbt writes into the staged file and fails: the published file is not touched, the staged
    one is kept for inspection."""
    published = publishing_env["published"]
    before = sha256(published)
    counts_before = fresh_reader_counts(published)

    def failing_dbt(args, paths, *rest, **kwargs):
        con = duckdb.connect(str(paths.warehouse_db))
        con.execute("create or replace table staging.stg_feed__users as select 1 as user_id")
        con.close()
        return subprocess.CompletedProcess(args, 1, "", "")

    monkeypatch.setattr(warehouse, "run_dbt", failing_dbt)
    assert build(SELECTION) == 1
    assert sha256(published) == before
    assert fresh_reader_counts(published) == counts_before
    assert staging_path(published).exists()
