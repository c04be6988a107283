"""The engine's performance devices change nothing a run produces.

Constant-delay schedules (throttle backoffs, function-error retries) wait in lanes with only the next one due on
SimPy's event queue (``lambdasim.engine._Lane``); here the same seeded runs, with every lane replaced by pushing
each event straight onto the queue, must give the same trace, entry by entry, and the same results.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.engine import Engine
from lambdasim.workload import Burst, Poisson


class DirectLane:
    """A lane that is no lane: every event goes straight onto SimPy's queue, as without lanes."""

    def __init__(self, engine: Engine) -> None:
        self._queue = engine._queue
        self.poll_step = (engine._poll,)
        self.reader_step = (engine._to_reader,)
        self.retry_step = (engine._retry,)

    def add(self, entry: tuple[float, int, int, Any]) -> None:
        heappush(self._queue, entry)


class DirectLanes(dict[float, Any]):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def get(self, delay: float, default: Any = None) -> DirectLane:  # type: ignore[override]
        return DirectLane(self._engine)


def storm(*, direct: bool, settings: ls.Settings) -> ls.Results:
    """Twice the reserved concurrency for two minutes, with bursts, function errors and retries."""
    sim = ls.Simulation(seed=11, trace=True, settings=settings)
    if direct:
        sim.engine._lanes = DirectLanes(sim.engine)
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
