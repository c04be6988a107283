"""Per-period metrics over long horizons (issue 18): older periods are rolled up into coarse buckets, totals stay
exact, CloudWatch reads report a bucket only for a period that holds it whole, and memory stays flat: one
simulated year of light traffic within 1.2x of one simulated day."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

import lambdasim as ls
from lambdasim.core.metrics import COARSE_BUCKETS, FINE_PERIODS, FunctionMetrics
from lambdasim.model import Function, Model
from lambdasim.workload import Poisson

ROOT = Path(__file__).resolve().parents[1]


def _fill(days: float, period_s: float = 60.0) -> FunctionMetrics:
    """One attempt of 0.5 s every 10 minutes, failing every third time, for ``days``."""
    m = FunctionMetrics(period_s)
    t = 0.0
    n = 0
    while t < days * 86400:
        m.async_attempt(t, 1, 2.0)
        m.ended(t, t + 0.5, 0.5, n % 3 == 0, 0)
        m.event_received(t)
        t += 600.0
        n += 1
    m.settle(t)
    return m


def test_totals_are_exact_after_rolling_up() -> None:
    m = _fill(30)
    attempts = 30 * 144
    assert m.width > 1  # rolled up, and widened
    assert m.total("Invocations") == attempts
    assert m.total("AsyncEventsReceived") == attempts
    assert m.total("Errors") == len(range(0, attempts, 3))
    errors = m.series("Errors")
    assert sum(a.count for a in errors.values()) == attempts  # one Errors sample per attempt, as before
    assert sum(a.statistic("SampleCount") for a in m.series("Duration").values()) == attempts
    assert max(a.statistic("Maximum") for a in m.series("ConcurrentExecutions").values()) == 1.0
    duration = [a.percentile(0.99) for a in m.series("Duration").values()]
    assert all(d == pytest.approx(500.0, rel=0.02) for d in duration if d is not None)


def test_recent_periods_keep_full_resolution_and_old_ones_are_bounded() -> None:
    m = _fill(60)
    fine = [i for i in m.invocations if m.span(i) == 1]
    assert len(fine) == len(m.invocations)
    newest = max(m.invocations)
    assert min(m.invocations) >= newest - FINE_PERIODS - 64 - 1
    coarse = [i for i in m.series("Invocations") if m.span(i) > 1]
    assert 0 < len(coarse) <= COARSE_BUCKETS
    # Every period is covered once: buckets and periods tile the run from its start.
    covered = sorted((i, i + m.span(i)) for i in m.series("Invocations"))
    assert covered[0][0] == 0
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(covered))


def test_to_dict_says_how_long_a_rolled_up_bucket_is() -> None:
    m = _fill(5)
    rows = m.to_dict()["Invocations"]
    assert rows[0]["period_s"] == m.span(0) * 60.0 > 60.0
    assert "period_s" not in rows[-1]
    assert sum(r["Sum"] for r in rows) == 5 * 144


def test_cloudwatch_reports_old_buckets_only_for_periods_that_hold_them() -> None:
    days = 5
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=None, Duration=0.5)
    Poisson(function="f", rate_per_s=0.01, stop_s=days * 86400).attach(sim)
    sim.run(until=days * 86400)
    cw = sim.client("cloudwatch")
    fm = sim.engine.functions["f"].metrics
    common = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Invocations",
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        "StartTime": sim.start,
        "EndTime": sim.moment_now(),
        "Statistics": ["Sum"],
    }
    total = sim.results().functions["f"]["attempts"]
    day = cw.get_metric_statistics(Period=86400, **common)["Datapoints"]
    assert sum(p["Sum"] for p in day) == total  # whole days hold every bucket: nothing lost
    assert fm.width == 1440  # old periods are in whole-day buckets by now
    first_day = {**common, "EndTime": sim.start + dt.timedelta(days=1)}
    assert cw.get_metric_statistics(Period=300, **first_day)["Datapoints"] == []  # finer than what is kept
    assert sum(p["Sum"] for p in cw.get_metric_statistics(Period=86400, **first_day)["Datapoints"]) > 0
    last = {**common, "StartTime": sim.moment_now() - dt.timedelta(hours=23)}
    minute = cw.get_metric_statistics(Period=60, **last)["Datapoints"]
    since = int((sim.now - 23 * 3600) // 60)
    assert sum(p["Sum"] for p in minute) == sum(n for i, n in fm.invocations.items() if i >= since) > 0


def test_a_tiny_period_rolls_up_too() -> None:
    m = _fill(0.5, period_s=0.5)
    assert m.total("Invocations") == 72
    assert len(m.invocations) <= max(FINE_PERIODS, 1842) + 64 + 1


def _peak(days: float) -> int:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "_memory_probe.py"), str(days)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return int(done.stdout.split()[-1])


def test_memory_stays_flat_over_a_month_of_light_traffic() -> None:
    day, month = _peak(1), _peak(30)
    assert month <= 1.2 * day, (day, month)


@pytest.mark.slow
def test_memory_of_a_simulated_year_at_005_per_s_is_within_1_2x_of_a_day() -> None:
    day, year = _peak(1), _peak(365)
    assert year <= 1.2 * day, (day, year)


def test_model_runs_over_long_horizons_keep_their_totals() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.2))],
        workloads=[Poisson(function="f", rate_per_s=0.02, stop_s=4 * 86400)],
        horizon_s=4 * 86400,
    )
    res = model.run(seed=3)
    assert res.metrics["f"].total("Invocations") == res.functions["f"]["attempts"]
    assert res.metrics["f"].total("AsyncEventsReceived") == res.functions["f"]["async_events_received"]
