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

from lambdasim.core._validators import check_range, in_range, one_of, probability, short_repr
from lambdasim.core.limits import (
    MAX_COUNT,
    MAX_METRICS_PERIOD_S,
    MAX_RATE_PER_S,
    MAX_TIME_S,
    MIN_BACKOFF_S,
    MIN_METRICS_PERIOD_S,
    MIN_READ_RATE_PER_S,
)

ASYNC_PAYLOAD_LIMIT_BYTES = 1_048_576
"""1 MB: Lambda's asynchronous payload limit since October 2025 (256 KB before, 128 KB before 2019)."""

SYNC_PAYLOAD_LIMIT_BYTES = 6_291_456
"""6 MB: the synchronous request and response payload limit."""


def _delays(value: Any) -> tuple[float, float]:
    try:
        seq = tuple(value)
    except TypeError:
        raise TypeError(
            "retry_delays_s must be a pair of delays in seconds >= 0 (before the 2nd and 3rd attempt), "
            f"got {short_repr(value)}"
        ) from None
    if len(seq) != 2:
        raise ValueError(f"retry_delays_s must hold 2 delays (before the 2nd and 3rd attempt), got {short_repr(value)}")
    for i, d in enumerate(seq):
        check_range(f"retry_delays_s[{i}]", d, 0.0, MAX_TIME_S)
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
            ``min(base * 2**(n-1), cap)``). Default 1; at least 1 ms (:data:`~lambdasim.core.limits.MIN_BACKOFF_S`).
        throttle_backoff_cap_s: Cap of that backoff. AWS: 5 minutes.
        throttle_backoff_jitter: Fraction in [0, 1]; each backoff is multiplied by ``1 - jitter * U`` with ``U``
            uniform on [0, 1). Default 0 (no jitter).
        backlog_backoff_factor: Backoff is multiplied by ``1 + factor * queued / 1000`` where ``queued`` is the
            function's queue depth: Lambda "increases the retry interval" when its queue is backed up. Default 0.
        poller_read_rate_per_s: Events a function's pollers take from its queue per second (first attempts and
            retries alike); ``None`` (default) reads without limit. At least one a day.
        dispatch_latency_s: Delay between ``Invoke`` and the first attempt. AWS: about 35 ms measured; default 0 so
            regression timings stay exact.
        duplicate_probability: Chance an accepted event is delivered twice (at-least-once queue). Default 0.
        drop_probability: Chance a throttled event is deleted without being sent (queue cannot keep up). Default 0.
        service_error_probability: Chance an attempt fails with a Lambda service error (HTTP 5xx) before running.
        async_payload_limit_bytes: Largest ``Event`` payload. Default 1 MB.
        sync_payload_limit_bytes: Largest ``RequestResponse`` payload. Default 6 MB.
        idle_timeout_s: An idle execution environment is shut down after this long plus its jitter (below); with
            an active idle timeout (below), this is how long after the function's last invocation ended, with none
            running, all its idle environments are shut down. Measured on AWS: about 10 min since July 2019
            (M. Shilkov, "AWS Lambda Cold Starts After 10 Minutes", mikhail.io, 2019; "a bit longer than 10
            minutes": Xebia, "TIL that AWS Lambda terminates instances preemptively") [meas]; Mahmoudi and
            Khazaei's per-request logs ("Performance Modeling of Serverless Computing Platforms", IEEE Transactions
            on Cloud Computing, 2020; github.com/pacslab/serverless-performance-modeling) show a lone environment
            warm after idle gaps of up to about 655 s and cold after gaps from about 626 s [meas]. Default 620 s:
            the lower end of that window [model]. Earlier versions used 600 s.
        default_init_duration_s: Cold-start init time of functions created without ``InitDuration``. Default 0,
            so retry timings read exactly; set it (or ``InitDuration``) for capacity planning.
        idle_timeout_jitter_s: Each idle timeout is ``idle_timeout_s + U * jitter`` with ``U`` uniform on [0, 1),
            drawn when it starts (an environment, or with an active idle timeout the function, falls idle): by
            default uniform over [620, 660) s, the window of the logs above [meas][model]. AWS publishes no figure.
            ``0`` gives a fixed timeout, as in earlier versions.
        active_idle_timeout_s: While the function runs invocations, an idle environment is kept this long since it
            was freed, plus its jitter (below); once the function has run none for its idle timeout, all its idle
            environments go. ``None``: each environment is shut down after its own idle timeout, however busy the
            function (the rule of earlier versions). The same logs show it: at 0.016-0.1 requests/s (several
            environments), when a request found every more recently freed environment busy and the next one (younger
            than 5,500 s, so not about to be recycled) had been idle 660 to 1,300 s, AWS reused it 58 times in 73;
            idle 1,300 to 1,550 s, 5 times in 14; idle longer, never (0 in 24; the longest reuse followed 1,523 s
            idle); while at 0.0057 requests/s and below (a lone environment) no warm start followed more than 654 s
            idle [meas]. Default 620 s, the idle timeout's own lower end: a busy function's idle environments live at
            least as long as a quiet one's [model]. Earlier versions used a fixed 900 s, which made every such reuse
            after 900 s a cold start: 5 to 14% too many cold starts in replays of the logs at 0.016-0.1 requests/s.
        active_idle_timeout_jitter_s: Each active idle timeout is ``active_idle_timeout_s + U * jitter`` with ``U``
            uniform on [0, 1), drawn when the environment is freed: by default uniform over [620, 1,600) s. AWS
            publishes no figure. Default 980 s: of upper ends 1,100, 1,200, ..., 2,000 s and 1,560 s, replays of
            the logs of the even rows of Mahmoudi and Khazaei's table (below; 12 seeds) miss their cold starts least
            with 1,560 s and 1,600 s (3.4% mean absolute error; 1,100 s: 6.6%, 2,000 s: 4.0%), just above the
            longest reuse seen and within the range the reuses above favour (a uniform's likelihood is highest at
            1,600 to 1,760 s) [meas][model]. The other rows and logs are held out
            (``docs/explanation/validation.md``). ``0`` gives a fixed active timeout.
        environment_reuse: Which idle execution environment a warm start takes: ``"most_recent"`` (default: the
            most recently freed), ``"mixed"`` (the most recently freed, or with probability
            ``least_recent_reuse_probability`` the least recently freed) or ``"least_recent"`` (always the one idle
            longest). Cold-start measurements on AWS agree with most-recent reuse [meas]; in the per-request logs
            above, at rates with several environments, 99.6% of warm starts took the most recently freed idle
            environment and the others the second or third most recent [meas].
        least_recent_reuse_probability: With ``environment_reuse="mixed"``, the chance in [0, 1] that a warm start
            takes the least recently freed idle environment (drawn only when more than one is idle); unused by the
            other rules. Default 0.01, the best fit of the first calibration (before the active idle timeout, which
            explains the same measurements better) [model].
        max_environment_lifetime_s: An environment is retired when it reaches this age (s): idle ones are shut
            down then, busy ones when their invocation ends. AWS: "every few hours, even when busy" [doc]; busy
            instances are terminated every two hours (Xebia, above) and per-request logs show no environment used
            for longer than about 7,380 s, busy ones recycled mostly at 6,000 to 7,380 s (Mahmoudi and Khazaei,
            above) [meas]; default 2 h. A spread of lifetimes is not modelled (tried against the table: no better
            fit). ``None`` keeps environments for ever.
        scaling_environments: New execution environments a function may add per ``scaling_period_s``, refilled
            continuously and never accumulating beyond this (a token bucket). AWS: 1000 per 10 s. ``None``: no
            limit. Past it, attempts that need a new environment are throttled.
        scaling_period_s: The period of that scaling rate. AWS: 10 s.
        provisioned_allocation_s: Simulated time from ``PutProvisionedConcurrencyConfig`` until its environments
            are initialised and its status is ``READY``. AWS says allocation takes "a few minutes" and publishes
            no figure; default 120 s.
        metrics_period_s: Length of a period of the CloudWatch-style metrics (s, 0.001 to 86,400). CloudWatch's
            standard resolution is 60 s; ``GetMetricStatistics`` periods must be multiples of it.

    Every time is finite and at most :data:`~lambdasim.core.limits.MAX_TIME_S` (1,000 years).
    """

    retry_delays_s: tuple[float, float] = field(default=(60.0, 120.0), converter=_delays)
    retry_jitter_s: float = field(default=0.0, validator=in_range(0.0, MAX_TIME_S))
    throttle_backoff_base_s: float = field(default=1.0, validator=in_range(MIN_BACKOFF_S, MAX_TIME_S))
    throttle_backoff_cap_s: float = field(default=300.0, validator=in_range(MIN_BACKOFF_S, MAX_TIME_S))
    throttle_backoff_jitter: float = field(default=0.0, validator=probability)
    backlog_backoff_factor: float = field(default=0.0, validator=in_range(0.0))
    poller_read_rate_per_s: float | None = field(
        default=None, validator=in_range(MIN_READ_RATE_PER_S, MAX_RATE_PER_S, optional=True)
    )
    dispatch_latency_s: float = field(default=0.0, validator=in_range(0.0, MAX_TIME_S))
    duplicate_probability: float = field(default=0.0, validator=probability)
    drop_probability: float = field(default=0.0, validator=probability)
    service_error_probability: float = field(default=0.0, validator=probability)
    async_payload_limit_bytes: int = field(default=ASYNC_PAYLOAD_LIMIT_BYTES, validator=in_range(1, integer=True))
    sync_payload_limit_bytes: int = field(default=SYNC_PAYLOAD_LIMIT_BYTES, validator=in_range(1, integer=True))
    idle_timeout_s: float = field(default=620.0, validator=in_range(0.0, MAX_TIME_S, low_open=True))
    default_init_duration_s: float = field(default=0.0, validator=in_range(0.0, 10.0))
    idle_timeout_jitter_s: float = field(default=40.0, validator=in_range(0.0, MAX_TIME_S))
    active_idle_timeout_s: float | None = field(
        default=620.0, validator=in_range(0.0, MAX_TIME_S, low_open=True, optional=True)
    )
    active_idle_timeout_jitter_s: float = field(default=980.0, validator=in_range(0.0, MAX_TIME_S))
    environment_reuse: str = field(default="most_recent", validator=one_of("mixed", "most_recent", "least_recent"))
    least_recent_reuse_probability: float = field(default=0.01, validator=probability)
    max_environment_lifetime_s: float | None = field(
        default=7200.0, validator=in_range(0.0, MAX_TIME_S, low_open=True, optional=True)
    )
    scaling_environments: int | None = field(
        default=1000, validator=in_range(1, MAX_COUNT, integer=True, optional=True)
    )
    scaling_period_s: float = field(default=10.0, validator=in_range(0.0, MAX_TIME_S, low_open=True))
    provisioned_allocation_s: float = field(default=120.0, validator=in_range(0.0, MAX_TIME_S))
    metrics_period_s: float = field(default=60.0, validator=in_range(MIN_METRICS_PERIOD_S, MAX_METRICS_PERIOD_S))
