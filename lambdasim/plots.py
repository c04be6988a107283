"""Figures for capacity planning, with matplotlib. Each function draws on ``ax=`` (a new figure if ``None``) and
returns it, so figures compose; nothing here needs a display (use any backend, ``Agg`` included).

- :func:`timeline` and :func:`dashboard`: arrivals, queue depth, concurrency, throttles and outcomes over time,
  from a run's timeline (:func:`lambdasim.experiment.simulate`, :class:`lambdasim.probe.Probe`);
- :func:`metric`: one CloudWatch-style metric per period, as the console graphs it (``Results.metric``);
- :func:`outcomes_over_time`: where events ended, interval by interval;
- :func:`cdf`: the distribution of event age or end-to-end time, from the results' quantile sketches;
- :func:`outcome_breakdown`: outcome shares per function;
- :func:`sweep_curve` and :func:`heatmap`: a metric across a sweep, with confidence intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lambdasim.rules import Condition

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.experiment import Sweep
    from lambdasim.probe import TimeSeries
    from lambdasim.results import Results

__all__ = [
    "cdf",
    "dashboard",
    "heatmap",
    "metric",
    "outcome_breakdown",
    "outcomes_over_time",
    "sweep_curve",
    "timeline",
]

_TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}
_LABELS = {
    "received": "events received",
    "invocations": "invocations",
    "errors": "function errors",
    "throttles": "throttles",
    "sync_throttles": "synchronous throttles",
    "queue_depth": "queue depth",
    "queue_depth_mean": "queue depth (mean)",
    "concurrency": "concurrency",
    "concurrency_mean": "concurrency (mean)",
    "retry_waiting": "waiting for a retry",
    "retry_waiting_mean": "waiting for a retry (mean)",
}
_OUTCOME_COLOURS = {
    "Success": "tab:green",
    "RetriesExhausted": "tab:red",
    "EventAgeExceeded": "tab:orange",
    "ZeroReservedConcurrency": "tab:purple",
    "Dropped": "tab:gray",
}
_SKETCHES = ("event_age", "first_attempt_age", "end_to_end", "duration")


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots()
    return new


def _seconds_per(unit: str) -> float:
    """Seconds in one ``time_unit`` (``"s"``, ``"min"`` or ``"h"``)."""
    if unit not in _TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(_TIME_UNITS)}, got {unit!r}")
    return _TIME_UNITS[unit]


def _time(series: TimeSeries, unit: str) -> np.ndarray[Any, Any]:
    return series.time_s / _seconds_per(unit)


def _summary_of(sweep: Sweep, metric: str) -> Any:
    """The rows of ``sweep.summary`` for ``metric`` (``ValueError`` naming the metrics if it has none)."""
    table = sweep.summary()
    table = table[table["metric"] == metric]
    if table.empty:
        raise ValueError(f"no metric {metric!r} in this sweep; metrics: {sweep.metrics}")
    return table


def timeline(
    series: TimeSeries,
    what: str | Sequence[str] = ("concurrency_mean", "queue_depth_mean"),
    *,
    ax: Axes | None = None,
    time_unit: str = "min",
) -> Axes:
    """Plot series of a timeline against time, one line each (counts are per sampling interval).

    ``what`` names entries of the :class:`~lambdasim.probe.TimeSeries`: counters (``received``, ``invocations``,
    ``errors``, ``throttles``, ``sync_throttles``, an outcome such as ``"Success"``) or levels (``queue_depth``,
    ``concurrency``, ``retry_waiting``, at each sample, or ``<level>_mean`` over each interval).
    """
    ax = _axes(ax)
    t = _time(series, time_unit)
    names = [what] if isinstance(what, str) else list(what)
    for name in names:
        ax.step(t, series[name], where="post" if name.endswith("_mean") else "mid", label=_LABELS.get(name, name))
    ax.set_xlabel(f"simulated time ({time_unit})")
    ax.set_title(f"{series.function} (every {series.interval_s:g} s)")
    ax.legend(loc="best", fontsize="small")
    return ax


def metric(
    results: Results,
    function: str,
    name: str,
    statistic: str = "Sum",
    *,
    ax: Axes | None = None,
    time_unit: str = "min",
) -> Axes:
    """One CloudWatch-style metric of ``function`` (namespace ``AWS/Lambda``) per period, for example
    ``metric(results, "orders", "ConcurrentExecutions", "Maximum")`` or ``(..., "AsyncEventAge", "p99")``.

    Periods without data are not drawn (CloudWatch shows no datapoint there either).
    """
    scale = _seconds_per(time_unit)
    points = results.metric(function, name, statistic)
    ax = _axes(ax)
    ax.plot([t / scale for t, _ in points], [v for _, v in points], marker=".", label=f"{name} {statistic}")
    ax.set_xlabel(f"simulated time ({time_unit}), period start")
    ax.set_ylabel(f"{name} ({statistic})")
    ax.set_title(function)
    ax.legend(loc="best", fontsize="small")
    return ax


def outcomes_over_time(series: TimeSeries, *, ax: Axes | None = None, time_unit: str = "min") -> Axes:
    """Stacked bars of outcomes per interval, by condition (only conditions that occurred)."""
    ax = _axes(ax)
    t = _time(series, time_unit)
    width = series.interval_s / _seconds_per(time_unit)
    bottom = np.zeros_like(t)
    for condition, counts in series.outcomes().items():
        if counts.any():
            ax.bar(
                t - width,
                counts,
                width=width,
                bottom=bottom,
                align="edge",
                label=condition,
                color=_OUTCOME_COLOURS.get(condition),
            )
            bottom = bottom + counts
    ax.set_xlabel(f"simulated time ({time_unit})")
    ax.set_ylabel(f"outcomes per {series.interval_s:g} s")
    if bottom.any():
        ax.legend(loc="best", fontsize="small")
    return ax


def dashboard(series: TimeSeries, *, axes: Sequence[Axes] | None = None, time_unit: str = "min") -> Sequence[Axes]:
    """Four panels sharing the time axis: arrivals, queue depth and retries, concurrency, throttles and outcomes.

    Returns the axes (a new figure of four rows if ``axes`` is ``None``).
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(4, 1, sharex=True, figsize=(8, 9))
        axes = list(grid)
    if len(axes) != 4:
        raise ValueError(f"axes must hold 4 axes, got {len(axes)}")
    per = f"per {series.interval_s:g} s"
    timeline(series, ["received"], ax=axes[0], time_unit=time_unit)
    axes[0].set_ylabel(f"arrivals {per}")
    timeline(series, ["queue_depth_mean", "retry_waiting_mean"], ax=axes[1], time_unit=time_unit)
    axes[1].set_ylabel("events")
    timeline(series, ["concurrency_mean", "concurrency"], ax=axes[2], time_unit=time_unit)
    axes[2].set_ylabel("executions")
    timeline(series, ["throttles"], ax=axes[3], time_unit=time_unit)
    outcomes = series.outcomes()
    for condition, counts in outcomes.items():
        if counts.any() and condition != Condition.SUCCESS.value:
            axes[3].step(
                _time(series, time_unit), counts, where="mid", label=condition, color=_OUTCOME_COLOURS.get(condition)
            )
    axes[3].set_ylabel(per)
    axes[3].legend(loc="best", fontsize="small")
    for ax in axes[1:]:
        ax.set_title("")
    return axes


