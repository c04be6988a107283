"""Workloads: rates over long horizons against their expected means, schedules, trace replay, sync traffic."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim.core.schedule import parse_schedule
from lambdasim.model import Function, Model
from lambdasim.workload import (
    Burst,
    DailyCycle,
    Piecewise,
    Poisson,
    RateFunction,
    Replay,
    Schedule,
    Spike,
    VaryingPoisson,
)

CHI2_999 = {6: 22.458, 10: 29.588, 12: 32.909}
"""99.9% quantiles of the chi-square distribution by degrees of freedom: a fixed-seed test fails only if the
sampler is wrong (or, for one seed in a thousand, by chance, which a fixed seed rules out once it passes)."""

SEEN: list[tuple[float, Any]] = []


def record(event: Any, context: Any) -> None:
    """A handler that notes when it ran and with what."""
    SEEN.append((round(context.get_remaining_time_in_millis()), event))


def arrivals(*workloads: Any, seed: int = 1, horizon: float | None = None, **model: Any) -> np.ndarray[Any, Any]:
    """Arrival times of every event the workloads send to ``f`` (reserved concurrency 0: discarded on arrival)."""
    m = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.0), reserved_concurrency=0)],
        workloads=workloads,
        trace=True,
        horizon_s=horizon,
        **model,
    )
    res = m.run(seed)
    assert res.trace is not None
    return np.array(sorted(t.start for t in res.trace if t.kind == "Outcome"))


def within(count: float, mean: float, sigmas: float = 4.0) -> bool:
    """A Poisson count within ``sigmas`` standard deviations of its mean."""
    return abs(count - mean) <= sigmas * math.sqrt(mean)


def chi2(times: np.ndarray[Any, Any], edges: np.ndarray[Any, Any], expected: np.ndarray[Any, Any]) -> float:
    observed, _ = np.histogram(times, bins=edges)
    return float(np.sum((observed - expected) ** 2 / expected))


# -- constant and varying rates --------------------------------------------------------------------------------


def test_poisson_count_over_a_long_horizon_matches_rate_times_time() -> None:
    w = Poisson(function="f", rate_per_s=20.0, start_s=100.0, stop_s=1100.0)
    times = arrivals(w)
    assert w.expected_count() == 20_000
    assert within(len(times), 20_000)
    assert times.min() >= 100.0
    assert times.max() < 1100.0
    # Exponential gaps: mean 1/rate and coefficient of variation 1.
    gaps = np.diff(times)
    assert gaps.mean() == pytest.approx(0.05, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.03)


def test_daily_cycle_counts_per_bin_follow_the_rate_by_chi_square() -> None:
    profile = DailyCycle(mean_per_s=10.0, amplitude=0.8, peak_s=1800.0, period_s=3600.0)
    w = VaryingPoisson(function="f", rate=profile, stop_s=3600.0)
    times = arrivals(w)
    edges = np.linspace(0.0, 3600.0, 13)
    expected = np.array([profile.expected(a, b) for a, b in itertools_pairs(edges)])
    assert expected.sum() == pytest.approx(36_000.0)
    assert within(len(times), w.expected_count())
    assert chi2(times, edges, expected) < CHI2_999[12]
    # The cycle is visible: the busiest bin holds about (1 + 0.8) / (1 - 0.8) = 9 times the quietest.
    observed, _ = np.histogram(times, bins=edges)
    assert observed.max() / observed.min() > 5


def itertools_pairs(edges: np.ndarray[Any, Any]) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in itertools.pairwise(edges)]


def test_piecewise_rates_hold_piece_by_piece() -> None:
    profile = Piecewise(times_s=[0, 600, 1200], rates_per_s=[2.0, 20.0, 5.0])
    times = arrivals(VaryingPoisson(function="f", rate=profile, stop_s=1800.0))
    for (a, b), rate in zip([(0, 600), (600, 1200), (1200, 1800)], [2.0, 20.0, 5.0], strict=True):
        n = int(np.sum((times >= a) & (times < b)))
        assert within(n, rate * 600), (a, b, n)
    assert profile.expected(0, 1800) == 2 * 600 + 20 * 600 + 5 * 600


def test_periodic_piecewise_and_hourly_profile() -> None:
    rates = [1.0] * 8 + [4.0] * 10 + [2.0] * 6
    day = Piecewise.hourly(rates)
    assert day.rate(8 * 3600 + 1) == 4.0
    assert day.rate(86400 + 8 * 3600 + 1) == 4.0  # repeats
    assert day.bound(86400 + 3600.0) == (1.0, 86400 + 7200.0)
    assert day.expected(0, 2 * 86400) == pytest.approx(2 * 3600 * sum(rates))


def test_spike_on_a_base_rate() -> None:
    profile = Piecewise(times_s=[0], rates_per_s=[2.0]) + Spike(at_s=300, duration_s=60, extra_per_s=100.0)
    times = arrivals(VaryingPoisson(function="f", rate=profile, stop_s=900.0))
    in_spike = int(np.sum((times >= 300) & (times < 360)))
    outside = len(times) - in_spike
    assert within(in_spike, 102 * 60)
    assert within(outside, 2 * 840)
    assert profile.expected(0, 900) == pytest.approx(2 * 900 + 100 * 60)


def ramp(t: float) -> float:
    """A rate rising linearly from 0 to 10 per second over 1000 s."""
    return t / 100.0


def test_any_callable_rate_with_a_stated_bound_by_thinning() -> None:
    w = VaryingPoisson(function="f", rate=ramp, max_rate_per_s=10.0, stop_s=1000.0)
    assert w.expected_count() == pytest.approx(5000.0, rel=1e-6)
    times = arrivals(w)
    edges = np.linspace(0.0, 1000.0, 11)
    expected = np.array([(b * b - a * a) / 200.0 for a, b in itertools_pairs(edges)])
    assert within(len(times), 5000.0)
    assert chi2(times, edges, expected) < CHI2_999[10]


def test_scaled_profile_multiplies_the_load() -> None:
    base = DailyCycle(mean_per_s=3.0, amplitude=0.5, period_s=600.0)
    times = arrivals(VaryingPoisson(function="f", rate=2 * base, stop_s=1200.0))
    assert (2 * base).expected(0, 1200) == pytest.approx(7200.0)
    assert within(len(times), 7200.0)


def test_a_rate_above_its_stated_bound_is_an_error_not_a_bias() -> None:
    with pytest.raises(ValueError, match="exceeds its stated bound"):
        arrivals(VaryingPoisson(function="f", rate=ramp, max_rate_per_s=1.0, stop_s=1000.0))


def test_a_callable_rate_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="max_rate_per_s"):
        VaryingPoisson(function="f", rate=ramp, stop_s=10.0)


def test_burst_is_evenly_spaced() -> None:
    times = arrivals(Burst(function="f", at_s=10.0, count=5, over_s=1.0))
    assert times.tolist() == pytest.approx([10.0, 10.2, 10.4, 10.6, 10.8], abs=1e-12)


def test_same_seed_same_arrivals_other_seed_other_arrivals() -> None:
    w = Poisson(function="f", rate_per_s=5.0, stop_s=100.0)
    assert arrivals(w, seed=3).tolist() == arrivals(w, seed=3).tolist()
    assert arrivals(w, seed=3).tolist() != arrivals(w, seed=4).tolist()


# -- several workloads on several functions --------------------------------------------------------------------


def two_functions(reserved_a: int, *workloads: Any) -> ls.Results:
    return Model(
        functions=[
            Function(name="a", behaviour=ls.Behaviour(duration=0.5), reserved_concurrency=reserved_a),
            Function(name="b", behaviour=ls.Behaviour(duration=0.2)),
        ],
        workloads=workloads,
        horizon_s=600.0,
    ).run(seed=11)


def test_several_workloads_on_several_functions_with_common_random_numbers() -> None:
    workloads = (
        Poisson(function="a", rate_per_s=10.0, stop_s=300.0),
        Poisson(function="a", rate_per_s=2.0, stop_s=300.0, name="background"),
        VaryingPoisson(function="b", rate=DailyCycle(mean_per_s=5.0, period_s=300.0), stop_s=300.0),
        Burst(function="b", at_s=100.0, count=50),
    )
    tight = two_functions(2, *workloads)
    loose = two_functions(50, *workloads)
    # Concurrency changes what happens to a's events, not when they arrive, nor anything about b.
    assert tight.functions["a"]["async_events_received"] == loose.functions["a"]["async_events_received"]
    assert tight.functions["b"] == loose.functions["b"]
    assert tight.functions["a"]["throttles"] > 0 == loose.functions["a"]["throttles"]
    assert within(tight.functions["a"]["async_events_received"], 12 * 300)


def test_two_random_workloads_on_one_function_need_different_names() -> None:
    with pytest.raises(ValueError, match="give them different names"):
        Model(
            functions=[Function(name="f", behaviour=ls.Behaviour())],
            workloads=[Poisson(function="f", rate_per_s=1, stop_s=9), Poisson(function="f", rate_per_s=2, stop_s=9)],
        )


def test_differently_named_workloads_draw_different_streams() -> None:
    one = arrivals(Poisson(function="f", rate_per_s=5.0, stop_s=100.0, name="x"))
    other = arrivals(Poisson(function="f", rate_per_s=5.0, stop_s=100.0, name="y"))
    assert one.tolist() != other.tolist()


# -- synchronous traffic and payload limits ---------------------------------------------------------------------


def test_synchronous_workload_counts_429s_and_queues_nothing() -> None:
    res = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0), reserved_concurrency=5)],
        workloads=[Poisson(function="f", rate_per_s=10.0, stop_s=600.0, invocation_type="RequestResponse")],
    ).run(seed=2)
    f = res.functions["f"]
    assert f["async_events_received"] == 0
    assert f["sync_throttles"] > 0
    assert f["attempts"] == 0  # no asynchronous attempt: every invocation was synchronous
    # Every arrival either ran or was throttled, once (the synchronous caller does not retry).
    assert within(f["invocations"] + f["sync_throttles"], 6000)


def test_payloads_over_the_limit_are_refused_and_counted() -> None:
    settings = ls.Settings(async_payload_limit_bytes=16)
    res = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.1))],
        workloads=[Burst(function="f", at_s=0.0, count=7, payload={"order": "0123456789"})],
        settings=settings,
    ).run(seed=1)
    assert res.functions["f"]["rejected_too_large"] == 7
    assert res.functions["f"]["async_events_received"] == 0


# -- schedules -------------------------------------------------------------------------------------------------


def test_rate_expressions() -> None:
    assert parse_schedule("rate(1 minute)").period_s == 60.0
    assert parse_schedule("rate(5 minutes)").period_s == 300.0
    assert parse_schedule("rate(1 hour)").period_s == 3600.0
    assert parse_schedule("rate(2 days)").period_s == 172800.0


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("rate(1 hours)", "takes the unit 'hour'"),
        ("rate(5 hour)", "takes the unit 'hours'"),
        ("rate(0 minutes)", "positive integer"),
        ("rate(1.5 minutes)", "positive integer"),
        ("rate(5 weeks)", "minute"),
        ("cron(0 12 * * *)", "6 fields"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 12 * * ? *)", "minutes values must be 0-59"),
        ("cron(0 24 * * ? *)", "hours values must be 0-23"),
        ("cron(0 12 ? * 8 *)", "day-of-week values must be 1-7"),
        ("cron(0 12 * FOO ? *)", "month values"),
        ("cron(0 12 ? * 3#1,6#3 *)", "alone in its field"),
        ("cron(0 12 * * ? 2300)", "year values must be 1970-2199"),
        ("every 5 minutes", "expected 'rate"),
    ],
)
def test_invalid_expressions_say_why(expression: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace("?", r"\?")):
        parse_schedule(expression)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", "2026-01-01T11:00", "2026-01-01T12:00"),
        ("cron(0 12 * * ? *)", "2026-01-01T12:00", "2026-01-02T12:00"),
        ("cron(15 10 * * ? *)", "2026-01-01T10:15:30", "2026-01-02T10:15"),
        ("cron(0/15 * * * ? *)", "2026-01-01T10:14", "2026-01-01T10:15"),
        ("cron(5/20 * * * ? *)", "2026-01-01T10:26", "2026-01-01T10:45"),
        ("cron(0 8 1 * ? *)", "2026-01-01T09:00", "2026-02-01T08:00"),
        ("cron(0 18 ? * MON-FRI *)", "2026-01-02T19:00", "2026-01-05T18:00"),  # Friday evening -> Monday
        ("cron(0 0 ? * FRI-MON *)", "2026-01-05T01:00", "2026-01-09T00:00"),  # a range that wraps the week
        ("cron(0 9 ? * 2#1 *)", "2026-01-06T00:00", "2026-02-02T09:00"),  # first Monday of the month
        ("cron(0 10 ? * 6L *)", "2026-01-01T00:00", "2026-01-30T10:00"),  # last Friday of January 2026
        ("cron(0 0 ? * L *)", "2026-01-01T00:00", "2026-01-03T00:00"),  # L alone: Saturday
        ("cron(0 0 L * ? *)", "2026-02-01T00:00", "2026-02-28T00:00"),  # last day of the month
        ("cron(0 0 LW * ? *)", "2026-05-01T00:00", "2026-05-29T00:00"),  # May 31 2026 is a Sunday
        ("cron(0 0 1W * ? *)", "2026-01-31T00:00", "2026-02-02T00:00"),  # Feb 1 2026 is a Sunday
        ("cron(0 0 15W * ? *)", "2026-08-01T00:00", "2026-08-14T00:00"),  # Aug 15 2026 is a Saturday
        ("cron(0 12 29 FEB ? *)", "2026-01-01T00:00", "2028-02-29T12:00"),  # the next leap day
        ("cron(30 6 ? JAN,JUL MON 2027)", "2026-01-01T00:00", "2027-01-04T06:30"),
        ("cron(0 12 * * ? 2025)", "2026-01-01T00:00", None),  # only in the past
    ],
)
def test_cron_next_firing(expression: str, after: str, expected: str | None) -> None:
    nxt = parse_schedule(expression).next_after(utc(after))  # type: ignore[union-attr]
    assert (nxt.isoformat() if nxt else None) == (None if expected is None else utc(expected).isoformat())


def test_schedules_fire_at_their_times_from_the_simulation_start() -> None:
    every5 = Schedule(function="f", expression="rate(5 minutes)", stop_s=3600.0)
    assert every5.times() == [300.0 * k for k in range(1, 12)]
    noon = Schedule(function="f", expression="cron(0 12 * * ? *)", stop_s=3 * 86400.0, name="noon")
    assert noon.times() == [43200.0, 129600.0, 216000.0]
    assert noon.times(start="2026-01-01T13:00:00Z") == [82800.0, 169200.0, 255600.0]
    times = arrivals(every5, noon)
    assert times.tolist() == sorted(every5.times() + noon.times())


def test_cron_schedule_uses_the_model_start() -> None:
    w = Schedule(function="f", expression="cron(0 12 * * ? *)", stop_s=86400.0)
    assert arrivals(w, start="2026-01-01T06:00:00Z").tolist() == [21600.0]


def test_scheduled_event_payload_is_eventbridges() -> None:
    SEEN.clear()
    sim = ls.Simulation(seed=1, start="2026-03-01T00:00:00Z")
    sim.client("lambda").create_function(FunctionName="report", Handler=record, Duration=0.1)
    Schedule(function="report", expression="cron(0 12 * * ? *)", stop_s=2 * 86400.0).attach(sim)
    sim.run()
    events = [e for _, e in SEEN]
    assert [e["time"] for e in events] == ["2026-03-01T12:00:00Z", "2026-03-02T12:00:00Z"]
    first = events[0]
    assert first["detail-type"] == "Scheduled Event"
    assert first["source"] == "aws.events"
    assert first["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/schedule"]
    assert first["detail"] == {}
    assert first["id"] != events[1]["id"]


# -- trace replay ----------------------------------------------------------------------------------------------


def test_replay_round_trips_through_csv(tmp_path: Path) -> None:
    trace = Replay(
        function="f",
        times_s=[0.0, 0.1 + 0.2, 1.0, 1.0, 7.123456789],
        payloads=[{"id": 1}, None, {"id": 3, "items": [1, 2]}, {"id": 4}, {"text": 'a "quoted", comma'}],
        sizes_bytes=[120, None, 4096, 0, 2_000_000],
    )
    path = tmp_path / "trace.csv"
    trace.to_csv(path)
    assert Replay.from_csv(path, "f") == trace
    bare = Replay(function="f", times_s=[0.5, 2.5])
    bare.to_csv(path)
    assert Replay.from_csv(path, "f") == bare


def test_replay_from_iso_timestamps_sorted_with_their_payloads(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "timestamp,payload\n"
        '2026-01-01T00:00:05Z,"{""n"": 2}"\n'
        '2026-01-01T00:00:01.5Z,"{""n"": 1}"\n'
        "2026-01-01T00:01:00Z,\n",
        encoding="utf-8",
    )
    trace = Replay.from_csv(path, "f", time_column="timestamp", origin="2026-01-01T00:00:00Z")
    assert trace.times_s == (1.5, 5.0, 60.0)
    assert trace.payloads == ({"n": 1}, {"n": 2}, None)
    relative = Replay.from_csv(path, "f", time_column="timestamp")  # origin: the earliest timestamp
    assert relative.times_s == (0.0, 3.5, 58.5)


def test_replay_from_any_iterable_of_timestamps() -> None:
    stamps = (t * 0.25 for t in range(8))
    assert Replay(function="f", times_s=stamps).times_s == tuple(t * 0.25 for t in range(8))
    moments = [utc("2026-01-01T00:00:10"), utc("2026-01-01T00:00:02")]
    assert Replay.from_timestamps("f", moments, origin=utc("2026-01-01T00:00:00")).times_s == (2.0, 10.0)


def test_replay_invokes_at_the_recorded_times_with_payloads_and_sizes() -> None:
    SEEN.clear()
    sim = ls.Simulation(seed=1, trace=True)
    sim.client("lambda").create_function(FunctionName="f", Handler=record, Duration=0.1, Timeout=10)
    Replay(
        function="f",
        times_s=[1.0, 2.0, 2.0, 3.5],
        payloads=[{"n": 1}, {"n": 2}, None, {"n": 4}],
        sizes_bytes=[100, 2_000_000, None, 10],
    ).attach(sim)
    res = sim.run()
    assert [e for _, e in SEEN] == [{"n": 1}, {}, {"n": 4}]  # the 2 MB one is refused (413)
    assert res.functions["f"]["rejected_too_large"] == 1
    assert res.trace is not None
    assert [t.start for t in res.trace if t.kind == "Success"] == [1.0, 2.0, 3.5]


def test_replay_validates_order_and_lengths() -> None:
    with pytest.raises(ValueError, match="must be in order"):
        Replay(function="f", times_s=[2.0, 1.0])
    with pytest.raises(ValueError, match="one payload per time"):
        Replay(function="f", times_s=[1.0, 2.0], payloads=[{}])
    with pytest.raises(TypeError, match=r"payloads\[0\] must be JSON-serialisable"):
        Replay(function="f", times_s=[1.0], payloads=[{1, 2}])
    with pytest.raises(ValueError, match=r"sizes_bytes\[1\] must be >= 0"):
        Replay(function="f", times_s=[1.0, 2.0], sizes_bytes=[1, -5])


# -- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: Poisson(function="f", rate_per_s=0, stop_s=10),
            ValueError,
            r"rate_per_s must be > 0 and <= 1e\+06, got 0",
        ),
        (lambda: Poisson(function="f", rate_per_s="5", stop_s=10), TypeError, "rate_per_s must be a number"),
        (lambda: Poisson(function="", rate_per_s=1, stop_s=10), TypeError, "function must be a function name"),
        (
            lambda: Poisson(function="f", rate_per_s=1, stop_s=10, invocation_type="Async"),
            ValueError,
            "invocation_type must be one of",
        ),
        (lambda: Poisson(function="f", rate_per_s=1, stop_s=10, payload={1, 2}), TypeError, "JSON-serialisable"),
        (lambda: DailyCycle(mean_per_s=1, amplitude=1.5), ValueError, r"amplitude must be in \[0, 1\]"),
        (lambda: Piecewise(times_s=[5], rates_per_s=[1]), ValueError, "times_s must start at 0"),
        (lambda: Piecewise(times_s=[0, 0], rates_per_s=[1, 2]), ValueError, "increase strictly"),
        (lambda: Piecewise(times_s=[0], rates_per_s=[-1]), ValueError, r"rates_per_s\[0\] must be >= 0"),
        (lambda: Spike(at_s=0, duration_s=0, extra_per_s=1), ValueError, "duration_s must be > 0"),
        (lambda: RateFunction(fn=3, max_per_s=1), TypeError, "fn must be a callable"),
        (lambda: Schedule(function="f", expression="rate(1 hours)", stop_s=9), ValueError, "hour"),
        (lambda: VaryingPoisson(function="f", rate=5, stop_s=9), TypeError, "rate must be a rate profile"),
    ],
)
def test_workloads_validate_where_written(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_workloads_are_frozen_and_evolve() -> None:
    import attrs

    w = Poisson(function="f", rate_per_s=1.0, stop_s=10.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        w.rate_per_s = 2.0  # type: ignore[misc]
    assert attrs.evolve(w, rate_per_s=2.0).expected_count() == 20.0


def test_workloads_pickle_for_process_pools() -> None:
    import pickle

    for w in (
        Poisson(function="f", rate_per_s=1.0, stop_s=10.0),
        VaryingPoisson(
            function="f", rate=DailyCycle(mean_per_s=2.0) + Spike(at_s=1, duration_s=2, extra_per_s=3), stop_s=10.0
        ),
        VaryingPoisson(function="f", rate=ramp, max_rate_per_s=10.0, stop_s=10.0),
        Schedule(function="f", expression="cron(0 12 * * ? *)", stop_s=10.0),
        Replay(function="f", times_s=[1.0], payloads=[{"a": 1}]),
    ):
        assert pickle.loads(pickle.dumps(w)) == w


def test_expected_count_is_documented_for_every_workload() -> None:
    assert json.dumps(Burst(function="f", at_s=0, count=3).expected_count()) == "3.0"
