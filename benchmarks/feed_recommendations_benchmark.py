"""Build times, peak memory and the offline evaluation table of the feed genre and
recommendation marts (issue 3) at a scale factor.

    .venv/bin/python benchmarks/feed_recommendations_benchmark.py --scale 1 --runs 3 --work /tmp/bench-feed

Generates the data once (unless --raw names a folder), builds the feed staging tables and the
co-view marts the recommendations read, then rebuilds the genre and recommendation models
--runs times in a fresh dbt child each time. Prints the median wall time of the dbt run, the
median per-model times from run_results.json, the peak resident memory of the largest run
(getrusage of children) and the offline evaluation table, as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import duckdb

from engagement_analytics.tooling.benchmarking import run_child

PROJECT_DIR = Path(__file__).resolve().parent.parent
FEED_MODELS = [
    "int_fan_months_aggregated",
    "int_analysis_months_resolved",
    "genre_fan_watch_time_monthly",
    "genre_watch_time_drops",
    "genre_decline_contributors",
    "int_recommendation_fits_defined",
    "int_fit_user_videos_aggregated",
    "int_fit_videos_ranked",
    "int_fit_users_profiled",
    "int_fit_user_candidates_pooled",
    "int_fit_video_neighbors_correlated",
    "user_video_recommendations",
    "recommendation_offline_eval",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/feed-benchmark")
    parser.add_argument("--raw", default="", help="an already generated raw folder (skips generate)")
    args = parser.parse_args()

    work = Path(args.work)
    raw_dir = Path(args.raw) if args.raw else work / f"raw-sf{args.scale:g}"
    dbt = str(Path(sys.executable).parent / "dbt")
    env = dict(
        os.environ,
        WAREHOUSE_RAW_DIR=str(raw_dir),
        WAREHOUSE_DB=str(work / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
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
            env,
        )
    dbt_args = ["--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)]
    run_child([dbt, "seed", *dbt_args], env)
    run_child([dbt, "run", *dbt_args, "-s", "+stg_feed__interactions", "+video_coview_neighbors"], env)

    walls, peaks, per_model = [], [], {m: [] for m in FEED_MODELS}
    for _ in range(args.runs):
        seconds, peak = run_child([dbt, "run", *dbt_args, "-s", *FEED_MODELS], env)
        walls.append(seconds)
        peaks.append(peak)
        results = json.loads((work / "target" / "run_results.json").read_text())["results"]
        for result in results:
            per_model[result["unique_id"].rsplit(".", 1)[-1]].append(result["execution_time"])

    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    interactions = con.execute("select count(*) from staging.stg_feed__interactions").fetchall()[0][0]
    evaluation = con.execute(
        "select strategy, k, users_evaluated, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k, "
        "holdout_start_date, holdout_end_date from marts.recommendation_offline_eval order by k, strategy"
    ).df()
    con.close()

    print(
        f"SF{args.scale:g} (seed {args.seed}, {interactions:,} interactions), {args.runs} runs, "
        f"{os.cpu_count()} cores\n"
    )
    print(
        f"dbt run of the {len(FEED_MODELS)} genre and recommendation models (threads 2): median "
        f"{statistics.median(walls):.1f} s wall (dbt start-up included), peak memory "
        f"{max(peaks):,.0f} MiB\n"
    )
    print("| model | median seconds |\n|---|---|")
    for model in FEED_MODELS:
        print(f"| {model} | {statistics.median(per_model[model]):.2f} |")
    print("\n| strategy | k | users | precision@k | recall@k | nDCG@k | hit rate@k |\n|---|---|---|---|---|---|---|")
    for row in evaluation.itertuples():
        print(
            f"| {row.strategy} | {row.k} | {row.users_evaluated:,} | {row.precision_at_k:.4f} | "
            f"{row.recall_at_k:.4f} | {row.ndcg_at_k:.4f} | {row.hit_rate_at_k:.4f} |"
        )
    print(f"\nholdout {evaluation['holdout_start_date'][0]} to {evaluation['holdout_end_date'][0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
