"""The pure rules of asynchronous retries: when to try again and when to give up. No SimPy here.

All times are seconds on the simulated clock; ``age`` is ``now - enqueue time``.

>>> throttle_backoff(1), throttle_backoff(4), throttle_backoff(10)
(1.0, 8.0, 300.0)
>>> function_error_retry_delay(1, max_retry_attempts=2)
60.0
>>> function_error_retry_delay(3, max_retry_attempts=2) is None
True
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_S = 21600
MIN_MAXIMUM_EVENT_AGE_S = 60
MAX_MAXIMUM_EVENT_AGE_S = 21600
MIN_UNRESERVED_CONCURRENCY = 100
"""Lambda keeps at least this much of an account's concurrency unreserved (``UnreservedConcurrentExecutions``), so
the account's limit is at least this too."""


class Condition(StrEnum):
    """How an asynchronous event ended: the ``requestContext.condition`` of its invocation record.

    ``DROPPED`` is lambdasim's name for an event the queue deleted without sending it anywhere (spec 1.5); it has
    no invocation record.
    """

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"
    ZERO_RESERVED_CONCURRENCY = "ZeroReservedConcurrency"
    DROPPED = "Dropped"


class ThrottleReason(StrEnum):
    """Why an attempt got HTTP 429 (the ``Reason`` of ``TooManyRequestsException``).

    The values are members of the botocore model's ``ThrottleReason`` enum. AWS does not document which one the
    concurrency scaling rate gives [model]: it is a per-function limit that AWS also states as a request rate
    ("10,000 requests per second every 10 seconds"), so lambdasim uses ``FunctionInvocationRateLimitExceeded``.
    ``CallerRateLimitExceeded`` is not it: it was recorded for one client bursting ``Invoke`` calls of
    ``InvocationType=Event`` (github.com/fyoorer/ShadowClone issues 25 and 46), which never touch environments.
    """

    RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
    ACCOUNT = "ConcurrentInvocationLimitExceeded"
    SCALING = "FunctionInvocationRateLimitExceeded"


def function_error_retry_delay(
    attempts_run: int, max_retry_attempts: int, delays: tuple[float, float] = (60.0, 120.0)
) -> float | None:
    """Delay before the next attempt after the ``attempts_run``-th attempt failed, or ``None`` when retries are spent.

    AWS waits 60 s after the first failed attempt ends and 120 s after the second.
    """
    if attempts_run > max_retry_attempts:
        return None
    return delays[attempts_run - 1]


def throttle_backoff(consecutive: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Backoff after the ``consecutive``-th throttle or service error in a row: ``min(base * 2**(n-1), cap)``."""
    if consecutive < 1:
        raise ValueError(f"consecutive must be >= 1, got {consecutive!r}")
    # Past 2**60 the float is far beyond any cap; avoid building huge ints.
    if consecutive > 60:
        return float(cap)
    return float(min(base * 2 ** (consecutive - 1), cap))


def exceeds_age(age: float, delay: float, max_event_age: float) -> bool:
    """Age look-ahead: would the event be older than ``max_event_age`` when the next try comes due?

    AWS discards the event at once, without waiting out the delay, when ``age + delay > max_event_age``.
    """
    return age + delay > max_event_age
