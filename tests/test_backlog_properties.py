"""Parked throttles (``lambdasim.core.backlog``) against stepwise throttles, over small random scenarios.

``tests/test_backlog.py`` checks by hand-written scenarios that a run with parked throttles (the default path) is
the run with every throttled try a SimPy step of its own (``engine._fast_throttles = False``); here hypothesis draws
the combinations nobody wrote: 1-3 functions, each with reserved concurrency or in the account's unreserved pool,
fixed (often whole-second, so that everything ties) or exponential durations, function errors, retries, maximum
event ages, a version and an alias; Poisson, synchronous, burst and whole-second replay workloads; [model] settings
that keep parking possible (backoffs, dispatch latency, duplicates, metrics period, retry delays, scaling rate, ...);
0-3 configuration changes at random times (inside the run, at the first moment the pool is full, or between two
``run(until=...)`` pieces); stop points with the results and CloudWatch read in between, and sometimes a probe.
A third of the examples put every time on whole seconds, so that attempt ends, arrivals, retries and backed-off
tries keep meeting at the same instants (which drives the backlog's rare paths for ties out of order). Every
example runs through ``tests.test_backlog.both``, which compares the two runs on everything a user can observe.

So that the property cannot hold vacuously, each test also tallies what the parked runs did (events parked,
throttles counted in bulk, changes and reads while events were parked) and asserts that a good share did it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim import dist
from lambdasim.aws.errors import ClientError
from lambdasim.core.faults import Outage
from lambdasim.core.rules import ThrottleReason
from lambdasim.planning.probe import Probe
from lambdasim.workload import Burst, Poisson, Replay
from tests.test_backlog import Ctx, Parking, Run, both, parking  # noqa: F401  (the fixture: request.getfixturevalue)

NAMES = ("f", "g", "h")
MAX_AGES = (60, 61, 90, 120, 300, 900, 21_600)
POOL_REASONS = (ThrottleReason.RESERVED.value, ThrottleReason.ACCOUNT.value)
Workload = Poisson | Burst | Replay


# -- scenarios --------------------------------------------------------------------------------------------------


@attrs.frozen
class Function:
    """One function (all times in seconds); ``alias``: version 1 published and alias ``live`` on it."""

    name: str
    reserved: int | None
    duration: float | dist.Distribution
    error_rate: float
    timeout: int
    retries: int
    max_age: int
    failures: str | None  # "dlq", "on-failure" or None
    alias: bool
    alias_max_age: int | None


@attrs.frozen
class Change:
    """A configuration change (or a read) at ``at`` s: ``mode`` "at" (a SimPy callback then), "when-full" (from
    then, at the first quarter second its function's pool is full, 30 s at most) or "between" (between
    ``run(until=at)`` and the rest of the run)."""

    at: float
    mode: str
    # "concurrency" (put, ``value``), "delete-concurrency", "max-age" (``value``), "provisioned" (put ``value`` on
    # the version or alias), "delete-provisioned", "delete-function", "outage" (half the tries get HTTP 5xx for
    # ``value`` s; of every function if ``function`` is ""), "reset" (the statistics), "read" (results, CloudWatch),
    # "invoke" (``value`` Event invokes through the client), "invoke-sync" (a RequestResponse invoke: "between")
    kind: str
    function: str  # "name" or "name:qualifier"
    value: float = 0.0


def _short(settings: ls.Settings) -> str:
    """Only the settings that differ from the defaults, for a readable falsifying example."""
    default = ls.Settings()
    changed = [
        f"{a.name}={getattr(settings, a.name)!r}"
        for a in attrs.fields(ls.Settings)
        if getattr(settings, a.name) != getattr(default, a.name)
    ]
    return f"Settings({', '.join(changed)})"


@attrs.frozen
class Scenario:
    """One example: the functions, their workloads, changes during the run, and where the run stops to be read."""

    seed: int
    concurrency_limit: int
    settings: ls.Settings = attrs.field(repr=_short)
    functions: tuple[Function, ...]
    loads: tuple[Workload, ...]
    changes: tuple[Change, ...]
    stops: tuple[float, ...]
    probe_s: float | None  # a Probe's interval (it settles the backlogs at each sample), or none


def _seconds(low: float, high: float) -> st.SearchStrategy[float]:
    """A time in [low, high]: whole seconds half the time (ties with whole-second durations and backoffs)."""
    return st.one_of(
        st.integers(math.ceil(low), math.floor(high)).map(float),
        st.floats(low, high).map(lambda t: round(t, 3)),
    )


def _durations(ties: bool) -> st.SearchStrategy[float | dist.Distribution]:
    if ties:
        return st.sampled_from([1.0, 2.0, 3.0, 5.0])
    return st.one_of(
        st.sampled_from([1.0, 2.0, 3.0, 5.0]),  # whole seconds: exact ties
        st.floats(0.05, 6.0).map(lambda x: round(x, 3)),
        st.floats(0.05, 6.0).map(lambda x: dist.Exponential(round(x, 3))),
        st.sampled_from([30.0, 150.0, dist.Exponential(40.0)]),  # ends minutes apart: only ticks find old tries
    )


@st.composite
def _function(draw: st.DrawFn, name: str, ties: bool) -> Function:
    duration = draw(_durations(ties))
    long = _mean_s(duration) > 10.0
    alias = draw(st.booleans())
    return Function(
        name=name,
        reserved=draw(st.one_of(st.none(), st.integers(1, 8))),
        duration=duration,
        error_rate=draw(st.sampled_from([0.7, 0.3] if ties else [0.0, 0.1, 0.3, 0.7])),
        timeout=900 if long else draw(st.sampled_from([3, 10, 30])),
        retries=draw(st.integers(0, 2)),
        max_age=draw(st.sampled_from(MAX_AGES)),
        failures=draw(st.sampled_from([None, "dlq", "on-failure"])),
        alias=alias,
        alias_max_age=draw(st.none() | st.sampled_from(MAX_AGES)) if alias else None,
    )


def _mean_s(duration: float | dist.Distribution) -> float:
    return duration if isinstance(duration, float) else float(duration.mean)


@st.composite
def _load(draw: st.DrawFn, fn: Function, index: int, ties: bool) -> Workload:
    """A workload on ``fn`` (or its version or alias), sized by ``fn``'s pool: up to several times what it can run
    (the account's pool fills only from 100 attempts on), a few hundred events at most."""
    target = draw(st.sampled_from([fn.name, f"{fn.name}:live", f"{fn.name}:1"] if fn.alias else [fn.name]))
    kind = draw(st.sampled_from(["replay", "burst"] if ties else ["poisson", "poisson", "burst", "replay", "sync"]))
    name = f"{kind}{index}"
    pool = 100 if fn.reserved is None else fn.reserved
    load = draw(st.sampled_from([2.0, 1.0, 4.0, 0.5]))  # arrivals per second, in attempts the pool can run
    if kind in ("poisson", "sync"):
        mean_s = max(_mean_s(fn.duration), 0.5)
        rate = load * pool / mean_s if kind == "poisson" else load * pool / mean_s / 4.0
        start = draw(_seconds(0.0, 30.0))
        # Long enough to fill the pool (1.5 mean durations), a few hundred events at most.
        length = min(max(draw(_seconds(1.0, 60.0)), 1.5 * mean_s), 300.0 / rate)
        return Poisson(
            function=target,
            rate_per_s=rate,
            start_s=start,
            stop_s=start + length,
            invocation_type="Event" if kind == "poisson" else "RequestResponse",
            name=name,
        )
    if kind == "burst":
        return Burst(
            function=target,
            at_s=float(draw(st.integers(0, 40))) if ties else draw(_seconds(0.0, 40.0)),
            count=max(1, min(int(load * pool) + draw(st.integers(-3, 20)), 300)),
            over_s=0.0 if ties else draw(st.sampled_from([0.0, 0.5, 2.0, 10.0])),
            name=name,
        )
    seconds = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), min_size=1, max_size=10))
    scale = 1 if fn.reserved is not None else 10
    times = sorted(float(t) for t, n in seconds for _ in range(n * scale))
    # Now and then synchronous calls, which take the pool's concurrency at the same whole seconds as everything else.
    kind = draw(st.sampled_from(["Event", "Event", "Event", "RequestResponse"]))
    return Replay(function=target, times_s=times[:300], invocation_type=kind, name=name)


