"""The one adapter between lambdasim and SimPy's internals.

lambdasim's hot path schedules its own objects on SimPy's event queue instead of creating a ``Timeout`` (and a
closure) per step, and reads the clock without a property call: about 1 µs saved per step, measured. That relies on
four facts about SimPy 4 that are not public API. They are stated here, used only through this module, and pinned
by ``tests/test_kernel.py``, so a SimPy release that changes any of them fails loudly instead of silently:

1. ``Environment._queue`` is a heap (``heapq``) of 4-tuples ``(time, priority, event id, event)``;
2. ``Environment._eid`` is the ``itertools.count`` that numbers those entries (same-time ties go by priority, then
   by that number, which is scheduling order);
3. ``Environment.step`` pops the least entry, sets ``_now`` to its time, calls each of ``event.callbacks`` with
   the event, and then reads ``event._ok`` (a failed, undefused event crashes the run): so any object with
   ``callbacks`` and ``_ok`` (a :class:`QueueItem`) can stand in for an event;
4. ``Timeout._delay`` holds a timeout's delay.

:class:`Kernel` is SimPy's ``Environment`` with its ``step`` taken over (a faithful copy of SimPy 4.1's, which also
keeps :attr:`Kernel.now` in step with ``_now``), so that ``now`` is a plain attribute, as cheap to read as ``_now``,
and :attr:`Kernel.queue` / :attr:`Kernel.eids` name the queue and the entry counter. :meth:`Kernel.run` with a
number (what scripts call before each invoke) processes the entries SimPy's own stop event would let through,
without creating one (a third of the cost of a small step), taking the same event ids. Code that pushes an entry
builds the tuple of fact 1 itself (``heappush(kernel.queue, (at, priority, next(kernel.eids), item))``): a call per
push would cost what the design saves. Inside that loop :attr:`Kernel.horizon` is the run's stop entry, so that a
step may process an entry it made instead of pushing it, when that entry sorts before everything queued and before
the stop: what the next step would do, moving the clock with :meth:`Kernel.step_to`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from heapq import heapify, heappop, heappush
from typing import Any, Final

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority, Timeout

__all__ = ["NORMAL", "URGENT", "Entry", "Kernel", "QueueItem", "timeout_delay"]

Entry = tuple[float, int, int, Any]
"""One entry of SimPy's event queue: ``(time, priority, order, event)`` (fact 1)."""


_AFTER_EVERYTHING: Final = (math.inf, math.inf, math.inf)
"""A stop entry after every queue entry, one at an infinite time too: ``run()`` without ``until`` steps them all."""


