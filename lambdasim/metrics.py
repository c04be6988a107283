"""CloudWatch-style metrics of each function (namespace ``AWS/Lambda``), per period of ``Settings.metrics_period_s``.

Every metric of spec section 6 is kept as aggregates per period, keyed by the integer index ``int(t // period)`` of the
simulated time the sample is stamped with. Updating a metric costs a dict step on the hot path, never an object per
event; memory grows with the simulated horizon (one entry per period that had data), not with the number of events.

Samples, as CloudWatch sees them (stamps in parentheses):

- ``Invocations``: 1 per attempt that ran, async and sync (attempt start). Throttled tries are not invocations.
- ``Errors``: 1 per attempt that ended in a function error, 0 per attempt that succeeded (attempt start), so its
  ``Average`` is the error rate and its ``SampleCount`` the attempts that ended.
- ``Throttles``: 1 per throttled try (the try).
- ``Duration``: milliseconds per attempt that ended (attempt start); percentiles from a log-bucket histogram.
- ``ConcurrentExecutions``: the function's concurrency in use, sampled after each attempt starts and at the start of
  each period in which attempts were running; ``Maximum`` is the peak concurrency of the period. No percentiles.
- ``AsyncEventsReceived``: 1 per accepted ``Event`` invoke (the invoke).
- ``AsyncEventAge``: milliseconds from enqueue to each attempt (the attempt); percentiles as for ``Duration``.
- ``AsyncEventsDropped``: 1 per event discarded without success, after any dead-letter or destination delivery
  (the discard).
- ``DeadLetterErrors`` / ``DestinationDeliveryFailures``: 1 per failed delivery (the outcome).

Periods start at simulated time 0 (the simulation's ``start``). Percentiles (``p50``, ``p99``, ``p99.9``, any
``pNN.N``) are within about 1% of a value observed at that rank.

>>> m = FunctionMetrics(60.0)
>>> m.invoked(5.0); m.ended(5.0, 0.25, failed=False); m.invoked(65.0); m.ended(65.0, 0.5, failed=True)
>>> m.series("Invocations")[0].statistic("Sum"), m.series("Errors")[1].statistic("Average")
(1.0, 1.0)
>>> round(m.series("Duration")[1].statistic("Maximum"), 1)
500.0
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable
from typing import Any

from lambdasim.stats import QuantileSketch

__all__ = [
    "METRICS",
    "METRIC_UNITS",
    "STATISTICS",
    "Aggregate",
    "FunctionMetrics",
    "parse_percentile",
]

METRIC_UNITS: dict[str, str] = {
    "Invocations": "Count",
    "Errors": "Count",
    "Throttles": "Count",
    "Duration": "Milliseconds",
    "ConcurrentExecutions": "Count",
    "AsyncEventsReceived": "Count",
    "AsyncEventAge": "Milliseconds",
    "AsyncEventsDropped": "Count",
    "DeadLetterErrors": "Count",
    "DestinationDeliveryFailures": "Count",
}
"""Every metric lambdasim publishes, with its CloudWatch unit."""

METRICS: tuple[str, ...] = tuple(METRIC_UNITS)
STATISTICS: tuple[str, ...] = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
"""CloudWatch's basic statistics."""

SKETCH_ALPHA = 0.01
"""Relative accuracy of metric percentiles (CloudWatch's own are approximate too)."""

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")


def parse_percentile(stat: str) -> float | None:
    """The quantile in [0, 1] of an extended statistic such as ``"p99.9"``; ``None`` if ``stat`` is not one."""
    if not _PERCENTILE.match(stat):
        return None
    return float(stat[1:]) / 100.0


