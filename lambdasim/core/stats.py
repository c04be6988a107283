"""Streaming statistics in bounded memory: tallies, quantile sketches and time-weighted levels. No SimPy here.

- :class:`Tally` keeps count, running moments (blockwise, pairwise-combined), min and max, and a
  :class:`QuantileSketch`.
- :class:`QuantileSketch` is a log-bucketed histogram (the DDSketch idea): every quantile it reports is within a
  relative error ``alpha`` (default 0.5%) of a value actually observed at that rank. Memory grows with the log of the
  value range, never with the number of observations.
- :class:`Level` integrates a piecewise-constant level over time (queue depth, concurrency), updated when the level
  changes, not on a timer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Level", "QuantileSketch", "Tally"]

ZERO_BELOW = 1e-9
"""Values below this (seconds) are counted as zero by sketches."""

TALLY_BUFFER = 1024
"""Observations a :class:`Tally` buffers before folding them into its moments and sketch (bounds its memory)."""


def add_dense(
    dense: np.ndarray[Any, Any] | None, dense_low: int, counts: np.ndarray[Any, Any], low: int
) -> tuple[np.ndarray[Any, Any], int]:
    """Add bucket ``counts`` (buckets ``low``, ``low + 1``, ...) into ``dense`` (buckets ``dense_low``, ...).

    Returns the array and its first bucket: ``counts`` itself when ``dense`` is ``None``, ``dense`` widened (keeping
    its dtype) when the block reaches outside it, which is rare since bucket ranges are logarithmic.
    """
    if dense is None:
        return counts, low
    new_low = min(dense_low, low)
    new_high = max(dense_low + dense.size, low + counts.size)
    if new_low < dense_low or new_high > dense_low + dense.size:
        wider = np.zeros(new_high - new_low, dtype=dense.dtype)
        wider[dense_low - new_low : dense_low - new_low + dense.size] = dense
        dense, dense_low = wider, new_low
    dense[low - dense_low : low - dense_low + counts.size] += counts
    return dense, dense_low


def bucket_gamma_log(alpha: float) -> float:
    """``log(gamma)`` of a histogram of relative accuracy ``alpha``: ``gamma = (1 + alpha) / (1 - alpha)``."""
    return math.log((1 + alpha) / (1 - alpha))


def bucket_key(value: float, gamma_log: float) -> int:
    """The log bucket of a value ``v >= ZERO_BELOW``: ``ceil(log(v) / log(gamma))``.

    The one bucketing rule of lambdasim: :class:`QuantileSketch` and the per-period histograms of
    :mod:`lambdasim.core.metrics` both use it (and :func:`bucket_keys`, its bulk form), so a histogram turned into a
    sketch has exactly the buckets the sketch would have given its values one by one.
    """
    return math.ceil(math.log(value) / gamma_log)


def bucket_keys(values: np.ndarray[Any, Any], gamma_log: float) -> np.ndarray[Any, Any]:
    """:func:`bucket_key` of each value (all ``>= ZERO_BELOW``), in bulk, as ``int64``: exactly the scalar rule.

    numpy's vectorised ``log`` may differ from ``math.log`` in the last bit; that matters only for a value within a
    few ulps of a bucket boundary, so those few are recomputed one by one with the scalar rule.
    """
    scaled = np.log(values) / gamma_log
    keys: np.ndarray[Any, Any] = np.ceil(scaled)
    near = np.abs(scaled - np.rint(scaled)) < 1e-9
    if near.any():
        keys[near] = [bucket_key(v, gamma_log) for v in values[near].tolist()]
    return keys.astype(np.int64)


class QuantileSketch:
    """Relative-error quantiles of non-negative values in memory logarithmic in their range.

    >>> s = QuantileSketch()
    >>> for v in range(1, 1001): s.add(float(v))
    >>> abs(s.quantile(0.99) - 990) / 990 < 0.01
    True
    """

    __slots__ = ("_buckets", "_dense", "_dense_low", "_gamma_log", "_zeros", "alpha", "count")

    def __init__(self, alpha: float = 0.005) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        self.alpha = alpha
        self._gamma_log = bucket_gamma_log(alpha)
        self._buckets: dict[int, int] = {}
        # add_many counts into a dense array of buckets _dense_low, _dense_low + 1, ...: numpy adds a whole block
        # at once, where a dict takes one Python step per distinct bucket. Readers fold it into _buckets first.
        self._dense: np.ndarray[Any, Any] | None = None
        self._dense_low = 0
        self._zeros = 0
        self.count = 0

    def add(self, value: float) -> None:
        """Count one observation (negative values are a ``ValueError``)."""
        self.count += 1
        if value < ZERO_BELOW:
            if value < 0:
                self.count -= 1
                raise ValueError(f"QuantileSketch takes values >= 0, got {value!r}")
            self._zeros += 1
            return
        key = bucket_key(value, self._gamma_log)
        buckets = self._buckets
        buckets[key] = buckets.get(key, 0) + 1

    def add_many(self, values: Iterable[float]) -> None:
        """Count many observations at once: the same buckets as :meth:`add` one by one, in bulk.

        A negative or ``nan`` value is a ``ValueError``, and then none of ``values`` is counted.
        """
        arr = np.asarray(values if isinstance(values, (list, tuple, np.ndarray)) else list(values), dtype=float)
        if arr.size == 0:
            return
        if not arr.min() >= 0.0:
            bad = arr[~(arr >= 0.0)][0]
            raise ValueError(f"QuantileSketch takes values >= 0, got {float(bad)!r}")
        positive = arr[arr >= ZERO_BELOW]
        self.count += int(arr.size)
        self._zeros += int(arr.size - positive.size)
        if positive.size == 0:
            return
        ikeys = bucket_keys(positive, self._gamma_log)
        low = int(ikeys.min())
        counts = np.bincount(ikeys - low)
        self._dense, self._dense_low = add_dense(self._dense, self._dense_low, counts, low)

    @classmethod
    def from_buckets(cls, alpha: float, buckets: dict[int, int], zeros: int) -> QuantileSketch:
        """A sketch of ``zeros`` values below :data:`ZERO_BELOW` and ``buckets`` (``{bucket key: count}``, keys by
        :func:`bucket_key` at this ``alpha``): the sketch that adding those values one by one would give."""
        sketch = cls(alpha)
        sketch._buckets = dict(buckets)
        sketch._zeros = zeros
        sketch.count = zeros + sum(buckets.values())
        return sketch

    def _settle(self) -> dict[int, int]:
        """Fold the dense counts into the bucket dict; return the dict."""
        dense = self._dense
        buckets = self._buckets
        if dense is not None:
            self._dense = None
            low = self._dense_low
            for offset in np.flatnonzero(dense).tolist():
                key = low + offset
                buckets[key] = buckets.get(key, 0) + int(dense[offset])
        return buckets

    def quantile(self, q: float) -> float:
        """The ``q``-quantile (``0 <= q <= 1``) of what was added; ``nan`` when empty."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must be in [0, 1], got {q!r}")
        if self.count == 0:
            return math.nan
        buckets = self._settle()
        # Nearest rank, rounded up: a tail quantile never understates the tail.
        rank = math.ceil(q * (self.count - 1) - 1e-9)
        seen = self._zeros
        if rank < seen:
            return 0.0
        for key in sorted(buckets):
            seen += buckets[key]
            if seen > rank:
                # The bucket's representative value is within alpha of every value it holds.
                return 2 * math.exp(key * self._gamma_log) / (1 + math.exp(self._gamma_log))
        return 2 * math.exp(max(buckets) * self._gamma_log) / (1 + math.exp(self._gamma_log))

    def merge(self, other: QuantileSketch) -> None:
        """Add every observation of ``other`` (same ``alpha``)."""
        if other.alpha != self.alpha:
            raise ValueError(f"cannot merge sketches with alpha {self.alpha} and {other.alpha}")
        self.count += other.count
        self._zeros += other._zeros
        buckets = self._settle()
        for key, n in other._settle().items():
            buckets[key] = buckets.get(key, 0) + n

    def cdf(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Points ``(values, cumulative fractions)`` of the empirical CDF, one per non-empty bucket."""
        buckets = self._settle()
        keys = sorted(buckets)
        values = [0.0] * (self._zeros > 0) + [
            2 * math.exp(k * self._gamma_log) / (1 + math.exp(self._gamma_log)) for k in keys
        ]
        counts = [self._zeros] * (self._zeros > 0) + [buckets[k] for k in keys]
        total = max(self.count, 1)
        return np.asarray(values), np.cumsum(counts) / total

    @property
    def buckets(self) -> int:
        """How many buckets are in use (the sketch's memory, in entries)."""
        return len(self._settle()) + (self._zeros > 0)


def _moments(values: list[float] | np.ndarray[Any, Any]) -> tuple[int, float, float, float, float]:
    """``(count, mean, M2, min, max)`` of a non-empty block (M2: sum of squared deviations from the mean)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    dev = arr - mean
    return int(arr.size), mean, float(dev @ dev), float(arr.min()), float(arr.max())


def _combine(
    a: tuple[int, float, float, float, float], b: tuple[int, float, float, float, float]
) -> tuple[int, float, float, float, float]:
    """The moments of two blocks together (Chan, Golub and LeVeque's pairwise update)."""
    na, ma, m2a, loa, hia = a
    nb, mb, m2b, lob, hib = b
    if na == 0:
        return b
    n = na + nb
    delta = mb - ma
    return n, ma + delta * nb / n, m2a + m2b + delta * delta * na * nb / n, min(loa, lob), max(hia, hib)


class Tally:
    """Count, mean, variance, min, max and quantiles of a stream of non-negative observations.

    ``add`` only appends to a buffer; every :data:`TALLY_BUFFER` observations the block is folded into the running
    moments (numpy, then a pairwise update) and into the sketch. Readers combine the folded blocks with the
    buffered tail without folding it, so the figures depend only on the observations, never on when anyone looked.
    That keeps the hot path's cost per observation to about a list append, in bounded memory.
    """

    __slots__ = ("_buf", "_folded", "_sketch", "_sketched")

    def __init__(self, alpha: float = 0.005) -> None:
        self._buf: list[float] = []
        self._sketched = 0  # how many of _buf are already counted in the sketch
        self._folded: tuple[int, float, float, float, float] = (0, 0.0, 0.0, math.inf, -math.inf)
        self._sketch = QuantileSketch(alpha)

    def add(self, value: float) -> None:
        """Record one observation (>= 0; anything else is a ``ValueError``, and is not recorded)."""
        if not value >= 0.0:  # negative or nan
            raise ValueError(f"QuantileSketch takes values >= 0, got {value!r}")
        buf = self._buf
        buf.append(value)
        if len(buf) >= TALLY_BUFFER:
            self._fold()

    def extend(self, values: Iterable[float]) -> None:
        """Record many observations."""
        for v in values:
            self.add(v)

    def _fold(self) -> None:
        """Fold the buffer into the moments and the sketch, and empty it."""
        buf = self._buf
        if not buf:
            return
        arr = np.asarray(buf, dtype=float)  # one conversion for both
        self._sketch.add_many(arr[self._sketched :])
        self._folded = _combine(self._folded, _moments(arr))
        self._buf = []
        self._sketched = 0

    def _view(self) -> tuple[int, float, float, float, float]:
        """``(count, mean, M2, min, max)`` of everything, the buffer included, without folding it."""
        return _combine(self._folded, _moments(self._buf)) if self._buf else self._folded

    def _set(self, index: int, value: float) -> None:
        # Only merges set figures (see FunctionStats.event_age): fold first, so the tail is not counted twice.
        self._fold()
        figures = list(self._folded)
        figures[index] = value
        self._folded = (int(figures[0]), figures[1], figures[2], figures[3], figures[4])

    @property
    def count(self) -> int:
        """Observations recorded."""
        return self._folded[0] + len(self._buf)

    @count.setter
    def count(self, value: int) -> None:
        self._set(0, value)

    @property
    def mean(self) -> float:
        """Running mean (0.0 when empty)."""
        return self._view()[1]

    @mean.setter
    def mean(self, value: float) -> None:
        self._set(1, value)

    @property
    def _m2(self) -> float:
        """Sum of squared deviations from the mean."""
        return self._view()[2]

    @_m2.setter
    def _m2(self, value: float) -> None:
        self._set(2, value)

    @property
    def min(self) -> float:
        """Smallest observation (``inf`` when empty)."""
        return self._view()[3]

    @min.setter
    def min(self, value: float) -> None:
        self._set(3, value)

    @property
    def max(self) -> float:
        """Largest observation (``-inf`` when empty)."""
        return self._view()[4]

    @max.setter
    def max(self, value: float) -> None:
        self._set(4, value)

    @property
    def sketch(self) -> QuantileSketch:
        """The quantile sketch of every observation (bucket counts do not depend on order, so it is brought up
        to date in place)."""
        buf = self._buf
        if self._sketched < len(buf):
            self._sketch.add_many(buf[self._sketched :])
            self._sketched = len(buf)
        return self._sketch

    @property
    def variance(self) -> float:
        """Sample variance (``nan`` below two observations)."""
        count, _, m2, _, _ = self._view()
        return m2 / (count - 1) if count > 1 else math.nan

    def quantile(self, q: float) -> float:
        """The ``q``-quantile, within the sketch's relative error and never outside ``[min, max]``."""
        value = self.sketch.quantile(q)
        if value != value:  # nan: nothing recorded
            return value
        _, _, _, low, high = self._view()
        return min(max(value, low), high)

    def to_dict(self, quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)) -> dict[str, float | int | None]:
        """JSON-ready summary (``None`` for undefined figures)."""
        count, mean, _, low, high = self._view()
        empty = count == 0
        out: dict[str, float | int | None] = {
            "count": count,
            "mean": None if empty else mean,
            "min": None if empty else low,
            "max": None if empty else high,
        }
        for q in quantiles:
            out[f"p{q * 100:g}"] = None if empty else self.quantile(q)
        return out


class Level:
    """A piecewise-constant level over time: current value, maximum, and its time integral for the mean."""

    __slots__ = ("_area", "_since", "_start", "max", "value")

    def __init__(self, start: float = 0.0) -> None:
        self.value = 0
        self.max = 0
        self._area = 0.0
        self._since = start
        self._start = start

    def change(self, now: float, delta: int) -> None:
        """Move the level by ``delta`` at time ``now`` (times never decrease)."""
        value = self.value
        if now != self._since:  # several changes at one time (common: enqueue and poll) add no area
            self._area += value * (now - self._since)
            self._since = now
        value += delta
        self.value = value
        if value > self.max:
            self.max = value

    def restart(self, now: float) -> None:
        """Start averaging afresh at ``now`` (the end of a warm-up): keep the current value, forget the past."""
        self._area = 0.0
        self._since = now
        self._start = now
        self.max = self.value

    def integral(self, now: float) -> float:
        """The level integrated over time from the start to ``now`` (level x seconds)."""
        return self._area + self.value * (now - self._since)

    def mean(self, now: float) -> float:
        """Time-average of the level from the start to ``now``."""
        span = now - self._start
        if span <= 0:
            return float(self.value)
        return (self._area + self.value * (now - self._since)) / span

    def to_dict(self, now: float) -> dict[str, float]:
        """JSON-ready summary at ``now``."""
        return {"mean": self.mean(now), "max": float(self.max), "final": float(self.value)}
