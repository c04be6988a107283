"""Every plot kind rendered headless (Agg), read back for what a manager sees: labels and units from each measure,
clock-time axes, bands inside the quantity's domain, integer ticks for integer settings, every fault drawn."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pytest

import lambdasim as ls
from lambdasim import dist, plots
from lambdasim.core.faults import Outage
from lambdasim.experiment import replication_seeds, simulate, sweep
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.planning.measures import measure, parameter_label
from lambdasim.workload import Burst, Poisson

pytest.importorskip("pandas")

START = "2026-03-02T08:00:00Z"


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def model(**changes: Any) -> Model:
    return Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.Exponential(0.5), error_rate=0.1),
                reserved_concurrency=3,
                event_invoke=EventInvoke(maximum_retry_attempts=0, maximum_event_age_s=60),
            )
        ],
        workloads=[
            Poisson(function="orders", rate_per_s=4.0, stop_s=600.0),
            Burst(function="orders", at_s=200, count=200),
            Outage(function="orders", start_s=400.0, end_s=430.0),
        ],
        horizon_s=600.0,
        start=START,
        **changes,
    )


def texts(ax: Any) -> list[str]:
    """Every piece of text on the axes: title, axis labels, legend entries."""
    out = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    legend = ax.get_legend()
    if legend is not None:
        out.extend(t.get_text() for t in legend.get_texts())
    return [t for t in out if t]


def png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def no_raw_paths(ax: Any) -> None:
    for text in texts(ax):
        assert "[" not in text and "_s " not in text and not text.endswith("_s"), text


def test_timelines_on_the_clock_with_faults_and_replications() -> None:
    runs = [simulate(model(), seed=s, interval_s=30.0).series["orders"] for s in replication_seeds(5, 3)]
    axes = plots.dashboard(runs)
    fig = axes[0].figure
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    for ax in axes:
        assert ax.get_xlabel() == "time (UTC)"
        low, high = (mdates.num2date(v) for v in ax.get_xlim())
        assert start - dt.timedelta(minutes=2) <= low <= start + dt.timedelta(minutes=1)
        assert high <= start + dt.timedelta(minutes=12)
        assert ax.get_ylim()[0] == 0.0
        assert len(ax.collections) >= 1  # the 10-90% band of the replications
        no_raw_paths(ax)
    labels = texts(axes[3])
    assert "service errors (HTTP 5xx), median of 3" in labels  # the outage is drawn
    assert "throttles, median of 3" in labels and "EventAgeExceeded, median of 3" in labels
    errors = next(line for line in axes[3].get_lines() if line.get_label().startswith("service errors"))
    assert max(errors.get_ydata()) > 0
    assert png(fig).startswith(b"\x89PNG")


def test_cloudwatch_metrics_carry_their_units() -> None:
    results = model().run(seed=1)
    _, ax = plt.subplots()
    plots.metric(results, "orders", "AsyncEventAge", "p99", ax=ax)
    assert ax.get_ylabel() == "AsyncEventAge p99 (ms)"
    assert ax.get_xlabel() == "time (UTC), period start"
    plots.metric(results, "orders", "Throttles", "Sum", ax=plt.subplots()[1])
    _, ax2 = plt.subplots()
    plots.metric(results, "orders", "Duration", "Average", ax=ax2, time_unit="min")
    assert ax2.get_ylabel() == "Duration Average (ms)"
    assert ax2.get_xlabel() == "time since the start (min), period start"
    png(ax.figure)


def test_cdfs_say_what_they_draw() -> None:
    results = model().run(seed=2)
    _, ax = plt.subplots()
    plots.cdf(results, "orders", "time_to_success", ax=ax)
    assert ax.get_xlabel() == "time to success (s)" and ax.get_ylabel() == "fraction of events that succeeded"
    plots.cdf(results, "orders", "time_to_discard", ax=ax)
    assert ax.get_xlabel() == "seconds"
    assert texts(ax)[-2:] == ["orders: time to success", "orders: time to discard"]
    assert ax.get_ylim() == (0.0, 1.02)
    png(ax.figure)


def test_sweeps_clip_bands_use_integer_ticks_and_read_labels_from_the_measures() -> None:
    result = sweep(
        model(),
        {"functions[orders].reserved_concurrency": [2, 3, 5, 8], "workloads[0].rate_per_s": [1.0, 4.0]},
        replications=2,
        seed=3,
    )
    summary = result.summary()
    rows = summary[summary["metric"] == "retries_exhausted"]
    assert (rows["ci_low"] < 0).any()  # the t interval of a count reaches below zero: the drawing must not
    _, ax = plt.subplots()
    plots.sweep_curve(result, "retries_exhausted", ax=ax)
    for band in ax.collections:
        for path in band.get_paths():
            assert path.vertices[:, 1].min() >= 0.0
    assert ax.get_ylim()[0] == 0.0
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_xlabel() == "reserved concurrency (orders)"
    assert ax.get_ylabel() == "events discarded: retries exhausted, mean and 95% CI"
    assert texts(ax)[-2:] == ["rate (/s), workload 1 = 1.0", "rate (/s), workload 1 = 4.0"]
    no_raw_paths(ax)
    _, ax2 = plt.subplots()
    plots.sweep_curve(result, "dropped_fraction", ax=ax2)
    for band in ax2.collections:
        for path in band.get_paths():
            assert path.vertices[:, 1].min() >= 0.0 and path.vertices[:, 1].max() <= 1.0
    _, ax3 = plt.subplots()
    plots.heatmap(result, "time_to_success_p99_s", ax=ax3)
    assert ax3.get_title() == "time to success, p99 (s), mean"
    assert ax3.get_xlabel() == "rate (/s), workload 1" and ax3.get_ylabel() == "reserved concurrency (orders)"
    png(ax3.figure)


def test_measure_descriptions() -> None:
    assert measure("time_to_success_p99_s").axis_label == "time to success, p99 (s)"
    assert measure("cost_monthly").axis_label == "cost per month ($)"
    assert measure("dropped_fraction").high == 1.0
    assert measure("throttles").integer and measure("throttles").clip(-3.0) == 0.0
    assert measure("orders.event_age_p99.9_s").axis_label == "orders: event age at each attempt, p99.9 (s)"
    assert parameter_label("workloads[1].phases[0].end_s") == "end (s), workload 2, phase 1"
    assert parameter_label("settings.throttle_backoff_jitter") == "throttle backoff jitter"
    assert measure("something_else").axis_label == "something_else" and measure("something_else").low is None
