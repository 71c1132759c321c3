"""One warehouse for the whole test session: generated data with the real claims file (kept in
tests/fixtures/tiktok_claims/), built once with `dbt build`, then read by every test."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from engagement_analytics.tooling.analyses import Analysis, compile_analyses
from engagement_analytics.tooling.generator import generate
from engagement_analytics.tooling.warehouse import PROJECT_DIR, BuildPaths, run_dbt

TEST_SCALE = float(os.environ.get("WAREHOUSE_TEST_SCALE", "0.02"))
TEST_SEED = int(os.environ.get("WAREHOUSE_TEST_SEED", "7"))
# While developing one domain, WAREHOUSE_TEST_SELECT="+path:models/marts/feed" (any dbt selection)
# builds only that part; CI builds everything.
TEST_SELECT = os.environ.get("WAREHOUSE_TEST_SELECT", "")
# The published TikTok claims file, gzip-compressed (source and facts: its README beside it).
REAL_CLAIMS = PROJECT_DIR / "tests" / "fixtures" / "tiktok_claims" / "tiktok_dataset.csv.gz"


def write_real_claims(raw_dir: Path) -> Path:
    """Decompress the real claims file into ``raw_dir`` as the contract's claims_videos.csv."""
    target = raw_dir / "claims_videos.csv"
    with gzip.open(REAL_CLAIMS, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def say(config: pytest.Config, message: str) -> None:
    """One line on pytest's terminal, visible while output is captured (long builds)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"[warehouse] {message}")


# dbt's line for a finished node: "12 of 250 OK created sql table model ...", "3 of 250 PASS ...".
_FINISHED_NODE = re.compile(r"\b(\d+) of (\d+) (?!START)([A-Z]+)")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def dbt_progress(config: pytest.Config, label: str, every: float = 0.2) -> Callable[[str], None]:
    """An ``on_line`` for run_dbt: one terminal line per ``every`` share of dbt's nodes done,
    and one for each node that errors or fails."""
    started = time.monotonic()
    next_share = [every]

    def on_line(line: str) -> None:
        line = _COLOUR.sub("", line)
        match = _FINISHED_NODE.search(line)
        if not match:
            return
        done, total, status = int(match.group(1)), int(match.group(2)), match.group(3)
        if status in ("ERROR", "FAIL"):
            say(config, f"{label}: {line.split('  ', 1)[-1].strip()}")
        if done / total >= next_share[0] or done == total:
            say(config, f"{label}: {done} of {total} nodes done after {time.monotonic() - started:.0f} s")
            while next_share[0] <= done / total:
                next_share[0] += every

    return on_line


@dataclass
class BuiltWarehouse:
    """A built warehouse and what it was built from."""

    paths: BuildPaths
    truth: dict
    build: subprocess.CompletedProcess
    run_results: dict
    uses_real_claims: bool

    @property
    def raw_dir(self) -> Path:
        return self.paths.raw_dir

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL on a read-only connection to the warehouse file."""
        con = duckdb.connect(str(self.paths.warehouse_db), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def raw(self, sql: str) -> pd.DataFrame:
        """Run SQL on an in-memory connection, with `{raw}` replaced by the raw folder."""
        con = duckdb.connect()
        try:
            return con.execute(sql.replace("{raw}", str(self.raw_dir))).df()
        finally:
            con.close()

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        """Run another dbt command against this warehouse."""
        return run_dbt(list(args), self.paths, capture=True)


def build_paths(base: Path, raw_dir: Path) -> BuildPaths:
    return BuildPaths(
        raw_dir=raw_dir, warehouse_db=base / "warehouse.duckdb", target_dir=base / "target", log_dir=base / "logs"
    )


def build_warehouse(
    base: Path, raw_dir: Path, *dbt_args: str, on_line: Callable[[str], None] | None = None
) -> tuple[subprocess.CompletedProcess, dict]:
    """`dbt build` into a warehouse under ``base``; returns the process and run_results.json."""
    paths = build_paths(base, raw_dir)
    result = run_dbt(["build", *dbt_args], paths, capture=True, on_line=on_line)
    results_file = paths.target_dir / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return result, run_results


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> BuiltWarehouse:
    base = tmp_path_factory.mktemp("warehouse")
    raw_dir = base / "raw"
    say(pytestconfig, f"session warehouse: generating SF{TEST_SCALE:g} (seed {TEST_SEED}) into {raw_dir}")
    truth = generate(TEST_SCALE, TEST_SEED, raw_dir, progress=False)
    write_real_claims(raw_dir)
    select = ["--select", TEST_SELECT, "--indirect-selection", "cautious"] if TEST_SELECT else []
    say(pytestconfig, f"session warehouse: dbt build {' '.join(select)}".rstrip())
    result, run_results = build_warehouse(
        base, raw_dir, *select, on_line=dbt_progress(pytestconfig, "session warehouse")
    )
    staging = [r for r in run_results["results"] if r["unique_id"].startswith("model.engagement_warehouse.stg_")]
    if not staging or any(r["status"] != "success" for r in staging):
        # Nothing can be tested without staging; a failing mart fails test_dbt_build_passes_every_node.
        pytest.exit(
            f"dbt build could not build staging:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}", returncode=1
        )
    return BuiltWarehouse(build_paths(base, raw_dir), truth, result, run_results, uses_real_claims=True)


@pytest.fixture(scope="session")
def compiled_analyses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Analysis]:
    """Every analysis compiled by dbt against an empty warehouse file named like the built ones
    (the file name is the catalog name in the compiled SQL), for tests that run analyses on
    hand-made tables in a file of that name."""
    base = tmp_path_factory.mktemp("analyses")
    return compile_analyses(build_paths(base, base / "raw"))


@pytest.fixture(scope="session")
def small_raw_folder(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A small generated raw folder (every contract file) that tests copy files from, read-only:
    the cheap builds (publishing, domains, header-only files) start from it."""
    raw_dir = tmp_path_factory.mktemp("small") / "raw"
    say(pytestconfig, f"generating a small raw folder (SF0.002, seed 5) into {raw_dir}")
    generate(0.002, 5, raw_dir, progress=False)
    return raw_dir


def copy_contract_files(source: Path, target: Path, names: Iterable[str] | None = None) -> Path:
    """Copy contract files (all of them by default) from ``source`` into a new folder ``target``."""
    from engagement_analytics.tooling.contract import CONTRACT

    target.mkdir(parents=True)
    for name in names if names is not None else [contract.name for contract in CONTRACT]:
        shutil.copyfile(source / name, target / name)
    return target


@dataclass
class PublishedBuild:
    """What `warehouse.build()` (the publishing build behind `make build`) did."""

    returncode: int
    printed: str
    dbt_output: str
    paths: BuildPaths

    def tables(self) -> dict[str, set[str]]:
        """schema -> table names of the published warehouse ({} when nothing was published)."""
        if not self.paths.warehouse_db.exists():
            return {}
        con = duckdb.connect(str(self.paths.warehouse_db), read_only=True)
        try:
            rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        finally:
            con.close()
        tables: dict[str, set[str]] = {}
        for schema, table in rows:
            tables.setdefault(schema, set()).add(table)
        return tables

    def run_results(self) -> dict:
        results = self.paths.target_dir / "run_results.json"
        return json.loads(results.read_text()) if results.exists() else {"results": []}


def publishing_build(config: pytest.Config, label: str, raw_dir: Path, base: Path, *dbt_args: str) -> PublishedBuild:
    """Run `warehouse.build()` on ``raw_dir`` into ``base/bi/warehouse.duckdb`` (its own target and
    log folders under ``base``), printing progress lines on pytest's terminal."""
    import contextlib
    import io

    from engagement_analytics.tooling.warehouse import build

    paths = BuildPaths(
        raw_dir=raw_dir,
        warehouse_db=base / "bi" / "warehouse.duckdb",
        target_dir=base / "target",
        log_dir=base / "logs",
    )
    dbt_lines: list[str] = []
    progress = dbt_progress(config, label)

    def on_line(line: str) -> None:
        dbt_lines.append(line)
        progress(line)

    printed = io.StringIO()
    started = time.monotonic()
    say(config, f"{label}: python -m engagement_analytics build {' '.join(dbt_args)}".rstrip())
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
    ):
        patch.setenv("WAREHOUSE_RAW_DIR", str(raw_dir))
        patch.setenv("WAREHOUSE_DB", str(paths.warehouse_db))
        patch.setenv("DBT_TARGET_PATH", str(paths.target_dir))
        patch.setenv("DBT_LOG_PATH", str(paths.log_dir))
        patch.delenv("WAREHOUSE_DOMAINS", raising=False)
        returncode = build(list(dbt_args), on_line=on_line)
    say(config, f"{label}: exit {returncode} after {time.monotonic() - started:.0f} s")
    return PublishedBuild(returncode, printed.getvalue(), "\n".join(dbt_lines), paths)
