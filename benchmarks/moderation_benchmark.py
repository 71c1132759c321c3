"""Time and peak memory of each moderation Python model's helper on a claims file of SF1 size.

    .venv/bin/python benchmarks/moderation_benchmark.py --runs 3
    .venv/bin/python benchmarks/moderation_benchmark.py --claims /path/to/claims_videos.csv

Default input: the real TikTok claims file (tests/fixtures/tiktok_claims, 19,382 rows,
the size of SF1) or, where it is absent, a generated SF1 claims file. Each helper runs in this
process; the figures are the median wall time and CPU time over the runs and the peak traced
Python/numpy allocation of one run (tracemalloc). Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from engagement_analytics.domains.moderation import claims_classifier as cc
from engagement_analytics.domains.moderation.group_comparison import compare_groups
from engagement_analytics.domains.moderation.leakage import leakage_audit
from engagement_analytics.domains.moderation.verified_status import fit_verified_status_model
from engagement_analytics.tooling.generator.claims import write_claims
from engagement_analytics.tooling.generator.common import rng_for

PROJECT_DIR = Path(__file__).resolve().parent.parent
REAL_CLAIMS = PROJECT_DIR / "tests" / "fixtures" / "tiktok_claims" / "tiktok_dataset.csv.gz"
COUNTS = ["view_count", "like_count", "share_count", "download_count", "comment_count"]


def staged_claims(path: Path) -> pd.DataFrame:
    """The labelled rows of a claims file with the columns of stg_moderation__claims_videos."""
    raw = pd.read_csv(path).rename(
        columns={
            "#": "id",
            "video_duration_sec": "video_duration_seconds",
            "video_transcription_text": "transcription_text",
            **{f"video_{c}": c for c in COUNTS},
        }
    )
    frame = raw.dropna(subset=["claim_status", *COUNTS]).reset_index(drop=True)
    frame["is_claim"] = frame["claim_status"] == "claim"
    frame["is_verified"] = frame["verified_status"] == "verified"
    return frame


def measure(step, runs: int) -> tuple[float, float, float]:
    """(median wall s, median CPU s, peak traced MiB) of calling step() runs times."""
    walls, cpus, peak = [], [], 0
    for run in range(runs):
        if run == 0:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        if run == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return statistics.median(walls), statistics.median(cpus), peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    path = args.claims or (REAL_CLAIMS if REAL_CLAIMS.exists() else None)
    if path is None:
        path = Path(tempfile.mkdtemp()) / "claims_videos.csv"
        write_claims(rng_for(args.seed, "claims"), 1.0, path)
    frame = staged_claims(path)
    predictions = cc.run_claims_classifier(frame, args.seed)
    steps = {
        "int_claims_view_counts_compared": lambda: compare_groups(
            frame["view_count"], frame["is_verified"], "verified", "not verified"
        ),
        "verified_status (coefficients, metrics)": lambda: fit_verified_status_model(frame, args.seed),
        "int_claims_videos_classified": lambda: cc.run_claims_classifier(frame, args.seed),
        "claims_classifier_metrics": lambda: cc.classifier_metrics(predictions, 0.5),
        "int_claims_features_ranked": lambda: cc.candidate_importance(frame, args.seed),
        "int_claims_features_audited": lambda: leakage_audit(frame),
    }
    print(f"{len(frame):,} labelled videos from {path.name}; median of {args.runs} runs\n")
    print("| Python model (helper) | wall s | CPU s | peak traced MiB |")
    print("|---|---:|---:|---:|")
    for name, step in steps.items():
        wall, cpu, peak = measure(step, args.runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
