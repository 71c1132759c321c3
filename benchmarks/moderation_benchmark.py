"""Time and peak memory of each moderation Python model's helper on a claims file of SF1 size.

    .venv/bin/python benchmarks/moderation_benchmark.py --runs 3
    .venv/bin/python benchmarks/moderation_benchmark.py --claims /path/to/claims_videos.csv

Default input: the real TikTok claims file (tests/fixtures/tiktok_claims, 19,382 rows, the size
of SF1) or, where it is absent, a generated SF1 claims file. Each helper runs --runs times, each
time in a fresh child (this script with --step) measured by the harness
(engagement_analytics.tooling.benchmarking: wall, CPU and peak memory of the process, which
includes reading the claims file and imports), beside the helper's own seconds, which the child
times around the call alone. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engagement_analytics.domains.moderation import claims_classifier as cc
from engagement_analytics.domains.moderation.group_comparison import compare_groups
from engagement_analytics.domains.moderation.leakage import leakage_audit
from engagement_analytics.domains.moderation.verified_status import fit_verified_status_model
from engagement_analytics.tooling.benchmarking import Report, measure, measurements_table, python_command
from engagement_analytics.tooling.generator.claims import write_claims
from engagement_analytics.tooling.generator.common import rng_for
from engagement_analytics.tooling.warehouse import PROJECT_DIR

REAL_CLAIMS = PROJECT_DIR / "tests" / "fixtures" / "tiktok_claims" / "tiktok_dataset.csv.gz"
COUNTS = ["view_count", "like_count", "share_count", "download_count", "comment_count"]
# The Python models whose helpers are measured, in order.
STEPS = (
    "int_claims_view_counts_compared",
    "verified_status (coefficients, metrics)",
    "int_claims_videos_classified",
    "claims_classifier_metrics",
    "int_claims_features_ranked",
    "int_claims_features_audited",
)
# The claims_decision_threshold var's default.
DECISION_THRESHOLD = 0.5
# The key of the child's own seconds in the JSON line it prints.
STEP_SECONDS = "step_seconds"


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


def prepare(name: str, frame: pd.DataFrame, seed: int) -> Callable[[], object]:
    """The helper behind one Python model, ready to call on the staged claims (anything it needs
    beforehand, such as the classifier's predictions for its metrics, is computed here)."""
    if name == "int_claims_view_counts_compared":
        return lambda: compare_groups(frame["view_count"], frame["is_verified"], "verified", "not verified")
    if name == "verified_status (coefficients, metrics)":
        return lambda: fit_verified_status_model(frame, seed)
    if name == "int_claims_videos_classified":
        return lambda: cc.run_claims_classifier(frame, seed)
    if name == "claims_classifier_metrics":
        predictions = cc.run_claims_classifier(frame, seed)
        return lambda: cc.classifier_metrics(predictions, DECISION_THRESHOLD)
    if name == "int_claims_features_ranked":
        return lambda: cc.candidate_importance(frame, seed)
    if name == "int_claims_features_audited":
        return lambda: leakage_audit(frame)
    raise ValueError(f"unknown step {name!r}; expected one of {STEPS}")


def run_step(claims: Path, seed: int, name: str) -> None:
    """Child: one helper once, printing its own seconds."""
    step = prepare(name, staged_claims(claims), seed)
    started = time.perf_counter()
    step()
    print(json.dumps({STEP_SECONDS: time.perf_counter() - started}))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    report = Report("Moderation Python models' helpers")
    path = args.claims or (REAL_CLAIMS if REAL_CLAIMS.exists() else None)
    if path is None:
        path = Path(tempfile.mkdtemp()) / "claims_videos.csv"
        write_claims(rng_for(args.seed, "claims"), 1.0, path)
    frame = staged_claims(path)
    measurements, own = [], []
    for name in STEPS:
        command = python_command(__file__, "--claims", str(path), "--seed", str(args.seed), "--step", name)
        measurement = measure(name, command, args.runs)
        measurements.append(measurement)
        seconds = [json.loads(run.output.strip().splitlines()[-1])[STEP_SECONDS] for run in measurement.runs]
        own.append(f"{statistics.median(seconds):.2f}")
    report.add(f"{len(frame):,} labelled videos from {path.name}.")
    report.add(measurements_table(measurements, {"median helper s (the call alone)": own}))
    return report


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.step:
        run_step(arguments.claims, arguments.seed, arguments.step)
    else:
        print(run(arguments).render())
