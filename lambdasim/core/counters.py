"""Per-function running counters and distributions, updated on the hot path in constant memory."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lambdasim.core.rules import Condition, ThrottleReason
from lambdasim.core.stats import Level, Tally

if TYPE_CHECKING:
    from lambdasim.core.environments import EnvironmentPool

MAX_ATTEMPTS = 3
# Slots that link to live model state rather than hold statistics: a reset keeps them.
_LINKS = ("environments",)


class FunctionStats:
    """What happened to one function's invocations so far (async and sync together unless named)."""

    __slots__ = (
        "age_by_attempt",
        "attempts",
        "billed_init_ms",
        "billed_ms",
        "caller_errors",
        "caller_latency",
        "caller_requests",
        "caller_retries",
        "carried_in",
        "cold_starts",
        "concurrency",
        "duplicates",
        "duration",
        "environment_lifespan",
        "environments",
        "environments_created",
        "environments_reinitialised",
        "environments_shut_down",
        "errors",
        "idle_environment_s",
        "invocations",
        "outcomes",
        "provisioned_allocated",
        "provisioned_billed_ms",
        "provisioned_busy",
        "provisioned_configured",
        "provisioned_invocations",
        "provisioned_periods",
        "provisioned_spillover_invocations",
        "queued",
        "received",
        "rejected_too_large",
        "retry_waiting",
        "service_errors",
        "since",
        "sink_errors",
        "sync_throttles",
        "throttles",
        "time_to_discard",
        "time_to_success",
        "timeouts",
    )

    def __init__(self, start: float) -> None:
        self.since = start  # statistics cover [since, now]: the start, or the end of a warm-up
        self.carried_in = 0  # events in flight when the statistics were last reset
        self.received = 0  # AsyncEventsReceived
        self.rejected_too_large = 0  # workload invokes refused before queueing: payload over the limit (HTTP 413)
        self.billed_ms = 0  # sum over attempts that ran of ceil(duration in ms): the handler phase
        self.billed_init_ms = 0  # extra ms billed for cold starts since 2025-08-01: ceil(init + d) - ceil(d)
        self.duplicates = 0
        self.attempts = 0  # async attempts that ran
        self.invocations = 0  # every attempt that ran, async and sync (CloudWatch Invocations)
        self.errors = 0
        self.timeouts = 0
        self.cold_starts = 0
        self.service_errors = 0
        self.sink_errors = 0  # exceptions from user sinks' deliver(): counted, never a crash of the run
        self.throttles: dict[ThrottleReason, int] = dict.fromkeys(ThrottleReason, 0)
        self.sync_throttles = 0
        self.outcomes: dict[Condition, int] = dict.fromkeys(Condition, 0)
        self.age_by_attempt = [Tally() for _ in range(MAX_ATTEMPTS)]
        self.time_to_success = Tally()  # enqueue to success
        self.time_to_discard = Tally()  # enqueue to discard (every outcome but success)
        self.duration = Tally()
        self.queued = Level(start)
        self.retry_waiting = Level(start)
        self.concurrency = Level(start)  # busy environments, provisioned ones included (ConcurrentExecutions)
        # Execution environments (lambdasim.core.environments): the pools (one per version) are linked for figures read
        # at `now`.
        self.environments: list[EnvironmentPool] = []
        self.environments_created = 0  # on-demand environments born by a cold start
        self.environments_reinitialised = 0  # init phases of environments reset by a timeout or crash
        self.environments_shut_down = 0  # idle timeout or maximum lifetime reached
        self.environment_lifespan = Tally()  # s, from birth to shutdown, of environments that ended
        self.idle_environment_s = 0.0  # environment-seconds idle, of environments no longer idle
        # Provisioned concurrency (lambdasim.core.provisioned), CloudWatch's names in the comments.
        self.provisioned_invocations = 0  # ProvisionedConcurrencyInvocations
        self.provisioned_spillover_invocations = 0  # ProvisionedConcurrencySpilloverInvocations
        self.provisioned_busy = Level(start)  # ProvisionedConcurrentExecutions
        self.provisioned_allocated = Level(start)  # allocated provisioned environments
        self.provisioned_billed_ms = 0  # the part of billed_ms that ran on provisioned environments
        # What the bill needs (lambdasim.core.cost), moved only by configuration changes: the concurrency configured
        # (requested, all qualifiers, from the Put on), and the configurations deleted since `since` as
        # (enabled at, disabled at, concurrency configured when disabled), s.
        self.provisioned_configured = Level(start)
        self.provisioned_periods: list[tuple[float, float, int]] = []
        # Synchronous callers (lambdasim.planning.sync): requests, SDK retries, errors after retries, latency (s).
        self.caller_requests = 0
        self.caller_retries = 0
        self.caller_errors: dict[str, int] = {}
        self.caller_latency = Tally()

    @property
    def in_flight(self) -> int:
        """Accepted events (and duplicates) that have no outcome yet."""
        return self.carried_in + self.received + self.duplicates - sum(self.outcomes.values())

    def reset(self, now: float) -> None:
        """Forget what was observed before ``now`` (the end of a warm-up); levels keep their current values.

        Events still in flight are carried over, so :attr:`in_flight` stays right; they count in the outcomes and
        distributions when they finish.
        """
        carried = self.in_flight
        fresh = FunctionStats(now)
        for name in FunctionStats.__slots__:
            value = getattr(self, name)
            if isinstance(value, Level):
                value.restart(now)
            elif name not in _LINKS:
                setattr(self, name, getattr(fresh, name))
        self.carried_in = carried

    @property
    def event_age(self) -> Tally:
        """Event age at every attempt, all attempt numbers together."""
        return merged(self.age_by_attempt)

    @property
    def end_to_end(self) -> Tally:
        """Enqueue to outcome, every outcome: :attr:`time_to_success` and :attr:`time_to_discard` together (each
        event goes into one of the two; the hot path records it once)."""
        return merged((self.time_to_success, self.time_to_discard))

    def to_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready figures at ``now``."""
        return {
            "async_events_received": self.received,
            "carried_in": self.carried_in,
            "duplicates": self.duplicates,
            "attempts": self.attempts,
            "invocations": self.invocations,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "cold_starts": self.cold_starts,
            "billed_duration_ms": self.billed_ms,
            "billed_init_duration_ms": self.billed_init_ms,
            "rejected_too_large": self.rejected_too_large,
            "statistics_since_s": self.since,
            "throttles": sum(self.throttles.values()),
            "throttles_by_reason": {r.value: n for r, n in self.throttles.items() if n},
            "sync_throttles": self.sync_throttles,
            "service_errors": self.service_errors,
            "sink_errors": self.sink_errors,
            "outcomes": {c.value: n for c, n in self.outcomes.items()},
            "in_flight": self.in_flight,
            "event_age_s": self.event_age.to_dict(),
            "event_age_by_attempt_s": [t.to_dict() for t in self.age_by_attempt],
            "end_to_end_s": self.end_to_end.to_dict(),
            "time_to_success_s": self.time_to_success.to_dict(),
            "time_to_discard_s": self.time_to_discard.to_dict(),
            "duration_s": self.duration.to_dict(),
            "queue_depth": self.queued.to_dict(now),
            "retry_waiting": self.retry_waiting.to_dict(now),
            "concurrency": self.concurrency.to_dict(now),
            "environments": self.environment_figures(now),
            "provisioned": self.provisioned_figures(now),
            "caller_requests": self.caller_requests,
            "caller_retries": self.caller_retries,
            "caller_errors": dict(self.caller_errors),
            "caller_latency_s": self.caller_latency.to_dict(),
        }

    @property
    def cold_start_probability(self) -> float:
        """Share of invocations that ran an init phase first (``nan`` before any invocation)."""
        return self.cold_starts / self.invocations if self.invocations else math.nan

    def environment_figures(self, now: float) -> dict[str, Any]:
        """Execution environments at ``now``: cold starts, time-averaged busy, idle and total, lifespans.

        Time averages are over ``[since, now]``; ``total`` counts on-demand busy and idle environments and the
        allocated provisioned ones.
        """
        span = now - self.since
        busy = self.concurrency.mean(now)
        provisioned = self.provisioned_allocated.mean(now)
        pools = self.environments
        open_s = sum(pool.open_idle_seconds(now) for pool in pools)  # first: settling adds to idle_environment_s
        idle_s = self.idle_environment_s + open_s
        idle = idle_s / span if span > 0 else 0.0
        on_demand_busy = busy - self.provisioned_busy.mean(now)
        probability = self.cold_start_probability
        return {
            "cold_starts": self.cold_starts,
            "cold_start_probability": None if math.isnan(probability) else probability,
            "created": self.environments_created,
            "reinitialised": self.environments_reinitialised,
            "shut_down": self.environments_shut_down,
            "idle_now": sum(pool.idle_count(now) for pool in pools),
            "busy_mean": busy,
            "idle_mean": idle,
            "total_mean": on_demand_busy + idle + provisioned,
            "lifespan_s": self.environment_lifespan.to_dict(),
        }

    def provisioned_figures(self, now: float) -> dict[str, Any]:
        """Provisioned concurrency at ``now``: invocations, spill-over, busy, allocated and configured (requested)
        levels, utilisation."""
        busy = self.provisioned_busy.mean(now)
        allocated = self.provisioned_allocated.mean(now)
        return {
            "invocations": self.provisioned_invocations,
            "spillover_invocations": self.provisioned_spillover_invocations,
            "busy": self.provisioned_busy.to_dict(now),
            "allocated": self.provisioned_allocated.to_dict(now),
            "configured": self.provisioned_configured.to_dict(now),
            "utilization_mean": busy / allocated if allocated > 0 else None,
            "billed_duration_ms": self.provisioned_billed_ms,
        }


def merged(tallies: Iterable[Tally]) -> Tally:
    """One tally of every observation of ``tallies``: counts, extremes and quantile sketches exactly, moments by
    the parallel (Chan et al.) formula, part by part in the given order."""
    out = Tally()
    parts = [t for t in tallies if t.count]
    for t in parts:
        out.count += t.count
        out.sketch.merge(t.sketch)
    n = 0
    mean = 0.0
    m2 = 0.0
    for t in parts:
        delta = t.mean - mean
        total = n + t.count
        mean += delta * t.count / total
        m2 += t._m2 + delta * delta * n * t.count / total
        n = total
        out.min = min(out.min, t.min)
        out.max = max(out.max, t.max)
    out.mean = mean
    out._m2 = m2
    return out
