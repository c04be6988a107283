"""Risk: how often a replication (a day) meets a target, with a confidence bound on that share.

A mean over replications says how a typical day goes; a budget is staked on the bad days. This module judges the
*share* of replications that meet an objective, ``k`` of ``n``, by a one-sided confidence bound on the true share
``p``:

- :func:`share_bounds` gives the exact Clopper-Pearson bounds (from the binomial distribution itself, so they
  hold at every ``n``) or Wilson's score bounds (a closer, approximate interval);
- :class:`ShareRule` states the requirement ("on at least 95% of days, shown at 95% confidence") and the
  sequential design that decides it: replications are added in looks (``first``, then doubling, up to ``cap``)
  until the decision is clear, with the error of a "met" claim kept at most ``1 - confidence`` over all looks.

>>> lo, hi = share_bounds(59, 59, 0.95)          # 59 good days of 59: share >= 95.0% at 95% confidence
>>> round(lo, 4), hi
(0.9505, 1.0)
>>> ShareRule(share=0.95).decide(10, 10)           # 10 of 10 is not enough to show 95%
'undecided'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

from attrs import field, frozen

from lambdasim.core._validators import check_range, in_range, one_of

__all__ = ["METHODS", "ShareRule", "binomial_cdf", "share_bounds"]

METHODS = ("clopper-pearson", "wilson")
"""The confidence bounds on a share: exact (Clopper-Pearson, the default) or Wilson's score interval."""


