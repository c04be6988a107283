"""The SimPy model of Lambda's asynchronous invocation path: queue, pollers, concurrency, attempts and retries.

Design: the hot path is driven by callbacks on SimPy's event queue, never a SimPy process per event. Each queued
event is one small ``__slots__`` object (:class:`AsyncEvent`) that is itself what sits on the queue while it waits
for a poll, an attempt's end or a retry (:class:`Scheduled`: no ``Timeout`` or closure per step); random draws come
from buffered, per-function, per-source streams; statistics are running aggregates (:mod:`lambdasim.core.counters`).
Whatever costs more (outcome objects, traces, request ids) is built only when someone listens.

Speed (``benchmarks/bench_async.py``, ``docs/performance.md``): the environment is a
:class:`~lambdasim.core._kernel.Kernel`, whose ``now`` is a plain attribute (SimPy's is a property, about 70 ns a
call, and an invocation reads the clock some ten times); what this relies on in SimPy is stated and tested there.

Tie-breaking: SimPy processes events scheduled for the same time in the order they were scheduled, so a seeded
run is exactly repeatable. An attempt that ends at time ``t`` releases its concurrency before anything else
scheduled later for ``t`` tries to take it. Events back from a throttle (or 5xx) backoff try last at their instant
(priority :data:`~lambdasim.core.backlog.BACKOFF`), in the order the events were accepted: what else happens at that
instant (attempts ending, new events polled, function-error retries) comes first, whenever it was scheduled. [model]
"""

from __future__ import annotations

import contextlib
import math
import zlib
from collections import deque
from collections.abc import Callable
from functools import partial
from heapq import heappush
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT, Timeout

