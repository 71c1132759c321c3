"""Command line: ``python -m engagement_analytics <command>``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engagement_analytics.tooling.warehouse import DEFAULT_SCALE, DEFAULT_SEED


def _generate(args: argparse.Namespace) -> int:
    from engagement_analytics.tooling.generator import generate, get_profile

    try:
        get_profile(args.profile)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    truth = generate(args.scale, args.seed, Path(args.out), progress=not args.quiet, profile=args.profile)
    total = sum(truth["row_counts"].values())
    print(f"wrote {len(truth['row_counts'])} contract files ({total:,} rows) and truth.json to {args.out}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from engagement_analytics.tooling.warehouse import docs

    return docs(Path(args.out))


def _report(args: argparse.Namespace) -> int:
    from engagement_analytics.tooling.report import render_report

    return render_report(Path(args.out))


def _answers(args: argparse.Namespace) -> int:
    import os

    from engagement_analytics.tooling.answer_book import write_answers
    from engagement_analytics.tooling.warehouse import resolve_paths

    if os.environ.get("WAREHOUSE_RAW_DIR"):
        print("the answer book quotes the embedded default data: unset WAREHOUSE_RAW_DIR", file=sys.stderr)
        return 2
    path = write_answers(resolve_paths())
    print(f"wrote {path}")
    return 0


def _check_contract(args: argparse.Namespace) -> int:
    from engagement_analytics.tooling.warehouse import CONTRACT_ERROR, check_contract, resolve_paths

    raw_dir = Path(args.raw_dir).resolve() if args.raw_dir else resolve_paths().raw_dir
    checked = check_contract(raw_dir)
    if not checked.ok:
        return CONTRACT_ERROR
    print(f"{raw_dir} keeps the raw-data contract")
    return 0


def _import_movielens(args: argparse.Namespace) -> int:
    from engagement_analytics.tooling.importers.movielens import import_movielens

    counts = import_movielens(Path(args.source), Path(args.out))
    print(f"wrote {', '.join(f'{name} ({rows:,} rows)' for name, rows in counts.items())} to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engagement_analytics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write every raw-data contract file with planted effects")
    generate.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"scale factor; 1 = SF1 (default {DEFAULT_SCALE}, the embedded default data)",
    )
    generate.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    generate.add_argument("--out", required=True, help="folder to write the files into")
    generate.add_argument(
        "--profile",
        default="default",
        help="named conventions of the files: ids, variant names and arms, landmark units, "
        "expression labels, time span, cold-start share (default: default)",
    )
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(handler=_generate)

    # Everything after `build` goes to dbt untouched (see main()); listed here for --help.
    commands.add_parser(
        "build",
        help="build the warehouse (default data unless WAREHOUSE_RAW_DIR is set); further arguments go to dbt build",
    )

    contract = commands.add_parser(
        "check-contract",
        help="check a raw folder against the raw-data contract (what `build` does before dbt); "
        "exit code 2 when it is broken",
    )
    contract.add_argument("--raw-dir", help="the folder to check (default: WAREHOUSE_RAW_DIR, else the default data)")
    contract.set_defaults(handler=_check_contract)

    movielens = commands.add_parser(
        "import-movielens", help="convert MovieLens 100K (u.data, u.item, u.genre) into the feed contract files"
    )
    movielens.add_argument("--source", required=True, help="folder holding u.data, u.item and u.genre")
    movielens.add_argument("--out", required=True, help="folder to write users, videos and interactions.parquet")
    movielens.set_defaults(handler=_import_movielens)

    answers = commands.add_parser("answers", help="render the answer book docs from the built warehouse")
    answers.set_defaults(handler=_answers)

    docs = commands.add_parser("docs", help="write the static dbt docs site of the published warehouse")
    docs.add_argument("--out", default="site", help="folder for index.html (default site)")
    docs.set_defaults(handler=_docs)

    report = commands.add_parser("report", help="render the HTML readout of the published marts")
    report.add_argument("--out", default="reports", help="folder for index.html (default reports)")
    report.set_defaults(handler=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["build"] and argv[1:2] not in (["-h"], ["--help"]):
        # Everything after `build` belongs to dbt, options included (`build --select marts.feed`).
        from engagement_analytics.tooling.warehouse import build

        return build(argv[1:])
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
