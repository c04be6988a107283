"""``lambdasim.Simulation``: one simulated AWS account and region on one simulated clock."""

from __future__ import annotations

import datetime as _dt
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from lambdasim.aws.account import Services
from lambdasim.aws.destinations import Destinations
from lambdasim.aws.lambda_.packages import CodeProfile
from lambdasim.aws.sqs.stats import event_source_mapping_figures, queue_figures
from lambdasim.core._kernel import Kernel
from lambdasim.core._validators import check_range, check_type
from lambdasim.core.engine import Engine
from lambdasim.core.limits import MAX_TIME_S
from lambdasim.core.outcome import Sink
from lambdasim.core.results import Frozen, Results
from lambdasim.core.rules import MIN_UNRESERVED_CONCURRENCY, Condition
from lambdasim.core.settings import Settings
from lambdasim.core.sinks import Attachment, SinkStats, conditions_of

_weak = weakref.ref  # one lookup less in results(), taken at every clock step

if TYPE_CHECKING:
    from lambdasim.aws._client import BaseClient
    from lambdasim.core.behaviour import Behaviour
    from lambdasim.core.engine import FunctionState
    from lambdasim.core.target import Target

DEFAULT_START = "2026-01-01T00:00:00Z"

_CLIENTS: dict[str, Callable[[Simulation], BaseClient]] = {}


def register_client(service: str, factory: Callable[[Simulation], BaseClient]) -> None:
    """Make ``sim.client(service)`` build clients with ``factory(sim)``."""
    _CLIENTS[service] = factory


def _parse_start(start: str | _dt.datetime) -> _dt.datetime:
    if isinstance(start, _dt.datetime):
        moment = start
    elif isinstance(start, str):
        try:
            moment = _dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"start must be an ISO 8601 time such as {DEFAULT_START!r}, got {start!r}") from None
    else:
        raise TypeError(f"start must be an ISO 8601 string or a datetime, got {start!r} ({type(start).__name__})")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment


