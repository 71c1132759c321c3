"""Benchmark the face dbt Python models (issue 4): expression segments, forecasts, backtest.

Runs each Python model with `dbt run -s <model>` several times against a warehouse whose
staging is already built (e.g. SF1: `python -m engagement_analytics generate --scale 1`, then
`dbt build -s +user_expression_segments+ +interaction_time_forecasts+ ...`), and reports the
median of dbt's own execution time and the peak memory (max RSS) of the dbt process.

    WAREHOUSE_DB=/tmp/sf1/warehouse.duckdb WAREHOUSE_RAW_DIR=/tmp/sf1/raw \\
        .venv/bin/python benchmarks/face_ml_benchmark.py --runs 3

Timings go to stdout as a Markdown table; never assert on them in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from engagement_analytics.tooling.warehouse import dbt_executable, resolve_paths

MODELS = ("int_expression_profiles_clustered", "int_interaction_times_forecasted", "int_forecast_models_backtested")

# Runs one command and prints the peak RSS (KiB on Linux) of its process tree's largest child.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys; "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def run_model(model: str, project_dir: Path, target_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    """One `dbt run` of a model: dbt's execution time (s) and the peak RSS (MiB)."""
    command = [
        sys.executable,
        "-c",
        _PEAK_WRAPPER,
        dbt_executable(),
        "run",
        "-s",
        model,
        "--profiles-dir",
        str(project_dir),
        "--project-dir",
        str(project_dir),
    ]
    done = subprocess.run(
        command, env={**env, "DBT_TARGET_PATH": str(target_dir)}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt run -s {model} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    seconds = next(r["execution_time"] for r in results if r["unique_id"].endswith("." + model))
    return seconds, int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    paths = resolve_paths()
    env = {
        **os.environ,
        "WAREHOUSE_DB": str(paths.warehouse_db),
        "WAREHOUSE_RAW_DIR": str(paths.raw_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    print(f"warehouse {paths.warehouse_db}, {args.runs} runs per model\n")
    print("| model | median s | min s | max s | peak RSS MiB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as target:
        for model in MODELS:
            runs = [run_model(model, args.project_dir, Path(target), env) for _ in range(args.runs)]
            seconds = [s for s, _ in runs]
            print(
                f"| {model} | {statistics.median(seconds):.1f} | {min(seconds):.1f} | {max(seconds):.1f} "
                f"| {max(m for _, m in runs):.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
