"""A workload's ``Event`` arrival polls its event in its own step when the poll would be the very next step
(``Engine.holding``, ``Engine.poll_held``): exactly the run of stepping the poll, entry by entry.

The runs below are made twice, with the device and without it (every poll its own step on SimPy's queue), and
must agree on every trace entry, outcome and figure. They include exact ties, where the order of queue entries
decides: constant durations that end exactly when the next arrival comes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
import lambdasim.planning.workload as workload_module
from lambdasim import dist
from lambdasim.workload import Burst, Poisson, Replay, Schedule


class Collect:
    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def run(case: str) -> tuple[str, list[Any], list[ls.Outcome], int]:
    settings = ls.Settings(duplicate_probability=0.1) if case == "duplicates" else ls.Settings()
    sim = ls.Simulation(seed=3, trace=case != "storm", settings=settings)
    lam = sim.client("lambda")
    duration: Any = 1.0 if case in ("ties", "duplicates") else dist.Exponential(0.8)
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=duration, error_rate=0.1), Timeout=5)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    if case in ("ties", "duplicates"):
        # Arrivals every 0.5 s and attempts of exactly 1 s: an attempt ends exactly when an event arrives.
        Replay(function="f", times_s=[0.5 * i for i in range(400)]).attach(sim)
        Schedule(function="f", expression="rate(1 minute)", stop_s=200.0).attach(sim)
    else:
        Poisson(function="f", rate_per_s=6.0 if case == "storm" else 2.0, stop_s=120.0).attach(sim)
        Burst(function="f", at_s=30.0, count=50, over_s=1.0).attach(sim)
    sink = Collect()
    sim.add_sink(sink)
    held = [0]
    poll_held = sim.engine.poll_held

    def counting() -> None:
        held[0] += 1
        poll_held()

    sim.engine.poll_held = counting  # type: ignore[method-assign]
    results = sim.run()
    return json.dumps(results.to_dict(), sort_keys=True), results.trace or [], sink.outcomes, held[0]


@pytest.mark.parametrize("case", ["ties", "duplicates", "poisson", "storm"])
def test_polls_made_in_the_arrival_step_give_exactly_the_stepped_run(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = run(case)
    # Without the device: no arrival knows its engine, so every poll is its own step.
    original = workload_module._Arrivals.__init__

    def without(self: Any, env: Any, engine: Any = None) -> None:
        original(self, env, None)

    monkeypatch.setattr(workload_module._Arrivals, "__init__", without)
    stepped = run(case)
    assert stepped[3] == 0 and fast[3] > 100  # the device was off, then on for many events
    assert fast[1] == stepped[1]  # the trace, entry by entry
    assert fast[2] == stepped[2]
    assert fast[0] == stepped[0]
    if case != "storm":
        assert any(entry.kind == "Throttled" for entry in fast[1])
