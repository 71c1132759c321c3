"""Time and peak memory of generating data and building the whole warehouse at a scale factor.

    .venv/bin/python benchmarks/build_benchmark.py --scale 0.02 --runs 3
    .venv/bin/python benchmarks/build_benchmark.py --scale 1 --runs 1 --work /tmp/bench-sf1

Each run generates the contract files, then builds them with `python -m engagement_analytics
build` into a warehouse of its own; each step is measured in a fresh child by the harness
(engagement_analytics.tooling.benchmarking). Prints Markdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engagement_analytics.tooling.benchmarking import (
    Measurement,
    Report,
    generate_command,
    measure,
    measurements_table,
    python_command,
    run_command,
    work_environment,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/warehouse-benchmark")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    work = Path(args.work)
    raw_dir = work / f"raw-sf{args.scale:g}"
    report = Report(f"Generate and build the whole warehouse, SF{args.scale:g} (seed {args.seed})")
    generate = measure("generate", generate_command(args.scale, args.seed, raw_dir), args.runs)
    builds = tuple(
        run_command(python_command("-m", "engagement_analytics", "build"), work_environment(raw_dir, work / f"run{i}"))
        for i in range(args.runs)
    )
    report.add(measurements_table([generate, Measurement("build (dbt build of the whole warehouse)", builds)]))
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
