"""Replications and sweeps: many seeded runs of a model, on any ``concurrent.futures`` executor.

- :func:`replicate` runs a :class:`~lambdasim.model.Model` ``n`` times with independent seeds and gives, for each
  metric, the mean and a t-based confidence interval (:class:`Replications`).
- :func:`sweep` runs a grid of variations of a model (``"functions[orders].reserved_concurrency": [5, 10, 20]``), each
  with the same replications, and returns tidy tables (:class:`Sweep`): one row per setting and replication, and a
  summary per setting and metric.
- :func:`simulate` runs one seed and also records a timeline (:mod:`lambdasim.planning.probe`) for plotting.

Seeds: replication ``r`` runs with a seed spawned from ``numpy.random.SeedSequence(seed)``; every setting of a sweep
uses the same replication seeds, so settings are compared on common random numbers (the same arrivals and draws).
Each run is a pure function of its model and seed, so results are identical whatever runs them: serially, in local
processes, or on a dask cluster through ``distributed.Client(...).get_executor()``. Runs in other processes need
picklable models: handlers as importable module-level functions or :class:`~lambdasim.Behaviour`\\ s, metrics as
module-level functions or :class:`Metrics`.

Warm-up: a model's ``warmup_s`` makes every statistic cover ``[warmup_s, horizon_s]`` only.

>>> import lambdasim as ls
>>> from lambdasim import dist
>>> from lambdasim.planning.experiment import replicate
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.workload import Poisson
>>> model = Model(functions=[Function(name="f", behaviour=ls.Behaviour(duration=dist.Exponential(0.5)))],
...               workloads=[Poisson(function="f", rate_per_s=10.0, stop_s=400.0)],
...               horizon_s=400.0, warmup_s=100.0)
>>> reps = replicate(model, n=5, seed=1)
>>> ci = reps.interval("concurrency_mean")      # Little's law: 10/s x 0.5 s = 5 busy on average
>>> ci.low < 5.0 < ci.high
True
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import re
import statistics
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np
from attrs import field, frozen

from lambdasim.core._optional import require
from lambdasim.core._validators import check_range
from lambdasim.core.cost import Month
from lambdasim.core.rules import Condition
from lambdasim.core.stats import Tally
from lambdasim.planning._progress import progress_bar, run_with_progress

if TYPE_CHECKING:
    from lambdasim.core.results import Results
    from lambdasim.planning.model import Model
    from lambdasim.planning.probe import TimeSeries

__all__ = [
    "Interval",
    "Metrics",
    "Replications",
    "Run",
    "Sweep",
    "get_path",
    "interval",
    "replicate",
    "replication_seeds",
    "set_path",
    "simulate",
    "sweep",
    "t_quantile",
]

MetricsFn: TypeAlias = Callable[["Results"], Mapping[str, float]]
"""What a run is measured by: results in, ``{metric name: number}`` out."""

PROCESSES_FROM = 8
"""With ``executor=None``, this many runs or more go to a local process pool (if there is more than one core)."""


# -- statistics ------------------------------------------------------------------------------------------------


def _t_cdf(x: float, df: int) -> float:
    """Student's t CDF for integer ``df`` >= 1, exactly (Abramowitz and Stegun 26.7.3 and 26.7.4)."""
    theta = math.atan(abs(x) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        total = 0.0
        if df > 1:
            term = total = 1.0
            for k in range(1, (df - 3) // 2 + 1):
                term *= 2 * k / (2 * k + 1) * c2
                total += term
        a = 2 / math.pi * (theta + s * math.cos(theta) * total)
    else:
        term = total = 1.0
        for k in range(1, (df - 2) // 2 + 1):
            term *= (2 * k - 1) / (2 * k) * c2
            total += term
        a = s * total
    return 0.5 + 0.5 * a if x >= 0 else 0.5 - 0.5 * a


def t_quantile(p: float, df: int) -> float:
    """The ``p``-quantile of Student's t with ``df`` degrees of freedom (integer >= 1), to about 1e-12.

    >>> round(t_quantile(0.975, 9), 6), round(t_quantile(0.975, 1), 4)
    (2.262157, 12.7062)
    """
    check_range("p", p, 0.0, 1.0, low_open=True, high_open=True)
    check_range("df", df, 1, integer=True)
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if _t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low <= 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


@frozen
class Interval:
    """A mean with its t-based confidence interval.

    Attributes:
        mean: The sample mean.
        low: Lower end of the interval.
        high: Upper end.
        half_width: ``t * std / sqrt(n)``.
        std: Sample standard deviation.
        n: Number of values (``nan`` figures below two).
        confidence: Confidence level, for example 0.95.
    """

    mean: float
    low: float
    high: float
    half_width: float
    std: float
    n: int
    confidence: float

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high


def interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean and t-based confidence interval of ``values`` (independent replications of one figure).

    ``nan`` values (a quantile of nothing, for example) are left out.

    >>> ci = interval([9.0, 10.0, 11.0])
    >>> ci.mean, round(ci.half_width, 4)
    (10.0, 2.4841)
    """
    check_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    xs = [float(v) for v in values if not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, math.nan, 0, confidence)
    mean = statistics.fmean(xs)
    if n == 1:
        return Interval(mean, math.nan, math.nan, math.nan, math.nan, 1, confidence)
    std = statistics.stdev(xs)
    half = t_quantile(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, half, std, n, confidence)


# -- metrics ---------------------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _tally_metrics(prefix: str, t: Tally, quantiles: Sequence[float]) -> dict[str, float]:
    empty = t.count == 0
    out = {f"{prefix}_mean_s": math.nan if empty else t.mean, f"{prefix}_max_s": math.nan if empty else t.max}
    for q in quantiles:
        out[f"{prefix}_p{q * 100:g}_s"] = t.quantile(q)
    return out


def _function_metrics(results: Results, name: str, quantiles: Sequence[float]) -> dict[str, float]:
    st = results.stats(name)
    now = results.now
    received = st.received + st.duplicates
    out: dict[str, float] = {
        "received": float(st.received),
        "carried_in": float(st.carried_in),
        "attempts": float(st.attempts),
        "invocations": float(st.invocations),
        "errors": float(st.errors),
        "throttles": float(sum(st.throttles.values())),
        "sync_throttles": float(st.sync_throttles),
        "cold_starts": float(st.cold_starts),
        "in_flight": float(st.in_flight),
    }
    for condition in Condition:
        out[_snake(condition.value)] = float(st.outcomes[condition])
    dropped = sum(n for c, n in st.outcomes.items() if c is not Condition.SUCCESS)
    out["async_events_dropped"] = float(dropped)
    out["dropped_fraction"] = dropped / received if received else math.nan
    out.update(_tally_metrics("event_age", st.event_age, quantiles))
    out.update(_tally_metrics("first_attempt_age", st.age_by_attempt[0], quantiles))
    out.update(_tally_metrics("end_to_end", st.end_to_end, quantiles))
    out.update(_tally_metrics("time_to_success", st.time_to_success, quantiles))
    out.update(_tally_metrics("time_to_discard", st.time_to_discard, quantiles))
    out.update(_tally_metrics("duration", st.duration, quantiles))
    out["concurrency_mean"] = st.concurrency.mean(now)
    out["concurrency_max"] = float(st.concurrency.max)
    out["queue_depth_mean"] = st.queued.mean(now)
    out["queue_depth_max"] = float(st.queued.max)
    return out


@frozen(kw_only=True)
class Metrics:
    """The standard measures of a run, as a flat ``{name: number}``: what sweeps tabulate by default.

    Per function: ``received``, ``carried_in`` (events in flight at the end of a warm-up, whose outcomes count
    here: ``received + carried_in`` + duplicates = the outcomes + ``in_flight``), ``attempts``, ``invocations``,
    ``errors``, ``throttles``, ``sync_throttles``, ``cold_starts``, ``in_flight``; the outcome counts ``success``,
    ``retries_exhausted``, ``event_age_exceeded``, ``zero_reserved_concurrency``, ``dropped``;
    ``async_events_dropped`` (every outcome but success, as CloudWatch's ``AsyncEventsDropped``) and
    ``dropped_fraction``; ``<x>_mean_s``, ``<x>_max_s`` and ``<x>_p<q>_s`` (``nan`` when nothing was measured)
    for ``x`` in:

    - ``time_to_success``: from ``Invoke`` to the end of the attempt that succeeded, retries and throttle waits
      included: how long an upload takes to be processed;
    - ``time_to_discard``: from ``Invoke`` to the event's discard (retries exhausted, too old, dropped): how long
      until it is given up;
    - ``end_to_end``: both together (every outcome);
    - ``event_age``: the age at every attempt (CloudWatch's ``AsyncEventAge``); ``first_attempt_age``: at the
      first attempt only (the wait before any work starts);
    - ``duration``: the run time of each attempt;

    ``concurrency_mean``/``_max`` and ``queue_depth_mean``/``_max``; and, with ``cost``, ``cost`` (the measured
    window's bill), ``gb_seconds`` (billed) and ``cost_monthly`` (that bill repeated over a month as ``month``
    says).

    Per SQS queue of the run (``queues``), prefixed ``queue.<name>.``: ``sent``, ``deleted``,
    ``moved_to_dead_letter``, ``expired``, ``in_queue`` (left at the end), ``depth_mean``/``_max`` (messages stored
    over time), ``dwell_mean_s``/``_max_s``/``_p50_s``/``_p90_s``/``_p99_s`` (send to delete),
    ``receives_mean``/``_max`` (receives per deleted message), ``age_of_oldest_message_s`` (at the end),
    ``requests`` and, with ``cost``, ``request_cost``, which ``cost`` then includes.

    Per stream of the run (``streams``), prefixed ``stream.<name>.``: ``records_put``, ``write_throttles``,
    ``expired`` (from the stream); summed over the stream's mappings, ``processed``, ``discarded``,
    ``mapping_expired`` (records that passed retention before they were processed), ``pending`` (left at the end),
    ``invokes``, ``errors``; ``iterator_age_max_s`` and ``iterator_age_mean_s`` (CloudWatch's ``IteratorAge``); and,
    with ``cost``, ``stream_cost`` (shard-hours and PUT units), which ``cost`` then includes.

    Attributes:
        function: Measure this function only; ``None`` measures the only function, or, when a model has several,
            every function with its name as a prefix (``"orders.success"``).
        quantiles: The quantiles reported (default p50 and p99).
        cost: Include the bill (current prices).
        queues: Include the queues' measures.
        streams: Include the streams' measures.
        month: How ``cost_monthly`` repeats the measured window: ``Month.calendar()`` (default: 730 hours of
            traffic like the window's) or ``Month.working_days(22)`` (the window is one working day).
    """

    function: str | None = None
    quantiles: tuple[float, ...] = field(default=(0.5, 0.99), converter=tuple)
    cost: bool = True
    queues: bool = True
    streams: bool = True
    month: Month = field(factory=Month, validator=attrs.validators.instance_of(Month))

    def __call__(self, results: Results) -> dict[str, float]:
        names = [self.function] if self.function is not None else list(results.functions)
        single = len(names) == 1
        out: dict[str, float] = {}
        for name in names:
            figures = _function_metrics(results, name, self.quantiles)
            out.update(figures if single else {f"{name}.{k}": v for k, v in figures.items()})
        if self.cost:
            from lambdasim.core.cost import bill

            b = bill(results)
            lines = [b[n] for n in names]
            out["cost"] = sum(line.total for line in lines)
            out["gb_seconds"] = sum(line.gb_seconds for line in lines)
            if self.queues:
                out["cost"] += sum(q["request_cost"] for q in results.queues.values())
            if self.streams:
                out["cost"] += sum(st["cost"] for st in results.streams.values())
            out["cost_monthly"] = out["cost"] * self.month.scale(b.window_s) if b.window_s > 0 else math.nan
        if self.queues:
            for name, q in results.queues.items():
                out.update({f"queue.{name}.{k}": v for k, v in _queue_metrics(q, self.cost).items()})
        if self.streams:
            for name, st in results.streams.items():
                mappings = [m for m in results.stream_mappings.values() if m["stream"] == name]
                out.update({f"stream.{name}.{k}": v for k, v in _stream_metrics(st, mappings, self.cost).items()})
        return out


def _stream_metrics(st: dict[str, Any], mappings: list[dict[str, Any]], cost: bool) -> dict[str, float]:
    invokes = sum(m["invokes"] for m in mappings)
    samples = sum(m["iterator_age_samples"] for m in mappings)
    out = {
        "records_put": float(st["records_put"]),
        "write_throttles": float(st["write_throttles"]),
        "expired": float(st["expired"]),
        "processed": float(sum(m["processed"] for m in mappings)),
        "discarded": float(sum(m["discarded"] for m in mappings)),
        "mapping_expired": float(sum(m["expired"] for m in mappings)),
        "pending": float(sum(m["pending"] for m in mappings)),
        "invokes": float(invokes),
        "errors": float(sum(m["errors"] for m in mappings)),
        "iterator_age_max_s": max((m["iterator_age_ms_max"] / 1000 for m in mappings), default=math.nan),
        "iterator_age_mean_s": (
            sum(m["iterator_age_ms_mean"] * m["iterator_age_samples"] for m in mappings) / samples / 1000
            if samples
            else math.nan
        ),
    }
    if cost:
        out["stream_cost"] = float(st["cost"])
    return out


def _queue_metrics(q: dict[str, Any], cost: bool) -> dict[str, float]:
    def num(value: Any) -> float:
        return math.nan if value is None else float(value)

    dwell, receives, depth = q["dwell_s"], q["receives_per_message"], q["depth"]
    out = {
        "sent": float(q["sent"]),
        "deleted": float(q["deleted"]),
        "moved_to_dead_letter": float(q["moved_to_dead_letter"]),
        "expired": float(q["expired"]),
        "in_queue": float(q["visible"] + q["in_flight"] + q["delayed"]),
        "depth_mean": float(depth["mean"]),
        "depth_max": float(depth["max"]),
        "dwell_mean_s": num(dwell["mean"]),
        "dwell_max_s": num(dwell["max"]),
        "dwell_p50_s": num(dwell["p50"]),
        "dwell_p90_s": num(dwell["p90"]),
        "dwell_p99_s": num(dwell["p99"]),
        "receives_mean": num(receives["mean"]),
        "receives_max": num(receives["max"]),
        "age_of_oldest_message_s": float(q["age_of_oldest_message_s"]),
        "requests": float(q["requests"]),
    }
    if cost:
        out["request_cost"] = float(q["request_cost"])
    return out


# -- paths into a model ----------------------------------------------------------------------------------------

_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[([^\]]+)\]")


def _steps(path: str) -> list[str | tuple[str]]:
    """``"functions[0].memory_mb"`` -> ``["functions", ("0",), "memory_mb"]`` (indexes as 1-tuples)."""
    if not isinstance(path, str) or not path:
        raise TypeError(f"a path must be a string such as 'functions[0].memory_mb', got {path!r}")
    steps: list[str | tuple[str]] = []
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None or (pos == 0 and path.startswith(".")):
            raise ValueError(f"cannot read path {path!r} at {path[pos:]!r}")
        steps.append(m.group(1) if m.group(1) is not None else (m.group(2).strip().strip("'\""),))
        pos = m.end()
    return steps


def _index(seq: Sequence[Any], key: str, path: str) -> int:
    if key.lstrip("-").isdigit():
        i = int(key)
        if not -len(seq) <= i < len(seq):
            raise IndexError(f"{path}: index {i} out of range for {len(seq)} items")
        return i % len(seq)
    hits = [i for i, item in enumerate(seq) if getattr(item, "name", None) == key]
    if len(hits) != 1:
        names = [getattr(item, "name", None) for item in seq]
        what = "no item" if not hits else "several items"
        raise KeyError(f"{path}: {what} named {key!r}; names: {names}")
    return hits[0]


def _check_field(obj: Any, name: str, path: str) -> None:
    if not attrs.has(type(obj)):
        raise TypeError(f"{path}: cannot go into {name!r} of {obj!r}, which is not a configuration object")
    names = [a.name for a in attrs.fields(type(obj))]
    if name not in names:
        raise AttributeError(f"{path}: {type(obj).__name__} has no field {name!r}; fields: {names}")


def get_path(obj: Any, path: str) -> Any:
    """The value at ``path`` in a configuration object: ``get_path(model, "functions[orders].memory_mb")``.

    A path is attribute names joined by dots, with ``[i]`` (a position) or ``[name]`` (the item whose ``name`` is
    that) into tuples such as ``functions`` and ``workloads``.
    """
    value = obj
    for step in _steps(path):
        if isinstance(step, tuple):
            value = value[_index(value, step[0], path)]
        else:
            _check_field(value, step, path)
            value = getattr(value, step)
    return value


def set_path(obj: Any, path: str, value: Any) -> Any:
    """A copy of ``obj`` with ``value`` at ``path`` (see :func:`get_path`), built with ``attrs.evolve`` all the way
    down, so every object on the path validates the change where it is written.

    >>> import lambdasim as ls
    >>> from lambdasim.planning.model import Function, Model
    >>> m = Model(functions=[Function(name="orders", behaviour=ls.Behaviour())])
    >>> set_path(m, "functions[orders].reserved_concurrency", 7).functions[0].reserved_concurrency
    7
    """
    return _set(obj, _steps(path), value, path)


def _set(obj: Any, steps: list[str | tuple[str]], value: Any, path: str) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, tuple):
        if not isinstance(obj, (tuple, list)):
            raise TypeError(f"{path}: cannot index {obj!r}")
        i = _index(obj, step[0], path)
        items = list(obj)
        items[i] = _set(items[i], rest, value, path)
        return type(obj)(items)
    _check_field(obj, step, path)
    current = getattr(obj, step)
    if current is None and rest:
        raise ValueError(f"{path}: {step!r} is None in {type(obj).__name__}; set it to an object first")
    return attrs.evolve(obj, **{step: _set(current, rest, value, path)})


Variation: TypeAlias = "str | Callable[[Model, Any], Model]"
"""What a sweep varies: a path (:func:`set_path`) or a callable ``(model, value) -> model``."""


def _label(key: Variation) -> str:
    if isinstance(key, str):
        return key
    return str(getattr(key, "label", None) or getattr(key, "__name__", None) or repr(key))


def _apply(model: Model, setting: Mapping[Variation, Any]) -> Model:
    for key, value in setting.items():
        model = set_path(model, key, value) if isinstance(key, str) else key(model, value)
    return model


# -- running ---------------------------------------------------------------------------------------------------


def replication_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds spawned from ``SeedSequence(seed)``: replication ``r`` runs with the ``r``-th.

    >>> replication_seeds(1, 3) == replication_seeds(1, 3) and len(set(replication_seeds(1, 100))) == 100
    True
    """
    check_range("seed", seed, 0, integer=True)
    check_range("n", n, 1, integer=True)
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def _run_one(model: Model, seed: int, metrics: MetricsFn) -> dict[str, float]:
    """One run, measured: what every executor runs (module-level, so process pools can pickle it)."""
    return {k: float(v) for k, v in metrics(model.run(seed, progress=False)).items()}


class _Serial(Executor):
    """Runs each task at once, in this process: the executor for a few runs."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _process_pool(workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    # fork starts fast and sees functions defined in a notebook; forking a process with threads is unsafe.
    method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


ExecutorChoice: TypeAlias = "Executor | str | None"
"""``None`` (serial for a few runs, processes for many), ``"serial"``, ``"processes"`` or any ``Executor``."""


def _executor(choice: ExecutorChoice, runs: int) -> tuple[Executor, bool]:
    """The executor to use and whether this module owns it (and shuts it down)."""
    if isinstance(choice, Executor):
        return choice, False
    cores = os.cpu_count() or 1
    if choice is None:
        choice = "processes" if runs >= PROCESSES_FROM and cores > 1 else "serial"
    if choice == "serial":
        return _Serial(), True
    if choice == "processes":
        return _process_pool(max(1, min(cores, runs))), True
    raise ValueError(f"executor must be None, 'serial', 'processes' or a concurrent.futures.Executor, got {choice!r}")


def _run_all(
    tasks: Sequence[tuple[Model, int]], metrics: MetricsFn, executor: ExecutorChoice, progress: bool | None, desc: str
) -> list[dict[str, float]]:
    """Run every ``(model, seed)`` and return the measures in task order, whatever order they finish in."""
    pool, owned = _executor(executor, len(tasks))
    bar = progress_bar(len(tasks), progress=progress, desc=desc)
    results: list[dict[str, float] | None] = [None] * len(tasks)
    try:
        futures = {pool.submit(_run_one, model, seed, metrics): i for i, (model, seed) in enumerate(tasks)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    return [r for r in results if r is not None]


# -- replications ----------------------------------------------------------------------------------------------


@frozen(kw_only=True)
class Replications:
    """Independent replications of one model: per-replication measures, means and confidence intervals.

    Attributes:
        seeds: The seed of each replication.
        runs: The measures of each replication (``{metric: value}``), in seed order.
        confidence: Confidence level of :meth:`interval`.
    """

    seeds: tuple[int, ...]
    runs: tuple[dict[str, float], ...]
    confidence: float = 0.95

    @property
    def metrics(self) -> list[str]:
        """The measured metrics' names."""
        return list(self.runs[0]) if self.runs else []

    def values(self, metric: str) -> np.ndarray[Any, Any]:
        """One value per replication."""
        if self.runs and metric not in self.runs[0]:
            raise KeyError(f"no metric {metric!r}; metrics: {self.metrics}")
        return np.array([r[metric] for r in self.runs], dtype=float)

    def mean(self, metric: str) -> float:
        """The mean over replications (``nan`` values left out)."""
        return self.interval(metric).mean

    def interval(self, metric: str, confidence: float | None = None) -> Interval:
        """The t-based confidence interval of ``metric``'s mean."""
        return interval(self.values(metric), self.confidence if confidence is None else confidence)

    def frame(self) -> Any:
        """A pandas DataFrame, one row per replication: ``replication``, ``seed`` and every metric."""
        pandas = require("pandas", "pandas")
        rows = [{"replication": r, "seed": s, **m} for r, (s, m) in enumerate(zip(self.seeds, self.runs, strict=True))]
        return pandas.DataFrame(rows)

    def summary(self) -> Any:
        """A pandas DataFrame, one row per metric: ``mean``, ``std``, ``n``, ``ci_low``, ``ci_high``, ``half_width``."""
        pandas = require("pandas", "pandas")
        rows = [_interval_row(m, self.interval(m)) for m in self.metrics]
        return pandas.DataFrame(rows).set_index("metric")


def _interval_row(metric: str, ci: Interval) -> dict[str, Any]:
    return {
        "metric": metric,
        "mean": ci.mean,
        "std": ci.std,
        "n": ci.n,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "half_width": ci.half_width,
    }


def replicate(
    model: Model,
    n: int = 10,
    *,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = None,
    confidence: float = 0.95,
) -> Replications:
    """Run ``model`` ``n`` times with seeds spawned from ``seed`` and measure each run.

    Args:
        model: The model; its ``horizon_s`` (and ``warmup_s``) bound each run.
        n: Replications (>= 1; confidence intervals need 2 or more).
        seed: The root seed (>= 0).
        metrics: ``results -> {name: number}`` (default :class:`Metrics`).
        executor: ``None`` (serial for fewer than :data:`PROCESSES_FROM` runs, else local processes),
            ``"serial"``, ``"processes"``, or any ``concurrent.futures.Executor`` (for example a dask
            ``Client.get_executor()``); the results do not depend on it.
        progress: A progress bar (``None``: in notebooks and terminals only).
        confidence: Level of the confidence intervals.
    """
    check_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    measure = Metrics() if metrics is None else metrics
    seeds = replication_seeds(seed, n)
    runs = _run_all([(model, s) for s in seeds], measure, executor, progress, "replications")
    return Replications(seeds=tuple(seeds), runs=tuple(runs), confidence=confidence)


# -- sweeps ----------------------------------------------------------------------------------------------------


def _settings(
    grid: Mapping[Variation, Sequence[Any]] | Sequence[Mapping[Variation, Any]],
) -> list[dict[Variation, Any]]:
    if isinstance(grid, Mapping):
        keys = list(grid)
        for k in keys:
            if not isinstance(k, str) and not callable(k):
                raise TypeError(f"grid keys must be paths or callables (model, value) -> model, got {k!r}")
            if isinstance(grid[k], (str, bytes)) or not isinstance(grid[k], Iterable):
                raise TypeError(f"grid[{_label(k)!r}] must be a sequence of values, got {grid[k]!r}")
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(list(grid[k]) for k in keys))]
    settings = [dict(s) for s in grid]
    if not settings:
        raise ValueError("grid must hold at least one setting")
    return settings


@frozen(kw_only=True)
class Sweep:
    """The measures of every setting of a sweep, replication by replication.

    Attributes:
        parameters: The swept parameters' column names, in grid order.
        rows: One dict per setting and replication: the parameters, ``replication``, ``seed``, then the metrics.
        confidence: Confidence level of the summary's intervals.
    """

    parameters: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    confidence: float = 0.95

    @property
    def metrics(self) -> list[str]:
        """The measured metrics' names."""
        skip = {*self.parameters, "replication", "seed"}
        return [k for k in self.rows[0] if k not in skip] if self.rows else []

    def frame(self) -> Any:
        """Tidy pandas DataFrame: one row per setting and replication."""
        pandas = require("pandas", "pandas")
        return pandas.DataFrame(list(self.rows))

    def _groups(self) -> Iterator[tuple[tuple[Any, ...], list[dict[str, Any]]]]:
        order: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in self.rows:
            order.setdefault(tuple(row[p] for p in self.parameters), []).append(row)
        return iter(order.items())

    def interval(self, metric: str, **setting: Any) -> Interval:
        """The confidence interval of ``metric`` at one setting, named by its parameters' column names.

        Parameters with names that are not identifiers can be passed as ``**{"functions[0].memory_mb": 512}``.
        """
        for key, rows in self._groups():
            if all(setting.get(p, key[i]) == key[i] for i, p in enumerate(self.parameters)):
                return interval((r[metric] for r in rows), self.confidence)
        raise KeyError(f"no setting {setting!r} in this sweep")

    def summary(self) -> Any:
        """Tidy pandas DataFrame: one row per setting and metric, with ``mean``, ``std``, ``n``, ``ci_low``,
        ``ci_high`` and ``half_width``."""
        pandas = require("pandas", "pandas")
        out = []
        for key, rows in self._groups():
            params = dict(zip(self.parameters, key, strict=True))
            for metric in self.metrics:
                ci = interval((r[metric] for r in rows), self.confidence)
                out.append({**params, **_interval_row(metric, ci)})
        return pandas.DataFrame(out)

    def pivot(self, metric: str, statistic: str = "mean") -> Any:
        """The summary of one metric as a table: the first parameter down, the second (if any) across."""
        table = self.summary()
        table = table[table["metric"] == metric]
        if len(self.parameters) == 1:
            return table.set_index(self.parameters[0])[statistic]
        return table.pivot_table(index=self.parameters[0], columns=self.parameters[1], values=statistic)


def sweep(
    model: Model,
    grid: Mapping[Variation, Sequence[Any]] | Sequence[Mapping[Variation, Any]],
    *,
    replications: int = 5,
    seed: int = 0,
    metrics: MetricsFn | None = None,
    executor: ExecutorChoice = None,
    progress: bool | None = None,
    confidence: float = 0.95,
) -> Sweep:
    """Run every setting of ``grid`` on ``model``, ``replications`` times each, and tabulate the measures.

    Args:
        model: The base model.
        grid: Either ``{variation: values}`` (every combination is run) or a list of ``{variation: value}``
            settings. A variation is a path such as ``"functions[orders].reserved_concurrency"`` or
            ``"settings.retry_delays_s"`` (see :func:`set_path`), or a callable ``(model, value) -> model`` (its
            ``label`` or ``__name__`` names the column), such as :class:`lambdasim.planning.capacity.MemoryDurations`.
        replications: Runs per setting; replication ``r`` has the same seed at every setting.
        seed, metrics, executor, progress, confidence: As for :func:`replicate`.

    Settings are built and validated here, before anything runs: a value out of range fails at once.
    """
    check_range("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    measure = Metrics() if metrics is None else metrics
    settings = _settings(grid)
    labels = tuple(_label(k) for k in settings[0])
    models = [_apply(model, s) for s in settings]
    seeds = replication_seeds(seed, replications)
    tasks = [(m, s) for m in models for s in seeds]
    measured = _run_all(tasks, measure, executor, progress, "sweep")
    rows = []
    for k, values in enumerate(measured):
        setting = settings[k // replications]
        r = k % replications
        params = {_label(key): v for key, v in setting.items()}
        rows.append({**params, "replication": r, "seed": seeds[r], **values})
    return Sweep(parameters=labels, rows=tuple(rows), confidence=confidence)


# -- one run, with a timeline ----------------------------------------------------------------------------------


@frozen
class Run:
    """One seeded run: its results and each function's timeline.

    Attributes:
        results: The run's :class:`~lambdasim.Results`.
        series: ``{function: TimeSeries}`` sampled every ``interval_s``.
        seed: The seed.
    """

    results: Results
    series: dict[str, TimeSeries]
    seed: int


def simulate(model: Model, seed: int = 0, *, interval_s: float = 60.0, progress: bool | None = None) -> Run:
    """Run ``model`` once with ``seed`` and record every function's timeline, with the horizon rules of
    :meth:`Model.run <lambdasim.model.Model.run>`: to ``horizon_s``, or, without one, until nothing is left to do.

    The timeline covers the whole run, warm-up included; the results cover what follows the warm-up. Without a
    horizon the timeline's last sample falls on the first sampling time after the last event, so the results are
    taken then: the same counts and outcomes as ``run``, time averages over up to one interval more. A progress
    bar needs a horizon (without one there is no end to measure progress against).
    """
    from lambdasim.planning.probe import Probe

    horizon = model.horizon_s
    sim = model.build(seed)
    probe = Probe(sim, interval_s=interval_s, until_s=horizon)
    bar = None if horizon is None else progress_bar(horizon, progress=progress, desc="simulated s", unit="s")
    try:
        run_with_progress(sim, horizon, bar)
    finally:
        if bar is not None:
            bar.close()
    probe.flush()
    return Run(sim.results(), {name: probe.series(name) for name in probe.functions}, seed)
