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
- ``ConcurrentExecutions``: one sample per period, the peak concurrency in use (provisioned environments included)
  during the period, counting attempts that were already running when it began; CloudWatch's advice is to read its
  ``Maximum``. No percentiles.
- ``AsyncEventsReceived``: 1 per accepted ``Event`` invoke (the invoke).
- ``AsyncEventAge``: milliseconds from enqueue to each attempt (the attempt); percentiles as for ``Duration``.
- ``AsyncEventsDropped``: 1 per event discarded without success, after any dead-letter or destination delivery
  (the discard).
- ``DeadLetterErrors`` / ``DestinationDeliveryFailures``: 1 per failed delivery (the outcome).
- ``ProvisionedConcurrentExecutions``: one sample per period, the peak of provisioned environments busy, counted as
  ``ConcurrentExecutions`` is; ``ProvisionedConcurrencyUtilization``: its peak divided by the environments allocated.
- ``ProvisionedConcurrencyInvocations``: 1 per attempt that ran on a provisioned environment (attempt start);
  ``ProvisionedConcurrencySpilloverInvocations``: 1 per attempt of a qualifier with provisioned concurrency that ran
  on an on-demand environment because none was free (attempt start). See :mod:`lambdasim.core.provisioned`.

Periods start at simulated time 0 (the simulation's ``start``). Percentiles (``p50``, ``p99``, ``p99.9``, any
``pNN.N``) are within about 1% of a value observed at that rank.

Long runs: older periods are rolled up, so that memory stays flat however long the horizon. [model] The most recent
:data:`FINE_PERIODS` periods (a day of 60 s periods; never less than an attempt can last) keep their own figures;
older ones are merged into coarse buckets of 5 minutes, then 1 hour, then 1 day, then 2, 4, 8... days (in whole
periods), widening as needed to keep at most :data:`COARSE_BUCKETS` of them. Counts, sums, minima, maxima and peaks
of a coarse bucket are exact, its percentiles as accurate as a period's. Readers see a coarse bucket as one entry
at its first period (:meth:`FunctionMetrics.span` says how many periods it covers); CloudWatch's
``GetMetricStatistics`` and ``GetMetricData`` report it only for a ``Period`` that holds whole buckets, as
CloudWatch itself returns no datapoints for a period finer than the resolution it keeps for old data (1-minute
data for 15 days, 5-minute for 63 days, then hourly [doc: CloudWatch ``GetMetricStatistics``, Period]).

>>> m = FunctionMetrics(60.0)
>>> m.acquired(5.0, 1); m.ended(5.0, 5.25, 0.25, False, 0)
>>> m.acquired(65.0, 1); m.acquired(66.0, 2); m.ended(65.0, 65.5, 0.5, True, 1); m.ended(66.0, 66.1, 0.1, False, 0)
>>> m.series("Invocations")[1].statistic("Sum"), m.series("Errors")[1].statistic("Average")
(2.0, 0.5)
>>> m.series("ConcurrentExecutions")[1].statistic("Maximum"), round(m.series("Duration")[1].statistic("Maximum"))
(2.0, 500)
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from lambdasim.core.stats import ZERO_BELOW, QuantileSketch, add_dense, bucket_gamma_log, bucket_keys

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
    "ProvisionedConcurrentExecutions": "Count",
    "ProvisionedConcurrencyUtilization": "None",
    "ProvisionedConcurrencyInvocations": "Count",
    "ProvisionedConcurrencySpilloverInvocations": "Count",
}
"""Every metric lambdasim publishes, with its CloudWatch unit."""

METRICS: tuple[str, ...] = tuple(METRIC_UNITS)
PEAK_METRICS: tuple[str, ...] = (
    "ConcurrentExecutions",
    "ProvisionedConcurrentExecutions",
    "ProvisionedConcurrencyUtilization",
)
"""Metrics reported as each period's peak: a sum over functions would not be the account's peak."""
STATISTICS: tuple[str, ...] = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
"""CloudWatch's basic statistics."""

LONGEST_ATTEMPT_S = 920.0
"""Longer than any attempt can last: the 900 s timeout plus the 10 s init limit, with margin."""

SKETCH_ALPHA = 0.01
"""Relative accuracy of metric percentiles (CloudWatch's own are approximate too)."""

