"""A light time-series probe: each function's counters and levels read every ``interval_s`` simulated seconds.

The probe costs one timeout per interval and nothing per event: it reads the running counters the engine keeps
anyway (:class:`~lambdasim.core.counters.FunctionStats`) and stores their increments per interval, plus the levels
(queue depth, concurrency, events waiting for a retry) at each sample and averaged over each interval. What it
records is what a timeline plot needs (:func:`lambdasim.planning.plots.timeline`); a warm-up reset does not break it.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.probe import Probe
>>> from lambdasim.planning.workload import Poisson
>>> model = Model(functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.5))],
...               workloads=[Poisson(function="f", rate_per_s=4.0, stop_s=600.0)], horizon_s=600.0)
>>> sim = model.build(seed=1)
>>> probe = Probe(sim, interval_s=60.0)
>>> _ = sim.run(until=600.0)
>>> probe.flush()   # the sample due at 600 s: run(until=600) stops before events at 600 s
>>> s = probe.series("f")
>>> len(s.time_s), int(s.received.sum()) == sim.results().functions["f"]["async_events_received"]
(10, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from attrs import field, frozen
from simpy.events import Timeout

from lambdasim.core._optional import _deprecated, require
from lambdasim.core._validators import check_range
from lambdasim.core.rules import Condition

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.counters import FunctionStats

__all__ = ["COUNTERS", "LEVELS", "Probe", "TimeSeries"]

COUNTERS = ("received", "invocations", "errors", "throttles", "sync_throttles", "service_errors")
"""Counters recorded as increments per interval."""

LEVELS = ("queue_depth", "concurrency", "retry_waiting")
"""Levels recorded at each sample (``name``) and averaged over each interval (``name_mean``)."""


def _counters(st: FunctionStats) -> list[float]:
    values = [
        float(st.received),
        float(st.invocations),
        float(st.errors),
        float(sum(st.throttles.values())),
        float(st.sync_throttles),
        float(st.service_errors),
    ]
    values.extend(float(st.outcomes[c]) for c in Condition)
    return values


def _integrals(st: FunctionStats, now: float) -> list[float]:
    return [st.queued.integral(now), st.concurrency.integral(now), st.retry_waiting.integral(now)]


@frozen
class TimeSeries:
    """One function's timeline, one entry per interval ``(time_s - interval_s, time_s]``.

    Attributes:
        function: The function's name.
        interval_s: The sampling interval (s).
        time_s: The end of each interval (s).
        counts: Per-interval increments of :data:`COUNTERS` and of each outcome condition (keyed by its value,
            for example ``"Success"``).
        levels: Each of :data:`LEVELS` at the sample, and ``<name>_mean`` averaged over the interval.
        epoch_s: The Unix time of simulated time 0 (the model's ``start``), for clock-time axes.
    """

    function: str
    interval_s: float
    time_s: np.ndarray[Any, Any]
    counts: dict[str, np.ndarray[Any, Any]]
    levels: dict[str, np.ndarray[Any, Any]]
    epoch_s: float = field(default=0.0, kw_only=True)

    @property
    def clock(self) -> np.ndarray[Any, Any]:
        """The end of each interval as UTC clock time (``datetime64[ms]``)."""
        return np.asarray(np.round((self.epoch_s + self.time_s) * 1000.0), dtype="datetime64[ms]")

    @property
    def received(self) -> np.ndarray[Any, Any]:
        """Asynchronous events accepted per interval."""
        return self.counts["received"]

    @property
    def throttles(self) -> np.ndarray[Any, Any]:
        """Throttled tries per interval."""
        return self.counts["throttles"]

    def outcomes(self) -> dict[str, np.ndarray[Any, Any]]:
        """Outcomes per interval, by condition."""
        return {c.value: self.counts[c.value] for c in Condition}

    def __getitem__(self, name: str) -> np.ndarray[Any, Any]:
        if name == "time_s":
            return self.time_s
        if name in self.counts:
            return self.counts[name]
        if name in self.levels:
            return self.levels[name]
        raise KeyError(f"no series {name!r}; series: {['time_s', *self.counts, *self.levels]}")

    def frame(self) -> Any:
        """A pandas DataFrame, one row per interval (needs pandas)."""
        pandas = require("pandas", "pandas")
        return pandas.DataFrame({"time_s": self.time_s, **self.counts, **self.levels})

    def to_frame(self) -> Any:
        """Deprecated spelling of :meth:`frame` (every result type has ``frame()``)."""
        _deprecated("TimeSeries.to_frame()", "TimeSeries.frame()")
        return self.frame()


class Probe:
    """Samples every function of ``sim`` (or the ``functions`` named) every ``interval_s`` from now on.

    Args:
        sim: The simulation (attach before running it).
        interval_s: Sampling interval in simulated seconds (> 0); 60 s reads like CloudWatch's periods.
        functions: Names of the functions to sample (default: every function that exists now).
        until_s: Last sample time (s). ``None`` samples for as long as anything else is scheduled, so that
            ``sim.run()`` without ``until`` still ends.
    """

    def __init__(
        self,
        sim: Simulation,
        interval_s: float = 60.0,
        functions: list[str] | None = None,
        until_s: float | None = None,
    ) -> None:
        check_range("interval_s", interval_s, 0.0, low_open=True)
        if until_s is not None:
            check_range("until_s", until_s, sim.now)
        self.until_s = until_s
        self.sim = sim
        self.interval_s = float(interval_s)
        names = list(sim.engine.functions) if functions is None else list(functions)
        for name in names:
            sim.function_state(name)  # a ValueError naming the functions if there is no such function
        self.functions = names
        self._times: list[float] = []
        self._rows: dict[str, list[list[float]]] = {n: [] for n in names}
        now = sim.now
        # Cumulative readings survive a statistics reset: what the reset forgets is kept as an offset.
        self._offsets: dict[str, list[float]] = {n: [0.0] * (len(COUNTERS) + len(Condition) + 3) for n in names}
        self._last: dict[str, list[float]] = {n: self._reading(n, now) for n in names}
        self._last_time = now
        sim.engine.statistics_reset_hooks.append(self._before_reset)
        Timeout(sim.env, self.interval_s).callbacks.append(self._sample)

    def _raw(self, name: str, now: float) -> list[float]:
        self.sim.engine.settle()  # count the throttles of parked events (lambdasim.core.backlog)
        st = self.sim.engine.functions[name].stats
        return _counters(st) + _integrals(st, now)

    def _reading(self, name: str, now: float) -> list[float]:
        return [o + v for o, v in zip(self._offsets[name], self._raw(name, now), strict=True)]

    def _before_reset(self, now: float) -> None:
        for name in self.functions:
            if name in self.sim.engine.functions:
                self._offsets[name] = self._reading(name, now)

    def flush(self) -> None:
        """Take a sample now, closing a last, shorter interval (``sim.run(until=t)`` stops before events at ``t``)."""
        if self.sim.now > self._last_time:
            self._record()

    def _sample(self, _e: object = None) -> None:
        if self.sim.now > self._last_time:
            self._record()
        env = self.sim.env
        now = self.sim.now
        if self.until_s is None:
            if env.peek() == float("inf"):  # nothing else will happen: stop, or sim.run() would never end
                return
        elif now + self.interval_s > self.until_s * (1 + 1e-12):
            return
        Timeout(env, self.interval_s).callbacks.append(self._sample)

    def _record(self) -> None:
        now = self.sim.now
        span = now - self._last_time
        self._times.append(now)
        for name in self.functions:
            fs = self.sim.engine.functions.get(name)
            if fs is None:  # deleted: nothing more happens to it
                self._rows[name].append([*([0.0] * (len(COUNTERS) + len(Condition) + 3)), 0.0, 0.0, 0.0])
                continue
            reading = self._reading(name, now)
            deltas = [r - last for r, last in zip(reading, self._last[name], strict=True)]
            n_counts = len(COUNTERS) + len(Condition)
            means = [d / span if span > 0 else 0.0 for d in deltas[n_counts:]]
            st = fs.stats
            instant = [float(st.queued.value), float(st.concurrency.value), float(st.retry_waiting.value)]
            self._rows[name].append(deltas[:n_counts] + means + instant)
            self._last[name] = reading
        self._last_time = now

    def series(self, function: str) -> TimeSeries:
        """The timeline of ``function`` so far."""
        if function not in self._rows:
            raise KeyError(f"function {function!r} is not probed; probed: {self.functions}")
        rows = np.asarray(self._rows[function], dtype=float).reshape(len(self._times), -1)
        names = [*COUNTERS, *(c.value for c in Condition)]
        counts = {n: rows[:, i] for i, n in enumerate(names)}
        k = len(names)
        levels = {f"{n}_mean": rows[:, k + i] for i, n in enumerate(LEVELS)}
        levels.update({n: rows[:, k + len(LEVELS) + i] for i, n in enumerate(LEVELS)})
        return TimeSeries(
            function,
            self.interval_s,
            np.asarray(self._times, dtype=float),
            counts,
            levels,
            epoch_s=self.sim.engine.epoch_s,
        )
