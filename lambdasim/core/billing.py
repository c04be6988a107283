"""AWS Lambda's billing rule for duration, in one place: what every bill, counter and log line of lambdasim uses.

Lambda bills each invocation's duration rounded up to the nearest millisecond [doc]; since 2025-08-01 the init
phase of a cold start is billed too, as ``ceil(init + duration)`` ms [doc]. Float noise must not add a millisecond
(0.2 s is 200 ms, not 201), so the rounding up is applied to the value rounded at the microsecond first [model].
"""

from __future__ import annotations

import math

__all__ = ["billed_ms_of"]


def billed_ms_of(ms: float) -> int:
    """Whole milliseconds billed for ``ms`` milliseconds (>= 0): ``ceil(round(ms, 6))``.

    Computed without the slow ``round`` except within a microsecond above a whole millisecond, the only place where
    rounding first can change the result (elsewhere ``round(ms, 6)`` lies in ``(ceil(ms) - 1, ceil(ms)]``).

    >>> billed_ms_of(200.0), billed_ms_of(200.00000001), billed_ms_of(50.1), billed_ms_of(0.0)
    (200, 200, 51, 0)
    """
    billed = math.ceil(ms)
    if ms - billed + 1.0 < 1e-6:
        billed = math.ceil(round(ms, 6))
    return billed