class Simulation:
    """A simulated account: functions, their queues and concurrency, on a clock that starts at 0 s.

    Args:
        seed: An integer >= 0 (or ``None`` to draw one; it is recorded in the results either way). Every source of
            randomness gets its own stream from one ``numpy.random.SeedSequence``.
        start: The wall-clock time of simulated time 0 (ISO 8601 or ``datetime``; naive means UTC).
        region: The AWS region in ARNs.
        account_id: The 12-digit account id in ARNs.
        concurrency_limit: The account's concurrent executions (>= 100; AWS's default is 1000).
        settings: The model's choices where AWS publishes nothing (:class:`~lambdasim.core.settings.Settings`).
        trace: Keep a per-attempt trace (opt-in: it grows with the number of events).

    >>> import lambdasim as ls
    >>> sim = ls.Simulation(seed=7)
    >>> sim.now
    0.0
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        start: str | _dt.datetime = DEFAULT_START,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        concurrency_limit: int = 1000,
        settings: Settings | None = None,
        trace: bool = False,
    ) -> None:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
        check_range("seed", seed, 0, integer=True)
        check_range("concurrency_limit", concurrency_limit, MIN_UNRESERVED_CONCURRENCY, integer=True)
        check_type("region", region, str, "a region name such as 'us-east-1'")
        check_type("account_id", account_id, str, "a 12-digit string")
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        if settings is None:
            settings = Settings()
        check_type("settings", settings, Settings, "a lambdasim.Settings")
        check_type("trace", trace, bool, "True or False")
        self.seed: int = seed
        self.start = _parse_start(start)
        self._epoch_s = self.start.timestamp()
        self._horizon_limit_s = self.horizon_limit_s()
        self.region = region
        self.account_id = account_id
        self.settings = settings
        self.env = Kernel()
        self.engine = Engine(
            self.env,
            np.random.SeedSequence(seed),
            settings,
            concurrency_limit=concurrency_limit,
            epoch_s=self.start.timestamp(),
            trace=trace,
        )
        self._clients: dict[str, BaseClient] = {}
        # The simulated SQS, SNS, EventBridge and S3, shared by their clients and Lambda's destinations.
        self.services = Services(self)
        self.destinations = Destinations(self.services)
        self.engine.destinations = self.destinations
        self._sinks: dict[str, Attachment] = {}
        self.engine.statistics_reset_hooks.append(self._reset_sink_statistics)
        self._api_requests = 0
        # The account's Lambda endpoint exists from the start: ``await context.invoke(...)`` in a handler is its
        # Invoke, answered on the simulated clock, however the functions were created (client, model, template).
        self.client("lambda")
        self.running = False
        # Deleted functions, with their configuration when deleted: their events had outcomes, which results keep.
        self._retired: list[tuple[FunctionState, dict[str, Any]]] = []
        # Results handed out and not read yet (Results.deferred): frozen before anything they read changes, through
        # the clock's and the engine's hooks, which are set only while there are some.
        self._pending: list[weakref.ref[Results]] = []
        self._configs_key: tuple[int, int, int] | None = None
        self._reported_states: dict[str, FunctionState] = {}
        self._configs: dict[str, dict[str, Any]] = {}
        self._freeze = self._freeze_results  # the hooks' callable, bound once (results are taken at every step)
        self._capture_cb = self._capture  # what deferred results read from, bound once (as _freeze)
        self._deferred = Results.deferred  # bound once: a classmethod is looked up and bound at every read

    @property
    def now(self) -> float:
        """Simulated seconds since ``start``."""
        return float(self.env.now)

    def client(self, service: str) -> Any:
        """The boto3-shaped client of ``service`` (``"lambda"``, and the services other modules register)."""
        client = self._clients.get(service)  # one look-up for a client made before: scripts ask often
        if client is None:
            if service not in _CLIENTS:
                raise ValueError(f"unknown service {service!r}; lambdasim simulates: {sorted(_CLIENTS)}")
            client = self._clients[service] = _CLIENTS[service](self)
        return client

    def function_state(self, name: str) -> FunctionState:
        """The engine's state of function ``name`` (or ``name:qualifier``), for workloads, faults and sinks.

        Raises ``ValueError`` naming the functions that exist when there is no function ``name``.
        """
        bare = name.partition(":")[0]
        try:
            return self.engine.functions[bare]
        except KeyError:
            raise ValueError(
                f"function {bare!r} does not exist; create it first (functions: {sorted(self.engine.functions)})"
            ) from None

    def configure_function(
        self,
        name: str,
        *,
        duration: Any = None,
        init_duration: Any = None,
        behaviour: Behaviour | None = None,
        cpu_time_scale: float | None = None,
    ) -> None:
        """Say what function ``name``'s code does in simulated time, for code lambdasim is given as a deployment
        package (``Code={"ZipFile": ...}`` or from S3), which says nothing about its duration.

        Give at most one of ``duration`` (seconds per invocation of a plain handler, a number or a
        :mod:`lambdasim.dist` distribution; default 0), ``behaviour`` (a :class:`~lambdasim.Behaviour` run instead
        of the code: required for runtimes other than Python) and ``cpu_time_scale`` (each call takes the CPU time
        it used here times this factor: not repeatable across machines); ``init_duration`` is the cold-start init
        time. It applies when the function is created or its code updated, and to its ``$LATEST`` at once if it
        exists (published versions keep what they were published with). An ``async def`` handler's duration is the
        simulated time it awaits, as always.

        Raises ``ValueError``/``TypeError`` naming the setting when a value is out of range or two are given.
        """
        check_type("name", name, str, "a function name")
        profile = CodeProfile(
            duration=duration, init_duration=init_duration, behaviour=behaviour, cpu_time_scale=cpu_time_scale
        )
        self.services.lambda_.set_profile(name, profile)

    def targeter(self, function: str) -> Callable[[], Target] | None:
        """For ``name:qualifier`` (a version or an alias), a callable giving the target of each invoke, routed
        by the alias's weights as ``Invoke`` would; ``None`` for an unqualified name (the engine's default target).

        Raises ``ValueError`` naming the functions, or the qualifiers, that exist when the function, version or
        alias does not (:meth:`lambdasim.aws.lambda_.backend.LambdaBackend.targeter`).
        """
        return self.services.lambda_.targeter(function)

    def run(self, until: float | None = None) -> Results:
        """Advance the clock to absolute time ``until`` (s), or until nothing is left to do; return the results.

        As in SimPy, the run stops *before* anything scheduled at exactly ``until``: an attempt that ends at
        ``until`` still holds its concurrency when this returns, and completes first when the run resumes. Running
        to ``t1`` and then to ``t2`` gives exactly the same run as running straight to ``t2``.

        An EventBridge scheduled rule that is enabled and has targets (``sim.client("events")``) fires for ever, and
        a CloudWatch alarm is evaluated for ever (``sim.client("cloudwatch").put_metric_alarm``), so while there is
        one, ``until`` is required: without it this raises ``ValueError`` naming the rules or alarms.
        """
        if self.running:
            self._check_not_running("sim.run()")
        env = self.env
        if until is not None:
            # check_range("until", until, self.now, limit), with its cost only for a bad value
            if not ((type(until) is float or type(until) is int) and env.now <= until <= self._horizon_limit_s):
                check_range("until", until, self.now, self._horizon_limit_s)
        else:
            self.services.events.check_run_ends()
            self.services.cloudwatch.check_run_ends()
        self.running = True
        try:
            # Kernel.run: a number runs to it without a stop event left behind, so a run that an interrupt
            # (Ctrl-C) cuts short resumes exactly where it stopped.
            if until is None:
                env.run()
            elif until > env.now:
                # as Kernel.run takes a number (a plain float first: the common case, without a call)
                env.run_to(until if type(until) is float or isinstance(until, int) else float(until))
        finally:
            self.running = False
        return self.results()

    def horizon_limit_s(self) -> float:
        """The latest simulated time a run may reach (s): :data:`~lambdasim.core.limits.MAX_TIME_S`, or less when
        ``start`` is so late that a later time would not be a valid date for the control plane (year 9999)."""
        last = _dt.datetime(9999, 12, 31, tzinfo=_dt.UTC) - self.start
        return min(MAX_TIME_S, last.total_seconds())

    def _check_not_running(self, what: str) -> None:
        if self.running:
            raise RuntimeError(
                f"{what} was called while the simulation is running (from a handler, a sink or a workload "
                "callback): the clock can only be advanced from outside the model; in an async def handler "
                "await context.sleep(...) or context.invoke(...) instead"
            )

    def add_sink(
        self,
        sink: Sink,
        *,
        function: str | None = None,
        conditions: Iterable[Condition | str] | Condition | str | None = None,
        name: str | None = None,
    ) -> Attachment:
        """Send the outcomes of asynchronous events to ``sink`` (anything with ``deliver(outcome)``).

        Args:
            sink: The consumer, called at each outcome's simulated time. Whatever it raises is counted as a failed
                delivery in its statistics, never raised.
            function: Only this function's outcomes (it must exist); ``None`` for every function's.
            conditions: Only these conditions (``"Success"``, ``"RetriesExhausted"``, ``"EventAgeExceeded"``,
                ``"ZeroReservedConcurrency"``, ``"Dropped"``); ``None`` for all.
            name: Its name in the results (default: the sink's class name, numbered if taken).

        Returns:
            The :class:`~lambdasim.core.sinks.Attachment`, whose ``stats`` count what the sink got.
        """
        if not isinstance(sink, Sink):
            raise TypeError(f"sink must have a deliver(outcome) method, got {sink!r} ({type(sink).__name__})")
        if self._pending:
            self._freeze_results()  # results taken so far have no figures of this sink
        if function is not None:
            self.function_state(function)
        wanted = conditions_of(conditions)
        if name is None:
            base = type(sink).__name__
            name = base
            n = 1
            while name in self._sinks:
                n += 1
                name = f"{base}-{n}"
        else:
            check_type("name", name, str, "a name")
            if name in self._sinks:
                raise ValueError(f"name {name!r} is taken by another sink; names in use: {sorted(self._sinks)}")
        attachment = Attachment(sink, name, function=function, conditions=wanted)
        if function is None:
            self.engine.sinks.append(attachment)
        else:
            self.engine.functions[function].sinks.append(attachment)
        self._sinks[name] = attachment
        return attachment

    def _reset_sink_statistics(self, _now: float) -> None:
        """A warm-up ended (``Engine.reset_statistics``): sinks and destinations count afresh, as the functions do."""
        attachments = list(self._sinks.values())
        destinations = self.destinations
        for role in (destinations.on_success, destinations.on_failure, destinations.dead_letter):
            attachments.extend(role.values())
        for attachment in attachments:
            attachment.stats = SinkStats()

    def advance_until(self, event: simpy.Event) -> None:
        """Run until ``event`` has been processed (used by top-level ``RequestResponse`` invokes)."""
        self._check_not_running("a RequestResponse invoke")
        self.running = True
        try:
            self.env.run_until_processed(event)
        finally:
            self.running = False

    def retire(self, state: FunctionState, config: dict[str, Any]) -> None:
        """Function ``state`` was deleted: keep its statistics (and last configuration) in later results."""
        self._retired.append((state, dict(config)))

    def _reported(self) -> dict[str, tuple[FunctionState, dict[str, Any]]]:
        """Every function results report: those that exist, then deleted ones, under their name if no function
        has it now, else as ``"name (deleted)"`` (``"name (deleted 2)"``, ... for later ones)."""
        recs = self.services.lambda_.functions
        out = {name: (fs, recs[name].config if name in recs else {}) for name, fs in self.engine.functions.items()}
        for fs, config in self._retired:
            key, n = fs.name, 1
            while key in out:
                key = f"{fs.name} (deleted)" if n == 1 else f"{fs.name} (deleted {n})"
                n += 1
            out[key] = (fs, config)
        return out

    def results(self) -> Results:
        """The results so far, without advancing the clock. A deleted function's figures stay in them (its events
        had outcomes), under its name, or ``"name (deleted)"`` once a new function has the name.

        Taking them is cheap: their figures are computed when first read, or frozen just before the simulation
        changes (its clock moves, it accepts an event, a limit changes), whichever comes first; either way they are
        the figures as of now (:meth:`lambdasim.core.results.Results.deferred`).
        """
        engine = self.engine
        # Each function's configuration, copied once per change and shared by the results taken since: a
        # configuration changes only by a control-plane call, and every one answers with a request id of its own
        # (new_request_id), whether it succeeds or fails.
        # The functions reported (a deleted one's figures stay: its events had outcomes) and their configurations,
        # recomputed only after a control-plane call: each answers with a request id of its own, and creating or
        # deleting a function changes the counts too.
        key = (self._api_requests, len(self._retired), len(engine.functions))
        if key != self._configs_key:
            reported = self._reported()
            self._configs_key = key
            self._configs = {name: dict(config) for name, (_, config) in reported.items() if config}
            self._reported_states = {name: fs for name, (fs, _) in reported.items()}
        env = self.env
        services = self.services
        results = self._deferred(
            self.seed,
            float(env.now),
            self.settings,
            engine.concurrency_limit,
            self._reported_states,  # shared: replaced above, never changed in place
            self._configs,
            self._epoch_s,
            self._capture_cb,
        )
        if services.sqs.queues:  # what the queues and event source mappings did, as of now
            results.queues = queue_figures(self)
            results.event_source_mappings = event_source_mapping_figures(self)
        if services.kinesis_in_use is not None or services.dynamodb_in_use is not None:
            from lambdasim.aws.kinesis.stats import stream_figures, stream_mapping_figures

            results.streams = stream_figures(self)
            results.stream_mappings = stream_mapping_figures(self)
        if self.running or env.stepping:
            # Taken inside a run (a handler, a sink, a SimPy process): the next step may change anything.
            results.freeze()
            return results
        self._pending.append(_weak(results))
        env.before_run = engine.before_change = self._freeze
        return results

    def _capture(self, now: float, functions: dict[str, FunctionState]) -> Frozen:
        """What deferred results read from the live simulation, unchanged since they were taken at ``now``."""
        self.engine.settle()  # count the throttles of parked events (lambdasim.core.backlog)
        trace = self.engine.trace
        return (
            None if trace is None else list(trace),
            {name: fs.metrics.snapshot(now) for name, fs in functions.items()},
            self.destinations.to_dict(),
            {name: a.stats.to_dict() for name, a in self._sinks.items()},
        )

    def _freeze_results(self) -> None:
        """The simulation is about to change: freeze the results handed out and not read yet."""
        pending = self._pending
        self._pending = []
        self.env.before_run = self.engine.before_change = None
        for ref in pending:
            results = ref()
            if results is not None:
                results.freeze()

    # -- clock helpers for the clients ------------------------------------------------------------------------

    def moment_now(self) -> _dt.datetime:
        """The simulated now as a UTC ``datetime``: what boto3 gives for timestamp members (``LastModified``)."""
        return self.start + _dt.timedelta(seconds=self.now)

    def last_modified(self) -> str:
        """``LastModified`` as Lambda writes it: ``2026-01-01T00:00:00.000+0000``."""
        moment = self.start + _dt.timedelta(seconds=self.now)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"

    def new_request_id(self) -> str:
        """A request id for a control-plane call (seeded, like every id in a run)."""
        self._api_requests += 1
        return self.engine.request_id((1 << 47) + self._api_requests)

    def __repr__(self) -> str:
        return f"<Simulation seed={self.seed} t={self.now:g}s functions={list(self.services.lambda_.functions)}>"
