"""The SimPy model of Lambda's asynchronous invocation path: queue, pollers, concurrency, attempts and retries.

Design: the hot path is driven by callbacks on bare ``simpy.Timeout`` events, never a SimPy process per event.
Each queued event is one small ``__slots__`` object (:class:`AsyncEvent`); random draws come from buffered,
per-function, per-source streams; statistics are running aggregates (:mod:`lambdasim.counters`). Whatever costs
more (outcome objects, traces) is built only when someone listens.

Tie-breaking: SimPy processes events scheduled for the same time in the order they were scheduled, so a seeded
run is exactly repeatable. An attempt that ends at time ``t`` releases its concurrency before anything else
scheduled later for ``t`` tries to take it.
"""

from __future__ import annotations

import contextlib
import zlib
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import simpy
from simpy.events import Timeout

from lambdasim.behaviour import Behaviour
from lambdasim.counters import FunctionStats
from lambdasim.dist import Distribution, Sampler, _blocks
from lambdasim.handler import (
    Context,
    ErrorInfo,
    check_response,
    error_info,
    is_async,
    resolve,
    timeout_error,
)
from lambdasim.outcome import Outcome, Sink
from lambdasim.rules import (
    DEFAULT_MAXIMUM_EVENT_AGE_S,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    Condition,
    ThrottleReason,
    function_error_retry_delay,
    throttle_backoff,
)
from lambdasim.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

# The engine's sources of randomness: one numpy generator per function and source (common random numbers).
SOURCES = ("duration", "init", "errors", "retry_jitter", "backoff_jitter", "duplicates", "drops", "service_errors")
SERVICE_ERROR_STATUS = 500
TIMED_OUT = "Sandbox.Timedout"

# Handler kinds, resolved once at create/update time so the hot path branches on a small int.
KIND_NONE, KIND_BEHAVIOUR, KIND_PLAIN, KIND_ASYNC, KIND_IMPORT = range(5)

OnEnd = Callable[[Any, "ErrorInfo | None", Any, float], None]


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


class AsyncEvent:
    """One queued event (or one duplicate copy of it): the only per-event object on the hot path."""

    __slots__ = (
        "attempts",
        "enqueued_at",
        "error",
        "fs",
        "payload",
        "response",
        "seq",
        "started_at",
        "status",
        "throttles",
    )

    def __init__(self, fs: FunctionState, seq: int, payload: Any, now: float) -> None:
        self.fs = fs
        self.seq = seq
        self.payload = payload
        self.enqueued_at = now
        self.attempts = 0
        self.throttles = 0
        self.started_at = now
        self.error: ErrorInfo | None = None
        self.response: Any = None
        self.status = 200


class SyncCall:
    """A ``RequestResponse`` invocation in progress; ``done`` succeeds with ``(error, response)``."""

    __slots__ = ("done", "fs", "started_at")

    def __init__(self, fs: FunctionState, done: simpy.Event, now: float) -> None:
        self.fs = fs
        self.done = done
        self.started_at = now


class FunctionState:
    """The runtime side of one function: configuration the engine reads, concurrency, environments, statistics."""

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
        self.qualified_arn = f"{arn}:$LATEST"
        self.timeout_s = float(timeout_s)
        self.memory_mb = memory_mb
        self.reserved: int | None = None
        self.in_use = 0
        self.max_retry_attempts = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
        self.max_event_age_s = float(DEFAULT_MAXIMUM_EVENT_AGE_S)
        self.deleted = False
        # Where outcomes go, as the Lambda client last configured them (event invoke config, DeadLetterConfig).
        self.on_success: str | None = None
        self.on_failure: str | None = None
        self.dead_letter_arn: str | None = None
        self.idle: list[float] = []  # free times of idle environments; the last is the most recently freed
        self.sinks: list[Sink] = []
        self.read_queue: deque[AsyncEvent] = deque()
        self.reader_due = False
        self.next_read = 0.0
        self.stats = FunctionStats(engine.env.now)
        self._rngs = {src: engine.generator(name, src) for src in SOURCES}
        self.uniform = {src: partial(next, _blocks(self._rngs[src].random)) for src in SOURCES}
        self.set_handler(handler, duration)
        self.set_init_duration(init_duration)

    def set_handler(self, handler: object, duration: Distribution) -> None:
        """Resolve the handler's kind once, so the hot path does not inspect it per event."""
        self.handler = handler
        if handler is None:
            self.kind = KIND_NONE
        elif isinstance(handler, Behaviour):
            self.kind = KIND_BEHAVIOUR
            duration = handler.duration
        elif isinstance(handler, str):
            self.kind = KIND_IMPORT
        elif is_async(handler):
            self.kind = KIND_ASYNC
        else:
            self.kind = KIND_PLAIN
        self.duration = duration
        self.sample_duration: Sampler = duration.sampler(self._rngs["duration"])

    def set_init_duration(self, init_duration: Distribution) -> None:
        self.init_duration = init_duration
        self.sample_init: Sampler = init_duration.sampler(self._rngs["init"])

    def generator(self, source: str) -> np.random.Generator:
        """This function's numpy generator for ``source`` (see :data:`SOURCES`)."""
        return self._rngs[source]


