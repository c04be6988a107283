"""One attempt of an ``async def`` handler, driven on the simulated clock: each awaited ``context.sleep`` or
``context.invoke`` resumes the coroutine when its time comes.

Whatever the coroutine does ends the attempt with one result, exactly once: it returns (the response, or
``Runtime.MarshalError``), raises anything (a function error with the exception's name, ``GeneratorExit`` and bare
``BaseException`` included), awaits something that is not lambdasim's (``Runtime.UnsupportedAwait``), or outlives
the function's timeout (``Sandbox.Timedout`` at the deadline). A sleep starts its timer only when awaited and only
if it ends before the deadline, so an attempt leaves nothing on the clock behind it beyond its deadline.
``KeyboardInterrupt`` ends the attempt as a function error too, and is then raised again from the simulation's
next step (:meth:`lambdasim.core.engine.Engine.defer_interrupt`): the run stops, consistent, and can be resumed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, Timeout

from lambdasim.core._kernel import Kernel, QueueItem
from lambdasim.core.handler import (
    AttemptLog,
    Context,
    ErrorInfo,
    Wait,
    check_response,
    error_info,
    exit_error,
    timeout_error,
)

Finish = Callable[["AsyncAttempt", "ErrorInfo | None", Any], None]
"""Called once with the attempt, its error (``None``: success) and its response, at the attempt's end."""


class AsyncAttempt(QueueItem):
    """Runs ``handler(payload, ctx)`` from ``enter`` on; calls ``finish(self, error, response)`` once, at its end.
    Made by :func:`new_attempt`.

    The attempt is itself what waits on SimPy's event queue while its handler sleeps (and before it is entered):
    a :class:`~lambdasim.core._kernel.QueueItem` pushed with the entry a ``Timeout`` of that delay would have
    (same time, priority and event id), so a sleep costs no ``Timeout`` and no closure. It is on the queue at most
    once at a time: a sleep is awaited only while nothing else is. ``owner`` is for the caller (the engine keeps
    what it needs at the end there): the attempt never reads it.
    """

    __slots__ = (
        "_coro",
        "_ctx",
        "_deadline",
        "_deadline_timer",
        "_env",
        "_finish",
        "_handler",
        "_interrupt",
        "_limit",
        "_log",
        "_payload",
        "_timeout_s",
        "_token",
        "callbacks",
        "done",
        "owner",
    )

    # Set by new_attempt, which makes every attempt: the class has no __init__ of its own (see new_attempt).
    _env: Kernel
    _handler: Any
    _payload: Any
    _ctx: Context
    _deadline: float
    _timeout_s: float
    _finish: Finish
    _interrupt: Callable[[BaseException], None]
    _limit: int | None
    _log: AttemptLog | None  # what the handler prints goes to the invoke's LogResult (LogType="Tail")
    owner: Any
    _coro: Any
    _token: int  # which await is current: a timer of an earlier one is stale
    _deadline_timer: bool
    done: bool
    callbacks: tuple[Callable[[Any], None], ...] | None

    def schedule_entry(self, delay: float) -> None:
        """Enter the handler ``delay`` seconds from now (after the init phase), as a ``Timeout`` would."""
        env = self._env
        self.callbacks = (self.enter,)
        heappush(env.queue, (env.now + delay, NORMAL, next(env.eids), self))

    def enter(self, _event: object = None) -> None:
        """The handler is entered (after the init phase): create the coroutine and run it to its first await."""
        try:
            self._coro = self._handler(self._payload, self._ctx)
        except BaseException as err:  # raised before the first await
            self._fail(err)
            return
        self._step(None, None)

    def _end(self, error: ErrorInfo | None, response: Any) -> None:
        self.done = True
        self._finish(self, error, response)

    def _fail(self, err: BaseException) -> None:
        """The coroutine raised ``err``: a function error; an interrupt is raised again after this step."""
        self._end(exit_error(err) if isinstance(err, SystemExit) else error_info(err), None)
        if isinstance(err, KeyboardInterrupt):
            self._interrupt(err)

    def _step(self, value: Any = None, exc: BaseException | None = None) -> None:
        """Resume the handler with ``value`` (or throw ``exc`` in), unless it has ended. Called with no arguments
        (as ``Kernel.step`` calls an item's callbacks, with the attempt itself) when a sleep is over (_WAKE)."""
        env = self._env
        coro = self._coro
        while not self.done:
            self._token += 1
            try:
                if self._log is None:
                    yielded = coro.send(value) if exc is None else coro.throw(exc)
                else:
                    with self._log.capture():
                        yielded = coro.send(value) if exc is None else coro.throw(exc)
            except StopIteration as stop:
                response = stop.value
                self.done = True  # self._end(...), inline: every attempt that returns ends here
                if response is None:
                    self._finish(self, None, None)
                else:
                    bad = check_response(response, self._limit)
                    self._finish(self, bad, None if bad else response)
                return
            except BaseException as err:
                self._fail(err)
                return
            if (type(yielded) is Wait or isinstance(yielded, Wait)) and yielded.event is None:  # a sleep
                delay = yielded.delay
                if not delay >= 0:  # a Wait made by hand with a negative or NaN delay: the handler's own error
                    value, exc = None, ValueError(f"a sleep's delay must be a number >= 0 s, got {delay!r}")
                    continue
                at = env.now + delay
                if at > self._deadline:  # it outlives the timeout: end at the deadline
                    self._at_deadline()
                    return
                # Timeout(env, delay) with the attempt itself in its place (see the class notes).
                self.callbacks = _WAKE
                heappush(env.queue, (at, NORMAL, next(env.eids), self))
                return
            event = yielded.event if isinstance(yielded, Wait) else yielded
            if not isinstance(event, simpy.Event):
                self._close()
                self._end(
                    (
                        "Runtime.UnsupportedAwait",
                        f"lambdasim handlers can await only context.sleep and context.invoke, got {_repr(yielded)}",
                        [],
                    ),
                    None,
                )
                return
            if event.callbacks is None:  # already processed (awaited late): its value at once
                value, exc = (event.value, None) if event.ok else (None, event.value)
                continue
            self._at_deadline()
            event.callbacks.append(self._resume_token())
            return

    def _resume_token(self) -> Callable[[simpy.Event], None]:
        token = self._token

        def resume(event: simpy.Event) -> None:
            if self.done or token != self._token:
                return
            if event.ok:
                self._step(event.value, None)
            else:
                event.defused = True
                self._step(None, event.value)

        return resume

    def _at_deadline(self) -> None:
        """Time the attempt out at its deadline unless it has ended by then (one timer per attempt)."""
        if self._deadline_timer:
            return
        self._deadline_timer = True
        timer = Timeout(self._env, max(0.0, self._deadline - self._env.now))
        timer.callbacks.append(self._time_out)

    def _time_out(self, _event: object = None) -> None:
        if self.done:
            return
        self._close()
        self._end(timeout_error(self._timeout_s), None)

    def _close(self) -> None:
        # A handler that fights its own cancellation (awaits or raises in ``finally``) is still stopped.
        try:
            self._coro.close()
        except KeyboardInterrupt as err:
            self._interrupt(err)
        except BaseException:
            with contextlib.suppress(BaseException):
                self._coro.close()


