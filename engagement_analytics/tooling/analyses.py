"""The dbt analyses (``analyses/<domain>/<name>.sql``): one query per question, compiled by dbt and
run on the warehouse. The answer book and the report both read them through here.

dbt opens its database for writing, so the analyses are compiled against a throw-away copy of the
published warehouse (``published_copy``: same file name, so the same catalog name in the compiled
SQL) and run on a read-only connection to the published file: BI readers are never blocked.
Every domain is switched on for the compile, so each analysis compiles whatever the warehouse
holds; one whose relations are not built raises ``MissingMartError`` when it is run."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from engagement_analytics.tooling.contract import DOMAINS
from engagement_analytics.tooling.warehouse import PROJECT_DIR, BuildPaths, published_copy, run_dbt

ANALYSES_DIR = PROJECT_DIR / "analyses"
DBT_PROJECT_NAME = "engagement_warehouse"
# How much of dbt's output a failed compile shows.
FAILED_OUTPUT_CHARS = 4000


class MissingMartError(Exception):
    """A relation an analysis reads is not in the warehouse; the message names them."""


@dataclass(frozen=True)
class Analysis:
    """One compiled analysis: its key ('<domain>/<name>'), its SQL and the relations it reads
    ('<schema>.<table>', in the order dbt lists them)."""

    key: str
    sql: str
    reads: tuple[str, ...]


def analysis_keys() -> list[str]:
    """Every analysis as '<domain>/<name>', sorted."""
    return sorted(f"{path.parent.name}/{path.stem}" for path in ANALYSES_DIR.glob("*/*.sql"))


def analysis_key(original_file_path: str) -> str:
    path = Path(original_file_path)
    return f"{path.parent.name}/{path.stem}"


def compile_analyses(paths: BuildPaths) -> dict[str, Analysis]:
    """Compile every analysis with dbt against ``paths``; key -> Analysis."""
    result = run_dbt(
        ["compile", "--select", "path:analyses", "--quiet"],
        paths,
        {"WAREHOUSE_DOMAINS": ",".join(DOMAINS)},
        capture=True,
    )
    if result.returncode != 0:
        output = result.stdout[-FAILED_OUTPUT_CHARS:] + result.stderr[-FAILED_OUTPUT_CHARS:]
        raise RuntimeError(f"dbt compile of the analyses failed:\n{output}")
    manifest = json.loads((paths.target_dir / "manifest.json").read_text())
    compiled_root = paths.target_dir / "compiled" / DBT_PROJECT_NAME
    analyses = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "analysis" or node["package_name"] != DBT_PROJECT_NAME:
            continue
        key = analysis_key(node["original_file_path"])
        reads = tuple(
            f"{manifest['nodes'][upstream]['schema']}.{manifest['nodes'][upstream]['alias']}"
            for upstream in node["depends_on"]["nodes"]
            if upstream in manifest["nodes"]
        )
        sql = (compiled_root / node["original_file_path"]).read_text()
        analyses[key] = Analysis(key, sql, reads)
    missing = sorted(set(analysis_keys()) - set(analyses))
    if missing:
        raise RuntimeError(f"dbt compiled no SQL for the analyses {', '.join(missing)}")
    return dict(sorted(analyses.items()))


class AnalysisReader:
    """Runs compiled analyses on a warehouse connection. An analysis whose relations are missing
    raises MissingMartError instead of a database error, so a reader can say what is not built."""

    def __init__(self, con: duckdb.DuckDBPyConnection, analyses: Mapping[str, Analysis]):
        self.con = con
        self.analyses = analyses
        self.tables = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }

    def reads(self, key: str) -> tuple[str, ...]:
        """The relations the analysis ``key`` reads."""
        return self.analyses[key].reads

    def run(self, key: str) -> pd.DataFrame:
        analysis = self.analyses[key]
        missing = [relation for relation in analysis.reads if relation not in self.tables]
        if missing:
            raise MissingMartError(", ".join(missing))
        try:
            return self.con.execute(analysis.sql).df()
        except duckdb.Error as error:
            raise RuntimeError(f"analysis {key} failed: {error}") from error

    def run_all(self) -> dict[str, pd.DataFrame]:
        """Every analysis, key -> result; every relation they read must be built."""
        return {key: self.run(key) for key in self.analyses}


def run_analyses(warehouse_db: Path, analyses: Mapping[str, Analysis]) -> dict[str, pd.DataFrame]:
    """Run every compiled analysis on a read-only connection to ``warehouse_db``."""
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        return AnalysisReader(con, analyses).run_all()
    finally:
        con.close()


@contextmanager
def published_analyses(paths: BuildPaths, purpose: str) -> Iterator[AnalysisReader]:
    """The analyses compiled against a copy of the published warehouse (in ``.build/<purpose>/``),
    and a reader on a read-only connection to the published file itself."""
    with published_copy(paths, purpose) as copy_paths:
        analyses = compile_analyses(copy_paths)
    con = duckdb.connect(str(paths.warehouse_db), read_only=True)
    try:
        yield AnalysisReader(con, analyses)
    finally:
        con.close()
