"""Fit the execution-environment settings to observations of a function on AWS: idle timeout and its jitter, the
active idle timeout and its jitter, the maximum lifetime, and the init-duration distribution; replay a per-request
log.

Three kinds of observation:

- a **table** of steady Poisson experiments (:class:`RateObservation`): arrival rate against the share of cold
  starts and the time-averaged count of execution environments (busy and idle), as measurement papers publish them;
- **CloudWatch-style series** (:class:`CloudWatchSeries`): per-period ``Invocations``, ``ConcurrentExecutions``
  and the ``InitDuration`` reports (one per cold start) of a function's logs;
- a **per-request log** (:class:`RequestLog`): each request's start, duration and whether it was a cold start, as
  a client records them; :func:`replay_log` runs its requests through lambdasim at the logged times.

:func:`fit_table` and :func:`fit_series` search the settings by coordinate descent over a grid, each candidate
judged by running lambdasim itself (the same model users run, with common random numbers: fixed seeds), and return
a :class:`Calibration`; :meth:`Calibration.check` scores it on observations held out from the fit, and
:func:`plot_table` draws fit against data.

>>> rows = [RateObservation(arrival_rate_per_s=1 / 600, cold_start_share=0.37, mean_instances=0.63,
...                         duration_s=0.1, horizon_s=60_000)]
>>> cal = fit_table(rows, grid={"idle_timeout_s": (300.0, 600.0)}, seeds=(1,))
>>> cal.settings.idle_timeout_s
600.0
>>> cal.check(rows).cold_start_mape < 0.25  # one run of about 100 requests: a noisy estimate
True
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from attrs import field, frozen

from lambdasim.aws.simulation import Simulation
from lambdasim.core import dist
from lambdasim.core._validators import check_range, in_range, real
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.limits import MAX_TIME_S
from lambdasim.core.settings import Settings
from lambdasim.planning.sync import SyncPoisson
from lambdasim.planning.workload import Replay

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_GRID",
    "REPLAY_WARMUP_S",
    "Calibration",
    "Check",
    "CloudWatchSeries",
    "RateObservation",
    "RequestLog",
    "fit_init_duration",
    "fit_series",
    "fit_table",
    "mape",
    "plot_table",
    "predict",
    "read_table",
    "replay_log",
]

DEFAULT_GRID: Mapping[str, tuple[float, ...]] = {
    "idle_timeout_s": (540.0, 570.0, 600.0, 620.0, 640.0, 660.0, 690.0),
    "idle_timeout_jitter_s": (0.0, 20.0, 40.0, 60.0, 90.0, 120.0),
    "active_idle_timeout_s": (620.0, 700.0, 800.0, 900.0, 1000.0, 1200.0, 1500.0),
    "active_idle_timeout_jitter_s": (0.0, 300.0, 600.0, 980.0, 1200.0, 1500.0),
    "max_environment_lifetime_s": (3600.0, 5400.0, 6600.0, 7200.0, 7800.0, 9000.0, 10800.0),
}
"""Candidate values searched for each setting (override with ``grid=``; a setting left out is not fitted)."""

_FUNCTION = "calibrated"
REPLAY_WARMUP_S = 3600.0
"""How much of a log :func:`replay_log` runs first, by default, when the log began warm: an hour, half the default
environment lifetime, so that recycling at the lifetime runs as in the middle of a long experiment and not in step
with the log's start."""