@st.composite
def _change(draw: st.DrawFn, functions: tuple[Function, ...]) -> Change:
    fn = draw(st.sampled_from(functions))
    at = draw(_seconds(0.5, 120.0))
    mode = draw(st.sampled_from(["at", "when-full", "between"]))
    kinds = ["concurrency", "delete-concurrency", "max-age", "delete-function", "outage", "read", "reset", "invoke"]
    kinds += ["invoke-sync"] if mode == "between" else []  # it runs the clock: only from outside the run
    if fn.alias:
        kinds += ["provisioned", "delete-provisioned"]
    kind = draw(st.sampled_from(kinds))
    function = fn.name
    value = 0.0
    if kind == "concurrency":
        value = draw(st.integers(0, 10))
    elif kind == "max-age":
        value = draw(st.sampled_from(MAX_AGES))
        if fn.alias and draw(st.booleans()):
            function = f"{fn.name}:live"
    elif kind.startswith("invoke"):  # through the client: Invoke's own path into the engine (value: how many)
        function = draw(st.sampled_from([fn.name, f"{fn.name}:live"] if fn.alias else [fn.name]))
        value = 1 if kind == "invoke-sync" else draw(st.integers(1, 20))
    elif kind in ("provisioned", "delete-provisioned"):
        function = f"{fn.name}:{draw(st.sampled_from(['live', '1']))}"
        value = draw(st.integers(1, 3))
    elif kind == "outage":  # this function's, or the account's (value: its length)
        function = draw(st.sampled_from([fn.name, ""]))
        value = draw(st.sampled_from([5.0, 20.0, math.inf]))
    return Change(at=at, mode=mode, kind=kind, function=function, value=value)


