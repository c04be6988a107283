"""Consumers of outcomes: how a sink is attached, the statistics every attached sink collects, and two ready sinks.

Anything with ``deliver(outcome)`` is a :class:`~lambdasim.core.outcome.Sink`. ``sim.add_sink(sink, function=...,
conditions=...)`` wraps it in an :class:`Attachment`, which filters by condition, keeps :class:`SinkStats` in memory
that does not grow with the number of events, and turns an exception from the sink into a counted delivery failure,
never a crash of the run. The built-in destinations and dead-letter queues are attached the same way.

Ready sinks: :class:`CollectingSink` keeps what it gets (for tests and notebooks) and :class:`Worker` models a
downstream consumer with its own capacity on the simulated clock.

>>> import lambdasim as ls
>>> sim = ls.Simulation(seed=1)
>>> lam = sim.client("lambda")
>>> _ = lam.create_function(FunctionName="f", Duration=0.5)
>>> got = sim.add_sink(CollectingSink(), function="f")
>>> _ = lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
>>> _ = sim.run()
>>> got.stats.by_condition["Success"], got.sink.outcomes[0].age
(1, 0.5)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from simpy.events import Timeout

from lambdasim.core._validators import check_range, check_type
from lambdasim.core.dist import Distribution, as_distribution
from lambdasim.core.handler import safe_str
from lambdasim.core.outcome import Outcome, Sink
from lambdasim.core.rules import Condition
from lambdasim.core.stats import Level, Tally

if TYPE_CHECKING:
    from lambdasim.core.host import Host

__all__ = ["Attachment", "CollectingSink", "DeliveryError", "SinkStats", "Worker", "conditions_of"]


class DeliveryError(Exception):
    """A sink could not take an outcome (a missing queue, a FIFO target, a full worker): a counted failure."""


class SinkStats:
    """What one sink received: counts per condition, event age at delivery, ``approximateInvokeCount`` histogram.

    Memory is bounded: a few counters, one quantile sketch and one small dict.
    """

    __slots__ = ("age", "by_condition", "failed", "failed_by_condition", "invoke_counts", "last_error")

    def __init__(self) -> None:
        self.by_condition: dict[str, int] = {c.value: 0 for c in Condition}
        self.failed_by_condition: dict[str, int] = {c.value: 0 for c in Condition}
        self.failed = 0
        self.age = Tally()
        self.invoke_counts: dict[int, int] = {}
        self.last_error: str | None = None

    @property
    def delivered(self) -> int:
        """Outcomes the sink took."""
        return sum(self.by_condition.values())

    def record(self, outcome: Outcome) -> None:
        """Count one delivered outcome."""
        self.by_condition[outcome.condition.value] += 1
        self.age.add(outcome.age)
        n = outcome.approximate_invoke_count
        self.invoke_counts[n] = self.invoke_counts.get(n, 0) + 1

    def record_failure(self, outcome: Outcome, error: BaseException) -> None:
        """Count one outcome the sink refused or failed on."""
        self.failed += 1
        self.failed_by_condition[outcome.condition.value] += 1
        self.last_error = f"{type(error).__name__}: {safe_str(error)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "by_condition": {c: n for c, n in self.by_condition.items() if n},
            "failed_by_condition": {c: n for c, n in self.failed_by_condition.items() if n},
            "event_age_s": self.age.to_dict(),
            "approximate_invoke_count": {str(k): v for k, v in sorted(self.invoke_counts.items())},
            "last_error": self.last_error,
        }


def conditions_of(value: Iterable[Condition | str] | Condition | str | None) -> frozenset[Condition] | None:
    """Validate a set of conditions given as :class:`Condition` members or their names (``None``: all)."""
    if value is None:
        return None
    items = [value] if isinstance(value, (str, Condition)) else list(value)
    valid = [c.value for c in Condition]
    out = set()
    for item in items:
        try:
            out.add(Condition(item))
        except ValueError:
            raise ValueError(f"conditions must be among {valid}, got {item!r}") from None
    if not out:
        raise ValueError(f"conditions must name at least one of {valid} (or be None for all), got {value!r}")
    return frozenset(out)


class Attachment:
    """A sink attached to outcomes: what it listens to and the statistics of what it got.

    Attributes:
        sink: The consumer.
        name: Its name in the results.
        function: The function it listens to, or ``None`` for every function.
        conditions: The conditions it listens to, or ``None`` for all.
        stats: Its :class:`SinkStats`.
    """

    __slots__ = ("conditions", "function", "name", "sink", "stats")

    def __init__(
        self,
        sink: Sink,
        name: str,
        *,
        function: str | None = None,
        conditions: frozenset[Condition] | None = None,
    ) -> None:
        self.sink = sink
        self.name = name
        self.function = function
        self.conditions = conditions
        self.stats = SinkStats()

    def offer(self, outcome: Outcome) -> bool | None:
        """Deliver ``outcome`` if it is wanted: ``True`` delivered, ``False`` failed, ``None`` not wanted."""
        if self.conditions is not None and outcome.condition not in self.conditions:
            return None
        try:
            self.sink.deliver(outcome)
        except BaseException as exc:  # a sink must never crash the run: count it and go on
            self.stats.record_failure(outcome, exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise  # the engine stops the run after this outcome's deliveries (Engine.defer_interrupt)
            return False
        self.stats.record(outcome)
        return True

    def deliver(self, outcome: Outcome) -> None:
        """The :class:`~lambdasim.core.outcome.Sink` side: offer and forget."""
        self.offer(outcome)

    def __repr__(self) -> str:
        return f"<Attachment {self.name!r} function={self.function!r} delivered={self.stats.delivered}>"


class CollectingSink:
    """Keeps the outcomes it gets, the last ``limit`` of them if a limit is given.

    Args:
        limit: How many outcomes to keep (the oldest are forgotten first), or ``None`` for all of them.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None:
            check_range("limit", limit, 1, integer=True)
        self.outcomes: deque[Outcome] = deque(maxlen=limit)

    def deliver(self, outcome: Outcome) -> None:
        """Keep ``outcome`` (forgetting the oldest beyond ``limit``)."""
        self.outcomes.append(outcome)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The invocation records of the outcomes kept, oldest first."""
        return [o.record() for o in self.outcomes]

    def __len__(self) -> int:
        return len(self.outcomes)


class Worker:
    """A downstream consumer with its own processing rate, on the simulated clock.

    Outcomes wait in a FIFO queue for one of ``servers`` workers; each takes a service time drawn from
    ``service_time_s`` (seconds, a number or a :mod:`lambdasim.core.dist` distribution) or ``1 / rate_per_s``. With a
    ``capacity``, an outcome that finds that many waiting is refused (a delivery failure). ``process``, if given, is
    called with each outcome when its service ends; an exception from it is counted, never raised.

    Statistics: ``processed``, ``rejected``, ``errors``, ``wait`` (a :class:`~lambdasim.core.stats.Tally` of seconds
    queued), ``age_at_processing`` (seconds from the original ``Invoke`` to the end of service), and the levels
    ``queue`` and ``busy``.

    >>> import lambdasim as ls
    >>> sim = ls.Simulation(seed=3)
    >>> worker = Worker(sim, rate_per_s=2.0)
    >>> worker.service_time.mean
    0.5
    """

    def __init__(
        self,
        sim: Host,
        *,
        rate_per_s: float | None = None,
        service_time_s: float | Distribution | None = None,
        servers: int = 1,
        capacity: int | None = None,
        process: Callable[[Outcome], Any] | None = None,
        name: str = "worker",
    ) -> None:
        if (rate_per_s is None) == (service_time_s is None):
            raise ValueError(
                f"give exactly one of rate_per_s and service_time_s, got rate_per_s={rate_per_s!r}, "
                f"service_time_s={service_time_s!r}"
            )
        if rate_per_s is not None:
            check_range("rate_per_s", rate_per_s, 0.0, low_open=True)
            service_time_s = 1.0 / rate_per_s
        check_range("servers", servers, 1, integer=True)
        if capacity is not None:
            check_range("capacity", capacity, 0, integer=True)
        check_type("name", name, str, "a name")
        self.env = sim.env
        self.name = name
        self.service_time = as_distribution("service_time_s", service_time_s)
        self._sample = self.service_time.sampler(sim.engine.generator(f"worker:{name}", "service"))
        self.servers = servers
        self.capacity = capacity
        self.process = process
        self._waiting: deque[tuple[Outcome, float]] = deque()
        self._busy = 0
        self.processed = 0
        self.rejected = 0
        self.errors = 0
        self.wait = Tally()
        self.age_at_processing = Tally()
        self.queue = Level(self.env.now)
        self.busy = Level(self.env.now)

    def deliver(self, outcome: Outcome) -> None:
        """Serve ``outcome`` now if a server is free, else queue it; ``DeliveryError`` when the queue is full."""
        now = self.env.now
        if self._busy < self.servers:
            self._start(outcome, now)
            return
        if self.capacity is not None and len(self._waiting) >= self.capacity:
            self.rejected += 1
            raise DeliveryError(f"worker {self.name!r} queue is full ({self.capacity} waiting)")
        self._waiting.append((outcome, now))
        self.queue.change(now, 1)

    def _start(self, outcome: Outcome, arrived: float) -> None:
        now = self.env.now
        self._busy += 1
        self.busy.change(now, 1)
        self.wait.add(now - arrived)
        Timeout(self.env, self._sample()).callbacks.append(partial(self._done, outcome))

    def _done(self, outcome: Outcome, _event: object = None) -> None:
        now = self.env.now
        self._busy -= 1
        self.busy.change(now, -1)
        self.processed += 1
        self.age_at_processing.add(now - outcome.enqueued_at)
        if self.process is not None:
            try:
                self.process(outcome)
            except Exception:  # the user's code must not crash the run
                self.errors += 1
        if self._waiting:
            waiting, arrived = self._waiting.popleft()
            self.queue.change(now, -1)
            self._start(waiting, arrived)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures at the current simulated time."""
        now = self.env.now
        return {
            "processed": self.processed,
            "rejected": self.rejected,
            "errors": self.errors,
            "wait_s": self.wait.to_dict(),
            "age_at_processing_s": self.age_at_processing.to_dict(),
            "queue": self.queue.to_dict(now),
            "busy": self.busy.to_dict(now),
        }