# Histograms bucket as QuantileSketch(SKETCH_ALPHA) does: lambdasim.core.stats.bucket_key, the one rule.
_GAMMA_LOG = bucket_gamma_log(SKETCH_ALPHA)

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")


def parse_percentile(stat: str) -> float | None:
    """The quantile in [0, 1] of an extended statistic such as ``"p99.9"``; ``None`` if ``stat`` is not one."""
    if not _PERCENTILE.match(stat):
        return None
    return float(stat[1:]) / 100.0


FINE_PERIODS = 1440
"""Periods kept at full resolution behind the current one (a day of 60 s periods)."""

COARSE_BUCKETS = 32
"""Most coarse buckets of rolled-up periods kept per series (their width doubles to stay under it)."""

WIDER_BUCKETS_S = (300.0, 3600.0, 86400.0)
"""The widths (s) coarse buckets take first, as CloudWatch's own roll-ups (5 minutes, 1 hour), then a day."""

ROLL_BATCH = 64
"""Periods rolled up at a time: rolling scans the series, so it is done every this many periods, not each one."""

HISTOGRAM_BUFFER = 1024
"""Samples a period's :class:`Samples` buffers before folding them in bulk into its figures and histogram."""


class Samples:
    """Samples of one period: count, sum, minimum, maximum and a log-bucket histogram (values >= 0).

    Adding a sample only appends it to :attr:`pending` (the hot path does that inline, calling :meth:`fold` when
    :data:`HISTOGRAM_BUFFER` are pending); folding adds the pending samples to the figures in bulk, the sum in
    order (so it is exactly the one-at-a-time sum) and the histogram as a dense numpy array of counts per bucket:
    a few kB per period however many samples, where a dict of buckets took tens. Reading any figure folds first.
    The histogram becomes a :class:`~lambdasim.core.stats.QuantileSketch` only when read.
    """

    __slots__ = ("_count", "_hist", "_hist_low", "_maximum", "_minimum", "_total", "_zeros", "pending", "zeros_pending")

    def __init__(self) -> None:
        self.pending: list[float] = []
        # Samples of exactly 0 not yet folded (an event polled as it arrived has age 0): counted, not appended. A
        # zero changes no sum and no bucket, wherever it comes among the others, so the figures are the same.
        self.zeros_pending = 0
        self._count = 0
        self._total = 0.0
        self._minimum = math.inf
        self._maximum = -math.inf
        self._zeros = 0
        self._hist: np.ndarray[Any, Any] | None = None  # counts of buckets _hist_low, _hist_low + 1, ...
        self._hist_low = 0

    def add(self, value: float) -> None:
        pending = self.pending
        pending.append(value)
        if len(pending) >= HISTOGRAM_BUFFER:
            self.fold()

    def fold(self) -> None:
        """Add the pending samples to the figures and the histogram."""
        zeros = self.zeros_pending
        if zeros:
            self.zeros_pending = 0
            self._count += zeros
            self._zeros += zeros
            if self._minimum > 0.0:
                self._minimum = 0.0
            if self._maximum < 0.0:
                self._maximum = 0.0
        pending = self.pending
        if not pending:
            return
        self.pending = []
        total = self._total
        for value in pending:
            total += value
        self._total = total
        self._count += len(pending)
        low, high = min(pending), max(pending)
        if low < self._minimum:
            self._minimum = low
        if high > self._maximum:
            self._maximum = high
        arr = np.asarray(pending, dtype=float)
        positive = arr[arr >= ZERO_BELOW]
        self._zeros += int(arr.size - positive.size)
        if positive.size == 0:
            return
        keys = bucket_keys(positive, _GAMMA_LOG)
        low = int(keys.min())
        # int32 counts: one histogram per period, kept for the whole run.
        counts = np.bincount(keys - low).astype(np.int32)
        self._hist, self._hist_low = add_dense(self._hist, self._hist_low, counts, low)

    @property
    def count(self) -> int:
        return self._count + len(self.pending) + self.zeros_pending

    @property
    def total(self) -> float:
        self.fold()
        return self._total

    @property
    def minimum(self) -> float:
        self.fold()
        return self._minimum

    @property
    def maximum(self) -> float:
        self.fold()
        return self._maximum

    @property
    def zeros(self) -> int:
        self.fold()
        return self._zeros

    @property
    def buckets(self) -> dict[int, int]:
        """``{bucket key: count}`` of the non-empty buckets (a new dict)."""
        self.fold()
        hist = self._hist
        if hist is None:
            return {}
        low = self._hist_low
        nonzero = np.flatnonzero(hist)
        return dict(zip((nonzero + low).tolist(), hist[nonzero].tolist(), strict=True))

    def merged(self, other: Samples) -> Samples:
        """A new :class:`Samples` with both sets of samples (the two are left as they are)."""
        self.fold()
        other.fold()
        out = Samples()
        out._count = self._count + other._count
        out._total = self._total + other._total
        out._minimum = min(self._minimum, other._minimum)
        out._maximum = max(self._maximum, other._maximum)
        out._zeros = self._zeros + other._zeros
        hist: np.ndarray[Any, Any] | None = None
        low = 0
        # int32 counts while they fit (a coarse bucket may hold far more samples than one period), else int64.
        dtype = np.int32 if out._count < 2**31 - 1 else np.int64
        for part in (self, other):
            if part._hist is not None:
                hist, low = add_dense(hist, low, part._hist.astype(dtype), part._hist_low)
        out._hist, out._hist_low = hist, low
        return out

    def copy(self) -> Samples:
        self.fold()
        twin = copy.copy(self)
        twin.pending = []
        if self._hist is not None:
            twin._hist = self._hist.copy()
        return twin

    def sketch(self) -> QuantileSketch:
        """The histogram as a :class:`~lambdasim.core.stats.QuantileSketch` (same buckets as one filled by ``add``)."""
        return QuantileSketch.from_buckets(SKETCH_ALPHA, self.buckets, self.zeros)