def cdf(
    results: Results,
    function: str,
    which: str = "event_age",
    *,
    ax: Axes | None = None,
    label: str | None = None,
    log: bool = False,
) -> Axes:
    """The empirical CDF of one distribution of ``function``, from its quantile sketch (within 0.5% in value).

    ``which``: ``"event_age"`` (age at every attempt), ``"first_attempt_age"``, ``"end_to_end"`` (enqueue to
    outcome) or ``"duration"``.
    """
    if which not in _SKETCHES:
        raise ValueError(f"which must be one of {list(_SKETCHES)}, got {which!r}")
    st = results.stats(function)
    tally = st.age_by_attempt[0] if which == "first_attempt_age" else getattr(st, which)
    values, fractions = tally.sketch.cdf()
    ax = _axes(ax)
    if len(values):
        ax.step(
            np.concatenate([[values[0]], values]),
            np.concatenate([[0.0], fractions]),
            where="post",
            label=label or f"{function} {which.replace('_', ' ')}",
        )
    ax.set_xlabel(f"{which.replace('_', ' ')} (s)")
    ax.set_ylabel("fraction of events" if which != "duration" else "fraction of attempts")
    ax.set_ylim(0, 1.02)
    if log:
        ax.set_xscale("log")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def outcome_breakdown(results: Results, *, ax: Axes | None = None, share: bool = True) -> Axes:
    """Horizontal stacked bars of outcomes by condition, one bar per function (shares of events, or counts)."""
    ax = _axes(ax)
    names = list(results.functions)
    left = np.zeros(len(names))
    for condition in Condition:
        counts = np.array([results.functions[n]["outcomes"][condition.value] for n in names], dtype=float)
        if share:
            totals = np.array([max(1, sum(results.functions[n]["outcomes"].values())) for n in names], dtype=float)
            counts = counts / totals
        if counts.any():
            ax.barh(names, counts, left=left, label=condition.value, color=_OUTCOME_COLOURS.get(condition.value))
            left = left + counts
    ax.set_xlabel("share of events" if share else "events")
    ax.legend(loc="best", fontsize="small")
    return ax


