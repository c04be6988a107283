"""Arrival processes that invoke simulated functions: what a capacity planner puts in front of a model.

- :class:`Poisson`: a constant rate.
- :class:`VaryingPoisson`: a rate that changes over time (a :class:`Piecewise` profile, a :class:`DailyCycle`, a
  :class:`Spike` on top of either, or any callable), sampled exactly by thinning (Lewis and Shedler, 1979) under a
  stated bound on the rate.
- :class:`Burst`: ``count`` invokes spread evenly over a short window.
- :class:`Schedule`: EventBridge ``rate(...)`` and ``cron(...)`` expressions (:mod:`lambdasim.core.schedule`).
- :class:`Replay`: a recorded trace of timestamps, with optional payloads and sizes (``Replay.from_csv(path)``).

Each invokes one function, asynchronously (``invocation_type="Event"``, the default) or synchronously
(``"RequestResponse"``: a throttled call gets its 429 and is counted in the function's ``sync_throttles``; the
caller does not retry). Several workloads on several functions run together in one
:class:`~lambdasim.planning.model.Model`.

Randomness: each workload draws from its own stream, ``sim.engine.generator(function, "arrivals:<name>")``, spawned
from the run's ``SeedSequence``, so changing concurrency, memory or another workload leaves its arrival times
unchanged (common random numbers). Two random workloads on one function need different ``name``\\ s.

Arrivals are driven by callbacks on bare timeouts: one timeout per arrival, no SimPy process per event.

>>> from lambdasim.planning.workload import DailyCycle, Poisson, Spike, VaryingPoisson
>>> Poisson(function="orders", rate_per_s=5.0, stop_s=60.0).expected_count()
300.0
>>> busy_day = VaryingPoisson(function="orders", rate=DailyCycle(mean_per_s=10.0) + Spike(at_s=3600, duration_s=60,
...                           extra_per_s=100.0), stop_s=86400.0)
>>> round(busy_day.expected_count())
870000
"""

from __future__ import annotations

import bisect
import csv
import datetime as _dt
import json
import math
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from heapq import heappush
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from attrs import field, frozen
from simpy.events import NORMAL, Timeout

from lambdasim.core._kernel import Entry, Kernel, QueueItem
from lambdasim.core._validators import (
    check_range,
    check_real,
    function_name,
    in_range,
    json_serialisable,
    one_of,
    real,
    short_repr,
)
from lambdasim.core.dist import stream
from lambdasim.core.handler import safe_str
from lambdasim.core.limits import MAX_COUNT, MAX_RATE_PER_S, MAX_TIME_S
from lambdasim.core.schedule import Cron, Rate, parse_schedule, scheduled_event
from lambdasim.planning.files import MAX_TRACE_BYTES, check_regular

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.engine import Engine, FunctionState

__all__ = [
    "INVOCATION_TYPES",
    "Burst",
    "DailyCycle",
    "Piecewise",
    "Poisson",
    "RateFunction",
    "RateProfile",
    "Replay",
    "Schedule",
    "Spike",
    "VaryingPoisson",
]

INVOCATION_TYPES = ("Event", "RequestResponse")
"""How a workload invokes: asynchronously (queued, retried by Lambda) or synchronously (429 when throttled)."""


# -- shared checks and plumbing --------------------------------------------------------------------------------


def _name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a non-empty string, got {short_repr(value)}")


_invocation_type = one_of(*INVOCATION_TYPES)

Invoke = Callable[[Any, "int | None"], None]
"""Invoke the workload's function with ``(payload, size_bytes or None)``."""

Start = Callable[[Callable[[], "Entry | None"], object], None]
"""An arrival's whole step in the engine (``Engine.arrive`` with its function and payload bound), given the call
that makes the next arrival's queue entry (see :meth:`_Arrivals.next_entry`) and the queued item."""


def _invoker(sim: Simulation, fs: FunctionState, invocation_type: str, function: str) -> Invoke:
    """One invoke as the Lambda API would take it, straight into the engine (the payload is already valid JSON).

    ``function`` is the workload's ``name`` or ``name:qualifier``: a qualified invoke runs the version (or the
    alias's version, routed by its weights) that an ``Invoke`` with that ``FunctionName`` would run, with that
    qualifier's event invoke config and provisioned concurrency.

    A payload larger than the invocation type's limit is refused before it reaches Lambda (HTTP 413) and counted in
    the function's ``rejected_too_large``; an invoke of a deleted function is refused likewise (HTTP 404).
    """
    engine = sim.engine
    settings = sim.settings
    target_of = sim.targeter(function)
    if invocation_type == "Event":
        limit = settings.async_payload_limit_bytes

        def invoke(payload: Any, size: int | None = None) -> None:
            if fs.deleted:
                return
            if size is not None and size > limit:
                fs.stats.rejected_too_large += 1
                return
            # last: a workload's arrival does nothing more in its step but schedule the next arrival.
            engine.enqueue(fs, payload, engine.next_seq(), None if target_of is None else target_of(), last=True)

        return invoke
    sync_limit = settings.sync_payload_limit_bytes

    def invoke_sync(payload: Any, size: int | None = None) -> None:
        if fs.deleted:
            return
        if size is not None and size > sync_limit:
            fs.stats.rejected_too_large += 1
            return
        # A throttle (429) is counted by the engine in sync_throttles; a synchronous caller is not retried.
        engine.invoke_sync(fs, payload, engine.next_seq(), None if target_of is None else target_of())

    return invoke_sync


