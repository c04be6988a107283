"""Parked throttles (``lambdasim.core.backlog``) give exactly the run of stepping every throttled try through SimPy.

Each scenario runs twice with the same seed: with parking allowed (the default path) and with
``engine._fast_throttles = False`` (the general path: every throttled try a SimPy step of its own, the reference).
The two must agree on everything a user can observe: ``Results.to_dict()`` (clock, counts, throttles by reason,
outcomes, statistics and the CloudWatch-style metrics), CloudWatch's per-minute series, the order and time of every
outcome, the dead-letter and destination messages, and whatever is read in the middle of the run. Each scenario also
checks that parking really happened (counted throttles and parked events), so none can pass vacuously.

The tie rule [model] has tests of its own: at one instant, a backed-off event's try comes after attempts that end
and new events polled, and among backed-off tries the event accepted first goes first.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest
from simpy.events import Timeout

import lambdasim as ls
import lambdasim.core._kernel
import lambdasim.core.backlog
import lambdasim.core.engine
import lambdasim.planning.workload
from lambdasim import dist
from lambdasim.core._kernel import Kernel
from lambdasim.core.backlog import Backlog
from lambdasim.core.engine import new_event
from lambdasim.core.faults import Outage
from lambdasim.core.outcome import Outcome
from lambdasim.core.rules import ThrottleReason
from lambdasim.planning.probe import Probe
from lambdasim.workload import Burst, Poisson, Replay

RESERVED = ThrottleReason.RESERVED.value
ACCOUNT = ThrottleReason.ACCOUNT.value
CLOUDWATCH_METRICS = ("Throttles", "AsyncEventsDropped", "Invocations", "Errors", "AsyncEventsReceived")


# -- the harness ------------------------------------------------------------------------------------------------


class OutcomeLog:
    """A sink that keeps every outcome as ``(request_id, function, condition, finished_at, invoke count)``."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, float, int]] = []

    def deliver(self, outcome: Outcome) -> None:
        self.rows.append(
            (
                outcome.request_id,
                outcome.function_name,
                outcome.condition.value,
                outcome.finished_at,
                outcome.approximate_invoke_count,
            )
        )


@attrs.define
class Parking:
    """What the parked path did: events parked, and throttles counted in bulk by ``Backlog.catch_up``."""

    parked: int = 0
    caught_up: int = 0


@attrs.define
class Run:
    """Everything observable of one run (see the module docstring), and how much of it was parked."""

    results: dict[str, Any]
    outcomes: list[tuple[str, str, str, float, int]]
    throttles: dict[str, dict[int, int]]
    cloudwatch: dict[str, Any]
    messages: list[Any]
    reads: list[Any]
    parking: Parking


class Ctx:
    """What a scenario builds on: the simulation, its Lambda client, and where to leave mid-run readings."""

    def __init__(self, sim: ls.Simulation) -> None:
        self.sim = sim
        self.lam = sim.client("lambda")
        self.reads: list[Any] = []
        self.queues: list[str] = []

    def queue(self, name: str) -> str:
        """Create an SQS queue whose messages are compared at the end; return its ARN."""
        sqs = self.sim.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.queues.append(url)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return str(attributes["QueueArn"])

    def at(self, t: float, action: Callable[[], object]) -> None:
        """Call ``action`` at simulated time ``t``, from inside the run (a SimPy callback)."""
        env = self.sim.env

        def call(_event: object) -> None:
            action()

        Timeout(env, t - env.now).callbacks.append(call)

    def when_full(self, t: float, pool: str, action: Callable[[], object]) -> None:
        """Call ``action`` at the first quarter second from ``t`` on when the pool of concurrency of function
        ``pool`` is full (its reserved concurrency, or the account's unreserved concurrency): a change that gives
        it room must then try its parked events (they would wait for the next attempt in it to end). Fails if
        that takes over 30 s."""

        def check() -> None:
            engine = self.sim.engine
            fs = engine.functions[pool]
            if fs.reserved is None:
                full = engine.unreserved_in_use >= engine.unreserved_limit
            else:
                full = fs.in_use >= fs.reserved - fs.provisioned_total
            if full:
                self.reads.append(("changed at", self.sim.now))
                action()
                return
            assert self.sim.now < t + 30.0, f"{pool}'s pool was not full from {t} s to {self.sim.now} s"
            self.at(self.sim.now + 0.25, check)

        self.at(t, check)

    def read(self) -> None:
        """Keep what the results and CloudWatch say now."""
        self.reads.append((self.sim.now, self.sim.results().to_dict(), cloudwatch(self.sim)))


Scenario = Callable[[Ctx], None]


