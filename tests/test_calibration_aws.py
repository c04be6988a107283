"""The default environment settings against published AWS measurements (Mahmoudi and Khazaei, IEEE TCC 2020).

The table (tests/data/aws_cold_starts_mahmoudi_khazaei.csv, its source in its header) holds the cold-start share and
the mean count of execution environments measured on AWS Lambda at 20 Poisson arrival rates, 28 h each. The default
settings were chosen against the rows of even index (by rate) only; the odd rows are held out.

Figures (docs/explanation/validation.md), averaged over 12 seeds: on the held-out rows 9.5% mean absolute percentage
error on the cold-start share and 1.2% on the environment count; on all rows 10.1% and 2.3%; the earlier rule 27.5%
and 3.3% held out. Issue 14's targets were 8% and 3%: the second is met, the first is not, and it is about the noise
of the data themselves: with the table's standard errors (10% of the share on average), a model predicting every
true share exactly would show an expected MAPE of 8.1% (8.4% on the held-out rows) from measurement noise alone.
Over 3 seeds the simulation's own noise moves the cold-start figure by 2 to 3 points (6.8% with seeds 1-3, 10.0%
with 4-6), hence the margins below.
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


def rows() -> tuple[cal.RateObservation, ...]:
    table = cal.read_table(TABLE)
    assert len(table) == 20
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
    assert defaults.cold_start_mape < 0.13, defaults.cold_start_mape
    assert defaults.instances_mape is not None and defaults.instances_mape < 0.03, defaults.instances_mape
    # the earlier rule misses by two to three times as much on cold starts
    assert earlier.cold_start_mape > 1.5 * defaults.cold_start_mape, (earlier.cold_start_mape, defaults)
    assert earlier.cold_start_mape > 0.2
    everything = check(ls.Settings(), table)
    assert everything.cold_start_mape < 0.13, everything.cold_start_mape
    assert everything.instances_mape is not None and everything.instances_mape < 0.035, everything.instances_mape