def _starter(
    sim: Simulation, fs: FunctionState, invocation_type: str, function: str, payload: Any, size: int | None
) -> Start | None:
    """For a workload whose every arrival invokes ``fs`` with ``payload`` (``size`` bytes) as :func:`_invoker`'s
    ``invoke(payload, size)`` would: the engine's whole arrival step (``Engine.arrive``), when that invoke is an
    unqualified ``Event`` within the payload limit; ``None`` otherwise (the arrivals then call ``invoke``)."""
    if invocation_type != "Event" or sim.targeter(function) is not None:
        return None
    if size is not None and size > sim.settings.async_payload_limit_bytes:
        return None
    return partial(sim.engine.arrive, fs, payload)


def _payload_size(payload: Any) -> int:
    return len(json.dumps(payload).encode())


class _Arrivals(QueueItem, ABC):
    """A workload's next arrival, put back on SimPy's event queue after each one.

    Like :class:`lambdasim.core.engine.Scheduled`, the object itself is the queued event (a
    :class:`~lambdasim.core._kernel.QueueItem`), so an arrival costs no ``Timeout`` and no closure. The queue sees
    the same sequence of (time, priority, order) entries as with one ``Timeout`` per arrival, so same-time ties are
    unchanged.
    """

    __slots__ = ("_eid", "_engine", "_env", "_fire", "_queue", "callbacks")

    def __init__(self, env: Kernel, engine: Engine | None = None, start: Start | None = None) -> None:
        self._env = env
        # The engine invoked, whose polls an arrival may make in its own step (see fire).
        self._engine = engine
        # Pushed onto SimPy's queue as Environment.schedule(self, NORMAL, delay) does, without the call (as the
        # engine does: see lambdasim.core.engine.Scheduled).
        self._queue: list[Any] = env.queue
        self._eid: Iterator[int] = env.eids
        # The arrival's step: fire, or, when every arrival is the same unqualified Event invoke, straight into the
        # engine's (``start``: Engine.arrive, see _starter), which queues the next arrival itself.
        self._fire: tuple[Callable[[object], None], ...] = (
            (self.fire,) if start is None else (partial(start, self.next_entry),)
        )
        self.callbacks: tuple[Callable[[object], None], ...] | None = None

    @abstractmethod
    def fire(self, _event: object) -> None:
        """The arrival is due: invoke, and queue the next one.

        With an engine, the invoke is made with ``engine.holding`` set: an ``Event`` invoke whose poll would be the
        very next step is held by the engine (``Engine.enqueue``) and polled once the next arrival is queued (before
        it, ``engine.poll_held()``), as if stepped, in one step less.
        """

    @abstractmethod
    def next_entry(self) -> Entry | None:
        """The next arrival's queue entry, ready to push (``None``: no more arrivals). Its order in ties (its event
        id) is taken now, as a push now would take it; the engine pushes it, or processes it at once when it would
        be the very next step (``Engine.arrive``)."""

    def next(self, _event: object = None) -> None:
        """Queue the next arrival, if any."""
        entry = self.next_entry()
        if entry is not None:
            heappush(self._queue, entry)


class _Ticker(_Arrivals):
    """Calls ``arrive()`` after each delay ``next_delay()`` gives, until it gives ``None``."""

    __slots__ = ("_arrive", "_next_delay")

    def __init__(
        self,
        env: Kernel,
        next_delay: Callable[[], float | None],
        arrive: Callable[[], None],
        engine: Engine | None = None,
        start: Start | None = None,
    ):
        super().__init__(env, engine, start)
        self._next_delay = next_delay
        self._arrive = arrive

    def next_entry(self) -> Entry | None:
        delay = self._next_delay()
        if delay is None:
            return None
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.callbacks = self._fire
        return (self._env.now + delay, NORMAL, next(self._eid), self)

    def fire(self, _event: object) -> None:
        engine = self._engine
        if engine is None:
            self._arrive()
            self.next()
            return
        engine.holding = True
        try:
            self._arrive()
        finally:
            engine.holding = False
        self.next()
        if engine.held is not None:
            engine.poll_held()


class _AtTimes(_Arrivals):
    """Calls ``arrive(i)`` at each absolute time ``times[i]``."""

    __slots__ = ("_arrive", "_i", "_times")

    def __init__(
        self,
        env: Kernel,
        times: Iterable[float],
        arrive: Callable[[int], None],
        engine: Engine | None = None,
        start: Start | None = None,
    ):
        super().__init__(env, engine, start)
        self._arrive = arrive
        self._times = iter(times)
        self._i = -1  # the index of the arrival queued last

    def next_entry(self) -> Entry | None:
        t = next(self._times, None)
        if t is None:
            return None
        self._i += 1
        now = self._env.now  # a plain attribute on the Kernel (lambdasim.core._kernel)
        delay = t - now
        self.callbacks = self._fire
        return (now + (delay if delay > 0.0 else 0.0), NORMAL, next(self._eid), self)

    def fire(self, _event: object) -> None:
        engine = self._engine  # as _Ticker.fire
        if engine is None:
            self._arrive(self._i)
            self.next()
            return
        engine.holding = True
        try:
            self._arrive(self._i)
        finally:
            engine.holding = False
        self.next()
        if engine.held is not None:
            engine.poll_held()


def _drive(
    env: Kernel,
    start_s: float,
    next_delay: Callable[[], float | None],
    arrive: Callable[[], None],
    engine: Engine | None = None,
    start: Start | None = None,
) -> None:
    """From ``start_s`` on, repeatedly wait ``next_delay()`` seconds (``None`` ends the workload) and ``arrive()``
    (``engine``: the engine ``arrive()`` invokes, see :meth:`_Arrivals.fire`; ``start``: instead of ``arrive()``,
    the engine's whole arrival step, see :func:`_starter`)."""
    ticker = _Ticker(env, next_delay, arrive, engine, start)
    ticker.callbacks = (ticker.next,)
    env.schedule(ticker, NORMAL, max(0.0, start_s - env.now))  # type: ignore[arg-type]  # an event to step()


