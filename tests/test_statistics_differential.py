"""Differential test: the streaming statistics (tallies, levels, per-minute metrics, sink statistics) equal the same
figures recomputed from the per-event trace of the same seeded run."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.core.metrics import SKETCH_ALPHA
from lambdasim.core.sinks import CollectingSink
from lambdasim.core.stats import Tally
from lambdasim.workload import Poisson

RETRY_DELAYS = (60.0, 120.0)
PERIOD = 60.0


@pytest.fixture(scope="module")
def run() -> tuple[ls.Simulation, ls.Results]:
    """Overloaded, failing, ageing: 4 events/s of 1.5 s mean against 5 units of concurrency for 5 minutes, 30% errors,
    a 200 s maximum age. Every condition but ZeroReservedConcurrency and Dropped happens."""
    sim = ls.Simulation(seed=99, trace=True)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f", Handler=ls.Behaviour(duration=dist.Exponential(1.5), error_rate=0.3), Timeout=900
    )
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=200)
    sim.add_sink(CollectingSink(limit=1), name="watcher")
    Poisson(function="f", rate_per_s=4.0, stop_s=300.0).attach(sim)
    results = sim.run()
    outcomes = results.functions["f"]["outcomes"]
    assert outcomes["Success"] and outcomes["RetriesExhausted"] and outcomes["EventAgeExceeded"]
    assert results.functions["f"]["throttles"] > 100
    return sim, results


def traced(results: ls.Results) -> dict[str, Any]:
    """Everything the differential checks need, from the trace alone."""
    assert results.trace is not None
    attempts = [t for t in results.trace if t.kind in ("Success", "Error", "Timeout")]
    outcomes = {t.request_id: t for t in results.trace if t.kind == "Outcome"}
    throttles = [t for t in results.trace if t.kind == "Throttled"]
    return {"attempts": attempts, "outcomes": outcomes, "throttles": throttles}


def exact_quantile(values: list[float], q: float) -> float:
    """Nearest rank, rounded up: the rank QuantileSketch promises to be within alpha of."""
    ordered = sorted(values)
    return ordered[math.ceil(q * (len(ordered) - 1) - 1e-9)]


def assert_tally(tally: Tally, values: list[float], alpha: float = 0.005) -> None:
    assert tally.count == len(values)
    assert tally.mean == pytest.approx(sum(values) / len(values), rel=1e-9, abs=1e-12)
    assert tally.min == pytest.approx(min(values), abs=1e-12)
    assert tally.max == pytest.approx(max(values), abs=1e-12)
    for q in (0.5, 0.9, 0.99):
        exact = exact_quantile(values, q)
        assert abs(tally.quantile(q) - exact) <= alpha * exact + 1e-12, q


def test_counts_equal_the_trace(run: tuple[ls.Simulation, ls.Results]) -> None:
    _sim, results = run
    t = traced(results)
    f = results.functions["f"]
    assert f["async_events_received"] == len(t["outcomes"])
    assert f["attempts"] == len(t["attempts"])
    assert f["errors"] == sum(1 for a in t["attempts"] if a.kind != "Success")
    assert f["throttles"] == len(t["throttles"])
    assert f["outcomes"] == {
        c.value: sum(1 for o in t["outcomes"].values() if o.detail == c.value) for c in ls.Condition
    }
    assert f["in_flight"] == 0


def test_tallies_equal_the_trace(run: tuple[ls.Simulation, ls.Results]) -> None:
    _sim, results = run
    t = traced(results)
    st = results.stats("f")
    enqueued = {rid: o.start for rid, o in t["outcomes"].items()}
    for k in range(3):
        ages = [a.start - enqueued[a.request_id] for a in t["attempts"] if a.attempt == k + 1]
        assert_tally(st.age_by_attempt[k], ages)
    assert_tally(st.end_to_end, [o.end - o.start for o in t["outcomes"].values()])
    assert_tally(st.duration, [a.end - a.start for a in t["attempts"]])


def test_time_weighted_levels_equal_the_trace(run: tuple[ls.Simulation, ls.Results]) -> None:
    sim, results = run
    t = traced(results)
    st = results.stats("f")
    horizon = sim.now
    busy = sum(a.end - a.start for a in t["attempts"])
    assert st.concurrency.mean(horizon) == pytest.approx(busy / horizon, rel=1e-9)
    # An event waits for a retry after a failed attempt, unless its outcome came right then.
    waiting = 0.0
    for a in t["attempts"]:
        outcome = t["outcomes"][a.request_id]
        if a.kind != "Success" and not (outcome.attempt == a.attempt and outcome.end == a.end):
            waiting += RETRY_DELAYS[a.attempt - 1]
    assert st.retry_waiting.mean(horizon) == pytest.approx(waiting / horizon, rel=1e-9)
    # Whatever an event's lifetime is not running or waiting for a retry, it spends queued.
    lifetimes = sum(o.end - o.start for o in t["outcomes"].values())
    assert st.queued.mean(horizon) == pytest.approx((lifetimes - busy - waiting) / horizon, rel=1e-9)
    assert st.concurrency.max == 5


def test_per_minute_metrics_equal_the_trace(run: tuple[ls.Simulation, ls.Results]) -> None:
    _sim, results = run
    t = traced(results)
    fm = results.metrics["f"]
    enqueued = {rid: o.start for rid, o in t["outcomes"].items()}

    def minute(time: float) -> int:
        return int(time // PERIOD)

    def sums(metric: str) -> dict[int, float]:
        return {i: agg.statistic("Sum") for i, agg in fm.series(metric).items()}

    assert sums("Invocations") == Counter(minute(a.start) for a in t["attempts"])
    errors = Counter(minute(a.start) for a in t["attempts"] if a.kind != "Success")
    # Errors has a datapoint (0 or more) for every minute with attempts: successes are 0-samples.
    assert sums("Errors") == {minute(a.start): errors.get(minute(a.start), 0) for a in t["attempts"]}
    assert {i: a.statistic("SampleCount") for i, a in fm.series("Errors").items()} == Counter(
        minute(a.start) for a in t["attempts"]
    )
    assert sums("Throttles") == Counter(minute(x.start) for x in t["throttles"])
    assert sums("AsyncEventsReceived") == Counter(minute(o.start) for o in t["outcomes"].values())
    assert sums("AsyncEventsDropped") == Counter(minute(o.end) for o in t["outcomes"].values() if o.detail != "Success")
    for metric, samples in (
        ("Duration", [(minute(a.start), (a.end - a.start) * 1000) for a in t["attempts"]]),
        ("AsyncEventAge", [(minute(a.start), (a.start - enqueued[a.request_id]) * 1000) for a in t["attempts"]]),
    ):
        by_minute: dict[int, list[float]] = defaultdict(list)
        for i, value in samples:
            by_minute[i].append(value)
        series = fm.series(metric)
        assert set(series) == set(by_minute), metric
        for i, values in by_minute.items():
            agg = series[i]
            assert agg.count == len(values)
            assert agg.total == pytest.approx(sum(values), rel=1e-9)
            assert (agg.minimum, agg.maximum) == (pytest.approx(min(values)), pytest.approx(max(values)))
            for q in (0.5, 0.99, 0.999):
                exact = exact_quantile(values, q)
                got = agg.percentile(q)
                assert got is not None and abs(got - exact) <= SKETCH_ALPHA * exact + 1e-9, (metric, i, q)
    assert {i: a.statistic("Maximum") for i, a in fm.series("ConcurrentExecutions").items()} == peaks(t["attempts"])


def peaks(attempts: list[Any]) -> dict[int, float]:
    """Peak concurrency per minute by a sweep over attempt intervals (ends before starts at equal times)."""
    changes = sorted([(a.start, 1) for a in attempts] + [(a.end, -1) for a in attempts], key=lambda c: (c[0], c[1]))
    out: dict[int, float] = {}
    level = 0
    last_minute = 0
    for time, delta in changes:
        m = int(time // PERIOD)
        if level:  # minutes entered while attempts ran start at the level held
            for k in range(last_minute + 1, m + 1):
                out[k] = max(out.get(k, 0), level)
        last_minute = m
        level += delta
        if level:
            out[m] = max(out.get(m, 0), level)
    return out


def test_sink_statistics_equal_the_trace(run: tuple[ls.Simulation, ls.Results]) -> None:
    _sim, results = run
    t = traced(results)
    watcher = results.sinks["watcher"]
    outcomes = list(t["outcomes"].values())
    assert watcher["by_condition"] == dict(Counter(o.detail for o in outcomes))
    assert watcher["approximate_invoke_count"] == {
        str(k): v for k, v in sorted(Counter(o.attempt for o in outcomes).items())
    }
    ages = [o.end - o.start for o in outcomes]
    assert watcher["event_age_s"]["count"] == len(ages)
    assert watcher["event_age_s"]["mean"] == pytest.approx(sum(ages) / len(ages), rel=1e-9)
    assert watcher["event_age_s"]["max"] == pytest.approx(max(ages))
    assert abs(watcher["event_age_s"]["p99"] - exact_quantile(ages, 0.99)) <= 0.005 * exact_quantile(ages, 0.99)
