"""One warehouse for the whole test session: generated data (with the real claims file where
it is present), built once with `dbt build`, then read by every test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from engagement_analytics.generator import generate
from engagement_analytics.warehouse import PROJECT_DIR, BuildPaths, run_dbt

TEST_SCALE = float(os.environ.get("WAREHOUSE_TEST_SCALE", "0.02"))
TEST_SEED = int(os.environ.get("WAREHOUSE_TEST_SEED", "7"))
# While developing one domain, WAREHOUSE_TEST_SELECT="+path:models/marts/feed" (any dbt selection)
# builds only that part; CI builds everything.
TEST_SELECT = os.environ.get("WAREHOUSE_TEST_SELECT", "")
REAL_CLAIMS = PROJECT_DIR.parent / "shared" / "datasets" / "tiktok_dataset.csv"


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
    return BuildPaths(raw_dir=raw_dir, warehouse_db=base / "warehouse.duckdb",
                      target_dir=base / "target", log_dir=base / "logs")


def build_warehouse(base: Path, raw_dir: Path, *dbt_args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`dbt build` into a warehouse under ``base``; returns the process and run_results.json."""
    paths = build_paths(base, raw_dir)
    result = run_dbt(["build", *dbt_args], paths, capture=True)
    results_file = paths.target_dir / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    return result, run_results


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    base = tmp_path_factory.mktemp("warehouse")
    raw_dir = base / "raw"
    truth = generate(TEST_SCALE, TEST_SEED, raw_dir, progress=False)
    uses_real_claims = REAL_CLAIMS.exists()
    if uses_real_claims:
        shutil.copyfile(REAL_CLAIMS, raw_dir / "claims_videos.csv")
    select = ["--select", TEST_SELECT, "--indirect-selection", "cautious"] if TEST_SELECT else []
    result, run_results = build_warehouse(base, raw_dir, *select)
    staging = [r for r in run_results["results"] if r["unique_id"].startswith("model.engagement_warehouse.stg_")]
    if not staging or any(r["status"] != "success" for r in staging):
        # Nothing can be tested without staging; a failing mart fails test_dbt_build_passes_every_node.
        pytest.exit(f"dbt build could not build staging:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}",
                    returncode=1)
    return BuiltWarehouse(build_paths(base, raw_dir), truth, result, run_results, uses_real_claims)
