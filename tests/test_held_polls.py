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
from lambdasim.core.async_attempt import AsyncAttempt
from lambdasim.core.engine import Engine
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
    # Polls made in the arrival's own step: held ones (poll_held), and those Engine.arrive makes inline (an attempt
    # it starts itself, warm or cold, outside its general step _arrive_stepped).
    held = [0]
    engine = sim.engine
    inside = {"arrive": False, "stepped": False}
    poll_held, arrive, stepped = engine.poll_held, engine.arrive, engine._arrive_stepped
    start_behaviour, run_attempt = engine._start_behaviour, engine._run_attempt

    def counting() -> None:
        held[0] += 1
        poll_held()

    def within(flag: str, call: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            inside[flag] = True
            try:
                return call(*args)
            finally:
                inside[flag] = False

        return wrapped

    def started(call: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            if inside["arrive"] and not inside["stepped"]:
                held[0] += 1
            return call(*args)

        return wrapped

    engine.poll_held = counting  # type: ignore[method-assign]
    engine.arrive = within("arrive", arrive)  # type: ignore[method-assign]
    engine._arrive_stepped = within("stepped", stepped)  # type: ignore[method-assign]
    engine._start_behaviour = started(start_behaviour)  # type: ignore[method-assign]
    engine._run_attempt = started(run_attempt)  # type: ignore[method-assign]
    if case in ("ties", "duplicates"):
        # Arrivals every 0.5 s and attempts of exactly 1 s: an attempt ends exactly when an event arrives.
        Replay(function="f", times_s=[0.5 * i for i in range(400)]).attach(sim)
        Schedule(function="f", expression="rate(1 minute)", stop_s=200.0).attach(sim)
    else:
        Poisson(function="f", rate_per_s=6.0 if case == "storm" else 2.0, stop_s=120.0).attach(sim)
        Burst(function="f", at_s=30.0, count=50, over_s=1.0).attach(sim)
    sink = Collect()
    sim.add_sink(sink)
    results = sim.run()
    return json.dumps(results.to_dict(), sort_keys=True), results.trace or [], sink.outcomes, held[0]


@pytest.mark.parametrize("case", ["ties", "duplicates", "poisson", "storm"])
def test_polls_made_in_the_arrival_step_give_exactly_the_stepped_run(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = run(case)
    # Without the device: no arrival knows its engine (nor has its step in the engine), so every poll is its own
    # step.
    original = workload_module._Arrivals.__init__

    def without(self: Any, env: Any, engine: Any = None, start: Any = None) -> None:
        original(self, env, None, None)

    monkeypatch.setattr(workload_module._Arrivals, "__init__", without)
    stepped = run(case)
    # The device was off, then on for many events (in the storm, most arrivals are parked at once instead).
    assert stepped[3] == 0 and fast[3] > (10 if case == "storm" else 100)
    assert fast[1] == stepped[1]  # the trace, entry by entry
    assert fast[2] == stepped[2]
    assert fast[0] == stepped[0]
    if case != "storm":
        assert any(entry.kind == "Throttled" for entry in fast[1])


def async_run(enter_at_once: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[Any], list[ls.Outcome]]:
    """``async def`` handlers invoked from top-level code and by a workload, sleeping whole seconds (ties)."""
    monkeypatch.setattr(Engine, "enters_at_once", enter_at_once)
    sim = ls.Simulation(seed=6, trace=True)
    lam = sim.client("lambda")

    async def handler(event: dict[str, Any], context: Any) -> Any:
        await context.sleep(event.get("d", 1.0))
        if event.get("fan"):
            await context.invoke(FunctionName="g", InvocationType="Event", Payload=b'{"d": 1.0}')
            await context.sleep(0.5)
        return {"rid": context.aws_request_id}

    lam.create_function(FunctionName="f", Handler=handler, Timeout=3)
    lam.create_function(FunctionName="g", Handler=handler, Timeout=3)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    Replay(function="g", times_s=[0.5 * i for i in range(100)]).attach(sim)
    sink = Collect()
    sim.add_sink(sink)
    for i in range(120):
        sim.run(until=0.5 * i)
        payload = json.dumps({"d": float(i % 3), "fan": i % 4 == 0}).encode()
        for _ in range(2 if i % 5 == 0 else 1):  # two at one instant: the second's poll comes before the first's entry
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=payload)
    results = sim.run()
    return json.dumps(results.to_dict(), sort_keys=True), results.trace or [], sink.outcomes


def test_async_attempts_entered_at_once_give_exactly_the_stepped_run(monkeypatch: pytest.MonkeyPatch) -> None:
    entered: list[int] = []
    enter = AsyncAttempt.enter

    def counting(self: Any, event: Any = None) -> None:
        if event is None:  # entered at once (from the poll's step), not by its Timeout
            entered.append(1)
        enter(self, event)

    monkeypatch.setattr(AsyncAttempt, "enter", counting)
    fast = async_run(True, monkeypatch)
    stepped = async_run(False, monkeypatch)
    assert len(entered) > 20  # attempts were entered at once (warm ones: a cold start has an init phase)
    assert fast[1] == stepped[1]
    assert fast[2] == stepped[2]
    assert fast[0] == stepped[0]
    assert any(entry.kind == "Throttled" for entry in fast[1])