@pytest.fixture
def parking(monkeypatch: pytest.MonkeyPatch) -> Parking:
    """Count parked events and the throttles ``catch_up`` counts in bulk (the current run's)."""
    counts = Parking()
    count = lambdasim.core.backlog._count
    park = Backlog.park

    def counting(fs: Any, reason: Any, index: int, n: int) -> None:
        counts.caught_up += n
        count(fs, reason, index, n)

    def parking_one(self: Backlog, ev: Any, due: float) -> None:
        counts.parked += 1
        park(self, ev, due)

    monkeypatch.setattr(lambdasim.core.backlog, "_count", counting)
    monkeypatch.setattr(Backlog, "park", parking_one)
    _never_before_the_clock(monkeypatch)
    return counts


def _never_before_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a scenario whose run puts anything on SimPy's queue at a time before the clock's: SimPy would step to it
    and set the clock back (a catch-up once put a try it found past there; see the test of ties made by rounding)."""
    kernels: dict[int, Kernel] = {}
    init = Kernel.__init__

    def registering(self: Kernel, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        kernels[id(self.queue)] = self  # kept alive for the test's length: no id used again

    def checked(push: Callable[[list[Any], Any], None]) -> Callable[[list[Any], Any], None]:
        def heappush(queue: list[Any], entry: Any) -> None:
            kernel = kernels.get(id(queue))
            assert kernel is None or entry[0] >= kernel.now, f"queued for {entry[0]} s at {kernel.now} s: {entry}"
            push(queue, entry)

        return heappush

    monkeypatch.setattr(Kernel, "__init__", registering)
    for module in (lambdasim.core.backlog, lambdasim.core.engine, lambdasim.core._kernel, lambdasim.planning.workload):
        monkeypatch.setattr(module, "heappush", checked(module.heappush))


def cloudwatch(sim: ls.Simulation) -> dict[str, Any]:
    """Every function's per-minute CloudWatch series of :data:`CLOUDWATCH_METRICS`, through the client."""
    cw = sim.client("cloudwatch")
    base = sim.settings.metrics_period_s
    # The first whole number of seconds from a minute on that is a multiple of the metrics' period (CloudWatch's rule).
    period = next(p for p in range(60, 100_000) if abs(p / base - round(p / base)) <= 1e-9)
    end = sim.start + dt.timedelta(seconds=sim.now + 120.0)
    out: dict[str, Any] = {}
    for name in sim.engine.functions:
        for metric in CLOUDWATCH_METRICS:
            points = cw.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName=metric,
                Dimensions=[{"Name": "FunctionName", "Value": name}],
                StartTime=sim.start,
                EndTime=end,
                Period=period,
                Statistics=["Sum", "SampleCount", "Maximum"],
            )["Datapoints"]
            out[f"{name}/{metric}"] = [(p["Timestamp"], p["Sum"], p["SampleCount"], p["Maximum"]) for p in points]
    return out


def messages(sim: ls.Simulation, url: str) -> list[Any]:
    """Every message of a queue, oldest first (received and deleted)."""
    sqs = sim.client("sqs")
    out: list[Any] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            return out
        for msg in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
            out.append((msg["MessageId"], msg["Body"], msg.get("Attributes")))


def play(
    scenario: Scenario,
    counts: Parking,
    *,
    parked: bool,
    seed: int = 7,
    settings: ls.Settings | None = None,
    concurrency_limit: int = 1000,
) -> Run:
    """Build ``scenario`` and run it (the scenario runs it itself if it calls ``sim.run``), parked or stepwise."""
    counts.parked = counts.caught_up = 0
    sim = ls.Simulation(seed=seed, settings=settings, concurrency_limit=concurrency_limit)
    if not parked:
        sim.engine._fast_throttles = False  # the general path: every throttled try a SimPy step of its own
    log = OutcomeLog()
    sim.add_sink(log)
    ctx = Ctx(sim)
    scenario(ctx)
    if sim.env.peek() != float("inf"):
        sim.run()
    results = sim.results().to_dict()
    return Run(
        results=results,
        outcomes=log.rows,
        throttles={name: dict(fs.metrics.throttles) for name, fs in sim.engine.functions.items()},
        cloudwatch=cloudwatch(sim),
        messages=[messages(sim, url) for url in ctx.queues],
        reads=ctx.reads,
        parking=Parking(counts.parked, counts.caught_up),
    )


def both(scenario: Scenario, counts: Parking, **kwargs: Any) -> Run:
    """Run ``scenario`` parked and stepwise; assert they agree on everything; return the parked run."""
    fast = play(scenario, counts, parked=True, **kwargs)
    slow = play(scenario, counts, parked=False, **kwargs)
    assert slow.parking == Parking()  # the reference really is stepwise
    assert fast.outcomes == slow.outcomes  # first: the most telling difference
    assert fast.messages == slow.messages
    assert fast.throttles == slow.throttles
    assert fast.cloudwatch == slow.cloudwatch
    assert fast.reads == slow.reads
    assert fast.results == slow.results
    return fast


