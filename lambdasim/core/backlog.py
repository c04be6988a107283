"""Events backing off from throttles while their concurrency is full: their tries counted, not stepped one by one.

A throttling storm is mostly tries that are throttled again: AWS backs a throttled event off for 1, 2, 4 ... 300 s,
so an event that waits ten minutes is throttled about six times, and each of those tries would be a step of SimPy's
of its own. Yet while a *pool* of concurrency (one function's reserved concurrency, or the account's unreserved
concurrency) is full, every such try of its events is throttled, whatever else happens: the pool has room again
only when an attempt in it ends (or its limits change, which the engine handles by :meth:`Backlog.release_all`).
So an event's tries while the pool stays full are certain, and depend on nothing but the event: a :class:`Backlog`
keeps such events *parked*, and

- when an attempt in the pool ends (:meth:`Backlog.freed`), it first *catches up*: every parked try due before
  then is a throttle, counted at its own time (``Throttles`` by reason, and per period in the function's metrics)
  and followed by the next backoff, exactly as if it had been a step of its own;
- while the pool has room, the earliest parked try sits on SimPy's queue (a :class:`Wake`): if the pool is still
  not full when it comes due, it is tried for real (``Engine._poll``), otherwise the next catch-up counts it;
  no parked try comes before it, as the pool has had room since it was the earliest;
- a try that would end the event (its age would pass ``MaximumEventAgeInSeconds`` at the next backoff) is never
  parked: it goes on SimPy's queue, so the outcome comes at its own time and in its own order. To find such a try
  in time, a pool whose events may be that old catches up at least once per shortest backoff (a *tick*), from the
  earliest time any of them could be (``MaximumEventAgeInSeconds`` less the longest backoff after enqueueing);
  likewise for an event throttled :data:`_LAST_LANE` times in a row, which is stepped one try at a time from then.

Events are parked at their first throttle in a row, from ``Engine._poll``, or straight from ``Engine.enqueue`` when a
workload's event arrives while its pool is full and nothing else is due before its poll would be.

Why this is exact: tries of backed-off events are ordered by their due time and then by event (SimPy entries
``(due, BACKOFF, uid)``, :data:`BACKOFF` after everything else due at the same instant), never by when they were
scheduled, so counting a try late does not change where it falls; and a pool's fullness changes only at the points
above. ``tests/test_backlog.py`` and ``tests/test_performance_equivalence.py`` check runs with parking against runs
with every try stepped, bit for bit.

Speed: a catch-up moves each event from the lane of ``n`` throttles in a row to that of ``n + 1``, lanes being FIFOs
(every event of a lane got there by the same backoff, so they come due in the order they came in). An event's next
try's time is on the event (``ev.due``): a move touches the event anyway (the lane it joins holds a reference), and
one deque per lane is two calls fewer per move than a second deque of times beside it (measured: 2.5% fewer
bytecodes in the storm benchmark; unboxed arrays of times and uids, which touch no event, were slower: each read
boxes a number, and batch moves of the one or two tries a lane has due cost more than they save).
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heapify, heappush
from typing import TYPE_CHECKING, Any

from simpy.events import NORMAL

from lambdasim.core._kernel import QueueItem
from lambdasim.core.rules import ThrottleReason

if TYPE_CHECKING:
    from lambdasim.core.engine import AsyncEvent, Engine, FunctionState

# SimPy's priority of a backed-off event's next try: after URGENT (0) and NORMAL (1), so at one and the same instant
# attempts that end free their concurrency, and new events are polled, before events back from a backoff try again;
# among those, the entry's third field (the event's uid, its order of acceptance) decides. [model]
BACKOFF = 2
_NEVER = math.inf
# Lanes 1 to 60: an event throttled 61 times in a row (about 4.5 hours of throttles with the default backoffs, less
# with a short cap) is stepped one try at a time from then on. Lanes cost a little per catch-up each, and from the
# 61st throttle on the backoff is the cap (Engine._backoffs), so more of them would buy little.
_LAST_LANE = 60

__all__ = ["BACKOFF", "Backlog", "Wake"]


class Wake(QueueItem):
    """A parked event's try put on SimPy's queue because its pool has room (see :meth:`Backlog.freed`)."""

    __slots__ = ("callbacks", "due", "ev", "lane")

    def __init__(self, backlog: Backlog, ev: AsyncEvent, lane: int, due: float) -> None:
        self.ev = ev
        self.lane = lane  # the lane it is in: it has been throttled that many times in a row
        self.due = due
        self.callbacks = backlog.wake_step


class _Tick(QueueItem):
    """A backlog's periodic catch-up on SimPy's queue (see :meth:`Backlog.park`)."""

    __slots__ = ("callbacks",)

    def __init__(self, backlog: Backlog) -> None:
        self.callbacks: tuple[Any, ...] | None = backlog._ticker_step


class Backlog:
    """The parked events of one pool of concurrency: ``fs``'s reserved concurrency, or (``fs`` None) the account's
    unreserved concurrency. ``lanes[n]`` holds, in the order they come due, the events throttled ``n`` times in a
    row, each with its next try's time in ``ev.due``."""

    __slots__ = (
        "_afters",
        "_backoffs",
        "_cap",
        "_delays",
        "_engine",
        "_period",
        "_queue",
        "_shortest",
        "_spare",
        "_start",
        "_start_index",
        "_tick_entry",
        "_ticker",
        "_ticker_step",
        "_to_last_lane",
        "_woken",
        "_woken_due",
        "count",
        "first",
        "first_lane",
        "fs",
        "heads",
        "lanes",
        "next_due",
        "oldest_at",
        "reason",
        "wake_step",
    )

    def __init__(self, engine: Engine, fs: FunctionState | None) -> None:
        self._engine = engine
        self._queue: list[Any] = engine._queue
        self._backoffs = backoffs = engine._backoffs
        self.fs = fs
        self.reason = ThrottleReason.ACCOUNT if fs is None else ThrottleReason.RESERVED
        self.lanes: list[deque[AsyncEvent]] = [deque(), deque()]  # index 0 unused: n >= 1
        self.heads = [_NEVER, _NEVER]  # the due time of each lane's first event
        # By lane n: the backoff after the (n + 1)-th throttle in a row, and after the (n + 2)-th (see _backoffs).
        self._delays = [backoffs[min(n + 1, 61)] for n in range(_LAST_LANE + 1)]
        self._afters = [backoffs[min(n + 2, 61)] for n in range(_LAST_LANE + 1)]
        self._period = engine.settings.metrics_period_s
        self._start_index = -1
        self._start = 0.0
        self.count = 0  # events parked
        self.next_due = _NEVER  # the earliest parked try (a lower bound; exact while `first` is known)
        self.first: AsyncEvent | None = None  # the event of that try, when known (None: find it again)
        self.first_lane = 1  # and its lane
        # The try of the latest wake put on SimPy's queue (none: it came): not put there twice.
        self._woken: AsyncEvent | None = None
        self._woken_due = 0.0
        self.wake_step = (self._wake,)
        self._spare: list[Wake] = []  # wakes that came, to use again
        self._cap = max(backoffs)  # the longest backoff and the shortest (the tick's period)
        # From the first throttle to the try in the last lane (about: floats round each step's sum).
        self._to_last_lane = sum(backoffs[min(k, 61)] for k in range(1, _LAST_LANE + 1))
        self._shortest = min(backoffs[1:])
        # The earliest time a parked event could be within a backoff of its maximum age (a lower bound), and the
        # tick on SimPy's queue: a queue entry, removed when the backlog empties, so it never prolongs a run.
        self.oldest_at = _NEVER
        self._tick_entry: tuple[float, int, int, _Tick] | None = None
        self._ticker_step = (self._tick,)
        self._ticker = _Tick(self)

    # -- the pool -------------------------------------------------------------------------------------------------

    def has_room(self) -> bool:
        """Whether a try now would not be throttled for lack of concurrency (``Engine._acquire``'s test)."""
        fs = self.fs
        if fs is None:
            engine = self._engine
            return engine.unreserved_in_use < engine.unreserved_limit
        limit = fs.on_demand_limit  # (Engine.full_pool's rule: the limit is set by Engine.changing_pools)
        return limit is not None and fs.in_use < limit

    # -- parking ----------------------------------------------------------------------------------------------------

    def park(self, ev: AsyncEvent, due: float) -> None:
        """Park ``ev``, just throttled for the first time in a row (``ev.throttles`` 1), until its try at ``due``."""
        enqueued_at = ev.enqueued_at
        max_age = ev.target.max_event_age_s
        if due - enqueued_at + self._afters[0] > max_age:
            self._to_queue(ev, due)  # that try ends the event if it is throttled: at its own time
            return
        lane = self.lanes[1]
        if lane:
            last = lane[-1]
            if due <= last.due and not _after(last.due, last.uid, due, ev.uid):
                self._to_queue(ev, due)  # out of order at a tie (rare): on SimPy's queue, which orders it
                return
        else:
            self.heads[1] = due
        ev.backlog = self
        lane.append(ev)
        ev.due = due
        if not self.count:
            self.first = ev
            self.first_lane = 1
            self.next_due = due
        elif due < self.next_due:
            self.next_due = due
            if self.first is not None:  # (when not known, the next catch-up finds it)
                self.first = ev
                self.first_lane = 1
        elif due == self.next_due and self.first is not None and ev.uid < self.first.uid:
            self.first = ev
            self.first_lane = 1
        self.count += 1
        # Its tries from `near` on may end it: from then on, catch up at least once per shortest backoff, so that
        # the try before the one that ends it is counted (and that one put on SimPy's queue) in time. (A second
        # early, so that catch_up may skip the exact test for tries before it, whatever the rounding.)
        # Likewise from its try in the last lane on, after which it leaves (see _LAST_LANE).
        now = self._engine.env.now
        near = enqueued_at + max_age
        if now + self._to_last_lane < near:
            near = now + self._to_last_lane
        near -= self._cap + 1.0
        if near < self.oldest_at:
            self.oldest_at = near
            self._schedule_tick(near if near > now else now)

    def _to_queue(self, ev: AsyncEvent, due: float) -> None:
        ev.callbacks = self._engine._poll_step
        heappush(self._queue, (due, BACKOFF, ev.uid, ev))

    def catch_up(self, limit: float) -> None:
        """Every parked try due before ``limit`` happened while the pool was full: count each as a throttle at its
        own time and back its event off again (``Engine._poll`` and ``Engine._back_off`` for a throttle, exactly).
        Leaves the earliest parked try in :attr:`first`."""
        if self.next_due >= limit and self.first is not None:
            return
        heads = self.heads
        # The earliest try left, in lane `best` (heads[0] is never a try's: lanes start at 1).
        earliest = min(heads)
        if earliest < limit:
            self._move(limit)
            earliest = min(heads)
        if earliest == _NEVER:
            self._emptied()
            return
        best = heads.index(earliest)
        if heads.count(earliest) > 1:  # in two lanes or more (rare): the event accepted first goes first
            lanes = self.lanes
            best = min((k for k, h in enumerate(heads) if h == earliest), key=lambda k: lanes[k][0].uid)
        self.first = self.lanes[best][0]
        self.first_lane = best
        self.next_due = earliest

    def _move(self, limit: float) -> None:
        """:meth:`catch_up`'s work when a parked try is due before ``limit``: those tries, lane by lane."""
        lanes = self.lanes
        heads = self.heads
        delays = self._delays
        afters = self._afters
        oldest_at = self.oldest_at
        single = self.fs  # a function's pool: one function to count for; None: the account's, of many
        reason = self.reason
        period = self._period
        index = int(limit // period)
        # Tries from `start` on count in the period of `limit` (most of them); those before, in `earlier`.
        start = self._start if index == self._start_index else self._period_start(index)
        here = 0
        earlier: dict[int, int] | None = None
        top = len(lanes) - 1
        # Lane by lane, in order (a lane's events move on to the next lane, which may then have tries due too):
        # enumerate reads each head as it comes to it, after the lane before has moved its events on, and sees a
        # lane added on the way. (Heads[0] is never a try's.) Most lanes have none due: this skips them quickly.
        for n, head in enumerate(heads):
            if head < limit:
                due = head
                if n == top:
                    lanes.append(deque())
                    heads.append(_NEVER)
                    top += 1
                lane = lanes[n]
                nxt = lanes[n + 1]
                delay = delays[n]  # the backoff after the (n + 1)-th throttle in a row
                # From the last lane on, events go back on SimPy's queue (see _LAST_LANE); else near their maximum
                # age, if the try ends them.
                leave_at = oldest_at if n < _LAST_LANE else -_NEVER
                while True:  # the lane's tries due before `limit`, from its first (due at `due`)
                    ev = lane.popleft()
                    if single is None:
                        _count(ev.fs, reason, int(due // period), 1)
                    elif due >= start:
                        here += 1
                    else:
                        i = int(due // period)
                        if earlier is None:
                            earlier = {}
                        earlier[i] = earlier.get(i, 0) + 1
                    due += delay
                    if due >= leave_at and (
                        n == _LAST_LANE or due - ev.enqueued_at + afters[n] > ev.target.max_event_age_s
                    ):
                        self._leave(ev, due, n + 1)  # that try ends the event if throttled: at its own time
                    elif nxt and due <= nxt[-1].due and not _after(nxt[-1].due, nxt[-1].uid, due, ev.uid):
                        # A tie out of order, the rounding of two sums making two due times equal (rare): a try
                        # still to come goes on SimPy's queue, which orders it; one that came already (the pool
                        # full since) takes its place in the lane, to be counted there in its order.
                        if due >= limit:
                            self._leave(ev, due, n + 1)
                        else:
                            ev.due = due
                            _insert(nxt, ev)
                    else:
                        ev.due = due
                        nxt.append(ev)
                    if not lane:
                        heads[n] = due = _NEVER
                        break
                    due = lane[0].due
                    if due >= limit:
                        heads[n] = due
                        break
                if nxt:
                    heads[n + 1] = nxt[0].due
        if single is not None:
            if here:
                _count(single, reason, index, here)
            if earlier is not None:
                for i, k in earlier.items():
                    _count(single, reason, i, k)

    def _period_start(self, index: int) -> float:
        """The least time in metrics period ``index`` (``int(t // period) == index``), as floats round it."""
        period = self._period
        t = index * period
        while int(t // period) < index:
            t = math.nextafter(t, math.inf)
        while t > 0.0 and int(math.nextafter(t, -math.inf) // period) >= index:
            t = math.nextafter(t, -math.inf)
        self._start_index = index
        self._start = t
        return t

    def _leave(self, ev: AsyncEvent, due: float, throttles: int) -> None:
        """Unpark ``ev``, throttled ``throttles`` times in a row: its try at ``due`` goes on SimPy's queue."""
        ev.throttles = throttles
        ev.backlog = None
        self.count -= 1
        self._to_queue(ev, due)

    # -- room in the pool -----------------------------------------------------------------------------------------

    def freed(self) -> None:
        """An attempt in the pool ended just now: catch up, and if there is room, put the next try on the queue."""
        now = self._engine.env.now
        if self.next_due < now or self.first is None:
            self.catch_up(now)
        first = self.first
        if first is None or (first is self._woken and self.next_due == self._woken_due):
            return  # none parked, or its wake is on the queue
        fs = self.fs
        if fs is not None:
            limit = fs.on_demand_limit  # (has_room, inline: this runs at every release of a full pool)
            if limit is not None and fs.in_use < limit:
                self._wake_first()
        elif self.has_room():
            self._wake_first()

    def _wake_first(self) -> None:
        """Put the earliest parked try (:attr:`first`, known) on SimPy's queue: the pool has room, so it may be
        tried for real. (A wake put there earlier for another try stays, and does nothing when it comes.)"""
        first = self.first
        assert first is not None
        self._woken = first
        self._woken_due = due = self.next_due
        spare = self._spare
        if spare:  # a wake that came, again (SimPy took its callbacks when it popped it)
            wake = spare.pop()
            wake.ev = first
            wake.lane = self.first_lane
            wake.due = due
            wake.callbacks = self.wake_step
        else:
            wake = Wake(self, first, self.first_lane, due)
        heappush(self._queue, (due, BACKOFF, first.uid, wake))

    def _wake(self, wake: Wake) -> None:
        ev = wake.ev
        n = wake.lane
        due = wake.due
        self._spare.append(wake)  # off the queue: free for the next wake
        if ev is self._woken:
            self._woken = None
        lane = self.lanes[n]
        if ev.backlog is not self or not lane or lane[0] is not ev or ev.due != due:
            return  # outdated: the event was tried, or moved on, since
        fs = self.fs
        if fs is None:
            if not self.has_room():
                return  # throttled again: the next catch-up counts it
        else:
            limit = fs.on_demand_limit  # (has_room, inline: once per woken event)
            if limit is None or fs.in_use >= limit:
                return  # throttled again: the next catch-up counts it
        # No parked try comes before this one (it was the earliest when the pool last had room, and the pool has
        # had room since), so it is its lane's first: take it out and try it for real.
        lane.popleft()
        self.heads[n] = lane[0].due if lane else _NEVER
        ev.throttles = n
        ev.backlog = None
        self.count -= 1
        self.first = None  # to be found again
        if not self.count:
            self._emptied()
        engine = self._engine
        engine._poll(ev)
        if self.count and self.has_room():  # (the poll may run a handler: ask again)
            self.catch_up(engine.env.now)  # nothing is due before now: this finds the next first
            self._wake_first()

    # -- ends ---------------------------------------------------------------------------------------------------------

    def release_all(self) -> None:
        """Unpark every event, its next try on SimPy's queue as without parking (the pool's limits change)."""
        self.catch_up(self._engine.env.now)
        for n, lane in enumerate(self.lanes):
            self.heads[n] = _NEVER
            while lane:
                ev = lane.popleft()
                ev.throttles = n
                ev.backlog = None
                self._to_queue(ev, ev.due)
        self.count = 0
        self._emptied()

    def _emptied(self) -> None:
        """No event is parked any more: forget the oldest, and take the tick off the queue."""
        self.oldest_at = _NEVER
        self.next_due = _NEVER
        self.first = None
        if self._tick_entry is not None:
            self._unschedule_tick()

    # -- ticks ----------------------------------------------------------------------------------------------------

    def _schedule_tick(self, at: float) -> None:
        entry = self._tick_entry
        if entry is not None:
            if entry[0] <= at:
                return
            self._unschedule_tick()
        entry = self._tick_entry = (at, NORMAL, next(self._engine._eid), self._ticker)
        heappush(self._queue, entry)

    def _unschedule_tick(self) -> None:
        queue = self._queue
        queue.remove(self._tick_entry)
        heapify(queue)
        self._tick_entry = None

    def _tick(self, ticker: _Tick) -> None:
        ticker.callbacks = self._ticker_step  # Environment.step took them
        self._tick_entry = None
        now = self._engine.env.now
        self.catch_up(now)
        if self.count:
            at = now + self._shortest
            self._schedule_tick(at if at > self.oldest_at else self.oldest_at)


def _count(fs: FunctionState, reason: ThrottleReason, index: int, n: int) -> None:
    """``n`` throttles of ``fs`` in the metrics period ``index`` (``Engine._poll``'s counts, in one step)."""
    fs.stats.throttles[reason] += n
    d = fs.metrics.throttles
    d[index] = d.get(index, 0) + n


def _insert(lane: deque[AsyncEvent], ev: AsyncEvent) -> None:
    """Put ``ev`` in its place in ``lane`` (in order of due time, then uid), searching from the lane's last."""
    due = ev.due
    uid = ev.uid
    j = len(lane)
    while j and _after(due, uid, lane[j - 1].due, lane[j - 1].uid):
        j -= 1
    lane.insert(j, ev)


def _after(last_due: float, last_uid: int, due: float, uid: int) -> bool:
    """Whether the try ``(due, uid)`` comes after the try ``(last_due, last_uid)``: by due time, then by uid."""
    return due > last_due or (due == last_due and uid > last_uid)