def _at_times(
    env: Kernel,
    times: Iterable[float],
    arrive: Callable[[int], None],
    engine: Engine | None = None,
    start: Start | None = None,
) -> None:
    """Call ``arrive(i)`` at each absolute time ``times[i]`` (non-decreasing, not in the past; ``engine`` and
    ``start`` as for :func:`_drive`)."""
    _AtTimes(env, times, arrive, engine, start).next()


# -- constant rate ---------------------------------------------------------------------------------------------


@frozen(kw_only=True)
class Poisson:
    """Invokes of ``function`` at a constant ``rate_per_s`` (exponential gaps), from ``start_s`` until ``stop_s``.

    Attributes:
        function: The function's name.
        rate_per_s: Mean arrivals per second (> 0).
        stop_s: No arrivals at or after this time (s); required so that ``sim.run()`` ends.
        start_s: No arrivals before this time (s, >= 0).
        payload: The event sent with every invoke (JSON-serialisable; ``None`` sends ``{}``).
        invocation_type: ``"Event"`` (asynchronous, the default) or ``"RequestResponse"``.
        name: Names the random stream; two Poisson workloads on one function need different names.
    """

    @property
    def random(self) -> bool:
        """True: arrivals are drawn at random, from the stream ``arrivals:<name>`` of the function (two random
        workloads on one function need different names)."""
        return True

    function: str = field(validator=function_name)
    rate_per_s: float = field(converter=real, validator=in_range(0.0, MAX_RATE_PER_S, low_open=True))
    stop_s: float = field(converter=real, validator=in_range(0.0, MAX_TIME_S))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    payload: Any = field(default=None, validator=json_serialisable)
    invocation_type: str = field(default="Event", validator=_invocation_type)
    name: str = field(default="poisson", validator=_name)

    def expected_count(self) -> float:
        """The mean number of arrivals, ``rate * (stop - start)``."""
        return self.rate_per_s * max(0.0, self.stop_s - self.start_s)

    def attach(self, sim: Simulation) -> None:
        """Schedule this workload's arrivals on ``sim``."""
        fs = sim.function_state(self.function)
        rng = sim.engine.generator(self.function, f"arrivals:{self.name}")
        scale = 1.0 / self.rate_per_s
        gap = stream(lambda n: rng.exponential(scale, n))
        env = sim.env
        payload = {} if self.payload is None else self.payload
        size = _payload_size(payload)
        invoke = _invoker(sim, fs, self.invocation_type, self.function)
        stop = self.stop_s

        def next_delay() -> float | None:
            delay: float = gap()
            return delay if env.now + delay < stop else None

        start = _starter(sim, fs, self.invocation_type, self.function, payload, size)
        _drive(env, self.start_s, next_delay, lambda: invoke(payload, size), sim.engine, start)


# -- time-varying rate -----------------------------------------------------------------------------------------


@runtime_checkable
class RateProfile(Protocol):
    """A rate over simulated time (arrivals per second), with what thinning needs.

    ``bound(t)`` returns ``(m, until)``: no rate in ``[t, until)`` exceeds ``m``. The tighter the bound, the fewer
    candidate arrivals thinning rejects; a bound that a rate exceeds is an error, never a silent bias.
    """

    def rate(self, t: float) -> float:
        """Arrivals per second at time ``t`` (>= 0)."""

    def bound(self, t: float) -> tuple[float, float]:
        """An upper bound on the rate from ``t`` until the returned time (``math.inf`` for ever)."""

    def expected(self, t0: float, t1: float) -> float:
        """The mean number of arrivals in ``[t0, t1]``: the integral of the rate."""


class _Profile:
    """Arithmetic for rate profiles: ``a + b`` adds rates, ``k * a`` scales one."""

    def __add__(self, other: object) -> Sum:
        if not isinstance(other, RateProfile):
            return NotImplemented
        return Sum(parts=(self, other))

    def __mul__(self, factor: object) -> Scaled:
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            return NotImplemented
        return Scaled(profile=self, factor=float(factor))  # type: ignore[arg-type]

    __rmul__ = __mul__

    def __call__(self, t: float) -> float:
        rate: Callable[[float], float] = getattr(self, "rate")  # noqa: B009 - defined by each subclass
        return rate(t)


def _rates(value: Iterable[Any]) -> tuple[float, ...]:
    out = tuple(check_real(f"rates_per_s[{i}]", r) for i, r in enumerate(value))
    for i, r in enumerate(out):
        check_range(f"rates_per_s[{i}]", r, 0.0, MAX_RATE_PER_S)
    return out


def _times(value: Iterable[Any]) -> tuple[float, ...]:
    return tuple(check_real(f"times_s[{i}]", t) for i, t in enumerate(value))