def figures(run: Run, name: str = "f") -> dict[str, Any]:
    figs: dict[str, Any] = run.results["functions"][name]
    return figs


def behaviour(mean_s: float = 0.5, error_rate: float = 0.3) -> ls.Behaviour:
    return ls.Behaviour(duration=dist.Exponential(mean_s), error_rate=error_rate)


def reserved_function(
    ctx: Ctx,
    name: str = "f",
    *,
    reserved: int = 5,
    max_age: int | None = None,
    failures: str | None = None,
    handler: Any = None,
) -> None:
    """A function with reserved concurrency, function errors and 2 retries; failures to a DLQ or an OnFailure
    destination (``failures``: ``"dlq"`` or ``"on-failure"``)."""
    extra: dict[str, Any] = {}
    eic: dict[str, Any] = {"MaximumRetryAttempts": 2}
    if failures == "dlq":
        extra["DeadLetterConfig"] = {"TargetArn": ctx.queue(f"{name}-dlq")}
    elif failures == "on-failure":
        eic["DestinationConfig"] = {"OnFailure": {"Destination": ctx.queue(f"{name}-failures")}}
    ctx.lam.create_function(FunctionName=name, Handler=handler or behaviour(), Timeout=10, **extra)
    ctx.lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    if max_age is not None:
        eic["MaximumEventAgeInSeconds"] = max_age
    ctx.lam.put_function_event_invoke_config(FunctionName=name, **eic)


def storm(ctx: Ctx, name: str = "f", rate_per_s: float = 20.0, stop_s: float = 120.0) -> None:
    Poisson(function=name, rate_per_s=rate_per_s, stop_s=stop_s).attach(ctx.sim)


# -- 1. a reserved pool's storm ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "failures"),
    [(None, None), (None, "on-failure"), (60, "dlq"), (100, "on-failure"), (400, "dlq"), (400, "on-failure")],
)
def test_reserved_storm(parking: Parking, max_age: int | None, failures: str | None) -> None:
    """Reserved 5, 20/s for 2 minutes, function errors with 2 retries; short maximum ages drop many events, each
    at the time of its own last try, with its record sent to the dead-letter queue or OnFailure destination."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=max_age, failures=failures)
        storm(ctx)

    run = both(scenario, parking)
    f = figures(run)
    assert run.parking.caught_up > 2_000 and run.parking.parked > 500
    assert f["throttles_by_reason"][RESERVED] > 5_000 and f["outcomes"]["RetriesExhausted"] + f["errors"] > 100
    if max_age is not None:
        assert f["outcomes"]["EventAgeExceeded"] > 100
    if failures is not None:
        (failed,) = run.messages
        dropped = sum(n for c, n in f["outcomes"].items() if c != "Success")
        assert len(failed) == dropped > 50


@pytest.mark.parametrize("max_age", [60, 100, 400, 1_000])
@pytest.mark.parametrize("mean_s", [20.0, 150.0])
def test_long_attempts_leave_the_ticks_to_end_events(parking: Parking, max_age: int, mean_s: float) -> None:
    """Attempts that end minutes apart: between two ends only the backlog's ticks find the try that ends an event
    (its age would pass the maximum), which must come at its own time, in its own order."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, reserved=2, max_age=max_age, failures="dlq", handler=behaviour(mean_s, 0.2))
        ctx.lam.update_function_configuration(FunctionName="f", Timeout=900)
        storm(ctx, rate_per_s=0.5, stop_s=240.0)

    run = both(scenario, parking)
    f = figures(run)
    assert run.parking.parked > 50 and f["outcomes"]["EventAgeExceeded"] > 20


def test_synchronous_invocations_share_the_pool(parking: Parking) -> None:
    """``RequestResponse`` calls take and free the same reserved concurrency as the parked events' attempts."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=200, failures="on-failure")
        storm(ctx)
        Poisson(function="f", rate_per_s=5.0, stop_s=120.0, invocation_type="RequestResponse").attach(ctx.sim)

    run = both(scenario, parking)
    assert run.parking.caught_up > 2_000 and figures(run)["sync_throttles"] > 100


def test_scaling_throttles_of_woken_events(parking: Parking) -> None:
    """A scaling rate of 3 new environments per 5 s, idle environments gone after 5 s: a parked event tried when
    its pool has room may be throttled for the scaling rate instead, and go on stepwise."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=300, failures="dlq")
        storm(ctx)
        Burst(function="f", at_s=30.0, count=200, over_s=1.0).attach(ctx.sim)

    settings = ls.Settings(scaling_environments=3, scaling_period_s=5.0, idle_timeout_s=5.0)
    run = both(scenario, parking, settings=settings)
    assert run.parking.caught_up > 2_000
    assert figures(run)["throttles_by_reason"][ThrottleReason.SCALING.value] > 20


