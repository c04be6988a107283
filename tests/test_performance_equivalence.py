"""The engine's performance devices change nothing a run produces.

Constant-delay schedules (throttle backoffs, function-error retries) wait in lanes with only the next one due on
SimPy's event queue (``lambdasim.core.engine._Lane``); here the same seeded runs, with every lane replaced by pushing
each event straight onto the queue, must give the same trace, entry by entry, and the same results.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import pytest
from simpy.events import NORMAL

import lambdasim as ls
from lambdasim import dist
from lambdasim.core.backlog import BACKOFF
from lambdasim.core.engine import Engine
from lambdasim.core.faults import Outage
from lambdasim.core.rules import ThrottleReason
from lambdasim.workload import Burst, Poisson


class DirectLane:
    """A lane that is no lane: every event goes straight onto SimPy's queue, as without lanes."""

    def __init__(self, engine: Engine, priority: int) -> None:
        self._queue = engine._queue
        self.priority = priority
        self.poll_step = (engine._poll,)
        self.reader_step = (engine._to_reader,)
        self.retry_step = (engine._retry,)

    def add(self, ev: Any, due: float, order: int) -> bool:
        heappush(self._queue, (due, self.priority, order, ev))
        return True


class DirectLanes(dict[float, Any]):
    def __init__(self, engine: Engine, priority: int) -> None:
        super().__init__()
        self._engine = engine
        self._priority = priority

    def get(self, delay: float, default: Any = None) -> DirectLane:  # type: ignore[override]
        return DirectLane(self._engine, self._priority)


def storm(*, direct: bool, settings: ls.Settings) -> ls.Results:
    """Twice the reserved concurrency for two minutes, with bursts, function errors and retries."""
    sim = ls.Simulation(seed=11, trace=True, settings=settings)
    if direct:  # function-error retries and backoffs (with a trace, every throttled try is one)
        sim.engine._lanes = DirectLanes(sim.engine, NORMAL)
        sim.engine._backoff_lanes = DirectLanes(sim.engine, BACKOFF)
    lam = sim.client("lambda")
    behaviour = ls.Behaviour(duration=dist.Exponential(0.5), error_rate=0.3)
    lam.create_function(FunctionName="f", Handler=behaviour, Timeout=10)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=900)
    Poisson(function="f", rate_per_s=20.0, stop_s=120.0).attach(sim)
    Burst(function="f", at_s=30.0, count=200, over_s=1.0).attach(sim)
    return sim.run()


@pytest.mark.parametrize(
    "settings",
    [ls.Settings(), ls.Settings(dispatch_latency_s=0.035, poller_read_rate_per_s=50.0)],
    ids=["defaults", "dispatch-latency-and-read-rate"],
)
def test_lanes_give_exactly_the_run_without_them(settings: ls.Settings) -> None:
    laned = storm(direct=False, settings=settings)
    direct = storm(direct=True, settings=settings)
    f = laned.functions["f"]
    assert f["throttles"] > 1_000 and f["errors"] > 100  # the lanes were busy
    assert laned.trace == direct.trace
    assert laned.to_dict() == direct.to_dict()


