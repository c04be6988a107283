"""Figures for capacity planning, with matplotlib. Each function draws on ``ax=`` (a new figure if ``None``) and
returns it, so figures compose; nothing here needs a display (use any backend, ``Agg`` included).

- :func:`timeline` and :func:`dashboard`: arrivals, queue depth, concurrency, throttles and outcomes over time,
  from a run's timeline (:func:`lambdasim.planning.experiment.simulate`, :class:`lambdasim.planning.probe.Probe`);
- :func:`metric`: one CloudWatch-style metric per period, as the console graphs it (``Results.metric``);
- :func:`outcomes_over_time`: where events ended, interval by interval;
- :func:`cdf`: the distribution of event age or end-to-end time, from the results' quantile sketches;
- :func:`outcome_breakdown`: outcome shares per function;
- :func:`sweep_curve` and :func:`heatmap`: a metric across a sweep, with confidence intervals.

Axes read as a manager reads them: time in UTC clock time (``time_unit="clock"``, the default; ``"s"``, ``"min"``
or ``"h"`` count from the start instead), labels and units from each measure's own description
(:mod:`lambdasim.measures`), never a raw path, integer ticks for integer settings, and confidence bands clipped to
the values a measure can take. The timeline functions take one run's :class:`~lambdasim.probe.TimeSeries` or the
series of several replications, drawn as their median with a band from the 10th to the 90th percentile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from lambdasim.core.metrics import METRIC_UNITS
from lambdasim.core.rules import Condition
from lambdasim.planning.measures import measure, parameter_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.core.results import Results
    from lambdasim.planning.experiment import Sweep
    from lambdasim.planning.probe import TimeSeries

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
CLOCK = "clock"
BAND = (0.1, 0.9)
"""The quantiles across replications that a band of several runs spans (the line is their median)."""

Series: TypeAlias = "TimeSeries | Sequence[TimeSeries]"
"""One run's timeline, or the timelines of several replications of one function (same sampling)."""

_LABELS = {
    "received": "events received",
    "invocations": "invocations",
    "errors": "function errors",
    "throttles": "throttles",
    "sync_throttles": "synchronous throttles",
    "service_errors": "service errors (HTTP 5xx)",
    "queue_depth": "queue depth",
    "queue_depth_mean": "queue depth, interval mean",
    "concurrency": "concurrency at the sample",
    "concurrency_mean": "concurrency, interval mean",
    "retry_waiting": "waiting for a retry",
    "retry_waiting_mean": "waiting for a retry, interval mean",
}
_OUTCOME_COLOURS = {
    "Success": "tab:green",
    "RetriesExhausted": "tab:red",
    "EventAgeExceeded": "tab:orange",
    "ZeroReservedConcurrency": "tab:purple",
    "Dropped": "tab:gray",
}
_SKETCHES = ("event_age", "first_attempt_age", "time_to_success", "time_to_discard", "end_to_end", "duration")
_SKETCH_LABELS = {
    "event_age": "event age at each attempt",
    "first_attempt_age": "wait before the first attempt",
    "time_to_success": "time to success",
    "time_to_discard": "time to discard",
    "end_to_end": "time to outcome (success or discard)",
    "duration": "attempt duration",
}


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots()
    return new


def _seconds_per(unit: str) -> float:
    """Seconds in one ``time_unit`` (``"s"``, ``"min"`` or ``"h"``)."""
    if unit not in _TIME_UNITS:
        raise ValueError(f"time_unit must be {CLOCK!r} or one of {list(_TIME_UNITS)}, got {unit!r}")
    return _TIME_UNITS[unit]


def _time(series: TimeSeries, unit: str) -> np.ndarray[Any, Any]:
    if unit == CLOCK:
        return series.clock
    return series.time_s / _seconds_per(unit)


def _time_label(unit: str) -> str:
    return "time (UTC)" if unit == CLOCK else f"time since the start ({unit})"


