"""Which messages of a standard queue are visible, in send order, without looking at those in flight.

A receive takes the first visible messages in send order. Scanning the queue for them passes over every message in
flight or delayed first, and an event source mapping with hundreds of batches in flight receives thousands of
times a minute: the scan made each receive cost in proportion to the concurrency. This index answers in time
proportional to what the receive takes: a heap of messages visible now, ordered by send order, and a heap of the
others ordered by the time they become visible, moved over as the clock passes it.

Entries are never updated in place: a message whose visibility changes (received, ``ChangeMessageVisibility``) is
pushed again with its new time, and entries that no longer describe the message (deleted, moved to a dead-letter
queue, expired, purged, made invisible again) are dropped when they reach the top. A stale entry can only
duplicate what a live one says, so the index gives exactly the messages, and the order, a scan of the queue in send
order would (``tests/test_sqs_visibility.py`` checks it against the scan over random operations).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.aws.sqs.backend import Message

__all__ = ["VisibilityIndex"]


class VisibilityIndex:
    """The visible messages of one standard queue, in send order (see the module's docstring)."""

    __slots__ = ("_later", "_orders", "_ready")

    def __init__(self) -> None:
        self._ready: list[tuple[int, Message]] = []  # (send order, message): visible when pushed
        self._later: list[tuple[float, int, Message]] = []  # (visible at, send order, message)
        self._orders = itertools.count()

    def add(self, msg: Message, now: float) -> None:
        """A message that joined the queue (sent, or moved in from a source queue): it takes the next send order."""
        msg.order = next(self._orders)
        self.schedule(msg, now)

    def schedule(self, msg: Message, now: float) -> None:
        """Note the message's ``visible_at``, set or changed just now."""
        if msg.visible_at <= now:
            heappush(self._ready, (msg.order, msg))
        else:
            heappush(self._later, (msg.visible_at, msg.order, msg))

    def clear(self) -> None:
        """Forget every message (the queue was purged)."""
        self._ready.clear()
        self._later.clear()

    def _promote(self, messages: dict[str, Any], now: float) -> None:
        later, ready = self._later, self._ready
        while later and later[0][0] <= now:
            at, order, msg = heappop(later)
            if msg.visible_at == at and messages.get(msg.message_id) is msg:
                heappush(ready, (order, msg))

    def visible(self, messages: dict[str, Any], now: float) -> Iterator[Message]:
        """The visible messages in send order, each taken off the index as it is given: the caller receives it
        (and schedules it again once the receive is over), moves it or deletes it."""
        self._promote(messages, now)
        ready = self._ready
        given = -1
        while ready:
            order, msg = heappop(ready)
            # A message's entries share its order, so a second live entry of one comes right after the first.
            if order != given and msg.order == order and msg.visible_at <= now and messages.get(msg.message_id) is msg:
                given = order
                yield msg

    def any_visible(self, messages: dict[str, Any], now: float) -> bool:
        """Whether some message is visible now."""
        self._promote(messages, now)
        ready = self._ready
        while ready:
            order, msg = ready[0]
            if msg.order == order and msg.visible_at <= now and messages.get(msg.message_id) is msg:
                return True
            heappop(ready)
        return False
