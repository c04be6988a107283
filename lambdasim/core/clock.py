"""The simulated clock: a ``simpy.Environment`` whose ``run(until=t)`` costs the events up to ``t``, nothing more.

Scripts step the clock in small increments (``sim.run(until=t)`` before each invoke), so a call that processes no
event or a few must cost little. SimPy's own ``run(until=t)`` schedules a stop event, processes it and unwinds
with an exception, about 3 µs a call. :meth:`Clock.run` does the same steps without them, and is exactly
equivalent: SimPy's stop event sits at ``(now + (t - now), URGENT, its id)`` on the queue, so everything that
sorts before that key is processed, nothing else, and the clock then reads that time. The ids SimPy takes are
taken too (the stop event's, and the one it takes when it puts itself back on the queue to be processed first, as
a no-op, when the clock next runs), so the ids of later events, the third field of queue entries that orders
ties, stay what they would have been. :meth:`Clock.run_until_processed` is ``run(until=event)`` likewise.

This module is where lambdasim reaches past SimPy's public API for that (``_queue``, ``_eid``, ``_now``: stable
since SimPy 3), pinned against SimPy by ``tests/test_clock.py``. :func:`timeout` is ``env.timeout(delay)``
without its two calls, for handlers that sleep.

:attr:`Clock.before_run` lets the owner of the clock act before it moves: the
:class:`~lambdasim.aws.simulation.Simulation` freezes the results it handed out and nobody has read yet.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any, TypeVar

import simpy
from simpy.events import NORMAL, URGENT, Event, Timeout


class Clock(simpy.Environment):
    """A ``simpy.Environment`` with a cheap ``run(until=number)`` and a hook called before any run."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.before_run: Callable[[], None] | None = None
        self.stepping = False  # inside run(): whatever is read now may change before the caller sees it again

    def run(self, until: float | Event | None = None) -> Any:
        """As :meth:`simpy.Environment.run`; for a number, without SimPy's stop event (see the module notes)."""
        if self.before_run is not None:
            self.before_run()
        if until is None or isinstance(until, Event):
            self.stepping = True
            try:
                return super().run(until)
            finally:
                self.stepping = False
        at = until if isinstance(until, int) else float(until)
        now = self._now
        if at <= now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        # SimPy's stop event: Environment.schedule(event, URGENT, at - now), on the queue as (time, URGENT, id).
        stop = (now + (at - now), URGENT, next(self._eid))
        queue = self._queue
        step = self.step
        self.stepping = True
        try:
            while queue and queue[0] < stop:
                step()
        finally:
            self.stepping = False
        self._now = stop[0]
        next(self._eid)  # the id SimPy takes when its stop event puts itself back on the queue (priority -1)
        return None

    def run_until_processed(self, event: Event) -> None:
        """As ``run(until=event)`` for an event that will succeed: step until it has been processed (its callbacks
        called), without SimPy's stop callback and the exception it unwinds with. Raises ``RuntimeError`` as SimPy
        does if nothing is left to do before then."""
        if self.before_run is not None:
            self.before_run()
        queue = self._queue
        step = self.step
        self.stepping = True
        try:
            while event.callbacks is not None:
                if not queue:
                    raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {event}')
                step()
        finally:
            self.stepping = False
        next(self._eid)  # the id SimPy takes when the event puts itself back on the queue (see run)


T = TypeVar("T", bound=Timeout)


def timeout(env: simpy.Environment, delay: float, kind: type[T]) -> T:
    """``kind(env, delay)`` for a ``delay`` >= 0 (checked by the caller), built and queued as ``Timeout.__init__``
    does (``env.schedule(self, NORMAL, delay)``), without the calls: the same object on the same queue entry."""
    event = kind.__new__(kind)  # (kind.__init__ would be Timeout's: the stores below)
    event.env = env
    event.callbacks = []
    event._value = None
    event._delay = delay
    event._ok = True
    queue: list[Any] = env._queue
    heappush(queue, (env._now + delay, NORMAL, next(env._eid), event))
    return event