def test_an_alias_with_its_own_maximum_age(parking: Parking) -> None:
    """Events on ``f`` and on its alias ``live`` (maximum age 70 s, then 61 s) park in the same pool."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=500)
        _publish_alias(ctx, "f")
        ctx.lam.put_function_event_invoke_config(
            FunctionName="f", Qualifier="live", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=70
        )
        storm(ctx, "f", 10.0)
        storm(ctx, "f:live", 10.0)
        ctx.at(
            60.3,
            lambda: ctx.lam.put_function_event_invoke_config(
                FunctionName="f", Qualifier="live", MaximumEventAgeInSeconds=61
            ),
        )

    run = both(scenario, parking)
    assert run.parking.caught_up > 2_000 and figures(run)["outcomes"]["EventAgeExceeded"] > 100


def test_more_than_60_throttles_in_a_row(parking: Parking) -> None:
    """With backoffs capped at 10 s, an event waiting 800 s behind one attempt is throttled 83 times in a row (at
    0, 1, 3, 7, 15, 25 ... 795 s) and runs at 805 s. ``Backlog`` parks an event for 60 throttles in a row at most
    (``backlog._LAST_LANE``): the first throttle is the park, 59 are caught up in bulk plus the one that takes it
    out of its last lane, and the rest are stepped one by one, each at its own time (a tick must catch up in time
    for that)."""
    settings = ls.Settings(throttle_backoff_cap_s=10.0)

    def scenario(ctx: Ctx) -> None:
        ctx.lam.create_function(FunctionName="f", Duration=800.0, Timeout=900)
        ctx.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
        Replay(function="f", times_s=[0.0, 0.0]).attach(ctx.sim)

    run = both(scenario, parking, settings=settings)
    assert run.parking.caught_up == 60
    assert figures(run)["throttles"] == 83
    assert [(row[2], row[3]) for row in run.outcomes] == [("Success", 800.0), ("Success", 1_605.0)]


@pytest.mark.parametrize(
    "settings",
    [
        ls.Settings(throttle_backoff_cap_s=10.0),
        ls.Settings(throttle_backoff_base_s=0.3, throttle_backoff_cap_s=7.0),
        ls.Settings(throttle_backoff_base_s=2.0, throttle_backoff_cap_s=64.0),
        ls.Settings(throttle_backoff_base_s=0.1),
    ],
    ids=["cap-10", "base-0.3-cap-7", "base-2-cap-64", "base-0.1"],
)
def test_other_backoffs_in_a_long_queue(parking: Parking, settings: ls.Settings) -> None:
    """Reserved 1 and 2 arrivals a second for 400 s: events wait for up to 10 minutes, throttled again and again."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, reserved=1, max_age=900, failures="dlq", handler=behaviour(1.0, 0.1))
        storm(ctx, rate_per_s=2.0, stop_s=400.0)

    run = both(scenario, parking, settings=settings)
    assert run.parking.caught_up > 3_000 and figures(run)["throttles"] > 5_000


# -- 2. the account's unreserved pool ----------------------------------------------------------------------------


def test_account_pool_shared_by_two_functions(parking: Parking) -> None:
    """Two functions without reserved concurrency share the account's 100; one gets a burst; an OnFailure queue."""

    def scenario(ctx: Ctx) -> None:
        failures = ctx.queue("failures")
        for name, mean_s, rate in (("a", 3.0, 25.0), ("b", 2.0, 10.0)):
            ctx.lam.create_function(FunctionName=name, Handler=behaviour(mean_s, 0.2), Timeout=30)
            ctx.lam.put_function_event_invoke_config(
                FunctionName=name,
                MaximumRetryAttempts=1,
                MaximumEventAgeInSeconds=100,
                DestinationConfig={"OnFailure": {"Destination": failures}},
            )
            storm(ctx, name, rate, 90.0)
        Burst(function="b", at_s=30.0, count=400, over_s=2.0).attach(ctx.sim)

    run = both(scenario, parking, concurrency_limit=100)
    a, b = figures(run, "a"), figures(run, "b")
    assert run.parking.caught_up > 1_000
    assert a["throttles_by_reason"][ACCOUNT] > 1_000 and b["throttles_by_reason"][ACCOUNT] > 1_000
    assert a["outcomes"]["EventAgeExceeded"] + b["outcomes"]["EventAgeExceeded"] > 50


