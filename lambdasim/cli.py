"""The ``lambdasim`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _demo(args: argparse.Namespace) -> int:
    from lambdasim.demo import run_demo

    results = run_demo(seed=args.seed)
    if args.json:
        print(json.dumps(results.to_dict(), indent=2, default=str))
    else:
        print("lambdasim demo: 10 min of 20 events/s plus two bursts of 3,000 events against 'orders'")
        print("(reserved concurrency 12, ~0.5 s per invoke, 5% function errors, 2 retries, max age 30 min)\n")
        print(results.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lambdasim", description="AWS Lambda asynchronous invocation, simulated.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the built-in example and print its summary")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