def sweep_curve(
    sweep: Sweep,
    metric: str,
    *,
    x: str | None = None,
    hue: str | None = None,
    ax: Axes | None = None,
    band: bool = True,
) -> Axes:
    """The mean of ``metric`` against parameter ``x`` (the first by default), with its confidence interval.

    With two parameters, one line per value of ``hue`` (the other parameter by default).
    """
    ax = _axes(ax)
    params = list(sweep.parameters)
    x = x or params[0]
    if x not in params:
        raise ValueError(f"x must be one of the sweep's parameters {params}, got {x!r}")
    others = [p for p in params if p != x]
    hue = hue if hue is not None else (others[0] if others else None)
    if hue is not None and hue not in others:
        raise ValueError(f"hue must be another of the sweep's parameters {others}, got {hue!r}")
    table = _summary_of(sweep, metric)
    groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=True))
    for value, group in groups:
        part = group.sort_values(x)
        label = metric if hue is None else f"{hue} = {value}"
        line = ax.plot(part[x], part["mean"], marker="o", label=label)[0]
        if band:
            ax.fill_between(part[x], part["ci_low"], part["ci_high"], alpha=0.2, color=line.get_color())
    ax.set_xlabel(x)
    ax.set_ylabel(f"{metric} (mean, {sweep.confidence:.0%} CI)")
    ax.legend(loc="best", fontsize="small")
    return ax


def heatmap(
    sweep: Sweep,
    metric: str,
    *,
    x: str | None = None,
    y: str | None = None,
    ax: Axes | None = None,
    annotate: bool = True,
    fmt: str = "{:.3g}",
    cmap: str = "viridis",
) -> Axes:
    """The mean of ``metric`` over a two-parameter sweep: ``x`` across, ``y`` down (the first two by default)."""
    params = list(sweep.parameters)
    if len(params) < 2:
        raise ValueError(f"a heatmap needs a sweep over two parameters, got {params}")
    x = x or params[1]
    y = y or params[0]
    table = _summary_of(sweep, metric)
    grid = table.pivot_table(index=y, columns=x, values="mean")
    ax = _axes(ax)
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", origin="lower", cmap=cmap)
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(metric)
    ax.figure.colorbar(image, ax=ax)
    if annotate:
        values = grid.to_numpy(dtype=float)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", color="white", fontsize="small")
    return ax
