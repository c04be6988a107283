"""The bounds on numbers and payloads entering the model: what a run can reach in memory and time. [model]

AWS's own limits (payload sizes, timeouts, concurrency) are where each is checked; these are lambdasim's, chosen
so that every value a user can give runs, or is refused at the door with the figure that would be needed.

>>> from lambdasim.core.limits import payload_depth
>>> payload_depth({"a": [1, {"b": []}]})
4
"""

from __future__ import annotations

from typing import Any

MAX_TIME_S = 1000 * 365.25 * 86400.0
"""The latest simulated time (s) anything may be scheduled for: 1,000 years, so that every simulated moment is a
date the control plane can write (``LastModified``, CloudWatch timestamps) from any ``start`` before year 8999."""

MAX_RATE_PER_S = 1_000_000.0
"""The highest arrival rate (per second) of a workload: a million invokes a second, far above any account's
concurrency. lambdasim steps some 100,000 to 300,000 events a second of CPU, so a higher rate could not finish."""

LARGE_RUN_EVENTS = 100_000_000
"""A model whose workloads expect more invocations than this gets a :class:`LargeRunWarning` before it runs."""

EVENTS_PER_CPU_S = 150_000
"""About how many invocations lambdasim simulates per second of CPU (benchmarks/bench_async.py): for estimates."""


class LargeRunWarning(UserWarning):
    """A run that will take long: the message says how many invocations and about how much CPU time."""


def check_run_size(expected_events: float) -> None:
    """Warn (:class:`LargeRunWarning`) when ``expected_events`` exceed :data:`LARGE_RUN_EVENTS`."""
    if expected_events > LARGE_RUN_EVENTS:
        import warnings

        hours = expected_events / EVENTS_PER_CPU_S / 3600.0
        warnings.warn(
            f"the workloads expect about {expected_events:.3g} invocations: some {hours:.3g} hours of CPU at "
            f"{EVENTS_PER_CPU_S:,} a second; shorten the horizon or lower the rates for a quicker run",
            LargeRunWarning,
            stacklevel=3,
        )


MAX_COUNT = 1_000_000_000
"""The largest count of things a run makes (a burst's invokes, environments per scaling period): a billion."""

MIN_READ_RATE_PER_S = 1.0 / 86400.0
"""The lowest poller read rate (per second): one event a day."""

MAX_PAYLOAD_DEPTH = 512
"""The deepest nesting of JSON arrays and objects an event may have: Python's JSON encoder and decoder recurse per
level, and a deeper event would exceed the interpreter's recursion limit in the middle of a run."""

MIN_BACKOFF_S = 0.001
"""The shortest first throttle backoff (s): a throttled event tries again at most about 20 times before its backoff
reaches AWS's 5-minute cap; a far shorter one would step it millions of times at one instant."""

MIN_METRICS_PERIOD_S = 0.001
"""The shortest metrics period (s): 1 ms. (CloudWatch's own shortest is 1 s; shorter ones help tests of period
edges; per-period metrics are rolled up over long runs, see :mod:`lambdasim.core.metrics`.)"""

MAX_METRICS_PERIOD_S = 86400.0
"""The longest metrics period (s): one day."""


def payload_depth(value: Any, limit: int = MAX_PAYLOAD_DEPTH) -> int:
    """The nesting depth of ``value``'s lists, tuples and dicts, counted without recursion; stops counting past
    ``limit`` (whatever it returns above ``limit`` means "too deep")."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple)):
            children: Any = item
        elif isinstance(item, dict):
            children = item.values()
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def text_depth(text: str | bytes, limit: int = MAX_PAYLOAD_DEPTH) -> int:
    """The nesting depth of the JSON text ``text`` (brackets outside strings), without parsing it; stops past
    ``limit``. Malformed text gets some depth: the parser reports what is wrong with it."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if data.count(b"[") + data.count(b"{") <= limit:
        return 0  # cannot be deeper than the limit: the common case costs two counts
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
