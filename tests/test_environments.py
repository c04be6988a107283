"""Execution environments (spec 5): cold starts, LIFO reuse, idle timeout, maximum lifetime, reset, statistics."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.core.counters import FunctionStats
from lambdasim.core.dist import stream
from lambdasim.core.environments import EnvironmentPool
from lambdasim.planning.sync import SyncPoisson
from tests.helpers import send

FIXED = ls.Settings(
    idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, environment_reuse="most_recent", active_idle_timeout_s=None
)
"""The rule of earlier versions: a fixed 600 s idle timeout and strict most-recent reuse (exact timings)."""


def setup(settings: ls.Settings | None = FIXED, **params: Any) -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(seed=1, settings=settings, trace=True)
    lam = sim.client("lambda")
    lam.create_function(**{"FunctionName": "f", "Duration": 1.0, "Timeout": 30, **params})
    return sim, lam


def call_at(sim: ls.Simulation, lam: Any, t: float) -> float:
    """A top-level RequestResponse invoke at simulated time ``t``; returns how long it took."""
    sim.run(until=t)
    lam.invoke(FunctionName="f", Payload=b"{}")
    return sim.now - t


def stats(sim: ls.Simulation) -> FunctionStats:
    return sim.results().stats("f")


# -- the pool on its own ------------------------------------------------------------------------------------------


def test_pool_reuses_the_most_recently_freed_environment_first() -> None:
    st = FunctionStats(0.0)
    pool = EnvironmentPool(st, idle_timeout_s=600.0, max_lifetime_s=None)
    a, b, c = pool.create(0.0), pool.create(1.0), pool.create(2.0)
    pool.release(10.0, born=b, reset=False)
    pool.release(11.0, born=a, reset=False)
    pool.release(12.0, born=c, reset=False)
    taken = [pool.take(20.0), pool.take(20.0), pool.take(20.0), pool.take(20.0)]
    assert [e[1] if e else None for e in taken] == [c, a, b, None]
    assert st.environments_created == 3
    assert st.idle_environment_s == pytest.approx(8.0 + 9.0 + 10.0)


def test_pool_discards_dead_entries_when_popped_and_accounts_their_real_shutdown_time() -> None:
    st = FunctionStats(0.0)
    pool = EnvironmentPool(st, idle_timeout_s=100.0, max_lifetime_s=None)
    old, new = pool.create(0.0), pool.create(50.0)
    pool.release(10.0, born=old, reset=False)  # dies at 110
    pool.release(200.0, born=new, reset=False)  # dies at 300
    assert pool.take(250.0) == (300.0, 50.0, 200.0, False)
    assert pool.take(250.0) is None  # the old one died at 110: discarded now
    assert st.environments_shut_down == 1
    assert st.environment_lifespan.max == 110.0
    assert st.idle_environment_s == pytest.approx(100.0 + 50.0)


def test_pool_idle_jitter_draws_each_timeout_from_the_given_stream() -> None:
    draws = iter([0.25, 0.75])
    st = FunctionStats(0.0)
    pool = EnvironmentPool(
        st, idle_timeout_s=600.0, max_lifetime_s=None, idle_jitter_s=40.0, uniform=lambda: next(draws)
    )
    pool.release(0.0, born=0.0, reset=False)
    pool.release(0.0, born=0.0, reset=False)
    assert [e[0] for e in pool._idle] == [610.0, 630.0]


def test_mixed_reuse_takes_the_least_recently_freed_when_its_countdown_ends() -> None:
    """``reuse="mixed"``: the gap source says which warm start (among those finding more than one environment idle)
    takes the least recently freed; the others take the most recent. With one environment idle nothing counts."""
    gaps = iter([2, 5])
    st = FunctionStats(0.0)
    pool = EnvironmentPool(
        st,
        idle_timeout_s=600.0,
        max_lifetime_s=None,
        reuse="mixed",
        least_recent_probability=0.1,
        reuse_gaps=lambda: next(gaps),
    )
    a, b, c = pool.create(0.0), pool.create(1.0), pool.create(2.0)
    for t, born in ((10.0, a), (11.0, b), (12.0, c)):
        pool.release(t, born=born, reset=False)
    taken = [pool.take(20.0), pool.take(20.0), pool.take(20.0)]  # trial 1: most recent; trial 2: least; no trial
    assert [e[1] if e else None for e in taken] == [c, a, b]
    assert pool._countdown == 5


def test_mixed_reuse_share_of_least_recent_takes_is_its_probability() -> None:
    """Two idle environments at every take, gaps drawn geometric as the engine draws them: the count of
    least-recent takes is Binomial(n, p)."""
    p, n = 0.2, 20_000
    rng = np.random.default_rng(5)
    st = FunctionStats(0.0)
    pool = EnvironmentPool(
        st,
        idle_timeout_s=1e9,
        max_lifetime_s=None,
        reuse="mixed",
        least_recent_probability=p,
        reuse_gaps=stream(lambda k: rng.geometric(p, k)),
    )
    first, second = pool.create(0.0), pool.create(0.0) + 1.0  # two tokens told apart by their birth times
    pool.release(1.0, born=first, reset=False)
    pool.release(2.0, born=second, reset=False)
    least = 0
    for i in range(n):
        now = 3.0 + i
        entry = pool.take(now)
        assert entry is not None
        least += entry[2] < pool._idle[0][2]  # it was freed before the one left idle
        pool.release(now + 0.5, born=entry[1], reset=False)
    sd = math.sqrt(n * p * (1 - p))
    assert abs(least - n * p) < 4 * sd


def test_pool_rejects_a_bad_reuse_rule() -> None:
    st = FunctionStats(0.0)
    with pytest.raises(ValueError, match="reuse must be one of"):
        EnvironmentPool(st, idle_timeout_s=1.0, max_lifetime_s=None, reuse="random")
    with pytest.raises(ValueError, match=r"least_recent_probability must be in \[0, 1\], got 1.5"):
        EnvironmentPool(st, idle_timeout_s=1.0, max_lifetime_s=None, reuse="mixed", least_recent_probability=1.5)
    with pytest.raises(ValueError, match="needs a source of geometric gaps"):
        EnvironmentPool(st, idle_timeout_s=1.0, max_lifetime_s=None, reuse="mixed", least_recent_probability=0.5)


def test_environment_settings_are_validated_naming_the_field() -> None:
    with pytest.raises(ValueError, match="least_recent_reuse_probability"):
        ls.Settings(least_recent_reuse_probability=1.01)
    with pytest.raises(ValueError, match="idle_timeout_jitter_s"):
        ls.Settings(idle_timeout_jitter_s=-1.0)


def test_pool_settle_counts_idle_environments_alive_now() -> None:
    st = FunctionStats(0.0)
    pool = EnvironmentPool(st, idle_timeout_s=100.0, max_lifetime_s=None)
    pool.release(0.0, born=0.0, reset=False)
    pool.release(50.0, born=0.0, reset=False)
    assert pool.idle_count(120.0) == 1
    assert pool.open_idle_seconds(120.0) == pytest.approx(70.0)
    assert st.idle_environment_s == pytest.approx(100.0)


# -- through the simulation ---------------------------------------------------------------------------------------


def test_a_cold_start_pays_the_init_duration_before_the_first_invoke_only() -> None:
    sim, lam = setup(InitDuration=2.0, Duration=1.0)
    assert call_at(sim, lam, 0.0) == 3.0
    assert call_at(sim, lam, 10.0) == 1.0
    assert stats(sim).cold_starts == 1
    assert stats(sim).environments_created == 1


def test_the_fixed_idle_timeout_is_600_s_and_inclusive() -> None:
    sim, lam = setup(InitDuration=0.5, Duration=1.0)
    assert call_at(sim, lam, 0.0) == 1.5  # freed at 1.5
    assert call_at(sim, lam, 601.5) == 1.0  # idle exactly 600 s: still warm; freed at 602.5
    assert call_at(sim, lam, 1203.0) == 1.5  # idle 600.5 s: shut down at 1202.5, a new one starts cold
    st = stats(sim)
    assert (st.cold_starts, st.environments_created, st.environments_shut_down) == (2, 2, 1)
    assert st.environment_lifespan.max == 1202.5


def test_idle_timeout_is_a_setting() -> None:
    sim, lam = setup(attrs.evolve(FIXED, idle_timeout_s=60.0), Duration=1.0)
    call_at(sim, lam, 0.0)
    call_at(sim, lam, 61.0)
    call_at(sim, lam, 122.5)
    assert stats(sim).cold_starts == 2


def test_lifo_reuse_decides_which_environment_idles_out() -> None:
    """Env A born 0 (freed 10), env B born 5 (freed 15). One event at 20 takes B, the most recently freed.

    LIFO: A dies at 610 (lifespan 610), B freed at 30 dies at 630 (lifespan 625). Oldest-first would give 630, 610.
    """
    sim, lam = setup(Duration=10.0)
    send(lam)
    sim.run(until=5)
    send(lam)
    sim.run(until=20)
    send(lam)
    sim.run(until=2000)
    st = stats(sim)
    assert (st.cold_starts, st.environments_created, st.environments_shut_down) == (2, 2, 2)
    assert (st.environment_lifespan.min, st.environment_lifespan.max) == (610.0, 625.0)


def test_a_timeout_resets_the_environment_so_the_next_invoke_initialises_again() -> None:
    sim, lam = setup(InitDuration=2.0, Duration=5.0, Timeout=1)
    assert call_at(sim, lam, 0.0) == 3.0  # init 2 s, then timed out after 1 s
    assert call_at(sim, lam, 10.0) == 3.0  # same environment, initialised again
    st = stats(sim)
    assert (st.cold_starts, st.environments_created, st.environments_reinitialised) == (2, 1, 1)


def test_a_runtime_exit_resets_the_environment_but_an_exception_does_not() -> None:
    def crash(event: dict[str, Any], context: object) -> None:
        if event.get("exit"):
            raise SystemExit(1)
        raise ValueError("handled by the runtime")

    sim, lam = setup(Handler=crash, InitDuration=1.0, Duration=1.0)
    sim.run(until=0)
    lam.invoke(FunctionName="f", Payload=b'{"raise": 1}')  # cold: 2 s
    lam.invoke(FunctionName="f", Payload=b'{"raise": 1}')  # warm after an exception: 1 s
    assert sim.now == 3.0
    lam.invoke(FunctionName="f", Payload=b'{"exit": 1}')  # warm, exits: reset
    lam.invoke(FunctionName="f", Payload=b"{}")  # initialises again: 2 s
    assert sim.now == 6.0
    assert stats(sim).environments_reinitialised == 1


def test_running_out_of_memory_resets_the_environment() -> None:
    """AWS kills the runtime on out-of-memory: the next invoke initialises again (spec 5, "a crash resets it")."""
    oom = ls.Behaviour(
        duration=1.0,
        error_rate=1.0,
        error_type="Runtime.OutOfMemory",
        error_message="Runtime exited with error: signal: killed",
    )
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=oom, InitDuration=1.0, Timeout=30)
    assert call_at(sim, lam, 0.0) == 2.0  # cold
    assert call_at(sim, lam, 10.0) == 2.0  # reset by the OOM kill: cold again
    assert stats(sim).environments_reinitialised == 1


def test_maximum_lifetime_retires_a_busy_environment_when_its_invocation_ends() -> None:
    sim, lam = setup(ls.Settings(max_environment_lifetime_s=100.0), InitDuration=0.5, Duration=1.0)
    call_at(sim, lam, 0.0)
    call_at(sim, lam, 50.0)
    call_at(sim, lam, 98.5)  # ends at 99.5: age 99.5, kept
    call_at(sim, lam, 99.0 + 0.5)  # ends at 100.5: age 100.5 >= 100, retired
    assert stats(sim).cold_starts == 1
    assert call_at(sim, lam, 101.0) == 1.5
    st = stats(sim)
    assert (st.cold_starts, st.environments_shut_down, st.environment_lifespan.max) == (2, 1, 100.5)


def test_maximum_lifetime_shuts_down_an_idle_environment_before_its_idle_timeout() -> None:
    sim, lam = setup(ls.Settings(max_environment_lifetime_s=100.0), Duration=1.0)
    call_at(sim, lam, 0.0)
    call_at(sim, lam, 100.5)
    st = stats(sim)
    assert (st.cold_starts, st.environment_lifespan.max) == (2, 100.0)


def test_default_maximum_lifetime_is_two_hours() -> None:
    assert ls.Settings().max_environment_lifetime_s == 7200.0


def test_idle_jitter_is_seeded_and_stays_within_its_bound() -> None:
    def lifespans(seed: int) -> list[float]:
        sim = ls.Simulation(seed=seed, settings=attrs.evolve(FIXED, idle_timeout_jitter_s=60.0))
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Duration=1.0)
        for t in range(0, 50_000, 1000):
            sim.run(until=t)
            lam.invoke(FunctionName="f", Payload=b"{}")
        sim.run(until=60_000)
        st = sim.results().stats("f")
        return [st.environment_lifespan.min, st.environment_lifespan.max, st.environment_lifespan.mean]

    first = lifespans(3)
    assert first == lifespans(3)
    assert first != lifespans(4)
    low, high, mean = first
    assert 601.0 <= low < high <= 661.0
    assert mean == pytest.approx(631.0, abs=10.0)


def test_default_idle_timeouts_spread_uniformly_over_their_documented_range() -> None:
    """Default settings: each idle period ends after ``idle_timeout_s + U * idle_timeout_jitter_s``, U ~ U[0, 1).

    One invocation every 2,000 s (each environment dies idle before the next): lifespans are 1 s of work plus the
    idle timeout, so they fill [601, 601 + jitter) with mean 601 + jitter / 2 (50 draws: the mean's standard error
    is jitter / sqrt(12 * 50)).
    """
    s = ls.Settings()
    sim = ls.Simulation(seed=9)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=1.0)
    for t in range(0, 100_000, 2000):
        sim.run(until=t)
        lam.invoke(FunctionName="f", Payload=b"{}")
    sim.run(until=110_000)
    st = sim.results().stats("f")
    low, high = 1.0 + s.idle_timeout_s, 1.0 + s.idle_timeout_s + s.idle_timeout_jitter_s
    assert st.environments_created == st.cold_starts == 50
    assert low <= st.environment_lifespan.min < st.environment_lifespan.max < high
    se = s.idle_timeout_jitter_s / math.sqrt(12 * 50)
    assert st.environment_lifespan.mean == pytest.approx((low + high) / 2, abs=4 * se)


def test_default_environment_rule_is_seeded() -> None:
    """Idle jitter and mixed reuse draw from seeded streams of their own: same seed, same run; the arrivals do not
    depend on them (common random numbers)."""

    def run(seed: int, settings: ls.Settings) -> tuple[Any, ...]:
        sim = ls.Simulation(seed=seed, settings=settings)
        sim.client("lambda").create_function(FunctionName="f", Handler=ls.Behaviour(duration=2.0))
        SyncPoisson(function="f", rate_per_s=0.05, stop_s=40_000.0).attach(sim)
        f = sim.run(until=40_000.0).functions["f"]
        env = f["environments"]
        return f["invocations"], env["cold_starts"], env["total_mean"], env["lifespan_s"]["mean"]

    first = run(4, ls.Settings())
    assert first == run(4, ls.Settings())
    assert first != run(5, ls.Settings())
    assert run(4, FIXED)[0] == first[0]  # same arrivals whatever the environment rule
    assert run(4, FIXED)[1:] != first[1:]


def test_environment_figures_are_time_averages() -> None:
    sim, lam = setup(Duration=10.0)
    send(lam)
    res = sim.run(until=1000)
    env = res.functions["f"]["environments"]
    assert env["busy_mean"] == pytest.approx(10 / 1000)
    assert env["idle_mean"] == pytest.approx(600 / 1000)  # freed at 10, shut down at 610
    assert env["total_mean"] == pytest.approx(610 / 1000)
    assert env["cold_start_probability"] == 1.0
    assert env["idle_now"] == 0
    assert env["lifespan_s"]["max"] == 610.0


def test_environment_statistics_restart_after_a_warm_up() -> None:
    sim, lam = setup(Duration=10.0)
    send(lam)
    sim.engine.reset_statistics(100.0)
    res = sim.run(until=1100)
    env = res.functions["f"]["environments"]
    assert env["idle_mean"] == pytest.approx((610 - 100) / 1000)
    assert env["cold_starts"] == 0
    assert env["shut_down"] == 1


# -- closed forms -------------------------------------------------------------------------------------------------


def low_rate_run(seed: int, horizon: float) -> dict[str, Any]:
    settings = attrs.evolve(FIXED, max_environment_lifetime_s=None)
    sim = ls.Simulation(seed=seed, settings=settings)
    sim.client("lambda").create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.1))
    SyncPoisson(function="f", rate_per_s=1 / 600, stop_s=horizon).attach(sim)
    return sim.run(until=horizon).functions["f"]["environments"]  # type: ignore[no-any-return]


def test_low_rate_traffic_cold_start_probability_and_instances_match_the_idle_timeout() -> None:
    """One request per 10 min, fixed idle timeout T = 600 s, duration d = 0.1 s, Poisson arrivals (rate lam).

    A request is cold iff the gap since the previous one exceeds T + d: P(cold) = exp(-lam (T + d)) = 0.368. The
    one environment is alive iff the last request came less than T + d ago: mean instances = 1 - exp(-lam (T + d)).
    """
    lam, t, d = 1 / 600, 600.0, 0.1
    runs = [low_rate_run(seed, 1.2e6) for seed in range(8)]
    p_cold = math.exp(-lam * (t + d))
    for key, expected in (("cold_start_probability", p_cold), ("total_mean", 1 - p_cold)):
        values = np.array([r[key] for r in runs])
        half_width = 3.5 * values.std(ddof=1) / math.sqrt(len(values))  # t(0.995, 7) = 3.5
        assert abs(values.mean() - expected) < half_width, (key, values.mean(), expected, half_width)
        assert half_width < 0.02  # the check has teeth


@pytest.mark.parametrize("seed", [1, 2])
def test_littles_law_busy_environments_equal_arrival_rate_times_mean_duration(seed: int) -> None:
    """No concurrency limit in reach: time-averaged busy environments = lam * E[S] = 20/s * 0.5 s = 10."""
    sim = ls.Simulation(seed=seed, concurrency_limit=5000)
    sim.client("lambda").create_function(
        FunctionName="f", Handler=ls.Behaviour(duration=dist.Exponential(0.5)), Timeout=60
    )
    SyncPoisson(function="f", rate_per_s=20.0, stop_s=1500.0).attach(sim)
    f = sim.run(until=1500.0).functions["f"]
    assert f["sync_throttles"] == 0
    # Relative standard error of a 1500 s time average here is about 1.2%: 5% is a tight, safe band.
    assert f["environments"]["busy_mean"] == pytest.approx(10.0, rel=0.05)
    # Peaks need new environments; LIFO reuse lets those at the bottom of the idle stack time out in between.
    env = f["environments"]
    assert env["cold_starts"] == env["created"] >= f["concurrency"]["max"]
    assert env["cold_start_probability"] < 0.01


def test_each_version_has_its_own_environments() -> None:
    """An environment runs one version's code: a warm $LATEST environment does not serve version 1."""
    sim, lam = setup(InitDuration=2.0, Duration=1.0)
    lam.publish_version(FunctionName="f")
    assert call_at(sim, lam, 0.0) == 3.0  # $LATEST, cold
    sim.run(until=10.0)
    start = sim.now
    lam.invoke(FunctionName="f", Qualifier="1", Payload=b"{}")
    assert sim.now - start == 3.0  # version 1, cold too
    assert call_at(sim, lam, 20.0) == 1.0  # $LATEST, warm
    res = sim.run(until=1000.0)
    env = res.functions["f"]["environments"]
    assert (env["created"], env["shut_down"]) == (2, 2)
    assert env["idle_mean"] == pytest.approx((17 + 600 + 600) / 1000)  # $LATEST's idle 3..20 and 21..621
