"""Landmark marts at scale: build time and peak memory of the landmark models, and anomaly
recall/precision against the generator's truth.

    python -m engagement_analytics generate --scale 1 --seed 7 --out /tmp/sf1
    python benchmarks/face_landmarks_benchmark.py --raw /tmp/sf1 --work /tmp/face-bench --runs 3

Staging (stg_face__facial_landmarks) is built once; then the landmark models (the two
four intermediate models and three marts) are rebuilt `--runs` times with `dbt run`. Peak memory is
the maximum resident set of the dbt process (DuckDB runs inside it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from engagement_analytics.tooling.warehouse import BuildPaths, dbt_environment, dbt_executable  # noqa: E402

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
MEASURE_RSS = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(rc)"
)


def run_measured(args: list[str], paths: BuildPaths) -> tuple[float, float, dict]:
    """One dbt command: wall seconds, peak RSS in MiB, and its run_results.json."""
    command = [
        sys.executable,
        "-c",
        MEASURE_RSS,
        dbt_executable(),
        *args,
        "--profiles-dir",
        str(PROJECT_DIR),
        "--project-dir",
        str(PROJECT_DIR),
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=PROJECT_DIR, env=dbt_environment(paths), text=True, capture_output=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    rss_kb = int(result.stderr.rsplit("MAXRSS_KB", 1)[1].split()[0])
    run_results = json.loads((paths.target_dir / "run_results.json").read_text())
    return seconds, rss_kb / 1024, run_results


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", required=True, type=Path, help="generated raw folder (with truth.json)")
    parser.add_argument("--work", required=True, type=Path, help="folder for the warehouse, target and logs")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    paths = BuildPaths(
        raw_dir=args.raw.resolve(),
        warehouse_db=args.work / "warehouse.duckdb",
        target_dir=args.work / "target",
        log_dir=args.work / "logs",
    )

    staging_seconds, staging_rss, _ = run_measured(["run", "-s", "+stg_face__facial_landmarks"], paths)
    con = duckdb.connect(str(paths.warehouse_db), read_only=True)
    landmark_rows = con.execute("select count(*) from staging.stg_face__facial_landmarks").fetchall()[0][0]
    con.close()

    walls, peaks, per_model = [], [], {name: [] for name in LANDMARK_MODELS}
    for _ in range(args.runs):
        seconds, rss, results = run_measured(["run", "-s", " ".join(LANDMARK_MODELS)], paths)
        walls.append(seconds)
        peaks.append(rss)
        for result in results["results"]:
            name = result["unique_id"].rsplit(".", 1)[1]
            if name in per_model:
                per_model[name].append(result["execution_time"])

    report = {
        "raw": str(args.raw),
        "landmark_rows": int(landmark_rows),
        "staging_build_seconds": round(staging_seconds, 1),
        "staging_peak_rss_mib": round(staging_rss),
        "runs": args.runs,
        "landmark_models_wall_seconds_median": round(statistics.median(walls), 1),
        "landmark_models_wall_seconds_all": [round(s, 1) for s in walls],
        "landmark_models_peak_rss_mib_max": round(max(peaks)),
        "model_seconds_median": {name: round(statistics.median(times), 2) for name, times in per_model.items()},
        "anomalies": anomaly_quality(paths.warehouse_db, paths.raw_dir),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
