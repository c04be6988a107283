"""Streaming statistics in bounded memory: tallies, quantile sketches and time-weighted levels. No SimPy here.

- :class:`Tally` keeps count, running moments (Welford), min and max, and a :class:`QuantileSketch`.
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


class QuantileSketch:
    """Relative-error quantiles of non-negative values in memory logarithmic in their range.

    >>> s = QuantileSketch()
    >>> for v in range(1, 1001): s.add(float(v))
    >>> abs(s.quantile(0.99) - 990) / 990 < 0.01
    True
    """

    __slots__ = ("_buckets", "_gamma_log", "_zeros", "alpha", "count")

    def __init__(self, alpha: float = 0.005) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
        self.alpha = alpha
        self._gamma_log = math.log((1 + alpha) / (1 - alpha))
        self._buckets: dict[int, int] = {}
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
        key = math.ceil(math.log(value) / self._gamma_log)
        buckets = self._buckets
        buckets[key] = buckets.get(key, 0) + 1

    def quantile(self, q: float) -> float:
        """The ``q``-quantile (``0 <= q <= 1``) of what was added; ``nan`` when empty."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"q must be in [0, 1], got {q!r}")
        if self.count == 0:
            return math.nan
        # Nearest rank, rounded up: a tail quantile never understates the tail.
        rank = math.ceil(q * (self.count - 1) - 1e-9)
        seen = self._zeros
        if rank < seen:
            return 0.0
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if seen > rank:
                # The bucket's representative value is within alpha of every value it holds.
                return 2 * math.exp(key * self._gamma_log) / (1 + math.exp(self._gamma_log))
        return 2 * math.exp(max(self._buckets) * self._gamma_log) / (1 + math.exp(self._gamma_log))

    def merge(self, other: QuantileSketch) -> None:
        """Add every observation of ``other`` (same ``alpha``)."""
        if other.alpha != self.alpha:
            raise ValueError(f"cannot merge sketches with alpha {self.alpha} and {other.alpha}")
        self.count += other.count
        self._zeros += other._zeros
        for key, n in other._buckets.items():
            self._buckets[key] = self._buckets.get(key, 0) + n

    def cdf(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Points ``(values, cumulative fractions)`` of the empirical CDF, one per non-empty bucket."""
        keys = sorted(self._buckets)
        values = [0.0] * (self._zeros > 0) + [
            2 * math.exp(k * self._gamma_log) / (1 + math.exp(self._gamma_log)) for k in keys
        ]
        counts = [self._zeros] * (self._zeros > 0) + [self._buckets[k] for k in keys]
        total = max(self.count, 1)
        return np.asarray(values), np.cumsum(counts) / total

    @property
    def buckets(self) -> int:
        """How many buckets are in use (the sketch's memory, in entries)."""
        return len(self._buckets) + (self._zeros > 0)


class Tally:
    """Count, mean, variance, min, max and quantiles of a stream of non-negative observations."""

    __slots__ = ("_m2", "count", "max", "mean", "min", "sketch")

    def __init__(self, alpha: float = 0.005) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.sketch = QuantileSketch(alpha)

    def add(self, value: float) -> None:
        """Record one observation."""
        self.sketch.add(value)
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (value - self.mean)
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def extend(self, values: Iterable[float]) -> None:
        """Record many observations."""
        for v in values:
            self.add(v)

    @property
    def variance(self) -> float:
        """Sample variance (``nan`` below two observations)."""
        return self._m2 / (self.count - 1) if self.count > 1 else math.nan

    def quantile(self, q: float) -> float:
        """The ``q``-quantile, within the sketch's relative error and never outside ``[min, max]``."""
        value = self.sketch.quantile(q)
        if value != value:  # nan: nothing recorded
            return value
        return min(max(value, self.min), self.max)

    def to_dict(self, quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)) -> dict[str, float | int | None]:
        """JSON-ready summary (``None`` for undefined figures)."""
        empty = self.count == 0
        out: dict[str, float | int | None] = {
            "count": self.count,
            "mean": None if empty else self.mean,
            "min": None if empty else self.min,
            "max": None if empty else self.max,
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
        self._area += self.value * (now - self._since)
        self._since = now
        self.value += delta
        if self.value > self.max:
            self.max = self.value

    def mean(self, now: float) -> float:
        """Time-average of the level from the start to ``now``."""
        span = now - self._start
        if span <= 0:
            return float(self.value)
        return (self._area + self.value * (now - self._since)) / span

    def to_dict(self, now: float) -> dict[str, float]:
        """JSON-ready summary at ``now``."""
        return {"mean": self.mean(now), "max": float(self.max), "final": float(self.value)}