def test_account_pool_beside_a_reserved_pool(parking: Parking) -> None:
    """Both kinds of pool parked at once: ``r`` (reserved 10) and ``u`` in the rest of an account of 110."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, "r", reserved=10, max_age=300)
        ctx.lam.create_function(FunctionName="u", Handler=behaviour(4.0, 0.1), Timeout=30)
        storm(ctx, "r", 40.0, 60.0)
        storm(ctx, "u", 30.0, 60.0)

    run = both(scenario, parking, concurrency_limit=110)
    assert figures(run, "r")["throttles_by_reason"][RESERVED] > 1_000
    assert figures(run, "u")["throttles_by_reason"][ACCOUNT] > 1_000


# -- 3. configuration changes while events are parked -------------------------------------------------------------


def _publish_alias(ctx: Ctx, name: str) -> None:
    ctx.lam.publish_version(FunctionName=name)
    ctx.lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")


CHANGES: dict[str, Callable[[Ctx], object]] = {
    "concurrency-up": lambda ctx: ctx.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=9),
    "concurrency-down": lambda ctx: ctx.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2),
    "concurrency-zero": lambda ctx: ctx.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0),
    "concurrency-deleted": lambda ctx: ctx.lam.delete_function_concurrency(FunctionName="f"),
    "max-age-shorter": lambda ctx: ctx.lam.put_function_event_invoke_config(
        FunctionName="f", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=90
    ),
    "max-age-longer": lambda ctx: ctx.lam.put_function_event_invoke_config(
        FunctionName="f", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=3_600
    ),
    "provisioned": lambda ctx: ctx.lam.put_provisioned_concurrency_config(
        FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=2
    ),
    "provisioned-elsewhere": lambda ctx: ctx.lam.put_provisioned_concurrency_config(
        FunctionName="u", Qualifier="live", ProvisionedConcurrentExecutions=10
    ),
    "reserved-elsewhere": lambda ctx: ctx.lam.put_function_concurrency(
        FunctionName="u", ReservedConcurrentExecutions=20
    ),
    "deleted": lambda ctx: ctx.lam.delete_function(FunctionName="f"),
    "outage": lambda ctx: Outage(start_s=ctx.sim.now + 5.0, end_s=ctx.sim.now + 25.0, probability=0.4).attach(ctx.sim),
    "outage-of-another-function": lambda ctx: Outage(start_s=ctx.sim.now, end_s=math.inf, function="u").attach(ctx.sim),
}

# What undoes each change (where there is something to undo), applied 30 s later.
OPPOSITES: dict[str, Callable[[Ctx], object]] = {
    "concurrency-up": CHANGES["concurrency-down"],
    "concurrency-down": CHANGES["concurrency-up"],
    "max-age-shorter": CHANGES["max-age-longer"],
    "provisioned": lambda ctx: ctx.lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live"),
    "provisioned-elsewhere": lambda ctx: ctx.lam.delete_provisioned_concurrency_config(
        FunctionName="u", Qualifier="live"
    ),
    "reserved-elsewhere": lambda ctx: ctx.lam.delete_function_concurrency(FunctionName="u"),
}


# Loads of the two functions: (f's mean duration, f's rate, u's mean duration, u's rate). "long": attempts that end
# seconds apart in each pool, so that parked tries fall due between two ends.
PROFILES = {"short": (0.5, 20.0, 8.0, 18.0), "long": (5.0, 2.0, 40.0, 4.5)}


def changing(change: str, *, inside: bool, profile: str = "short") -> Scenario:
    """``f`` (reserved 5, maximum age 400 s) and ``u`` (unreserved, in an account of 130) in storms for 2 minutes;
    from 50 s on, at the first moment that the pool the change is about is full (events are parked in it),
    ``change``; from 80 s on, the opposite where there is one. ``inside``: from a SimPy callback during the run,
    else between ``run(until=...)`` and the next run (whether the pool is full or not)."""
    f_mean, f_rate, u_mean, u_rate = PROFILES[profile]

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=400, failures="on-failure", handler=behaviour(f_mean))
        ctx.lam.create_function(FunctionName="u", Handler=behaviour(u_mean, 0.1), Timeout=120)
        _publish_alias(ctx, "f")
        _publish_alias(ctx, "u")
        storm(ctx, "f", f_rate, 120.0)
        storm(ctx, "u", u_rate, 120.0)
        later = OPPOSITES.get(change)
        pool = "u" if change.endswith("elsewhere") or change == "outage-of-another-function" else "f"
        if inside:
            ctx.when_full(50.0, pool, lambda: CHANGES[change](ctx))
            if later is not None:
                ctx.when_full(80.0, pool, lambda: later(ctx))
            return
        ctx.sim.run(until=50.0)
        CHANGES[change](ctx)
        if later is not None:
            ctx.sim.run(until=80.0)
            later(ctx)

    return scenario


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("change", list(CHANGES))
def test_configuration_changes_while_parked(parking: Parking, change: str, profile: str) -> None:
    """Each change that unparks (or need not unpark) events, from inside the run, with short and long attempts."""
    run = both(changing(change, inside=True, profile=profile), parking, concurrency_limit=130)
    assert run.parking.caught_up > 100 and run.parking.parked > 50
    if change != "outage-of-another-function":  # (that outage starts before u's pool fills, with long attempts)
        assert figures(run, "u")["throttles_by_reason"][ACCOUNT] > 100
    if change != "deleted":
        assert figures(run)["throttles_by_reason"][RESERVED] > 200
    if change.startswith("outage"):
        assert sum(figures(run, n)["service_errors"] for n in ("f", "u")) > 10


@pytest.mark.parametrize("change", ["concurrency-up", "max-age-shorter", "provisioned", "deleted", "outage"])
def test_configuration_changes_between_runs(parking: Parking, change: str) -> None:
    """The same changes through the client between ``run(until=50)`` and the rest of the run."""
    run = both(changing(change, inside=False), parking, concurrency_limit=130)
    assert run.parking.caught_up > 100


# -- 4. reading statistics in the middle of a run ------------------------------------------------------------------


def pieces(ctx: Ctx, times: list[float]) -> None:
    for t in times:
        ctx.sim.run(until=t)
        ctx.read()
    ctx.sim.run()


def test_reading_between_pieces_changes_nothing(parking: Parking) -> None:
    """``run(until=...)`` in pieces, the results and CloudWatch read between: equal to the straight run."""
    # Odd times, times at the minute, one inside a storm of throttles at whole seconds (integer durations).
    times = [10.0, 30.5, 60.0, 61.0, 90.0, 90.25, 150.0, 333.3]

    def build(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=300, failures="dlq")
        storm(ctx)

    def in_pieces(ctx: Ctx) -> None:
        build(ctx)
        pieces(ctx, times)

    run = both(in_pieces, parking)
    straight = play(build, parking, parked=True)
    assert run.parking.caught_up > 2_000
    assert [read[0] for read in run.reads] == times
    counted = [r[1]["functions"]["f"]["throttles"] for r in run.reads]
    assert counted == sorted(counted) and counted[-1] > counted[0] > 0
    assert (run.results, run.outcomes, run.messages, run.cloudwatch) == (
        straight.results,
        straight.outcomes,
        straight.messages,
        straight.cloudwatch,
    )


def test_a_probe_every_10_s(parking: Parking) -> None:
    """A probe settles the backlogs every 10 s: its series and the run are those of the stepwise path."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=200)
        ctx.lam.create_function(FunctionName="u", Handler=behaviour(3.0, 0.0), Timeout=30)
        storm(ctx)
        storm(ctx, "u", 40.0, 100.0)
        probe = Probe(ctx.sim, interval_s=10.0)

        def record(_e: object = None) -> None:
            probe.flush()
            for name in probe.functions:
                series = probe.series(name)
                ctx.reads.append(
                    (name, series.time_s.tolist(), {k: np.asarray(v).tolist() for k, v in series.counts.items()})
                )
                ctx.reads.append((name, {k: np.asarray(v).tolist() for k, v in series.levels.items()}))

        ctx.sim.run()
        record()

    run = both(scenario, parking, concurrency_limit=110)
    assert run.parking.caught_up > 1_000
    (_, times, counts), _levels = run.reads[0], run.reads[1]
    assert len(times) > 20 and sum(counts["throttles"]) == figures(run)["throttles"]