@frozen(kw_only=True)
class Piecewise(_Profile):
    """A rate that holds ``rates_per_s[i]`` from ``times_s[i]`` until the next time (the last one holds for ever).

    With ``period_s`` the profile repeats: ``Piecewise.hourly([...24 rates...])`` is a daily profile by the hour.

    Attributes:
        times_s: Where each piece starts: ``0`` first, then strictly increasing (and below ``period_s``).
        rates_per_s: The rate of each piece (>= 0), one per time.
        period_s: Repeat every ``period_s`` seconds, or ``None`` (the default) not to repeat.

    >>> p = Piecewise(times_s=[0, 60], rates_per_s=[1.0, 5.0])
    >>> p.rate(30), p.rate(90), p.expected(0, 120)
    (1.0, 5.0, 360.0)
    """

    times_s: tuple[float, ...] = field(converter=_times)
    rates_per_s: tuple[float, ...] = field(converter=_rates)
    period_s: float | None = field(default=None, converter=real, validator=in_range(0.0, low_open=True, optional=True))

    def __attrs_post_init__(self) -> None:
        times = self.times_s
        if not times or times[0] != 0:
            raise ValueError(f"times_s must start at 0, got {list(times)!r}")
        if len(self.rates_per_s) != len(times):
            raise ValueError(f"rates_per_s must hold one rate per time ({len(times)}), got {len(self.rates_per_s)}")
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                raise ValueError(f"times_s must increase strictly, got {times[i - 1]!r} then {times[i]!r}")
        if self.period_s is not None and times[-1] >= self.period_s:
            raise ValueError(f"times_s must lie below period_s = {self.period_s!r}, got {times[-1]!r}")

    @classmethod
    def hourly(cls, rates_per_s: Sequence[float]) -> Piecewise:
        """A daily profile from 24 hourly rates (hour 0 first), repeating every 86,400 s."""
        if len(rates_per_s) != 24:
            raise ValueError(f"rates_per_s must hold 24 hourly rates, got {len(rates_per_s)}")
        return cls(times_s=[h * 3600.0 for h in range(24)], rates_per_s=rates_per_s, period_s=86400.0)

    def _piece(self, t: float) -> tuple[int, float]:
        """The piece at ``t`` and the absolute time it ends."""
        period = self.period_s
        base = 0.0
        u = t
        if period is not None:
            cycles = math.floor(t / period)
            base = cycles * period
            u = t - base
        i = max(0, bisect.bisect_right(self.times_s, u) - 1)
        if i + 1 < len(self.times_s):
            return i, base + self.times_s[i + 1]
        return i, (base + period) if period is not None else math.inf

    def rate(self, t: float) -> float:
        """The rate of the piece holding ``t``."""
        return self.rates_per_s[self._piece(t)[0]]

    def bound(self, t: float) -> tuple[float, float]:
        """The piece's own rate until the piece ends: thinning accepts every candidate."""
        i, until = self._piece(t)
        return self.rates_per_s[i], until

    def expected(self, t0: float, t1: float) -> float:
        """The integral of the rate over ``[t0, t1]``, piece by piece."""
        total = 0.0
        t = t0
        while t < t1:
            i, until = self._piece(t)
            end = min(until, t1)
            total += self.rates_per_s[i] * (end - t)
            t = end
        return total


