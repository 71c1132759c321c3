"""Build times, peak memory and the offline evaluation table of the feed genre and
recommendation marts at a scale factor.

    .venv/bin/python benchmarks/feed_recommendations_benchmark.py --scale 1 --runs 3 --work /tmp/bench-feed

Generates the data once (unless --raw names a folder), builds the feed staging tables and the
co-view marts the recommendations read, then rebuilds the genre and recommendation models
--runs times with `dbt run`, each measured by the harness (engagement_analytics.tooling.benchmarking:
wall, CPU and peak memory of the process tree), beside each model's own execution time. Prints
the offline evaluation table too, as Markdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from engagement_analytics.tooling.benchmarking import (
    Report,
    dbt_command,
    generate_command,
    markdown_table,
    measure_dbt,
    measurements_table,
    node_seconds_table,
    row_counts,
    run_checked,
    work_environment,
)

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
EVALUATION = (
    "select strategy, k, users_evaluated, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k, "
    "holdout_start_date, holdout_end_date from marts.recommendation_offline_eval order by k, strategy"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/feed-benchmark")
    parser.add_argument("--raw", default="", help="an already generated raw folder (skips generate)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    work = Path(args.work)
    raw_dir = Path(args.raw) if args.raw else work / f"raw-sf{args.scale:g}"
    data = args.raw or f"SF{args.scale:g} (seed {args.seed})"
    report = Report(f"Feed genre and recommendation models on {data}")
    env = work_environment(raw_dir, work)
    if not args.raw:
        run_checked(generate_command(args.scale, args.seed, raw_dir), env)
    run_checked(dbt_command("seed"), env)
    run_checked(dbt_command("run", "-s", "+stg_feed__interactions", "+video_coview_neighbors"), env)
    models, per_model = measure_dbt(
        f"dbt run of the {len(FEED_MODELS)} genre and recommendation models",
        ["run", "-s", *FEED_MODELS],
        args.runs,
        env,
        work / "target",
    )
    warehouse = work / "warehouse.duckdb"
    interactions = row_counts(warehouse, {"n": "select count(*) from staging.stg_feed__interactions"})["n"]
    con = duckdb.connect(str(warehouse), read_only=True)
    evaluation = con.execute(EVALUATION).df()
    con.close()

    report.add(f"{interactions:,} interactions.")
    report.add(measurements_table([models]))
    report.add(node_seconds_table(per_model, FEED_MODELS))
    report.add(
        markdown_table(
            ["strategy", "k", "users", "precision@k", "recall@k", "nDCG@k", "hit rate@k"],
            [
                (
                    row.strategy,
                    row.k,
                    f"{row.users_evaluated:,}",
                    f"{row.precision_at_k:.4f}",
                    f"{row.recall_at_k:.4f}",
                    f"{row.ndcg_at_k:.4f}",
                    f"{row.hit_rate_at_k:.4f}",
                )
                for row in evaluation.itertuples()
            ],
        )
    )
    report.add(f"Holdout {evaluation['holdout_start_date'][0]} to {evaluation['holdout_end_date'][0]}.")
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
