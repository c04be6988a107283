"""Validated probability distributions for durations and other random quantities (seconds unless stated).

Each distribution is a frozen attrs object that checks its arguments where it is written and carries its own
``mean`` (and ``variance``). The engine never draws one number at a time from numpy: :meth:`Distribution.sampler`
returns a zero-argument callable that serves draws from blocks, which keeps the per-event cost to a list step while
the sequence stays a pure function of the generator's seed.

>>> from lambdasim import dist
>>> dist.LogNormal(median=0.2, spread=1.5).mean > 0.2
True
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from statistics import NormalDist
from typing import Any, TypeAlias

import attrs
import numpy as np
from attrs import field, frozen

from lambdasim.core._validators import check_range, check_real, in_range, real, short_repr

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "LogNormal",
    "Uniform",
    "as_distribution",
]

Sampler: TypeAlias = Callable[[], float]

_NORMAL = NormalDist()

BLOCK = 4096
"""Draws generated per refill of a sampler's buffer."""


def _blocks(draw: Callable[[int], np.ndarray[Any, Any]]) -> Iterator[float]:
    """An endless iterator over ``draw(BLOCK)`` results, block after block."""
    return itertools.chain.from_iterable(iter(lambda: draw(BLOCK).tolist(), None))


def stream(draw: Callable[[int], np.ndarray[Any, Any]]) -> Sampler:
    """A zero-argument callable serving successive values of ``draw(n)`` (a numpy generator method such as
    ``rng.random`` or ``lambda n: rng.exponential(scale, n)``), drawn in blocks of :data:`BLOCK`.

    Blocks keep the per-draw cost to a list step; the sequence is the same as drawing one value at a time from a
    generator dedicated to this stream, so it depends only on the stream's seed.
    """
    return partial(next, _blocks(draw))


@frozen
class Distribution(ABC):
    """Base class: subclasses define ``mean``, ``variance`` and ``_draw(rng, n)``."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """The distribution's mean."""

    @property
    @abstractmethod
    def variance(self) -> float:
        """The distribution's variance."""

    @abstractmethod
    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        """``n`` draws from ``rng``."""

    def exceeds(self, x: float) -> float:
        """``P(X > x)``: for a duration and a timeout, the share of attempts that would time out (``nan`` where a
        subclass does not say)."""
        return math.nan

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """Draw one value (``size=None``) or an array of ``size`` values from ``rng``."""
        if size is None:
            return float(self._draw(rng, 1)[0])
        return self._draw(rng, size)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """A zero-argument callable returning successive draws, buffered in blocks of :data:`BLOCK`."""
        return stream(partial(self._draw, rng))


@frozen
class Constant(Distribution):
    """Always ``value`` (>= 0)."""

    value: float = field(converter=real, validator=in_range(0.0))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        return np.full(n, self.value)

    def exceeds(self, x: float) -> float:
        return 1.0 if self.value > x else 0.0

    def sampler(self, rng: np.random.Generator) -> Sampler:
        value = self.value
        return lambda: value


@frozen
class Exponential(Distribution):
    """Exponential with the given ``mean`` (> 0)."""

    mean_s: float = field(converter=real, validator=in_range(0.0, low_open=True))

    @property
    def mean(self) -> float:
        return self.mean_s

    @property
    def variance(self) -> float:
        return self.mean_s**2

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        return rng.exponential(self.mean_s, n)

    def exceeds(self, x: float) -> float:
        return 1.0 if x < 0 else math.exp(-x / self.mean_s)