@frozen(kw_only=True)
class RateObservation:
    """One steady experiment: Poisson requests at ``arrival_rate_per_s`` for ``horizon_s`` seconds.

    Attributes:
        arrival_rate_per_s: Mean requests per second (> 0).
        cold_start_share: Share of requests that were cold starts, in [0, 1].
        mean_instances: Time-averaged count of execution environments, busy and idle (> 0); ``None`` if unknown.
        duration_s: The warm duration of one request (s, > 0).
        init_duration_s: The init phase of a cold start (s, >= 0).
        horizon_s: How long the experiment ran (s, > 0); the simulation runs as long. Default 28 h.
        instances_idle_allowance_s: How ``mean_instances`` was counted: ``None`` (default) for environments alive,
            busy or idle, as lambdasim counts them; a number of seconds when the count was estimated from a client's
            logs, each environment from its first request until its last one ended plus this allowance (Mahmoudi
            and Khazaei count 600 s), whether or not AWS kept it that long. The prediction is then counted the same
            way.
        warmup_s: How long the function ran at the same rate before the experiment's ``horizon_s`` began (s, >= 0;
            default 0: it began with no environment). The simulation runs ``warmup_s + horizon_s`` and counts the
            last ``horizon_s`` only, so an experiment that began with warm environments is predicted as one.
    """

    arrival_rate_per_s: float = field(converter=real, validator=in_range(0.0, low_open=True))
    cold_start_share: float = field(converter=real, validator=in_range(0.0, 1.0))
    mean_instances: float | None = field(default=None, validator=in_range(0.0, low_open=True, optional=True))
    duration_s: float = field(converter=real, validator=in_range(0.0, low_open=True))
    init_duration_s: float = field(default=0.0, converter=real, validator=in_range(0.0, 10.0))
    horizon_s: float = field(default=28 * 3600.0, converter=real, validator=in_range(0.0, low_open=True))
    instances_idle_allowance_s: float | None = field(default=None, validator=in_range(0.0, 86_400.0, optional=True))
    warmup_s: float = field(default=0.0, converter=real, validator=in_range(0.0, MAX_TIME_S))


def read_table(path: str | Path) -> tuple[RateObservation, ...]:
    """Rows of a CSV file whose header names :class:`RateObservation`'s fields (``mean_instances``,
    ``init_duration_s``, ``horizon_s``, ``instances_idle_allowance_s`` and ``warmup_s`` optional; other columns are
    ignored). Lines starting with ``#`` before the header are comments (a source, a citation)."""
    names = {f.name for f in attrs.fields(RateObservation)}
    rows = []
    with Path(path).open(newline="", encoding="utf-8") as fh:
        lines = list(fh)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    if skipped == len(lines):
        raise ValueError(f"{path}: no header line")
    if "arrival_rate_per_s" not in lines[skipped]:
        raise ValueError(f"{path}: the header must name arrival_rate_per_s, got {lines[skipped].strip()!r}")
    if True:
        for line, raw in enumerate(csv.DictReader(lines[skipped:]), start=skipped + 2):
            values = {k: float(v) for k, v in raw.items() if k in names and v not in ("", None)}
            try:
                rows.append(RateObservation(**values))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{path}, line {line}: {e}") from None
    if not rows:
        raise ValueError(f"{path}: no observations")
    return tuple(rows)


