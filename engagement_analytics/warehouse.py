"""Building the warehouse: where the raw files and the warehouse file live, and running dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_RAW_DIR = PROJECT_DIR / "data" / "raw" / "default"
DEFAULT_SCALE = 0.02
DEFAULT_SEED = 42


@dataclass(frozen=True)
class BuildPaths:
    raw_dir: Path
    warehouse_db: Path
    target_dir: Path
    log_dir: Path


def resolve_paths(environ: dict[str, str] | None = None) -> BuildPaths:
    """Paths from WAREHOUSE_RAW_DIR and WAREHOUSE_DB, with the documented defaults."""
    environ = dict(os.environ if environ is None else environ)
    raw_dir = Path(environ.get("WAREHOUSE_RAW_DIR") or DEFAULT_RAW_DIR)
    warehouse_db = Path(environ.get("WAREHOUSE_DB") or PROJECT_DIR / "warehouse.duckdb")
    return BuildPaths(
        raw_dir=raw_dir.resolve(),
        warehouse_db=warehouse_db.resolve(),
        target_dir=Path(environ.get("DBT_TARGET_PATH") or PROJECT_DIR / "target").resolve(),
        log_dir=Path(environ.get("DBT_LOG_PATH") or PROJECT_DIR / "logs").resolve(),
    )


def ensure_default_data(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Path:
    """Generate the embedded default dataset once; later builds reuse it."""
    from engagement_analytics.generator import generate

    marker = DEFAULT_RAW_DIR / "truth.json"
    if not marker.exists():
        generate(scale, seed, DEFAULT_RAW_DIR)
    return DEFAULT_RAW_DIR


def dbt_environment(paths: BuildPaths, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "WAREHOUSE_RAW_DIR": str(paths.raw_dir),
        "WAREHOUSE_DB": str(paths.warehouse_db),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_TARGET_PATH": str(paths.target_dir),
        "DBT_LOG_PATH": str(paths.log_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    env.update(extra or {})
    return env


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's virtualenv)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(args: list[str], paths: BuildPaths, extra_env: dict[str, str] | None = None,
            capture: bool = False) -> subprocess.CompletedProcess:
    """Run one dbt command against the project with the given paths."""
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=PROJECT_DIR,
        env=dbt_environment(paths, extra_env),
        text=True,
        capture_output=capture,
        check=False,
    )


def build(dbt_args: list[str] | None = None) -> int:
    """`make build`: default data when WAREHOUSE_RAW_DIR is unset, then `dbt build`."""
    if not os.environ.get("WAREHOUSE_RAW_DIR"):
        ensure_default_data()
    paths = resolve_paths()
    if not paths.raw_dir.is_dir():
        print(f"WAREHOUSE_RAW_DIR {paths.raw_dir} is not a folder", file=sys.stderr)
        return 2
    paths.warehouse_db.parent.mkdir(parents=True, exist_ok=True)
    return run_dbt(["build", *(dbt_args or [])], paths).returncode
