"""The active idle timeout (``Settings.active_idle_timeout_s``): while a function runs invocations its idle
environments are kept up to that long; once it has been quiet for ``idle_timeout_s`` (+ jitter) they all go."""

from __future__ import annotations

import itertools
import math

import pytest

import lambdasim as ls
from lambdasim.core.counters import FunctionStats
from lambdasim.core.environments import EnvironmentPool


def pool(active: float | None = 900.0, timeout: float = 600.0, **kw: object) -> tuple[EnvironmentPool, FunctionStats]:
    st = FunctionStats(0.0)
    return EnvironmentPool(st, idle_timeout_s=timeout, max_lifetime_s=None, active_idle_timeout_s=active, **kw), st


def test_a_quiet_function_loses_its_environments_after_the_idle_timeout() -> None:
    p, st = pool()
    born = p.create(0.0)
    p.release(1.0, born, False)
    assert p.take(600.5) is not None  # quiet for 599.5 s: still warm
    p.release(601.0, born, False)
    assert p.take(1201.5) is None  # quiet for 600.5 s: shut down at 1201.0
    assert (st.environments_shut_down, st.environment_lifespan.max) == (1, 1201.0)


def test_an_idle_environment_outlives_the_idle_timeout_while_the_function_is_busy() -> None:
    p, st = pool()
    a, b = p.create(0.0), p.create(0.0)
    p.release(1.0, b, False)  # b idle from 1 s; a stays busy
    assert p.take(800.0)[1] == b  # type: ignore[index]  # idle 799 s > 600 s, kept: the function is busy
    p.release(801.0, b, False)
    assert p.take(1702.0) is None  # idle 901 s > the active idle timeout of 900 s
    assert st.environment_lifespan.max == 1701.0
    p.release(1703.0, a, False)  # the function falls quiet at 1703 s
    assert p.idle_count(2303.0) == 1
    assert p.idle_count(2303.5) == 0
    assert st.environment_lifespan.max == 2303.0


def test_the_quiet_deadline_never_extends_an_environment_past_its_own() -> None:
    p, st = pool(active=700.0)
    a, b = p.create(0.0), p.create(0.0)
    p.release(1.0, b, False)  # b's own deadline: 701 s
    p.release(200.0, a, False)  # a's own: 900 s; quiet from 200 s, so all go at 800 s
    assert p.take(1000.0) is None
    assert sorted([st.environment_lifespan.min, st.environment_lifespan.max]) == [701.0, 800.0]
    assert st.environments_shut_down == 2


def test_without_an_active_idle_timeout_the_rule_is_unchanged() -> None:
    p, _ = pool(active=None)
    p.create(0.0)  # stays busy
    b = p.create(0.0)
    p.release(1.0, b, False)
    assert p.take(800.0) is None  # b idle 799 s > 600 s although the other one is busy


def test_the_quiet_deadline_draws_its_jitter_once_per_quiet_period() -> None:
    draws = itertools.cycle([0.5, 0.25])
    p, st = pool(idle_jitter_s=40.0, uniform=lambda: next(draws))
    born = p.create(0.0)
    p.release(0.0, born, False)  # quiet until 620 s
    assert p.take(619.9) is not None
    p.release(620.0, born, False)  # quiet until 620 + 610 = 1230 s
    assert p.take(1230.1) is None
    assert st.environment_lifespan.max == pytest.approx(1230.0)


def test_counted_environment_seconds_count_from_birth_to_last_use_plus_the_allowance() -> None:
    p, _ = pool(active=None)
    a, b = p.create(0.0), p.create(10.0)
    p.release(5.0, a, False)
    p.release(20.0, b, False)
    assert p.take(2000.0) is None  # both shut down, spans of use 5 and 10 s
    c = p.create(3000.0)
    p.release(3002.0, c, False)
    # (5 + 100) + (10 + 100) + min(3002 + 100, 3050) - 3000
    assert p.counted_environment_seconds(3050.0, 100.0) == pytest.approx(105.0 + 110.0 + 50.0)


def test_the_setting_is_checked_and_reaches_the_engine() -> None:
    with pytest.raises(ValueError, match="active_idle_timeout_s"):
        ls.Settings(active_idle_timeout_s=0.0)
    with pytest.raises(ValueError, match="active_idle_timeout_s"):
        pool(active=-1.0)
    sim = ls.Simulation(seed=1, settings=ls.Settings(active_idle_timeout_s=1234.0))
    sim.client("lambda").create_function(FunctionName="f", Duration=1.0)
    assert sim.engine.functions["f"].pool._active == 1234.0
    assert math.isinf(sim.engine.functions["f"].pool._quiet_until)


