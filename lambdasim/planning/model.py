"""The Pythonic door: frozen, validated configuration objects that build a :class:`~lambdasim.Simulation`.

Everything here is built through the boto3-shaped door, so both doors drive one model: a function configured here
is visible to ``sim.client("lambda")`` and the other way round.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, EventInvoke, Model
>>> from lambdasim.planning.workload import Poisson
>>> model = Model(
...     functions=[Function(name="orders", behaviour=ls.Behaviour(duration=0.2), reserved_concurrency=5,
...                         event_invoke=EventInvoke(maximum_retry_attempts=1))],
...     workloads=[Poisson(function="orders", rate_per_s=10, stop_s=60)],
... )
>>> results = model.run(seed=1)
>>> results.functions["orders"]["outcomes"]["Success"] == results.functions["orders"]["async_events_received"]
True
>>> import attrs
>>> bigger = attrs.evolve(model, concurrency_limit=2000)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
from attrs import field, frozen

from lambdasim.aws.account import ServiceError
from lambdasim.aws.arn import LATEST, service_of
from lambdasim.aws.lambda_.runtimes import runtime_problem
from lambdasim.core._validators import in_range, lambda_function_name, non_empty_text, one_of, real, short_repr
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.dist import Distribution, as_distribution
from lambdasim.core.handler import is_handler
from lambdasim.core.limits import MAX_TIME_S, check_run_size
from lambdasim.core.rules import MAX_MAXIMUM_EVENT_AGE_S, MIN_MAXIMUM_EVENT_AGE_S, MIN_UNRESERVED_CONCURRENCY
from lambdasim.core.settings import Settings
from lambdasim.planning.rules import PutEvents, Rule
from lambdasim.planning.sources import Bucket, EventSourceMapping, PutObjects, Queue, SendMessages
from lambdasim.planning.streams import PutRecords, Stream, StreamEventSourceMapping
from lambdasim.planning.topics import PublishMessages, Topic

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.results import Results


@runtime_checkable
class Workload(Protocol):
    """Anything that schedules invocations on a simulation (see :mod:`lambdasim.planning.workload`)."""

    def attach(self, sim: Simulation) -> None:
        """Schedule this workload's invocations on ``sim``."""


def _duration(value: object) -> Distribution | None:
    return None if value is None else as_distribution("duration", value)


def _init_duration(value: object) -> Distribution | None:
    return None if value is None else as_distribution("init_duration", value)


