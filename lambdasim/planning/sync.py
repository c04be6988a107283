"""Synchronous (``RequestResponse``) traffic: arrival processes of callers, and the SDK retries they may make.

Synchronous invokes share each function's concurrency, environments and scaling rate with the asynchronous pollers.
A throttled synchronous invoke gets HTTP 429 ``TooManyRequestsException`` (with its ``Reason``) at once and Lambda
does **not** retry it; a service error gets HTTP 500 ``ServiceException``. What happens next is the caller's
business: :class:`StandardRetry` models boto3's ``standard`` retry mode.

boto3's standard retry mode, as implemented in ``botocore/retries/standard.py`` and ``botocore/retries/quota.py``
(botocore's default ``STANDARD_RETRY_MODE_VERSION = "2.0"``):

- at most ``max_attempts = 3`` attempts in all (``DEFAULT_MAX_ATTEMPTS``), the first included;
- retried: throttling error codes (``TooManyRequestsException`` is one) and transient HTTP statuses 500, 502, 503
  and 504; a function error is a 200 response and is not retried;
- before retry ``n`` (after the ``n``-th attempt failed) it sleeps ``random() * min(2 ** (n - 1), 20)`` seconds:
  truncated binary exponential backoff with full jitter (``ExponentialBackoff.delay_amount``, ``_BASE = 2``,
  ``_MAX_BACKOFF = 20``);
- a client-wide retry quota of 500 (``RetryQuota.INITIAL_CAPACITY``): each retry costs 5 (``_RETRY_COST``) and is
  not made when the quota cannot pay; a success gives back 1 when it needed no retry (``_NO_RETRY_INCREMENT``), or
  what its last retry cost.

The caller's view is counted in the invoked function's statistics: ``caller_requests``, ``caller_retries``,
``caller_errors`` (by error code, after retries) and ``caller_latency_s`` (request to response, retries included).

>>> import lambdasim as ls
>>> from lambdasim.planning.sync import StandardRetry, SyncPoisson
>>> sim = ls.Simulation(seed=3)
>>> _ = sim.client("lambda").create_function(FunctionName="api", Handler=ls.Behaviour(duration=0.05))
>>> SyncPoisson(function="api", rate_per_s=20, stop_s=60, retry=StandardRetry()).attach(sim)
>>> f = sim.run().functions["api"]
>>> f["caller_requests"] == f["invocations"] > 1000
True
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import simpy
from attrs import field, frozen
from attrs.validators import instance_of, optional
from simpy.events import Timeout

from lambdasim.core._validators import function_name, in_range, json_serialisable, real
from lambdasim.core.dist import stream
from lambdasim.core.faults import ServiceFault

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.counters import FunctionStats
    from lambdasim.core.engine import Engine, FunctionState
    from lambdasim.core.target import Target

__all__ = ["Caller", "RetryQuota", "StandardRetry", "SyncPoisson"]

RETRY_QUOTA_CAPACITY = 500
RETRY_COST = 5
NO_RETRY_INCREMENT = 1


@frozen(kw_only=True)
class StandardRetry:
    """boto3's ``standard`` retry mode, as a caller's option (see the module docstring for the source).

    Attributes:
        max_attempts: Attempts in all, the first included (>= 1; boto3's default 3).
        max_backoff_s: Cap of the backoff before the jitter (boto3: 20 s).
        quota: Whether the client-wide retry quota (500, 5 per retry) limits retries, as in boto3.
    """

    max_attempts: int = field(default=3, validator=in_range(1, integer=True))
    max_backoff_s: float = field(default=20.0, converter=real, validator=in_range(0.0))
    quota: bool = field(default=True, validator=instance_of(bool))

    def delay(self, attempts_made: int, u: float) -> float:
        """Sleep before the next attempt after ``attempts_made`` failed ones, given ``u`` uniform on [0, 1).

        >>> StandardRetry().delay(1, 0.5), StandardRetry().delay(2, 0.5), StandardRetry().delay(9, 0.5)
        (0.5, 1.0, 10.0)
        """
        return u * min(2.0 ** (attempts_made - 1), self.max_backoff_s)


class RetryQuota:
    """botocore's ``RetryQuota``: retries draw on a shared capacity that successes refill."""

    __slots__ = ("available", "capacity")

    def __init__(self, capacity: int = RETRY_QUOTA_CAPACITY) -> None:
        self.capacity = capacity
        self.available = capacity

    def acquire(self, amount: int = RETRY_COST) -> bool:
        """Pay for one retry, or say there is not enough left."""
        if amount > self.available:
            return False
        self.available -= amount
        return True

    def release(self, amount: int) -> None:
        """Give back capacity after a success, never beyond the capacity."""
        self.available = min(self.capacity, self.available + amount)


class Caller:
    """A synchronous caller of one function, like one boto3 client: requests with optional SDK retries.

    Any arrival process can use it (``caller.request(payload)``); it counts the caller's view in the function's
    statistics. Everything runs as callbacks on bare SimPy timeouts and on the engine's response events: no process
    per request.

    Args:
        engine: The simulation's engine.
        fs: The function invoked.
        retry: SDK retries, or ``None``.
        uniform: Draws uniform on [0, 1) for the retry jitter (a seeded stream of the caller's own).
        target_of: For a qualified ``FunctionName``, the target of each request (see
            :meth:`~lambdasim.aws.simulation.Simulation.targeter`); ``None`` invokes the function unqualified.
    """

    __slots__ = ("_engine", "_env", "_fs", "_quota", "_retry", "_stats", "_target_of", "_uniform")

    def __init__(
        self,
        engine: Engine,
        fs: FunctionState,
        retry: StandardRetry | None,
        uniform: Callable[[], float],
        target_of: Callable[[], Target] | None = None,
    ) -> None:
        self._engine = engine
        self._target_of = target_of
        self._env = engine.env
        self._fs = fs
        self._retry = retry
        self._quota = RetryQuota() if retry is not None and retry.quota else None
        self._uniform = uniform
        self._stats: FunctionStats = fs.stats

    def request(self, payload: Any) -> None:
        """A new request, now, with ``payload`` (already valid JSON)."""
        self._stats.caller_requests += 1
        self._attempt(payload, self._env.now, 1, 0)

    def _attempt(self, payload: Any, started: float, attempt: int, paid: int, _e: object = None) -> None:
        engine = self._engine
        target = None if self._target_of is None else self._target_of()
        done = engine.invoke_sync(self._fs, payload, engine.next_seq(), target)
        if isinstance(done, simpy.Event):
            done.callbacks.append(partial(self._respond, started, paid))
            return
        retry = self._retry
        if retry is not None and attempt < retry.max_attempts:
            quota = self._quota
            if quota is None or quota.acquire(RETRY_COST):
                self._stats.caller_retries += 1
                delay = retry.delay(attempt, self._uniform())
                Timeout(self._env, delay).callbacks.append(
                    partial(self._attempt, payload, started, attempt + 1, RETRY_COST if quota is not None else 0)
                )
                return
        errors = self._stats.caller_errors
        code = done.value if isinstance(done, ServiceFault) else "TooManyRequestsException"
        errors[code] = errors.get(code, 0) + 1

    def _respond(self, started: float, paid: int, _e: object = None) -> None:
        self._stats.caller_latency.add(self._env.now - started)
        if self._quota is not None:
            self._quota.release(paid or NO_RETRY_INCREMENT)


@frozen(kw_only=True)
class SyncPoisson:
    """``RequestResponse`` invokes of ``function`` at a constant ``rate_per_s``, from ``start_s`` until ``stop_s``.

    Each arrival is one caller request; with ``retry`` the caller retries throttles and service errors as boto3's
    standard mode does. Arrivals and retry jitter come from their own seeded streams (keyed by function and
    ``name``), so changing concurrency leaves the arrival times unchanged.

    Attributes:
        function: The function's name.
        rate_per_s: Mean requests per second (> 0).
        stop_s: No requests at or after this time (s).
        start_s: First possible request time (s).
        payload: The event sent with every invoke (JSON-serialisable; ``None`` sends ``{}``).
        retry: SDK retries (:class:`StandardRetry`), or ``None`` (default) for none: a throttle is a lost request.
        name: Distinguishes two workloads on one function (each gets its own random streams).
    """

    function: str = field(validator=function_name)
    rate_per_s: float = field(converter=real, validator=in_range(0.0, low_open=True))
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    payload: Any = field(default=None, validator=json_serialisable)
    retry: StandardRetry | None = field(default=None, validator=optional(instance_of(StandardRetry)))
    name: str = "sync"

    def attach(self, sim: Simulation) -> None:
        """Schedule this workload's requests on ``sim``."""
        engine = sim.engine
        fs = sim.function_state(self.function)
        rng = engine.generator(self.function, f"arrivals:{self.name}")
        jitter = engine.generator(self.function, f"sdk_retry:{self.name}")
        scale = 1.0 / self.rate_per_s
        gap = stream(lambda n: rng.exponential(scale, n))
        caller = Caller(engine, fs, self.retry, stream(jitter.random), sim.targeter(self.function))
        payload = {} if self.payload is None else self.payload
        env = sim.env
        stop = self.stop_s

        def arrive(_e: object = None) -> None:
            caller.request(payload)
            schedule()

        def schedule() -> None:
            delay = gap()
            if env.now + delay < stop:
                Timeout(env, delay).callbacks.append(arrive)

        Timeout(env, max(0.0, self.start_s - env.now)).callbacks.append(lambda _e: schedule())