@st.composite
def _settings(draw: st.DrawFn, ties: bool) -> ls.Settings:
    """[model] settings that leave parking possible (no trace, drops, jitter, backlog factor or read rate); with
    ``ties``, every delay a whole number of seconds."""
    if ties:
        return ls.Settings(
            throttle_backoff_base_s=draw(st.sampled_from([1.0, 2.0])),
            throttle_backoff_cap_s=draw(st.sampled_from([300.0, 10.0, 1.0])),
            dispatch_latency_s=draw(st.sampled_from([0.0, 1.0])),
            duplicate_probability=draw(st.sampled_from([0.0, 0.2])),
            metrics_period_s=draw(st.sampled_from([60.0, 1.0, 7.0])),
            retry_delays_s=draw(st.sampled_from([(1.0, 2.0), (60.0, 120.0), (2.0, 1.0)])),
            default_init_duration_s=draw(st.sampled_from([0.0, 1.0])),
        )
    base, cap = draw(st.sampled_from([(1.0, 300.0), (1.0, 10.0), (0.3, 7.0), (2.0, 64.0), (0.1, 300.0), (0.5, 1.0)]))
    scaling, scaling_period = draw(st.sampled_from([(1000, 10.0), (3, 5.0)]))
    return ls.Settings(
        throttle_backoff_base_s=base,
        throttle_backoff_cap_s=cap,
        dispatch_latency_s=draw(st.sampled_from([0.0, 0.0, 0.035, 1.0])),
        duplicate_probability=draw(st.sampled_from([0.0, 0.0, 0.2])),
        metrics_period_s=draw(st.sampled_from([60.0, 60.0, 1.0, 7.0, 0.7])),  # (not 0.1: too many periods to read fast)
        retry_delays_s=draw(st.sampled_from([(60.0, 120.0), (1.0, 2.0), (30.0, 45.5)])),
        retry_jitter_s=draw(st.sampled_from([0.0, 0.0, 5.0])),
        scaling_environments=scaling,
        scaling_period_s=scaling_period,
        idle_timeout_s=draw(st.sampled_from([600.0, 5.0])),
        default_init_duration_s=draw(st.sampled_from([0.0, 0.0, 1.0, 0.25])),
        provisioned_allocation_s=draw(st.sampled_from([120.0, 0.0, 5.0])),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random scenario; a third of them with every time a whole number of seconds (``ties``): then attempt ends,
    arrivals, retries and backed-off tries keep meeting, in every order."""
    ties = draw(st.integers(0, 2)) == 2
    functions = tuple(draw(_function(name, ties)) for name in NAMES[: draw(st.integers(1, 3))])
    loads = tuple(draw(_load(fn, i, ties)) for fn in functions for i in range(draw(st.integers(1, 2))))
    reserved = sum(fn.reserved or 0 for fn in functions)
    return Scenario(
        seed=draw(st.integers(0, 2**16)),
        # The account keeps at least 100 unreserved (ls.Simulation's minimum): its pool fills from 100 on.
        concurrency_limit=100 + reserved + draw(st.sampled_from([0, 3, 20])),
        settings=draw(_settings(ties)),
        functions=functions,
        loads=loads,
        changes=tuple(draw(st.lists(_change(functions), max_size=3))),
        stops=tuple(sorted(set(draw(st.lists(_seconds(0.5, 150.0), min_size=1, max_size=3))))),
        probe_s=draw(st.sampled_from([None, None, 10.0, 7.3])),
    )


# -- running a scenario -----------------------------------------------------------------------------------------


@attrs.define
class Tally:
    """What the parked runs did, over every example of a test."""

    examples: int = 0
    throttled: int = 0  # examples with throttles for lack of concurrency (reserved or account)
    parked: int = 0  # examples that parked events
    caught_up: int = 0  # examples that counted throttles in bulk
    changed_while_parked: int = 0  # changes made while events were parked
    read_while_parked: int = 0  # reads while events were parked

    def add(self, run: Run) -> None:
        self.examples += 1
        functions = run.results["functions"].values()
        self.throttled += any(f["throttles_by_reason"].get(r, 0) for f in functions for r in POOL_REASONS)
        self.parked += run.parking.parked > 0
        self.caught_up += run.parking.caught_up > 0


def _parked_now(ctx: Ctx) -> bool:
    engine = ctx.sim.engine
    return engine._fast_throttles and any(backlog.count for backlog in engine.backlogs())


def _pool_full(ctx: Ctx, name: str) -> bool:
    engine = ctx.sim.engine
    fs = engine.functions.get(name)
    if fs is None:
        return True  # deleted: nothing to wait for
    if fs.reserved is None:
        return engine.unreserved_in_use >= engine.unreserved_limit
    return fs.in_use >= fs.reserved - fs.provisioned_total


def _read(ctx: Ctx, tally: Tally) -> None:
    tally.read_while_parked += _parked_now(ctx)
    ctx.read()


def _apply(ctx: Ctx, change: Change, tally: Tally) -> None:
    """Make ``change`` through the client (or read); keep what it answered, compared between the two runs."""
    if change.kind == "read":
        _read(ctx, tally)
        return
    tally.changed_while_parked += _parked_now(ctx)
    lam = ctx.lam
    name, _, qualifier = change.function.partition(":")
    fn = {"FunctionName": name}
    now = ctx.sim.now
    try:
        if change.kind == "concurrency":
            lam.put_function_concurrency(**fn, ReservedConcurrentExecutions=int(change.value))
        elif change.kind == "delete-concurrency":
            lam.delete_function_concurrency(**fn)
        elif change.kind == "max-age":
            extra = {"Qualifier": qualifier} if qualifier else {}
            lam.update_function_event_invoke_config(**fn, **extra, MaximumEventAgeInSeconds=int(change.value))
        elif change.kind == "provisioned":
            lam.put_provisioned_concurrency_config(
                **fn, Qualifier=qualifier, ProvisionedConcurrentExecutions=int(change.value)
            )
        elif change.kind == "delete-provisioned":
            lam.delete_provisioned_concurrency_config(**fn, Qualifier=qualifier)
        elif change.kind == "delete-function":
            lam.delete_function(**fn)
        elif change.kind == "outage":
            Outage(start_s=now, end_s=now + change.value, probability=0.5, function=name or None).attach(ctx.sim)
        elif change.kind == "reset":
            ctx.sim.engine.reset_statistics(at=now)
        elif change.kind == "invoke":
            for _ in range(int(change.value)):
                lam.invoke(FunctionName=change.function, InvocationType="Event", Payload=b"{}")
        elif change.kind == "invoke-sync":  # runs the clock until the response (often in the middle of an instant)
            response = lam.invoke(FunctionName=change.function, Payload=b"{}")
            ctx.reads.append(("response", ctx.sim.now, response["StatusCode"], response.get("FunctionError")))
        else:
            raise AssertionError(change.kind)
        answer = "ok"
    except ClientError as exc:
        answer = exc.response["Error"]["Code"]
    except ValueError as exc:  # an outage of a deleted function
        answer = str(exc)
    ctx.reads.append(("changed", now, change, answer))


def _create(ctx: Ctx, fn: Function) -> None:
    extra: dict[str, Any] = {}
    eic: dict[str, Any] = {"MaximumRetryAttempts": fn.retries, "MaximumEventAgeInSeconds": fn.max_age}
    if fn.failures == "dlq":
        extra["DeadLetterConfig"] = {"TargetArn": ctx.queue(f"{fn.name}-dlq")}
    elif fn.failures == "on-failure":
        eic["DestinationConfig"] = {"OnFailure": {"Destination": ctx.queue(f"{fn.name}-failures")}}
    handler = ls.Behaviour(duration=fn.duration, error_rate=fn.error_rate)
    ctx.lam.create_function(FunctionName=fn.name, Handler=handler, Timeout=fn.timeout, **extra)
    if fn.reserved is not None:
        ctx.lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=fn.reserved)
    ctx.lam.put_function_event_invoke_config(FunctionName=fn.name, **eic)
    if fn.alias:
        ctx.lam.publish_version(FunctionName=fn.name)
        ctx.lam.create_alias(FunctionName=fn.name, Name="live", FunctionVersion="1")
        if fn.alias_max_age is not None:
            ctx.lam.put_function_event_invoke_config(
                FunctionName=fn.name,
                Qualifier="live",
                MaximumRetryAttempts=1,
                MaximumEventAgeInSeconds=fn.alias_max_age,
            )


def build(sc: Scenario, tally: Tally) -> Callable[[Ctx], None]:
    """The scenario for ``tests.test_backlog.both``: it runs its own pieces; ``both`` runs the rest."""

    def scenario(ctx: Ctx) -> None:
        for fn in sc.functions:
            _create(ctx, fn)
        for load in sc.loads:
            load.attach(ctx.sim)
        probe = None if sc.probe_s is None else Probe(ctx.sim, interval_s=sc.probe_s)
        between: dict[float, list[Change]] = {}
        for change in sc.changes:
            if change.mode == "between":
                between.setdefault(change.at, []).append(change)
            elif change.mode == "at":
                ctx.at(change.at, partial(_apply, ctx, change, tally))
            else:
                _when_full(ctx, change, tally)
        for t in sorted({*sc.stops, *between}):
            ctx.sim.run(until=max(t, ctx.sim.now))  # (a synchronous invoke may have run the clock past t)
            for change in between.get(t, ()):
                _apply(ctx, change, tally)
            _read(ctx, tally)
        if probe is not None:
            ctx.sim.run()
            probe.flush()
            for name in probe.functions:
                series = probe.series(name)
                ctx.reads.append((name, series.time_s.tolist(), {k: v.tolist() for k, v in series.counts.items()}))
                ctx.reads.append((name, {k: v.tolist() for k, v in series.levels.items()}))

    return scenario


def _when_full(ctx: Ctx, change: Change, tally: Tally) -> None:
    """``change`` at the first quarter second from ``change.at`` on when its function's pool is full (so that
    events are likely parked in it), or 30 s later at the latest."""
    name = change.function.partition(":")[0]

    def check() -> None:
        if _pool_full(ctx, name) or ctx.sim.now >= change.at + 30.0:
            _apply(ctx, change, tally)
        else:
            ctx.at(ctx.sim.now + 0.25, check)

    ctx.at(change.at, check)


def check(sc: Scenario, counts: Parking, tally: Tally) -> None:
    """Run ``sc`` parked and stepwise (``both`` asserts they agree); tally the parked run."""
    run = both(build(sc, tally), counts, seed=sc.seed, settings=sc.settings, concurrency_limit=sc.concurrency_limit)
    tally.add(run)


def assert_not_vacuous(tally: Tally) -> None:
    """Most examples park events and count throttles in bulk (nearly all of those that throttle); changes and
    reads often meet parked events."""
    assert tally.parked >= 0.5 * tally.examples, tally
    assert tally.parked >= 0.8 * tally.throttled, tally
    assert tally.caught_up >= 0.4 * tally.examples, tally
    assert tally.changed_while_parked >= 0.1 * tally.examples, tally
    assert tally.read_while_parked >= 0.15 * tally.examples, tally


# -- the properties ---------------------------------------------------------------------------------------------


def test_parked_runs_equal_stepwise_runs(request: pytest.FixtureRequest) -> None:
    """200 random scenarios: parked and stepwise runs agree on everything (``tests.test_backlog.both``)."""
    counts: Parking = request.getfixturevalue("parking")
    tally = Tally()

    @settings(derandomize=True, max_examples=200, deadline=None, database=None)
    @given(scenarios())
    def parked_equals_stepwise(sc: Scenario) -> None:
        check(sc, counts, tally)

    parked_equals_stepwise()
    assert_not_vacuous(tally)


@pytest.mark.slow
def test_parked_runs_equal_stepwise_runs_many(request: pytest.FixtureRequest) -> None:
    """1,000 more random scenarios (not the quick test's: another function, so another seed)."""
    counts: Parking = request.getfixturevalue("parking")
    tally = Tally()

    @settings(derandomize=True, max_examples=1_000, deadline=None, database=None)
    @given(scenarios())
    def many_parked_equal_stepwise(sc: Scenario) -> None:
        check(sc, counts, tally)

    many_parked_equal_stepwise()
    assert_not_vacuous(tally)