def _optional_arn(_instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or service_of(value) is None:
        error = TypeError if not isinstance(value, str) else ValueError
        raise error(
            f"{attribute.name} must be an ARN such as 'arn:aws:sqs:us-east-1:123456789012:failed', or None, "
            f"got {short_repr(value)}"
        )


def _expected(workload: Any, horizon_s: float | None) -> float:
    """About how many invokes ``workload`` makes before ``horizon_s`` (0 when it cannot say)."""
    if horizon_s is not None and getattr(workload, "stop_s", 0.0) > horizon_s and attrs.has(type(workload)):
        workload = attrs.evolve(workload, stop_s=max(horizon_s, getattr(workload, "start_s", 0.0)))
    count = getattr(workload, "expected_count", None)
    try:
        return float(count()) if callable(count) else 0.0
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a user's rate function that fails: the run reports it, by name, when it gets there
        return 0.0


def _start(_instance: Any, attribute: Any, value: Any) -> None:
    from lambdasim.aws.simulation import _parse_start

    if not isinstance(value, str):
        raise TypeError(
            f"{attribute.name} must be an ISO 8601 time such as '2026-01-01T00:00:00Z', got {short_repr(value)}"
        )
    _parse_start(value)


def _handler(_instance: Any, attribute: Any, value: Any) -> None:
    if is_handler(value):
        return
    raise TypeError(
        f"{attribute.name} must be a lambdasim.Behaviour, a callable (event, context), an async def handler or a "
        f"'module.function' string, got {short_repr(value)}"
    )


@frozen(kw_only=True)
class EventInvoke:
    """A function's event invoke configuration (``PutFunctionEventInvokeConfig``), in seconds.

    Attributes:
        maximum_retry_attempts: Function-error retries, 0 to 2 (AWS default 2).
        maximum_event_age_s: Oldest an event may get before it is discarded, 60 to 21600 (AWS default 21600).
        on_success: Destination ARN for successful events, or ``None``.
        on_failure: Destination ARN for discarded events, or ``None``.
    """

    maximum_retry_attempts: int = field(default=2, validator=in_range(0, 2, integer=True))
    maximum_event_age_s: int = field(
        default=MAX_MAXIMUM_EVENT_AGE_S,
        validator=in_range(MIN_MAXIMUM_EVENT_AGE_S, MAX_MAXIMUM_EVENT_AGE_S, integer=True),
    )
    on_success: str | None = field(default=None, validator=_optional_arn)
    on_failure: str | None = field(default=None, validator=_optional_arn)

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of ``put_function_event_invoke_config``."""
        destinations: dict[str, Any] = {}
        if self.on_success:
            destinations["OnSuccess"] = {"Destination": self.on_success}
        if self.on_failure:
            destinations["OnFailure"] = {"Destination": self.on_failure}
        out: dict[str, Any] = {
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": self.maximum_event_age_s,
        }
        if destinations:
            out["DestinationConfig"] = destinations
        return out


TIMEOUT_WARNING_SHARE = 0.01
"""Warn before a run when more than this share of a function's durations exceeds its timeout (1%)."""


class TimeoutTruncationWarning(UserWarning):
    """A function's timeout cuts off a material share of its duration distribution: those attempts time out
    (function errors, retried) instead of running their course. Often AWS's default 3 s timeout, left in place."""


@frozen(kw_only=True)
class Function:
    """One Lambda function, with what it does and how it is configured. Times in seconds.

    Attributes:
        name: The function name.
        behaviour: What it does: a :class:`~lambdasim.Behaviour`, a handler callable or ``"module.function"``.
        duration: Seconds per invocation for a plain handler (a number or a distribution); ``None`` for a
            Behaviour, which carries its own.
        init_duration: Cold-start init time (``None``: the settings' default).
        timeout_s: The function timeout, 1 to 900 (AWS default 3).
        memory_mb: Memory, 128 to 10240 MB.
        architecture: ``"x86_64"`` or ``"arm64"``.
        reserved_concurrency: Reserved concurrency, or ``None`` for the unreserved pool.
        event_invoke: Retry and age settings and destinations (``None``: AWS defaults).
        dead_letter_arn: SQS queue or SNS topic ARN for the dead-letter queue, or ``None``.
        alias: If given, version 1 is published and this alias points at it; workloads invoke it as
            ``"name:alias"``, with the same event invoke settings as the unqualified function.
        provisioned_concurrency: Provisioned concurrency (>= 1) on ``alias``, which it needs: AWS sets it on
            versions and aliases, never ``$LATEST``. It counts against ``reserved_concurrency`` when both are set.
        alias_routing: The share (0 to 1, exclusive) of the alias's invocations routed to a version 2, published
            with the same code and configuration as version 1 (a weighted alias, as in a canary deployment);
            needs ``alias``. ``None``: all go to version 1.
        runtime: The runtime (``"python3.12"``, ...), checked as ``CreateFunction`` checks it; ``None``: Lambda's
            default here, ``python3.12``. The behaviour, not the runtime, decides what an invocation does.
    """

    name: str = field(validator=lambda_function_name)
    behaviour: Any = field(default=None, validator=_handler)
    duration: Distribution | None = field(default=None, converter=_duration)
    init_duration: Distribution | None = field(default=None, converter=_init_duration)
    timeout_s: int = field(default=3, validator=in_range(1, 900, integer=True))
    memory_mb: int = field(default=128, validator=in_range(128, 10240, integer=True))
    architecture: str = field(default="x86_64", validator=one_of("x86_64", "arm64"))
    reserved_concurrency: int | None = field(default=None, validator=in_range(0, integer=True, optional=True))
    event_invoke: EventInvoke | None = field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(EventInvoke))
    )
    dead_letter_arn: str | None = field(default=None, validator=_optional_arn)
    alias: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))
    provisioned_concurrency: int | None = field(default=None, validator=in_range(1, integer=True, optional=True))
    alias_routing: float | None = field(
        default=None, validator=in_range(0.0, 1.0, low_open=True, high_open=True, optional=True)
    )
    runtime: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))

    def __attrs_post_init__(self) -> None:
        if self.alias_routing is not None and self.alias is None:
            raise ValueError(
                f"function {self.name!r}: alias_routing={self.alias_routing} needs an alias (a weighted alias routes "
                "between two versions), e.g. alias='live'"
            )
        if isinstance(self.behaviour, Behaviour) and self.duration is not None:
            raise ValueError(f"function {self.name!r}: give duration either in the Behaviour or as duration, not both")
        if self.provisioned_concurrency is not None and self.alias is None:
            raise ValueError(
                f"function {self.name!r}: provisioned_concurrency={self.provisioned_concurrency} needs an alias "
                "(AWS sets it on versions and aliases, never $LATEST), e.g. alias='live'"
            )
        if (
            self.provisioned_concurrency is not None
            and self.reserved_concurrency is not None
            and self.provisioned_concurrency > self.reserved_concurrency
        ):
            raise ValueError(
                f"function {self.name!r}: provisioned_concurrency must be <= reserved_concurrency "
                f"({self.reserved_concurrency}), got {self.provisioned_concurrency}"
            )

    def timeout_share(self) -> float:
        """The share of this function's durations longer than its timeout (``nan`` when the duration is not a
        distribution lambdasim knows: a plain handler without ``duration``)."""
        duration = self.behaviour.duration if isinstance(self.behaviour, Behaviour) else self.duration
        return math.nan if duration is None else duration.exceeds(float(self.timeout_s))

    def create(self, sim: Simulation) -> None:
        """Create this function on ``sim`` through the Lambda backend, as a template would: the same state, and
        AWS's own checks, that ``CreateFunction`` and the calls after it give (refusals as ``ValueError``)."""
        backend = sim.services.lambda_
        spec: dict[str, Any] = {
            "FunctionName": self.name,
            "Handler": self.behaviour,
            "Timeout": self.timeout_s,
            "MemorySize": self.memory_mb,
            "Architectures": [self.architecture],
        }
        if self.duration is not None:
            spec["Duration"] = self.duration
        if self.init_duration is not None:
            spec["InitDuration"] = self.init_duration
        if self.dead_letter_arn is not None:
            spec["DeadLetterConfig"] = {"TargetArn": self.dead_letter_arn}
        if self.runtime is not None:
            spec["Runtime"] = self.runtime
        field = "runtime" if self.runtime is not None and runtime_problem(self.runtime) else None
        try:
            rec = backend.create_function(spec)
            field = "reserved_concurrency"
            if self.reserved_concurrency is not None:
                backend.put_function_concurrency(rec, self.reserved_concurrency)
            field = "event_invoke"
            if self.event_invoke is not None:
                backend.put_event_invoke_config(rec, LATEST, self.event_invoke.to_api())
            field = "alias"
            if self.alias is not None:
                version = backend.publish_version(rec)
                routing = None
                if self.alias_routing is not None:
                    field = "alias_routing"
                    # The same code and configuration again (a template's two versions run the one behaviour):
                    # Lambda publishes a second version only after a change, so mark $LATEST changed.
                    backend.changed(rec)
                    second = backend.publish_version(rec, description="routed")
                    routing = {"AdditionalVersionWeights": {second: self.alias_routing}}
                    field = "alias"
                backend.create_alias(rec, self.alias, version, routing=routing)
                field = "event_invoke"
                if self.event_invoke is not None:  # a qualifier has its own config: the alias gets the same
                    backend.put_event_invoke_config(rec, self.alias, self.event_invoke.to_api())
                field = "provisioned_concurrency"
                if self.provisioned_concurrency is not None:
                    backend.put_provisioned_concurrency(rec, self.alias, self.provisioned_concurrency)
        except ServiceError as exc:
            raise FunctionRefusedError(self.name, field, exc.code, exc.message) from None