class Kernel(simpy.Environment):
    """SimPy's ``Environment``, the facts of this module's docstring in one place.

    Attributes:
        now: The simulated time (s): a plain attribute, kept equal to SimPy's ``_now`` by :meth:`step`.
        queue: SimPy's event queue (fact 1).
        eids: The counter that orders same-time, same-priority entries (fact 2).
    """

    now: float = 0.0  # shadows SimPy's ``now`` property: an instance attribute, set in __init__ and step

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        self.now = float(initial_time)
        self.queue: list[Any] = self._queue  # entries as Entry (fact 1); typed loosely for stand-in items
        self.eids: Iterator[int] = self._eid
        # Called before the clock moves: the Simulation freezes the results it handed out and nobody read yet.
        self.before_run: Callable[[], None] | None = None
        # While _step_while_before runs: the queue entry of its stop, which every entry it steps sorts before. An
        # entry a step would push and that would be the very next one stepped may then be processed in that step,
        # as the next step would (see Engine.arrive); outside such a loop (step(), SimPy's own run) it is None.
        self.horizon: tuple[float, float, float] | None = None
        self.stepping = False  # inside run(): whatever is read now may change before the caller sees it again

    def run(self, until: float | Event | None = None) -> Any:
        """As SimPy's ``Environment.run``; for a number, without SimPy's stop event.

        Scripts step the clock in small increments (``sim.run(until=t)`` before each invoke), so a call that
        processes no event or a few must cost little. SimPy's ``run(until=t)`` schedules a stop event at
        ``(now + (t - now), URGENT, its id)``, processes it and unwinds with an exception, about 3 µs a call. This
        processes exactly the entries that sort before that key, then reads that time, and takes the two ids SimPy
        would take (the stop event's, and the one it takes when it puts itself back on the queue), so the ids that
        order later ties stay what they would have been. An exception (Ctrl-C) leaves nothing on the queue.
        """
        if until is None or isinstance(until, Event):
            if self.before_run is not None:
                self.before_run()
            self.stepping = True
            try:
                return super().run(until) if until is not None else self._drain()
            finally:
                self.stepping = False
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        self.run_to(at)  # which calls before_run
        return None

    def run_to(self, at: float) -> None:
        """``run(until=at)`` for a number ``at`` (an int or a float) greater than :attr:`now`, checked by the
        caller: what a script calls before each invoke, without ``run``'s tests of ``until``'s kind."""
        if self.before_run is not None:
            self.before_run()
        now = self._now
        stop = (now + (at - now), URGENT, next(self._eid))
        end = stop[0]
        self.stepping = True
        try:
            self._step_while_before(end, stop)
        finally:
            self.stepping = False
        self.now = self._now = end
        next(self._eid)  # the id SimPy takes when its stop event puts itself back on the queue (priority -1)

    def _drain(self) -> Any:
        """SimPy's ``run()`` (no ``until``): step until nothing is left."""
        try:
            self._step_while_before(math.inf, _AFTER_EVERYTHING)
        except StopSimulation as exc:  # a stop callback left on an event by an earlier run (as SimPy's run)
            return exc.args[0]
        return None

    def _step_while_before(self, end: float, stop: tuple[float, float, float]) -> None:
        """Step while the queue's head comes before ``stop``, the queue entry of a stop event at ``end``, with
        :meth:`step` inline: a whole run's events go through here, and a call per step is a good part of a small
        step's cost."""
        queue = self._queue
        self.horizon = stop
        # `while queue and queue[0] < stop`, with the entries' times compared first (they differ but at a tie).
        try:
            while queue:
                head = queue[0]
                t = head[0]
                if not (t < end or (t == end and head < stop)):
                    break
                heappop(queue)
                event = head[3]
                self.now = self._now = t
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
                try:
                    for callback in callbacks:
                        callback(event)
                except StopSimulation:
                    event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                    self.schedule(event, EventPriority(URGENT - 1))
                    raise
                if not event._ok and not hasattr(event, "_defused"):
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
        finally:
            self.horizon = None

    def step_to(self, t: float) -> None:
        """Set the clock to ``t``, the time of the entry a step processes without taking it off the queue (it was
        never pushed: see :attr:`horizon`): what :meth:`step` does before calling its callbacks."""
        self.now = self._now = t

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

    def step(self) -> None:
        """Process the next event: SimPy 4.1's ``Environment.step`` (fact 3), also setting :attr:`now`."""
        try:
            now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now = now
        # Set the callbacks to None at once, to prevent concurrent modifications (as SimPy does).
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            # Keep the remaining callbacks, and process the event again when the simulation resumes (as SimPy).
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(URGENT - 1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            # A failed event nobody defused crashes the run, with a copy of its exception (as SimPy).
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def push(self, at: float, item: Any, priority: int = NORMAL) -> Entry:
        """Put ``item`` on the queue at absolute time ``at`` (no rounding through a delay); return its entry."""
        entry: Entry = (at, priority, next(self._eid), item)
        heappush(self.queue, entry)
        return entry

    def remove(self, entry: Entry) -> None:
        """Take ``entry`` off the queue (O(queue length): for rare control-plane changes, not the hot path)."""
        queue = self.queue
        for i, queued in enumerate(queue):
            if queued is entry:
                del queue[i]
                heapify(queue)
                return


class QueueItem:
    """Something lambdasim puts on SimPy's queue itself, standing in for a triggered ``simpy.Event`` (fact 3).

    ``Kernel.step`` calls each of ``callbacks`` with the item, then reads ``_ok``: always true, as nothing here
    fails the way an event does. Subclasses declare ``callbacks`` in their own ``__slots__`` (or set it in
    ``__init__``).
    """

    __slots__ = ()
    _ok: Final = True
    callbacks: tuple[Callable[[Any], None], ...] | None

    def __lt__(self, other: object) -> bool:
        # Compared only for two entries of equal (time, priority, order): an item and an outdated stand-in for it
        # (lambdasim.core.backlog's wakes). Either order is right, so never raise as objects without ``<`` would.
        return False


def timeout_delay(timeout: Timeout) -> float:
    """The delay of a SimPy ``Timeout`` (fact 4)."""
    return float(timeout._delay)