@frozen(kw_only=True)
class DailyCycle(_Profile):
    """A smooth daily cycle: ``mean * (1 + amplitude * cos(2 pi (t - peak_s) / period_s))`` arrivals per second.

    Attributes:
        mean_per_s: The rate averaged over a whole period (> 0).
        amplitude: How far the rate swings around the mean, as a fraction in [0, 1]: the peak is
            ``mean * (1 + amplitude)`` and the trough ``mean * (1 - amplitude)``.
        peak_s: When in the period the rate peaks (s; default 43,200 = noon when the run starts at midnight).
        period_s: The length of a cycle (s; default one day).

    >>> DailyCycle(mean_per_s=10, amplitude=0.5).rate(43200.0)
    15.0
    """

    mean_per_s: float = field(converter=real, validator=in_range(0.0, MAX_RATE_PER_S / 2, low_open=True))
    amplitude: float = field(default=0.5, converter=real, validator=in_range(0.0, 1.0))
    peak_s: float = field(default=43200.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    period_s: float = field(default=86400.0, converter=real, validator=in_range(0.0, low_open=True))

    @property
    def peak_per_s(self) -> float:
        """The highest rate of the cycle."""
        return self.mean_per_s * (1.0 + self.amplitude)

    def rate(self, t: float) -> float:
        """The rate at ``t``."""
        return self.mean_per_s * (1.0 + self.amplitude * math.cos(2 * math.pi * (t - self.peak_s) / self.period_s))

    def bound(self, t: float) -> tuple[float, float]:
        """The peak rate, for ever."""
        return self.peak_per_s, math.inf

    def expected(self, t0: float, t1: float) -> float:
        """The integral of the rate over ``[t0, t1]`` (closed form)."""
        w = 2 * math.pi / self.period_s
        swing = math.sin(w * (t1 - self.peak_s)) - math.sin(w * (t0 - self.peak_s))
        return self.mean_per_s * ((t1 - t0) + self.amplitude * swing / w)


@frozen(kw_only=True)
class Spike(_Profile):
    """``extra_per_s`` more arrivals per second from ``at_s`` for ``duration_s``; nothing outside. Add it to a base.

    >>> (Piecewise(times_s=[0], rates_per_s=[2.0]) + Spike(at_s=10, duration_s=5, extra_per_s=8)).rate(12)
    10.0
    """

    at_s: float = field(converter=real, validator=in_range(0.0, MAX_TIME_S))
    duration_s: float = field(converter=real, validator=in_range(0.0, low_open=True))
    extra_per_s: float = field(converter=real, validator=in_range(0.0, MAX_RATE_PER_S))

    def rate(self, t: float) -> float:
        """``extra_per_s`` inside the spike, 0 outside."""
        return self.extra_per_s if self.at_s <= t < self.at_s + self.duration_s else 0.0

    def bound(self, t: float) -> tuple[float, float]:
        """0 before and after the spike, ``extra_per_s`` during it."""
        end = self.at_s + self.duration_s
        if t < self.at_s:
            return 0.0, self.at_s
        if t < end:
            return self.extra_per_s, end
        return 0.0, math.inf

    def expected(self, t0: float, t1: float) -> float:
        """The extra arrivals expected in ``[t0, t1]``."""
        overlap = min(t1, self.at_s + self.duration_s) - max(t0, self.at_s)
        return self.extra_per_s * max(0.0, overlap)


def _profiles(value: Iterable[Any]) -> tuple[RateProfile, ...]:
    parts = tuple(value)
    for p in parts:
        if not isinstance(p, RateProfile):
            raise TypeError(f"parts must be rate profiles (rate, bound, expected), got {p!r}")
    return parts


@frozen(kw_only=True)
class Sum(_Profile):
    """The sum of several rate profiles (what ``a + b`` builds)."""

    parts: tuple[RateProfile, ...] = field(converter=_profiles)

    def rate(self, t: float) -> float:
        """The sum of the parts' rates."""
        return sum(p.rate(t) for p in self.parts)

    def bound(self, t: float) -> tuple[float, float]:
        """The sum of the parts' bounds, until the first of them ends."""
        total = 0.0
        until = math.inf
        for p in self.parts:
            m, u = p.bound(t)
            total += m
            until = min(until, u)
        return total, until

    def expected(self, t0: float, t1: float) -> float:
        """The sum of the parts' expectations."""
        return sum(p.expected(t0, t1) for p in self.parts)


@frozen(kw_only=True)
class Scaled(_Profile):
    """A profile multiplied by ``factor`` (>= 0; what ``k * profile`` builds): the same shape, more or less load."""

    profile: RateProfile = field()
    factor: float = field(converter=real, validator=in_range(0.0, MAX_RATE_PER_S))

    def rate(self, t: float) -> float:
        """The scaled rate."""
        return self.factor * self.profile.rate(t)

    def bound(self, t: float) -> tuple[float, float]:
        """The scaled bound."""
        m, until = self.profile.bound(t)
        return self.factor * m, until

    def expected(self, t0: float, t1: float) -> float:
        """The scaled expectation."""
        return self.factor * self.profile.expected(t0, t1)


@frozen(kw_only=True)
class RateFunction(_Profile):
    """Any callable ``t -> arrivals per second`` with a stated upper bound ``max_per_s`` on it.

    The callable must be importable (a module-level function or a frozen object) to run in a process pool.

    Attributes:
        fn: The rate function (s -> 1/s).
        max_per_s: An upper bound on ``fn`` over the whole run: thinning draws candidates at this rate and keeps
            each with probability ``fn(t) / max_per_s``. A rate above it raises ``ValueError`` during the run.
        resolution_s: Step of the numerical integration in :meth:`expected` (s).
    """

    fn: Callable[[float], float] = field()
    max_per_s: float = field(converter=real, validator=in_range(0.0, MAX_RATE_PER_S, low_open=True))
    resolution_s: float = field(default=1.0, converter=real, validator=in_range(0.0, low_open=True))

    @fn.validator
    def _check_fn(self, attribute: Any, value: Any) -> None:
        if not callable(value):
            raise TypeError(f"fn must be a callable t -> rate, got {short_repr(value)}")

    def rate(self, t: float) -> float:
        """``fn(t)``."""
        return float(self.fn(t))

    def bound(self, t: float) -> tuple[float, float]:
        """``max_per_s``, for ever."""
        return self.max_per_s, math.inf

    def expected(self, t0: float, t1: float) -> float:
        """The integral of ``fn`` over ``[t0, t1]`` by the trapezoidal rule at ``resolution_s``."""
        if t1 <= t0:
            return 0.0
        n = max(2, math.ceil((t1 - t0) / self.resolution_s) + 1)
        ts = np.linspace(t0, t1, n)
        ys = np.array([self.fn(float(t)) for t in ts], dtype=float)
        return float(np.sum((ys[1:] + ys[:-1]) * np.diff(ts)) / 2.0)


def _rate_profile(value: Any) -> Any:
    if isinstance(value, RateProfile) or callable(value):
        return value
    raise TypeError(
        f"rate must be a rate profile (Piecewise, DailyCycle, ...) or a callable t -> rate, got {short_repr(value)}"
    )


@frozen(kw_only=True)
class VaryingPoisson:
    """Invokes of ``function`` at a rate that changes over time, from ``start_s`` until ``stop_s``.

    Sampled exactly by thinning: candidates come at the profile's bound ``m`` and each candidate at ``t`` is kept with
    probability ``rate(t) / m`` (Lewis and Shedler, 1979). Where the bound is piecewise (``Piecewise``, ``Spike``),
    thinning restarts at each piece, so no candidate is wasted on a piece's own constant rate.

    Attributes:
        function: The function's name.
        rate: A :class:`RateProfile` (:class:`Piecewise`, :class:`DailyCycle`, :class:`Spike`, their sums and
            multiples) or a callable ``t -> arrivals per second`` together with ``max_rate_per_s``.
        stop_s: No arrivals at or after this time (s).
        start_s: No arrivals before this time (s).
        max_rate_per_s: For a plain callable ``rate``: an upper bound on it (the thinning rate).
        payload: The event sent with every invoke (``None`` sends ``{}``).
        invocation_type: ``"Event"`` or ``"RequestResponse"``.
        name: Names the random stream.
    """

    @property
    def random(self) -> bool:
        """True: arrivals are drawn at random, from the stream ``arrivals:<name>`` of the function (two random
        workloads on one function need different names)."""
        return True

    function: str = field(validator=function_name)
    rate: Any = field(validator=lambda _i, _a, v: _rate_profile(v))
    stop_s: float = field(converter=real, validator=in_range(0.0, MAX_TIME_S))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    max_rate_per_s: float | None = field(
        default=None, converter=real, validator=in_range(0.0, MAX_RATE_PER_S, low_open=True, optional=True)
    )
    payload: Any = field(default=None, validator=json_serialisable)
    invocation_type: str = field(default="Event", validator=_invocation_type)
    name: str = field(default="varying", validator=_name)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.rate, RateProfile) and self.max_rate_per_s is None:
            raise ValueError("a callable rate needs max_rate_per_s, an upper bound on it (the thinning rate)")

    @property
    def profile(self) -> RateProfile:
        """The rate as a profile (a plain callable wrapped in :class:`RateFunction`)."""
        if isinstance(self.rate, RateProfile):
            return self.rate
        assert self.max_rate_per_s is not None
        return RateFunction(fn=self.rate, max_per_s=self.max_rate_per_s)

    def expected_count(self) -> float:
        """The mean number of arrivals: the integral of the rate from ``start_s`` to ``stop_s``."""
        return self.profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule this workload's arrivals on ``sim``."""
        fs = sim.function_state(self.function)
        rng = sim.engine.generator(self.function, f"arrivals:{self.name}")
        payload = {} if self.payload is None else self.payload
        size = _payload_size(payload)
        invoke = _invoker(sim, fs, self.invocation_type, self.function)
        label = f"workload {self.name!r} on {self.function!r}"
        next_delay = thinned_delays(sim.env, self.profile, rng, self.stop_s, label)
        start = _starter(sim, fs, self.invocation_type, self.function, payload, size)
        _drive(sim.env, self.start_s, next_delay, lambda: invoke(payload, size), sim.engine, start)


