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
from lambdasim.core.engine import Engine
from lambdasim.core.handler import fresh
from lambdasim.core.metrics import HISTOGRAM_BUFFER
from lambdasim.model import Function, Model
from lambdasim.workload import Poisson, Replay


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


def test_an_accepted_event_answers_with_the_request_id_of_the_general_rule() -> None:
    """Engine.accept writes the request id itself (request_id's common case, inline): the invoke's answer and the
    handler's context carry the id the general rule writes."""
    sim = ls.Simulation(seed=4)
    lam = sim.client("lambda")
    seen: list[str] = []
    lam.create_function(FunctionName="f", Handler=lambda _event, context: seen.append(context.aws_request_id))
    answers = [lam.invoke(FunctionName="f", InvocationType="Event")["ResponseMetadata"]["RequestId"] for _ in range(3)]
    sim.run()
    engine = sim.engine
    prefix = engine._rid_prefix
    expected = [f"{prefix}-8000-{seq:012x}" for seq in range(engine._seq - 2, engine._seq + 1)]
    assert answers == expected
    assert seen == expected


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


# -- an attempt's start and end inline (Engine.inline) -------------------------------------------------------------


def _run_both(monkeypatch: pytest.MonkeyPatch, run: Any) -> list[Any]:
    """``run()`` with the hot path's inline start and end of attempts, and through the general methods."""
    outputs = []
    for inline in (True, False):
        monkeypatch.setattr(Engine, "inline", inline)
        outputs.append(json.loads(json.dumps(run(), sort_keys=True, default=str)))
    assert outputs[0] == outputs[1]
    return outputs


def _model_run(
    functions: list[Function], workloads: list[Any], settings: ls.Settings | None = None, **model: Any
) -> Any:
    kw = {} if settings is None else {"settings": settings}
    sim = Model(functions=functions, workloads=workloads, **kw, **model).build(seed=11)
    half = sim.run(until=200.0).to_dict()  # read mid-run too: the metrics of a period still open
    sim.run(until=299.0)
    for fs in sim.engine.functions.values():  # samples are folded as they come, not kept until read (nor run's end)
        for samples in (*fs.metrics.duration.values(), *fs.metrics.event_age.values()):
            assert len(samples.pending) < HISTOGRAM_BUFFER
    return [half, sim.run().to_dict()]


@pytest.mark.filterwarnings("ignore::lambdasim.planning.model.TimeoutTruncationWarning")  # timeouts wanted
@pytest.mark.parametrize("reserved", [5, None])
def test_inline_attempts_match_the_general_path_with_errors_timeouts_cold_starts_and_period_edges(
    monkeypatch: pytest.MonkeyPatch, reserved: int | None
) -> None:
    # Arrivals exactly at metrics period edges, attempts across them (durations up to 10 s, period 60 s), errors,
    # timeouts (timeout 3 s), environments idle longer than their timeout (cold starts again), a burst that fills the
    # pool (a reserved one, or the account's unreserved one: parked throttles freed at attempts' ends), retries.
    burst = [10.0 + i * 0.001 for i in range(2400)]  # 1,000 a second, against the account's 1,000 (or 5)
    times = sorted(
        [60.0, 120.0, 120.0, 180.0 - 1e-9, *burst] + [i * 0.37 for i in range(900)] + [400.0 + i for i in range(40)]
    )
    behaviour = ls.Behaviour(duration=ls.dist.Exponential(1.5), error_rate=0.2)
    fn = Function(name="f", behaviour=behaviour, timeout_s=3, reserved_concurrency=reserved)
    settings = ls.Settings(idle_timeout_s=30.0, idle_timeout_jitter_s=5.0)
    steady = Function(name="g", behaviour=ls.Behaviour(duration=ls.dist.Exponential(0.2)), timeout_s=10)
    # ... and a steady load beside it: more than a histogram's buffer of samples in each period.
    workloads = [Replay(function="f", times_s=times), Poisson(function="g", rate_per_s=30.0, stop_s=300.0)]
    _run_both(monkeypatch, lambda: _model_run([fn, steady], workloads, settings))


@pytest.mark.parametrize("base_s", [1.0, 90.0])
@pytest.mark.parametrize("reserved", [3, None])
def test_arrivals_into_a_full_pool_match_the_general_path(
    monkeypatch: pytest.MonkeyPatch, reserved: int | None, base_s: float
) -> None:
    # Engine.arrive parks an arrival into a full pool at once (Engine._arrive_parked) when the general step would: a
    # first backoff longer than the event's maximum age (base 90 s against 60 s) ends the event at its first
    # throttle instead; a reserved pool of 3, or the account's unreserved pool (100 of 1,000, the rest reserved).
    behaviour = ls.Behaviour(duration=ls.dist.Exponential(2.0), error_rate=0.1)
    fn = Function(
        name="f",
        behaviour=behaviour,
        timeout_s=10,
        reserved_concurrency=reserved,
        event_invoke=ls.model.EventInvoke(maximum_event_age_s=60, maximum_retry_attempts=1),
    )
    other = Function(name="g", behaviour=behaviour, timeout_s=10, reserved_concurrency=900 if reserved is None else 10)
    settings = ls.Settings(throttle_backoff_base_s=base_s)
    rate = 4.0 if reserved else 70.0  # twice what the pool takes
    workloads = [Poisson(function="f", rate_per_s=rate, stop_s=280.0)]
    outputs = _run_both(monkeypatch, lambda: _model_run([fn, other], workloads, settings))
    end = outputs[0][1]["functions"]["f"]
    assert end["throttles"] > 200  # the pool was full at many arrivals
    assert end["outcomes"]["EventAgeExceeded"] > 0 if base_s > 60 else end["outcomes"]["Success"] > 300


