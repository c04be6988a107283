"""``Kernel.run`` (lambdasim.core._kernel), where lambdasim reaches past SimPy's public API, pinned against SimPy.

``Kernel.run(until=t)`` must process exactly the events SimPy's ``Environment.run(until=t)`` processes, in the same
order, leave the clock at the same time and the same event ids for what comes after; ``run_until_processed``
must stop where ``run(until=event)`` stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import simpy
from simpy.events import URGENT, Event

from lambdasim.core._kernel import Kernel as Clock


def scenario(env: simpy.Environment, log: list[tuple[float, str]], rng: np.random.Generator) -> None:
    """Timeouts at random and at whole times (ties), URGENT events at whole times, processes that wait."""

    def note(name: str) -> Callable[[Any], None]:
        return lambda _e: log.append((env.now, name))

    for i in range(60):
        delay = float(rng.integers(0, 8)) if i % 3 == 0 else float(rng.exponential(2.0))
        env.timeout(delay).callbacks.append(note(f"t{i}"))

    def urgent_at(t: float, name: str) -> Any:
        yield env.timeout(t)
        ev = Event(env)
        ev._ok = True
        ev._value = None
        env.schedule(ev, URGENT, 0)  # an URGENT event exactly at a whole time: before a stop at that time
        ev.callbacks.append(note(name))

    def worker(k: int) -> Any:
        for _ in range(5):
            yield env.timeout(float(rng.integers(1, 4)) / 2)
            log.append((env.now, f"w{k}"))
            next_id = env._eid  # type: ignore[attr-defined]
            log.append((env.now, f"id-after-{k}:{next(next_id)}"))  # event ids must match too

    for k in range(4):
        env.process(worker(k))
    for t in (2.0, 3.0, 5.0):
        env.process(urgent_at(t, f"u{t}"))


@pytest.mark.parametrize("stops", [[2.0, 3.0, 5.0, 7.5, 12.0], [0.3, 0.7, 1.0, 2.0, 2.5, 3.0, 4.0, 9.99, 30.0]])
def test_run_until_a_number_processes_what_simpy_processes(stops: list[float]) -> None:
    logs = []
    for make in (simpy.Environment, Clock):
        env = make()
        log: list[tuple[float, str]] = []
        scenario(env, log, np.random.default_rng(4))
        nows = []
        for t in stops:
            env.run(until=t)
            nows.append(env.now)
            log.append((env.now, "stop"))
        env.run()
        logs.append((log, nows))
    assert logs[0] == logs[1]
    assert logs[1][1] == stops


def test_run_until_refuses_times_not_after_now_as_simpy_does() -> None:
    for make in (simpy.Environment, Clock):
        env = make()
        env.run(until=1.0)
        with pytest.raises(ValueError, match=r"until \(1.0\) must be greater than the current simulation time"):
            env.run(until=1.0)


def test_run_until_processed_stops_where_run_until_the_event_stops() -> None:
    logs = []
    for make in (simpy.Environment, Clock):
        env = make()
        log: list[tuple[float, str]] = []
        scenario(env, log, np.random.default_rng(8))
        done = env.event()
        env.timeout(3.0).callbacks.append(lambda _e, done=done: done.succeed("x"))
        env.timeout(3.0).callbacks.append(lambda _e, log=log: log.append((3.0, "same time, after")))
        if isinstance(env, Clock):
            env.run_until_processed(done)
        else:
            env.run(until=done)
        log.append((env.now, "stopped"))
        env.run()
        logs.append(log)
    assert logs[0] == logs[1]


def test_run_until_processed_with_nothing_left_raises_as_simpy_does() -> None:
    env = Clock()
    never = env.event()
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        env.run_until_processed(never)


def test_the_hook_runs_before_the_clock_moves() -> None:
    env = Clock()
    seen: list[float] = []
    env.before_run = lambda: seen.append(env.now)
    env.timeout(1.0)
    env.run(until=0.5)
    env.run_until_processed(env.timeout(0.1))
    env.run()
    assert seen == [0.0, 0.5, 0.6]
