"""Co-view correlation: the dbt models side by side with an independent scipy.sparse computation.

    .venv/bin/python benchmarks/coview_benchmark.py --raw /tmp/raw-sf1 --runs 3
    .venv/bin/python benchmarks/coview_benchmark.py --scale 1 --runs 3          # generates feed files
    .venv/bin/python benchmarks/coview_benchmark.py --scale 10 --runs 1 --work /tmp/coview-sf10

With --raw, the feed files of that folder are used; otherwise only the three feed contract files
(users, videos, interactions) are generated at --scale/--seed with the feed generator (without
the feed experiment's extra activity, which needs the whole generator). Staging is built once;
then the five co-view models (`dbt run -s <models>`) run --runs times, measured by the harness
(engagement_analytics.tooling.benchmarking: wall, CPU and peak memory of the process tree),
beside the models' own execution time (run_results.json). The scipy.sparse computation (X^T X on
the same capped matrix, then a per-row arg-max) runs in its own child, measured the same way.
Both top-match sets are compared: identical matches, matches that differ only within a
floating-point tie, and real disagreements. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from engagement_analytics.tooling.benchmarking import (
    Report,
    dbt_command,
    markdown_table,
    measure,
    measure_dbt,
    python_command,
    row_counts,
    run_checked,
    work_environment,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
COVIEW_MODELS = [
    "int_coview_watches_capped",
    "int_coview_videos_summarised",
    "int_coview_pairs_correlated",
    "video_coview_neighbors",
    "video_top_coview_match",
]
FEED_FILES = ["users.parquet", "videos.parquet", "interactions.parquet"]
TIE_TOLERANCE = 1e-9


# --- the independent computation ---------------------------------------------------------------


def scipy_top_matches(user_ids: np.ndarray, watches: pd.DataFrame, cap: int) -> pd.DataFrame:
    """Top co-view match per video with scipy.sparse, from staging users and interactions.

    ``watches``: user_id, video_id, watch_time_seconds (one row per interaction). Pearson's r
    over all ``len(user_ids)`` users on the per-user watch totals, each user capped to their
    ``cap`` most-watched videos (ties: lower video_id); ties between matches: lower video_id.
    """
    from scipy import sparse

    totals = watches.groupby(["user_id", "video_id"], as_index=False)["watch_time_seconds"].sum()
    totals = totals.sort_values(["user_id", "watch_time_seconds", "video_id"], ascending=[True, False, True])
    totals = totals[totals.groupby("user_id").cumcount() < cap]
    user_index = np.searchsorted(np.sort(user_ids), totals["user_id"].to_numpy())
    video_ids, video_index = np.unique(totals["video_id"].to_numpy(), return_inverse=True)
    values = totals["watch_time_seconds"].to_numpy(dtype=float)
    if (values <= 0).any():
        raise ValueError("a zero watch total would vanish from the sparse product; not supported here")
    n_users, n_videos = len(user_ids), len(video_ids)
    x = sparse.csr_matrix((values, (user_index, video_index)), shape=(n_users, n_videos))
    seen = sparse.csr_matrix((np.ones_like(values), (user_index, video_index)), shape=(n_users, n_videos))

    sums = np.asarray(x.sum(axis=0)).ravel()
    squares = np.asarray(x.multiply(x).sum(axis=0)).ravel()
    variance = n_users * squares - sums * sums
    valid = variance > 0
    root = np.sqrt(np.where(valid, variance, 1.0))

    products = (x.T @ x).tocoo()
    counts = (seen.T @ seen).tocsr()
    rows, cols = products.row, products.col
    keep = (rows != cols) & valid[rows] & valid[cols]
    rows, cols, dot = rows[keep], cols[keep], products.data[keep]
    r = np.round((n_users * dot - sums[rows] * sums[cols]) / (root[rows] * root[cols]), 12)

    # Per row: highest r first, then the lower column (columns follow video_id order).
    order = np.lexsort((cols, -r, rows))
    rows, cols, r = rows[order], cols[order], r[order]
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    best = pd.DataFrame({"row": rows[first], "col": cols[first], "correlation": r[first]})
    best["co_viewers"] = np.asarray(counts[best["row"].to_numpy(), best["col"].to_numpy()]).ravel().astype(np.int64)

    # A video without co-viewers has r = -scale_a * scale_b < 0; it can only win when the best
    # co-viewed r is not positive.
    scale = np.where(valid, sums / root, np.inf)
    by_scale = np.lexsort((np.arange(n_videos), scale))
    for position in np.flatnonzero(best["correlation"].to_numpy() <= 0):
        a = int(best.at[position, "row"])
        partners = set(counts.indices[counts.indptr[a] : counts.indptr[a + 1]].tolist()) | {a}
        b = next(int(c) for c in by_scale if int(c) not in partners and valid[c])
        candidate = round(-scale[a] * scale[b], 12)
        current = best.at[position, "correlation"]
        if candidate > current or (candidate == current and b < best.at[position, "col"]):
            best.loc[position, ["col", "correlation", "co_viewers"]] = [b, candidate, 0]

    return pd.DataFrame(
        {
            "video_id": video_ids[best["row"].to_numpy()],
            "matched_video_id": video_ids[best["col"].to_numpy().astype(np.int64)],
            "correlation": best["correlation"].to_numpy(dtype=float),
            "co_viewers": best["co_viewers"].to_numpy(dtype=np.int64),
        }
    )


def compare(dbt_matches: pd.DataFrame, scipy_matches: pd.DataFrame) -> dict[str, int]:
    """Identical matches, matches that differ only inside a floating-point tie, disagreements."""
    both = dbt_matches.merge(scipy_matches, on="video_id", how="outer", suffixes=("_dbt", "_scipy"), indicator=True)
    matched = both[both["_merge"] == "both"]
    same = matched["matched_video_id_dbt"] == matched["matched_video_id_scipy"]
    tie = ~same & ((matched["correlation_dbt"] - matched["correlation_scipy"]).abs() <= TIE_TOLERANCE)
    return {
        "videos_dbt": len(dbt_matches),
        "videos_scipy": len(scipy_matches),
        "identical": int(same.sum()),
        "tie_only": int(tie.sum()),
        "disagree": int((~same & ~tie).sum()) + int((both["_merge"] != "both").sum()),
    }


# --- running -----------------------------------------------------------------------------------


def write_profiles(work: Path, memory_limit: str | None) -> Path:
    """The project's profiles.yml, with a DuckDB memory_limit on the dev target when one is given."""
    import yaml

    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    if memory_limit:
        for profile in profiles.values():
            profile["outputs"]["dev"].setdefault("settings", {})["memory_limit"] = memory_limit
    folder = work / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(yaml.safe_dump(profiles))
    return folder


