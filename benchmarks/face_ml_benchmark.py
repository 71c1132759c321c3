"""The face dbt Python models: expression segments, forecasts, backtest.

Runs each Python model with `dbt run -s <model>` several times against a warehouse whose
staging is already built (e.g. SF1: `python -m engagement_analytics generate --scale 1`, then
`dbt build -s +user_expression_segments+ +interaction_time_forecasts+ ...`), each run measured by
the harness (engagement_analytics.tooling.benchmarking), beside dbt's own execution time of the
model (run_results.json).

    WAREHOUSE_DB=/tmp/sf1/warehouse.duckdb WAREHOUSE_RAW_DIR=/tmp/sf1/raw \\
        .venv/bin/python benchmarks/face_ml_benchmark.py --runs 3

Prints Markdown; never assert on timings in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from engagement_analytics.tooling.benchmarking import Report, measure_dbt, measurements_table
from engagement_analytics.tooling.warehouse import PROJECT_DIR, resolve_paths

MODELS = ("int_expression_profiles_clustered", "int_interaction_times_forecasted", "int_forecast_models_backtested")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    paths = resolve_paths()
    report = Report(f"Face Python models on {paths.warehouse_db}")
    measurements, own_seconds = [], []
    with tempfile.TemporaryDirectory() as target:
        env = {
            **os.environ,
            "WAREHOUSE_DB": str(paths.warehouse_db),
            "WAREHOUSE_RAW_DIR": str(paths.raw_dir),
            "DBT_TARGET_PATH": target,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        for model in MODELS:
            measurement, per_model = measure_dbt(
                model, ["run", "-s", model], args.runs, env, Path(target), args.project_dir, args.project_dir
            )
            measurements.append(measurement)
            own_seconds.append(f"{statistics.median(per_model[model]):.1f}")
    report.add(measurements_table(measurements, {"median dbt execution s": own_seconds}))
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