class Engine:
    """Runs every function's asynchronous queue and attempts on one SimPy environment."""

    def __init__(
        self,
        env: simpy.Environment,
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
        self.trace: list[TraceEntry] | None = [] if trace else None
        self.model_invoker: Callable[..., simpy.Event] | None = None
        self._seq = 0
        state = np.random.SeedSequence(seed_sequence.entropy, spawn_key=(0xFFFF_FFFF,)).generate_state(3)
        self._rid_prefix = f"{int(state[0]):08x}-{int(state[1]) >> 16:04x}-4{int(state[2]) >> 20:03x}"
        s = settings
        self._retry_delays = s.retry_delays_s
        self._dispatch = s.dispatch_latency_s
        self._reads_limited = s.poller_read_rate_per_s is not None
        self._idle_timeout = s.idle_timeout_s

    # -- randomness -------------------------------------------------------------------------------------------

    def generator(self, function_name: str, source: str) -> np.random.Generator:
        """A generator keyed by function name and source, independent of creation order (common random numbers).

        ``source`` is any name: the engine's own are :data:`SOURCES`; workloads use ``"arrivals:<name>"``.
        """
        key = (zlib.crc32(function_name.encode()), zlib.crc32(source.encode()))
        return np.random.default_rng(np.random.SeedSequence(self.seed_sequence.entropy, spawn_key=key))

    def request_id(self, seq: int) -> str:
        """The request id of the ``seq``-th accepted invocation: UUID-shaped, unique in the run, seeded."""
        return f"{self._rid_prefix}-{(seq >> 48) & 0xFFFF | 0x8000:04x}-{seq & 0xFFFF_FFFF_FFFF:012x}"

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- functions and concurrency ----------------------------------------------------------------------------

    def add(self, fs: FunctionState) -> None:
        self.functions[fs.name] = fs

    def remove(self, name: str) -> None:
        fs = self.functions.pop(name)
        if fs.reserved is not None:
            self.set_reserved(fs, None)
        fs.deleted = True

    def reserved_total(self, excluding: FunctionState | None = None) -> int:
        return sum(f.reserved or 0 for f in self.functions.values() if f is not excluding)

    def set_reserved(self, fs: FunctionState, reserved: int | None) -> None:
        """Carve ``reserved`` out of the account pool (``None`` returns the function to the unreserved pool)."""
        was_unreserved = fs.reserved is None
        fs.reserved = reserved
        # Attempts in flight move with the function to its new pool.
        if was_unreserved and reserved is not None:
            self.unreserved_in_use -= fs.in_use
        elif not was_unreserved and reserved is None:
            self.unreserved_in_use += fs.in_use
        self.unreserved_limit = self.concurrency_limit - self.reserved_total()

    def _acquire(self, fs: FunctionState) -> ThrottleReason | None:
        """Take one unit of concurrency for ``fs``, or say why not."""
        reserved = fs.reserved
        if reserved is None:
            if self.unreserved_in_use >= self.unreserved_limit:
                return ThrottleReason.ACCOUNT
            self.unreserved_in_use += 1
        elif fs.in_use >= reserved:
            return ThrottleReason.RESERVED
        fs.in_use += 1
        fs.stats.concurrency.change(self.env.now, 1)
        return None

    def _release(self, fs: FunctionState, reset: bool) -> None:
        now = self.env.now
        fs.in_use -= 1
        if fs.reserved is None:
            self.unreserved_in_use -= 1
        fs.stats.concurrency.change(now, -1)
        if not reset:  # a timed-out environment is reset: the next invoke initialises a new one
            fs.idle.append(now)

    # -- the asynchronous path --------------------------------------------------------------------------------

    def enqueue(self, fs: FunctionState, payload: Any, seq: int) -> AsyncEvent:
        """Accept an ``Event`` invoke: queue it and schedule its first poll."""
        now = self.env.now
        ev = AsyncEvent(fs, seq, payload, now)
        st = fs.stats
        st.received += 1
        st.queued.change(now, 1)
        self._schedule_poll(ev, self._dispatch)
        if self.settings.duplicate_probability and fs.uniform["duplicates"]() < self.settings.duplicate_probability:
            twin = AsyncEvent(fs, seq, payload, now)
            st.duplicates += 1
            st.queued.change(now, 1)
            self._schedule_poll(twin, self._dispatch)
        return ev

    def _schedule_poll(self, ev: AsyncEvent, delay: float) -> None:
        if self._reads_limited:
            Timeout(self.env, delay).callbacks.append(partial(self._to_reader, ev))
        else:
            Timeout(self.env, delay).callbacks.append(partial(self._poll, ev))

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
        now = self.env.now
        st = fs.stats
        if fs.deleted:
            st.queued.change(now, -1)
            self._finish(ev, Condition.DROPPED)
            return
        if fs.reserved == 0:
            st.queued.change(now, -1)
            self._finish(ev, Condition.ZERO_RESERVED_CONCURRENCY)
            return
        if now - ev.enqueued_at > fs.max_event_age_s:
            st.queued.change(now, -1)
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        p = self.settings.service_error_probability
        if p and fs.uniform["service_errors"]() < p:
            st.service_errors += 1
            self._back_off(ev, SERVICE_ERROR_STATUS, "ServiceError", "ServiceException")
            return
        reason = self._acquire(fs)
        if reason is not None:
            st.throttles[reason] += 1
            self._back_off(ev, 429, "Throttled", reason.value)
            return
        st.queued.change(now, -1)
        ev.attempts += 1
        ev.throttles = 0
        ev.started_at = now
        st.attempts += 1
        st.age_by_attempt[ev.attempts - 1].add(now - ev.enqueued_at)
        self._run_attempt(fs, ev, ev.payload, self._end_async)

    def _back_off(self, ev: AsyncEvent, status: int, kind: str, detail: str) -> None:
        """After a throttle or service error: back to the queue with exponential backoff, or give up."""
        fs = ev.fs
        now = self.env.now
        st = fs.stats
        ev.status = status
        if self.trace is not None:
            self.trace.append(TraceEntry(self.request_id(ev.seq), fs.name, ev.attempts + 1, now, now, kind, detail))
        s = self.settings
        if s.drop_probability and fs.uniform["drops"]() < s.drop_probability:
            st.queued.change(now, -1)
            self._finish(ev, Condition.DROPPED)
            return
        ev.throttles += 1
        delay = throttle_backoff(ev.throttles, s.throttle_backoff_base_s, s.throttle_backoff_cap_s)
        if s.throttle_backoff_jitter:
            delay *= 1.0 - s.throttle_backoff_jitter * fs.uniform["backoff_jitter"]()
        if s.backlog_backoff_factor:
            delay *= 1.0 + s.backlog_backoff_factor * st.queued.value / 1000.0
        if now - ev.enqueued_at + delay > fs.max_event_age_s:  # age look-ahead
            st.queued.change(now, -1)
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        self._schedule_poll(ev, delay)

    def _end_async(self, ev: AsyncEvent, error: ErrorInfo | None, response: Any, duration: float) -> None:
        fs = ev.fs
        now = self.env.now
        st = fs.stats
        self._release(fs, error is not None and error[0] == TIMED_OUT)
        st.duration.add(duration)
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
            self._finish(ev, Condition.SUCCESS)
            return
        st.errors += 1
        if error[0] == TIMED_OUT:
            st.timeouts += 1
        ev.error = error
        delay = function_error_retry_delay(ev.attempts, fs.max_retry_attempts, self._retry_delays)
        if delay is None:
            self._finish(ev, Condition.RETRIES_EXHAUSTED)
            return
        if self.settings.retry_jitter_s:
            delay += self.settings.retry_jitter_s * fs.uniform["retry_jitter"]()
        if now - ev.enqueued_at + delay > fs.max_event_age_s:  # age look-ahead
            self._finish(ev, Condition.EVENT_AGE_EXCEEDED)
            return
        st.retry_waiting.change(now, 1)
        Timeout(self.env, delay).callbacks.append(partial(self._retry, ev))

    def _retry(self, ev: AsyncEvent, _: object = None) -> None:
        now = self.env.now
        st = ev.fs.stats
        st.retry_waiting.change(now, -1)
        st.queued.change(now, 1)
        if self._reads_limited:
            self._to_reader(ev)
        else:
            self._poll(ev)

    def _finish(self, ev: AsyncEvent, condition: Condition) -> None:
        fs = ev.fs
        now = self.env.now
        st = fs.stats
        st.outcomes[condition] += 1
        st.end_to_end.add(now - ev.enqueued_at)
        if self.trace is not None:
            self.trace.append(
                TraceEntry(
                    self.request_id(ev.seq), fs.name, ev.attempts, ev.enqueued_at, now, "Outcome", condition.value
                )
            )
        if fs.sinks or self.sinks:
            outcome = Outcome(
                request_id=self.request_id(ev.seq),
                function_name=fs.name,
                function_arn=fs.qualified_arn,
                condition=condition,
                approximate_invoke_count=ev.attempts,
                request_payload=ev.payload,
                response=ev.response,
                error=ev.error,
                status_code=ev.status,
                enqueued_at=ev.enqueued_at,
                finished_at=now,
                epoch_s=self.epoch_s,
            )
            for sink in (*fs.sinks, *self.sinks):
                sink.deliver(outcome)

    # -- the synchronous path ---------------------------------------------------------------------------------

    def invoke_sync(self, fs: FunctionState, payload: Any, seq: int) -> simpy.Event | ThrottleReason:
        """Start a ``RequestResponse`` attempt now; the event succeeds with ``(error, response)`` at its end."""
        reason = self._acquire(fs)
        if reason is not None:
            fs.stats.throttles[reason] += 1
            fs.stats.sync_throttles += 1
            return reason
        done = self.env.event()
        call = SyncCall(fs, done, self.env.now)
        self._run_attempt(fs, call, payload, self._end_sync, seq)
        return done

    def _end_sync(self, call: SyncCall, error: ErrorInfo | None, response: Any, duration: float) -> None:
        fs = call.fs
        self._release(fs, error is not None and error[0] == TIMED_OUT)
        fs.stats.duration.add(duration)
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
        now = self.env.now
        st = fs.stats
        st.invocations += 1
        idle = fs.idle
        # Reuse the most recently freed environment; if even that one idled out, every idle one has.
        if idle and now - idle[-1] <= self._idle_timeout:
            idle.pop()
            init = 0.0
        else:
            idle.clear()
            init = fs.sample_init()
            st.cold_starts += 1
        kind = fs.kind
        error: ErrorInfo | None = None
        response: Any = None
        if kind == KIND_NONE:
            duration = fs.sample_duration()
        elif kind == KIND_BEHAVIOUR:
            behaviour: Behaviour = fs.handler  # type: ignore[assignment]
            duration = fs.sample_duration()
            if behaviour.error_rate and fs.uniform["errors"]() < behaviour.error_rate:
                error = (behaviour.error_type, behaviour.error_message, [])
            else:
                response = behaviour.response
        else:
            request_id = self.request_id(call.seq if seq is None else seq)
            handler: Any = fs.handler
            if kind == KIND_IMPORT:
                handler, error = resolve(fs.handler)  # type: ignore[arg-type]
            if error is None and (kind == KIND_ASYNC or (kind == KIND_IMPORT and is_async(handler))):
                self._drive(fs, call, request_id, handler, payload, on_end, init)
                return
            duration = fs.sample_duration()
            if error is None:
                ctx = Context(self, fs, request_id, now + init + fs.timeout_s)
                error, response = _call_plain(handler, payload, ctx)
        if duration > fs.timeout_s:
            duration = fs.timeout_s
            error = timeout_error(fs.timeout_s)
            response = None
        Timeout(self.env, init + duration).callbacks.append(lambda _e: on_end(call, error, response, duration))

    def _drive(
        self,
        fs: FunctionState,
        call: Any,
        request_id: str,
        handler: Any,
        payload: Any,
        on_end: OnEnd,
        init: float,
    ) -> None:
        """Run an ``async def`` handler on the simulated clock: each awaited SimPy event resumes it."""
        env = self.env
        entered = env.now + init
        deadline = entered + fs.timeout_s
        ctx = Context(self, fs, request_id, deadline)
        state = {"done": False, "token": 0}
        coro: Any = None

        def finish(error: ErrorInfo | None, response: Any) -> None:
            state["done"] = True
            on_end(call, error, response, env.now - entered)

        def time_out(token: int, _e: object = None) -> None:
            if state["done"] or token != state["token"]:
                return
            _close(coro)
            finish(timeout_error(fs.timeout_s), None)

        def step(value: Any = None, exc: BaseException | None = None) -> None:
            if state["done"]:
                return
            state["token"] += 1
            try:
                yielded = coro.send(value) if exc is None else coro.throw(exc)
            except StopIteration as stop:
                bad = check_response(stop.value)
                finish(bad, None if bad else stop.value)
                return
            except (Exception, SystemExit) as err:
                finish(_exit_error(err) if isinstance(err, SystemExit) else error_info(err), None)
                return
            if not isinstance(yielded, simpy.Event):
                _close(coro)
                finish(
                    (
                        "Runtime.UnsupportedAwait",
                        f"lambdasim handlers can await only context.sleep and context.invoke, got {yielded!r}",
                        [],
                    ),
                    None,
                )
                return
            if isinstance(yielded, Timeout) and env.now + yielded._delay > deadline:
                # The sleep outlives the timeout: end at the deadline instead of waiting it out.
                Timeout(env, deadline - env.now).callbacks.append(partial(time_out, state["token"]))
                return
            if not isinstance(yielded, Timeout):
                Timeout(env, deadline - env.now).callbacks.append(partial(time_out, state["token"]))
            yielded.callbacks.append(resume)

        def resume(event: simpy.Event) -> None:
            if event.ok:
                step(event.value)
            else:
                event.defused = True
                step(None, event.value)

        def enter(_e: object = None) -> None:
            nonlocal coro
            try:
                coro = handler(payload, ctx)
            except Exception as err:  # raised before the first await
                finish(error_info(err), None)
                return
            step()

        Timeout(env, init).callbacks.append(enter)

    # -- results ----------------------------------------------------------------------------------------------

    def iter_functions(self) -> Iterator[FunctionState]:
        return iter(self.functions.values())


def _call_plain(handler: Any, payload: Any, ctx: Context) -> tuple[ErrorInfo | None, Any]:
    """Call a plain handler; whatever it raises is a function error, never a crash of the run."""
    try:
        response = handler(payload, ctx)
    except SystemExit as err:
        return _exit_error(err), None
    except Exception as err:
        return error_info(err), None
    bad = check_response(response)
    return (bad, None) if bad else (None, response)


def _exit_error(err: SystemExit) -> ErrorInfo:
    return ("Runtime.ExitError", f"RequestId: Error: Runtime exited with error: exit status {err.code}", [])


def _close(coro: Any) -> None:
    # A handler that fights its own cancellation is still timed out.
    with contextlib.suppress(Exception):
        coro.close()
