"""Replications, warm-up, confidence intervals and sweeps on serial, process and dask executors."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.experiment import (
    Metrics,
    get_path,
    interval,
    replicate,
    replication_seeds,
    set_path,
    simulate,
    sweep,
    t_quantile,
)
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.workload import Burst, Poisson

pd = pytest.importorskip("pandas")


def mm_model(rate: float = 10.0, mean_s: float = 0.5, horizon: float = 600.0, warmup: float = 60.0) -> Model:
    """Poisson arrivals, exponential durations, concurrency never binding: an M/M/infinity queue."""
    return Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=dist.Exponential(mean_s)), timeout_s=900)],
        workloads=[Poisson(function="f", rate_per_s=rate, stop_s=horizon)],
        horizon_s=horizon,
        warmup_s=warmup,
    )


def small_model() -> Model:
    return Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.Exponential(0.4), error_rate=0.1),
                reserved_concurrency=3,
                event_invoke=EventInvoke(maximum_retry_attempts=1, maximum_event_age_s=120),
            )
        ],
        workloads=[Poisson(function="orders", rate_per_s=6.0, stop_s=300.0)],
        horizon_s=300.0,
    )


# -- statistics ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706205),
        (0.975, 2, 4.302653),
        (0.975, 4, 2.776445),
        (0.975, 9, 2.262157),
        (0.975, 29, 2.045230),
        (0.995, 5, 4.032143),
        (0.95, 10, 1.812461),
        (0.975, 1000, 1.962339),
    ],
)
def test_t_quantiles_match_the_tables(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=2e-6)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=2e-6)


def test_interval_by_hand() -> None:
    ci = interval([9.0, 10.0, 11.0, float("nan")])
    assert (ci.n, ci.mean, ci.std) == (3, 10.0, 1.0)
    assert ci.half_width == pytest.approx(4.302653 / math.sqrt(3), abs=1e-6)
    assert ci.covers(10.0) and not ci.covers(12.5)
    assert math.isnan(interval([1.0]).half_width)
    assert interval([]).n == 0


def test_replication_seeds_are_spawned_and_stable() -> None:
    seeds = replication_seeds(7, 5)
    assert seeds == replication_seeds(7, 5)
    assert seeds[:3] == replication_seeds(7, 3)
    assert len(set(seeds)) == 5
    assert replication_seeds(8, 5) != seeds


# -- replications against closed forms ------------------------------------------------------------------------


def test_littles_law_mean_busy_concurrency_is_rate_times_mean_duration() -> None:
    reps = replicate(mm_model(rate=10.0, mean_s=0.5), n=8, seed=2026)
    ci = reps.interval("concurrency_mean")
    assert ci.n == 8
    assert ci.covers(5.0), ci
    assert ci.half_width < 0.25  # informative, not vacuous
    # Nothing throttled, nothing dropped: all events succeed.
    assert reps.values("throttles").sum() == 0
    assert reps.values("async_events_dropped").sum() == 0


def test_mean_duration_and_event_age_against_their_closed_forms() -> None:
    reps = replicate(mm_model(rate=5.0, mean_s=0.8), n=6, seed=3)
    assert reps.interval("duration_mean_s").covers(0.8)
    # No waiting with unlimited concurrency: every attempt starts at age 0.
    assert reps.values("event_age_max_s").max() == 0.0
    # End-to-end time of a success is its duration: exponential with mean 0.8, median 0.8 ln 2.
    assert reps.interval("end_to_end_p50_s").covers(0.8 * math.log(2))


@pytest.mark.slow
def test_confidence_intervals_cover_littles_law_about_95_percent_of_the_time() -> None:
    covered = 0
    trials = 40
    for k in range(trials):
        reps = replicate(mm_model(rate=10.0, mean_s=0.5, horizon=300.0, warmup=30.0), n=5, seed=1000 + k)
        covered += reps.interval("concurrency_mean").covers(5.0)
    # 95% nominal: in 40 trials, 33 or more covered with probability about 0.99.
    assert covered >= 33, covered


def test_warm_up_forgets_what_came_before_and_carries_events_in_flight() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=100.0), timeout_s=900)],
        workloads=[Burst(function="f", at_s=0.0, count=10)],
        horizon_s=200.0,
        warmup_s=50.0,
    )
    res = model.run(seed=1)
    f = res.functions["f"]
    assert f["statistics_since_s"] == 50.0
    assert f["async_events_received"] == 0  # received before the warm-up ended
    assert f["outcomes"]["Success"] == 10  # finished after it
    assert f["in_flight"] == 0
    assert f["attempts"] == 0  # attempts started before
    # Concurrency was 10 from 50 s to 100 s and 0 until 200 s.
    assert f["concurrency"]["mean"] == pytest.approx(10 * 50 / 150)
    assert f["concurrency"]["max"] == 10.0


def test_warm_up_must_end_before_the_horizon() -> None:
    with pytest.raises(ValueError, match="warmup_s must be < horizon_s"):
        mm_model(horizon=100.0, warmup=100.0)


def test_metrics_per_function_with_prefixes_when_a_model_has_several() -> None:
    model = Model(
        functions=[Function(name="a", behaviour=ls.Behaviour()), Function(name="b", behaviour=ls.Behaviour())],
        workloads=[Burst(function="a", at_s=0, count=3), Burst(function="b", at_s=0, count=2)],
        horizon_s=10.0,
    )
    measures = Metrics()(model.run(seed=1))
    assert (measures["a.success"], measures["b.success"]) == (3.0, 2.0)
    assert Metrics(function="b", cost=False)(model.run(seed=1))["received"] == 2.0


# -- paths -----------------------------------------------------------------------------------------------------


def test_paths_read_and_evolve_nested_configuration() -> None:
    model = small_model()
    assert get_path(model, "functions[orders].event_invoke.maximum_retry_attempts") == 1
    assert get_path(model, "functions[0].reserved_concurrency") == 3
    assert get_path(model, "workloads[-1].rate_per_s") == 6.0
    changed = set_path(model, "functions[orders].event_invoke.maximum_retry_attempts", 2)
    assert changed.functions[0].event_invoke.maximum_retry_attempts == 2  # type: ignore[union-attr]
    assert model.functions[0].event_invoke.maximum_retry_attempts == 1  # type: ignore[union-attr]
    assert set_path(model, "settings.retry_jitter_s", 5.0).settings.retry_jitter_s == 5.0
    assert set_path(model, "horizon_s", 50.0).horizon_s == 50.0


@pytest.mark.parametrize(
    ("path", "value", "error", "message"),
    [
        ("functions[orders].reserved", 1, AttributeError, "has no field 'reserved'"),
        ("functions[nope].memory_mb", 256, KeyError, "no item named 'nope'"),
        ("functions[3].memory_mb", 256, IndexError, "out of range"),
        ("functions[0].memory_mb", 100, ValueError, r"memory_mb must be in \[128, 10240\], got 100"),
        ("functions[0].dead_letter_arn.x", 1, ValueError, "is None"),
        ("functions[0]..x", 1, ValueError, "cannot read path"),
    ],
)
def test_paths_fail_clearly(path: str, value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        set_path(small_model(), path, value)


# -- sweeps ----------------------------------------------------------------------------------------------------

GRID = {"functions[orders].reserved_concurrency": [2, 4], "workloads[0].rate_per_s": [4.0, 8.0]}


def test_sweep_is_tidy_one_row_per_setting_and_replication() -> None:
    result = sweep(small_model(), GRID, replications=3, seed=5)
    frame = result.frame()
    assert len(frame) == 4 * 3
    assert list(frame.columns[:4]) == [*GRID, "replication", "seed"]
    assert set(frame["seed"]) == set(replication_seeds(5, 3))
    # Common random numbers: one replication sees the same arrivals at every concurrency.
    received = frame.pivot_table(
        index=["workloads[0].rate_per_s", "replication"],
        columns="functions[orders].reserved_concurrency",
        values="received",
    )
    assert (received[2] == received[4]).all()
    summary = result.summary()
    assert len(summary) == 4 * len(result.metrics)
    row = summary[
        (summary["metric"] == "throttles")
        & (summary["functions[orders].reserved_concurrency"] == 2)
        & (summary["workloads[0].rate_per_s"] == 8.0)
    ].iloc[0]
    values = frame[(frame["functions[orders].reserved_concurrency"] == 2) & (frame["workloads[0].rate_per_s"] == 8.0)]
    assert row["mean"] == pytest.approx(values["throttles"].mean())
    assert row["n"] == 3
    ci = result.interval("throttles", **{"functions[orders].reserved_concurrency": 2, "workloads[0].rate_per_s": 8.0})
    assert (ci.low, ci.high) == pytest.approx((row["ci_low"], row["ci_high"]))
    # More concurrency, fewer throttles; more load, more throttles.
    table = result.pivot("throttles")
    assert table.loc[2, 8.0] > table.loc[4, 8.0]
    assert table.loc[2, 8.0] > table.loc[2, 4.0]


def bigger_memory(model: Model, memory_mb: int) -> Model:
    """A callable variation: set the memory of every function."""
    return attrs.evolve(model, functions=[attrs.evolve(f, memory_mb=memory_mb) for f in model.functions])


def test_sweep_over_callables_and_explicit_settings() -> None:
    result = sweep(small_model(), {bigger_memory: [128, 1024]}, replications=2, seed=1, metrics=Metrics())
    assert result.parameters == ("bigger_memory",)
    gb_s = result.pivot("gb_seconds")
    assert gb_s[1024] == pytest.approx(8 * gb_s[128])  # the same runs (same seeds) at eight times the memory
    costs = result.pivot("cost")
    assert costs[1024] > costs[128]
    explicit = sweep(
        small_model(),
        [{"functions[0].reserved_concurrency": 1}, {"functions[0].reserved_concurrency": 5}],
        replications=2,
    )
    assert list(explicit.frame()["functions[0].reserved_concurrency"]) == [1, 1, 5, 5]


def test_invalid_settings_fail_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="reserved_concurrency must be >= 0"):
        sweep(small_model(), {"functions[0].reserved_concurrency": [2, -1]}, replications=1)
    with pytest.raises(TypeError, match="must be a sequence of values"):
        sweep(small_model(), {"functions[0].reserved_concurrency": 3}, replications=1)


def test_sweep_results_are_identical_on_serial_process_thread_and_dask_executors() -> None:
    model = small_model()
    serial = sweep(model, GRID, replications=2, seed=9, executor="serial").frame()
    processes = sweep(model, GRID, replications=2, seed=9, executor="processes").frame()
    pd.testing.assert_frame_equal(serial, processes)
    with ThreadPoolExecutor(2) as threads:
        pd.testing.assert_frame_equal(serial, sweep(model, GRID, replications=2, seed=9, executor=threads).frame())
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(model, GRID, replications=2, seed=9, executor=client.get_executor()).frame()
    pd.testing.assert_frame_equal(serial, on_dask)


def test_default_executor_runs_few_runs_here_and_results_do_not_depend_on_it() -> None:
    model = small_model()
    few = replicate(model, n=3, seed=4)
    many = replicate(model, n=8, seed=4)  # a process pool by default on more than one core
    assert few.runs == many.runs[:3]
    with pytest.raises(ValueError, match="executor must be"):
        replicate(model, n=2, executor="cluster")


def test_progress_bar_changes_nothing_and_is_quiet_when_not_interactive(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    model = small_model()
    quiet = replicate(model, n=2, seed=1)
    assert capsys.readouterr().err == ""
    shown = replicate(model, n=2, seed=1, progress=True)
    assert "replications" in capsys.readouterr().err
    assert quiet.runs == shown.runs
    assert model.run(seed=3, progress=True).functions == model.run(seed=3).functions


def test_replications_tables() -> None:
    reps = replicate(small_model(), n=3, seed=2)
    frame = reps.frame()
    assert list(frame["seed"]) == list(reps.seeds)
    summary = reps.summary()
    assert summary.loc["received", "mean"] == pytest.approx(np.mean(reps.values("received")))
    with pytest.raises(KeyError, match="no metric 'nope'"):
        reps.values("nope")


def test_simulate_records_a_timeline_that_adds_up_to_the_results() -> None:
    run = simulate(small_model(), seed=3, interval_s=30.0)
    series = run.series["orders"]
    assert series.time_s.tolist() == [30.0 * k for k in range(1, 11)]
    f = run.results.functions["orders"]
    assert series.received.sum() == f["async_events_received"]
    assert series.throttles.sum() == f["throttles"]
    for condition, counts in series.outcomes().items():
        assert counts.sum() == f["outcomes"][condition]
    # The interval means of concurrency integrate to the run's time average.
    assert series["concurrency_mean"].mean() == pytest.approx(f["concurrency"]["mean"])
    assert len(series.frame()) == 10


def test_timeline_survives_the_warm_up_reset() -> None:
    model = attrs.evolve(mm_model(rate=4.0, horizon=300.0, warmup=100.0))
    run = simulate(model, seed=1, interval_s=50.0)
    series = run.series["f"]
    assert (series.received >= 0).all()
    # The timeline covers the whole run, the results only what followed the warm-up.
    after = series.received[series.time_s > 100.0].sum()
    assert after == run.results.functions["f"]["async_events_received"]
    assert series.received.sum() > after
