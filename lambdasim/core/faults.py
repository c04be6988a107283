"""Fault injection on the simulated clock: Lambda service errors and function behaviour that changes over time.

Two kinds of fault, both seeded and both attached like workloads (``fault.attach(sim)``, or in
``Model(workloads=[...])``):

- :class:`Outage`: Lambda itself answers HTTP 5xx (``ServiceException``) with some probability during a time
  window, for one function or all. A service error is not a function execution: an asynchronous event backs off and
  is retried as after a throttle (spec 1.3); a synchronous caller gets the error (and may retry it, see
  :mod:`lambdasim.planning.sync`). ``Settings.service_error_probability`` is the same fault at a constant rate,
  everywhere.
- :class:`FaultSchedule` of :class:`Phase` objects: from ``start_s`` to ``end_s`` a function's invocations fail with
  ``error_rate``, hang until the function timeout with ``timeout_rate``, or take ``duration`` instead of their
  usual time: a downstream dependency failing from t1 to t2. A failed or hung invocation never enters the handler.

>>> import lambdasim as ls
>>> from lambdasim.core.faults import FaultSchedule, Outage, Phase
>>> sim = ls.Simulation(seed=1)
>>> _ = sim.client("lambda").create_function(FunctionName="orders", Handler=ls.Behaviour(duration=0.1))
>>> Outage(start_s=60, end_s=120).attach(sim)                      # every function, every try, for a minute
>>> FaultSchedule(function="orders", phases=[Phase(start_s=300, end_s=900, error_rate=0.5)]).attach(sim)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from lambdasim.core._validators import check_range, in_range, non_empty_text, probability, real
from lambdasim.core.dist import Distribution, Sampler, as_distribution, stream
from lambdasim.core.handler import ErrorInfo

if TYPE_CHECKING:
    from lambdasim.core.engine import Engine, FunctionState
    from lambdasim.core.host import Host

__all__ = ["FaultSchedule", "Outage", "OutageTimeline", "Phase", "ServiceFault"]

SERVICE_EXCEPTION_MESSAGE = "The Lambda service encountered an internal error."
"""The ``ServiceException`` description of the botocore Lambda model."""

HANG: ErrorInfo = ("Sandbox.Timedout", "hung until the function timeout", [])
"""What :meth:`FaultPlan.draw` gives for a hang, with an infinite duration: the engine ends the attempt at the
version's timeout with Lambda's own timeout error."""


class ServiceFault(StrEnum):
    """Why Lambda refused a request with HTTP 5xx (the error code a synchronous caller sees)."""

    SERVICE_EXCEPTION = "ServiceException"


def _end_after_start(instance: Any, attribute: Any, value: float) -> None:
    check_range(attribute.name, value, instance.start_s, low_open=True, finite=False)  # inf: for the rest of the run


def _function_name(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError(f"{attribute.name} must be a function name or None (every function), got {value!r}")


def _optional_duration(value: object) -> Distribution | None:
    return None if value is None else as_distribution("duration", value)


# -- service errors -----------------------------------------------------------------------------------------------


class OutageTimeline:
    """A piecewise-constant service-error probability over time: the largest of the windows active at ``t``.

    Looking up ``t`` is a binary search over the window boundaries, so its cost does not grow with the run.
    """

    __slots__ = ("_probs", "_starts", "_windows")

    def __init__(self) -> None:
        self._windows: list[tuple[float, float, float]] = []
        self._starts = [-math.inf]
        self._probs = [0.0]

    def add(self, start_s: float, end_s: float, probability: float) -> None:
        """Fail with ``probability`` from ``start_s`` (inclusive) to ``end_s`` (exclusive)."""
        self._windows.append((start_s, end_s, probability))
        cuts = sorted({t for w in self._windows for t in w[:2]})
        self._starts = [-math.inf, *cuts]
        self._probs = [0.0] + [max((p for s, e, p in self._windows if s <= t < e), default=0.0) for t in cuts]

    def probability(self, now: float) -> float:
        """The service-error probability at ``now``."""
        return self._probs[bisect_right(self._starts, now) - 1]


@frozen(kw_only=True)
class Outage:
    """Lambda answers HTTP 5xx with ``probability`` from ``start_s`` to ``end_s`` (simulated seconds).

    Attributes:
        start_s: Start of the window (>= 0, inclusive).
        end_s: End of the window (> start, exclusive; ``math.inf`` for the rest of the run).
        probability: Chance in [0, 1] that each try in the window gets the error. Default 1 (a full outage).
        function: The function affected; ``None`` (default) for every function of the account, including
            functions created later.
    """

    start_s: float = field(converter=real, validator=in_range(0.0))
    end_s: float = field(converter=real, validator=_end_after_start)
    probability: float = field(default=1.0, validator=probability)
    function: str | None = field(default=None, validator=_function_name)

    def attach(self, sim: Host) -> None:
        """Start injecting on ``sim`` (windows already past have no effect)."""
        engine = sim.engine
        if self.function is None:
            if engine.outages is None:
                engine.outages = OutageTimeline()
            engine.outages.add(self.start_s, self.end_s, self.probability)
        else:
            plan_for(engine, sim.function_state(self.function)).outages.add(self.start_s, self.end_s, self.probability)
        engine.set_service_faults()


# -- function behaviour over time ---------------------------------------------------------------------------------


@frozen(kw_only=True)
class Phase:
    """How a function behaves from ``start_s`` to ``end_s``, overriding what it normally does.

    Each invocation that starts in the phase hangs until the function's timeout with ``timeout_rate`` (it ends as
    ``Sandbox.Timedout``), fails with ``error_rate`` (``error_type``/``error_message``), and otherwise runs as usual.
    A hung or failed invocation does not enter the handler. ``duration``, if given, replaces the duration of
    failed invocations and of those that run a :class:`~lambdasim.Behaviour`, a plain handler or no handler (an
    ``async def`` handler's duration is the time it awaits).

    Attributes:
        start_s: Start (>= 0, inclusive), simulated seconds.
        end_s: End (> start, exclusive; ``math.inf`` for the rest of the run).
        error_rate: Probability in [0, 1] of a function error.
        timeout_rate: Probability in [0, 1] of hanging until the timeout; ``error_rate + timeout_rate <= 1``.
        error_type: The ``errorType`` of injected errors.
        error_message: Their ``errorMessage``.
        duration: Seconds per invocation (a number or a :mod:`lambdasim.core.dist` distribution), or ``None``.
    """

    start_s: float = field(converter=real, validator=in_range(0.0))
    end_s: float = field(converter=real, validator=_end_after_start)
    error_rate: float = field(default=0.0, validator=probability)
    timeout_rate: float = field(default=0.0, validator=probability)
    error_type: str = field(default="DependencyFailure", validator=non_empty_text)
    error_message: str = field(default="Simulated downstream dependency failure", validator=non_empty_text)
    duration: Distribution | None = field(default=None, converter=_optional_duration)

    def __attrs_post_init__(self) -> None:
        if self.error_rate + self.timeout_rate > 1.0:
            raise ValueError(f"error_rate + timeout_rate must be <= 1, got {self.error_rate} + {self.timeout_rate}")


def _phases(value: Sequence[Phase]) -> tuple[Phase, ...]:
    items = tuple(value)
    for p in items:
        if not isinstance(p, Phase):
            raise TypeError(f"phases must hold lambdasim.faults.Phase objects, got {p!r}")
    if not items:
        raise ValueError("phases must hold at least one Phase, got none")
    _check_disjoint(items)
    return items


def _check_disjoint(phases: Sequence[Phase]) -> None:
    ordered = sorted(phases, key=lambda p: p.start_s)
    for a, b in pairwise(ordered):
        if b.start_s < a.end_s:
            raise ValueError(f"phases must not overlap: [{a.start_s}, {a.end_s}) and [{b.start_s}, {b.end_s}) do")


@frozen(kw_only=True)
class FaultSchedule:
    """Phases of changed behaviour for one function, e.g. a dependency failing from t1 to t2.

    Attributes:
        function: The function's name.
        phases: Non-overlapping :class:`Phase` objects (across every schedule attached to the function).
    """

    function: str = field(validator=non_empty_text)
    phases: tuple[Phase, ...] = field(converter=_phases)

    def attach(self, sim: Host) -> None:
        """Apply the phases to invocations of ``function`` that start from now on."""
        plan_for(sim.engine, sim.function_state(self.function)).add_phases(self.phases)


class FaultPlan:
    """The faults injected into one function: its own outage windows and its behaviour phases.

    ``draw(now)`` is called once per attempt that runs; it costs a binary search and, inside a phase, one uniform
    draw (plus one duration draw when the phase sets a duration), from the function's own ``"faults"`` streams.
    """

    __slots__ = ("_ends", "_engine", "_fs", "_phases", "_samplers", "_starts", "_uniform", "outages")

    def __init__(self, engine: Engine, fs: FunctionState) -> None:
        self._engine = engine
        self._fs = fs
        self.outages = OutageTimeline()
        self._phases: list[Phase] = []
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._samplers: list[Sampler | None] = []
        rng = engine.generator(fs.name, "faults")
        self._uniform: Callable[[], float] = stream(rng.random)

    def add_phases(self, phases: Sequence[Phase]) -> None:
        """Add phases (they must not overlap those already added)."""
        merged = sorted([*self._phases, *phases], key=lambda p: p.start_s)
        _check_disjoint(merged)
        self._phases = merged
        self._starts = [p.start_s for p in merged]
        self._ends = [p.end_s for p in merged]
        # Each phase's durations come from its own stream, keyed by its start, so adding a phase later in the run
        # leaves the draws of the others unchanged.
        self._samplers = [
            None
            if p.duration is None
            else p.duration.sampler(self._engine.generator(self._fs.name, f"faults:duration:{p.start_s!r}"))
            for p in merged
        ]

    def draw(self, now: float) -> tuple[ErrorInfo | None, float | None] | None:
        """``None`` outside every phase; else ``(error, duration)`` for an attempt starting at ``now``.

        ``error`` is the injected function error (the handler must not run) or ``None``; ``duration`` replaces the
        attempt's duration when not ``None`` (``math.inf`` for a hang: the attempt times out).
        """
        i = bisect_right(self._starts, now) - 1
        if i < 0 or now >= self._ends[i]:
            return None
        phase = self._phases[i]
        sampler = self._samplers[i]
        duration = None if sampler is None else sampler()
        if not (phase.error_rate or phase.timeout_rate):
            return None, duration
        u = self._uniform()
        if u < phase.timeout_rate:
            return HANG, math.inf
        if u < phase.timeout_rate + phase.error_rate:
            return (phase.error_type, phase.error_message, []), duration
        return None, duration


def plan_for(engine: Engine, fs: FunctionState) -> FaultPlan:
    """The fault plan of ``fs``, created on first use (functions without faults pay one ``None`` check)."""
    if fs.faults is None:
        fs.faults = FaultPlan(engine, fs)
    return fs.faults
