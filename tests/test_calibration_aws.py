"""The default environment settings against published AWS measurements (Mahmoudi and Khazaei, IEEE TCC 2020).

The table (tests/data/aws_cold_starts_mahmoudi_khazaei.csv, its source in its header) holds the cold-start share and
the mean count of execution environments measured on AWS Lambda at 20 Poisson arrival rates, 28 h each; the count
is the authors' estimate from their logs (each environment until 600 s after its last request), and lambdasim's
is counted the same way (``instances_idle_allowance_s``), after an hour's warm-up (``warmup_s``: the experiments began
warm). The idle timeout, its spread and the lifetime are set from the per-request logs; the active idle timeout's
spread was fitted to replays of the logs of the rows of even index (by rate) only; the odd rows are held out.

Figures (docs/explanation/validation.md, tools/aws_comparison.py, 12 seeds) are in that page: 5.3% on the held-out
cold-start shares, 2.3% on their environment counts. Over these 3 seeds they are 4.6% and 2.2%; the simulation's own
noise moves the held-out cold-start figure by a point or two, hence the margins below. The table's own noise floor
(the error a perfect model would show from its standard errors) is about 8.8% on the held-out rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import lambdasim as ls
from lambdasim import calibrate as cal

TABLE = Path(__file__).parent / "data" / "aws_cold_starts_mahmoudi_khazaei.csv"
SEEDS = (1, 2, 3)
EARLIER_RULE = ls.Settings(
    idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent", active_idle_timeout_s=None
)
"""lambdasim's default before issue 14: a fixed 600 s idle timeout and strict most-recent reuse."""
FIRST_CALIBRATION = ls.Settings(
    idle_timeout_s=620.0,
    idle_timeout_jitter_s=40.0,
    environment_reuse="mixed",
    least_recent_reuse_probability=0.01,
    active_idle_timeout_s=None,
)
"""The first calibration of issue 14: a per-environment idle timeout on [620, 660) s, 1% least-recent reuse."""


def rows() -> tuple[cal.RateObservation, ...]:
    table = cal.read_table(TABLE)
    assert len(table) == 20
    assert {r.warmup_s for r in table} == {3600.0}
    assert [r.arrival_rate_per_s for r in table] == sorted(r.arrival_rate_per_s for r in table)
    return table


def check(settings: ls.Settings, subset: tuple[cal.RateObservation, ...]) -> cal.Check:
    fit = cal.Calibration(
        settings=settings, fitted={}, init_duration=ls.dist.Constant(0.0), loss=0.0, evaluations=0, seeds=SEEDS
    )
    return fit.check(subset)


@pytest.mark.slow
def test_defaults_match_the_published_aws_table() -> None:
    table = rows()
    held_out = table[1::2]
    defaults = check(ls.Settings(), held_out)
    earlier = check(EARLIER_RULE, held_out)
    assert defaults.cold_start_mape < 0.07, defaults.cold_start_mape
    assert defaults.instances_mape is not None and defaults.instances_mape < 0.03, defaults.instances_mape
    # the earlier rule misses by three to four times as much on cold starts
    assert earlier.cold_start_mape > 2.5 * defaults.cold_start_mape, (earlier.cold_start_mape, defaults)
    assert earlier.cold_start_mape > 0.2
    first = check(FIRST_CALIBRATION, held_out)
    assert first.cold_start_mape > defaults.cold_start_mape, (first.cold_start_mape, defaults.cold_start_mape)
    everything = check(ls.Settings(), table)
    assert everything.cold_start_mape < 0.08, everything.cold_start_mape
    assert everything.instances_mape is not None and everything.instances_mape < 0.04, everything.instances_mape