def test_poisson_cold_starts_of_a_single_environment_follow_the_quiet_rule() -> None:
    """With one request at a time the rule is the idle timeout's: P(cold) = exp(-rate * (T + d))."""
    settings = ls.Settings(idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, active_idle_timeout_s=900.0)
    from lambdasim import calibrate as cal

    row = cal.RateObservation(arrival_rate_per_s=1 / 600, cold_start_share=0.5, duration_s=0.1, horizon_s=600_000)
    cold, _ = cal.predict(settings, row, seeds=(1,))
    expected = math.exp(-(600.1) / 600)
    se = math.sqrt(expected * (1 - expected) / 1000)
    assert abs(cold - expected) < 4 * se, (cold, expected)


def test_the_active_idle_timeout_draws_its_jitter_per_idle_period() -> None:
    draws = itertools.cycle([0.5, 0.25])
    p, st = pool(active=620.0, active_jitter_s=980.0, active_uniform=lambda: next(draws))
    busy, b = p.create(0.0), p.create(0.0)
    p.release(1.0, b, False)  # kept 620 + 0.5 * 980 = 1110 s while the function is busy: until 1111 s
    assert p.take(1111.0)[1] == b  # type: ignore[index]
    p.release(1112.0, b, False)  # this time 620 + 0.25 * 980 = 865 s: until 1977 s
    assert p.idle_count(1977.0) == 1
    assert p.idle_count(1977.5) == 0
    assert st.environment_lifespan.max == 1977.0
    p.release(2000.0, busy, False)
    assert st.environments_shut_down == 1


def test_the_active_jitter_is_checked() -> None:
    with pytest.raises(ValueError, match="active_jitter_s must be >= 0"):
        pool(active_jitter_s=-1.0)
    with pytest.raises(ValueError, match="needs a uniform random source"):
        pool(active_jitter_s=10.0)
    pool(active=None, active_jitter_s=10.0)  # unused without an active idle timeout: nothing to draw
    with pytest.raises(ValueError, match="active_idle_timeout_jitter_s"):
        ls.Settings(active_idle_timeout_jitter_s=-1.0)


def test_default_active_idle_timeouts_spread_uniformly_over_620_to_1600_s() -> None:
    """Environments freed one by one while another stays busy live a uniform draw on [620, 1600) s (seeded)."""
    sim = ls.Simulation(seed=3)
    sim.client("lambda").create_function(FunctionName="f", Duration=1.0)
    fs = sim.engine.functions["f"]
    assert (fs.pool._active, fs.pool._active_jitter) == (620.0, 980.0)
    p = fs.pool
    p.create(0.0)  # busy throughout
    n = 4000
    for i in range(n):
        p.release(float(i), p.create(float(i)), False)
    p.settle(1e6)
    lives = p._stats.environment_lifespan
    assert lives.count == n
    assert lives.min >= 620.0 and lives.max < 1600.0
    # the mean of n uniforms on [620, 1600): 1110 with a standard error of 980 / sqrt(12 n)
    assert abs(lives.mean - 1110.0) < 4 * 980.0 / math.sqrt(12 * n), lives.mean
    plain = ls.Simulation(seed=3, settings=ls.Settings(active_idle_timeout_jitter_s=0.0))
    plain.client("lambda").create_function(FunctionName="f", Duration=1.0)
    assert plain.engine.functions["f"].pool._active_uniform is None


def test_counted_environment_seconds_after_a_warm_up_count_only_what_a_log_since_then_sees() -> None:
    p, st = pool(active=None)
    a = p.create(0.0)
    p.release(5.0, a, False)  # used before the warm-up ends only: a log from 100 s on never sees it
    b = p.create(50.0)
    p.release(60.0, b, False)
    assert p.take(120.0)[1] == b  # type: ignore[index]
    st.reset(100.0)  # the warm-up ends at 100 s
    p.release(130.0, b, False)  # b, born before, counts from 100 s
    c = p.create(200.0)
    p.release(210.0, c, False)
    # b: 100 to 130 + 50; c: 200 to 210 + 50; a not at all
    assert p.counted_environment_seconds(1000.0, 50.0) == pytest.approx(80.0 + 60.0)
    assert p.take(2000.0) is None  # both shut down: the same count from what was kept of them
    assert p.counted_environment_seconds(2000.0, 50.0) == pytest.approx(80.0 + 60.0)
