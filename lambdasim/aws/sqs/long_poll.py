"""SQS long polling on the simulated clock: a top-level ``ReceiveMessage`` that waits.

``receive_message(WaitTimeSeconds=n)`` (or a queue whose ``ReceiveMessageWaitTimeSeconds`` is ``n``) called from
top-level code, on a queue with nothing to receive, advances the simulated clock, as a top-level ``RequestResponse``
invoke does, until a message can be received or ``n`` seconds have passed, and answers at that simulated time
[doc: "Amazon SQS short and long polling": long polling returns as soon as a message is available, or an empty
response when the wait time expires].

The wait wakes at the earliest of: the deadline, the time a stored message (delayed or in flight) becomes visible,
and a message being sent, moved in or made visible (the queue's listeners, which Lambda's pollers use too). After
each wake the receive is tried again; a wake that finds nothing (a FIFO group still blocked, a delayed message)
waits on. Nothing is left on the event queue when the wait ends, so a later ``sim.run()`` ends where it would have.

Inside the simulation (a handler, a sink, a workload), the clock cannot be advanced by the code the clock is
running: there a receive answers at once, as a short poll of everything visible. [model] A handler's own time is
its ``Duration`` model (or what an ``async def`` handler awaits), never the calls it makes, so this is the same rule
as for its other calls; raising instead would break handlers that merely read from a queue configured for long
polling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdasim.core._kernel import QueueItem

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.aws.sqs.backend import Queue

__all__ = ["wait_for_message"]


class _Wake(QueueItem):
    """The timer of one wait: at the deadline or when a stored message becomes visible."""

    __slots__ = ("callbacks",)

    def __init__(self, wake: Callable[[Any], None]) -> None:
        self.callbacks = (wake,)


def wait_for_message(sim: Simulation, queue: Queue, deadline: float) -> None:
    """Advance the clock (top-level code only) until something may be receivable from ``queue`` or ``deadline``."""
    env = sim.env
    now = env.now
    at = min((m.visible_at for m in queue.messages.values() if now < m.visible_at < deadline), default=deadline)
    done = env.event()
    fired = False

    def wake(_item: Any) -> None:
        nonlocal fired
        fired = True
        if not done.triggered:
            done.succeed()

    entry = env.push(at, _Wake(wake))

    def told(_msg: Any) -> None:
        if not done.triggered:
            done.succeed()

    queue.listeners.append(told)
    try:
        sim.advance_until(done)
    finally:
        queue.listeners.remove(told)
        if not fired:
            env.remove(entry)