def new_attempt(
    env: Kernel,
    handler: Any,
    payload: Any,
    ctx: Context,
    deadline: float,
    timeout_s: float,
    finish: Finish,
    interrupt: Callable[[BaseException], None],
    limit_bytes: int | None = None,
    log: AttemptLog | None = None,
    owner: Any = None,
) -> AsyncAttempt:
    """A new :class:`AsyncAttempt` of ``handler(payload, ctx)``, to be entered (``enter``) or scheduled
    (``schedule_entry``); ``finish(attempt, error, response)`` is called once at its end.

    What an ``__init__`` would do: the class has none, so that making one is a call of the class without a Python
    ``__init__`` (no interpreter call of its own, and no tuple of its eleven arguments), some 60 ns less per
    ``async def`` attempt, measured on CPython 3.11.
    """
    self = AsyncAttempt()
    self._env = env
    self._handler = handler
    self._payload = payload
    self._ctx = ctx
    self._deadline = deadline
    self._timeout_s = timeout_s
    self._finish = finish
    self._interrupt = interrupt
    self._limit = limit_bytes
    self._log = log
    self.owner = owner
    self._coro = None
    self._token = 0
    self._deadline_timer = False
    self.done = False
    self.callbacks = None
    return self


def _repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 200 else text[:200] + "..."


_WAKE = (AsyncAttempt._step,)
"""The callbacks of an attempt waiting for its sleep to end: ``Kernel.step`` calls each with the attempt, which
resumes its handler (``_step`` with no value), unless it has ended by then (``_step`` then does nothing)."""
