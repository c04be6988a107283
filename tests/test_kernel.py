"""The contract between lambdasim and SimPy's internals (lambdasim.core._kernel): if a SimPy release changes what
the kernel relies on, these fail loudly, naming the fact that broke."""

from __future__ import annotations

import ast
import heapq
import inspect
import itertools
import textwrap
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL

import lambdasim
from lambdasim.core._kernel import Kernel, QueueItem, timeout_delay


def _code_only(source: str) -> str:
    """The source without its docstring, comments and blank lines."""
    text = textwrap.dedent(source)
    start = text.find('"""')
    if start != -1:
        text = text[:start] + text[text.find('"""', start + 3) + 3 :]
    lines = [line.split("#", 1)[0].rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def test_simpys_step_is_the_one_the_kernel_copies() -> None:
    """Fact 3: Kernel.step is SimPy 4.1's Environment.step plus ``now``. A SimPy whose step differs must be re-read."""
    simpy_step = _code_only(inspect.getsource(simpy.Environment.step))
    assert simpy_step == _EXPECTED_STEP, (
        f"SimPy {simpy.__version__} changed Environment.step; re-check lambdasim.core._kernel.Kernel.step against "
        f"it:\n{simpy_step}"
    )


_EXPECTED_STEP = """def step(self) -> None:
    try:
        self._now, _, _, event = heappop(self._queue)
    except IndexError:
        raise EmptySchedule from None
    callbacks, event.callbacks = event.callbacks, None
    try:
        for callback in callbacks:
            callback(event)
    except StopSimulation:
        event.callbacks = callbacks[callbacks.index(callback) + 1 :]
        self.schedule(event, EventPriority(-1))
        raise
    if not event._ok and not hasattr(event, '_defused'):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc"""


def test_queue_entries_are_time_priority_id_event() -> None:
    """Facts 1 and 2: the queue is a heap of (time, priority, id, event); ids come from an itertools.count."""
    env = simpy.Environment()
    assert isinstance(env._queue, list)
    assert isinstance(env._eid, itertools.count)
    timeout = env.timeout(5)
    urgent = env.event()
    urgent.succeed()
    assert len(env._queue) == 2
    first, second = sorted(env._queue)
    assert first[0] == 0 and first[1] == NORMAL and first[3] is urgent
    assert second[0] == 5 and second[1] == NORMAL and second[3] is timeout
    assert first[2] == second[2] + 1  # scheduling order
    assert env._now == 0


def test_timeouts_keep_their_delay() -> None:
    """Fact 4."""
    env = Kernel()
    assert timeout_delay(env.timeout(2.5)) == 2.5


def _trace(make_env: Callable[[], simpy.Environment]) -> list[tuple[float, str]]:
    """A scenario exercising what step does: timeouts, processes, same-time ties, a defused failure, a run stopped
    in the middle of an event's callbacks and resumed, queue items standing in for events."""
    env = make_env()
    seen: list[tuple[float, str]] = []

    def proc(name: str, delays: list[float]) -> Generator[simpy.Event, Any, None]:
        for d in delays:
            yield env.timeout(d)
            seen.append((env.now, name))

    env.process(proc("a", [1, 1, 0, 2]))
    env.process(proc("b", [2, 0, 1]))
    failed = env.event()
    failed.fail(ValueError("x"))
    failed.defused = True
    ev = env.timeout(3)
    for i in range(3):
        ev.callbacks.append(lambda _e, i=i: seen.append((env.now, f"cb{i}")))

    class Item(QueueItem):
        __slots__ = ("callbacks",)

    item = Item()
    item.callbacks = (lambda _i: seen.append((env.now, "item")),)
    env._queue.append((2.0, NORMAL, next(env._eid), item))
    heapq.heapify(env._queue)
    env.run(until=3)  # stops before the events at 3
    seen.append((env.now, "stop"))
    env.run()
    seen.append((env.now, "end"))
    return seen


def test_the_kernel_steps_as_simpy_does() -> None:
    assert _trace(Kernel) == _trace(simpy.Environment)


def test_now_is_a_plain_attribute_kept_with_simpys_clock() -> None:
    env = Kernel(initial_time=10.0)
    assert env.now == 10.0 and env._now == 10.0
    env.timeout(2.5)
    env.run()
    assert env.now == env._now == 12.5
    assert "now" in vars(env)  # an attribute, no property call
    assert env.queue is env._queue and env.eids is env._eid


def test_an_undefused_failure_crashes_the_run_as_in_simpy() -> None:
    for make in (Kernel, simpy.Environment):
        env = make()
        env.event().fail(KeyError("k"))
        with pytest.raises(KeyError):
            env.run()


def test_an_undefused_failure_crashes_a_run_to_a_time_as_in_simpy() -> None:
    """run(until=t) (Kernel.run_to) crashes as run() does."""
    for make in (Kernel, simpy.Environment):
        env = make()
        failing = env.event()
        env.timeout(1).callbacks.append(lambda _e, failing=failing: failing.fail(KeyError("k")))
        with pytest.raises(KeyError):
            env.run(until=2)
        assert env.now == 1


def _stopped_runs(make_env: Callable[[], simpy.Environment]) -> tuple[Any, ...]:
    env = make_env()
    seen: list[tuple[float, str]] = []
    ev = env.timeout(1, value="v")
    # SimPy's stop callback left on an event (by a run(until=event) cut short), before another callback.
    ev.callbacks.append(StopSimulation.callback)
    ev.callbacks.append(lambda _e: seen.append((env.now, "after stop")))
    env.timeout(2).callbacks.append(lambda _e: seen.append((env.now, "later")))
    first = env.run()
    seen.append((env.now, "stopped"))
    second = env.run()
    return first, second, seen, env.now


def test_a_stop_callback_left_on_an_event_ends_a_run_as_in_simpy() -> None:
    """run() (the kernel's own loop, its step inline) stops at SimPy's stop callback with the event's value as
    SimPy's run does, and the next run goes on with that event's remaining callbacks."""
    assert _stopped_runs(Kernel) == _stopped_runs(simpy.Environment)
    first, second, seen, now = _stopped_runs(Kernel)
    assert (first, second, now) == ("v", None, 2.0)
    assert seen == [(1.0, "stopped"), (1.0, "after stop"), (2.0, "later")]


def test_push_and_remove_an_entry_at_an_exact_time() -> None:
    env = Kernel()
    hits: list[float] = []

    class Item(QueueItem):
        __slots__ = ("callbacks",)

        def __init__(self) -> None:
            self.callbacks = (lambda _i: hits.append(env.now),)

    keep = env.push(0.1 + 0.2, Item())
    gone = env.push(1.0, Item())
    env.remove(gone)
    env.run()
    assert hits == [0.1 + 0.2]
    assert keep[0] == 0.1 + 0.2  # the time given, not now + a delay
    assert not (Item() < Item())  # ties between stand-ins never raise


PRIVATE = {"_queue", "_eid", "_now", "_delay", "_ok", "_value", "_active_proc"}


def _env_expression(node: ast.expr) -> bool:
    """``env``, ``self.env``, ``sim.env``, ``self._env``...: an expression naming a SimPy environment."""
    if isinstance(node, ast.Name):
        return node.id in {"env", "_env", "environment"}
    return isinstance(node, ast.Attribute) and node.attr in {"env", "_env"}


def test_only_the_kernel_touches_simpys_internals() -> None:
    package = Path(lambdasim.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "_kernel.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE and _env_expression(node.value):
                offenders.append(f"{path.relative_to(package)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr == "_delay":
                offenders.append(f"{path.relative_to(package)}:{node.lineno} ._delay")
    assert offenders == []