def binomial_cdf(k: int, n: int, p: float) -> float:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)``, summed term by term (exact to rounding).

    >>> round(binomial_cdf(0, 3, 0.5), 12), round(binomial_cdf(3, 3, 0.2), 12)
    (0.125, 1.0)
    """
    check_range("n", n, 0, integer=True)
    check_range("p", p, 0.0, 1.0)
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p == 0.0:
        return 1.0
    if p == 1.0:
        return 0.0
    # Term i from term i - 1: times (n - i + 1) / i * p / q; the first, q ** n, in logs (it may underflow alone).
    log_term = n * math.log1p(-p)
    log_ratio = math.log(p) - math.log1p(-p)
    total = math.exp(log_term)
    for i in range(1, k + 1):
        log_term += math.log((n - i + 1) / i) + log_ratio
        total += math.exp(log_term)
    return min(1.0, total)


def _solve(f: Callable[[float], float], target: float) -> float:
    """The ``p`` in [0, 1] where the increasing function ``f`` reaches ``target`` (bisection, to 1e-14)."""
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if f(mid) < target:
            low = mid
        else:
            high = mid
        if high - low < 1e-14:
            break
    return (low + high) / 2


def share_bounds(k: int, n: int, confidence: float = 0.95, method: str = "clopper-pearson") -> tuple[float, float]:
    """One-sided confidence bounds ``(lower, upper)`` on a share observed as ``k`` successes in ``n`` trials.

    Each bound holds by itself at ``confidence``: the true share is at least ``lower`` with that confidence, and
    at most ``upper`` with that confidence. Clopper-Pearson's lower bound is the ``p`` at which ``k`` or more
    successes have probability ``1 - confidence``; with ``k = n`` it is ``(1 - confidence) ** (1 / n)``.

    >>> lo, hi = share_bounds(0, 10, 0.95)
    >>> lo, round(hi, 6), round(1 - 0.05 ** (1 / 10), 6)
    (0.0, 0.258866, 0.258866)
    """
    check_range("n", n, 1, integer=True)
    check_range("k", k, 0, n, integer=True)
    check_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    alpha = 1.0 - confidence
    if method == "wilson":
        z = NormalDist().inv_cdf(confidence)
        phat = k / n
        centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
        # At k = 0 and k = n the interval touches 0 or 1 exactly (the formula leaves rounding there).
        return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))
    # P(X >= k; p) = 1 - cdf(k - 1) increases with p: the lower bound is where it reaches alpha.
    lower = 0.0 if k == 0 else _solve(lambda p: 1.0 - binomial_cdf(k - 1, n, p), alpha)
    # P(X <= k; p) decreases with p: the upper bound is where it falls to alpha.
    upper = 1.0 if k == n else _solve(lambda p: -binomial_cdf(k, n, p), -alpha)
    if k == n:
        lower = alpha ** (1.0 / n)  # the closed form, exactly
    if k == 0:
        upper = 1.0 - alpha ** (1.0 / n)
    return lower, upper


@frozen(kw_only=True)
class ShareRule:
    """A requirement on the share of replications that meet an objective, and the sequential design deciding it.

    Attributes:
        share: The share of replications (days) that must meet every target, in (0, 1): 0.95 is "on at least 95%
            of days".
        confidence: How sure the answer must be: a candidate is *met* when the lower confidence bound on its share
            is at least ``share``. Over all looks, the chance of calling a candidate met when its true share is
            below ``share`` is at most ``1 - confidence`` (a Bonferroni split over the looks that could claim it).
        first: Replications at the first look.
        cap: The most replications of one candidate; still undecided there, it is *not shown* to meet the share
            and counts as failing (the cautious side).
        method: ``"clopper-pearson"`` (exact, default) or ``"wilson"``.

    Looks are at ``first``, ``2 * first``, ``4 * first``, ... and ``cap``. A candidate is *failed* as soon as the
    upper confidence bound on its share (at ``confidence``) is below ``share``; stopping early for failure never
    raises the chance of a false "met".
    """

    share: float = field(default=0.95, validator=in_range(0.0, 1.0, low_open=True, high_open=True))
    confidence: float = field(default=0.95, validator=in_range(0.0, 1.0, low_open=True, high_open=True))
    first: int = field(default=20, validator=in_range(1, integer=True))
    cap: int = field(default=120, validator=in_range(1, integer=True))
    method: str = field(default="clopper-pearson", validator=one_of(*METHODS))
    _level: float = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.cap < self.first:
            raise ValueError(f"cap must be >= first = {self.first}, got {self.cap}")
        object.__setattr__(self, "_level", self._spend())

    @property
    def looks(self) -> tuple[int, ...]:
        """The replication counts at which the decision is taken."""
        out = []
        n = self.first
        while n < self.cap:
            out.append(n)
            n *= 2
        out.append(self.cap)
        return tuple(out)

    def can_claim(self, n: int, confidence: float) -> bool:
        """Whether ``n`` of ``n`` replications would show the share at ``confidence`` (a look that can say met)."""
        return share_bounds(n, n, confidence, self.method)[0] >= self.share

    @property
    def look_confidence(self) -> float:
        """The confidence of the "met" bound at each look: ``1 - (1 - confidence) / L``, where ``L`` is the number
        of looks that could claim "met" at that level (looks too small to claim it spend none of the error)."""
        return self._level

    def _spend(self) -> float:
        alpha = 1.0 - self.confidence
        looks = self.looks
        for spend in range(1, len(looks) + 1):
            level = 1.0 - alpha / spend
            if sum(self.can_claim(n, level) for n in looks) <= spend:
                return level
        return 1.0 - alpha / len(looks)

    @property
    def least_replications(self) -> int | None:
        """The fewest replications, all meeting, that show the share (``None``: not within ``cap``)."""
        level = self.look_confidence
        for n in self.looks:
            if self.can_claim(n, level):
                return n
        return None

    def bounds(self, k: int, n: int) -> tuple[float, float]:
        """The lower bound (at :attr:`look_confidence`) and upper bound (at ``confidence``) on the share."""
        return (
            share_bounds(k, n, self.look_confidence, self.method)[0],
            share_bounds(k, n, self.confidence, self.method)[1],
        )

    def decide(self, k: int, n: int) -> str:
        """``"met"``, ``"failed"`` or ``"undecided"`` after ``k`` of ``n`` replications met the objective."""
        check_range("n", n, 1, integer=True)
        check_range("k", k, 0, n, integer=True)
        if self.method == "clopper-pearson":
            # The exact bounds pass the share exactly when the binomial tails at the share pass alpha: no search.
            if 1.0 - binomial_cdf(k - 1, n, self.share) <= 1.0 - self.look_confidence:
                return "met"
            if binomial_cdf(k, n, self.share) < 1.0 - self.confidence:
                return "failed"
            return "undecided"
        lower, upper = self.bounds(k, n)
        if lower >= self.share:
            return "met"
        if upper < self.share:
            return "failed"
        return "undecided"

    def __str__(self) -> str:
        return f"on at least {self.share:.0%} of replications, shown at {self.confidence:.0%} confidence"
