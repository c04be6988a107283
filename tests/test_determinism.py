"""Seeded runs are exactly repeatable, and each source of randomness has its own stream (``shared/style.md``:
one ``SeedSequence`` per run, one generator per source, so changing concurrency leaves arrivals unchanged)."""

from __future__ import annotations

from typing import Any

import lambdasim as ls
from lambdasim import dist
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.workload import Burst, Poisson


class Collect:
    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def scenario(seed: int | None, reserved: int | None = 3, extra_function: bool = False) -> tuple[ls.Results, Collect]:
    """A small bursty, failing, throttled load with every source of randomness switched on."""
    settings = ls.Settings(
        duplicate_probability=0.05,
        service_error_probability=0.02,
        throttle_backoff_jitter=0.5,
        retry_jitter_s=10.0,
        dispatch_latency_s=0.035,
    )
    sim = ls.Simulation(seed=seed, trace=True, settings=settings)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="orders",
        Handler=ls.Behaviour(duration=dist.LogNormal(median=0.4, spread=1.8), error_rate=0.2),
        InitDuration=dist.Uniform(0.1, 0.4),
        Timeout=2,
    )
    if reserved is not None:
        lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=reserved)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumEventAgeInSeconds=900)
    if extra_function:
        lam.create_function(FunctionName="other", Duration=dist.Exponential(1.0))
        Poisson(function="other", rate_per_s=5.0, stop_s=60.0).attach(sim)
    Poisson(function="orders", rate_per_s=4.0, stop_s=60.0).attach(sim)
    Burst(function="orders", at_s=20.0, count=40, over_s=2.0).attach(sim)
    sink = Collect()
    sim.engine.sinks.append(sink)
    return sim.run(), sink


def test_same_seed_gives_identical_results_traces_and_outcomes() -> None:
    (a, sink_a), (b, sink_b) = scenario(11), scenario(11)
    assert a.to_dict() == b.to_dict()
    assert a.trace == b.trace
    assert sink_a.outcomes == sink_b.outcomes
    assert a.summary() == b.summary()
    # The run did exercise every source of randomness, so the equality above means something.
    f = a.functions["orders"]
    assert f["duplicates"] > 0 and f["service_errors"] > 0 and f["throttles"] > 0 and f["errors"] > 0
    assert f["cold_starts"] > 0


def test_different_seeds_give_different_runs() -> None:
    (a, _), (b, _) = scenario(11), scenario(12)
    assert a.to_dict()["seed"] == 11 and b.to_dict()["seed"] == 12
    assert a.to_dict()["functions"] != b.to_dict()["functions"]
    assert a.trace != b.trace
    ids_a = {t.request_id for t in a.trace or []}
    ids_b = {t.request_id for t in b.trace or []}
    assert ids_a.isdisjoint(ids_b)  # request ids are seeded too


def test_a_drawn_seed_is_recorded_and_reproduces_the_run() -> None:
    drawn, _ = scenario(None)
    assert isinstance(drawn.seed, int) and drawn.seed >= 0
    again, _ = scenario(drawn.seed)
    assert again.to_dict() == drawn.to_dict()
    assert again.trace == drawn.trace


def arrivals(sink: Collect, function: str = "orders") -> list[tuple[str, float]]:
    """``(request id, enqueue time)`` of every event, in order of arrival (a duplicate counts once)."""
    return sorted(
        {(o.request_id, o.enqueued_at) for o in sink.outcomes if o.function_name == function}, key=lambda x: x[1]
    )


def test_changing_reserved_concurrency_leaves_arrival_times_unchanged() -> None:
    """Common random numbers: arrivals come from their own stream, whatever concurrency does to the rest."""
    runs = {r: scenario(21, reserved=r) for r in (1, 3, 50, None)}
    times = {r: [t for _, t in arrivals(sink)] for r, (_, sink) in runs.items()}
    assert len(times[3]) == runs[3][0].functions["orders"]["async_events_received"] > 200
    assert times[1] == times[3] == times[50] == times[None]
    # ... while what happened to those events did change.
    outcomes = {r: res.functions["orders"]["outcomes"] for r, (res, _) in runs.items()}
    assert outcomes[1] != outcomes[50]
    assert runs[1][0].functions["orders"]["throttles"] > runs[50][0].functions["orders"]["throttles"]


def test_adding_another_function_and_workload_leaves_arrivals_unchanged() -> None:
    (_, alone), (_, shared) = scenario(21), scenario(21, extra_function=True)
    assert [t for _, t in arrivals(alone)] == [t for _, t in arrivals(shared)]


def test_the_trace_shows_the_same_enqueue_times_as_the_outcomes() -> None:
    res, sink = scenario(5)
    assert res.trace is not None
    traced = {(t.request_id, t.start) for t in res.trace if t.kind == "Outcome"}
    assert traced == {(o.request_id, o.enqueued_at) for o in sink.outcomes}


def model(reserved: int) -> Model:
    return Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.Exponential(0.5), error_rate=0.1),
                reserved_concurrency=reserved,
                event_invoke=EventInvoke(maximum_retry_attempts=1, maximum_event_age_s=600),
            )
        ],
        workloads=[Poisson(function="orders", rate_per_s=10.0, stop_s=120.0)],
        trace=True,
    )


def test_pythonic_model_runs_are_repeatable() -> None:
    a, b = model(5).run(seed=3), model(5).run(seed=3)
    assert a.to_dict() == b.to_dict() and a.trace == b.trace
    c = model(5).run(seed=4)
    assert c.to_dict() != a.to_dict()


def test_model_sweep_over_concurrency_keeps_arrivals() -> None:
    def enqueue_times(res: Any) -> list[float]:
        return sorted(t.start for t in res.trace if t.kind == "Outcome")

    low, high = model(1).run(seed=9), model(20).run(seed=9)
    assert enqueue_times(low) == enqueue_times(high)
    assert low.functions["orders"]["outcomes"] != high.functions["orders"]["outcomes"]