def _floats(value: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


def _bools(value: Iterable[object]) -> tuple[bool, ...]:
    return tuple(bool(v) for v in value)


def _ints(value: Iterable[Any]) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


@frozen(kw_only=True)
class CloudWatchSeries:
    """A function's CloudWatch-style series over consecutive periods.

    Attributes:
        period_s: Length of a period (s, > 0). CloudWatch's standard resolution is 60 s.
        invocations: ``Invocations`` (Sum) per period.
        cold_starts: Cold starts per period: the count of ``InitDuration`` reports (the metric's SampleCount).
        concurrent_executions: ``ConcurrentExecutions`` (Average) per period; with the invocations it gives the
            duration by Little's law when ``duration_s`` is not given.
        init_durations_s: Individual ``InitDuration`` values (s) from the REPORT log lines, for the init-duration
            distribution; empty if unknown (init is then 0).
        duration_s: The warm duration (s); ``None`` to estimate it from ``concurrent_executions``.
    """

    period_s: float = field(default=60.0, converter=real, validator=in_range(0.0, low_open=True))
    invocations: tuple[float, ...] = field(converter=_floats)
    cold_starts: tuple[float, ...] = field(converter=_floats)
    concurrent_executions: tuple[float, ...] = field(default=(), converter=_floats)
    init_durations_s: tuple[float, ...] = field(default=(), converter=_floats)
    duration_s: float | None = field(default=None, validator=in_range(0.0, low_open=True, optional=True))

    def __attrs_post_init__(self) -> None:
        n = len(self.invocations)
        if n == 0 or sum(self.invocations) <= 0:
            raise ValueError("invocations must hold at least one period with invocations")
        if len(self.cold_starts) != n:
            raise ValueError(f"cold_starts must hold one value per period ({n}), got {len(self.cold_starts)}")
        if self.concurrent_executions and len(self.concurrent_executions) != n:
            raise ValueError(
                f"concurrent_executions must hold one value per period ({n}), got {len(self.concurrent_executions)}"
            )
        if self.duration_s is None and not self.concurrent_executions:
            raise ValueError("give duration_s or concurrent_executions (to estimate the duration)")
        for name in ("invocations", "cold_starts", "concurrent_executions", "init_durations_s"):
            if any(v < 0 or math.isnan(v) for v in getattr(self, name)):
                raise ValueError(f"{name} must hold numbers >= 0")

    @property
    def horizon_s(self) -> float:
        """The span of the series (s)."""
        return self.period_s * len(self.invocations)

    @property
    def warm_duration_s(self) -> float:
        """``duration_s``, or by Little's law: mean concurrency / arrival rate (cold starts' init deducted)."""
        if self.duration_s is not None:
            return self.duration_s
        busy_s = sum(self.concurrent_executions) * self.period_s
        init_s = sum(self.cold_starts) * (float(np.mean(self.init_durations_s)) if self.init_durations_s else 0.0)
        return max(busy_s - init_s, 1e-3) / sum(self.invocations)


def fit_init_duration(samples_s: Sequence[float]) -> dist.Distribution:
    """A log-normal fitted to observed init durations (s) by the mean and deviation of their logarithms; a
    constant when fewer than two values differ."""
    x = np.asarray(samples_s, dtype=float)
    if x.size == 0 or np.any(x <= 0):
        raise ValueError(f"init durations must be > 0 s and at least one, got {list(samples_s)[:5]!r}...")
    logs = np.log(x)
    spread = float(np.exp(logs.std(ddof=1))) if x.size > 1 else 1.0
    if spread <= 1.0:
        return dist.Constant(float(x[0]))
    return dist.LogNormal(median=float(np.exp(logs.mean())), spread=spread)


def mape(predicted: Sequence[float], observed: Sequence[float]) -> float:
    """Mean absolute percentage error as a fraction: ``mean(|p - o| / o)``, over observations ``o > 0``."""
    pairs = [(p, o) for p, o in zip(predicted, observed, strict=True) if o > 0]
    if not pairs:
        raise ValueError("mape needs at least one observation > 0")
    return float(np.mean([abs(p - o) / o for p, o in pairs]))


# -- running the model ----------------------------------------------------------------------------------------------


def predict(settings: Settings, row: RateObservation, seeds: Sequence[int] = (1, 2)) -> tuple[float, float]:
    """lambdasim's cold-start share and mean environment count for ``row``'s experiment (after its warm-up),
    averaged over ``seeds``."""
    cold, instances = [], []
    for seed in seeds:
        sim = Simulation(seed=seed, settings=settings, concurrency_limit=100_000)
        sim.client("lambda").create_function(
            FunctionName=_FUNCTION, Handler=Behaviour(duration=row.duration_s), InitDuration=row.init_duration_s
        )
        end = row.warmup_s + row.horizon_s
        SyncPoisson(function=_FUNCTION, rate_per_s=row.arrival_rate_per_s, stop_s=end).attach(sim)
        share, count = _run(
            sim, row.warmup_s, end, row.duration_s + row.init_duration_s, row.instances_idle_allowance_s
        )
        cold.append(share)
        instances.append(count)
    return float(np.mean(cold)), float(np.mean(instances))


def _run(
    sim: Simulation, start_s: float, end_s: float, longest_s: float, allowance_s: float | None
) -> tuple[float, float]:
    """Run ``sim`` to ``end_s``, counting from ``start_s`` (the end of a warm-up, if > 0): the cold-start share and
    the mean count of environments, alive (``allowance_s`` None) or as a client's logs count them (each from its
    birth, or ``start_s``, to its last use plus the allowance)."""
    if start_s > 0:
        sim.engine.reset_statistics(start_s)
    env = sim.run(until=end_s).functions[_FUNCTION]["environments"]
    share = env["cold_start_probability"] or 0.0
    if allowance_s is None:
        return share, env["total_mean"]
    # Let the last invocations end (no arrivals come after the horizon): each environment's last use is then known.
    sim.run(until=end_s + longest_s + 1.0)
    pools = sim.engine.functions[_FUNCTION].stats.environments
    return share, sum(p.counted_environment_seconds(end_s, allowance_s) for p in pools) / (end_s - start_s)


@frozen(kw_only=True)
class RequestLog:
    """A per-request log of one function's synchronous requests, as a client records them.

    Attributes:
        times_s: Each request's start (s from the log's start, in order, >= 0).
        durations_s: The function's own duration of each request (s, >= 0), as its REPORT line gives it.
        cold: Whether each request was a cold start.
        environments: The execution environment that served each request (any ids); empty if unknown.
        elapsed_s: The client's elapsed time of each request (s); empty if unknown. With it, the init duration is
            the mean elapsed time of cold requests minus that of warm ones, and the log's environment count can be
            estimated.
        horizon_s: How long the experiment ran (s); default until the last request ended (its start plus its
            elapsed time, or its duration when elapsed times are unknown).
    """

    times_s: tuple[float, ...] = field(converter=_floats)
    durations_s: tuple[float, ...] = field(converter=_floats)
    cold: tuple[bool, ...] = field(converter=_bools)
    environments: tuple[int, ...] = field(default=(), converter=_ints)
    elapsed_s: tuple[float, ...] = field(default=(), converter=_floats)
    horizon_s: float | None = field(default=None, validator=in_range(0.0, low_open=True, optional=True))

    def __attrs_post_init__(self) -> None:
        n = len(self.times_s)
        if n == 0:
            raise ValueError("times_s must hold at least one request")
        for name in ("durations_s", "cold", "environments", "elapsed_s"):
            got = len(getattr(self, name))
            if got != n and not (got == 0 and name in ("environments", "elapsed_s")):
                raise ValueError(f"{name} must hold one value per request ({n}), got {got}")
        times = np.asarray(self.times_s)
        if times[0] < 0 or np.any(np.diff(times) < 0) or not np.all(np.isfinite(times)):
            raise ValueError("times_s must be finite, >= 0 and in order")
        if any(d < 0 or not math.isfinite(d) for d in self.durations_s + self.elapsed_s):
            raise ValueError("durations_s and elapsed_s must hold finite numbers >= 0")

    @property
    def horizon(self) -> float:
        """``horizon_s``, or the end of the last request."""
        if self.horizon_s is not None:
            return self.horizon_s
        return self.times_s[-1] + (self.elapsed_s[-1] if self.elapsed_s else self.durations_s[-1])

    @property
    def cold_start_share(self) -> float:
        """The share of requests that were cold starts."""
        return sum(self.cold) / len(self.cold)

    @property
    def init_duration_s(self) -> float:
        """Mean elapsed time of cold requests minus that of warm ones (s, >= 0); 0 without elapsed times."""
        if not self.elapsed_s or all(self.cold) or not any(self.cold):
            return 0.0
        e, c = np.asarray(self.elapsed_s), np.asarray(self.cold)
        return max(0.0, float(e[c].mean() - e[~c].mean()))

    def counted_instances(self, idle_allowance_s: float) -> float:
        """Mean count of environments as the log shows them: each from its first request's start until its last
        request ended (start plus elapsed time) plus ``idle_allowance_s``, up to the horizon."""
        if not self.environments or not self.elapsed_s:
            raise ValueError("counting environments needs environments and elapsed_s")
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        for env, t, e in zip(self.environments, self.times_s, self.elapsed_s, strict=True):
            first.setdefault(env, t)
            last[env] = max(last.get(env, 0.0), t + e)
        h = self.horizon
        return sum(min(last[k] + idle_allowance_s, h) - first[k] for k in first) / h


def replay_log(
    settings: Settings,
    log: RequestLog,
    seeds: Sequence[int] = (1, 2),
    idle_allowance_s: float | None = None,
    warmup_s: float | None = None,
) -> tuple[float, float]:
    """Replay ``log``'s requests through lambdasim (synchronous invokes at the logged times, durations drawn from
    the logged ones, the log's init duration): the cold-start share and the mean count of environments, averaged
    over ``seeds``. The count is of environments alive, or with ``idle_allowance_s`` counted as
    :meth:`RequestLog.counted_instances` counts the log's.

    A log whose first request was warm began with warm environments. So that the replay begins as the log did, the
    log's own last ``warmup_s`` seconds of requests run first, not counted (by default :data:`REPLAY_WARMUP_S`
    when the first request was warm, else none).
    """
    if warmup_s is None:
        warmup_s = 0.0 if log.cold[0] else REPLAY_WARMUP_S
    check_range("warmup_s", warmup_s, 0.0, MAX_TIME_S)
    durations = dist.Empirical(log.durations_s) if len(set(log.durations_s)) > 1 else log.durations_s[0]
    init = log.init_duration_s
    horizon = log.horizon
    start = min(float(warmup_s), horizon)
    tail = tuple(t - (horizon - start) for t in log.times_s if t >= horizon - start) if start else ()
    times = tail + tuple(t + start for t in log.times_s)
    cold, instances = [], []
    for seed in seeds:
        sim = Simulation(seed=seed, settings=settings, concurrency_limit=100_000)
        sim.client("lambda").create_function(
            FunctionName=_FUNCTION, Handler=Behaviour(duration=durations), InitDuration=init
        )
        Replay(function=_FUNCTION, times_s=times, invocation_type="RequestResponse").attach(sim)
        share, count = _run(sim, start, start + horizon, max(log.durations_s) + init, idle_allowance_s)
        cold.append(share)
        instances.append(count)
    return float(np.mean(cold)), float(np.mean(instances))


def _replay_cold_starts(
    settings: Settings, series: CloudWatchSeries, seed: int, window_periods: int
) -> np.ndarray[Any, Any]:
    """Cold starts per window of ``window_periods`` when ``series``' invocations (placed uniformly at random in
    their periods: Poisson arrivals given the counts) run through lambdasim."""
    rng = np.random.default_rng(seed)
    p = series.period_s
    times = np.sort(np.concatenate([i * p + rng.random(round(n)) * p for i, n in enumerate(series.invocations)]))
    init: float | dist.Distribution = fit_init_duration(series.init_durations_s) if series.init_durations_s else 0.0
    sim = Simulation(seed=seed, settings=settings, concurrency_limit=100_000)
    sim.client("lambda").create_function(
        FunctionName=_FUNCTION, Handler=Behaviour(duration=series.warm_duration_s), InitDuration=init
    )
    Replay(function=_FUNCTION, times_s=times, invocation_type="RequestResponse").attach(sim)
    counts = []
    for end in range(window_periods, len(series.invocations) + window_periods, window_periods):
        sim.run(until=min(end, len(series.invocations)) * p)
        counts.append(sim.results().stats(_FUNCTION).cold_starts)
    return np.diff(np.asarray(counts, dtype=float), prepend=0.0)


# -- the fit ----------------------------------------------------------------------------------------------------


@frozen(kw_only=True)
class Check:
    """Observed against predicted, row by row, and the errors (fractions, not percent)."""

    observed_cold: tuple[float, ...]
    predicted_cold: tuple[float, ...]
    observed_instances: tuple[float | None, ...]
    predicted_instances: tuple[float, ...]

    @property
    def cold_start_mape(self) -> float:
        """MAPE of the cold-start share."""
        return mape(self.predicted_cold, self.observed_cold)

    @property
    def instances_mape(self) -> float | None:
        """MAPE of the mean environment count over the rows that observed it; ``None`` if none did."""
        pairs = [(p, o) for p, o in zip(self.predicted_instances, self.observed_instances, strict=True) if o]
        return mape([p for p, _ in pairs], [o for _, o in pairs]) if pairs else None


@frozen(kw_only=True)
class Calibration:
    """Fitted settings, the init-duration distribution, and how well they fit the observations used.

    Attributes:
        settings: The start settings with the fitted values.
        fitted: The fitted values by setting name.
        init_duration: Distribution of the init phase (s) fitted to the observations.
        loss: The objective at the fitted values (lower is better).
        evaluations: How many candidate settings were simulated.
        seeds: The seeds every candidate ran with (common random numbers).
    """

    settings: Settings
    fitted: Mapping[str, float]
    init_duration: dist.Distribution
    loss: float
    evaluations: int
    seeds: tuple[int, ...]

    def check(self, rows: Sequence[RateObservation]) -> Check:
        """Score the fitted settings on ``rows`` (observations held out from the fit, ideally)."""
        preds = [predict(self.settings, row, self.seeds) for row in rows]
        return Check(
            observed_cold=tuple(r.cold_start_share for r in rows),
            predicted_cold=tuple(p[0] for p in preds),
            observed_instances=tuple(r.mean_instances for r in rows),
            predicted_instances=tuple(p[1] for p in preds),
        )

    def check_series(self, series: CloudWatchSeries, window_periods: int = 60) -> float:
        """Weighted absolute percentage error of cold starts per window of ``window_periods`` on ``series``:
        ``sum |predicted - observed| / sum observed`` (robust to windows without cold starts)."""
        return _series_loss(self.settings, series, self.seeds, window_periods)


def _table_loss(
    settings: Settings, rows: Sequence[RateObservation], seeds: Sequence[int], instance_weight: float
) -> float:
    check = Calibration(
        settings=settings, fitted={}, init_duration=dist.Constant(0.0), loss=0.0, evaluations=0, seeds=tuple(seeds)
    ).check(rows)
    inst = check.instances_mape
    return check.cold_start_mape + (instance_weight * inst if inst is not None else 0.0)


def _series_loss(settings: Settings, series: CloudWatchSeries, seeds: Sequence[int], window_periods: int) -> float:
    if window_periods < 1:
        raise ValueError(f"window_periods must be >= 1, got {window_periods!r}")
    predicted = np.mean([_replay_cold_starts(settings, series, seed, window_periods) for seed in seeds], axis=0)
    observed = np.add.reduceat(np.asarray(series.cold_starts), np.arange(0, len(series.cold_starts), window_periods))
    return float(np.abs(predicted - observed).sum() / max(observed.sum(), 1.0))


def _coordinate_descent(
    loss: Any, start: Settings, grid: Mapping[str, Sequence[float]], rounds: int
) -> tuple[Settings, float, int]:
    """Minimise ``loss(settings)`` one setting at a time over its candidates, for up to ``rounds`` sweeps."""
    names = {f.name for f in attrs.fields(Settings)}
    for name, values in grid.items():
        if name not in names:
            raise ValueError(f"grid names an unknown setting {name!r}")
        if not values:
            raise ValueError(f"grid[{name!r}] holds no candidate values")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    if "least_recent_reuse_probability" in grid:
        start = attrs.evolve(start, environment_reuse="mixed")
    cache: dict[tuple[Any, ...], float] = {}

    def score(s: Settings) -> float:
        key = attrs.astuple(s)
        if key not in cache:
            cache[key] = loss(s)
        return cache[key]

    best, best_loss = start, score(start)
    for _ in range(rounds):
        moved = False
        for name, values in grid.items():
            for value in values:
                change: dict[str, Any] = {name: value}
                candidate = attrs.evolve(best, **change)
                value_loss = score(candidate)
                if value_loss < best_loss - 1e-12:
                    best, best_loss, moved = candidate, value_loss, True
        if not moved:
            break
    return best, best_loss, len(cache)


def fit_table(
    rows: Sequence[RateObservation],
    *,
    start: Settings | None = None,
    grid: Mapping[str, Sequence[float]] = DEFAULT_GRID,
    seeds: Sequence[int] = (1, 2),
    instance_weight: float = 1.0,
    rounds: int = 2,
) -> Calibration:
    """Fit the environment settings to a table of steady experiments.

    The objective is the MAPE of the cold-start share plus ``instance_weight`` times the MAPE of the mean
    environment count (over rows that observed it). Each candidate runs every row for its ``horizon_s`` with each
    of ``seeds``: the cost is ``evaluations * len(rows) * len(seeds)`` simulations. The init-duration distribution
    is the rows' init durations (a constant when they agree, else a fitted log-normal).
    """
    if not rows:
        raise ValueError("fit_table needs at least one observation")
    base = Settings() if start is None else start
    best, loss, n = _coordinate_descent(lambda s: _table_loss(s, rows, seeds, instance_weight), base, grid, rounds)
    inits = [r.init_duration_s for r in rows if r.init_duration_s > 0]
    init = fit_init_duration(inits) if inits else dist.Constant(0.0)
    fitted = {name: getattr(best, name) for name in grid}
    return Calibration(settings=best, fitted=fitted, init_duration=init, loss=loss, evaluations=n, seeds=tuple(seeds))


def fit_series(
    series: CloudWatchSeries,
    *,
    start: Settings | None = None,
    grid: Mapping[str, Sequence[float]] | None = None,
    seeds: Sequence[int] = (1, 2),
    window_periods: int = 60,
    rounds: int = 2,
) -> Calibration:
    """Fit the environment settings to CloudWatch-style series by replaying its invocations.

    The objective is :meth:`Calibration.check_series`'s error of cold starts per window. A series of one
    function's traffic mainly tells the idle timeout apart (its default grid: ``idle_timeout_s`` and
    ``idle_timeout_jitter_s``); pass a wider ``grid`` to fit more. The init-duration distribution is fitted to
    ``series.init_durations_s``.
    """
    base = Settings() if start is None else start
    if grid is None:
        grid = {k: DEFAULT_GRID[k] for k in ("idle_timeout_s", "idle_timeout_jitter_s")}
    best, loss, n = _coordinate_descent(lambda s: _series_loss(s, series, seeds, window_periods), base, grid, rounds)
    init = fit_init_duration(series.init_durations_s) if series.init_durations_s else dist.Constant(0.0)
    fitted = {name: getattr(best, name) for name in grid}
    return Calibration(settings=best, fitted=fitted, init_duration=init, loss=loss, evaluations=n, seeds=tuple(seeds))


def plot_table(
    rows: Sequence[RateObservation],
    predictions: Mapping[str, Check],
    *,
    held_out: Sequence[bool] | None = None,
) -> Figure:
    """Observed cold-start share and environment count against arrival rate, with each named prediction as a
    line (``{"fitted": calibration.check(rows), ...}``); ``held_out`` marks rows not used in the fit (hollow)."""
    import matplotlib.pyplot as plt  # imported only when a figure is wanted

    fig, (ax_cold, ax_inst) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    rates = np.array([r.arrival_rate_per_s for r in rows])
    order = np.argsort(rates)
    marks = np.zeros(len(rows), dtype=bool) if held_out is None else np.asarray(held_out, dtype=bool)
    cold = np.array([r.cold_start_share for r in rows])
    inst = np.array([np.nan if r.mean_instances is None else r.mean_instances for r in rows])
    for ax, observed in ((ax_cold, cold), (ax_inst, inst)):
        ax.plot(rates[~marks], observed[~marks], "ko", label="observed (fitted to)" if marks.any() else "observed")
        if marks.any():
            ax.plot(rates[marks], observed[marks], "o", mfc="none", mec="k", label="observed (held out)")
    for label, check in predictions.items():
        ax_cold.plot(rates[order], np.asarray(check.predicted_cold)[order], "-", label=label)
        ax_inst.plot(rates[order], np.asarray(check.predicted_instances)[order], "-", label=label)
    ax_cold.set(xscale="log", yscale="log", xlabel="arrival rate (1/s)", ylabel="cold-start share")
    ax_inst.set(xscale="log", xlabel="arrival rate (1/s)", ylabel="mean execution environments")
    ax_cold.legend(fontsize=8)
    return fig
