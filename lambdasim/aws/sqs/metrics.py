"""A queue's CloudWatch metrics (namespace ``AWS/SQS``, dimension ``QueueName``), per period of
``Settings.metrics_period_s`` (60 s by default), read through ``sim.client("cloudwatch")``.

Counts [doc]: ``NumberOfMessagesSent`` (a message moved in by a redrive policy is not counted, as on AWS),
``NumberOfMessagesReceived`` (each receive of a message), ``NumberOfMessagesDeleted``; one datapoint per period
with messages (``Sum`` is the count). Gauges [doc]: ``ApproximateNumberOfMessagesVisible``, ``...NotVisible``,
``...Delayed`` and ``ApproximateAgeOfOldestMessage`` (seconds since the oldest message still in the queue was sent).

[model] A gauge has one sample per period, the queue's state at the period's end. Samples are taken without timers:
when the queue next changes (or the metrics are read), every period end passed since is sampled from the state,
which nothing changed in between, so the samples are exact and a run ends when its work does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

from lambdasim.core.metrics import Aggregate

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["COUNTS", "GAUGES", "NAMESPACE", "QUEUE_DIMENSION", "UNITS", "QueueMetrics", "QueueState", "sqs_series"]

NAMESPACE = "AWS/SQS"
QUEUE_DIMENSION = "QueueName"
COUNTS = ("NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted")
GAUGES = (
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateAgeOfOldestMessage",
)
UNITS = {**{m: "Count" for m in COUNTS + GAUGES[:3]}, "ApproximateAgeOfOldestMessage": "Seconds"}


class QueueState(Protocol):
    """What sampling needs of a queue (:class:`lambdasim.aws.sqs.backend.Queue` has it)."""

    def state_at(self, t: float) -> tuple[int, int, int, float]:
        """``(visible, in flight, delayed, age of the oldest message)`` at ``t``."""


class QueueMetrics:
    """One queue's per-period counts and end-of-period gauge samples."""

    __slots__ = ("_next_end", "counts", "gauges", "period_s")

    def __init__(self, period_s: float, now: float) -> None:
        self.period_s = period_s
        self.counts: dict[str, dict[int, int]] = {m: {} for m in COUNTS}
        self.gauges: dict[str, dict[int, float]] = {m: {} for m in GAUGES}
        self._next_end = (math.floor(now / period_s) + 1) * period_s  # the first period end not sampled yet

    def count(self, metric: str, now: float, n: int = 1) -> None:
        """Count ``n`` of ``metric`` at ``now``."""
        index = int(now // self.period_s)
        series = self.counts[metric]
        series[index] = series.get(index, 0) + n

    def catch_up(self, queue: QueueState, now: float) -> None:
        """Sample the gauges at every period end up to ``now``, from the queue's (unchanged) state."""
        while self._next_end <= now:
            t = self._next_end
            index = round(t / self.period_s) - 1
            visible, in_flight, delayed, oldest = queue.state_at(t)
            self.gauges["ApproximateNumberOfMessagesVisible"][index] = float(visible)
            self.gauges["ApproximateNumberOfMessagesNotVisible"][index] = float(in_flight)
            self.gauges["ApproximateNumberOfMessagesDelayed"][index] = float(delayed)
            self.gauges["ApproximateAgeOfOldestMessage"][index] = oldest
            self._next_end += self.period_s

    def series(self, metric: str) -> dict[int, Aggregate]:
        """``{period index: aggregate}`` of ``metric``."""
        if metric in self.counts:
            return {i: Aggregate.of_value(n) for i, n in sorted(self.counts[metric].items())}
        return {i: Aggregate.of_value(v) for i, v in sorted(self.gauges.get(metric, {}).items())}

    def metrics_with_data(self) -> list[str]:
        """The metrics with at least one datapoint."""
        return [m for m in (*COUNTS, *GAUGES) if self.counts.get(m) or self.gauges.get(m)]


def sqs_series(sim: Simulation, metric: str, dimensions: list[dict[str, str]]) -> dict[int, Aggregate]:
    """The series of ``metric`` for the queue a ``QueueName`` dimension names (empty when nothing matches)."""
    if metric not in UNITS or len(dimensions) != 1 or dimensions[0].get("Name") != QUEUE_DIMENSION:
        return {}
    queue = sim.services.sqs.by_name(dimensions[0].get("Value", ""))
    if queue is None:
        return {}
    queue.metrics.catch_up(queue, sim.now)
    return queue.metrics.series(metric)