def _clock_axis(ax: Axes) -> None:
    """Clock times as hours and minutes, with the date once at the axis' end."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _runs(series: Series) -> list[TimeSeries]:
    runs = [series] if not isinstance(series, Sequence) else list(series)
    if not runs:
        raise ValueError("series must hold at least one TimeSeries")
    return runs


def _draw(
    ax: Axes, runs: list[TimeSeries], values: list[np.ndarray[Any, Any]], unit: str, label: str, **style: Any
) -> None:
    """One line: the run's values, or the median of several runs' with a 10-90% band, on the shortest common grid."""
    n = min(len(v) for v in values)
    t = _time(runs[0], unit)[:n]
    where = style.pop("where", "mid")
    if unit == CLOCK:
        _clock_axis(ax)
    if len(values) == 1:
        ax.step(t, values[0][:n], where=where, label=label, **style)
        return
    stack = np.vstack([v[:n] for v in values])
    low, mid, high = np.quantile(stack, [BAND[0], 0.5, BAND[1]], axis=0)
    line = ax.step(t, mid, where=where, label=f"{label}, median of {len(values)}", **style)[0]
    ax.fill_between(t, low, high, step=where if where != "mid" else "mid", alpha=0.25, color=line.get_color())


def _summary_of(sweep: Sweep, metric: str) -> Any:
    """The rows of ``sweep.summary`` for ``metric`` (``ValueError`` naming the metrics if it has none)."""
    table = sweep.summary()
    table = table[table["metric"] == metric]
    if table.empty:
        raise ValueError(f"no metric {metric!r} in this sweep; metrics: {sweep.metrics}")
    return table


def timeline(
    series: Series,
    what: str | Sequence[str] = ("concurrency_mean", "queue_depth_mean"),
    *,
    ax: Axes | None = None,
    time_unit: str = CLOCK,
) -> Axes:
    """Plot series of a timeline against time, one line each (counts are per sampling interval).

    ``what`` names entries of the :class:`~lambdasim.probe.TimeSeries`: counters (``received``, ``invocations``,
    ``errors``, ``throttles``, ``sync_throttles``, ``service_errors``, an outcome such as ``"Success"``) or levels
    (``queue_depth``, ``concurrency``, ``retry_waiting``, at each sample, or ``<level>_mean`` over each interval).
    Several replications' series draw as a median with a band.
    """
    ax = _axes(ax)
    runs = _runs(series)
    names = [what] if isinstance(what, str) else list(what)
    for name in names:
        where = "post" if name.endswith("_mean") else "mid"
        _draw(ax, runs, [r[name] for r in runs], time_unit, _LABELS.get(name, name), where=where)
    ax.set_xlabel(_time_label(time_unit))
    ax.set_ylim(bottom=0)  # counts and levels are never negative
    first = runs[0]
    reps = f", {len(runs)} replications" if len(runs) > 1 else ""
    ax.set_title(f"{first.function} (every {first.interval_s:g} s{reps})")
    ax.legend(loc="best", fontsize="small")
    return ax


def metric(
    results: Results,
    function: str,
    name: str,
    statistic: str = "Sum",
    *,
    ax: Axes | None = None,
    time_unit: str = CLOCK,
) -> Axes:
    """One CloudWatch-style metric of ``function`` (namespace ``AWS/Lambda``) per period, for example
    ``metric(results, "orders", "ConcurrentExecutions", "Maximum")`` or ``(..., "AsyncEventAge", "p99")``, with
    the metric's CloudWatch unit on the axis (``AsyncEventAge p99 (ms)``).

    Periods without data are not drawn (CloudWatch shows no datapoint there either).
    """
    points = results.metric(function, name, statistic)
    starts = np.array([t for t, _ in points], dtype=float)
    if time_unit == CLOCK:
        x: Any = np.asarray(np.round((results.metrics_epoch_s + starts) * 1000.0), dtype="datetime64[ms]")
    else:
        x = starts / _seconds_per(time_unit)
    ax = _axes(ax)
    if time_unit == CLOCK:
        _clock_axis(ax)
    unit = measure(name).unit if name in METRIC_UNITS else ""
    if unit == "" and statistic == "SampleCount":
        unit = "samples"
    ax.plot(x, [v for _, v in points], marker=".", label=f"{name} {statistic}")
    ax.set_xlabel(f"{_time_label(time_unit)}, period start")
    ax.set_ylabel(f"{name} {statistic}" + (f" ({unit})" if unit else ""))
    ax.set_ylim(bottom=0)
    ax.set_title(function)
    ax.legend(loc="best", fontsize="small")
    return ax


def outcomes_over_time(series: TimeSeries, *, ax: Axes | None = None, time_unit: str = CLOCK) -> Axes:
    """Stacked bars of outcomes per interval, by condition (only conditions that occurred)."""
    ax = _axes(ax)
    t = _time(series, time_unit)
    width: Any = (
        np.timedelta64(round(series.interval_s * 1000), "ms")
        if time_unit == CLOCK
        else series.interval_s / _seconds_per(time_unit)
    )
    if time_unit == CLOCK:
        _clock_axis(ax)
    bottom = np.zeros(len(t))
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
    ax.set_xlabel(_time_label(time_unit))
    ax.set_ylabel(f"outcomes per {series.interval_s:g} s")
    if bottom.any():
        ax.legend(loc="best", fontsize="small")
    return ax


def dashboard(series: Series, *, axes: Sequence[Axes] | None = None, time_unit: str = CLOCK) -> Sequence[Axes]:
    """Four panels sharing the time axis: arrivals, queue depth and retries, concurrency, and what went wrong
    (throttles, service errors from faults, discarded outcomes). Several replications draw as medians and bands.

    Returns the axes (a new figure of four rows if ``axes`` is ``None``).
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(4, 1, sharex=True, figsize=(8, 9))
        axes = list(grid)
    if len(axes) != 4:
        raise ValueError(f"axes must hold 4 axes, got {len(axes)}")
    runs = _runs(series)
    per = f"per {runs[0].interval_s:g} s"
    timeline(runs, ["received"], ax=axes[0], time_unit=time_unit)
    axes[0].set_ylabel(f"arrivals {per}")
    timeline(runs, ["queue_depth_mean", "retry_waiting_mean"], ax=axes[1], time_unit=time_unit)
    axes[1].set_ylabel("events")
    timeline(runs, ["concurrency_mean", "concurrency"], ax=axes[2], time_unit=time_unit)
    axes[2].set_ylabel("executions")
    wrong = ["throttles"] + (["service_errors"] if any(r["service_errors"].any() for r in runs) else [])
    timeline(runs, wrong, ax=axes[3], time_unit=time_unit)
    for condition in (c.value for c in Condition if c is not Condition.SUCCESS):
        values = [r.counts[condition] for r in runs]
        if any(v.any() for v in values):
            _draw(axes[3], runs, values, time_unit, condition, color=_OUTCOME_COLOURS.get(condition))
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

    ``which``: ``"time_to_success"`` (``Invoke`` to success), ``"time_to_discard"`` (to a discard),
    ``"end_to_end"`` (to either outcome), ``"event_age"`` (age at every attempt), ``"first_attempt_age"`` or
    ``"duration"``. Each line is labelled with what it is; several on one axes share the x label "seconds".
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
            label=label or f"{function}: {_SKETCH_LABELS[which]}",
        )
    drawn = len(ax.get_lines())
    ax.set_xlabel(f"{_SKETCH_LABELS[which]} (s)" if drawn <= 1 else "seconds")
    counted = {"duration": "attempts", "event_age": "attempts", "time_to_success": "events that succeeded"}
    ax.set_ylabel(f"fraction of {counted.get(which, 'events')}" if drawn <= 1 else "fraction")
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
    about = measure(metric)
    groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=True))
    for value, group in groups:
        part = group.sort_values(x)
        label = about.label if hue is None else f"{parameter_label(hue)} = {value}"
        line = ax.plot(part[x], part["mean"], marker="o", label=label)[0]
        if band:
            # A confidence interval can reach past what the quantity can be (a count below 0): clip the drawing.
            low = np.array([about.clip(float(v)) for v in part["ci_low"]])
            high = np.array([about.clip(float(v)) for v in part["ci_high"]])
            ax.fill_between(part[x], low, high, alpha=0.2, color=line.get_color())
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel(f"{about.axis_label}, mean and {sweep.confidence:.0%} CI")
    if about.low is not None and about.low >= 0:
        ax.set_ylim(bottom=about.low)
    if _integers(table[x]):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize="small")
    return ax


def _integers(values: Any) -> bool:
    """Whether every value of a parameter is a whole number (an integer setting: ticks at whole numbers only)."""
    try:
        return all(float(v).is_integer() for v in values) and not any(isinstance(v, float) for v in values)
    except (TypeError, ValueError):
        return False


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
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel(parameter_label(y))
    ax.set_title(measure(metric).axis_label + ", mean")
    ax.figure.colorbar(image, ax=ax, label=measure(metric).axis_label)
    if annotate:
        values = grid.to_numpy(dtype=float)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", color="white", fontsize="small")
    return ax
