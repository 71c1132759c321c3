"""Landmark marts at scale: build time and peak memory of the landmark models, and anomaly
recall/precision against the generator's truth.

    python -m engagement_analytics generate --scale 1 --seed 7 --out /tmp/sf1
    python benchmarks/face_landmarks_benchmark.py --raw /tmp/sf1 --work /tmp/face-bench --runs 3

Staging (stg_face__facial_landmarks) is built once; then the landmark models (the intermediate
models and the three marts) are rebuilt `--runs` times with `dbt run`, each measured by the
harness (engagement_analytics.tooling.benchmarking: wall, CPU and peak memory of the process
tree, DuckDB included), beside each model's own execution time. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import pandas as pd

from engagement_analytics.tooling.benchmarking import (
    Measurement,
    Report,
    dbt_command,
    markdown_table,
    measure_dbt,
    measurements_table,
    node_seconds_table,
    row_counts,
    run_command,
    work_environment,
)

LANDMARK_MODELS = [
    "int_landmark_shapes_aggregated",
    "int_landmark_captures_summarised",
    "int_landmark_duplicates_identified",
    "int_landmark_captures_classified",
    "int_landmark_captures_periodised",
    "user_landmark_variance",
    "user_landmark_consistency",
    "landmark_capture_anomalies",
]


def anomaly_quality(warehouse_db: Path, raw_dir: Path) -> dict:
    """Recall and precision of is_anomaly against truth['face']['anomalies'], overall and per kind."""
    truth = json.loads((raw_dir / "truth.json").read_text())
    planted = pd.DataFrame(truth["face"]["anomalies"])
    planted["captured_at"] = pd.to_datetime(planted["captured_at"]).astype("datetime64[us]")
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        mart = con.execute("select user_id, captured_at, is_anomaly, reason from marts.landmark_capture_anomalies").df()
    finally:
        con.close()
    mart["captured_at"] = mart["captured_at"].astype("datetime64[us]")
    merged = mart.merge(planted, on=["user_id", "captured_at"], how="outer", indicator=True)
    flagged = merged["is_anomaly"].fillna(False).astype(bool)
    is_planted = merged["kind"].notna()
    quality = {
        "captures": len(mart),
        "planted": int(is_planted.sum()),
        "flagged": int(flagged.sum()),
        "recall": float((flagged & is_planted).sum() / is_planted.sum()),
        "precision": float((flagged & is_planted).sum() / flagged.sum()),
        "per_kind": {},
    }
    for kind, rows in merged[is_planted].groupby("kind"):
        given = merged[merged["reason"] == kind]
        quality["per_kind"][kind] = {
            "planted": len(rows),
            "recall": float(rows["is_anomaly"].fillna(False).astype(bool).mean()),
            "reason_matches": float((rows["reason"] == kind).mean()),
            "reason_precision": float((given["kind"] == kind).mean()) if len(given) else None,
        }
    return quality


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", required=True, type=Path, help="generated raw folder (with truth.json)")
    parser.add_argument("--work", required=True, type=Path, help="folder for the warehouse, target and logs")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    report = Report(f"Landmark models on {args.raw}")
    args.work.mkdir(parents=True, exist_ok=True)
    raw_dir = args.raw.resolve()
    env = work_environment(raw_dir, args.work)
    staging = Measurement(
        "dbt run of staging (+stg_face__facial_landmarks)",
        (run_command(dbt_command("run", "-s", "+stg_face__facial_landmarks"), env),),
    )
    models, per_model = measure_dbt(
        "dbt run of the landmark models", ["run", "-s", *LANDMARK_MODELS], args.runs, env, args.work / "target"
    )
    rows = row_counts(
        args.work / "warehouse.duckdb", {"rows": "select count(*) from staging.stg_face__facial_landmarks"}
    )
    quality = anomaly_quality(args.work / "warehouse.duckdb", raw_dir)

    report.add(f"{rows['rows']:,} landmark rows in staging.")
    report.add(measurements_table([staging, models]))
    report.add(node_seconds_table(per_model, LANDMARK_MODELS))
    report.add(
        f"Anomalies: {quality['captures']:,} captures, {quality['planted']:,} planted, {quality['flagged']:,} "
        f"flagged; recall {quality['recall']:.3f}, precision {quality['precision']:.3f}."
    )
    report.add(
        markdown_table(
            ["kind", "planted", "recall", "reason matches", "reason precision"],
            [
                (
                    kind,
                    figures["planted"],
                    f"{figures['recall']:.3f}",
                    f"{figures['reason_matches']:.3f}",
                    "–" if figures["reason_precision"] is None else f"{figures['reason_precision']:.3f}",
                )
                for kind, figures in quality["per_kind"].items()
            ],
        )
    )
    return report


if __name__ == "__main__":
    print(run(parse_args()).render())