def test_statistics_reset_in_the_middle_of_a_storm(parking: Parking) -> None:
    """A warm-up ending at 45 s, in the middle of the storm: throttles before it are counted before the reset."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx, max_age=600)
        storm(ctx)
        ctx.sim.engine.reset_statistics(at=45.0)
        ctx.sim.engine.reset_statistics(at=77.0)  # at a whole second: tries at 77 s come after it

    run = both(scenario, parking)
    assert run.parking.caught_up > 2_000 and figures(run)["throttles"] > 1_000


# -- 5. ties: integer timings, duplicates, dispatch latency -------------------------------------------------------


def whole_seconds(seed: int, rate_per_s: float, seconds: int) -> list[float]:
    """Arrivals at whole seconds only (several at each), so that they meet throttled tries and attempt ends."""
    counts = np.random.default_rng(seed).poisson(rate_per_s, seconds)
    return [float(s) for s in range(seconds) for _ in range(int(counts[s]))]


@pytest.mark.parametrize(
    "settings",
    [
        ls.Settings(),
        ls.Settings(duplicate_probability=0.2),
        ls.Settings(dispatch_latency_s=0.035),
        ls.Settings(dispatch_latency_s=1.0, duplicate_probability=0.5),
        ls.Settings(metrics_period_s=0.1),
        ls.Settings(metrics_period_s=7.0),
        ls.Settings(metrics_period_s=0.7),
    ],
    ids=[
        "defaults",
        "duplicates",
        "dispatch-latency",
        "whole-second-latency-and-duplicates",
        "period-0.1",
        "period-7",
        "period-0.7",
    ],
)
@pytest.mark.parametrize("max_age", [None, 120])
def test_ties_at_whole_seconds(parking: Parking, settings: ls.Settings, max_age: int | None) -> None:
    """Fixed whole-second durations and arrivals, whole-second backoffs and retry delays: everything ties."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(
            ctx, max_age=max_age, failures="on-failure", handler=ls.Behaviour(duration=2.0, error_rate=0.3)
        )
        ctx.lam.create_function(FunctionName="g", Duration=3.0, Timeout=10)  # and a fixed Duration=
        ctx.lam.put_function_concurrency(FunctionName="g", ReservedConcurrentExecutions=4)
        Replay(function="f", times_s=whole_seconds(1, 6.0, 100)).attach(ctx.sim)
        Replay(function="g", times_s=whole_seconds(2, 3.0, 100)).attach(ctx.sim)

    run = both(scenario, parking, settings=settings)
    assert run.parking.caught_up > 1_000
    assert figures(run, "g")["throttles"] > 1_000
    if settings.duplicate_probability:
        assert figures(run)["duplicates"] > 50


