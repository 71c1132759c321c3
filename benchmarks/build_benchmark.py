"""Time and peak memory of generating data and building the whole warehouse at a scale factor.

    .venv/bin/python benchmarks/build_benchmark.py --scale 0.02 --runs 3
    .venv/bin/python benchmarks/build_benchmark.py --scale 1 --runs 1 --work /tmp/bench-sf1

Each step runs in a child process; the figures are the median wall time over the runs and the
peak resident memory of the largest child (getrusage of children, so dbt's in-process Python
models are included). Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from engagement_analytics.tooling.benchmarking import run_child


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/warehouse-benchmark")
    args = parser.parse_args()

    work = Path(args.work)
    raw_dir = work / f"raw-sf{args.scale:g}"
    env = dict(os.environ)
    generate_times, generate_peaks, build_times, build_peaks = [], [], [], []
    for run in range(args.runs):
        seconds, peak = run_child(
            [
                sys.executable,
                "-m",
                "engagement_analytics",
                "generate",
                "--quiet",
                "--scale",
                str(args.scale),
                "--seed",
                str(args.seed),
                "--out",
                str(raw_dir),
            ],
            env,
        )
        generate_times.append(seconds)
        generate_peaks.append(peak)
        build_env = dict(
            env,
            WAREHOUSE_RAW_DIR=str(raw_dir),
            WAREHOUSE_DB=str(work / f"run{run}" / "warehouse.duckdb"),
            DBT_TARGET_PATH=str(work / f"run{run}" / "target"),
            DBT_LOG_PATH=str(work / f"run{run}" / "logs"),
        )
        seconds, peak = run_child([sys.executable, "-m", "engagement_analytics", "build"], build_env)
        build_times.append(seconds)
        build_peaks.append(peak)

    print("| step | scale | runs | median wall time (s) | peak memory (MiB) |")
    print("|---|---|---|---|---|")
    print(
        f"| generate | SF{args.scale:g} | {args.runs} | {statistics.median(generate_times):.1f} | "
        f"{max(generate_peaks):.0f} |"
    )
    print(
        f"| dbt build (whole warehouse) | SF{args.scale:g} | {args.runs} | {statistics.median(build_times):.1f} | "
        f"{max(build_peaks):.0f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