class FunctionRefusedError(ValueError):
    """Lambda refused a :class:`Function` as configured (AWS's checks, run by :meth:`Function.create`).

    Attributes:
        function: The function's name.
        field: The attribute whose setting was refused (``None``: the function itself).
        code: AWS's error code, such as ``InvalidParameterValueException``.
        message: AWS's message.
    """

    def __init__(self, function: str, field: str | None, code: str, message: str) -> None:
        where = f"function {function!r}" + (f", {field}" if field else "")
        super().__init__(f"{where}: {code}: {message}")
        self.function = function
        self.field = field
        self.code = code
        self.message = message


def _creation_order(functions: Sequence[Function]) -> list[Function]:
    """The functions in the order :meth:`Model.build` creates them: a Lambda destination before the functions that
    name it (the Lambda API refuses a destination function that does not exist yet), otherwise as given."""
    by_name = {f.name: f for f in functions}
    ordered: dict[str, Function] = {}

    def visit(f: Function, visiting: frozenset[str]) -> None:
        if f.name in ordered or f.name in visiting:  # done, or a cycle, which the Lambda API refuses anyway
            return
        for arn in (f.event_invoke.on_success, f.event_invoke.on_failure) if f.event_invoke else ():
            parts = (arn or "").split(":")
            if len(parts) > 6 and parts[2] == "lambda" and parts[6] in by_name:
                visit(by_name[parts[6]], visiting | {f.name})
        ordered[f.name] = f

    for f in functions:
        visit(f, frozenset())
    return list(ordered.values())