@frozen
class LogNormal(Distribution):
    """Log-normal given by its ``median`` (> 0) and multiplicative ``spread`` (>= 1, the geometric std. dev.).

    About 68% of draws fall in ``[median / spread, median * spread]``.
    """

    median: float = field(converter=real, validator=in_range(0.0, low_open=True))
    spread: float = field(converter=real, validator=in_range(1.0))

    @classmethod
    def from_quantiles(
        cls,
        quantiles: Mapping[float | str, float] | None = None,
        *,
        median: float | None = None,
        p95: float | None = None,
    ) -> LogNormal:
        """The log-normal through two quantiles: ``from_quantiles(median=0.8, p95=2.4)``, or any two as
        ``from_quantiles({0.5: 0.8, 0.99: 4.0})`` (probability: value; values > 0, the higher probability's value
        the larger). In a scenario file: ``duration = { lognormal = { quantiles = { "0.5" = 0.8, "0.95" = 2.4 } } }``.

        >>> d = LogNormal.from_quantiles(median=2.0, p95=6.0)
        >>> d.median, round(d.quantile(0.95), 9)
        (2.0, 6.0)
        """
        if quantiles is None:
            if median is None or p95 is None:
                raise TypeError("from_quantiles needs median= and p95=, or quantiles={probability: value, ...}")
            pairs: dict[float, float] = {0.5: median, 0.95: p95}
        else:
            if median is not None or p95 is not None:
                raise TypeError("give median= and p95=, or quantiles=, not both")
            if not isinstance(quantiles, Mapping):
                raise TypeError(f"quantiles must map probabilities to values, got {quantiles!r}")
            pairs = {}
            for key, x in quantiles.items():
                try:
                    pairs[float(key)] = x
                except ValueError:
                    raise ValueError(f"quantile probabilities must be numbers in (0, 1), got {key!r}") from None
        if len(pairs) != 2:
            raise ValueError(f"quantiles must hold exactly two probability: value pairs, got {pairs!r}")
        (p1, x1), (p2, x2) = sorted(pairs.items())
        for p, x in ((p1, x1), (p2, x2)):
            check_range(f"quantile probability {p!r}", p, 0.0, 1.0, low_open=True, high_open=True)
            check_range(f"quantile at {p!r}", x, 0.0, low_open=True)
        if not x2 > x1:
            raise ValueError(
                f"the quantile at {p2!r} must be larger than the one at {p1!r} (a log-normal increases), "
                f"got {x2!r} <= {x1!r}"
            )
        z1, z2 = _NORMAL.inv_cdf(p1), _NORMAL.inv_cdf(p2)
        sigma = (math.log(x2) - math.log(x1)) / (z2 - z1)
        mu = math.log(x1) - sigma * z1
        return cls(median=math.exp(mu), spread=math.exp(sigma))

    def quantile(self, q: float) -> float:
        """The ``q``-quantile, ``median * spread ** z_q``."""
        check_range("q", q, 0.0, 1.0, low_open=True, high_open=True)
        return self.median * math.exp(self._sigma * _NORMAL.inv_cdf(q))

    @property
    def _sigma(self) -> float:
        return math.log(self.spread)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self._sigma**2 / 2)

    @property
    def variance(self) -> float:
        s2 = self._sigma**2
        return (math.exp(s2) - 1) * self.median**2 * math.exp(s2)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        return rng.lognormal(math.log(self.median), self._sigma, n)

    def exceeds(self, x: float) -> float:
        if x <= 0:
            return 1.0
        if self._sigma == 0:
            return 1.0 if self.median > x else 0.0
        return 1.0 - _NORMAL.cdf(math.log(x / self.median) / self._sigma)


@frozen
class Uniform(Distribution):
    """Uniform on ``[low, high)`` with ``0 <= low <= high``."""

    low: float = field(converter=real, validator=in_range(0.0))
    high: float = field(converter=real)

    @high.validator
    def _check_high(self, attribute: attrs.Attribute[float], value: float) -> None:
        check_range("high", value, self.low)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        return rng.uniform(self.low, self.high, n)

    def exceeds(self, x: float) -> float:
        if self.high == self.low:
            return 1.0 if self.low > x else 0.0
        return min(1.0, max(0.0, (self.high - x) / (self.high - self.low)))


def _as_samples(values: Iterable[float]) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"samples must be a sequence of numbers >= 0, got {values!r} ({type(values).__name__})")
    samples = tuple(check_real("samples[]", v) for v in values)
    if not samples:
        raise ValueError("samples must hold at least one value, got none")
    if min(samples) < 0:
        raise ValueError(f"samples must all be >= 0, got {min(samples)!r}")
    return samples


@frozen
class Empirical(Distribution):
    """Resamples the given non-negative ``samples`` uniformly with replacement (for example measured durations)."""

    samples: tuple[float, ...] = field(converter=_as_samples)

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples))

    @property
    def variance(self) -> float:
        return float(np.var(self.samples))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        return rng.choice(np.asarray(self.samples), n)

    def exceeds(self, x: float) -> float:
        return sum(1 for v in self.samples if v > x) / len(self.samples)


def as_distribution(name: str, value: object) -> Distribution:
    """Accept seconds (a number >= 0) or a :class:`Distribution`; anything else is a ``TypeError`` naming ``name``."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        check_range(name, value, 0.0)
        return Constant(float(value))
    raise TypeError(
        f"{name} must be seconds (a number >= 0) or a lambdasim.core.dist distribution, "
        f"got {short_repr(value)} ({type(value).__name__})"
    )


def empirical(samples: Sequence[float]) -> Empirical:
    """Shorthand for :class:`Empirical` from any sequence of samples."""
    return Empirical(tuple(samples))