from lambdasim.core._kernel import Entry, Kernel, QueueItem
from lambdasim.core.async_attempt import AsyncAttempt, new_attempt
from lambdasim.core.backlog import BACKOFF, Backlog
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.billing import billed_ms_of
from lambdasim.core.counters import FunctionStats
from lambdasim.core.dist import Distribution, stream
from lambdasim.core.environments import EnvironmentPool, IdleEntry
from lambdasim.core.faults import OutageTimeline, ServiceFault
from lambdasim.core.handler import (
    RESPONSE_LIMIT_BYTES,
    AttemptLog,
    Context,
    ErrorInfo,
    check_response,
    error_info,
    exit_error,
    fresh,
    is_async,
    new_context,
    resolve,
    timeout_error,
)
from lambdasim.core.metrics import HISTOGRAM_BUFFER, FunctionMetrics
from lambdasim.core.outcome import Outcome, Sink
from lambdasim.core.provisioned import ProvisionedConcurrency
from lambdasim.core.rules import (
    Condition,
    ThrottleReason,
    exceeds_age,
    function_error_retry_delay,
    throttle_backoff,
)
from lambdasim.core.scaling import ScalingBucket
from lambdasim.core.settings import Settings
from lambdasim.core.stats import TALLY_BUFFER
from lambdasim.core.target import (
    KIND_ASYNC,
    KIND_BEHAVIOUR,
    KIND_IMPORT,
    KIND_NONE,
    KIND_PLAIN,
    LATEST,
    FunctionVersion,
    Target,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lambdasim.core.faults import FaultPlan
    from lambdasim.core.host import DestinationRouter

# The engine's sources of randomness: one numpy generator per function and source (common random numbers).
SOURCES = ("duration", "init", "errors", "retry_jitter", "backoff_jitter", "duplicates", "drops", "service_errors")
SERVICE_ERROR_STATUS = 500
TIMED_OUT = "Sandbox.Timedout"
# Lambda limits the init phase to 10 s; an init that needs longer is stopped then and run again at the start of the
# first invoke, within the function's timeout (the "suppressed init"; provisioned environments are exempt).
INIT_LIMIT_S = 10.0
# Enum members the hot path names, as module constants: on Python 3.11 ``Condition.SUCCESS`` is a descriptor call
# on the enum class (about 80 ns), a module global a dict lookup.
_SUCCESS = Condition.SUCCESS
_ACCOUNT = ThrottleReason.ACCOUNT
_RESERVED = ThrottleReason.RESERVED
_SCALING = ThrottleReason.SCALING
# Errors after which Lambda resets the execution environment: its next invoke runs the init phase again
# (a timeout, the runtime exiting, or running out of memory, which kills the runtime).
RESETS = frozenset({TIMED_OUT, "Runtime.ExitError", "Runtime.OutOfMemory"})
# The handlers whose warm attempt an asynchronous poll starts inline (Engine._poll): a Behaviour, an async def.
_INLINE_KINDS = frozenset({KIND_BEHAVIOUR, KIND_ASYNC})

__all__ = ["KIND_ASYNC", "KIND_BEHAVIOUR", "KIND_IMPORT", "KIND_NONE", "KIND_PLAIN", "AsyncEvent", "Engine"]

OnEnd = Callable[[Any, "ErrorInfo | None", Any, float], None]
AttemptLogger = Callable[["FunctionState", Any, "AttemptLog | None", OnEnd, int], tuple["AttemptLog", OnEnd]]
"""What :attr:`Engine.attempt_logger` is: see there."""


class TraceEntry(NamedTuple):
    """One line of an opt-in trace: an attempt that ran, a throttle, or an outcome.

    ``kind`` is ``"Success"``, ``"Error"``, ``"Timeout"``, ``"Throttled"``, ``"ServiceError"`` or ``"Outcome"``;
    ``detail`` is the error type, the throttle reason or the outcome's condition.
    """

    request_id: str
    function_name: str
    attempt: int
    start: float
    end: float
    kind: str
    detail: str


class _Lane:
    """Events scheduled with one and the same delay, of which only the next due sits on SimPy's event queue.

    With a constant delay ``d``, an event scheduled at ``t`` is due at ``t + d``; time never runs backwards (and
    float addition is monotonic), so the events of a lane come due in the order they were scheduled. A lane keeps
    them in a FIFO, each with its due time and the third field of its queue entry (``ev.due``, ``ev.eid``), and
    puts the next one on the queue when the previous one comes due: SimPy pops every event at exactly the same
    point as if all were on its queue, while the queue stays small. Function-error retries (60 s, 120 s) are
    ordered among same-time entries by when they were scheduled (a SimPy event id); throttle backoffs (1, 2, 4 ...
    300 s) by the event's uid, after everything else due then (priority :data:`~lambdasim.core.backlog.BACKOFF`): an
    event that ties with the last one in but belongs before it goes on the queue by itself, which orders it.
    """

    __slots__ = (
        "_queue",
        "busy",
        "delay",
        "last_due",
        "last_order",
        "pending",
        "poll_step",
        "priority",
        "reader_step",
        "retry_step",
    )

    def __init__(self, engine: Engine, delay: float, priority: int) -> None:
        self._queue = engine._queue
        self.delay = delay
        self.priority = priority
        # The events waiting behind the one on the queue, each holding its due time and order (AsyncEvent.due and
        # .eid): a queue entry is built only when it goes on the queue, so the thousands waiting in a storm are
        # not also thousands of long-lived tuples for the garbage collector to traverse, again and again.
        self.pending: deque[AsyncEvent] = deque()
        self.busy = False  # an entry of this lane is on SimPy's queue
        self.last_due = -math.inf  # the key of the last event added
        self.last_order = -1
        # Environment.step calls each callback in turn: first bring the lane's next entry onto the queue.
        self.poll_step = (self.advance, engine._poll)
        self.reader_step = (self.advance, engine._to_reader)
        self.retry_step = (self.advance, engine._retry)

    def add(self, ev: AsyncEvent, due: float, order: int) -> bool:
        """Schedule ``ev`` for ``due`` (the entry ``(due, priority, order, ev)``); False if it must go on the queue
        by itself instead (it ties with the last one added but orders before it: only for uid-ordered lanes)."""
        if due == self.last_due and order < self.last_order:
            return False
        self.last_due = due
        self.last_order = order
        if self.busy:
            ev.due = due
            ev.eid = order
            self.pending.append(ev)
        else:
            self.busy = True
            heappush(self._queue, (due, self.priority, order, ev))
        return True

    def advance(self, _event: object) -> None:
        if self.pending:
            ev = self.pending.popleft()
            heappush(self._queue, (ev.due, self.priority, ev.eid, ev))
        else:
            self.busy = False


class _Deferred(QueueItem):
    """A call made from the kernel's next step (:meth:`Engine.defer_interrupt`)."""

    __slots__ = ("callbacks",)


class Scheduled(QueueItem):
    """Something the engine puts on SimPy's event queue itself, instead of a new ``Timeout`` per step.

    It is a :class:`~lambdasim.core._kernel.QueueItem`: when its time comes, ``Kernel.step`` calls each of
    ``obj.callbacks`` with ``obj``, as for any triggered ``simpy.Event``. An object is on the queue at most once
    at a time, which holds for an event: it waits for a poll, runs an attempt or waits for a retry, one at a time.
    This saves a ``Timeout`` and a ``partial`` or closure per step, about 1 µs of each, measured; same-time ties keep
    SimPy's order (time, priority, then scheduling order).
    """

    __slots__ = ("callbacks", "ending", "environment")
    # What only a synchronous call carries (SyncCall's slots shadow these): read on the hot path without a type test.
    log: AttemptLog | None = None
    client_context: Any = None
    # An attempt's result, held from its start until it ends: (on_end, error, response, duration); None when made.
    ending: tuple[OnEnd, ErrorInfo | None, Any, float] | None
    # The execution environment of the attempt running (set when it starts): its birth time, or its provisioned pool.
    environment: float | ProvisionedConcurrency


class AsyncEvent(Scheduled):
    """One queued event (or one duplicate copy of it): the only per-event object on the hot path.

    ``fs`` is the function (concurrency, environments, statistics); ``target`` is what it was invoked on: the
    version that runs and the qualifier's retry, age and destination settings (``target.max_retry_attempts``,
    ``target.max_event_age_s``, ``target.on_success``, ``target.on_failure``, ``target.dead_letter_arn``).
    """

    __slots__ = (
        "attempts",
        "backlog",
        "due",
        "duration",
        "eid",
        "enqueued_at",
        "error",
        "fs",
        "payload",
        "response",
        "seq",
        "started_at",
        "status",
        "target",
        "throttles",
        "uid",
    )

    # Set only while the event waits in a lane (_Lane.add) or a Backlog, never read before: its due time and the
    # third field of its queue entry.
    due: float
    eid: int
    # Set when a warm Behaviour attempt that will succeed starts inline (Engine._poll, Engine.arrive), or an async
    # def handler's attempt succeeds (Engine._finish_async), for its end (Engine._attempt_succeeded): its duration,
    # with its response in ``response``.
    duration: float
    # Set by new_event, which makes every event: the class has no __init__ of its own (see new_event).
    fs: FunctionState
    target: Target
    seq: int
    uid: int  # unique: seq is, and a duplicate copy adds 1
    backlog: Backlog | None  # the Backlog it is parked in
    payload: Any
    enqueued_at: float
    attempts: int
    throttles: int
    started_at: float
    error: ErrorInfo | None
    response: Any
    status: int


def new_event(fs: FunctionState, seq: int, payload: Any, now: float, target: Target) -> AsyncEvent:
    """The ``seq``-th accepted event, of ``fs`` on ``target``, accepted at ``now``.

    What an ``__init__`` would do: the class has none, so that making one (once per event) is a call of the class
    without a Python ``__init__``, measurably cheaper on CPython 3.11.
    """
    ev = AsyncEvent()
    ev.callbacks = None
    ev.ending = None
    ev.fs = fs
    ev.target = target
    ev.seq = seq
    ev.uid = seq << 1
    ev.backlog = None
    ev.payload = payload
    ev.enqueued_at = now
    ev.attempts = 0
    ev.throttles = 0
    ev.started_at = now
    ev.error = None
    ev.response = None
    ev.status = 200
    return ev


class SyncCall(Scheduled):
    """A ``RequestResponse`` invocation in progress; ``done`` succeeds with ``(error, response)``."""

    __slots__ = ("client_context", "done", "fs", "log", "started_at", "target")

    def __init__(
        self,
        fs: FunctionState,
        done: simpy.Event,
        now: float,
        target: Target,
        log: AttemptLog | None = None,
        client_context: Any = None,
    ) -> None:
        self.callbacks = None
        self.ending = None
        self.fs = fs
        self.target = target
        self.done = done
        self.started_at = now
        self.log = log  # filled for LogType=Tail: the handler's output and the init phase
        self.client_context = client_context  # Invoke's ClientContext, as context.client_context


class FunctionState:
    """The runtime side of one function, shared by all its versions: concurrency, environments, statistics.

    What a version runs (handler, timeout, memory, DLQ) is on :class:`~lambdasim.core.target.FunctionVersion` and the
    per-qualifier settings (retries, maximum age, destinations) on :class:`~lambdasim.core.target.Target`: ``latest``
    is the target of an unqualified invoke, ``latest.version`` the editable ``$LATEST``.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        arn: str,
        *,
        handler: object,
        duration: Distribution,
        init_duration: Distribution,
        timeout_s: float,
        memory_mb: int,
    ) -> None:
        self.engine = engine
        self.name = name
        self.arn = arn
        self.reserved: int | None = None
        self.in_use = 0
        self.deleted = False
        self.sinks: list[Sink] = []
        self.read_queue: deque[AsyncEvent] = deque()
        self.reader_due = False
        self.next_read = 0.0
        self.stats = FunctionStats(engine.env.now)
        self.metrics = FunctionMetrics(engine.settings.metrics_period_s)  # CloudWatch-style, per period
        self._rngs = {src: engine.generator(name, src) for src in SOURCES}
        self.uniform = {src: stream(self._rngs[src].random) for src in SOURCES}
        s = engine.settings
        # Execution environments and the scaling rate (lambdasim.core.environments, lambdasim.core.scaling), provisioned
        # concurrency per qualifier (lambdasim.core.provisioned) and injected faults (lambdasim.core.faults).
        jitter = reuse = active_jitter = None
        if s.idle_timeout_jitter_s:
            jitter = stream(engine.generator(name, "idle_jitter").random)
        if s.active_idle_timeout_s is not None and s.active_idle_timeout_jitter_s:
            active_jitter = stream(engine.generator(name, "active_idle_jitter").random)
        if s.environment_reuse == "mixed" and s.least_recent_reuse_probability:
            reuse_rng, p = engine.generator(name, "reuse"), s.least_recent_reuse_probability
            reuse = stream(lambda n: reuse_rng.geometric(p, n))
        self._pool_args: dict[str, Any] = {
            "idle_timeout_s": s.idle_timeout_s,
            "max_lifetime_s": s.max_environment_lifetime_s,
            "idle_jitter_s": s.idle_timeout_jitter_s,
            "uniform": jitter,
            "reuse": s.environment_reuse,
            "least_recent_probability": s.least_recent_reuse_probability,
            "reuse_gaps": reuse,
            "active_idle_timeout_s": s.active_idle_timeout_s,
            "active_jitter_s": s.active_idle_timeout_jitter_s,
            "active_uniform": active_jitter,
        }
        self.pool = EnvironmentPool(self.stats, **self._pool_args)  # $LATEST's environments
        self.pools: dict[str, EnvironmentPool] = {}  # those of published versions, by version number
        self.stats.environments.append(self.pool)
        self.scaling: ScalingBucket | None = None
        if s.scaling_environments is not None:
            self.scaling = ScalingBucket(s.scaling_environments, s.scaling_period_s, engine.env.now)
        self.provisioned: dict[str | None, ProvisionedConcurrency] = {}  # by qualifier (version or alias)
        self.provisioned_total = 0  # requested over all qualifiers: carved out of the function's concurrency
        # On-demand concurrency of its reserved pool: reserved - provisioned_total (None: the account's pool). Set
        # only by Engine.changing_pools, around every change of either.
        self.on_demand_limit: int | None = None
        self.faults: FaultPlan | None = None
        self.backlog = Backlog(engine, self)  # its events parked while its reserved concurrency is full
        # What _acquire chose for the attempt _run_attempt starts right after it (never across events): an
        # on-demand environment's birth time or a provisioned pool, and whether it runs the init phase first.
        self.chosen: float | ProvisionedConcurrency = 0.0
        self.chosen_init = False
        latest = FunctionVersion(
            self._rngs,
            handler=handler,
            duration=duration,
            init_duration=init_duration,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
        )
        self.latest = Target(self, latest, None, arn, f"{arn}:{LATEST}")

    def set_handler(self, handler: object, duration: Distribution) -> None:
        """Give ``$LATEST`` a new handler (and duration): attempts that start from now on run it."""
        self.latest.version.set_handler(self._rngs, handler, duration)

    def set_init_duration(self, init_duration: Distribution) -> None:
        """Give ``$LATEST`` a new cold-start init time."""
        self.latest.version.set_init_duration(self._rngs, init_duration)

    def generator(self, source: str) -> np.random.Generator:
        """This function's numpy generator for ``source`` (see :data:`SOURCES`)."""
        return self._rngs[source]

    def pool_for(self, version: FunctionVersion) -> EnvironmentPool:
        """The execution environments of ``version``: an environment runs one version's code only."""
        if version is self.latest.version:
            return self.pool
        pool = self.pools.get(version.version)
        if pool is None:
            pool = self.pools[version.version] = EnvironmentPool(self.stats, **self._pool_args)
            self.stats.environments.append(pool)
        return pool


class Engine:
    """Runs every function's asynchronous queue and attempts on one SimPy environment."""

    enters_at_once = True
    """Whether an ``async def`` handler's attempt, started by a poll that is the last thing its step does and with no
    init phase, is entered in that step when its own step would come next (the same run, one step less).
    ``tests/test_held_polls.py`` switches it off to check that (on the class: read when an engine is made)."""

    inline = True
    """Whether the hot path does the common case of an attempt's start and end inline: an asynchronous poll takes
    on-demand concurrency and starts a warm ``Behaviour`` or ``async def`` attempt itself, and the attempt's end
    frees on-demand concurrency, records ``Duration`` and a success nobody listens for itself, instead of calling
    ``_acquire``, ``_run_attempt``, ``_release``, ``FunctionMetrics.async_attempt`` / ``ended`` and ``_finish``
    (which still do everything else: provisioned concurrency, injected faults, logs, traces, outcome listeners, a
    new metrics period). ``tests/test_fast_paths.py`` switches it off to check that the inline copies give the same
    runs as those general methods, bit for bit (on the class: read when an engine is made)."""

    def __init__(
        self,
        env: Kernel,
        seed_sequence: np.random.SeedSequence,
        settings: Settings,
        *,
        concurrency_limit: int,
        epoch_s: float,
        trace: bool = False,
    ) -> None:
        self.env = env
        self.seed_sequence = seed_sequence
        self.settings = settings
        self.epoch_s = epoch_s
        self.concurrency_limit = concurrency_limit
        self.unreserved_limit = concurrency_limit
        self.unreserved_in_use = 0
        self.functions: dict[str, FunctionState] = {}
        self.sinks: list[Sink] = []
        # The built-in destinations and dead-letter queues (lambdasim.aws.destinations), set by the Simulation.
        self.destinations: DestinationRouter | None = None
        self.trace: list[TraceEntry] | None = [] if trace else None
        self.model_invoker: Callable[..., simpy.Event] | None = None
        # Set while the function logs are kept (lambdasim.aws.logs): called as each attempt starts with (function,
        # call, its AttemptLog or None, its on_end, its seq); gives the AttemptLog to fill and the on_end to call.
        self.attempt_logger: AttemptLogger | None = None
        self.statistics_reset_hooks: list[Callable[[float], None]] = []
        # Called, while set, before the engine's state changes outside a run (an event accepted, a limit changed):
        # the Simulation freezes the results it handed out and nobody has read yet (Results.deferred).
        self.before_change: Callable[[], None] | None = None
        # While a workload's arrival step invokes (lambdasim.planning.workload._Arrivals.fire), ``holding`` is set:
        # an Event invoke whose poll would be the very next step is ``held``, and the workload polls it
        # (poll_held) once it has queued its next arrival, in the same step: the order of everything is as if the
        # poll were stepped (nothing else comes between), one step and queue entry less per invocation.
        self.holding = False
        self.held: AsyncEvent | None = None
        self._seq = 0
        state = np.random.SeedSequence(seed_sequence.entropy, spawn_key=(0xFFFF_FFFF,)).generate_state(3)
        self._rid_seq = -1
        self._rid = ""
        self._rid_prefix = f"{int(state[0]):08x}-{int(state[1]) >> 16:04x}-4{int(state[2]) >> 20:03x}"
        self._rid_head = f"{self._rid_prefix}-8000-"
        s = settings
        self._retry_delays = s.retry_delays_s
        self._dispatch = s.dispatch_latency_s
        self._reads_limited = s.poller_read_rate_per_s is not None
        self._duplicate_p = s.duplicate_probability
        self._service_error_p = s.service_error_probability
        self._drop_p = s.drop_probability
        self._backoff_varies = bool(s.throttle_backoff_jitter or s.backlog_backoff_factor)
        # Throttled events may be parked (lambdasim.core.backlog) when nothing optional needs each try stepped: no
        # trace, no drops, no jitter or backlog factor, no read rate (fixed for the run; service errors, provisioned
        # concurrency and the rest are checked when an event is parked).
        self._fast_throttles = not (self._reads_limited or self._drop_p or self._backoff_varies or trace)
        # A workload's event may be started in its arrival's own call (arrive) when nothing delays or copies it on the
        # way to its poll: no dispatch latency, no poller read rate, no duplicates (fixed for the run).
        self._plain_arrivals = not (self._dispatch or self._reads_limited or self._duplicate_p)
        # The throttle backoff of the n-th consecutive throttle, n = 1..61 (index 0 unused): from the 61st on it is
        # the cap (rules.throttle_backoff), so a table lookup replaces a call per throttle.
        self._backoffs = tuple(
            throttle_backoff(max(n, 1), s.throttle_backoff_base_s, s.throttle_backoff_cap_s) for n in range(62)
        )
        # Service errors (HTTP 5xx): the settings' rate and the outages lambdasim.core.faults attaches.
        self.service_faults = bool(s.service_error_probability)
        self.outages: OutageTimeline | None = None
        # The hot path queues its own objects (see Scheduled) with one callbacks tuple per kind of step, built
        # once, instead of a Timeout and a partial per step. It pushes onto SimPy's queue itself, exactly as
        # Environment.schedule(event, NORMAL, delay) does (a heap of (time, priority, event id, event)), without
        # the call; _schedule is that public method for the colder paths.
        self._queue: list[Any] = env.queue
        self._eid: Iterator[int] = env.eids
        self._poll_step = (self._poll_last,)
        # Set while a poll is the last thing its step does (_poll_last, poll_held): an async def handler's attempt
        # it starts, with no init phase, is entered at once instead of in a step of its own (see _drive).
        self._entering = False
        self._to_reader_step = (self._to_reader,)
        self._retry_step = (self._retry,)
        self._end_step = (self._ended,)
        # An asynchronous attempt's end goes straight to _async_ended, which reads its result off the event.
        self._end_async_cb: OnEnd = self._end_async
        self._async_end_step = (self._async_ended,)
        self._succeeded_step = (self._attempt_succeeded,)
        # What every async def attempt is given (_drive), bound once: a bound method is an object made per read.
        self._finish_async_cb = self._finish_async
        self._defer_interrupt_cb = self.defer_interrupt
        # The class's switches, read by every attempt: as instance attributes (set on the class before an engine is
        # made, as the tests do), each read is a plain lookup instead of a miss in the instance's dict first.
        self.inline = type(self).inline
        self.enters_at_once = type(self).enters_at_once
        # Constant-delay schedules (see _Lane), by delay: function-error retries, and backoffs (throttles, 5xx).
        self._lanes: dict[float, _Lane] = {}
        self._backoff_lanes: dict[float, _Lane] = {}
        # Throttled events parked while their pool is full (lambdasim.core.backlog): the account's unreserved pool here,
        # each function's reserved pool on its FunctionState; only when no optional feature needs each try stepped
        # (no trace, drops, jitter, backlog factor or read rate) and no service errors can come (set_service_faults).
        # Events back from a backoff are ordered by uid (AsyncEvent.uid: their order of acceptance) at a tie, not by
        # when they were scheduled: that lets a Backlog count their throttled tries late without changing the run.
        self.account_backlog = Backlog(self, None)

    def _lane(self, delay: float) -> _Lane:
        lane = self._lanes[delay] = _Lane(self, delay, NORMAL)
        return lane

    def _backoff_lane(self, delay: float) -> _Lane:
        lane = self._backoff_lanes[delay] = _Lane(self, delay, BACKOFF)
        return lane

    # -- parked throttles (lambdasim.core.backlog) -----------------------------------------------------------------

    def backlogs(self) -> Iterator[Backlog]:
        yield self.account_backlog
        for fs in self.functions.values():
            yield fs.backlog

    def settle(self) -> None:
        """Count every parked try due before now: call before reading throttle counts during a run."""
        now = self.env.now
        for backlog in self.backlogs():
            if backlog.count:
                backlog.catch_up(now)

    @contextlib.contextmanager
    def changing_pools(self, fs: FunctionState | None = None) -> Iterator[None]:
        """The one hook around any change of a pool's limits or of the rules for its events (reserved or
        provisioned concurrency, deleting a function, maximum event age, service errors).

        Before the change, every parked event (of ``fs``'s pools, or of all) goes back on SimPy's queue, from where
        its tries are stepped one by one: its parked tries were certain throttles only under the old rules
        (:mod:`lambdasim.core.backlog`). After it, the account's unreserved limit is recomputed.
        """
        if self.before_change is not None:
            self.before_change()
        for backlog in (self.account_backlog, fs.backlog) if fs is not None else self.backlogs():
            if backlog.count:
                backlog.release_all()
        yield
        self.unreserved_limit = self.concurrency_limit - self.reserved_total()
        for f in self.functions.values():
            f.on_demand_limit = None if f.reserved is None else f.reserved - f.provisioned_total

    def full_pool(self, fs: FunctionState) -> ThrottleReason | None:
        """Why an on-demand attempt of ``fs`` would be throttled now for lack of concurrency (its reserved pool, or
        the account's unreserved pool, is full), or ``None`` if it has room: the one "pool has room" rule."""
        limit = fs.on_demand_limit
        if limit is None:
            return _ACCOUNT if self.unreserved_in_use >= self.unreserved_limit else None
        return _RESERVED if fs.in_use >= limit else None

    def set_service_faults(self) -> None:
        """Service errors may come from now on (lambdasim.core.faults): a try is no longer a certain throttle."""
        with self.changing_pools():
            self.service_faults = True

    # -- randomness -------------------------------------------------------------------------------------------

    def generator(self, function_name: str, source: str) -> np.random.Generator:
        """A generator keyed by function name and source, independent of creation order (common random numbers).

        ``source`` is any name: the engine's own are :data:`SOURCES`; workloads use ``"arrivals:<name>"``.
        """
        key = (zlib.crc32(function_name.encode()), zlib.crc32(source.encode()))
        return np.random.default_rng(np.random.SeedSequence(self.seed_sequence.entropy, spawn_key=key))

    def request_id(self, seq: int) -> str:
        """The request id of the ``seq``-th accepted invocation: UUID-shaped, unique in the run, seeded.

        The last one written is kept: an invoke answers with its request id, and its attempt, which usually comes
        next, hands the same one to the handler's context.
        """
        if seq == self._rid_seq:
            return self._rid
        if 0 <= seq <= 0xFFFF_FFFF_FFFF:  # the fourth group is then always 8000: written once (_rid_head)
            rid = f"{self._rid_head}{seq:012x}"
        else:
            rid = f"{self._rid_prefix}-{(seq >> 48) & 0xFFFF | 0x8000:04x}-{seq & 0xFFFF_FFFF_FFFF:012x}"
        self._rid_seq = seq
        self._rid = rid
        return rid

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def accept(self, fs: FunctionState, payload: Any, target: Target) -> str:
        """An ``Event`` invoke of ``target`` accepted now: ``enqueue(fs, payload, next_seq(), target)``; returns
        its request id (:meth:`request_id`, its common case inline). One call where a scripted invoke made three."""
        self._seq = seq = self._seq + 1
        self.enqueue(fs, payload, seq, target)
        if seq == self._rid_seq or not 0 <= seq <= 0xFFFF_FFFF_FFFF:
            return self.request_id(seq)
        self._rid_seq = seq
        rid = self._rid = f"{self._rid_head}{seq:012x}"
        return rid

    # -- functions and concurrency ----------------------------------------------------------------------------

    def add(self, fs: FunctionState) -> None:
        self.functions[fs.name] = fs

    def remove(self, name: str) -> None:
        with self.changing_pools(self.functions[name]):  # its provisioned concurrency goes back to the account too
            fs = self.functions.pop(name)
            if fs.reserved is not None:
                self.set_reserved(fs, None)
            fs.deleted = True

    def reserved_total(self, excluding: FunctionState | None = None) -> int:
        """Concurrency carved out of the account's unreserved pool: reserved concurrency, or the provisioned
        concurrency of a function without any (provisioned concurrency counts within reserved concurrency)."""
        return sum(
            f.provisioned_total if f.reserved is None else f.reserved
            for f in self.functions.values()
            if f is not excluding
        )

    def set_reserved(self, fs: FunctionState, reserved: int | None) -> None:
        """Carve ``reserved`` out of the account pool (``None`` returns the function to the unreserved pool)."""
        with self.changing_pools():  # the account's limit changes too
            was_unreserved = fs.reserved is None
            fs.reserved = reserved
            # Attempts in flight move with the function to its new pool.
            if was_unreserved and reserved is not None:
                self.unreserved_in_use -= fs.in_use
            elif not was_unreserved and reserved is None:
                self.unreserved_in_use += fs.in_use

    def _acquire(self, fs: FunctionState, target: Target) -> ThrottleReason | None:
        """Take concurrency and an execution environment for an attempt on ``target`` now, or say why not.

        A free provisioned environment of the qualifier comes first; else on-demand concurrency (reserved, or the
        account's unreserved pool) and the most recently freed idle environment, or a new one within the scaling
        rate. The choice is left in ``fs.chosen`` for :meth:`_run_attempt`, which the caller runs at once.
        """
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        spill = False
        if fs.provisioned:
            pool = fs.provisioned.get(target.qualifier)
            if pool is not None:
                if pool.take():
                    fs.chosen = pool
                    fs.chosen_init = False
                    st.provisioned_invocations += 1
                    st.provisioned_busy.change(now, 1)
                    st.concurrency.change(now, 1)
                    fs.metrics.provisioned(now, pool.busy, pool.allocated, True)
                    return None
                spill = True
        limit = fs.on_demand_limit  # full_pool, inline: the hot path takes it once per attempt
        if limit is None:
            if self.unreserved_in_use >= self.unreserved_limit:
                return _ACCOUNT
        elif fs.in_use >= limit:
            return _RESERVED
        version = target.version
        envs = fs.pool if version is fs.latest.version else fs.pool_for(version)
        entry = envs.take(now)
        if entry is None:
            # Only a new environment uses up scaling rate (per function, all versions); reusing a warm one does not.
            if fs.scaling is not None and not fs.scaling.take(now):
                return _SCALING
            fs.chosen = envs.create(now)
            fs.chosen_init = True
        else:
            fs.chosen = entry[1]
            fs.chosen_init = entry[3]
        if fs.reserved is None:
            self.unreserved_in_use += 1
        fs.in_use += 1
        level = st.concurrency  # st.concurrency.change(now, 1), inline
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        value = level.value = level.value + 1
        if value > level.max:
            level.max = value
        if spill:
            st.provisioned_spillover_invocations += 1
            fs.metrics.spilled_over(now)
        return None

    def _release(self, fs: FunctionState, call: Scheduled, error: ErrorInfo | None) -> None:
        """The attempt of ``call`` ended: free its concurrency and environment (reset after a timeout or crash)."""
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        level = st.concurrency  # st.concurrency.change(now, -1), inline (a level never exceeds its max going down)
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        level.value -= 1
        environment = call.environment  # an execution environment: its birth time, or its provisioned pool
        if isinstance(environment, ProvisionedConcurrency):
            environment.give_back()
            st.provisioned_busy.change(now, -1)
            fs.metrics.provisioned(now, environment.busy, environment.allocated, False)
            st.provisioned_billed_ms += billed_ms_of((now - call.started_at) * 1000.0)  # type: ignore[attr-defined]
            return
        fs.in_use -= 1
        if fs.reserved is None:
            self.unreserved_in_use -= 1
            if self.account_backlog.count:
                self.account_backlog.freed()
        elif fs.backlog.count:
            fs.backlog.freed()
        version = call.target.version  # type: ignore[attr-defined]
        pool = fs.pool if version is fs.latest.version else fs.pool_for(version)
        pool.release(now, environment, error is not None and error[0] in RESETS)

    def _service_error(self, fs: FunctionState, now: float) -> bool:
        """Whether Lambda answers this try with HTTP 5xx: the settings' rate, or an outage (lambdasim.core.faults)."""
        p = self._service_error_p
        if self.outages is not None:
            p = max(p, self.outages.probability(now))
        if fs.faults is not None:
            p = max(p, fs.faults.outages.probability(now))
        return p > 0.0 and fs.uniform["service_errors"]() < p

    # -- the asynchronous path --------------------------------------------------------------------------------

    def enqueue(
        self, fs: FunctionState, payload: Any, seq: int, target: Target | None = None, *, last: bool = False
    ) -> AsyncEvent:
        """Accept an ``Event`` invoke on ``target`` (default: unqualified): queue it and schedule its first poll.

        ``last``: the caller does nothing more in this step that the poll could see (a workload's arrival, which
        only schedules the next one). Then, when the poll would be a certain throttle (the pool full, nothing else
        due before it) it is made at once, without a step of its own: exactly what the step would do.
        """
        if self.before_change is not None:
            self.before_change()
        now = self.env.now  # the clock, without a property call (see the module notes)
        if target is None:
            target = fs.latest
        ev = new_event(fs, seq, payload, now, target)
        st = fs.stats
        st.received += 1
        m = fs.metrics  # m.event_received(now), inline
        i = m._level_index if now < m._edge else m._advance(now)
        d = m.received
        d[i] = d.get(i, 0) + 1
        level = st.queued  # st.queued.change(now, 1), inline
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        value = level.value = level.value + 1
        if value > level.max:
            level.max = value
        queue = self._queue
        # The poll would be next: nothing is due before it would be, at (now, NORMAL, a new event id).
        if last and (not queue or queue[0][0] > now or queue[0][1] > NORMAL):
            limit = fs.on_demand_limit  # self.full_pool(fs), inline
            if limit is None:
                reason = _ACCOUNT if self.unreserved_in_use >= self.unreserved_limit else None
            else:
                reason = _RESERVED if fs.in_use >= limit else None
            if reason is not None and self._parks_at_once(fs, target):
                # A certain throttle, parked at once: what the poll's step would do (the cheapest of the three).
                st.throttles[reason] += 1
                i = m._level_index if now < m._edge else m._advance(now)  # m.throttled(now), inline
                d = m.throttles
                d[i] = d.get(i, 0) + 1
                ev.status = 429
                ev.throttles = 1
                (fs.backlog if reason is _RESERVED else self.account_backlog).park(ev, now + self._backoffs[1])
            elif self.holding and not self._dispatch and not self._reads_limited:
                # Held for the workload to poll once it has queued its next arrival (see holding).
                self.held = ev
            else:
                ev.callbacks = self._to_reader_step if self._reads_limited else self._poll_step  # _schedule_poll
                heappush(queue, (now + self._dispatch, NORMAL, next(self._eid), ev))
        else:
            ev.callbacks = self._to_reader_step if self._reads_limited else self._poll_step  # _schedule_poll
            heappush(queue, (now + self._dispatch, NORMAL, next(self._eid), ev))
        if self._duplicate_p and fs.uniform["duplicates"]() < self._duplicate_p:
            self._duplicate(ev, now)
        return ev

    def _duplicate(self, ev: AsyncEvent, now: float) -> None:
        """Lambda delivers ``ev`` twice (at least once): a copy of it, polled right after it."""
        twin = new_event(ev.fs, ev.seq, ev.payload, now, ev.target)
        twin.uid += 1  # after its original, at a tie
        st = ev.fs.stats
        st.duplicates += 1
        st.queued.change(now, 1)
        self._schedule_poll(twin, self._dispatch)

    def arrive(
        self, fs: FunctionState, payload: Any, next_arrival: Callable[[], Entry | None], _item: object = None
    ) -> None:
        """A workload's ``Event`` invoke of ``fs``'s ``$LATEST`` (its payload within the limit): the whole of its
        arrival's step, which also queues the next arrival (``next_arrival()`` makes its queue entry).

        The same as the workload's general step (``enqueue(last=True)`` while :attr:`holding`, the next arrival
        queued, then :meth:`poll_held`), with its common case inline: the pool has room, nothing else is due at this
        instant, an idle environment is taken, and the handler is a ``Behaviour``. The event is then queued and
        polled at one and the same instant (its queue level goes up and down at once: only its maximum can move) and
        its attempt starts here, as ``_poll`` starts it, with the tests whose outcome is known left out (not
        deleted, room in the pool, age 0, no faults, the unqualified target). ``tests/test_fast_paths.py`` runs it
        against the general step (with :attr:`inline` off) bit for bit. An arrival into a full pool that the general
        step would park at once (a certain throttle, :mod:`lambdasim.core.backlog`) is parked here the same way
        (:meth:`_arrive_parked`).

        The next arrival's entry is made before the poll, as the general step queues it. When it would be the very
        next step of the run (``Kernel.horizon``: before everything on the queue and before the run's stop), it is
        processed here at once, as that step would, in a loop: one queue entry less per arrival.
        """
        env = self.env
        queue = self._queue
        while True:
            now = env.now  # the clock, without a property call (see the module notes)
            entry: IdleEntry | None = None
            parked = False
            limit = fs.on_demand_limit
            if (
                not fs.deleted
                and self.inline
                and self._plain_arrivals
                and not self.service_faults
                and self.before_change is None
                and not fs.provisioned
                and (not queue or queue[0][0] > now or queue[0][1] > NORMAL)
            ):
                if not (self.unreserved_in_use < self.unreserved_limit if limit is None else fs.in_use < limit):
                    # The pool is full: a certain throttle, parked at once when enqueue would park it (its tests, in
                    # _parks_at_once's order, whose outcome is not known here).
                    parked = self._arrive_parked(fs, payload, now, limit)
                elif self.attempt_logger is None and fs.faults is None and fs.latest.version.kind == KIND_BEHAVIOUR:
                    # The poll's environment first (what next_arrival and enqueue do touches no environment): when none
                    # is idle, the general step takes again and finds none, then creates one or is throttled by the
                    # scaling limit.
                    pool = fs.pool
                    idle = pool._idle
                    # pool.take(now), inline when the environment it would take first is alive (it then takes that one)
                    if (
                        idle
                        and not pool._mixed
                        and (now <= pool._quiet_until or pool._busy)
                        and now <= idle[pool._first][0]
                    ):
                        entry = pool._pop()
                        st = fs.stats
                        freed = entry[2]
                        since = st.since
                        st.idle_environment_s += now - (freed if freed > since else since)
                        if entry[3]:
                            st.environments_reinitialised += 1
                        pool._busy += 1
                    else:
                        entry = pool.take(now)
            if parked:
                nxt = next_arrival()  # after the park, as in the general step (a park may queue a tick)
            elif entry is None:
                # A deleted function's invoke is refused (the workload's invoker: nothing to queue); anything else
                # not started or parked here is the general step.
                nxt = next_arrival() if fs.deleted else self._arrive_stepped(fs, payload, next_arrival)
            else:
                nxt = next_arrival()  # before the poll, as in the general step
                # enqueue and _poll with the tests whose outcome is known left out (not deleted, room in the pool,
                # age 0, no faults, the unqualified target, a Behaviour)
                st = fs.stats
                self._seq = seq = self._seq + 1  # next_seq()
                target = fs.latest
                ev = new_event(fs, seq, payload, now, target)
                st.received += 1
                m = fs.metrics  # m.event_received(now), inline
                i = m._level_index if now < m._edge else m._advance(now)
                d = m.received
                d[i] = d.get(i, 0) + 1
                # st.queued.change(now, 1) and, at the same instant, change(now, -1): the area to now, and the
                # maximum. (An empty queue adds no area, however long since its last change: then only the maximum
                # can move.)
                level = st.queued
                value = level.value
                if value:
                    if now != level._since:
                        level._area += value * (now - level._since)
                        level._since = now
                    if value >= level.max:
                        level.max = value + 1
                elif not level.max:
                    level.max = 1
                if fs.reserved is None:
                    self.unreserved_in_use += 1
                fs.in_use += 1
                level = st.concurrency  # st.concurrency.change(now, 1), inline
                if now != level._since:
                    level._area += level.value * (now - level._since)
                    level._since = now
                in_use = level.value = level.value + 1
                if in_use > level.max:
                    level.max = in_use
                ev.attempts = 1
                st.attempts += 1
                tally = st.age_by_attempt[0]  # .add(0.0), inline: polled as it arrived
                buf = tally._buf
                buf.append(0.0)
                if len(buf) >= TALLY_BUFFER:
                    tally._fold()
                # m.async_attempt(now, in use, 0.0), inline while the period's samples exist (as _poll)
                samples = m.event_age.get(i)
                if samples is None:
                    m.async_attempt(now, in_use, 0.0)
                else:
                    d = m.invocations
                    d[i] = d.get(i, 0) + 1
                    m._held = in_use
                    peaks = m.concurrency
                    if in_use > peaks.get(i, 0):
                        peaks[i] = in_use
                    samples.zeros_pending += 1  # Samples.add(0.0), counted (see Samples.zeros_pending)
                if entry[3]:  # an environment reset by a timeout or crash runs its init phase again
                    fs.chosen = entry[1]
                    fs.chosen_init = True
                    self._run_attempt(fs, ev, payload, self._end_async_cb)
                else:  # _run_attempt in a warm environment, inline for a Behaviour (as _poll)
                    st.invocations += 1
                    ev.environment = entry[1]
                    self._start_behaviour(fs, ev, target.version, now)
            if nxt is None:
                return
            horizon = env.horizon
            if horizon is None or not nxt < horizon or (queue and not nxt < queue[0]):
                heappush(queue, nxt)
                return
            # The next arrival is the very next step: as Kernel steps it (the clock to its time, its callbacks taken,
            # then called: this same call).
            env.step_to(nxt[0])
            nxt[3].callbacks = None

    def _arrive_parked(self, fs: FunctionState, payload: Any, now: float, limit: int | None) -> bool:
        """:meth:`arrive` when ``fs``'s pool is full: ``enqueue(last=True)``'s certain throttle, parked at once, inline
        (the caller checked what the general step's tests share: not deleted, nothing else due now, no service
        faults, no provisioned concurrency, no dispatch delay, no duplicates). ``False``: nothing done, the event
        is for the general step (no attempt in the pool to end, a zero reservation, a backoff past its age, or
        throttles stepped one by one)."""
        reserved = fs.reserved
        target = fs.latest
        if limit is None:
            if not self.unreserved_in_use:
                return False
            reason = _ACCOUNT
            backlog = self.account_backlog
        else:
            if not fs.in_use:
                return False
            reason = _RESERVED
            backlog = fs.backlog
        if reserved == 0 or not self._fast_throttles or self._backoffs[1] > target.max_event_age_s:
            return False
        self._seq = seq = self._seq + 1  # next_seq()
        ev = new_event(fs, seq, payload, now, target)
        st = fs.stats
        st.received += 1
        m = fs.metrics  # m.event_received(now) and m.throttled(now), inline: the same period
        i = m._level_index if now < m._edge else m._advance(now)
        d = m.received
        d[i] = d.get(i, 0) + 1
        d = m.throttles
        d[i] = d.get(i, 0) + 1
        level = st.queued  # st.queued.change(now, 1), inline
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        value = level.value = level.value + 1
        if value > level.max:
            level.max = value
        st.throttles[reason] += 1
        ev.status = 429
        ev.throttles = 1
        backlog.park(ev, now + self._backoffs[1])
        return True

    def _arrive_stepped(
        self, fs: FunctionState, payload: Any, next_arrival: Callable[[], Entry | None]
    ) -> Entry | None:
        """:meth:`arrive`'s general step: the invoke while :attr:`holding`, the next arrival's entry made (returned, for
        :meth:`arrive` to queue), then the held poll."""
        self.holding = True
        try:
            self.enqueue(fs, payload, self.next_seq(), None, last=True)
        finally:
            self.holding = False
        nxt = next_arrival()
        if self.held is not None:
            self.poll_held()
        return nxt

    def poll_held(self) -> None:
        """Poll the event ``enqueue`` held (see :attr:`holding`), now."""
        ev = self.held
        assert ev is not None
        self.held = None
        self._entering = self.enters_at_once  # the last thing the arrival's step does
        self._poll(ev)
        self._entering = False

    def _poll_last(self, ev: AsyncEvent, _: object = None) -> None:
        """A poll that is its step's only callback (see :attr:`enters_at_once`)."""
        self._entering = self.enters_at_once
        self._poll(ev)
        self._entering = False

    def _parks_at_once(self, fs: FunctionState, target: Target) -> bool:
        """Whether an event of ``fs`` polled at once, whose pool is full (the caller asked :meth:`full_pool`), would
        be throttled and parked (``_poll``'s tests, in its order, for a new event: not deleted, no zero
        reservation, no service error, no provisioned concurrency, then an attempt in the pool to end)."""
        if self._dispatch or not self._fast_throttles or self.service_faults or fs.provisioned or fs.deleted:
            return False
        reserved = fs.reserved
        in_use = self.unreserved_in_use if reserved is None else fs.in_use
        return in_use > 0 and reserved != 0 and self._backoffs[1] <= target.max_event_age_s

    def _schedule_poll(self, ev: AsyncEvent, delay: float) -> None:
        ev.callbacks = self._to_reader_step if self._reads_limited else self._poll_step
        heappush(self._queue, (self.env.now + delay, NORMAL, next(self._eid), ev))

    def _to_reader(self, ev: AsyncEvent, _: object = None) -> None:
        """With a poller read rate, events wait in the function's FIFO until a poller reads them."""
        fs = ev.fs
        fs.read_queue.append(ev)
        if not fs.reader_due:
            fs.reader_due = True
            Timeout(self.env, max(0.0, fs.next_read - self.env.now)).callbacks.append(partial(self._read, fs))

    def _read(self, fs: FunctionState, _: object = None) -> None:
        ev = fs.read_queue.popleft()
        rate = self.settings.poller_read_rate_per_s
        assert rate is not None
        fs.next_read = self.env.now + 1.0 / rate
        if fs.read_queue:
            Timeout(self.env, 1.0 / rate).callbacks.append(partial(self._read, fs))
        else:
            fs.reader_due = False
        self._poll(ev)

    def _poll(self, ev: AsyncEvent, _: object = None) -> None:
        """A poller takes the event from the queue and tries an attempt."""
        fs = ev.fs
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        if fs.deleted:
            st.queued.change(now, -1)
            self._finish(ev, Condition.DROPPED)
            return
        if fs.reserved == 0:
            st.queued.change(now, -1)
            self._finish(ev, Condition.ZERO_RESERVED_CONCURRENCY)
            return
        if now - ev.enqueued_at > ev.target.max_event_age_s:
            st.queued.change(now, -1)
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        if self.service_faults and self._service_error(fs, now):
            st.service_errors += 1
            self._back_off(ev, SERVICE_ERROR_STATUS, "ServiceError", "ServiceException")
            return
        target = ev.target
        general = fs.provisioned or not self.inline
        if general:
            reason = self._acquire(fs, target)
            chosen = fs.chosen
            cold = fs.chosen_init
        else:
            # self._acquire(fs, target) without provisioned concurrency, inline: once per attempt on the hot path.
            limit = fs.on_demand_limit
            if limit is None:
                reason = _ACCOUNT if self.unreserved_in_use >= self.unreserved_limit else None
            else:
                reason = _RESERVED if fs.in_use >= limit else None
            if reason is None:
                version = target.version
                envs = fs.pool if version is fs.latest.version else fs.pool_for(version)
                entry = envs.take(now)
                if entry is not None:
                    chosen = entry[1]
                    cold = entry[3]
                elif fs.scaling is not None and not fs.scaling.take(now):
                    reason = _SCALING
                else:
                    chosen = envs.create(now)
                    cold = True
            if reason is None:
                if fs.reserved is None:
                    self.unreserved_in_use += 1
                fs.in_use += 1
                level = st.concurrency  # st.concurrency.change(now, 1), inline
                if now != level._since:
                    level._area += level.value * (now - level._since)
                    level._since = now
                value = level.value = level.value + 1
                if value > level.max:
                    level.max = value
        if reason is not None:
            st.throttles[reason] += 1
            m = fs.metrics  # m.throttled(now), inline
            i = m._level_index if now < m._edge else m._advance(now)
            d = m.throttles
            d[i] = d.get(i, 0) + 1
            if not ev.throttles and self._fast_throttles and not self.service_faults and not fs.provisioned:
                # The first throttle in a row, for lack of concurrency: park it while the pool is full, if an
                # attempt in the pool will end (lambdasim.core.backlog); what _back_off does for it, without the
                # options.
                if reason is _RESERVED:
                    backlog = fs.backlog
                    parks = fs.in_use > 0
                else:
                    backlog = self.account_backlog
                    parks = reason is _ACCOUNT and self.unreserved_in_use > 0
                if parks:
                    ev.status = 429
                    ev.throttles = 1
                    delay = self._backoffs[1]
                    if now - ev.enqueued_at + delay > target.max_event_age_s:  # rules.exceeds_age, inline
                        st.queued.change(now, -1)
                        self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
                        return
                    backlog.park(ev, now + delay)
                    return
            self._back_off(ev, 429, "Throttled", reason)  # a StrEnum: .value (a Python call) only for the trace
            return
        level = st.queued  # st.queued.change(now, -1), inline (a level never exceeds its max going down)
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        level.value -= 1
        attempts = ev.attempts = ev.attempts + 1
        ev.throttles = 0
        ev.started_at = now
        st.attempts += 1
        age = now - ev.enqueued_at
        tally = st.age_by_attempt[attempts - 1]  # .add(age), inline (an age is >= 0)
        buf = tally._buf
        buf.append(age)
        if len(buf) >= TALLY_BUFFER:
            tally._fold()
        # Invocations, ConcurrentExecutions and AsyncEventAge: m.async_attempt(now, in use, age), inline while the
        # period and its samples exist (the call does the rest: a new period).
        m = fs.metrics
        in_use = st.concurrency.value
        samples = m.event_age.get(m._level_index) if not general and now < m._edge else None
        if samples is None:
            m.async_attempt(now, in_use, age)
        else:
            i = m._level_index
            d = m.invocations
            d[i] = d.get(i, 0) + 1
            m._held = in_use
            peaks = m.concurrency
            if in_use > peaks.get(i, 0):
                peaks[i] = in_use
            pending = samples.pending  # Samples.add, inline
            pending.append(age * 1000.0)
            if len(pending) >= HISTOGRAM_BUFFER:
                samples.fold()
        version = target.version
        kind = version.kind
        if general or cold or fs.faults is not None or self.attempt_logger is not None or kind not in _INLINE_KINDS:
            fs.chosen = chosen
            fs.chosen_init = cold
            self._run_attempt(fs, ev, ev.payload, self._end_async_cb)
            return
        # _run_attempt in a warm environment (no init phase, no injected fault, no logs), inline for a Behaviour
        # and an async def handler: the same draws in the same order.
        st.invocations += 1
        ev.environment = chosen
        if kind == KIND_ASYNC:
            seq = ev.seq  # self.request_id(seq), inline when written last (by the invoke that queued it, usually)
            request_id = self._rid if seq == self._rid_seq else self.request_id(seq)
            self._drive(fs, ev, request_id, version.handler, fresh(ev.payload), self._end_async_cb, 0.0)
            return
        self._start_behaviour(fs, ev, version, now)

    def _start_behaviour(self, fs: FunctionState, ev: AsyncEvent, version: FunctionVersion, now: float) -> None:
        """Start ``ev``'s attempt of the ``Behaviour`` of ``version`` in the warm environment it was given: its
        duration, error and bill drawn and counted as ``_run_attempt`` does, its end queued (``_poll``'s and
        :meth:`arrive`'s inline start)."""
        st = fs.stats
        duration = version.sample_duration()
        behaviour: Behaviour = version.handler  # type: ignore[assignment]  # the callers checked its kind
        error: ErrorInfo | None = None
        response: Any = None
        if behaviour.error_rate and fs.uniform["errors"]() < behaviour.error_rate:
            error = (behaviour.error_type, behaviour.error_message, [])
        else:
            response = behaviour.response
        if duration > version.timeout_s:
            duration = version.timeout_s
            error = timeout_error(version.timeout_s)
            response = None
        if not duration >= 0.0:  # a custom distribution gone wrong (or nan): time never runs back
            raise ValueError(
                f"function {fs.name!r}: durations must be numbers >= 0 s, got duration {duration!r}, init 0.0"
            )
        ms = duration * 1000.0  # self._bill(st, 0.0, duration), inline (see _run_attempt)
        billed = math.ceil(ms)
        if ms - billed + 1.0 < 1e-6:
            billed = billed_ms_of(ms)
        st.billed_ms += billed
        if error is None:
            ev.response = response
            ev.duration = duration
            ev.callbacks = self._succeeded_step
        else:
            ev.ending = (self._end_async_cb, error, response, duration)
            ev.callbacks = self._async_end_step
        heappush(self._queue, (now + duration, NORMAL, next(self._eid), ev))

    def _back_off(self, ev: AsyncEvent, status: int, kind: str, detail: str) -> None:
        """After a throttle or service error: back to the queue with exponential backoff, or give up."""
        fs = ev.fs
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        ev.status = status
        if self.trace is not None:
            self.trace.append(
                TraceEntry(self.request_id(ev.seq), fs.name, ev.attempts + 1, now, now, kind, str(detail))
            )
        if self._drop_p and fs.uniform["drops"]() < self._drop_p:
            st.queued.change(now, -1)
            self._finish(ev, Condition.DROPPED)
            return
        n = ev.throttles = ev.throttles + 1
        backoffs = self._backoffs
        delay = backoffs[n] if n < 62 else backoffs[61]
        if self._backoff_varies:  # jitter or a backlog factor (settings): off by default
            s = self.settings
            if s.throttle_backoff_jitter:
                delay *= 1.0 - s.throttle_backoff_jitter * fs.uniform["backoff_jitter"]()
            if s.backlog_backoff_factor:
                delay *= 1.0 + s.backlog_backoff_factor * st.queued.value / 1000.0
        if now - ev.enqueued_at + delay > ev.target.max_event_age_s:  # rules.exceeds_age, inline: per throttle
            st.queued.change(now, -1)
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        if not self._backoff_varies:  # the lane of its delay (see _Lane)
            lane = self._backoff_lanes.get(delay) or self._backoff_lane(delay)
            ev.callbacks = lane.reader_step if self._reads_limited else lane.poll_step
            if lane.add(ev, now + delay, ev.uid):
                return
        # A delay of its own (jitter or a backlog factor), or a tie out of order: straight onto the queue.
        ev.callbacks = self._to_reader_step if self._reads_limited else self._poll_step
        heappush(self._queue, (now + delay, BACKOFF, ev.uid, ev))

    def _attempt_succeeded(self, ev: AsyncEvent) -> None:
        """A warm ``Behaviour`` attempt started inline (``_poll``, :meth:`arrive`) ends, successful, or an ``async
        def`` handler's attempt on demand ended successfully (``_finish_async``): as ``_async_ended(ev, None,
        ev.response, ev.duration)``, inline when nobody listens for the outcome (no trace, sink, destination or
        dead-letter queue) with what its start tells left out (on-demand concurrency, no reset of its environment,
        no error)."""
        fs = ev.fs
        target = ev.target
        version = target.version
        if (
            self.trace is not None
            or fs.sinks
            or self.sinks
            or target.on_success
            or target.on_failure
            or version.dead_letter_arn
        ):
            self._async_ended(ev, None, ev.response, ev.duration)
            return
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        duration = ev.duration
        level = st.concurrency  # st.concurrency.change(now, -1), inline (never above its max going down)
        if now != level._since:
            level._area += level.value * (now - level._since)
            level._since = now
        in_use = level.value = level.value - 1
        fs.in_use -= 1
        if fs.reserved is None:
            self.unreserved_in_use -= 1
            if self.account_backlog.count:
                self.account_backlog.freed()
        elif fs.backlog.count:
            fs.backlog.freed()
        pool = fs.pool if version is fs.latest.version else fs.pool_for(version)
        born: float = ev.environment  # type: ignore[assignment]  # on demand: a birth time
        if pool._active is None or pool._busy == 1 or now - born >= pool._max_life:
            pool.release(now, born, False)
        else:  # pool.release(now, born, False), inline while the function stays busy and the environment young
            pool._busy -= 1
            shuts = now + pool._active
            if pool._active_jitter:
                shuts += pool._active_jitter * pool._active_uniform()  # type: ignore[misc]
            retires = born + pool._max_life
            pool._idle.append((shuts if shuts < retires else retires, born, now, False))
        buf = st.duration._buf  # st.duration.add(duration), inline
        buf.append(duration)
        if len(buf) >= TALLY_BUFFER:
            st.duration._fold()
        # fs.metrics.ended(ev.started_at, now, duration, False, in_use), inline as in _async_ended
        m = fs.metrics
        samples = m.duration.get(m._level_index) if now < m._edge and ev.started_at >= m._start else None
        if samples is None:
            m.ended(ev.started_at, now, duration, False, in_use)
        else:
            m._held = in_use
            pending = samples.pending  # Samples.add, inline
            pending.append(duration * 1000.0)
            if len(pending) >= HISTOGRAM_BUFFER:
                samples.fold()
        ev.status = 200
        ev.error = None
        # self._finish(ev, _SUCCESS) with no trace and nobody to deliver an outcome to, inline.
        st.outcomes[_SUCCESS] += 1
        age = now - ev.enqueued_at
        buf = st.time_to_success._buf  # st.time_to_success.add(age), inline
        buf.append(age)
        if len(buf) >= TALLY_BUFFER:
            st.time_to_success._fold()

    def _end_async(self, ev: AsyncEvent, error: ErrorInfo | None, response: Any, duration: float) -> None:
        """An asynchronous attempt ended (the ``on_end`` of an ``async def`` handler's drive)."""
        self._async_ended(ev, error, response, duration)

    def _async_ended(
        self, ev: AsyncEvent, error: ErrorInfo | None = None, response: Any = None, duration: float | None = None
    ) -> None:
        """An asynchronous attempt's time is up: its result is given (an ``async def`` handler's attempt, ended
        now), or ``ev.ending`` (from the queue, where ``Kernel.step`` calls this with the event alone)."""
        if duration is None:  # no result given: it waits on the event
            ending = ev.ending
            assert ending is not None
            ev.ending = None
            _, error, response, duration = ending
        fs = ev.fs
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        environment = ev.environment
        inline = self.inline
        if inline and type(environment) is not ProvisionedConcurrency:  # self._release(fs, ev, error), inline
            level = st.concurrency  # st.concurrency.change(now, -1), inline (never above its max going down)
            if now != level._since:
                level._area += level.value * (now - level._since)
                level._since = now
            in_use = level.value = level.value - 1
            fs.in_use -= 1
            if fs.reserved is None:
                self.unreserved_in_use -= 1
                if self.account_backlog.count:
                    self.account_backlog.freed()
            elif fs.backlog.count:
                fs.backlog.freed()
            version = ev.target.version
            pool = fs.pool if version is fs.latest.version else fs.pool_for(version)
            pool.release(now, environment, error is not None and error[0] in RESETS)  # type: ignore[arg-type]
        else:
            self._release(fs, ev, error)
            in_use = st.concurrency.value
        buf = st.duration._buf  # st.duration.add(duration), inline (a duration is >= 0: _run_attempt checks it)
        buf.append(duration)
        if len(buf) >= TALLY_BUFFER:
            st.duration._fold()
        # fs.metrics.ended(ev.started_at, now, duration, error is not None, in_use), inline while the attempt
        # started in the current period, whose samples exist (the call does the rest).
        m = fs.metrics
        started_at = ev.started_at
        samples = m.duration.get(m._level_index) if inline and now < m._edge and started_at >= m._start else None
        if samples is None:
            m.ended(started_at, now, duration, error is not None, in_use)
        else:
            m._held = in_use
            pending = samples.pending  # Samples.add, inline
            pending.append(duration * 1000.0)
            if len(pending) >= HISTOGRAM_BUFFER:
                samples.fold()
            if error is not None:
                d = m.errors
                i = m._level_index
                d[i] = d.get(i, 0) + 1
        ev.status = 200
        if self.trace is not None:
            kind = "Success" if error is None else ("Timeout" if error[0] == TIMED_OUT else "Error")
            self.trace.append(
                TraceEntry(
                    self.request_id(ev.seq),
                    fs.name,
                    ev.attempts,
                    ev.started_at,
                    now,
                    kind,
                    "" if error is None else error[0],
                )
            )
        if error is None:
            ev.response = response
            ev.error = None
            target = ev.target
            if (
                self.trace is not None
                or not inline
                or (fs.sinks or self.sinks or target.on_success or target.on_failure or target.version.dead_letter_arn)
            ):
                self._finish(ev, _SUCCESS)
                return
            # self._finish(ev, _SUCCESS) with no trace and nobody to deliver an outcome to, inline.
            st.outcomes[_SUCCESS] += 1
            age = now - ev.enqueued_at
            buf = st.time_to_success._buf  # st.time_to_success.add(age), inline
            buf.append(age)
            if len(buf) >= TALLY_BUFFER:
                st.time_to_success._fold()
            return
        st.errors += 1
        if error[0] == TIMED_OUT:
            st.timeouts += 1
        ev.error = error
        target = ev.target
        delay = function_error_retry_delay(ev.attempts, target.max_retry_attempts, self._retry_delays)
        if delay is None:
            self._finish(ev, Condition.RETRIES_EXHAUSTED)
            return
        jitter = self.settings.retry_jitter_s
        if jitter:
            delay += jitter * fs.uniform["retry_jitter"]()
        if exceeds_age(now - ev.enqueued_at, delay, target.max_event_age_s):
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        st.retry_waiting.change(now, 1)
        if jitter:  # a delay of its own: straight onto the queue
            ev.callbacks = self._retry_step
            heappush(self._queue, (now + delay, NORMAL, next(self._eid), ev))
            return
        lane = self._lanes.get(delay) or self._lane(delay)
        ev.callbacks = lane.retry_step
        lane.add(ev, now + delay, next(self._eid))  # never out of order: event ids grow

    def _retry(self, ev: AsyncEvent, _: object = None) -> None:
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = ev.fs.stats
        st.retry_waiting.change(now, -1)
        st.queued.change(now, 1)
        if self._reads_limited:
            self._to_reader(ev)
        else:
            self._poll(ev)

    def _finish(self, ev: AsyncEvent, condition: Condition) -> None:
        fs = ev.fs
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        st.outcomes[condition] += 1
        age = now - ev.enqueued_at
        # Per outcome: a discarded event's age says how long until it was given up, not how long work took.
        tally = st.time_to_success if condition is _SUCCESS else st.time_to_discard  # .add(age), inline
        buf = tally._buf
        buf.append(age)
        if len(buf) >= TALLY_BUFFER:
            tally._fold()
        if self.trace is not None:
            self.trace.append(
                TraceEntry(
                    self.request_id(ev.seq), fs.name, ev.attempts, ev.enqueued_at, now, "Outcome", condition.value
                )
            )
        target = ev.target
        # (target.dead_letter_arn is a property: the version's, read here without the call)
        if fs.sinks or self.sinks or target.on_success or target.on_failure or target.version.dead_letter_arn:
            outcome = Outcome(
                request_id=self.request_id(ev.seq),
                function_name=fs.name,
                function_arn=ev.target.qualified_arn,
                executed_version=ev.target.version.version,
                condition=condition,
                approximate_invoke_count=ev.attempts,
                request_payload=fresh(ev.payload),  # each consumer's own copy: nothing leaks back
                response=ev.response,
                error=ev.error,
                status_code=ev.status,
                enqueued_at=ev.enqueued_at,
                finished_at=now,
                epoch_s=self.epoch_s,
            )
            if self.destinations is not None:
                self.destinations.deliver(target, fs.metrics, outcome)
            for sink in (*fs.sinks, *self.sinks):
                try:
                    sink.deliver(outcome)
                except BaseException as exc:  # a user's sink must never crash the run (see Sink): count it, go on
                    fs.stats.sink_errors += 1
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        self.defer_interrupt(exc)  # still stops the run, once this outcome is fully delivered
        if condition is not _SUCCESS:
            # AsyncEventsDropped: every discard, after any dead-letter or destination delivery.
            fs.metrics.event_dropped(now)

    # -- the synchronous path ---------------------------------------------------------------------------------

    def invoke_sync(
        self,
        fs: FunctionState,
        payload: Any,
        seq: int,
        target: Target | None = None,
        log: AttemptLog | None = None,
        client_context: Any = None,
    ) -> simpy.Event | ThrottleReason | ServiceFault:
        """Start a ``RequestResponse`` attempt on ``target`` (default: unqualified) now; the event succeeds with
        ``(error, response)`` at its end. ``log``, if given, receives what the handler prints and the init time;
        ``client_context`` is the handler's ``context.client_context``."""
        if self.before_change is not None:
            self.before_change()
        if target is None:
            target = fs.latest
        # Refusals come back at once, and Lambda does not retry them: the caller may (lambdasim.planning.sync).
        now = self.env.now  # the clock, without a property call (see the module notes)
        if self.service_faults and self._service_error(fs, now):
            fs.stats.service_errors += 1
            return ServiceFault.SERVICE_EXCEPTION
        reason = self._acquire(fs, target)
        if reason is not None:
            fs.stats.throttles[reason] += 1
            fs.stats.sync_throttles += 1
            fs.metrics.throttled(now)
            return reason
        fs.metrics.acquired(now, fs.stats.concurrency.value)  # Invocations and ConcurrentExecutions
        done = simpy.Event(self.env)
        call = SyncCall(fs, done, now, target, log, client_context)
        self._run_attempt(fs, call, payload, self._end_sync, seq)
        return done

    def _end_sync(self, call: SyncCall, error: ErrorInfo | None, response: Any, duration: float) -> None:
        fs = call.fs
        self._release(fs, call, error)
        fs.stats.duration.add(duration)
        fs.metrics.ended(call.started_at, self.env.now, duration, error is not None, fs.stats.concurrency.value)
        if error is not None:
            fs.stats.errors += 1
            if error[0] == TIMED_OUT:
                fs.stats.timeouts += 1
        call.done.succeed((error, response))

    def invoke_from_model(self, **kwargs: Any) -> simpy.Event:
        """``context.invoke``: delegated to the Lambda client, which owns validation and response shapes."""
        if self.model_invoker is None:
            raise RuntimeError("context.invoke needs a Simulation (no Lambda client is attached)")
        return self.model_invoker(**kwargs)

    # -- one attempt ------------------------------------------------------------------------------------------

    def _run_attempt(self, fs: FunctionState, call: Any, payload: Any, on_end: OnEnd, seq: int | None = None) -> None:
        """Run the handler of one attempt and schedule ``on_end(call, error, response, duration)``."""
        now = self.env.now  # the clock, without a property call (see the module notes)
        st = fs.stats
        st.invocations += 1
        version = call.target.version  # what this attempt runs: $LATEST or a published snapshot
        # The environment _acquire chose: a new or reset one runs the init phase first (provisioned ones never).
        call.environment = fs.chosen
        if fs.chosen_init:
            init = version.sample_init()
            st.cold_starts += 1
            if init > INIT_LIMIT_S:  # stopped at 10 s and run again inside the invoke phase, under its timeout
                reinit, init = init, INIT_LIMIT_S
            else:
                reinit = 0.0
        else:
            init = reinit = 0.0
        log: AttemptLog | None = call.log
        if self.attempt_logger is not None:  # CloudWatch Logs, only while someone reads them
            log, on_end = self.attempt_logger(fs, call, log, on_end, call.seq if seq is None else seq)
        if log is not None:
            log.init_s = init
            log.cold = bool(fs.chosen_init)
        kind = version.kind
        error: ErrorInfo | None = None
        response: Any = None
        override: float | None = None
        if fs.faults is not None:
            drawn = fs.faults.draw(now)
            if drawn is not None:
                error, override = drawn
                if error is not None:
                    kind = KIND_NONE  # an injected failure: the handler is not entered
        if reinit and reinit >= version.timeout_s:  # the retried init alone uses up the timeout: handler never entered
            kind = KIND_NONE
            error = timeout_error(version.timeout_s)
        if kind == KIND_NONE:
            duration = version.sample_duration()
        elif kind == KIND_BEHAVIOUR:
            behaviour: Behaviour = version.handler
            duration = version.sample_duration()
            if behaviour.error_rate and fs.uniform["errors"]() < behaviour.error_rate:
                error = (behaviour.error_type, behaviour.error_message, [])
            else:
                response = behaviour.response
        else:
            request_id = self.request_id(call.seq if seq is None else seq)
            handler: Any = version.handler
            if kind == KIND_IMPORT:
                handler, error = resolve(version.handler)
            if error is None and (kind == KIND_ASYNC or (kind == KIND_IMPORT and is_async(handler))):
                self._drive(fs, call, request_id, handler, fresh(payload), on_end, init, reinit, log)
                return
            duration = version.sample_duration()
            if error is None:
                # Called now but, on AWS, entered after the init phase: it sees the full timeout remaining (less a
                # retried init, which runs inside the invoke phase).
                ctx = new_context(self, call.target, request_id, now + version.timeout_s - reinit, call.client_context)
                limit = RESPONSE_LIMIT_BYTES if type(call) is SyncCall else None
                if log is None:
                    error, response = _call_plain(handler, fresh(payload), ctx, limit, self.defer_interrupt)
                else:
                    ctx._log_stream = log.stream_name
                    with log.capture():
                        error, response = _call_plain(handler, fresh(payload), ctx, limit, self.defer_interrupt)
        if override is not None:
            duration = override
        if reinit:
            duration += reinit
        if duration > version.timeout_s:
            duration = version.timeout_s
            error = timeout_error(version.timeout_s)
            response = None
        if not (duration >= 0.0 and init >= 0.0):  # a custom distribution gone wrong (or nan): time never runs back
            raise ValueError(
                f"function {fs.name!r}: durations must be numbers >= 0 s, got duration {duration!r}, init {init!r}"
            )
        # self._bill(st, init, duration), inline: once per attempt
        ms = duration * 1000.0
        billed = math.ceil(ms)  # billed_ms_of(ms), inline but for its rare case: within 1 µs above a whole ms
        if ms - billed + 1.0 < 1e-6:
            billed = billed_ms_of(ms)
        st.billed_ms += billed
        if init:
            st.billed_init_ms += billed_ms_of((init + duration) * 1000.0) - billed
        # The attempt's result waits on its own event object: no Timeout, no closure per attempt.
        call.ending = (on_end, error, response, duration)
        call.callbacks = self._async_end_step if on_end is self._end_async_cb else self._end_step
        heappush(self._queue, (now + (init + duration), NORMAL, next(self._eid), call))

    def _ended(self, call: Scheduled) -> None:
        """An attempt's time is up: hand its result to its ``on_end``."""
        ending = call.ending
        assert ending is not None
        call.ending = None
        on_end, error, response, duration = ending
        on_end(call, error, response, duration)

    def _drive(
        self,
        fs: FunctionState,
        call: Any,
        request_id: str,
        handler: Any,
        payload: Any,
        on_end: OnEnd,
        init: float,
        reinit: float = 0.0,
        log: AttemptLog | None = None,
    ) -> None:
        """Run an ``async def`` handler on the simulated clock (:class:`~lambdasim.core.async_attempt.AsyncAttempt`).

        The invoke phase starts after ``init``; the handler is entered ``reinit`` later (an init retried inside the
        invoke phase, shorter than the timeout), and the timeout and duration count from the invoke phase's start.
        """
        env = self.env
        now = env.now
        invoked = now + init
        target = call.target
        timeout_s = target.version.timeout_s
        deadline = invoked + timeout_s
        ctx = new_context(self, target, request_id, deadline, call.client_context)
        if log is not None:
            ctx._log_stream = log.stream_name
        # What _finish_async needs at the attempt's end, kept on the attempt (no closure per attempt).
        attempt = new_attempt(
            env,
            handler,
            payload,
            ctx,
            deadline,
            timeout_s,
            self._finish_async_cb,
            self._defer_interrupt_cb,
            RESPONSE_LIMIT_BYTES if isinstance(call, SyncCall) else None,
            log,
            (fs, call, on_end, init, invoked),
        )
        queue = self._queue
        if self._entering and not (init or reinit) and (not queue or queue[0][0] > now or queue[0][1] > NORMAL):
            # Its entry would be the very next step, and nothing else comes in this one (the poll was its last
            # thing): entered at once, as that step would (with the event id it would have taken).
            self._entering = False
            next(self._eid)
            attempt.enter()
            return
        attempt.schedule_entry(init + reinit)  # as Timeout(env, init + reinit) with attempt.enter as its callback

    def _finish_async(self, attempt: AsyncAttempt, error: ErrorInfo | None, response: Any) -> None:
        """An ``async def`` handler's attempt ended now: bill it and hand its result to its ``on_end``."""
        fs, call, on_end, init, invoked = attempt.owner
        duration = self.env.now - invoked
        st = fs.stats  # self._bill(st, init, duration), inline: once per attempt
        ms = duration * 1000.0
        billed = math.ceil(ms)  # billed_ms_of(ms), inline but for its rare case: within 1 µs above a whole ms
        if ms - billed + 1.0 < 1e-6:
            billed = billed_ms_of(ms)
        st.billed_ms += billed
        if init:
            st.billed_init_ms += billed_ms_of((init + duration) * 1000.0) - billed
        if on_end is self._end_async_cb:  # self._end_async(call, ...), inline
            if error is None and self.inline and type(call.environment) is not ProvisionedConcurrency:
                # A success on demand (no environment to reset): the end of a Behaviour's inline start, as lean.
                call.response = response
                call.duration = duration
                self._attempt_succeeded(call)
            else:
                self._async_ended(call, error, response, duration)
        else:
            on_end(call, error, response, duration)

    def defer_interrupt(self, exc: BaseException) -> None:
        """Raise ``exc`` (a ``KeyboardInterrupt`` a handler or sink raised) from the simulation's next step.

        What raised it has been accounted for (the attempt ended as a function error, the delivery counted as
        failed), and the step it came from finishes first (a workload schedules its next arrival): the run stops
        between steps, consistent, and ``sim.run`` resumes it.
        """
        stop = _Deferred()
        stop.callbacks = (partial(_reraise, exc),)
        self.env.push(self.env.now, stop, URGENT)

    # -- results ----------------------------------------------------------------------------------------------

    def _bill(self, st: FunctionStats, init: float, duration: float) -> None:
        """Count one attempt's billed milliseconds, rounded up to 1 ms, under both init-billing rules.

        The rounding is on the microsecond-rounded value so that 0.2 s bills 200 ms, not 201 (float noise).
        """
        billed = billed_ms_of(duration * 1000.0)
        st.billed_ms += billed
        if init:
            st.billed_init_ms += billed_ms_of((init + duration) * 1000.0) - billed

    def reset_statistics(self, at: float) -> None:
        """Forget every function's statistics observed before simulated time ``at`` (s), for example a warm-up.

        Scheduled now, applied at ``at`` (at the current time if ``at`` is not in the future). Levels keep their
        current values; counts, tallies and maxima start again; events in flight are carried over. Whoever keeps
        other statistics (sinks, probes) can listen through :attr:`statistics_reset_hooks`: each is called with the
        time just before the functions' statistics are reset, so it can still read what the warm-up ends with.
        """

        def reset(_e: object = None) -> None:
            now = self.env.now
            self.settle()  # throttles before the reset are counted before it
            for hook in self.statistics_reset_hooks:
                hook(now)
            for fs in self.functions.values():
                fs.stats.reset(now)

        Timeout(self.env, max(0.0, at - self.env.now)).callbacks.append(reset)


def _call_plain(
    handler: Any, payload: Any, ctx: Context, limit_bytes: int | None, interrupt: Callable[[BaseException], None]
) -> tuple[ErrorInfo | None, Any]:
    """Call a plain handler; whatever it raises or returns is a function error, never a crash of the run."""
    try:
        response = handler(payload, ctx)
    except SystemExit as err:
        return exit_error(err), None
    except BaseException as err:  # GeneratorExit, a bare BaseException...: the runtime reports them all
        if isinstance(err, KeyboardInterrupt):
            interrupt(err)  # the person at the keyboard still stops the run, after this step
        return error_info(err), None
    bad = check_response(response, limit_bytes)
    return (bad, None) if bad else (None, response)


def _reraise(exc: BaseException, _event: object = None) -> None:
    raise exc
