"""The asynchronous queue under load (spec 2): the optional poller read rate and backlog factor, against exact
timings and queueing theory."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.workload import Burst, Poisson
from tests.helpers import attempts, throttles


def burst(count: int, duration: float, reserved: int | None = None, **settings: float) -> ls.Results:
    sim = ls.Simulation(seed=1, trace=True, settings=ls.Settings(**settings))  # type: ignore[arg-type]
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=duration, Timeout=900)
    if reserved is not None:
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=reserved)
    Burst(function="f", at_s=0.0, count=count).attach(sim)
    return sim.run(until=5000)


def test_the_poller_read_rate_spaces_first_attempts() -> None:
    res = burst(10, 1.0, poller_read_rate_per_s=2.0)
    assert sorted(a[0] for a in attempts(res)) == [i * 0.5 for i in range(10)]


def test_without_a_read_rate_the_queue_is_read_at_once() -> None:
    res = burst(10, 1.0)
    assert sorted(a[0] for a in attempts(res)) == [0.0] * 10


def test_the_read_rate_applies_to_retries_too() -> None:
    """Two events, read at 0 and 1 s, fail at 2 s each; their retries come due together at 62 s and are read 1 s
    apart."""
    sim = ls.Simulation(seed=1, trace=True, settings=ls.Settings(poller_read_rate_per_s=1.0))
    lam = sim.client("lambda")
    failed: set[int] = set()

    async def flaky(event: dict[str, int], context: Any) -> None:
        if event["n"] not in failed:
            failed.add(event["n"])
            await context.sleep(2.0 - event["n"])
            raise RuntimeError("first try")

    lam.create_function(FunctionName="f", Handler=flaky)
    for n in range(2):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=f'{{"n": {n}}}'.encode())
    res = sim.run()
    assert sorted(a[0] for a in attempts(res)) == [0.0, 1.0, 62.0, 63.0]


def test_the_backlog_factor_stretches_the_throttle_backoff_with_the_queue_depth() -> None:
    """One slot, held for 100 s; 1000 events wait behind it, all polled first at 0.5 s (dispatch latency). With
    factor 1 the 1000 queued events double each backoff: tries at 0.5, 2.5, 6.5, 14.5 s instead of 0.5, 1.5, 3.5."""
    plain = Counter(throttles(burst(1001, 100.0, reserved=1, dispatch_latency_s=0.5)))
    assert [plain[t] for t in (0.5, 1.5, 3.5, 7.5)] == [1000, 1000, 1000, 1000]
    backed_up = Counter(throttles(burst(1001, 100.0, reserved=1, dispatch_latency_s=0.5, backlog_backoff_factor=1.0)))
    assert [backed_up[t] for t in (0.5, 2.5, 6.5, 14.5)] == [1000, 1000, 1000, 1000]
    assert backed_up[1.5] == backed_up[3.5] == 0


def md1_run(seed: int, rate: float, read_rate: float, horizon: float) -> tuple[float, float]:
    sim = ls.Simulation(seed=seed, settings=ls.Settings(poller_read_rate_per_s=read_rate))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=dist.Exponential(0.2)), Timeout=60)
    Poisson(function="f", rate_per_s=rate, stop_s=horizon).attach(sim)
    f = sim.run(until=horizon).functions["f"]
    return f["event_age_by_attempt_s"][0]["mean"], f["queue_depth"]["mean"]


def test_a_read_rate_makes_the_queue_an_md1_queue() -> None:
    """Poisson arrivals (lam = 1/s) read one at a time at most every 1/r = 0.5 s: an M/D/1 queue, rho = 0.5.

    Pollaczek-Khinchine: the waiting time Wq = rho / (2 r (1 - rho)) = 0.25 s is the event age at the first attempt;
    an event leaves the queue when it is read, so the time-averaged queue depth is lam * Wq (Little's law).
    """
    rate, read_rate = 1.0, 2.0
    rho = rate / read_rate
    wq = rho / (2 * read_rate * (1 - rho))
    runs = np.array([md1_run(seed, rate, read_rate, 20_000.0) for seed in range(6)])
    for column, expected in ((0, wq), (1, rate * wq)):
        values = runs[:, column]
        half = 4.03 * values.std(ddof=1) / math.sqrt(len(values))  # t(0.9995, 5)
        assert abs(values.mean() - expected) < half, (column, values.mean(), expected, half)
        assert half < 0.06 * expected


def test_an_overloaded_reader_builds_a_backlog_at_the_rate_difference() -> None:
    sim = ls.Simulation(seed=4, settings=ls.Settings(poller_read_rate_per_s=2.0))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=0.1)
    Poisson(function="f", rate_per_s=5.0, stop_s=1000.0).attach(sim)
    f = sim.run(until=1000.0).functions["f"]
    assert f["attempts"] == pytest.approx(2000, abs=2)
    assert f["queue_depth"]["final"] == pytest.approx(3000, abs=4 * math.sqrt(5000))