# -- 6. the tie rule, exactly -------------------------------------------------------------------------------------


def sleeper(sim: ls.Simulation, log: list[tuple[str, float]]) -> Callable[..., Any]:
    """An ``async def`` handler that logs ``(event name, start)`` and sleeps ``event["sleep"]`` seconds; it fails
    when ``event["fail"]``. Any duration, and an attempt's end scheduled at its start."""

    async def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
        log.append((event["name"], sim.now))
        await context.sleep(event["sleep"])
        if event.get("fail"):
            raise RuntimeError("fails")
        return {"ok": True}

    return handler


def tie_run(
    arrivals: list[tuple[float, str, float, bool]], *, parked: bool = True, trace: bool = False
) -> tuple[ls.Results, list[tuple[str, float]], OutcomeLog]:
    """Reserved 1; ``arrivals`` as ``(time, name, sleep, fail)``, invoked in that order."""
    sim = ls.Simulation(seed=1, trace=trace)
    if not parked:
        sim.engine._fast_throttles = False
    log: list[tuple[str, float]] = []
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=sleeper(sim, log), Timeout=120)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    outcomes = OutcomeLog()
    sim.add_sink(outcomes)
    Replay(
        function="f",
        times_s=[a[0] for a in arrivals],
        payloads=[{"name": name, "sleep": sleep, "fail": fail} for _t, name, sleep, fail in arrivals],
    ).attach(sim)
    return sim.run(), log, outcomes


def assert_tie(
    parking: Parking, arrivals: list[tuple[float, str, float, bool]], starts: list[tuple[str, float]]
) -> ls.Results:
    """On the default path the attempts start at ``starts``; the stepwise and traced runs agree."""
    parking.parked = 0
    results, log, outcomes = tie_run(arrivals)
    assert parking.parked >= 1  # the default path parked the backed-off event
    assert log == starts
    for parked, trace in ((False, False), (True, True), (False, True)):
        other, other_log, other_outcomes = tie_run(arrivals, parked=parked, trace=trace)
        assert other_log == log and other_outcomes.rows == outcomes.rows
        assert other.to_dict() == results.to_dict()
        if trace:  # the trace (stepwise) tells the same attempt starts
            assert other.trace is not None
            ran = [t.start for t in other.trace if t.kind in ("Success", "Error", "Timeout")]
            assert sorted(ran) == sorted(start for _name, start in log)
    return results


def test_an_attempt_ending_at_a_retry_frees_the_slot_for_it(parking: Parking) -> None:
    """(a) B, throttled at 0 s, tries again at 1 s, when C's attempt ends: C's end comes first (though scheduled
    after B's try), so B runs at 1 s."""
    arrivals = [(0.0, "A", 0.5, False), (0.0, "B", 2.0, False), (0.5, "C", 0.5, False)]
    results = assert_tie(parking, arrivals, [("A", 0.0), ("C", 0.5), ("B", 1.0)])
    assert results.functions["f"]["throttles"] == 1


def test_a_new_event_at_a_retry_takes_the_free_slot_first(parking: Parking) -> None:
    """(b) The slot is free at 1 s, when B is back from its backoff and C arrives: C (polled then) gets it, B is
    throttled again and runs at 3 s, after C's attempt ends at 2.5 s."""
    arrivals = [(0.0, "A", 0.5, False), (0.0, "B", 1.0, False), (1.0, "C", 1.5, False)]
    results = assert_tie(parking, arrivals, [("A", 0.0), ("C", 1.0), ("B", 3.0)])
    assert results.functions["f"]["throttles"] == 2