def thinned_delays(
    env: Kernel, profile: RateProfile, rng: np.random.Generator, stop: float, label: str
) -> Callable[[], float | None]:
    """The delays to the arrivals of a Poisson process of rate ``profile`` (``None`` at ``stop``), by thinning.

    Candidates come at the profile's bound ``m`` and each candidate at ``t`` is kept with probability
    ``rate(t) / m``; where the bound changes, thinning restarts (the exponential gap is memoryless).
    """
    unit_gap = stream(rng.standard_exponential)
    uniform = stream(rng.random)
    rate_at = profile.rate
    bound_at = profile.bound

    def next_delay() -> float | None:
        now = env.now
        t = now
        while True:
            m, until = bound_at(t)
            candidate = t + unit_gap() / m if m > 0 else math.inf
            if candidate >= until:
                # The bound changes at `until`: start again there (the exponential gap is memoryless).
                if until >= stop:
                    return None
                t = until
                continue
            if candidate >= stop:
                return None
            if m > MAX_RATE_PER_S:
                raise ValueError(
                    f"{label}: its rate may reach {m!r}/s at t = {t!r} s; lambdasim runs rates up to "
                    f"{MAX_RATE_PER_S:g}/s"
                )
            try:
                r = float(rate_at(candidate))
            except (KeyboardInterrupt, SystemExit):
                raise  # the person at the keyboard (or the program) stops the run
            except BaseException as exc:  # a user's rate function: name it rather than crash somewhere deep
                raise ValueError(
                    f"{label}: its rate function raised {type(exc).__name__}: {safe_str(exc)} at t = {candidate!r} s"
                ) from exc
            if not r >= 0.0:  # also nan
                raise ValueError(f"{label}: the rate at t = {candidate!r} s is {r!r}/s; a rate must be a number >= 0")
            if r > m * (1 + 1e-9):
                raise ValueError(
                    f"{label}: the rate {r!r}/s at t = {candidate!r} s exceeds its stated bound {m!r}/s; raise "
                    "max_rate_per_s"
                )
            if uniform() * m < r:
                return candidate - now
            t = candidate

    return next_delay


# -- bursts ----------------------------------------------------------------------------------------------------


@frozen(kw_only=True)
class Burst:
    """``count`` invokes of ``function`` spread evenly over ``[at_s, at_s + over_s)`` (all at ``at_s`` if 0).

    For a burst with random arrivals, add a :class:`Spike` to a :class:`VaryingPoisson` rate instead.
    """

    @property
    def random(self) -> bool:
        """False: arrivals come at fixed times, drawing nothing at random."""
        return False

    function: str = field(validator=function_name)
    at_s: float = field(converter=real, validator=in_range(0.0, MAX_TIME_S))
    count: int = field(validator=in_range(1, MAX_COUNT, integer=True))
    over_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    payload: Any = field(default=None, validator=json_serialisable)
    invocation_type: str = field(default="Event", validator=_invocation_type)
    name: str = field(default="burst", validator=_name)

    def expected_count(self) -> float:
        """``count``."""
        return float(self.count)

    def attach(self, sim: Simulation) -> None:
        """Schedule the burst on ``sim``."""
        fs = sim.function_state(self.function)
        env = sim.env
        payload = {} if self.payload is None else self.payload
        size = _payload_size(payload)
        invoke = _invoker(sim, fs, self.invocation_type, self.function)
        step = self.over_s / self.count
        remaining = [self.count]

        def arrive(_e: object = None) -> None:
            invoke(payload, size)
            remaining[0] -= 1
            if remaining[0]:
                Timeout(env, step).callbacks.append(arrive)

        Timeout(env, max(0.0, self.at_s - env.now)).callbacks.append(arrive)


# -- schedules -------------------------------------------------------------------------------------------------


def _expression(_instance: Any, attribute: Any, value: Any) -> None:
    parse_schedule(value)  # raises with the reason


