"""Measuring a command for the benchmark scripts in benchmarks/: wall time and peak memory."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from engagement_analytics.tooling.warehouse import PROJECT_DIR

# A tiny parent that runs the command and reports the peak resident memory of its children,
# so each measurement sees only that command (dbt with DuckDB and Python models in-process).
_REPORT_PEAK = (
    "import resource, subprocess, sys; "
    "rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(rc)"
)


def run_child(args: list[str], env: dict[str, str], cwd: Path = PROJECT_DIR) -> tuple[float, float]:
    """Run a command in a fresh child; returns (wall seconds, peak RSS of that command in MiB).

    Exits with the command's output when it fails: a benchmark of a failed run means nothing."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _REPORT_PEAK, *args], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, int(done.stderr.strip().splitlines()[-1]) / 1024
