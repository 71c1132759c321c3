"""Experiment marts: time and peak memory of the experiment models at a scale factor.

    .venv/bin/python benchmarks/experiments_benchmark.py --raw /tmp/raw-sf1 --runs 3
    .venv/bin/python benchmarks/experiments_benchmark.py --scale 1 --runs 3 --work /tmp/experiments-bench

With --raw the contract files of that folder are used; otherwise they are generated at
--scale/--seed. Everything upstream of the experiment models is built once; then the experiment
models (intermediate, the Python comparison model and the marts) run --runs times with `dbt run`,
measured by the harness (engagement_analytics.tooling.benchmarking), beside each model's own
execution time (run_results.json). Prints Markdown.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from engagement_analytics.tooling.benchmarking import (
    Report,
    dbt_command,
    generate_command,
    measure_dbt,
    measurements_table,
    node_seconds_table,
    row_counts,
    run_checked,
    work_environment,
)

MODELS = ["path:models/intermediate/experiments", "path:python_models/experiments", "path:models/marts/experiments"]
UPSTREAM = ["+path:models/marts/experiments", "+int_experiment_comparisons_tested"]
SIZES = {
    "feed interactions": "select count(*) from staging.stg_feed__interactions",
    "face landmark rows": "select count(*) from staging.stg_face__facial_landmarks",
    "assigned users": "select count(*) from staging.stg_experiments__assignments",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", help="folder of contract files (default: generate them)")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/experiments-benchmark")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    work = Path(args.work)
    raw_dir = Path(args.raw) if args.raw else work / f"raw-sf{args.scale:g}"
    report = Report(f"Experiment models on {raw_dir}")
    if not args.raw:
        run_checked(generate_command(args.scale, args.seed, raw_dir))
    env = work_environment(raw_dir, work)
    run_checked(dbt_command("build", "-s", *UPSTREAM, "--resource-type", "seed", "--resource-type", "model"), env)
    models, per_model = measure_dbt(
        "dbt run of the experiment models", ["run", "-s", *MODELS], args.runs, env, work / "target"
    )
    sizes = row_counts(work / "warehouse.duckdb", SIZES)

    report.add(", ".join(f"{count:,} {name}" for name, count in sizes.items()) + ".")
    total = sum(statistics.median(seconds) for seconds in per_model.values())
    report.add(measurements_table([models], {"models' own time s (sum of medians)": [f"{total:.2f}"]}))
    report.add(node_seconds_table(dict(sorted(per_model.items()))))
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
