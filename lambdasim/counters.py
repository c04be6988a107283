"""Per-function running counters and distributions, updated on the hot path in constant memory."""

from __future__ import annotations

from typing import Any

from lambdasim.rules import Condition, ThrottleReason
from lambdasim.stats import Level, Tally

MAX_ATTEMPTS = 3


class FunctionStats:
    """What happened to one function's invocations so far (async and sync together unless named)."""

    __slots__ = (
        "age_by_attempt",
        "attempts",
        "cold_starts",
        "concurrency",
        "duplicates",
        "duration",
        "end_to_end",
        "errors",
        "invocations",
        "outcomes",
        "queued",
        "received",
        "retry_waiting",
        "service_errors",
        "sync_throttles",
        "throttles",
        "timeouts",
    )

    def __init__(self, start: float) -> None:
        self.received = 0  # AsyncEventsReceived
        self.duplicates = 0
        self.attempts = 0  # async attempts that ran
        self.invocations = 0  # every attempt that ran, async and sync (CloudWatch Invocations)
        self.errors = 0
        self.timeouts = 0
        self.cold_starts = 0
        self.service_errors = 0
        self.throttles: dict[ThrottleReason, int] = dict.fromkeys(ThrottleReason, 0)
        self.sync_throttles = 0
        self.outcomes: dict[Condition, int] = dict.fromkeys(Condition, 0)
        self.age_by_attempt = [Tally() for _ in range(MAX_ATTEMPTS)]
        self.end_to_end = Tally()
        self.duration = Tally()
        self.queued = Level(start)
        self.retry_waiting = Level(start)
        self.concurrency = Level(start)

    @property
    def in_flight(self) -> int:
        """Accepted events (and duplicates) that have no outcome yet."""
        return self.received + self.duplicates - sum(self.outcomes.values())

    @property
    def event_age(self) -> Tally:
        """Event age at every attempt, all attempt numbers together."""
        merged = Tally()
        for t in self.age_by_attempt:
            merged.count += t.count
            merged.sketch.merge(t.sketch)
        # Moments of the union from the parts (parallel variance formula).
        n = 0
        mean = 0.0
        m2 = 0.0
        for t in self.age_by_attempt:
            if t.count == 0:
                continue
            delta = t.mean - mean
            total = n + t.count
            mean += delta * t.count / total
            m2 += t._m2 + delta * delta * n * t.count / total
            n = total
            merged.min = min(merged.min, t.min)
            merged.max = max(merged.max, t.max)
        merged.mean = mean
        merged._m2 = m2
        return merged

    def to_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready figures at ``now``."""
        return {
            "async_events_received": self.received,
            "duplicates": self.duplicates,
            "attempts": self.attempts,
            "invocations": self.invocations,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "cold_starts": self.cold_starts,
            "throttles": sum(self.throttles.values()),
            "throttles_by_reason": {r.value: n for r, n in self.throttles.items() if n},
            "sync_throttles": self.sync_throttles,
            "service_errors": self.service_errors,
            "outcomes": {c.value: n for c, n in self.outcomes.items()},
            "in_flight": self.in_flight,
            "event_age_s": self.event_age.to_dict(),
            "event_age_by_attempt_s": [t.to_dict() for t in self.age_by_attempt],
            "end_to_end_s": self.end_to_end.to_dict(),
            "duration_s": self.duration.to_dict(),
            "queue_depth": self.queued.to_dict(now),
            "retry_waiting": self.retry_waiting.to_dict(now),
            "concurrency": self.concurrency.to_dict(now),
        }
