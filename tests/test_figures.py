"""Figures that read right: per-outcome latency, month projections, quantile-given log-normals, timeout warnings,
one frame()/summary() interface, simulate()'s horizon rules, warm-up accounting and documented workload flags."""

from __future__ import annotations

import math
import pydoc
import warnings
from statistics import NormalDist

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.core.cost import Month, bill
from lambdasim.experiment import Metrics, simulate, sweep
from lambdasim.model import EventInvoke, Function, Model, TimeoutTruncationWarning
from lambdasim.workload import Burst, Poisson


def mixed(error_rate: float = 1.0) -> Model:
    """Events of 1 s that fail with ``error_rate``, retried once 60 s after the failed attempt."""
    return Model(
        functions=[
            Function(
                name="f",
                behaviour=ls.Behaviour(duration=1.0, error_rate=error_rate),
                event_invoke=EventInvoke(maximum_retry_attempts=1),
            )
        ],
        workloads=[Burst(function="f", at_s=0.0, count=20, over_s=20.0)],
    )


def test_time_to_success_and_time_to_discard_are_separate() -> None:
    failing = Metrics(cost=False)(mixed(1.0).run(seed=1))
    # Discarded after the retry: 1 s, then 60 s, then 1 s.
    assert failing["time_to_discard_max_s"] == pytest.approx(62.0)
    assert failing["time_to_discard_p50_s"] == pytest.approx(62.0, rel=0.01)
    assert math.isnan(failing["time_to_success_p99_s"])
    working = Metrics(cost=False)(mixed(0.0).run(seed=1))
    assert working["time_to_success_max_s"] == pytest.approx(1.0)
    assert math.isnan(working["time_to_discard_p50_s"])
    half = mixed(0.5).run(seed=3)
    m = Metrics(cost=False)(half)
    st = half.stats("f")
    # Every outcome lands in exactly one of the two, and end_to_end is both together.
    assert st.time_to_success.count == m["success"] and st.time_to_discard.count == m["async_events_dropped"]
    assert st.end_to_end.count == st.time_to_success.count + st.time_to_discard.count
    assert m["time_to_success_max_s"] in (pytest.approx(1.0), pytest.approx(62.0))
    assert "time to success" in half.summary() and "time to discard" in half.summary()


def test_month_by_calendar_or_working_days() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.5), memory_mb=1024)],
        workloads=[Poisson(function="f", rate_per_s=2.0, stop_s=3600.0)],
        horizon_s=3600.0,
    )
    results = model.run(seed=1)
    day = bill(results)
    assert day.monthly() == pytest.approx(day.total * 730.0)  # a window of 1 h, 730 h in a month
    working = results.bill(month=Month.working_days(22))
    assert working.monthly() == pytest.approx(day.total * 22)
    assert working.to_dict()["month"] == "22 days, each the measured window"
    assert day.to_dict()["month"] == "730 hours of traffic like the measured window"
    assert day.monthly(month_s=3600.0 * 100) == pytest.approx(day.total * 100)
    calendar = Metrics()(results)
    days = Metrics(month=Month.working_days(22))(results)
    assert calendar["cost_monthly"] == pytest.approx(calendar["cost"] * 730.0)
    assert days["cost_monthly"] == pytest.approx(days["cost"] * 22)
    with pytest.raises(ValueError, match="days must be > 0, got 0"):
        Month.working_days(0)
    with pytest.raises(TypeError, match=r"month must be a lambdasim\.cost\.Month"):
        bill(results, month=22)  # type: ignore[arg-type]


def test_lognormal_from_two_quantiles() -> None:
    d = dist.LogNormal.from_quantiles(median=2.0, p95=6.0)
    z95 = NormalDist().inv_cdf(0.95)
    assert d.median == pytest.approx(2.0) and d.spread == pytest.approx(math.exp(math.log(3.0) / z95))
    assert d.quantile(0.95) == pytest.approx(6.0)
    other = dist.LogNormal.from_quantiles({0.9: 3.0, "0.99": 8.0})
    assert other.quantile(0.9) == pytest.approx(3.0) and other.quantile(0.99) == pytest.approx(8.0)
    draws = d.sample(np.random.default_rng(7), 200_000)
    assert np.quantile(draws, 0.95) == pytest.approx(6.0, rel=0.02)
    assert float(np.mean(draws > 3.0)) == pytest.approx(d.exceeds(3.0), abs=0.005)
    with pytest.raises(ValueError, match="must be larger"):
        dist.LogNormal.from_quantiles(median=2.0, p95=1.0)
    with pytest.raises(TypeError, match="needs median= and p95="):
        dist.LogNormal.from_quantiles(median=2.0)
    with pytest.raises(ValueError, match="exactly two"):
        dist.LogNormal.from_quantiles({0.5: 1.0, 0.9: 2.0, 0.99: 3.0})
    with pytest.raises(ValueError, match="quantile probability"):
        dist.LogNormal.from_quantiles({0.5: 1.0, 1.5: 2.0})


