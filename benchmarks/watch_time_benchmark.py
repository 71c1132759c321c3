"""Time and peak memory of the watch-time regression models at a scale factor.

    .venv/bin/python benchmarks/watch_time_benchmark.py --scale 1 --runs 3
    .venv/bin/python benchmarks/watch_time_benchmark.py --raw /tmp/raw-sf1 --runs 3

Generates the data (unless --raw names a generated folder), builds the feed staging tables once,
then runs `dbt run -s int_interactions_featurised_for_watch_time+` (features, model, metrics,
mart; not ml_model_metrics, which needs the moderation models) --runs times, each in a child
process. Reports the median wall time of the whole run and of each model (dbt's
run_results.json), the CPU time of the run, and the peak resident memory of the dbt processes
(getrusage of children, so the in-process Python model is included).
Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
STAGING = ["accepted_category_values", "+stg_feed__interactions", "+stg_feed__users", "+stg_feed__videos"]
SELECTION = "int_interactions_featurised_for_watch_time+"
MODELS = ["int_interactions_featurised_for_watch_time", "watch_time_model_predictions",
          "watch_time_model_metrics", "watch_time_predictions"]


def dbt(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run dbt in a child process: (wall seconds, CPU seconds, peak RSS MiB) of that child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([DBT, *args, "--profiles-dir", ".", "--project-dir", "."], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--raw", type=Path, default=None, help="an already generated raw folder")
    parser.add_argument("--work", type=Path, default=Path("/tmp/watch-time-benchmark"))
    args = parser.parse_args()

    raw_dir = args.raw or args.work / f"raw-sf{args.scale:g}"
    if args.raw is None and not (raw_dir / "truth.json").exists():
        subprocess.run([sys.executable, "-m", "engagement_analytics", "generate", "--quiet", "--scale",
                        str(args.scale), "--seed", str(args.seed), "--out", str(raw_dir)], check=True)
    env = dict(os.environ, WAREHOUSE_RAW_DIR=str(raw_dir), WAREHOUSE_DB=str(args.work / "warehouse.duckdb"),
               DBT_TARGET_PATH=str(args.work / "target"), DBT_LOG_PATH=str(args.work / "logs"),
               WAREHOUSE_TARGET="dev")
    dbt(["build", "--select", *STAGING, "--exclude", "test_type:data"], env)

    walls, cpus, peaks, per_model = [], [], [], {m: [] for m in MODELS}
    for _ in range(args.runs):
        wall, cpu, peak = dbt(["run", "--select", SELECTION, "--exclude", "ml_model_metrics"], env)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        results = json.loads((args.work / "target" / "run_results.json").read_text())["results"]
        for result in results:
            name = result["unique_id"].split(".")[-1]
            if name in per_model:
                per_model[name].append(result["execution_time"])
    interactions = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute("
         "'select count(*) from intermediate.int_interactions_featurised_for_watch_time').fetchall()[0][0])",
         str(args.work / "warehouse.duckdb")], capture_output=True, text=True, check=True).stdout.strip()

    print(f"watch-time models, {int(interactions):,} interactions, median of {args.runs} runs, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("| step | median wall s |")
    print("|---|---|")
    for name, seconds in per_model.items():
        print(f"| {name} | {statistics.median(seconds):.1f} |")
    print(f"| dbt run (all four, with dbt start-up) | {statistics.median(walls):.1f} |")
    print(f"\nCPU s of the dbt run (median): {statistics.median(cpus):.1f}; "
          f"peak RSS of the dbt process: {max(peaks):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