def mixed_storm(*, fast: bool, trace: bool, outage: bool) -> ls.Results:
    """Throttling storms of every kind, with the changes a throttled event may meet while it backs off.

    ``f`` (reserved 5) has function errors, a short maximum age and, with ``outage``, service errors (which turn
    the fast path off for the whole account); ``u`` shares an account of 130 (100 unreserved) with a burst that
    takes all of it (account throttles, and a scaling rate); ``p`` has provisioned concurrency on its alias and
    spills over; ``z`` loses its reserved concurrency (set to 0) and ``d`` is deleted while their events back off.
    """
    sim = ls.Simulation(
        seed=5, trace=trace, concurrency_limit=130, settings=ls.Settings(scaling_environments=60, scaling_period_s=1.0)
    )
    sim.engine._fast_throttles = fast
    lam = sim.client("lambda")
    behaviour = ls.Behaviour(duration=dist.Exponential(0.5), error_rate=0.3)
    for name in ("f", "z", "d"):
        lam.create_function(FunctionName=name, Handler=behaviour, Timeout=10)
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=200)
    if outage:
        Outage(start_s=40.0, end_s=60.0, probability=0.5, function="f").attach(sim)
    lam.create_function(FunctionName="u", Duration=5.0, Timeout=10)
    lam.create_function(FunctionName="p", Duration=2.0, Timeout=10)
    lam.publish_version(FunctionName="p")
    lam.create_alias(FunctionName="p", Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName="p", ReservedConcurrentExecutions=15)
    lam.put_provisioned_concurrency_config(FunctionName="p", Qualifier="live", ProvisionedConcurrentExecutions=5)
    for name in ("f", "z", "d"):
        Poisson(function=name, rate_per_s=20.0, stop_s=120.0).attach(sim)
    Burst(function="u", at_s=30.0, count=400, over_s=1.0).attach(sim)
    env = sim.engine.env

    def invoke_alias() -> Any:  # 25/s on the alias with provisioned concurrency
        for _ in range(3_000):
            lam.invoke(FunctionName="p", Qualifier="live", InvocationType="Event", Payload=b"{}")
            yield env.timeout(0.04)

    env.process(invoke_alias())
    simpy_timeout = type(env.timeout(0))
    simpy_timeout(env, 70.0).callbacks.append(
        lambda _e: lam.put_function_concurrency(FunctionName="z", ReservedConcurrentExecutions=0)
    )
    simpy_timeout(env, 80.0).callbacks.append(lambda _e: lam.delete_function(FunctionName="d"))
    return sim.run()


@pytest.mark.parametrize("outage", [False, True], ids=["fast", "outage"])
def test_the_fast_path_of_throttled_tries_gives_exactly_the_general_one(outage: bool) -> None:
    """Parked throttles (``lambdasim.core.backlog``, taken when no trace or other optional feature is on) against every
    try stepped through ``Engine._poll``."""
    fast = mixed_storm(fast=True, trace=False, outage=outage)
    general = mixed_storm(fast=False, trace=False, outage=outage)
    figures = fast.functions
    reserved, account, scaling = (
        r.value for r in (ThrottleReason.RESERVED, ThrottleReason.ACCOUNT, ThrottleReason.SCALING)
    )
    assert figures["f"]["throttles_by_reason"][reserved] > 1_000
    assert (figures["f"]["service_errors"] > 10) is outage
    assert figures["u"]["throttles_by_reason"][account] > 100 and figures["u"]["throttles_by_reason"][scaling] > 0
    assert figures["p"]["throttles"] > 1_000
    assert figures["p"]["provisioned"]["invocations"] > 100 and figures["p"]["provisioned"]["spillover_invocations"] > 0
    assert figures["f"]["outcomes"]["EventAgeExceeded"] > 0
    assert figures["z"]["outcomes"]["ZeroReservedConcurrency"] > 0
    assert fast.to_dict() == general.to_dict()
    # With a trace, the run takes the general path; forced onto the fast one, it leaves out the trace entries of
    # the throttled tries it handles (its one difference): the attempts and outcomes come at the same times, in
    # the same order. Without an outage, those after the first of each event take it.
    traced = mixed_storm(fast=False, trace=True, outage=outage)
    forced = mixed_storm(fast=True, trace=True, outage=outage)
    assert traced.to_dict() == fast.to_dict()
    assert traced.trace is not None and forced.trace is not None
    throttled = sum(entry.kind == "Throttled" for entry in traced.trace)
    left = sum(entry.kind == "Throttled" for entry in forced.trace)
    assert left == throttled if outage else throttled - left > 10_000
    kept = [entry for entry in forced.trace if entry.kind != "Throttled"]
    assert len(kept) > 10_000 and kept == [entry for entry in traced.trace if entry.kind != "Throttled"]