@frozen(kw_only=True)
class Schedule:
    """An EventBridge schedule invoking ``function``: ``rate(5 minutes)`` or ``cron(0 12 * * ? *)`` (UTC).

    ``cron`` times are wall-clock times from the simulation's ``start``; a ``rate`` first fires one period after
    ``start_s``. Each invoke carries EventBridge's ``Scheduled Event`` (with its ``time``) unless ``payload`` is given.
    EventBridge invokes Lambda asynchronously, hence the default ``invocation_type``.

    >>> from lambdasim.planning.workload import Schedule
    >>> Schedule(function="report", expression="rate(1 hour)", stop_s=86400).expected_count()
    23.0
    """

    @property
    def random(self) -> bool:
        """False: arrivals come at fixed times, drawing nothing at random."""
        return False

    function: str = field(validator=function_name)
    expression: str = field(validator=_expression)
    stop_s: float = field(converter=real, validator=in_range(0.0, MAX_TIME_S))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))
    payload: Any = field(default=None, validator=json_serialisable)
    invocation_type: str = field(default="Event", validator=_invocation_type)
    name: str = field(default="schedule", validator=_name)

    @property
    def parsed(self) -> Rate | Cron:
        """The parsed expression."""
        return parse_schedule(self.expression)

    def times(self, start: _dt.datetime | str = "2026-01-01T00:00:00Z") -> list[float]:
        """The firing times (simulated seconds) for a simulation starting at ``start``."""
        from lambdasim.aws.simulation import _parse_start

        return list(self.parsed.times(_parse_start(start), self.start_s, self.stop_s))

    def expected_count(self, start: _dt.datetime | str = "2026-01-01T00:00:00Z") -> float:
        """How many times it fires for a simulation starting at ``start``."""
        return float(len(self.times(start)))

    def attach(self, sim: Simulation) -> None:
        """Schedule the firings on ``sim``."""
        fs = sim.function_state(self.function)
        invoke = _invoker(sim, fs, self.invocation_type, self.function)
        times = self.parsed.times(sim.start, max(self.start_s, sim.now), self.stop_s)
        if self.payload is not None:
            payload = self.payload
            size = _payload_size(payload)
            _at_times(sim.env, times, lambda _i: invoke(payload, size), sim.engine)
            return
        rng = sim.engine.generator(self.function, f"arrivals:{self.name}")
        rule_arn = f"arn:aws:events:{sim.region}:{sim.account_id}:rule/{self.name}"

        def fire(_i: int) -> None:
            moment = sim.start + _dt.timedelta(seconds=sim.now)
            event_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            invoke(scheduled_event(event_id, sim.account_id, sim.region, rule_arn, moment), None)

        _at_times(sim.env, times, fire, sim.engine)


# -- trace replay ----------------------------------------------------------------------------------------------


def _columns(columns: Sequence[str]) -> str:
    """The header's column names when they look like names; else only how many there are (the first line of a
    file that is no trace may be a secret)."""
    if len(columns) <= 20 and all(
        c and len(c) <= 32 and c.replace("_", "").replace("-", "").isalnum() for c in columns
    ):
        return f"columns: {list(columns)}"
    return f"{len(columns)} column(s), none named as expected"


def _json_cell(text: str) -> Any:
    return json.loads(text)


def _cell(path: Any, row: int, column: str, text: str | None, parse: Callable[[str], Any]) -> Any:
    """One optional cell parsed by ``parse`` (empty: ``None``); a bad cell is named by row and column."""
    if text is None or not text.strip():
        return None
    try:
        return parse(text)
    except (ValueError, RecursionError):
        raise ValueError(f"{path}: row {row + 2}, column {column!r}: cannot read {short_repr(text, 40)}") from None


def _float_times(value: Iterable[Any]) -> tuple[float, ...]:
    times = tuple(check_real(f"times_s[{i}]", t) for i, t in enumerate(value))
    for i, t in enumerate(times):
        if t < 0:
            raise ValueError(f"times_s[{i}] must be >= 0, got {t!r}")
        if i and t < times[i - 1]:
            raise ValueError(
                f"times_s must be in order: times_s[{i}] = {t!r} comes before times_s[{i - 1}] = {times[i - 1]!r}"
                " (Replay.from_csv and Replay.from_timestamps sort for you)"
            )
    return times


