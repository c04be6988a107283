#!/usr/bin/env python
"""lambdasim's environment model against published AWS measurements: the figure and figures of
docs/explanation/validation.md ("Cold starts against AWS").

Runs the 20 experiments of Mahmoudi and Khazaei's table (tests/data/aws_cold_starts_mahmoudi_khazaei.csv: Poisson
arrivals at 0.0019-1.0/s for 28 h each, a 2 s function) through lambdasim with the default settings and with the
earlier rule (fixed 600 s idle timeout, strict most-recent reuse), 12 seeds each by default, and prints the mean
absolute percentage errors on the rows held out from the choice of defaults (odd rows by rate), on the fitting rows
and on all. Writes docs/_static/aws-comparison.png. Takes about ten minutes with the default 12 seeds.

Usage::

    python tools/aws_comparison.py [--seeds 12] [--out docs/_static/aws-comparison.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import lambdasim as ls  # noqa: E402
from lambdasim import calibrate as cal  # noqa: E402

TABLE = ROOT / "tests" / "data" / "aws_cold_starts_mahmoudi_khazaei.csv"
EARLIER_RULE = ls.Settings(idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds per rate (12: the figures of validation.md)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static" / "aws-comparison.png")
    args = parser.parse_args()
    rows = cal.read_table(TABLE)
    seeds = tuple(range(1, args.seeds + 1))
    checks = {}
    for label, settings in (("lambdasim defaults", ls.Settings()), ("earlier rule (fixed 600 s, MRU)", EARLIER_RULE)):
        fit = cal.Calibration(
            settings=settings, fitted={}, init_duration=ls.dist.Constant(0.0), loss=0.0, evaluations=0, seeds=seeds
        )
        checks[label] = fit.check(rows)
    held = [i % 2 == 1 for i in range(len(rows))]
    figures = {}
    for label, check in checks.items():
        for part, keep in (("held_out", True), ("fitted", False), ("all", None)):
            idx = [i for i in range(len(rows)) if keep is None or held[i] == keep]
            sub = cal.Check(
                observed_cold=tuple(check.observed_cold[i] for i in idx),
                predicted_cold=tuple(check.predicted_cold[i] for i in idx),
                observed_instances=tuple(check.observed_instances[i] for i in idx),
                predicted_instances=tuple(check.predicted_instances[i] for i in idx),
            )
            figures[f"{label} / {part}"] = {
                "cold_start_mape": round(sub.cold_start_mape, 4),
                "instances_mape": round(sub.instances_mape or 0.0, 4),
            }
    fig = cal.plot_table(rows, checks, held_out=held)
    fig.suptitle(
        f"AWS Lambda (Mahmoudi and Khazaei, IEEE TCC 2020) against lambdasim, {len(seeds)} seeds of 28 h per rate"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(json.dumps({"seeds": list(seeds), "mape": figures}, indent=1))


if __name__ == "__main__":
    main()
