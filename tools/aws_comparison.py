#!/usr/bin/env python
"""lambdasim's environment model against published AWS measurements: the figure and figures of
docs/explanation/validation.md ("Cold starts against AWS").

1. The 20 experiments of Mahmoudi and Khazaei's table (tests/data/aws_cold_starts_mahmoudi_khazaei.csv: Poisson
   arrivals at 0.0019-1.0/s for 28 h each, a 2 s function) run through lambdasim, 12 seeds each by default; the
   mean absolute percentage errors on the rows held out from the choice of defaults (odd rows by rate), on the
   fitting rows and on all, with a bootstrap interval over the held-out rows and the error a perfect model would
   show from the table's own standard errors (its noise floor). Each after an hour's warm-up (the CSV's
   ``warmup_s``: the experiments began warm).
2. Replays of the eleven per-request logs of those experiments (tests/data/aws_request_logs_mahmoudi_khazaei.npz,
   tests/aws_logs.py): the logged arrival times through lambdasim, after the log's own last hour (every log began
   warm); cold-start share and environment count per experiment against the log's, with the spread of a Poisson
   count of the observed cold starts.

Each with the defaults, the previous defaults (a fixed active idle timeout of 900 s), the first calibration (a
per-environment idle timeout on [620, 660) s and 1% least-recent reuse) and the earlier rule (fixed 600 s, strict
most-recent reuse). Writes docs/_static/aws-comparison.png and prints the figures as JSON. About 20 minutes with 12
seeds.

Usage::

    python tools/aws_comparison.py [--seeds 12] [--out docs/_static/aws-comparison.png]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import lambdasim as ls  # noqa: E402
from lambdasim import calibrate as cal  # noqa: E402
from tests import aws_logs  # noqa: E402

TABLE = ROOT / "tests" / "data" / "aws_cold_starts_mahmoudi_khazaei.csv"
RULES = {
    "lambdasim defaults": ls.Settings(),
    "previous defaults (fixed 900 s active idle timeout)": ls.Settings(
        active_idle_timeout_s=900.0, active_idle_timeout_jitter_s=0.0
    ),
    "first calibration (per-environment [620, 660) s, 1% least-recent)": ls.Settings(
        idle_timeout_s=620.0,
        idle_timeout_jitter_s=40.0,
        environment_reuse="mixed",
        least_recent_reuse_probability=0.01,
        active_idle_timeout_s=None,
    ),
    "earlier rule (fixed 600 s, MRU)": ls.Settings(
        idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent", active_idle_timeout_s=None
    ),
}


def _subset(check: cal.Check, idx: list[int]) -> cal.Check:
    return cal.Check(
        observed_cold=tuple(check.observed_cold[i] for i in idx),
        predicted_cold=tuple(check.predicted_cold[i] for i in idx),
        observed_instances=tuple(check.observed_instances[i] for i in idx),
        predicted_instances=tuple(check.predicted_instances[i] for i in idx),
    )


def _bootstrap(errors: np.ndarray, n: int = 20_000) -> tuple[float, float]:
    """95% percentile interval of the mean of ``errors`` resampled with replacement (fixed seed)."""
    rng = np.random.default_rng(2026)
    means = rng.choice(errors, size=(n, errors.size)).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def noise_floor(shares: np.ndarray, se: np.ndarray, n: int = 20_000) -> tuple[float, float, float]:
    """The MAPE a model predicting every true share exactly would show against measurements with standard errors
    ``se``: its mean and 95% range over ``n`` draws of the measurements (normal, fixed seed)."""
    rng = np.random.default_rng(2026)
    measured = shares + rng.standard_normal((n, shares.size)) * se
    mapes = np.mean(np.abs(shares - measured) / np.abs(measured), axis=1)
    return float(mapes.mean()), float(np.quantile(mapes, 0.025)), float(np.quantile(mapes, 0.975))


def table_figures(
    seeds: tuple[int, ...],
) -> tuple[tuple[cal.RateObservation, ...], dict[str, cal.Check], dict[str, object]]:
    rows = cal.read_table(TABLE)
    checks = {}
    for label, settings in RULES.items():
        fit = cal.Calibration(
            settings=settings, fitted={}, init_duration=ls.dist.Constant(0.0), loss=0.0, evaluations=0, seeds=seeds
        )
        checks[label] = fit.check(rows)
    held = [i % 2 == 1 for i in range(len(rows))]
    figures: dict[str, object] = {}
    for label, check in checks.items():
        for part, keep in (("held_out", True), ("fitted", False), ("all", None)):
            idx = [i for i in range(len(rows)) if keep is None or held[i] == keep]
            sub = _subset(check, idx)
            errors = np.abs(np.array(sub.predicted_cold) / np.array(sub.observed_cold) - 1)
            inst = np.abs(np.array(sub.predicted_instances) / np.array(sub.observed_instances, dtype=float) - 1)
            figures[f"{label} / {part}"] = {
                "cold_start_mape": round(sub.cold_start_mape, 4),
                "cold_start_mape_95_bootstrap": [round(v, 4) for v in _bootstrap(errors)],
                "instances_mape": round(sub.instances_mape or 0.0, 4),
                "instances_mape_95_bootstrap": [round(v, 4) for v in _bootstrap(inst)],
            }
    # the table's noise floor: its standard errors of the share (read from the CSV's own column)
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    table = list(csv.DictReader(lines))
    share = np.array([float(r["cold_start_share"]) for r in table])
    se = np.array([float(r["cold_start_share_se"]) for r in table])
    for part, sel in (("held_out", slice(1, None, 2)), ("all", slice(None))):
        mean, low, high = noise_floor(share[sel], se[sel])
        figures[f"noise floor / {part}"] = {"mean": round(mean, 4), "95": [round(low, 4), round(high, 4)]}
    return rows, checks, figures


def replay_figures(
    seeds: tuple[int, ...],
) -> tuple[list[cal.RequestLog], dict[str, list[tuple[float, float]]], dict[str, object]]:
    logs = aws_logs.load()
    predictions: dict[str, list[tuple[float, float]]] = {}
    figures: dict[str, object] = {}
    observed = [(log.cold_start_share, log.counted_instances(aws_logs.IDLE_ALLOWANCE_S)) for log in logs]
    for label, settings in RULES.items():
        predictions[label] = [
            cal.replay_log(settings, log, seeds, idle_allowance_s=aws_logs.IDLE_ALLOWANCE_S) for log in logs
        ]
        cold = [p[0] / o[0] - 1 for p, o in zip(predictions[label], observed, strict=True)]
        inst = [p[1] / o[1] - 1 for p, o in zip(predictions[label], observed, strict=True)]
        pooled = sum(p[0] * len(log.cold) for p, log in zip(predictions[label], logs, strict=True))
        total = sum(sum(log.cold) for log in logs)
        figures[label] = {
            "cold_start_error_per_experiment": [round(e, 4) for e in cold],
            "cold_start_mape": round(float(np.mean(np.abs(cold))), 4),
            "cold_starts_pooled_error": round(pooled / total - 1, 4),
            "instances_error_per_experiment": [round(e, 4) for e in inst],
            "instances_mape": round(float(np.mean(np.abs(inst))), 4),
        }
    counts = [sum(log.cold) for log in logs]
    figures["observed"] = {
        "requests": [len(log.cold) for log in logs],
        "cold_starts": counts,
        "rate_per_s": [round(len(log.cold) / log.horizon, 5) for log in logs],
        # a Poisson count's relative standard deviation, and the mean |error| a perfect model would show from it
        "poisson_relative_sd": [round(1 / math.sqrt(n), 4) for n in counts],
        "perfect_model_mape": round(float(np.mean([math.sqrt(2 / math.pi) / math.sqrt(n) for n in counts])), 4),
    }
    return logs, predictions, figures


def plot(
    rows: tuple[cal.RateObservation, ...],
    checks: dict[str, cal.Check],
    logs: list[cal.RequestLog],
    predictions: dict[str, list[tuple[float, float]]],
) -> Figure:
    fig, (ax_cold, ax_inst, ax_replay) = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    rates = np.array([r.arrival_rate_per_s for r in rows])
    held = np.array([i % 2 == 1 for i in range(len(rows))])
    cold = np.array([r.cold_start_share for r in rows])
    inst = np.array([r.mean_instances for r in rows], dtype=float)
    for ax, obs in ((ax_cold, cold), (ax_inst, inst)):
        ax.plot(rates[~held], obs[~held], "ko", label="AWS (fitted to)")
        ax.plot(rates[held], obs[held], "o", mfc="none", mec="k", label="AWS (held out)")
        for colour, (label, check) in enumerate(checks.items()):
            pred = np.asarray(check.predicted_cold if ax is ax_cold else check.predicted_instances)
            ax.plot(rates, pred, "-", color=f"C{colour}", label=label)
    ax_cold.set(xscale="log", yscale="log", xlabel="arrival rate (1/s)", ylabel="cold-start share")
    ax_inst.set(xscale="log", xlabel="arrival rate (1/s)", ylabel="mean environments (as the authors count)")
    ax_cold.legend(fontsize=7)
    log_rates = np.array([len(log.cold) / log.horizon for log in logs])
    counts = np.array([sum(log.cold) for log in logs], dtype=float)
    ax_replay.axhspan(-0.1, 0.1, color="0.9", label="within 10%")
    ax_replay.errorbar(
        log_rates,
        np.zeros_like(log_rates),
        yerr=1 / np.sqrt(counts),
        fmt="k.",
        capsize=3,
        label="AWS's count, ±1 sd (Poisson)",
    )
    for colour, (label, preds) in enumerate(predictions.items()):
        err = np.array([p[0] for p in preds]) / np.array([log.cold_start_share for log in logs]) - 1
        ax_replay.plot(log_rates, err, "o-", ms=4, color=f"C{colour}", label=label)
    ax_replay.set(
        xscale="log",
        xlabel="arrival rate (1/s)",
        ylabel="replayed cold starts / AWS's - 1",
        title="replays of AWS's per-request logs",
    )
    ax_replay.legend(fontsize=7)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds per rate (12: the figures of validation.md)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static" / "aws-comparison.png")
    args = parser.parse_args()
    seeds = tuple(range(1, args.seeds + 1))
    rows, checks, table = table_figures(seeds)
    logs, predictions, replays = replay_figures(seeds)
    fig = plot(rows, checks, logs, predictions)
    fig.suptitle(f"AWS Lambda (Mahmoudi and Khazaei, IEEE TCC 2020) against lambdasim, {len(seeds)} seeds per case")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(json.dumps({"seeds": list(seeds), "table": table, "replays": replays}, indent=1))


if __name__ == "__main__":
    main()
