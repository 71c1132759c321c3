"""Time and peak memory of the watch-time regression models at a scale factor.

    .venv/bin/python benchmarks/watch_time_benchmark.py --scale 1 --runs 3
    .venv/bin/python benchmarks/watch_time_benchmark.py --raw /tmp/raw-sf1 --runs 3

Generates the data (unless --raw names a generated folder), builds the feed staging tables once,
then runs the four watch-time models (features, model, metrics, mart; not the ml metrics union,
which needs the other domains' models) with `dbt run` --runs times, each measured by the
harness (engagement_analytics.tooling.benchmarking: wall, CPU and peak memory of the process
tree, the in-process Python model included), beside each model's own execution time. Prints
Markdown.
"""

from __future__ import annotations

import argparse
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

STAGING = ["accepted_category_values", "+stg_feed__interactions", "+stg_feed__users", "+stg_feed__videos"]
MODELS = [
    "int_interactions_featurised_for_watch_time",
    "watch_time_model_predictions",
    "watch_time_model_metrics",
    "watch_time_predictions",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--raw", type=Path, default=None, help="an already generated raw folder")
    parser.add_argument("--work", type=Path, default=Path("/tmp/watch-time-benchmark"))
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    raw_dir = args.raw or args.work / f"raw-sf{args.scale:g}"
    report = Report(f"Watch-time models on {args.raw or f'SF{args.scale:g} (seed {args.seed})'}")
    if args.raw is None and not (raw_dir / "truth.json").exists():
        run_checked(generate_command(args.scale, args.seed, raw_dir))
    env = work_environment(raw_dir, args.work, WAREHOUSE_TARGET="dev")
    run_checked(dbt_command("build", "--select", *STAGING, "--exclude", "test_type:data"), env)
    models, per_model = measure_dbt(
        "dbt run of the four watch-time models",
        ["run", "--select", *MODELS],
        args.runs,
        env,
        args.work / "target",
    )
    interactions = row_counts(
        args.work / "warehouse.duckdb",
        {"n": "select count(*) from intermediate.int_interactions_featurised_for_watch_time"},
    )["n"]
    report.add(f"{interactions:,} interactions.")
    report.add(measurements_table([models]))
    report.add(node_seconds_table(per_model, MODELS))
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