@pytest.mark.parametrize("reuse", ["most_recent", "least_recent", "mixed"])
def test_inline_environments_match_the_general_path_for_reuse_rules_lifetimes_and_quiet_periods(
    monkeypatch: pytest.MonkeyPatch, reuse: str
) -> None:
    # Environments taken and freed inline (Engine.arrive, Engine._attempt_succeeded) or by EnvironmentPool.take and
    # release: short lifetimes (retired while busy and while idle), idle timeouts shorter than the gaps of a lull
    # (dead environments met first, a quiet function shutting every idle one), each reuse rule.
    times = sorted(
        [i * 0.05 for i in range(2000)] + [250.0 + i * 7.0 for i in range(12)] + [400.0 + i * 0.1 for i in range(500)]
    )
    behaviour = ls.Behaviour(duration=ls.dist.Exponential(0.4))
    fn = Function(name="f", behaviour=behaviour, timeout_s=10, reserved_concurrency=20)
    settings = ls.Settings(
        idle_timeout_s=5.0,
        idle_timeout_jitter_s=2.0,
        active_idle_timeout_s=3.0,
        active_idle_timeout_jitter_s=4.0,
        max_environment_lifetime_s=40.0,
        environment_reuse=reuse,
        least_recent_reuse_probability=0.3 if reuse == "mixed" else 0.0,
    )
    # A warm-up that ends mid-run: idle time before it is not counted.
    workloads = [Replay(function="f", times_s=times)]
    _run_both(monkeypatch, lambda: _model_run([fn], workloads, settings, warmup_s=30.0))


def test_inline_attempts_match_the_general_path_for_versions_aliases_scaling_and_provisioned_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behaviour = ls.Behaviour(duration=ls.dist.Exponential(0.8))
    functions = [
        Function(name="a", behaviour=behaviour, timeout_s=10, alias="live", alias_routing=0.3),
        Function(
            name="p", behaviour=behaviour, timeout_s=10, alias="live", provisioned_concurrency=2, reserved_concurrency=6
        ),
        Function(name="u", behaviour=behaviour, timeout_s=10),
    ]
    workloads = [
        Poisson(function="a:live", rate_per_s=6.0, stop_s=300.0),
        Poisson(function="p:live", rate_per_s=5.0, stop_s=300.0),
        Poisson(function="u", rate_per_s=8.0, stop_s=300.0),
    ]
    settings = ls.Settings(scaling_environments=3, scaling_period_s=5.0)
    _run_both(monkeypatch, lambda: _model_run(functions, workloads, settings))


@pytest.mark.parametrize("listened", [False, True])
def test_inline_attempts_match_the_general_path_for_async_def_handlers_through_the_client(
    monkeypatch: pytest.MonkeyPatch, listened: bool
) -> None:
    # Successes end through Engine._attempt_succeeded inline (its release inline while others run), or, with a sink
    # listening for outcomes, through Engine._async_ended: both as the general path ends them.
    seen: list[Any] = []

    class Collect:
        def deliver(self, outcome: Any) -> None:
            seen.append((outcome.request_id, outcome.condition, outcome.response, outcome.finished_at))

    async def handler(event: dict[str, Any], context: Any) -> Any:
        seen.append((context.aws_request_id, context.get_remaining_time_in_millis(), event))
        await context.sleep(event["d"])
        if event["d"] > 2.0:
            raise ValueError("slow")
        return {"rid": context.aws_request_id, "left": context.get_remaining_time_in_millis()}

    def run() -> Any:
        seen.clear()
        sim = ls.Simulation(seed=5)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=handler, Timeout=4)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=3)
        if listened:
            sim.add_sink(Collect())
        outs = []
        for i in range(300):
            sim.run(until=1.0 + i * 0.5)
            payload = json.dumps({"d": (i * 7919 % 1000) / 200.0}).encode()  # 0 to 5 s: some time out (4 s)
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=payload)
            if i % 100 == 0:
                outs.append(sim.results().to_dict())
        outs.append(sim.run().to_dict())
        return [outs, list(seen)]

    _run_both(monkeypatch, run)


@pytest.mark.parametrize("inline", [True, False])
def test_a_negative_duration_is_refused_alike_inline_and_not(monkeypatch: pytest.MonkeyPatch, inline: bool) -> None:
    monkeypatch.setattr(Engine, "inline", inline)
    durations = iter([0.5, -1.0])

    class Odd(ls.dist.Distribution):
        mean = 0.5
        variance = 0.0

        def _draw(self, rng: Any, n: int) -> Any:
            raise TypeError("in order")

        def sampler(self, rng: Any) -> Any:
            return durations.__next__

    fn = Function(name="f", behaviour=ls.Behaviour(duration=Odd()), timeout_s=10)
    sim = Model(functions=[fn], workloads=[Replay(function="f", times_s=[1.0, 2.0])]).build(seed=1)
    with pytest.raises(
        ValueError, match=r"function 'f': durations must be numbers >= 0 s, got duration -1.0, init 0.0"
    ):
        sim.run()