class Samples:
    """Samples of one period: count, sum, minimum, maximum and a quantile sketch (values >= 0)."""

    __slots__ = ("count", "maximum", "minimum", "sketch", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self.sketch = QuantileSketch(SKETCH_ALPHA)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        self.sketch.add(value)


class _Level:
    """Samples of a level in one period: count, sum, minimum, maximum."""

    __slots__ = ("count", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value


class Aggregate:
    """The statistics of one metric over one or more periods: what a CloudWatch datapoint is computed from.

    Three kinds of samples: 0/1 counts (``ones`` of ``count`` samples are 1), levels (no percentiles) and
    distributions (with a quantile sketch).
    """

    __slots__ = ("count", "maximum", "minimum", "ones", "sketch", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self.ones: int | None = None
        self.sketch: QuantileSketch | None = None

    @classmethod
    def of_counts(cls, samples: int, ones: int) -> Aggregate:
        """``samples`` samples of which ``ones`` are 1 and the rest 0."""
        agg = cls()
        agg.count = samples
        agg.ones = ones
        agg.total = float(ones)
        agg.minimum = 0.0 if ones < samples else 1.0
        agg.maximum = 1.0 if ones > 0 else 0.0
        return agg

    @classmethod
    def of_samples(cls, part: Samples | _Level) -> Aggregate:
        agg = cls()
        agg.count = part.count
        agg.total = part.total
        agg.minimum = part.minimum
        agg.maximum = part.maximum
        if isinstance(part, Samples):
            agg.sketch = QuantileSketch(SKETCH_ALPHA)
            agg.sketch.merge(part.sketch)
        return agg

    def merge(self, other: Aggregate) -> None:
        """Add ``other``'s samples (same metric)."""
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if other.ones is not None:
            self.ones = (self.ones or 0) + other.ones
        if other.sketch is not None:
            if self.sketch is None:
                self.sketch = QuantileSketch(SKETCH_ALPHA)
            self.sketch.merge(other.sketch)

    def statistic(self, name: str) -> float:
        """``SampleCount``, ``Average``, ``Sum``, ``Minimum`` or ``Maximum``."""
        if name == "SampleCount":
            return float(self.count)
        if name == "Sum":
            return self.total
        if name == "Average":
            return self.total / self.count if self.count else math.nan
        if name == "Minimum":
            return self.minimum
        if name == "Maximum":
            return self.maximum
        raise ValueError(f"statistic must be one of {list(STATISTICS)}, got {name!r}")

    def percentile(self, q: float) -> float | None:
        """The ``q``-quantile (0..1) of the samples, or ``None`` when the metric has no percentiles."""
        if self.count == 0:
            return None
        if self.ones is not None:
            # Nearest rank, rounded up, over sorted 0/1 samples.
            rank = math.ceil(q * (self.count - 1) - 1e-9)
            return 0.0 if rank < self.count - self.ones else 1.0
        if self.sketch is None:
            return None
        value = self.sketch.quantile(q)
        return min(max(value, self.minimum), self.maximum)


class FunctionMetrics:
    """One function's metrics, updated inline on the hot path. Times in simulated seconds.

    Args:
        period_s: Length of a period (> 0); CloudWatch's standard resolution is 60 s.
    """

    __slots__ = (
        "_held",
        "_level_index",
        "concurrency",
        "dead_letter_errors",
        "destination_failures",
        "dropped",
        "duration",
        "errors",
        "event_age",
        "invocations",
        "period",
        "received",
        "throttles",
    )

    def __init__(self, period_s: float = 60.0) -> None:
        if not period_s > 0:
            raise ValueError(f"period_s must be > 0, got {period_s!r}")
        self.period = float(period_s)
        self.invocations: dict[int, int] = {}
        self.errors: dict[int, int] = {}
        self.throttles: dict[int, int] = {}
        self.received: dict[int, int] = {}
        self.dropped: dict[int, int] = {}
        self.dead_letter_errors: dict[int, int] = {}
        self.destination_failures: dict[int, int] = {}
        self.duration: dict[int, Samples] = {}
        self.event_age: dict[int, Samples] = {}
        self.concurrency: dict[int, _Level] = {}
        self._held = 0  # concurrency in use now
        self._level_index = 0  # the period of the last concurrency change

    # -- the hot path: one call per fact, a dict step each ---------------------------------------------------

    def invoked(self, now: float) -> None:
        """An attempt started running."""
        i = int(now // self.period)
        d = self.invocations
        d[i] = d.get(i, 0) + 1

    def ended(self, started_at: float, duration_s: float, failed: bool) -> None:
        """An attempt that started at ``started_at`` ran ``duration_s`` and failed or not (stamped at its start)."""
        i = int(started_at // self.period)
        dist = self.duration.get(i)
        if dist is None:
            dist = self.duration[i] = Samples()
        dist.add(duration_s * 1000.0)
        if failed:
            d = self.errors
            d[i] = d.get(i, 0) + 1

    def throttled(self, now: float) -> None:
        """A try was throttled."""
        i = int(now // self.period)
        d = self.throttles
        d[i] = d.get(i, 0) + 1

    def event_received(self, now: float) -> None:
        """An ``Event`` invoke was queued."""
        i = int(now // self.period)
        d = self.received
        d[i] = d.get(i, 0) + 1

    def event_age_at_attempt(self, now: float, age_s: float) -> None:
        """An attempt of an event of age ``age_s`` started."""
        i = int(now // self.period)
        dist = self.event_age.get(i)
        if dist is None:
            dist = self.event_age[i] = Samples()
        dist.add(age_s * 1000.0)

    def event_dropped(self, now: float) -> None:
        """An event was discarded without success."""
        i = int(now // self.period)
        d = self.dropped
        d[i] = d.get(i, 0) + 1

    def dead_letter_failed(self, now: float) -> None:
        """A dead-letter delivery failed."""
        i = int(now // self.period)
        d = self.dead_letter_errors
        d[i] = d.get(i, 0) + 1

    def destination_failed(self, now: float) -> None:
        """A destination delivery failed."""
        i = int(now // self.period)
        d = self.destination_failures
        d[i] = d.get(i, 0) + 1

    def acquired(self, now: float, in_use: int) -> None:
        """Concurrency rose to ``in_use`` as an attempt started: a ``ConcurrentExecutions`` sample."""
        i = int(now // self.period)
        if i != self._level_index:
            self._carry(i)
        self._held = in_use
        level = self.concurrency.get(i)
        if level is None:
            level = self.concurrency[i] = _Level()
        level.add(in_use)

    def released(self, now: float, in_use: int) -> None:
        """Concurrency fell to ``in_use``."""
        i = int(now // self.period)
        if i != self._level_index:
            self._carry(i)
        self._held = in_use

    def _carry(self, index: int) -> None:
        # Periods entered while attempts were running start with the level held then: sample it once each, so a
        # period with long-running attempts and no new start still reports its concurrency.
        held = self._held
        if held:
            for k in range(self._level_index + 1, index + 1):
                level = self.concurrency.get(k)
                if level is None:
                    level = self.concurrency[k] = _Level()
                level.add(held)
        self._level_index = index

    # -- reading ----------------------------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        """Bring the concurrency samples up to ``now`` (periods entered since the last change)."""
        i = int(now // self.period)
        if i > self._level_index:
            self._carry(i)

    def snapshot(self, now: float) -> FunctionMetrics:
        """An independent copy as of ``now`` (results keep it while the simulation runs on)."""
        self.settle(now)
        return copy.deepcopy(self)

    def series(self, metric: str) -> dict[int, Aggregate]:
        """``{period index: Aggregate}`` of ``metric`` for every period with samples."""
        if metric == "Invocations":
            return _ones(self.invocations)
        if metric == "Errors":
            return {i: Aggregate.of_counts(d.count, self.errors.get(i, 0)) for i, d in self.duration.items()}
        if metric == "Throttles":
            return _ones(self.throttles)
        if metric == "Duration":
            return {i: Aggregate.of_samples(d) for i, d in self.duration.items()}
        if metric == "ConcurrentExecutions":
            return {i: Aggregate.of_samples(level) for i, level in self.concurrency.items()}
        if metric == "AsyncEventsReceived":
            return _ones(self.received)
        if metric == "AsyncEventAge":
            return {i: Aggregate.of_samples(d) for i, d in self.event_age.items()}
        if metric == "AsyncEventsDropped":
            return _ones(self.dropped)
        if metric == "DeadLetterErrors":
            return _ones(self.dead_letter_errors)
        if metric == "DestinationDeliveryFailures":
            return _ones(self.destination_failures)
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")

    def metrics_with_data(self) -> list[str]:
        """The metrics that have at least one sample."""
        return [m for m in METRICS if self.series(m)]

    def total(self, metric: str) -> float:
        """The ``Sum`` of ``metric`` over the whole run."""
        return sum(agg.total for agg in self.series(metric).values())

    def to_dict(self, percentiles: Iterable[float] = (0.5, 0.99, 0.999)) -> dict[str, list[dict[str, Any]]]:
        """JSON-ready series: ``{metric: [{"period_start_s", "SampleCount", "Sum", ..., "p99"}, ...]}``."""
        qs = tuple(percentiles)
        out: dict[str, list[dict[str, Any]]] = {}
        for metric in METRICS:
            rows = []
            for i, agg in sorted(self.series(metric).items()):
                row: dict[str, Any] = {"period_start_s": i * self.period}
                for stat in STATISTICS:
                    row[stat] = agg.statistic(stat)
                for q in qs:
                    row[f"p{q * 100:g}"] = agg.percentile(q)
                rows.append(row)
            if rows:
                out[metric] = rows
        return out


def _ones(counts: dict[int, int]) -> dict[int, Aggregate]:
    return {i: Aggregate.of_counts(n, n) for i, n in counts.items()}


def combine(series: Iterable[dict[int, Aggregate]]) -> dict[int, Aggregate]:
    """Period-by-period union of several series (for example every function's, for account-level figures)."""
    out: dict[int, Aggregate] = {}
    for s in series:
        for i, agg in s.items():
            mine = out.get(i)
            if mine is None:
                mine = out[i] = Aggregate()
            mine.merge(agg)
    return out
