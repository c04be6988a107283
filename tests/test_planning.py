"""Planning helpers: bisection over a monotone parameter, on cases whose answer is known."""

from __future__ import annotations

import math

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.experiment import sweep
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.planning import (
    MemoryDurations,
    Objective,
    Target,
    least,
    least_reserved_concurrency,
)
from lambdasim.workload import Burst, Poisson


def paced(count: int = 80, spacing_s: float = 0.125, duration_s: float = 1.0) -> Model:
    """Deterministic: an event every ``spacing_s`` for ``count`` events, each running ``duration_s``."""
    return Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=duration_s))],
        workloads=[Burst(function="f", at_s=0.0, count=count, over_s=count * spacing_s)],
    )


def test_known_answer_concurrency_is_duration_over_spacing() -> None:
    # 1 s per event, one event every 0.125 s: 8 at once. An attempt ending at t frees its slot for an arrival at t.
    plan = least_reserved_concurrency(paced(), "f", Objective(Target("throttles", at_most=0)), high=40, replications=1)
    assert plan.value == 8
    assert plan.margin == {"throttles <= 0": 0.0}
    below = plan.below
    assert below is not None
    assert below.value == 7
    assert not below.met
    assert below.margins["throttles <= 0"] < 0
    # Bisection: about log2(40) evaluations, not 40.
    assert len(plan.evaluations) <= 8
    assert "least functions[f].reserved_concurrency = 8" in plan.report()


@pytest.mark.parametrize(("spacing", "expected"), [(0.25, 4), (0.5, 2), (0.0625, 16)])
def test_known_answers_at_other_spacings(spacing: float, expected: int) -> None:
    plan = least_reserved_concurrency(
        paced(count=int(20 / spacing), spacing_s=spacing),
        "f",
        Objective(Target("event_age_max_s", at_most=0.0)),  # no event waits at all
        high=64,
        replications=1,
    )
    assert plan.value == expected


def test_no_candidate_meets_the_objective() -> None:
    plan = least_reserved_concurrency(paced(), "f", Objective(Target("throttles", at_most=0)), high=5, replications=1)
    assert plan.value is None
    assert plan.margin == {}
    assert plan.below is None
    assert "no candidate meets it" in plan.report()
    assert [e.value for e in plan.evaluations] == [5]


def test_the_first_candidate_can_be_the_answer() -> None:
    plan = least_reserved_concurrency(
        paced(), "f", Objective(Target("throttles", at_most=0)), low=10, high=12, replications=1
    )
    assert plan.value == 10
    assert plan.below is None


def test_p99_event_age_and_no_drops_with_replications() -> None:
    """A stochastic case: the answer meets the objective in every replication and the value below does not."""
    model = Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.Exponential(1.0)),
                timeout_s=60,  # AWS's default of 3 s would time out the tail of the durations: retries at age 60+
                event_invoke=EventInvoke(maximum_event_age_s=300),
            )
        ],
        workloads=[Poisson(function="orders", rate_per_s=5.0, stop_s=600.0)],
        horizon_s=1200.0,
    )
    objective = Objective(Target("event_age_p99_s", at_most=60.0), Target("async_events_dropped", at_most=0))
    plan = least_reserved_concurrency(model, "orders", objective, high=30, replications=3, seed=1)
    assert plan.value is not None
    # The offered load is 5 busy on average: fewer cannot keep up, and a handful more is plenty.
    assert 6 <= plan.value <= 12
    answer = plan.evaluation(plan.value)
    assert answer.met
    assert all(m >= 0 for m in plan.margin.values())
    assert answer.intervals["event_age_p99_s"].mean <= 60.0
    below = plan.below
    assert below is not None and not below.met
    # Monotone, as the search assumes: every candidate evaluated below the answer fails, above meets.
    for e in plan.evaluations:
        assert e.met == (e.value >= plan.value)


def test_rules_mean_and_bound() -> None:
    reps_model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.1, error_rate=0.5))],
        workloads=[Burst(function="f", at_s=0.0, count=400, over_s=400.0)],
    )
    every = Objective(Target("dropped_fraction", at_most=0.2), rule="every")
    mean = Objective(Target("dropped_fraction", at_most=0.2), rule="mean")
    bound = Objective(Target("dropped_fraction", at_most=0.2), rule="bound")
    variation = "functions[f].event_invoke"
    candidates = [EventInvoke(maximum_retry_attempts=r) for r in (0, 1, 2)]
    # Half the attempts fail: 1/2, 1/4 and 1/8 of the events are dropped with 0, 1 and 2 retries.
    for objective in (every, mean, bound):
        plan = least(reps_model, variation, candidates, objective, replications=3, seed=2)
        assert plan.value == candidates[2], objective.rule


def test_least_memory_with_measured_durations() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0))],
        workloads=[Burst(function="f", at_s=0.0, count=10, over_s=10.0)],
    )
    # Twice the memory, half the time (a CPU-bound handler); objective: p50 duration at most 0.3 s.
    memory = MemoryDurations("f", {128: 1.0, 256: 0.5, 512: 0.25, 1024: 0.125})
    plan = least(model, memory, memory.sizes, Objective(Target("duration_p50_s", at_most=0.3)), replications=1)
    assert plan.value == 512
    assert plan.variation == "memory_mb"
    assert plan.margin["duration_p50_s <= 0.3"] == pytest.approx(0.05, abs=0.002)
    # The same variation in a sweep: duration halves and GB-seconds stay put as memory doubles.
    result = sweep(model, {memory: memory.sizes}, replications=1)
    assert list(result.pivot("duration_mean_s")) == pytest.approx([1.0, 0.5, 0.25, 0.125])
    gb_s = result.pivot("gb_seconds")
    assert gb_s.max() == pytest.approx(gb_s.min())
    with pytest.raises(KeyError, match="no duration measured at 384"):
        memory(model, 384)


def test_targets_and_objectives_validate() -> None:
    with pytest.raises(ValueError, match="needs at_most, at_least or both"):
        Target("throttles")
    with pytest.raises(ValueError, match="at least one target"):
        Objective()
    with pytest.raises(ValueError, match="rule must be one of"):
        Objective(Target("throttles", at_most=0), rule="sometimes")
    with pytest.raises(TypeError, match="Target objects"):
        Objective("throttles <= 0")  # type: ignore[arg-type]
    both = Target("concurrency_mean", at_least=2.0, at_most=5.0)
    assert (both.margin(3.0), both.margin(4.5), both.margin(1.0)) == (1.0, 0.5, -1.0)
    assert math.isnan(both.margin(float("nan")))
    with pytest.raises(KeyError, match="no function 'nope'"):
        least_reserved_concurrency(paced(), "nope", Objective(Target("throttles", at_most=0)))
