"""Properties of the asynchronous path over random configurations and seeds (issue 2, "How it is shown").

Each example builds one function from a random :class:`lambdasim.Behaviour` (duration distribution, error rate,
timeout), random retry/age/reserved-concurrency configuration and random [model] settings (service errors,
duplicates, drops, dispatch latency, poller read rate, jitter), sends several ``Event`` invokes at random times and
runs to the end or stops mid-run. What must always hold (spec ``aws-async.md`` sections 1 and 2):

- every accepted event, and every duplicate copy of it, ends in exactly one outcome or is still in flight;
- attempts per event never exceed ``MaximumRetryAttempts + 1``;
- no attempt starts after the event's ``MaximumEventAgeInSeconds``;
- concurrency in use never exceeds the reserved concurrency or the account's unreserved pool;
- the same seed gives the same results, and stopping and resuming changes nothing.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim import dist

ATTEMPT_KINDS = ("Success", "Error", "Timeout")
EXPLORE = int(os.environ.get("LAMBDASIM_HYPOTHESIS_EXAMPLES", "0"))  # > 0: a long random exploration run
# Deterministic by default (the same examples every run, no example database); modest so the file stays fast.
PROPERTY_SETTINGS = settings(
    max_examples=EXPLORE or 100,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@attrs.frozen
class Scenario:
    """One random configuration (all times in seconds)."""

    seed: int
    retries: int
    max_age: int
    reserved: int | None
    duration: dist.Distribution
    error_rate: float
    timeout: int
    settings: ls.Settings
    times: tuple[float, ...]
    until: float | None


def _durations() -> st.SearchStrategy[dist.Distribution]:
    return st.one_of(
        st.floats(0.0, 120.0).map(dist.Constant),
        st.floats(0.05, 60.0).map(dist.Exponential),
        st.tuples(st.floats(0.05, 10.0), st.floats(1.0, 3.0)).map(lambda t: dist.LogNormal(median=t[0], spread=t[1])),
        st.tuples(st.floats(0.0, 30.0), st.floats(0.0, 90.0)).map(lambda t: dist.Uniform(t[0], t[0] + t[1])),
    )


@st.composite
def _settings(draw: st.DrawFn) -> ls.Settings:
    probability = st.one_of(st.just(0.0), st.floats(0.0, 0.6))
    return ls.Settings(
        service_error_probability=draw(probability),
        duplicate_probability=draw(probability),
        drop_probability=draw(probability),
        dispatch_latency_s=draw(st.one_of(st.just(0.0), st.floats(0.0, 2.0))),
        poller_read_rate_per_s=draw(st.one_of(st.none(), st.floats(0.02, 20.0))),
        throttle_backoff_jitter=draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
        retry_jitter_s=draw(st.one_of(st.just(0.0), st.floats(0.0, 30.0))),
        backlog_backoff_factor=draw(st.one_of(st.just(0.0), st.floats(0.0, 5.0))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    return Scenario(
        seed=draw(st.integers(0, 2**32)),
        retries=draw(st.integers(0, 2)),
        max_age=draw(st.one_of(st.integers(60, 400), st.integers(60, 21600))),
        reserved=draw(st.one_of(st.none(), st.integers(0, 5))),
        duration=draw(_durations()),
        error_rate=draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        timeout=draw(st.integers(1, 900)),
        settings=draw(_settings()),
        # Arrivals spread over 0 s (all at once) to 10 min: the narrow spreads make events contend for concurrency.
        times=tuple(
            draw(st.lists(st.floats(0.0, draw(st.sampled_from([0.0, 5.0, 60.0, 600.0]))), min_size=1, max_size=20))
        ),
        until=draw(st.one_of(st.none(), st.floats(0.0, 3000.0))),
    )


class Collect:
    """A sink that keeps every outcome."""

    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


@attrs.define
class Run:
    """What one run produced, plus what the test sent: ``sent[request_id] = (enqueued_at, copies)``."""

    sim: ls.Simulation
    results: ls.Results
    sent: dict[str, tuple[float, int]]
    outcomes: list[ls.Outcome]


def build(sc: Scenario) -> tuple[ls.Simulation, dict[str, tuple[float, int]], Collect]:
    sim = ls.Simulation(seed=sc.seed, trace=True, settings=sc.settings)
    lam = sim.client("lambda")
    behaviour = ls.Behaviour(duration=sc.duration, error_rate=sc.error_rate, error_type="Boom")
    lam.create_function(FunctionName="f", Handler=behaviour, Timeout=sc.timeout)
    lam.put_function_event_invoke_config(
        FunctionName="f", MaximumRetryAttempts=sc.retries, MaximumEventAgeInSeconds=sc.max_age
    )
    if sc.reserved is not None:
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=sc.reserved)
    sink = Collect()
    sim.engine.sinks.append(sink)
    stats = sim.results().stats("f")
    sent: dict[str, tuple[float, int]] = {}

    def send(_event: object) -> None:
        before = stats.duplicates  # the queue decides at enqueue whether this event is delivered twice
        resp = lam.invoke(FunctionName="f", InvocationType="Event", Payload=b'{"n": 1}')
        assert resp["StatusCode"] == 202
        sent[resp["ResponseMetadata"]["RequestId"]] = (sim.now, 1 + stats.duplicates - before)

    for t in sc.times:
        sim.env.timeout(t).callbacks.append(send)
    return sim, sent, sink


def run(sc: Scenario) -> Run:
    sim, sent, sink = build(sc)
    results = sim.run(until=sc.until)
    return Run(sim, results, sent, sink.outcomes)


def attempts_of(results: ls.Results) -> list[Any]:
    assert results.trace is not None
    return [t for t in results.trace if t.kind in ATTEMPT_KINDS]


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at once; one that ends at ``t`` is closed before one starting at ``t`` opens
    (the engine releases concurrency at the end of an attempt before a later poll at the same time takes it)."""
    points = sorted([(end, 0) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    level = peak = 0
    for _, opens in points:
        level += 1 if opens else -1
        peak = max(peak, level)
    return peak


def check_invariants(sc: Scenario, r: Run) -> None:
    f = r.results.functions["f"]
    stats = r.results.stats("f")
    copies = sum(n for _, n in r.sent.values())
    assert f["async_events_received"] == len(r.sent)
    assert f["async_events_received"] + f["duplicates"] == copies

    # Every copy ends in exactly one outcome or is still in flight (spec 1.3-1.5).
    per_request = Counter(o.request_id for o in r.outcomes)
    assert set(per_request) <= set(r.sent)
    for rid, n in per_request.items():
        assert n <= r.sent[rid][1], (rid, n, r.sent[rid])
    in_flight = copies - len(r.outcomes)
    assert f["in_flight"] == in_flight
    # In flight means somewhere: queued (incl. dispatch and backoff), waiting for a retry, or in an attempt.
    assert stats.queued.value + stats.retry_waiting.value + stats.concurrency.value == in_flight
    assert stats.queued.value >= 0 and stats.retry_waiting.value >= 0 and stats.concurrency.value >= 0
    if sc.until is None:
        assert in_flight == 0
        assert dict(per_request) == {rid: n for rid, (_, n) in r.sent.items()}
    assert Counter(o.condition.value for o in r.outcomes) == +Counter(f["outcomes"])

    # Outcomes obey the retry and age rules (spec 1.3, 2).
    for o in r.outcomes:
        enqueued, _ = r.sent[o.request_id]
        assert o.enqueued_at == enqueued
        assert 0 <= o.approximate_invoke_count <= sc.retries + 1
        if o.condition is ls.Condition.RETRIES_EXHAUSTED:
            assert o.approximate_invoke_count == sc.retries + 1
            assert o.error is not None
        elif o.condition is ls.Condition.EVENT_AGE_EXCEEDED:
            # Discarded by the age look-ahead within the limit, or when an attempt that started in time ends, or
            # (with a limited poller read rate) when a poller finally reads an event that aged in the queue.
            ended = {a.end for a in attempts_of(r.results) if a.request_id == o.request_id}
            slow_reader = sc.settings.poller_read_rate_per_s is not None
            assert o.finished_at - o.enqueued_at <= sc.max_age or o.finished_at in ended or slow_reader
        elif o.condition is ls.Condition.ZERO_RESERVED_CONCURRENCY:
            assert sc.reserved == 0 and o.approximate_invoke_count == 0
            immediate = sc.settings.dispatch_latency_s == 0 and sc.settings.poller_read_rate_per_s is None
            assert o.finished_at == o.enqueued_at or not immediate  # at once, when a poller takes it (spec 1.3)
        elif o.condition is ls.Condition.SUCCESS:
            assert o.approximate_invoke_count >= 1 and o.error is None
        if sc.reserved == 0:
            assert o.condition is ls.Condition.ZERO_RESERVED_CONCURRENCY

    # Attempts: at most retries + 1 per copy, none after the age limit, each ends by the timeout (spec 1.3, 2, 5).
    attempts = attempts_of(r.results)
    per_rid = Counter(a.request_id for a in attempts)
    for a in attempts:
        enqueued, n_copies = r.sent[a.request_id]
        assert 1 <= a.attempt <= sc.retries + 1
        assert a.start - enqueued <= sc.max_age
        ran = a.end - a.start  # (end and start are clock readings: compare with float tolerance)
        assert ran <= sc.timeout + 1e-9
        assert (a.kind == "Timeout") == (math.isclose(ran, sc.timeout) and a.detail == "Sandbox.Timedout")
        assert per_rid[a.request_id] <= n_copies * (sc.retries + 1)
    # Attempts are counted when they start and traced when they end: the difference is running now.
    assert f["attempts"] == len(attempts) + stats.concurrency.value
    assert f["errors"] == sum(a.kind != "Success" for a in attempts)

    # Concurrency never exceeds the reserved concurrency or the account (spec 5).
    limit = r.results.concurrency_limit if sc.reserved is None else sc.reserved
    assert stats.concurrency.max <= limit
    assert max_overlap([(a.start, a.end) for a in attempts]) <= limit
    reasons = f["throttles_by_reason"]
    if sc.reserved is None:
        assert "ReservedFunctionConcurrentInvocationLimitExceeded" not in reasons
    else:
        assert "ConcurrentInvocationLimitExceeded" not in reasons


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_event_ends_once_within_retry_age_and_concurrency_limits(sc: Scenario) -> None:
    check_invariants(sc, run(sc))


@PROPERTY_SETTINGS
@given(scenarios())
def test_same_seed_same_results_and_stopping_midway_changes_nothing(sc: Scenario) -> None:
    first, second = run(sc), run(sc)
    assert first.results.to_dict() == second.results.to_dict()
    assert first.results.trace == second.results.trace
    assert first.outcomes == second.outcomes
    assert first.sent == second.sent
    # Stopped at a few points and resumed: the same run as straight through.
    sim, sent, sink = build(sc)
    end = sc.until
    horizon = first.results.now  # where the straight run stopped: resuming must not run past it
    for stop in (0.0, 1.5, 61.0, 250.0):
        if stop < horizon:
            partial = sim.run(until=stop)
            assert partial.now == stop
            check_invariants(attrs.evolve(sc, until=stop), Run(sim, partial, dict(sent), list(sink.outcomes)))
    resumed = sim.run(until=end)
    assert resumed.to_dict() == first.results.to_dict()
    assert resumed.trace == first.results.trace
    assert sink.outcomes == first.outcomes


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(
    d=st.floats(0.0, 400.0),
    latency=st.floats(0.0, 5.0),
    retries=st.integers(0, 2),
    max_age=st.integers(60, 1200),
    timeout=st.integers(1, 900),
    t0=st.floats(0.0, 100.0),
)
def test_always_failing_event_follows_the_documented_schedule(
    d: float, latency: float, retries: int, max_age: int, timeout: int, t0: float
) -> None:
    """Spec 2: attempts start 60 s after the first failed attempt ends and 120 s after the second; after a failed
    attempt ending at t, the event is discarded at t if age(t) + next delay > MaximumEventAgeInSeconds."""
    sc = Scenario(
        seed=3,
        retries=retries,
        max_age=max_age,
        reserved=None,
        duration=dist.Constant(d),
        error_rate=1.0,
        timeout=timeout,
        settings=ls.Settings(dispatch_latency_s=latency),
        times=(t0,),
        until=None,
    )
    r = run(sc)
    ran = min(d, timeout)
    start = t0 + latency
    starts, end = [start], start + ran
    condition = ls.Condition.RETRIES_EXHAUSTED
    for delay in (60.0, 120.0)[:retries]:
        if end - t0 + delay > max_age:
            condition = ls.Condition.EVENT_AGE_EXCEEDED
            break
        starts.append(end + delay)
        end = starts[-1] + ran
    assert [a.start for a in attempts_of(r.results)] == starts
    (o,) = r.outcomes
    assert (o.condition, o.approximate_invoke_count, o.finished_at) == (condition, len(starts), end)
    check_invariants(sc, r)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    seed=st.integers(0, 2**32),
    counts=st.tuples(st.integers(0, 90), st.integers(0, 90)),
    reserved=st.integers(0, 5),
    duration=st.floats(1.0, 200.0),
    spread_s=st.floats(0.0, 30.0),
)
def test_account_concurrency_is_shared_and_never_exceeded(
    seed: int, counts: tuple[int, int], reserved: int, duration: float, spread_s: float
) -> None:
    """Spec 5: unreserved functions share the account pool less what is reserved; the pool's throttle reason is
    ConcurrentInvocationLimitExceeded, a function's own cap ReservedFunctionConcurrentInvocationLimitExceeded."""
    limit = 100 + reserved
    sim = ls.Simulation(seed=seed, trace=True, concurrency_limit=limit)
    lam = sim.client("lambda")
    for name in ("a", "b", "r"):
        lam.create_function(FunctionName=name, Duration=duration, Timeout=900)
    lam.put_function_concurrency(FunctionName="r", ReservedConcurrentExecutions=reserved)
    rng = sim.engine.generator("test", "times")
    for name, n in (("a", counts[0]), ("b", counts[1]), ("r", 10)):
        for t in rng.uniform(0.0, spread_s, n):
            sim.env.timeout(float(t)).callbacks.append(
                lambda _e, name=name: lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
            )
    res = sim.run()
    attempts = attempts_of(res)
    unreserved = [(a.start, a.end) for a in attempts if a.function_name in ("a", "b")]
    assert max_overlap(unreserved) <= 100
    assert max_overlap([(a.start, a.end) for a in attempts if a.function_name == "r"]) <= reserved
    assert res.stats("r").concurrency.max <= reserved
    assert res.stats("a").concurrency.max <= 100 and res.stats("b").concurrency.max <= 100
    if counts[0] + counts[1] > 100 and spread_s < duration / 2:
        # More events than the pool within one duration: some must have been throttled by the account.
        throttled = sum(
            res.functions[n]["throttles_by_reason"].get("ConcurrentInvocationLimitExceeded", 0) for n in "ab"
        )
        assert throttled > 0
    for name in ("a", "b"):
        assert "ReservedFunctionConcurrentInvocationLimitExceeded" not in res.functions[name]["throttles_by_reason"]
        assert res.outcomes(name)["Success"] == res.functions[name]["async_events_received"]
    expected_r = "ZeroReservedConcurrency" if reserved == 0 else "Success"
    assert res.outcomes("r")[expected_r] == 10
