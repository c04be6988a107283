"""The shortcuts of the hot path (issue 13) give exactly what the general code gives.

Each shortcut takes the common case through fewer steps: a flat event copied with ``dict.copy``, request ids written
with their constant middle group, an ``async def`` attempt that waits on SimPy's queue itself instead of a
``Timeout``, deferred results that make their empty queue figures only when read. Whole runs are compared bit for
bit in ``tests/test_run_until.py``, ``tests/test_held_polls.py`` and ``tests/test_performance_equivalence.py``; these
pin each shortcut against the general rule at its edges.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.core.handler import fresh


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"d": 0.5},
        {"a": 1, "b": "x", "c": None, "d": True, "e": 2.5},
        [1, "two", None, 3.0],
        {"a": {"b": [1, {"c": 2}]}, "z": 1},
        [{"a": 1}, [2, [3]]],
        {"t": (1, 2)},
    ],
)
def test_fresh_copies_flat_and_nested_events_alike(event: Any) -> None:
    copy = fresh(event)
    assert copy == json.loads(json.dumps(event))
    assert list(copy) == list(json.loads(json.dumps(event)))  # the same keys (or items) in the same order
    assert copy is not event

    def containers(value: Any) -> list[int]:
        if isinstance(value, dict):
            return [id(value), *(i for v in value.values() for i in containers(v))]
        if isinstance(value, (list, tuple)):
            return [id(value), *(i for v in value for i in containers(v))]
        return []

    assert not set(containers(copy)) & set(containers(event))  # nothing shared: a handler may change its copy


def test_a_flat_copy_changed_by_a_handler_leaves_the_next_attempt_its_own_event() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        seen.append(dict(event))
        event["n"] = event.get("n", 0) + 1  # changes only this attempt's copy
        raise RuntimeError("again")

    lam.create_function(FunctionName="f", Handler=handler, Timeout=3)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=2)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"k": 1}')
    sim.run()
    assert seen == [{"k": 1}] * 3


@pytest.mark.parametrize("seq", [0, 1, 255, (1 << 47) + 5, (1 << 48) - 1, 1 << 48, (1 << 60) + 7])
def test_request_ids_are_written_as_the_general_rule_writes_them(seq: int) -> None:
    engine = ls.Simulation(seed=4).engine
    prefix = engine._rid_prefix
    expected = f"{prefix}-{(seq >> 48) & 0xFFFF | 0x8000:04x}-{seq & 0xFFFF_FFFF_FFFF:012x}"
    engine._rid_seq = -1  # not the one remembered
    assert engine.request_id(seq) == expected
    assert engine.request_id(seq) == expected  # and remembered


def test_deferred_results_have_empty_queue_figures_of_their_own() -> None:
    sim = ls.Simulation(seed=2)
    first = sim.run(until=1.0)
    second = sim.run(until=2.0)
    assert first.queues == {} and first.event_source_mappings == {}
    assert first.queues is first.queues and first.queues is not second.queues
    first.queues["x"] = {}  # a caller's change stays in its own results
    assert second.queues == {} and sim.results().queues == {}
    assert json.loads(json.dumps(first.to_dict()))["queues"] == {"x": {}}


def test_sleeps_of_an_async_handler_end_at_their_times_and_a_sleep_past_the_timeout_times_out() -> None:
    sim = ls.Simulation(seed=3, trace=True)
    lam = sim.client("lambda")
    ends: list[float] = []

    async def handler(event: dict[str, Any], context: Any) -> str:
        for d in event["sleeps"]:
            await context.sleep(d)
            ends.append(sim.now)
        return "done"

    lam.create_function(FunctionName="f", Handler=handler, Timeout=5)
    out = lam.invoke(FunctionName="f", Payload=json.dumps({"sleeps": [0.5, 0.25, 1]}).encode())
    assert json.loads(out["Payload"].read()) == "done"
    assert ends[1] == ends[0] + 0.25 and ends[2] == ends[1] + 1  # each sleep ends at now + its length, exactly
    timed_out = lam.invoke(FunctionName="f", Payload=json.dumps({"sleeps": [1, 10]}).encode())
    body = json.loads(timed_out["Payload"].read())
    assert timed_out["FunctionError"] == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert len(ends) == 4  # the second sleep never ended: the attempt ended at its deadline