def test_backed_off_events_due_together_go_in_order_of_acceptance(parking: Parking) -> None:
    """(c) B (accepted at 0 s) and C (at 1 s) are both due at 64 s when X's attempt ends: B's try was scheduled at
    63 s (its first throttle after a function-error retry), C's at 32 s, yet B, accepted first, gets the slot."""
    arrivals = [
        (0.0, "B", 3.0, True),  # runs 0-3 s, fails: retried at 63 s, throttled (X runs), due again at 64 s
        (1.0, "C", 1.0, False),  # throttled at 1, 2, 4, 8, 16, 32 s: due at 64 s
        (3.0, "X", 61.0, False),  # takes the slot at 3 s, when B's attempt ends, until 64 s
    ]
    results = assert_tie(parking, arrivals, [("B", 0.0), ("X", 3.0), ("B", 64.0), ("C", 128.0), ("B", 187.0)])
    assert results.functions["f"]["throttles"] == 8  # C: 1, 2, 4, 8, 16, 32, 64 s; B: 63 s


# -- 7. the end of a run -------------------------------------------------------------------------------------------


def test_a_drained_storm_ends_when_its_last_event_does(parking: Parking) -> None:
    """With the default maximum age of 6 h, the run ends at the last outcome, on both paths: no tick outlives it."""

    def scenario(ctx: Ctx) -> None:
        reserved_function(ctx)
        storm(ctx, stop_s=300.0)

    run = both(scenario, parking)
    assert run.parking.caught_up > 5_000
    assert run.results["now_s"] == max(row[3] for row in run.outcomes) < 3_600.0


def test_six_hours_behind_a_blocked_pool(parking: Parking) -> None:
    """Reserved 1 and 900 s attempts back to back for over 6 h: events accepted at 0 s that never run are throttled
    80 times in a row (at 0, 1, 3 ... 511, 811 ... 21,511 s, the last lane a backlog has) and dropped at 21,511 s,
    found by a tick between two attempt ends 900 s apart."""

    def scenario(ctx: Ctx) -> None:
        dlq = ctx.queue("dlq")
        ctx.lam.create_function(FunctionName="f", Duration=900.0, Timeout=900, DeadLetterConfig={"TargetArn": dlq})
        ctx.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
        Replay(function="f", times_s=[0.0] * 30 + [float(t) for t in range(1, 600, 7)]).attach(ctx.sim)

    run = both(scenario, parking)
    assert run.parking.caught_up > 5_000
    aged = [row for row in run.outcomes if row[2] == "EventAgeExceeded"]
    assert len(aged) > 50 and (aged[0][3], aged[0][4]) == (21_511.0, 0)
    assert run.results["now_s"] == max(row[3] for row in run.outcomes) > 21_600.0  # no tick outlives the events


def test_a_tie_made_by_rounding_in_a_late_catch_up_keeps_order_and_never_goes_back_in_time() -> None:
    # Two parked events whose tries differ by one unit in the last place: 2 - 2**-52 and 2.0 s, the later try the
    # event accepted first (the smaller uid). The next backoff (2 s) rounds both to exactly 4.0 s, a tie now in the
    # wrong order by uid. A catch-up to 5 s (the pool full since) finds that try in the past: it was a throttle, to
    # be counted and backed off again in uid order (as SimPy's queue would have ordered the two tries), not an entry
    # put on the queue at 4 s when the clock reads 5 s.
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=ls.dist.Constant(1.0)), Timeout=60)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    engine = sim.engine
    fs = engine.functions["f"]
    later = new_event(fs, 11, None, 0.0, fs.latest)
    first = new_event(fs, 10, None, 0.0, fs.latest)
    assert first.uid < later.uid
    assert (2.0 - 2.0**-52) + 2.0 == 2.0 + 2.0  # the rounding the test is about
    for ev in (later, first):
        ev.status = 429
        ev.throttles = 1
    fs.backlog.park(later, 2.0 - 2.0**-52)
    fs.backlog.park(first, 2.0)
    sim.env.step_to(5.0)
    fs.backlog.catch_up(5.0)
    assert all(entry[0] >= 5.0 for entry in engine._queue)
    assert [ev.uid for ev in fs.backlog.lanes[3]] == [first.uid, later.uid]  # both at 8 s, in uid order
    assert first.due == later.due == 8.0
    assert fs.backlog.first is first and fs.backlog.count == 2
    assert fs.stats.throttles[ThrottleReason.RESERVED] == 4  # at 2 - 2**-52, 2.0 and twice at 4.0 s
