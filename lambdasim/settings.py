"""Run-wide model settings: every [model] choice of the behaviour spec, as a documented, validated default.

>>> from lambdasim import Settings
>>> Settings().retry_delays_s
(60.0, 120.0)
>>> import attrs; attrs.evolve(Settings(), throttle_backoff_jitter=0.5).throttle_backoff_jitter
0.5
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

from lambdasim._validators import check_range, in_range, one_of, probability

ASYNC_PAYLOAD_LIMIT_BYTES = 1_048_576
"""1 MB: Lambda's asynchronous payload limit since October 2025 (256 KB before, 128 KB before 2019)."""

SYNC_PAYLOAD_LIMIT_BYTES = 6_291_456
"""6 MB: the synchronous request and response payload limit."""


def _delays(value: Any) -> tuple[float, float]:
    try:
        seq = tuple(value)
    except TypeError:
        raise TypeError(
            f"retry_delays_s must be a pair of delays in seconds >= 0 (before the 2nd and 3rd attempt), got {value!r}"
        ) from None
    if len(seq) != 2:
        raise ValueError(f"retry_delays_s must hold 2 delays (before the 2nd and 3rd attempt), got {value!r}")
    for i, d in enumerate(seq):
        check_range(f"retry_delays_s[{i}]", d, 0.0)
    return (float(seq[0]), float(seq[1]))


@frozen(kw_only=True)
class Settings:
    """How the model fills the gaps AWS leaves open. All times in seconds.

    Every setting AWS does not publish has a plausible range in :data:`lambdasim.assumptions.PLAUSIBLE` (jitters,
    dispatch latency, duplicate and drop rates, idle timeout and its jitter, environment reuse and lifetime,
    provisioned allocation time), with what the range rests on; ``least_reserved_concurrency`` re-checks its answer
    across them. The poller read rate has none (no figure, no measurement): answers are conditional on it.

    Attributes:
        retry_delays_s: Wait after a failed attempt ends before the 2nd and the 3rd attempt. AWS: 60 s and 120 s.
        retry_jitter_s: Upper bound of a uniform random delay added to each function-error retry. AWS documents
            none; default 0.
        throttle_backoff_base_s: First backoff after a throttle or service error (the n-th consecutive one waits
            ``min(base * 2**(n-1), cap)``). Default 1.
        throttle_backoff_cap_s: Cap of that backoff. AWS: 5 minutes.
        throttle_backoff_jitter: Fraction in [0, 1]; each backoff is multiplied by ``1 - jitter * U`` with ``U``
            uniform on [0, 1). Default 0 (no jitter).
        backlog_backoff_factor: Backoff is multiplied by ``1 + factor * queued / 1000`` where ``queued`` is the
            function's queue depth: Lambda "increases the retry interval" when its queue is backed up. Default 0.
        poller_read_rate_per_s: Events a function's pollers take from its queue per second (first attempts and
            retries alike); ``None`` (default) reads without limit.
        dispatch_latency_s: Delay between ``Invoke`` and the first attempt. AWS: about 35 ms measured; default 0 so
            regression timings stay exact.
        duplicate_probability: Chance an accepted event is delivered twice (at-least-once queue). Default 0.
        drop_probability: Chance a throttled event is deleted without being sent (queue cannot keep up). Default 0.
        service_error_probability: Chance an attempt fails with a Lambda service error (HTTP 5xx) before running.
        async_payload_limit_bytes: Largest ``Event`` payload. Default 1 MB.
        sync_payload_limit_bytes: Largest ``RequestResponse`` payload. Default 6 MB.
        idle_timeout_s: An idle execution environment is shut down after this long. Measured on AWS: about 10 min.
        default_init_duration_s: Cold-start init time of functions created without ``InitDuration``. Default 0,
            so retry timings read exactly; set it (or ``InitDuration``) for capacity planning.
        idle_timeout_jitter_s: Each idle environment's idle timeout is ``idle_timeout_s + U * jitter`` with ``U``
            uniform on [0, 1), drawn when it becomes idle. Default 0 (AWS publishes no figure).
        environment_reuse: Which idle execution environment an invocation takes: ``"most_recent"`` (default: the
            most recently freed, which measurements of cold-start probability and instance counts on AWS agree
            with) or ``"least_recent"`` (the one idle longest).
        max_environment_lifetime_s: An environment is retired when it reaches this age (s): idle ones are shut
            down then, busy ones when their invocation ends. AWS: "every few hours, even when busy"; lambdasim's
            default is 2 h. ``None`` keeps environments for ever.
        scaling_environments: New execution environments a function may add per ``scaling_period_s``, refilled
            continuously and never accumulating beyond this (a token bucket). AWS: 1000 per 10 s. ``None``: no
            limit. Past it, attempts that need a new environment are throttled.
        scaling_period_s: The period of that scaling rate. AWS: 10 s.
        provisioned_allocation_s: Simulated time from ``PutProvisionedConcurrencyConfig`` until its environments
            are initialised and its status is ``READY``. AWS says allocation takes "a few minutes" and publishes
            no figure; default 120 s.
        metrics_period_s: Length of a period of the CloudWatch-style metrics (s, > 0). CloudWatch's standard
            resolution is 60 s; ``GetMetricStatistics`` periods must be multiples of it.
    """

    retry_delays_s: tuple[float, float] = field(default=(60.0, 120.0), converter=_delays)
    retry_jitter_s: float = field(default=0.0, validator=in_range(0.0))
    throttle_backoff_base_s: float = field(default=1.0, validator=in_range(0.0, low_open=True))
    throttle_backoff_cap_s: float = field(default=300.0, validator=in_range(0.0, low_open=True))
    throttle_backoff_jitter: float = field(default=0.0, validator=probability)
    backlog_backoff_factor: float = field(default=0.0, validator=in_range(0.0))
    poller_read_rate_per_s: float | None = field(default=None, validator=in_range(0.0, low_open=True, optional=True))
    dispatch_latency_s: float = field(default=0.0, validator=in_range(0.0))
    duplicate_probability: float = field(default=0.0, validator=probability)
    drop_probability: float = field(default=0.0, validator=probability)
    service_error_probability: float = field(default=0.0, validator=probability)
    async_payload_limit_bytes: int = field(default=ASYNC_PAYLOAD_LIMIT_BYTES, validator=in_range(1, integer=True))
    sync_payload_limit_bytes: int = field(default=SYNC_PAYLOAD_LIMIT_BYTES, validator=in_range(1, integer=True))
    idle_timeout_s: float = field(default=600.0, validator=in_range(0.0, low_open=True))
    default_init_duration_s: float = field(default=0.0, validator=in_range(0.0, 10.0))
    idle_timeout_jitter_s: float = field(default=0.0, validator=in_range(0.0))
    environment_reuse: str = field(default="most_recent", validator=one_of("most_recent", "least_recent"))
    max_environment_lifetime_s: float | None = field(
        default=7200.0, validator=in_range(0.0, low_open=True, optional=True)
    )
    scaling_environments: int | None = field(default=1000, validator=in_range(1, integer=True, optional=True))
    scaling_period_s: float = field(default=10.0, validator=in_range(0.0, low_open=True))
    provisioned_allocation_s: float = field(default=120.0, validator=in_range(0.0))
    metrics_period_s: float = field(default=60.0, validator=in_range(0.0, low_open=True))
