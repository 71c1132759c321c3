"""Command line: ``python -m engagement_analytics <command>``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _generate(args: argparse.Namespace) -> int:
    from engagement_analytics.generator import generate

    truth = generate(args.scale, args.seed, Path(args.out), progress=not args.quiet)
    total = sum(truth["row_counts"].values())
    print(f"wrote {len(truth['row_counts'])} contract files ({total:,} rows) and truth.json to {args.out}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from engagement_analytics.warehouse import build

    return build(args.dbt_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engagement_analytics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write every raw-data contract file with planted effects")
    generate.add_argument("--scale", type=float, default=0.02, help="scale factor; 1 = SF1 (default 0.02)")
    generate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    generate.add_argument("--out", required=True, help="folder to write the files into")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(handler=_generate)

    build = commands.add_parser("build", help="build the warehouse (default data unless WAREHOUSE_RAW_DIR is set)")
    build.add_argument("dbt_args", nargs=argparse.REMAINDER, help="extra arguments passed to dbt build")
    build.set_defaults(handler=_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
