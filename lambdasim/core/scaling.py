"""The concurrency scaling rate: how fast one function may add execution environments. No SimPy here.

AWS [doc]: "for each function, your concurrency scaling rate is 1,000 execution environment instances every 10
seconds"; Lambda "makes a best attempt to refill your concurrency scaling rate continuously", and unused rate does
not accumulate beyond 1,000. That is a token bucket of capacity 1000 refilled at 100 tokens/s. Only a **new**
environment takes a token: reusing a warm one does not. Past it, the attempt is throttled (HTTP 429) with
:attr:`lambdasim.core.rules.ThrottleReason.SCALING`.

>>> bucket = ScalingBucket(capacity=1000, period_s=10.0)
>>> sum(bucket.take(0.0) for _ in range(1200))     # a burst: 1000 new environments at once, then throttles
1000
>>> sum(bucket.take(1.0) for _ in range(200))      # one second later 100 more have been refilled
100
>>> bucket.available(100.0)                         # refilled to the capacity, and no further
1000.0
"""

from __future__ import annotations

from lambdasim.core._validators import check_range


class ScalingBucket:
    """A continuously refilled token bucket: ``capacity`` tokens per ``period_s``, at most ``capacity`` banked.

    Args:
        capacity: Tokens (new environments) per period and the most the bucket holds (>= 1).
        period_s: Seconds to refill from empty to full (> 0).
        start: Simulated time at which the bucket is full.
    """

    __slots__ = ("_last", "_tokens", "capacity", "rate_per_s")

    def __init__(self, capacity: int, period_s: float, start: float = 0.0) -> None:
        check_range("capacity", capacity, 1, integer=True)
        check_range("period_s", period_s, 0.0, low_open=True)
        self.capacity = float(capacity)
        self.rate_per_s = capacity / period_s
        self._tokens = float(capacity)
        self._last = start

    def available(self, now: float) -> float:
        """Tokens in the bucket at ``now`` (times never decrease)."""
        tokens = self._tokens + (now - self._last) * self.rate_per_s
        if tokens > self.capacity:
            tokens = self.capacity
        self._tokens = tokens
        self._last = now
        return tokens

    def take(self, now: float) -> bool:
        """Take one token at ``now`` if there is one."""
        tokens = self.available(now)
        if tokens < 1.0:
            return False
        self._tokens = tokens - 1.0
        return True
