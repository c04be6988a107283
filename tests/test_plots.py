"""Plots: each draws on the axes it is given, returns them, and renders headless."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist, plots
from lambdasim.experiment import simulate, sweep
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.workload import Burst, Poisson

pytest.importorskip("pandas")


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def model() -> Model:
    return Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.Exponential(0.5), error_rate=0.2),
                reserved_concurrency=3,
                event_invoke=EventInvoke(maximum_retry_attempts=0, maximum_event_age_s=60),
            )
        ],
        workloads=[
            Poisson(function="orders", rate_per_s=5.0, stop_s=600.0),
            Burst(function="orders", at_s=200, count=300),
        ],
        horizon_s=600.0,
    )


def rendered(ax: Any) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_timeline_draws_the_series_it_is_asked_for() -> None:
    run = simulate(model(), seed=1, interval_s=30.0)
    series = run.series["orders"]
    _, ax = plt.subplots()
    out = plots.timeline(series, ["received", "queue_depth_mean", "throttles"], ax=ax, time_unit="min")
    assert out is ax
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["events received", "queue depth, interval mean", "throttles"]
    x, y = lines[0].get_data()
    assert np.asarray(x).tolist() == (series.time_s / 60.0).tolist()
    assert np.asarray(y).sum() == run.results.functions["orders"]["async_events_received"]
    assert rendered(ax).startswith(b"\x89PNG")
    with pytest.raises(KeyError, match="no series 'nope'"):
        plots.timeline(series, "nope", ax=ax)


def test_dashboard_and_outcomes_over_time() -> None:
    series = simulate(model(), seed=1, interval_s=30.0).series["orders"]
    axes = plots.dashboard(series)
    assert len(axes) == 4
    assert all(a.figure is axes[0].figure for a in axes)
    labels = [line.get_label() for line in axes[3].get_lines()]
    assert "throttles" in labels and "RetriesExhausted" in labels
    _, ax = plt.subplots()
    assert plots.outcomes_over_time(series, ax=ax) is ax
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(sum(c.sum() for c in series.outcomes().values()))
    rendered(axes[0])
    with pytest.raises(ValueError, match="4 axes"):
        plots.dashboard(series, axes=[ax])


def test_cloudwatch_style_metric_per_period() -> None:
    res = model().run(seed=4)
    _, ax = plt.subplots()
    assert plots.metric(res, "orders", "Invocations", ax=ax) is ax
    x, y = ax.get_lines()[0].get_data()
    assert sum(y) == res.functions["orders"]["invocations"]
    assert list(x) == sorted(x)
    plots.metric(res, "orders", "ConcurrentExecutions", "Maximum", ax=ax)
    assert max(ax.get_lines()[1].get_data()[1]) == 3  # the reserved concurrency
    rendered(ax)


def test_cdf_comes_from_the_quantile_sketch() -> None:
    res = model().run(seed=2)
    _, ax = plt.subplots()
    assert plots.cdf(res, "orders", "event_age", ax=ax) is ax
    plots.cdf(res, "orders", "end_to_end", ax=ax, log=True)
    age, e2e = ax.get_lines()
    _, fractions = age.get_data()
    assert np.asarray(fractions)[-1] == pytest.approx(1.0)
    assert np.all(np.diff(np.asarray(fractions)) >= 0)
    # The median read off the curve matches the sketch's median.
    values, fr = e2e.get_data()
    median = np.asarray(values)[np.searchsorted(np.asarray(fr), 0.5)]
    assert median == pytest.approx(res.stats("orders").end_to_end.quantile(0.5), rel=0.02)
    rendered(ax)
    with pytest.raises(ValueError, match="which must be one of"):
        plots.cdf(res, "orders", "age")


def test_outcome_breakdown_shares_add_to_one() -> None:
    res = model().run(seed=3)
    ax = plots.outcome_breakdown(res)
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(1.0)
    rendered(ax)


def test_sweep_curve_and_heatmap() -> None:
    result = sweep(
        model(),
        {"functions[orders].reserved_concurrency": [2, 4, 8], "workloads[0].rate_per_s": [2.0, 5.0]},
        replications=2,
    )
    _, ax = plt.subplots()
    assert plots.sweep_curve(result, "throttles", ax=ax) is ax
    assert len(ax.get_lines()) == 2  # one per rate
    assert len(ax.collections) == 2  # confidence bands
    x, y = ax.get_lines()[1].get_data()
    assert list(x) == [2, 4, 8]
    table = result.pivot("throttles")
    assert list(y) == pytest.approx(list(table[5.0]))
    _, ax2 = plt.subplots()
    assert plots.heatmap(result, "event_age_p99_s", ax=ax2) is ax2
    image = ax2.get_images()[0].get_array()
    assert image.shape == (3, 2)
    assert float(image[0, 1]) == pytest.approx(result.pivot("event_age_p99_s").loc[2, 5.0])
    rendered(ax2)
    with pytest.raises(ValueError, match="no metric"):
        plots.sweep_curve(result, "nope")
    one = sweep(model(), {"functions[orders].reserved_concurrency": [2, 4]}, replications=1)
    with pytest.raises(ValueError, match="two parameters"):
        plots.heatmap(one, "throttles")
    assert len(plots.sweep_curve(one, "throttles", band=False).get_lines()) == 1