def _fold_recent(series: dict[int, Samples], before: int, period_s: float) -> None:
    """Fold the pending samples of the periods before ``before`` that can still be receiving samples (an attempt
    lasts under :data:`LONGEST_ATTEMPT_S`), so that an ended period keeps a histogram, not a buffer."""
    oldest = before - int(LONGEST_ATTEMPT_S // period_s) - 2
    for i in reversed(series):
        if i < oldest:
            break
        series[i].fold()


class Aggregate:
    """The statistics of one metric over one or more periods: what a CloudWatch datapoint is computed from.

    Three kinds of samples: 0/1 counts (``ones`` of ``count`` samples are 1), peaks (no percentiles) and
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
    def of_samples(cls, part: Samples) -> Aggregate:
        agg = cls()
        agg.count = part.count
        agg.total = part.total
        agg.minimum = part.minimum
        agg.maximum = part.maximum
        agg.sketch = part.sketch()
        return agg

    @classmethod
    def of_value(cls, value: float) -> Aggregate:
        """A single sample without percentiles (a period's peak)."""
        agg = cls()
        agg.count = 1
        agg.total = agg.minimum = agg.maximum = float(value)
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

    The engine reports five facts: an event queued (:meth:`event_received`), an attempt started
    (:meth:`async_attempt`, or :meth:`acquired` for a synchronous one), an attempt ended (:meth:`ended`), a try
    throttled (:meth:`throttled`) and an event discarded (:meth:`event_dropped`); the destination code reports
    failed deliveries.

    Args:
        period_s: Length of a period (> 0); CloudWatch's standard resolution is 60 s.
    """

    __slots__ = (
        "_coarse",
        "_edge",
        "_fine_from",
        "_fine_periods",
        "_held",
        "_level_index",
        "_provisioned_allocated",
        "_provisioned_held",
        "_provisioned_index",
        "_start",
        "concurrency",
        "dead_letter_errors",
        "destination_failures",
        "dropped",
        "duration",
        "errors",
        "event_age",
        "invocations",
        "period",
        "provisioned_invocations",
        "provisioned_peaks",
        "received",
        "spillover_invocations",
        "throttles",
        "utilization_peaks",
        "width",
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
        self.concurrency: dict[int, int] = {}  # peak concurrency in use per period
        self._held = 0  # concurrency in use after the last change
        # The current period (of the latest time reported), its start and the start of the next: the hot path
        # compares a time with _edge instead of dividing, and carries the level held into each period it enters.
        self._level_index = 0
        self._start = 0.0
        self._edge = self.period
        # Provisioned concurrency (lambdasim.core.provisioned): reported only by functions that have some.
        self.provisioned_invocations: dict[int, int] = {}
        self.spillover_invocations: dict[int, int] = {}
        self.provisioned_peaks: dict[int, int] = {}  # peak provisioned environments busy per period
        self.utilization_peaks: dict[int, float] = {}  # that peak over the environments allocated
        self._provisioned_held = 0
        self._provisioned_allocated = 0
        self._provisioned_index = 0
        # Rolled-up periods (see the module notes): every period before _fine_from is in a coarse bucket of `width`
        # periods, kept by series name in _coarse, keyed by its first period (a multiple of width).
        self._fine_periods = max(FINE_PERIODS, math.ceil(LONGEST_ATTEMPT_S / self.period) + 2)
        self._fine_from = 0
        self.width = 1
        self._coarse: dict[str, dict[int, Any]] = {name: {} for name in _ROLLED}

    # -- the hot path: one call per fact, a few dict steps each ---------------------------------------------

    def acquired(self, now: float, in_use: int) -> None:
        """An attempt started running, and the concurrency in use rose to ``in_use``."""
        i = self._level_index if now < self._edge else self._advance(now)
        d = self.invocations
        d[i] = d.get(i, 0) + 1
        self._held = in_use
        peaks = self.concurrency
        if in_use > peaks.get(i, 0):
            peaks[i] = in_use

    def async_attempt(self, now: float, in_use: int, age_s: float) -> None:
        """An asynchronous event's attempt started at age ``age_s``: :meth:`acquired` and ``AsyncEventAge`` in one
        call, the histogram step inline (the hot path's busiest call)."""
        i = self._level_index if now < self._edge else self._advance(now)
        d = self.invocations
        d[i] = d.get(i, 0) + 1
        self._held = in_use
        peaks = self.concurrency
        if in_use > peaks.get(i, 0):
            peaks[i] = in_use
        samples = self.event_age.get(i)
        if samples is None:
            _fold_recent(self.event_age, i, self.period)
            samples = self.event_age[i] = Samples()
        pending = samples.pending  # Samples.add, inline
        pending.append(age_s * 1000.0)
        if len(pending) >= HISTOGRAM_BUFFER:
            samples.fold()

    def ended(self, started_at: float, now: float, duration_s: float, failed: bool, in_use: int) -> None:
        """An attempt that started at ``started_at`` ran ``duration_s``, failed or not, and ended ``now``, leaving
        ``in_use`` concurrency in use. ``Duration`` and ``Errors`` are stamped at its start."""
        if now >= self._edge:
            self._advance(now)
        self._held = in_use
        i = self._level_index if started_at >= self._start else int(started_at // self.period)
        samples = self.duration.get(i)
        if samples is None:
            _fold_recent(self.duration, i, self.period)
            samples = self.duration[i] = Samples()
        pending = samples.pending  # Samples.add, inline
        pending.append(duration_s * 1000.0)
        if len(pending) >= HISTOGRAM_BUFFER:
            samples.fold()
        if failed:
            d = self.errors
            d[i] = d.get(i, 0) + 1

    def _count(self, series: dict[int, int], now: float) -> None:
        """One more in ``series`` for the period of ``now``."""
        i = self._level_index if now < self._edge else self._advance(now)
        series[i] = series.get(i, 0) + 1

    def throttled(self, now: float) -> None:
        """A try was throttled (the asynchronous hot paths in the engine do this inline)."""
        self._count(self.throttles, now)

    def event_received(self, now: float) -> None:
        """An ``Event`` invoke was queued (once per event: inline rather than through :meth:`_count`)."""
        i = self._level_index if now < self._edge else self._advance(now)
        d = self.received
        d[i] = d.get(i, 0) + 1

    def event_dropped(self, now: float) -> None:
        """An event was discarded without success."""
        self._count(self.dropped, now)

    def dead_letter_failed(self, now: float) -> None:
        """A dead-letter delivery failed."""
        self._count(self.dead_letter_errors, now)

    def destination_failed(self, now: float) -> None:
        """A destination delivery failed."""
        self._count(self.destination_failures, now)

    def _advance(self, now: float) -> int:
        """Time ``now`` is past the current period: enter its period (carrying the level held); return its index."""
        index = int(now // self.period)
        if index > self._level_index:
            self._carry(index)
            if index - self._fine_from > self._fine_periods + ROLL_BATCH:
                self._roll(index - self._fine_periods)
        self._start = self._level_index * self.period
        self._edge = self._start + self.period
        return self._level_index

    # -- rolling up old periods (see the module notes) ---------------------------------------------------------

    def span(self, index: int) -> int:
        """How many periods the entry at ``index`` of a series covers: 1, or a coarse bucket's width (the newest
        bucket may be partly filled: it covers periods up to the first kept at full resolution)."""
        fine_from = self._fine_from
        return 1 if index >= fine_from else min(self.width, fine_from - index)

    def _roll(self, cut: int) -> None:
        """Merge every period before ``cut`` into the coarse buckets."""
        width = self.width
        if cut <= self._fine_from:
            return
        for name, merge in _ROLLED.items():
            fine = getattr(self, name)
            old = [i for i in fine if i < cut]
            if old:
                coarse = self._coarse[name]
                for i in old:
                    key = i - i % width
                    value = fine.pop(i)
                    mine = coarse.get(key)
                    coarse[key] = value if mine is None else merge(mine, value)
        self._fine_from = cut
        if any(len(c) > COARSE_BUCKETS for c in self._coarse.values()):
            self._widen()

    def _widen(self) -> None:
        """Make the coarse buckets wider: the next of 5 minutes, 1 hour and 1 day that is a whole multiple of the
        current width (in periods), then twice as wide each time. Each bucket lies in one wider bucket, and a
        request for 5-minute, hourly or daily datapoints holds whole buckets."""
        width = self.width * 2
        for target_s in WIDER_BUCKETS_S:
            periods = max(1, round(target_s / self.period))
            if periods > self.width and periods % self.width == 0:
                width = periods
                break
        for name, merge in _ROLLED.items():
            merged: dict[int, Any] = {}
            for i, value in self._coarse[name].items():
                key = i - i % width
                mine = merged.get(key)
                merged[key] = value if mine is None else merge(mine, value)
            self._coarse[name] = merged
        self.width = width

    def _carry(self, index: int) -> None:
        # The periods entered since the last change began with the level held then: it is their peak so far, so a
        # period with long-running attempts and no new start still reports its concurrency.
        held = self._held
        if held:
            peaks = self.concurrency
            for k in range(self._level_index + 1, index + 1):
                if held > peaks.get(k, 0):
                    peaks[k] = held
        self._level_index = index

    def provisioned(self, now: float, busy: int, allocated: int, started: bool) -> None:
        """Provisioned environments busy changed to ``busy`` of ``allocated``; ``started``: an attempt started on
        one (a ``ProvisionedConcurrencyInvocations`` sample)."""
        i = int(now // self.period)
        if i != self._provisioned_index:
            self._carry_provisioned(i)
        self._provisioned_held = busy
        self._provisioned_allocated = allocated
        if started:
            d = self.provisioned_invocations
            d[i] = d.get(i, 0) + 1
        self._peak_provisioned(i, busy, allocated)

    def spilled_over(self, now: float) -> None:
        """An attempt of a qualifier with provisioned concurrency started on an on-demand environment."""
        i = int(now // self.period)
        d = self.spillover_invocations
        d[i] = d.get(i, 0) + 1

    def _peak_provisioned(self, i: int, busy: int, allocated: int) -> None:
        if busy > self.provisioned_peaks.get(i, 0):
            self.provisioned_peaks[i] = busy
        if allocated and busy / allocated > self.utilization_peaks.get(i, 0.0):
            self.utilization_peaks[i] = busy / allocated

    def _carry_provisioned(self, index: int) -> None:
        # As _carry: periods entered since the last change began with the provisioned environments busy then.
        if self._provisioned_held:
            for k in range(self._provisioned_index + 1, index + 1):
                self._peak_provisioned(k, self._provisioned_held, self._provisioned_allocated)
        self._provisioned_index = index

    # -- reading ----------------------------------------------------------------------------------------------

    def settle(self, now: float) -> None:
        """Bring the concurrency peaks up to ``now`` (periods entered since the last change)."""
        self._advance(now)
        i = int(now // self.period)
        if i > self._provisioned_index:
            self._carry_provisioned(i)

    def snapshot(self, now: float) -> FunctionMetrics:
        """An independent copy as of ``now`` (results keep it while the simulation runs on).

        Periods that can no longer change are shared, not copied: a ``Duration`` sample lands at most one attempt
        (timeout plus init, under :data:`LONGEST_ATTEMPT_S`) after its period; the other samples land in the
        current period. So a snapshot costs a few copies, however long the run.
        """
        self.settle(now)
        current = int(now // self.period)
        settled = int((now - LONGEST_ATTEMPT_S) // self.period)
        out = copy.copy(self)
        for name in (
            "invocations",
            "errors",
            "throttles",
            "received",
            "dropped",
            "dead_letter_errors",
            "destination_failures",
            "concurrency",
            "provisioned_invocations",
            "spillover_invocations",
            "provisioned_peaks",
            "utilization_peaks",
        ):
            setattr(out, name, dict(getattr(self, name)))
        out.duration = {i: d if i < settled else d.copy() for i, d in self.duration.items()}
        out.event_age = {i: d if i < current else d.copy() for i, d in self.event_age.items()}
        # Coarse buckets are never changed in place (merging builds new ones): new dicts of the same entries.
        out._coarse = {name: dict(c) for name, c in self._coarse.items()}
        return out

    def _all(self, name: str, first: int | None = None, last: int | None = None) -> dict[int, Any]:
        """A series' rolled-up buckets, oldest first, then its periods; with ``first`` and ``last``, only the entries
        keyed ``first`` to ``last`` (found by index when that is fewer steps than a scan: what an alarm reads)."""
        coarse = self._coarse[name]
        fine = getattr(self, name)
        if first is None or last is None:
            if not coarse:
                return dict(fine)
            return {**dict(sorted(coarse.items())), **fine}
        out = {i: v for i, v in sorted(coarse.items()) if first <= i <= last}
        if last - first < len(fine):
            for i in range(first, last + 1):
                v = fine.get(i)
                if v is not None:
                    out[i] = v
        else:
            out.update((i, v) for i, v in fine.items() if first <= i <= last)
        return out

    def series(self, metric: str, first: int | None = None, last: int | None = None) -> dict[int, Aggregate]:
        """``{period index: Aggregate}`` of ``metric`` for every period with samples (or, with ``first`` and
        ``last``, those keyed ``first`` to ``last``); an older entry may be a rolled-up bucket of :meth:`span`
        periods, keyed by its first period."""
        if metric in _COUNTED:
            return _ones(self._all(_COUNTED[metric], first, last))
        if metric in _SAMPLED:
            return {i: Aggregate.of_samples(d) for i, d in self._all(_SAMPLED[metric], first, last).items()}
        if metric in _PEAKED:
            return {i: Aggregate.of_value(peak) for i, peak in self._all(_PEAKED[metric], first, last).items()}
        if metric == "Errors":  # one sample per invocation: 1 if it failed, so Average is the error rate
            errors = self._all("errors", first, last)
            return {
                i: Aggregate.of_counts(d.count, errors.get(i, 0)) for i, d in self._all("duration", first, last).items()
            }
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
                if i < self._fine_from:
                    row["period_s"] = self.span(i) * self.period  # a rolled-up bucket
                for stat in STATISTICS:
                    row[stat] = agg.statistic(stat)
                for q in qs:
                    row[f"p{q * 100:g}"] = agg.percentile(q)
                rows.append(row)
            if rows:
                out[metric] = rows
        return out


# Where each metric's per-period figures live: counts of events (each a sample of 1), samples, and peaks.
_COUNTED = {
    "Invocations": "invocations",
    "Throttles": "throttles",
    "AsyncEventsReceived": "received",
    "AsyncEventsDropped": "dropped",
    "DeadLetterErrors": "dead_letter_errors",
    "DestinationDeliveryFailures": "destination_failures",
    "ProvisionedConcurrencyInvocations": "provisioned_invocations",
    "ProvisionedConcurrencySpilloverInvocations": "spillover_invocations",
}
_SAMPLED = {"Duration": "duration", "AsyncEventAge": "event_age"}
_PEAKED = {
    "ConcurrentExecutions": "concurrency",
    "ProvisionedConcurrentExecutions": "provisioned_peaks",
    "ProvisionedConcurrencyUtilization": "utilization_peaks",
}


_ROLLED: dict[str, Any] = {
    **{name: int.__add__ for name in _COUNTED.values()},
    "errors": int.__add__,
    **{name: Samples.merged for name in _SAMPLED.values()},
    **{name: max for name in _PEAKED.values()},
}
"""Every per-period series, with how two of its entries merge into one (a coarse bucket)."""


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