def _functions(value: Sequence[Function]) -> tuple[Function, ...]:
    items = tuple(value)
    for f in items:
        if not isinstance(f, Function):
            raise TypeError(f"functions must hold lambdasim.model.Function objects, got {f!r}")
    names = [f.name for f in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"functions must have unique names, got duplicates {dupes}")
    return items


def _of(kind: type, what: str, value: Sequence[Any]) -> tuple[Any, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise TypeError(f"{what} must hold lambdasim {kind.__name__} objects, got {item!r}")
    return items


def _queues(value: Sequence[Queue]) -> tuple[Queue, ...]:
    return _of(Queue, "queues", value)


def _mappings(
    value: Sequence[EventSourceMapping | StreamEventSourceMapping],
) -> tuple[EventSourceMapping | StreamEventSourceMapping, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, EventSourceMapping | StreamEventSourceMapping):
            raise TypeError(
                "event_source_mappings must hold lambdasim EventSourceMapping (queues) or StreamEventSourceMapping "
                f"(streams) objects, got {item!r}"
            )
    return items


def _streams(value: Sequence[Stream]) -> tuple[Stream, ...]:
    return _of(Stream, "streams", value)


def _buckets(value: Sequence[Bucket]) -> tuple[Bucket, ...]:
    return _of(Bucket, "buckets", value)


def _topics(value: Sequence[Topic]) -> tuple[Topic, ...]:
    return _of(Topic, "topics", value)


def _rules(value: Sequence[Rule]) -> tuple[Rule, ...]:
    return _of(Rule, "rules", value)


def _workloads(value: Sequence[Workload]) -> tuple[Workload, ...]:
    items = tuple(value)
    for w in items:
        if not isinstance(w, Workload):
            raise TypeError(f"workloads must have an attach(sim) method, got {w!r}")
    return items


@frozen(kw_only=True)
class Model:
    """A whole scenario: functions, workloads, account and model settings, and how long to run.

    Attributes:
        functions: The functions.
        workloads: What invokes them.
        settings: The model's settings (:class:`~lambdasim.Settings`).
        concurrency_limit: The account's concurrency (>= 100).
        horizon_s: Run until this time; ``None`` runs until nothing is left to do.
        trace: Keep per-attempt traces.
        warmup_s: Statistics cover ``[warmup_s, horizon_s]`` only: counts, distributions and time averages
            observed before are forgotten (the transient of a queue that starts empty). Default 0 s.
        start: The wall-clock time of simulated time 0 (ISO 8601, UTC): where ``cron`` schedules and daily cycles
            stand at the start of the run.
        queues: SQS queues (:class:`~lambdasim.planning.sources.Queue`), with their dead-letter queues.
        event_source_mappings: Pollers reading a queue (:class:`~lambdasim.planning.sources.EventSourceMapping`) or
            a stream (:class:`~lambdasim.planning.streams.StreamEventSourceMapping`) into a function.
        streams: Kinesis data streams and DynamoDB table streams (:class:`~lambdasim.planning.streams.Stream`).
        buckets: S3 buckets and their event notifications (:class:`~lambdasim.planning.sources.Bucket`).
        topics: SNS topics and their subscriptions (:class:`~lambdasim.planning.topics.Topic`).
        rules: EventBridge rules, scheduled or matching events, and their targets
            (:class:`~lambdasim.planning.rules.Rule`).
    """

    functions: tuple[Function, ...] = field(converter=_functions)
    workloads: tuple[Workload, ...] = field(default=(), converter=_workloads)
    settings: Settings = field(factory=Settings, validator=attrs.validators.instance_of(Settings))
    concurrency_limit: int = field(default=1000, validator=in_range(MIN_UNRESERVED_CONCURRENCY, integer=True))
    horizon_s: float | None = field(default=None, validator=in_range(0.0, MAX_TIME_S, low_open=True, optional=True))
    trace: bool = field(default=False, validator=attrs.validators.instance_of(bool))
    warmup_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    start: str = field(default="2026-01-01T00:00:00Z", validator=_start)
    queues: tuple[Queue, ...] = field(default=(), converter=_queues)
    event_source_mappings: tuple[EventSourceMapping | StreamEventSourceMapping, ...] = field(
        default=(), converter=_mappings
    )
    buckets: tuple[Bucket, ...] = field(default=(), converter=_buckets)
    topics: tuple[Topic, ...] = field(default=(), converter=_topics)
    rules: tuple[Rule, ...] = field(default=(), converter=_rules)
    streams: tuple[Stream, ...] = field(default=(), converter=_streams)

    def __attrs_post_init__(self) -> None:
        by_name = {f.name: f for f in self.functions}
        _check_sources(self, by_name)
        for w in self.workloads:
            target = getattr(w, "function", None)
            if target is None:
                continue
            name, _, qualifier = target.partition(":")
            if name not in by_name:
                raise ValueError(f"workload {w!r} invokes {target!r}, which is not among functions {sorted(by_name)}")
            alias = by_name[name].alias
            routed = ("2",) if by_name[name].alias_routing is not None else ()
            known = ["$LATEST", *(("1", *routed, alias) if alias else ())]
            if qualifier and qualifier not in known:
                raise ValueError(f"workload {w!r} invokes {target!r}, but function {name!r} has qualifiers {known}")
        # Two random workloads with one stream would draw identical arrivals: ask for distinct names.
        streams: dict[tuple[str, str], Workload] = {}
        for w in self.workloads:
            if not getattr(w, "random", False):
                continue
            key = (getattr(w, "function", ""), getattr(w, "name", ""))
            if key in streams:
                raise ValueError(
                    f"workloads {streams[key]!r} and {w!r} share the random stream 'arrivals:{key[1]}' of function "
                    f"{key[0]!r}; give them different names"
                )
            streams[key] = w
        if self.horizon_s is not None and self.warmup_s >= self.horizon_s:
            raise ValueError(f"warmup_s must be < horizon_s = {self.horizon_s!r}, got {self.warmup_s!r}")

    def timeout_warnings(self) -> list[str]:
        """One message per function whose timeout cuts off more than :data:`TIMEOUT_WARNING_SHARE` of its
        durations (what :meth:`build` warns about, as :class:`TimeoutTruncationWarning`, before anything runs)."""
        out = []
        for f in self.functions:
            share = f.timeout_share()
            if share > TIMEOUT_WARNING_SHARE:
                out.append(
                    f"function {f.name!r}: timeout_s = {f.timeout_s} cuts off {share:.1%} of its durations: those "
                    "attempts time out and are retried as function errors. Raise timeout_s if the handler really "
                    "runs that long (AWS's default is 3 s; the most is 900 s)."
                )
        return out

    def function(self, name: str) -> Function:
        """The function called ``name``."""
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(f"no function {name!r}; functions: {[f.name for f in self.functions]}")

    def build(self, seed: int) -> Simulation:
        """A new simulation with everything created and every workload attached, at time 0.

        Warns (:class:`TimeoutTruncationWarning`) first if a timeout cuts off a material share of a duration
        distribution (:meth:`timeout_warnings`).
        """
        from lambdasim.aws.simulation import Simulation

        for message in self.timeout_warnings():
            warnings.warn(message, TimeoutTruncationWarning, stacklevel=3)

        sim = Simulation(
            seed=seed,
            start=self.start,
            settings=self.settings,
            concurrency_limit=self.concurrency_limit,
            trace=self.trace,
        )
        for q in _queue_order(self.queues):
            q.create(sim)
        for s in self.streams:
            s.create(sim)
        for f in _creation_order(self.functions):
            f.create(sim)
        for t in self.topics:
            t.create(sim)
        streams = {s.name: s for s in self.streams}
        for m in self.event_source_mappings:
            if isinstance(m, StreamEventSourceMapping):
                m.create(sim, streams[m.stream])
            else:
                m.create(sim)
        for b in self.buckets:
            b.create(sim)
        for r in self.rules:
            r.create(sim)
        check_run_size(sum(_expected(w, self.horizon_s) for w in self.workloads))
        for w in self.workloads:
            w.attach(sim)
        if self.warmup_s > 0:
            sim.engine.reset_statistics(at=self.warmup_s)
        return sim

    def run(self, seed: int, *, progress: bool | None = None) -> Results:
        """Build and run to the horizon (after the warm-up, if any, statistics start afresh).

        ``progress``: a progress bar over simulated time (``None``: only in notebooks and terminals; needs tqdm and
        a horizon). Running in steps changes nothing in the results.
        """
        sim = self.build(seed)
        horizon = self.horizon_s
        if horizon is None:
            return sim.run()
        from lambdasim.planning._progress import progress_bar, run_with_progress

        bar = progress_bar(horizon, progress=progress, desc="simulated s", unit="s")
        try:
            return run_with_progress(sim, horizon, bar)
        finally:
            if bar is not None:
                bar.close()


def _queue_order(queues: Sequence[Queue]) -> list[Queue]:
    """The queues in the order :meth:`Model.build` creates them: a dead-letter queue that is a queue of the model
    before the queues that name it (``RedrivePolicy`` needs it to exist), otherwise as given."""
    by_name = {q.name: q for q in queues}
    ordered: dict[str, Queue] = {}

    def visit(q: Queue, visiting: frozenset[str]) -> None:
        if q.name in ordered or q.name in visiting:
            return
        dlq = q.dead_letter_queue if q.max_receive_count is not None else None
        if dlq is not None and dlq in by_name:
            visit(by_name[dlq], visiting | {q.name})
        ordered[q.name] = q

    for q in queues:
        visit(q, frozenset())
    return list(ordered.values())


def _check_sources(model: Model, functions: dict[str, Function]) -> None:
    """The queues, mappings, buckets, topics, rules and the workloads that feed them name what the model has."""
    queues = {q.name: q for q in model.queues}
    # A dead-letter queue named explicitly may be a queue of the model (created with its own settings); the default
    # <name>-dlq is created with the queue, so a queue of the model by that name is a clash.
    names = [q.name for q in model.queues] + [
        d for q in model.queues if (d := q.dlq_name) and not (q.dead_letter_queue is not None and d in queues)
    ]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"queues (with their dead-letter queues) must have unique names, got duplicates {dupes}")
    buckets = [b.name for b in model.buckets]
    if len(set(buckets)) != len(buckets):
        raise ValueError(f"buckets must have unique names, got {buckets}")

    def function(name: str, who: str) -> Function:
        base = name.partition(":")[0]
        if base not in functions:
            raise ValueError(f"{who} names function {name!r}, which is not among functions {sorted(functions)}")
        return functions[base]

    streams = {s.name: s for s in model.streams}
    if len(streams) != len(model.streams):
        raise ValueError(f"streams must have unique names, got {[s.name for s in model.streams]}")
    for m in model.event_source_mappings:
        if isinstance(m, StreamEventSourceMapping):
            _check_stream_mapping(m, streams, queues, function)
            continue
        if m.queue not in queues:
            raise ValueError(
                f"event source mapping names queue {m.queue!r}, which is not among queues {sorted(queues)}"
            )
        f = function(m.function, f"event source mapping of {m.queue!r}")
        vt = queues[m.queue].visibility_timeout_s
        if f.timeout_s > vt:
            raise ValueError(
                f"event source mapping of {m.queue!r}: the queue's visibility_timeout_s ({vt}) must be >= function "
                f"{f.name!r}'s timeout_s ({f.timeout_s}) (AWS's rule; it advises six times the timeout)"
            )
    for b in model.buckets:
        for n in b.notifications:
            if n.function is not None:
                function(n.function, f"bucket {b.name!r}'s notification")
            elif n.queue not in queues:
                raise ValueError(
                    f"bucket {b.name!r} notifies queue {n.queue!r}, which is not among queues {sorted(queues)}"
                )
    for q in model.queues:
        if q.dlq_name == q.name:
            raise ValueError(f"queue {q.name!r} names itself as its dead-letter queue")
    topics = [t.name for t in model.topics]
    if len(set(topics)) != len(topics):
        raise ValueError(f"topics must have unique names, got {topics}")
    for topic in model.topics:
        for s in topic.subscriptions:
            if s.function is not None:
                function(s.function, f"topic {topic.name!r}'s subscription")
            elif s.queue not in queues:
                raise ValueError(
                    f"topic {topic.name!r} subscribes queue {s.queue!r}, which is not among queues {sorted(queues)}"
                )
    rules = [(r.bus, r.name) for r in model.rules]
    if len(set(rules)) != len(rules):
        raise ValueError(f"rules must have unique names on each bus, got {[r.name for r in model.rules]}")
    for r in model.rules:
        for t in r.targets:
            if t.function is not None:
                function(t.function, f"rule {r.name!r}'s target")
            elif t.queue is not None and t.queue not in queues:
                raise ValueError(
                    f"rule {r.name!r} targets queue {t.queue!r}, which is not among queues {sorted(queues)}"
                )
            elif t.topic is not None and t.topic not in topics:
                raise ValueError(f"rule {r.name!r} targets topic {t.topic!r}, which is not among topics {topics}")
    for w in model.workloads:
        if isinstance(w, PublishMessages) and w.topic not in topics:
            raise ValueError(f"workload {w!r} publishes to topic {w.topic!r}, which is not among topics {topics}")
        if isinstance(w, PutEvents) and w.bus != "default" and w.bus not in {r.bus for r in model.rules}:
            raise ValueError(f"workload {w!r} puts events on bus {w.bus!r}, which no rule of the model uses")
        if isinstance(w, SendMessages) and w.queue not in queues and w.queue not in names:
            raise ValueError(f"workload {w!r} sends to queue {w.queue!r}, which is not among queues {sorted(queues)}")
        if isinstance(w, PutRecords) and w.stream not in streams:
            raise ValueError(
                f"workload {w!r} writes to stream {w.stream!r}, which is not among streams {sorted(streams)}"
            )
        if isinstance(w, PutObjects) and w.bucket not in buckets:
            raise ValueError(f"workload {w!r} puts into bucket {w.bucket!r}, which is not among buckets {buckets}")


def _check_stream_mapping(
    m: StreamEventSourceMapping,
    streams: dict[str, Stream],
    queues: dict[str, Queue],
    function: Callable[[str, str], Function],
) -> None:
    """A stream mapping names a stream and a function of the model, and an on-failure queue of it (by name)."""
    if m.stream not in streams:
        raise ValueError(
            f"stream event source mapping names stream {m.stream!r}, which is not among streams {sorted(streams)}"
        )
    function(m.function, f"stream event source mapping of {m.stream!r}")
    if streams[m.stream].source == "dynamodb" and m.starting_position == "AT_TIMESTAMP":
        raise ValueError(f"mapping of stream {m.stream!r}: AT_TIMESTAMP is for Kinesis streams only (AWS's rule)")
    if m.on_failure is not None and not m.on_failure.startswith("arn:") and m.on_failure not in queues:
        raise ValueError(
            f"mapping of stream {m.stream!r}: on_failure {m.on_failure!r} is not among queues {sorted(queues)} (give "
            "a queue of the model by name, or an SQS, SNS or S3 ARN)"
        )