def test_exceeds_closed_forms() -> None:
    assert dist.Constant(2.0).exceeds(1.0) == 1.0 and dist.Constant(2.0).exceeds(2.0) == 0.0
    assert dist.Exponential(2.0).exceeds(4.0) == pytest.approx(math.exp(-2.0))
    assert dist.Uniform(0.0, 4.0).exceeds(3.0) == pytest.approx(0.25)
    assert dist.Empirical((1.0, 2.0, 3.0, 4.0)).exceeds(2.5) == 0.5
    assert dist.LogNormal(median=1.0, spread=2.0).exceeds(1.0) == pytest.approx(0.5)


def test_a_timeout_that_truncates_the_durations_warns_before_the_run() -> None:
    duration = dist.LogNormal.from_quantiles(median=2.0, p95=6.0)  # p95 6 s under AWS's default 3 s timeout
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=duration))],
        workloads=[Burst(function="f", at_s=0.0, count=5)],
    )
    share = duration.exceeds(3.0)
    assert share == pytest.approx(1 - NormalDist().cdf(math.log(1.5) / math.log(duration.spread)))
    with pytest.raises(TimeoutTruncationWarning, match=rf"timeout_s = 3 cuts off {share:.1%}"):
        model.build(seed=1)  # before anything runs (warnings are errors in this test suite)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Model(
            functions=[Function(name="f", behaviour=ls.Behaviour(duration=duration), timeout_s=60)],
            workloads=[Burst(function="f", at_s=0.0, count=5)],
        ).build(seed=1)
    assert Function(name="g", behaviour=lambda e, c: None).timeout_share() != 0.0  # nan: unknown duration


def test_one_interface_frame_and_summary() -> None:
    pytest.importorskip("pandas")
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.2))],
        workloads=[Burst(function="f", at_s=0.0, count=10, over_s=10.0)],
    )
    result = sweep(model, {"functions[f].memory_mb": [128, 256]}, replications=2, executor="serial")
    assert len(result.frame()) == 4
    assert set(result.summary()["metric"]) == set(result.metrics)
    results = model.run(seed=1)
    assert list(results.frame().index) == ["f"]
    run = simulate(model, interval_s=5.0)
    assert len(run.series["f"].frame()) == len(run.series["f"].time_s)
    assert len(results.bill().frame()) == 1
    for old in (results.to_frame, results.bill().to_frame, run.series["f"].to_frame):
        with pytest.warns(DeprecationWarning, match="use .*frame\\(\\)"):
            old()


def test_simulate_follows_the_horizon_rules_of_run() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0))],
        workloads=[Burst(function="f", at_s=0.0, count=30, over_s=60.0)],
    )  # no horizon: run until nothing is left to do
    run = simulate(model, seed=2, interval_s=10.0)
    plain = model.run(seed=2)
    assert run.results.outcomes() == plain.outcomes()
    assert run.results.functions["f"]["outcomes"]["Success"] == 30
    assert run.series["f"].time_s[-1] >= plain.now


def test_warm_up_accounting_adds_up() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=5.0), timeout_s=10)],
        workloads=[Poisson(function="f", rate_per_s=2.0, stop_s=300.0)],
        horizon_s=400.0,
        warmup_s=100.0,
    )
    results = model.run(seed=4)
    f = results.functions["f"]
    assert f["carried_in"] > 0  # events in flight at 100 s finish afterwards
    assert (
        f["async_events_received"] + f["duplicates"] + f["carried_in"] == sum(f["outcomes"].values()) + f["in_flight"]
    )
    text = results.summary()
    assert f"carried in from the warm-up {f['carried_in']:,}" in text
    total = f["async_events_received"] + f["carried_in"]
    assert f"(shares of the {total:,} events above)" in text
    assert "100.0%" in text and "100.1%" not in text
    m = Metrics(cost=False)(results)
    assert m["received"] + m["carried_in"] == m["success"] + m["async_events_dropped"] + m["in_flight"]


def test_help_on_a_workload_documents_random() -> None:
    text = pydoc.render_doc(Poisson, renderer=pydoc.plaintext)
    assert "arrivals are drawn at random" in text
    assert "bool(x)" not in text
    assert Poisson(function="f", rate_per_s=1.0, stop_s=1.0).random is True
    assert Burst(function="f", at_s=0.0, count=1).random is False


def test_the_summary_says_how_many_synchronous_invocations_its_errors_count() -> None:
    """A function fed by a caller's synchronous invokes has no async attempts, yet errors and cold starts: the
    summary's attempts line names the synchronous invocations they are of."""
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")

    def fail(event: object, context: object) -> None:
        raise ValueError("bad order")

    lam.create_function(FunctionName="f", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/r", Handler=fail)
    for _ in range(3):
        lam.invoke(FunctionName="f", Payload=b"{}")
    lines = [line for line in sim.results().summary().splitlines() if line.startswith("  attempts")]
    assert lines == [
        "  attempts                      0   synchronous invocations 3   errors 3 (timeouts 0)   cold starts 1"
    ]