def _optional_tuple(value: Iterable[Any] | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _moment(value: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        moment = value
    else:
        moment = _dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.UTC)


@frozen(kw_only=True)
class Replay:
    """Replays a recorded trace against ``function``: one invoke at each of ``times_s``.

    Attributes:
        function: The function's name.
        times_s: Arrival times in simulated seconds (>= 0, in order; any iterable of numbers).
        payloads: One event per arrival (JSON-serialisable; ``None`` for ``{}``), or ``None`` for ``{}`` throughout.
        sizes_bytes: One payload size per arrival (``None`` where unknown), or ``None``. A size over the invocation
            type's payload limit is refused with HTTP 413 and counted in ``rejected_too_large``, as AWS would refuse
            the original request.
        invocation_type: ``"Event"`` or ``"RequestResponse"``.
        name: Names the workload.

    >>> r = Replay(function="orders", times_s=[0.5, 1.0, 1.0, 4.2])
    >>> r.expected_count()
    4.0
    """

    @property
    def random(self) -> bool:
        """False: arrivals come at fixed times, drawing nothing at random."""
        return False

    function: str = field(validator=function_name)
    times_s: tuple[float, ...] = field(converter=_float_times)
    payloads: tuple[Any, ...] | None = field(default=None, converter=_optional_tuple)
    sizes_bytes: tuple[int | None, ...] | None = field(default=None, converter=_optional_tuple)
    invocation_type: str = field(default="Event", validator=_invocation_type)
    name: str = field(default="replay", validator=_name)

    def __attrs_post_init__(self) -> None:
        n = len(self.times_s)
        if self.payloads is not None:
            if len(self.payloads) != n:
                raise ValueError(f"payloads must hold one payload per time ({n}), got {len(self.payloads)}")
            for i, p in enumerate(self.payloads):
                try:
                    json.dumps(p)
                except (TypeError, ValueError) as exc:
                    raise TypeError(f"payloads[{i}] must be JSON-serialisable, got {p!r}: {exc}") from None
        if self.sizes_bytes is not None:
            if len(self.sizes_bytes) != n:
                raise ValueError(f"sizes_bytes must hold one size per time ({n}), got {len(self.sizes_bytes)}")
            for i, s in enumerate(self.sizes_bytes):
                if s is not None:
                    check_range(f"sizes_bytes[{i}]", s, 0, integer=True)

    def expected_count(self) -> float:
        """How many arrivals the trace holds."""
        return float(len(self.times_s))

    @classmethod
    def from_timestamps(
        cls,
        function: str,
        timestamps: Iterable[Any],
        *,
        origin: Any = None,
        payloads: Iterable[Any] | None = None,
        sizes_bytes: Iterable[int | None] | None = None,
        invocation_type: str = "Event",
        name: str = "replay",
    ) -> Replay:
        """A replay from timestamps: seconds (numbers) or wall-clock times (``datetime`` or ISO 8601 strings).

        Wall-clock times become seconds after ``origin`` (a time; default the earliest timestamp). Arrivals are
        sorted by time, each keeping its payload and size (ties keep their recorded order).
        """
        raw = list(timestamps)
        numeric = all(isinstance(t, (int, float, np.number)) and not isinstance(t, bool) for t in raw)
        if numeric:
            seconds = [float(t) for t in raw]
        else:
            moments = [_moment(t) for t in raw]
            zero = _moment(origin) if origin is not None else min(moments, default=None)
            seconds = [(m - zero).total_seconds() for m in moments] if zero is not None else []
        order = sorted(range(len(seconds)), key=seconds.__getitem__)
        pay = None if payloads is None else list(payloads)
        sizes = None if sizes_bytes is None else list(sizes_bytes)
        return cls(
            function=function,
            times_s=[seconds[i] for i in order],
            payloads=None if pay is None else [pay[i] for i in order],
            sizes_bytes=None if sizes is None else [sizes[i] for i in order],
            invocation_type=invocation_type,
            name=name,
        )

    @classmethod
    def from_csv(
        cls,
        path: str | PathLike[str],
        function: str,
        *,
        time_column: str = "time_s",
        payload_column: str | None = "payload",
        size_column: str | None = "size_bytes",
        origin: Any = None,
        invocation_type: str = "Event",
        name: str = "replay",
    ) -> Replay:
        """Read a trace from CSV: a time column (seconds, or ISO 8601 times), optional payload (JSON) and size columns.

        Missing optional columns are simply absent; an empty payload cell means ``{}``, an empty size cell unknown.
        """
        # Only a regular file (never a FIFO or /dev/urandom, which would hang), and errors name a row and column
        # with at most the offending cell, never the file's lines (a wrong file may be a secret one).
        check_regular(path, MAX_TRACE_BYTES)
        try:
            with Path(path).open(newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                columns = reader.fieldnames or []
                if time_column not in columns:
                    raise ValueError(f"{path}: no time column {time_column!r} in its first line ({_columns(columns)})")
                rows = list(reader)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
        except csv.Error as exc:
            raise ValueError(f"{path}: not CSV: {exc}") from None
        stamps: list[Any] = []
        for row in rows:
            cell = (row[time_column] or "").strip()
            try:
                stamps.append(float(cell))
            except ValueError:
                stamps.append(cell)
        payloads = None
        if payload_column is not None and payload_column in columns:
            payloads = [_cell(path, i, payload_column, r[payload_column], _json_cell) for i, r in enumerate(rows)]
        sizes = None
        if size_column is not None and size_column in columns:
            sizes = [_cell(path, i, size_column, r[size_column], int) for i, r in enumerate(rows)]
        return cls.from_timestamps(
            function,
            stamps,
            origin=origin,
            payloads=payloads,
            sizes_bytes=sizes,
            invocation_type=invocation_type,
            name=name,
        )

    def to_csv(self, path: str | PathLike[str]) -> None:
        """Write the trace as CSV (``time_s``, and ``payload`` / ``size_bytes`` where present); read it back with
        :meth:`from_csv`."""
        header = ["time_s"]
        if self.payloads is not None:
            header.append("payload")
        if self.sizes_bytes is not None:
            header.append("size_bytes")
        with Path(path).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for i, t in enumerate(self.times_s):
                row = [repr(t)]
                if self.payloads is not None:
                    p = self.payloads[i]
                    row.append("" if p is None else json.dumps(p))
                if self.sizes_bytes is not None:
                    s = self.sizes_bytes[i]
                    row.append("" if s is None else str(s))
                writer.writerow(row)

    def attach(self, sim: Simulation) -> None:
        """Schedule the trace's arrivals on ``sim`` (arrivals before the current time are skipped)."""
        fs = sim.function_state(self.function)
        invoke = _invoker(sim, fs, self.invocation_type, self.function)
        first = bisect.bisect_left(self.times_s, sim.now)
        payloads = self.payloads
        sizes = self.sizes_bytes
        times = self.times_s[first:]

        empty: dict[str, Any] = {}  # one for all, as Poisson's: the engine hands each handler its own copy

        def arrive(i: int) -> None:
            k = first + i
            payload = payloads[k] if payloads is not None else None
            invoke(empty if payload is None else payload, sizes[k] if sizes is not None else None)

        def arrive_empty(_i: int) -> None:  # no payloads and no sizes (the common case)
            invoke(empty, None)

        if payloads is None and sizes is None:
            start = _starter(sim, fs, self.invocation_type, self.function, empty, None)
            _at_times(sim.env, times, arrive_empty, sim.engine, start)
            return
        _at_times(sim.env, times, arrive, sim.engine)