def generate_feed_files(scale: float, seed: int, out: Path) -> None:
    """The three feed contract files at a scale factor, from the project's feed generator."""
    from engagement_analytics.tooling.generator.common import rng_for, write_parquet
    from engagement_analytics.tooling.generator.feed import generate_feed
    from engagement_analytics.tooling.generator.writer import CONTRACT_FILES

    out.mkdir(parents=True, exist_ok=True)
    feed = generate_feed(rng_for(seed, "feed"), scale)
    for name, frame in zip(FEED_FILES, (feed.users, feed.videos, feed.interactions), strict=True):
        write_parquet(frame, out / name, CONTRACT_FILES[name])


def scipy_child(warehouse: Path, out: Path, cap: int) -> int:
    """Child entry point: read staging, compute the scipy top matches, write them as Parquet."""
    con = duckdb.connect(str(warehouse), read_only=True)
    user_ids = con.execute("select user_id from staging.stg_feed__users").df()["user_id"].to_numpy()
    watches = con.execute(
        "select user_id, video_id, cast(watch_time_seconds as double) as watch_time_seconds "
        "from staging.stg_feed__interactions"
    ).df()
    con.close()
    started = time.perf_counter()
    matches = scipy_top_matches(user_ids, watches, cap)
    print(f"compute_seconds {time.perf_counter() - started:.3f}", file=sys.stderr)
    duckdb.from_df(matches).write_parquet(str(out))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", help="folder with users/videos/interactions.parquet (default: generate them)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale factor to generate (default 1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/coview-benchmark")
    parser.add_argument("--cap", type=int, default=500, help="coview_max_videos_per_user (default 500)")
    parser.add_argument("--skip-scipy", action="store_true", help="time only the dbt models")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the dbt runs, e.g. 4GB (it spills beyond)")
    parser.add_argument("--scipy-child", nargs=2, metavar=("WAREHOUSE", "OUT"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.raw:
        raw_dir, label = Path(args.raw).resolve(), f"{args.raw}"
    else:
        raw_dir, label = work / f"raw-sf{args.scale:g}", f"SF{args.scale:g} (seed {args.seed})"
        if not all((raw_dir / name).exists() for name in FEED_FILES):
            generate_feed_files(args.scale, args.seed, raw_dir)
    report = Report(f"Co-view correlation, {label}")
    warehouse = work / "warehouse.duckdb"
    env = work_environment(raw_dir, work, WAREHOUSE_TARGET="dev")
    profiles = write_profiles(work, args.memory_limit)
    run_checked(dbt_command("seed", profiles_dir=profiles), env)
    run_checked(
        dbt_command(
            "run", "-s", "+stg_feed__users", "+stg_feed__videos", "+stg_feed__interactions", profiles_dir=profiles
        ),
        env,
    )
    sizes = row_counts(
        warehouse,
        {
            "users": "select count(*) from staging.stg_feed__users",
            "videos": "select count(*) from staging.stg_feed__videos",
            "interactions": "select count(*) from staging.stg_feed__interactions",
        },
    )
    vars_arg = ["--vars", json.dumps({"coview_max_videos_per_user": args.cap})]
    models, per_model = measure_dbt(
        "dbt co-view models (DuckDB)",
        ["run", "-s", *COVIEW_MODELS, *vars_arg],
        args.runs,
        env,
        work / "target",
        profiles_dir=profiles,
    )
    models_seconds = [sum(per_model[m][i] for m in COVIEW_MODELS) for i in range(args.runs)]
    con = duckdb.connect(str(warehouse), read_only=True)
    dbt_matches = con.execute("select * from marts.video_top_coview_match").df()
    pair_count = con.execute("select count(*) from marts.video_coview_neighbors").fetchall()[0][0]
    con.close()

    report.add(
        f"{sizes['users']:,} users, {sizes['videos']:,} videos, {sizes['interactions']:,} interactions; "
        f"cap {args.cap}; DuckDB memory_limit {args.memory_limit or 'default'}; "
        f"video_coview_neighbors rows: {pair_count:,}."
    )
    rows = [(models, f"{statistics.median(models_seconds):.1f}")]
    if not args.skip_scipy:
        out = work / "scipy_matches.parquet"
        scipy = measure(
            "scipy.sparse XᵀX + per-row arg-max (incl. reading staging)",
            python_command(
                str(Path(__file__).resolve()), "--cap", str(args.cap), "--scipy-child", str(warehouse), str(out)
            ),
            args.runs,
            env,
        )
        rows.append((scipy, "–"))
        agreement = compare(dbt_matches, duckdb.read_parquet(str(out)).df())
    report.add(
        markdown_table(
            [
                "computation",
                "runs",
                "median models' time s",
                "median wall s (with start-up)",
                "median CPU s",
                "peak memory MiB",
            ],
            [
                (
                    m.label,
                    len(m.runs),
                    models_time,
                    f"{m.median_wall_seconds:.1f}",
                    f"{m.median_cpu_seconds:.1f}",
                    f"{m.peak_memory_mib:,.0f}",
                )
                for m, models_time in rows
            ],
        )
    )
    if not args.skip_scipy:
        report.add(
            f"Top matches: dbt {agreement['videos_dbt']:,} videos, scipy {agreement['videos_scipy']:,}; "
            f"identical {agreement['identical']:,}, differing only inside a tie (|Δr| <= {TIE_TOLERANCE:g}) "
            f"{agreement['tie_only']:,}, disagreeing {agreement['disagree']:,}."
        )
    return report


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.scipy_child:
        sys.exit(scipy_child(Path(arguments.scipy_child[0]), Path(arguments.scipy_child[1]), arguments.cap))
    print(run(arguments).render())
