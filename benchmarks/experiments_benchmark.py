"""Experiment marts: time and peak memory of the experiment models at a scale factor.

    .venv/bin/python benchmarks/experiments_benchmark.py --raw /tmp/raw-sf1 --runs 3
    .venv/bin/python benchmarks/experiments_benchmark.py --scale 1 --runs 3 --work /tmp/experiments-bench

With --raw the contract files of that folder are used; otherwise they are generated at
--scale/--seed. Staging (everything upstream of the experiment models) is built once; then the
experiment models (intermediate, the Python comparison model and the marts) run --runs times
with `dbt run`. Reported: per model and in total, the median over the runs of the model's own
execution time (run_results.json), the median wall time of the whole `dbt run` (with dbt's
start-up) and its peak resident memory (getrusage of the child: DuckDB and the Python model run
inside dbt). Prints Markdown for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from engagement_analytics.tooling.benchmarking import run_child

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS = "path:models/intermediate/experiments path:python_models/experiments path:models/marts/experiments"
UPSTREAM = "+path:models/marts/experiments +int_experiment_comparisons_tested"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", help="folder of contract files (default: generate them)")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/experiments-benchmark")
    args = parser.parse_args()

    work = Path(args.work)
    raw_dir = Path(args.raw) if args.raw else work / f"raw-sf{args.scale:g}"
    if not args.raw:
        run_child(
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
            dict(os.environ),
        )
    env = dict(
        os.environ,
        WAREHOUSE_RAW_DIR=str(raw_dir),
        WAREHOUSE_DB=str(work / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
    dbt = [str(Path(sys.executable).parent / "dbt")]
    flags = ["--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)]
    run_child(
        [*dbt, "build", *flags, "-s", *UPSTREAM.split(), "--resource-type", "seed", "--resource-type", "model"], env
    )

    walls, peaks, per_model = [], [], {}
    for _ in range(args.runs):
        seconds, peak = run_child([*dbt, "run", *flags, "-s", *MODELS.split()], env)
        walls.append(seconds)
        peaks.append(peak)
        results = json.loads((work / "target" / "run_results.json").read_text())["results"]
        for result in results:
            per_model.setdefault(result["unique_id"].split(".")[-1], []).append(result["execution_time"])

    rows = {
        "feed interactions": "select count(*) from staging.stg_feed__interactions",
        "face landmark rows": "select count(*) from staging.stg_face__facial_landmarks",
        "assigned users": "select count(*) from staging.stg_experiments__assignments",
    }
    import duckdb

    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    sizes = {name: con.execute(sql).fetchall()[0][0] for name, sql in rows.items()}
    con.close()
    print(
        f"Experiment models on {raw_dir} ({', '.join(f'{v:,} {k}' for k, v in sizes.items())}), "
        f"median of {args.runs} runs:\n"
    )
    print("| model | seconds |\n|---|---:|")
    for model, times in sorted(per_model.items()):
        print(f"| {model} | {statistics.median(times):.2f} |")
    print(f"| all models (sum) | {sum(statistics.median(t) for t in per_model.values()):.2f} |")
    print(f"| `dbt run` wall time, with start-up | {statistics.median(walls):.2f} |")
    print(f"\nPeak resident memory of `dbt run`: {max(peaks):.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
