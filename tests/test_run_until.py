"""``sim.run(until=t)`` from top-level code: results keep their meaning, and the clock's steps change nothing.

Results are deferred (computed on first read) but frozen as of their end: whatever the simulation does next (runs
on, accepts events, changes limits, attaches sinks), results taken earlier read as if they had been read at once.
Stepping the clock in many small steps gives exactly the run of one big step, bit for bit, on every figure,
trace entry, outcome, request id and bill.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.workload import Burst, Poisson, Replay

HORIZON_S = 150.0


class Collect:
    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def build(kind: str, seed: int = 5) -> tuple[ls.Simulation, Collect]:
    """``"options"``: every source of randomness and the trace on; ``"storm"``: default settings, a throttling
    storm whose throttled tries are counted in bulk while parked (lambdasim.core.backlog)."""
    if kind == "options":
        settings = ls.Settings(
            duplicate_probability=0.05,
            service_error_probability=0.02,
            throttle_backoff_jitter=0.5,
            retry_jitter_s=10.0,
            dispatch_latency_s=0.035,
        )
        sim = ls.Simulation(seed=seed, trace=True, settings=settings)
    else:
        sim = ls.Simulation(seed=seed)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="orders",
        Handler=ls.Behaviour(duration=dist.LogNormal(median=0.4, spread=1.8), error_rate=0.2),
        InitDuration=dist.Uniform(0.1, 0.4),
        Timeout=2,
    )
    lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=3)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumEventAgeInSeconds=900)
    rate = 4.0 if kind == "options" else 12.0
    Poisson(function="orders", rate_per_s=rate, stop_s=60.0).attach(sim)
    Burst(function="orders", at_s=20.0, count=40, over_s=2.0).attach(sim)
    sink = Collect()
    sim.add_sink(sink)
    return sim, sink


def observed(sim: ls.Simulation, results: ls.Results, sink: Collect) -> dict[str, Any]:
    """Everything a user can see of a run, as plain data."""
    return {
        "results": json.dumps(results.to_dict(), sort_keys=True),
        "summary": results.summary(),
        "trace": results.trace,
        "outcomes": list(sink.outcomes),
        "bill": repr(results.bill()),
        "usage": repr(results.usage),
        "configs": results.configs,
        "now": results.now,
        "next_request_id": sim.new_request_id(),
    }


@pytest.mark.parametrize("kind", ["options", "storm"])
def test_a_thousand_small_steps_give_the_run_of_one_big_step(kind: str) -> None:
    big, big_sink = build(kind)
    one = big.run(until=HORIZON_S)
    small, small_sink = build(kind)
    for i in range(1, 1001):
        small.run(until=HORIZON_S * i / 1000)
    many = small.results()
    assert many.now == one.now == HORIZON_S
    assert observed(small, many, small_sink) == observed(big, one, big_sink)
    f = one.functions["orders"]
    assert f["throttles"] > 100 and f["errors"] > 0 and f["outcomes"]["Success"] > 0  # the run did something
    # And on to the end, the two go on identically.
    assert observed(small, small.run(), small_sink) == observed(big, big.run(), big_sink)


@pytest.mark.parametrize("trace", [False, True])
def test_small_steps_that_stop_exactly_at_arrivals_give_the_run_of_one_big_step(trace: bool) -> None:
    # A workload's arrivals exactly at the steps' ends (each is processed by the next step, not the one that stops
    # at its time), also arrivals made in a row within one step (Engine.arrive processes an arrival that is the
    # very next step in the same call), a burst that fills the pool, and durations that end on the grid.
    times = sorted([0.25 * i for i in range(400)] + [0.25 * i + 0.01 * k for i in range(0, 400, 7) for k in range(8)])

    def build_grid() -> ls.Simulation:
        sim = ls.Simulation(seed=9, trace=trace)
        lam = sim.client("lambda")
        duration = dist.Empirical([0.25, 0.5, 1.0, 0.1])
        lam.create_function(FunctionName="g", Handler=ls.Behaviour(duration=duration, error_rate=0.1), Timeout=3)
        lam.put_function_concurrency(FunctionName="g", ReservedConcurrentExecutions=4)
        Replay(function="g", times_s=times).attach(sim)
        return sim

    big = build_grid()
    one = json.dumps(big.run(until=100.0).to_dict(), sort_keys=True)
    small = build_grid()
    for i in range(1, 401):
        until = 0.25 * i
        received = small.run(until=until).functions["g"]["async_events_received"]
        assert received == sum(t < until for t in times)  # an arrival at `until` is the next run's
    assert json.dumps(small.results().to_dict(), sort_keys=True) == one
    assert json.dumps(small.run().to_dict(), sort_keys=True) == json.dumps(big.run().to_dict(), sort_keys=True)
    assert big.results().functions["g"]["throttles"] > 0


def test_the_storm_had_throttled_tries_parked_across_the_small_steps() -> None:
    sim, _ = build("storm")
    parked = 0
    for i in range(1, 1001):
        sim.run(until=HORIZON_S * i / 1000)
        parked = max(parked, sim.function_state("orders").backlog.count)
    assert parked > 10  # so the equality above covers counting parked tries late, at step boundaries


def script(steps_between: int, kind: str = "Event") -> tuple[ls.Simulation, list[dict[str, Any]]]:
    """Top-level code: a clock step, then an invoke, 200 times; with extra clock steps between the invokes."""
    sim = ls.Simulation(seed=9, trace=True)
    lam = sim.client("lambda")

    async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        await context.sleep(event["d"])
        return {"id": context.aws_request_id}

    lam.create_function(FunctionName="f", Handler=handler, Timeout=30)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    answers = []
    for i in range(200):
        gap = 0.05 + (i * 37 % 11) / 20
        t = sim.now  # a RequestResponse invoke moved the clock on to its response
        for k in range(1, steps_between + 1):
            sim.run(until=t + gap * k / (steps_between + 1))
        sim.run(until=t + gap)
        payload = json.dumps({"d": 0.2 + (i * 13 % 7) / 5}).encode()
        response = lam.invoke(FunctionName="f", InvocationType=kind, Payload=payload)
        answers.append({k: v for k, v in response.items() if k != "Payload"} | {"body": response["Payload"].read()})
    return sim, answers


@pytest.mark.parametrize("kind", ["Event", "RequestResponse"])
def test_extra_clock_steps_between_top_level_invokes_change_nothing(kind: str) -> None:
    plain, plain_answers = script(0, kind)
    stepped, stepped_answers = script(5, kind)
    assert stepped_answers == plain_answers
    a, b = plain.run(), stepped.run()
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    assert a.trace == b.trace
    assert a.functions["f"]["throttles"] > 0 if kind == "Event" else a.functions["f"]["invocations"] == 200


# -- results taken earlier keep their meaning ---------------------------------------------------------------------


def snapshot(results: ls.Results) -> dict[str, Any]:
    return {
        "results": json.dumps(results.to_dict(), sort_keys=True),
        "bill": repr(results.bill()),
        "trace": results.trace,
        "metric": results.metric("orders", "Invocations"),
    }


def twin_at(kind: str, until: float) -> dict[str, Any]:
    """What results taken at ``until`` read at once (a fresh simulation of the same seed)."""
    sim, _ = build(kind)
    return snapshot(sim.run(until=until))


@pytest.mark.parametrize("kind", ["options", "storm"])
def test_results_not_read_until_the_run_went_on_read_as_of_their_end(kind: str) -> None:
    sim, _ = build(kind)
    early = sim.run(until=30.0)
    mid = sim.results()
    later = sim.run(until=90.0)
    sim.run()
    expected = twin_at(kind, 30.0)
    assert snapshot(early) == expected
    assert snapshot(mid) == expected
    assert snapshot(later) == twin_at(kind, 90.0)
    assert early.now == 30.0 and later.now == 90.0


def test_a_bill_of_earlier_results_is_unchanged_when_the_run_goes_on() -> None:
    sim, _ = build("storm")
    early = sim.run(until=30.0)
    bill = early.bill()
    sim.run(until=100.0)
    assert repr(early.bill()) == repr(bill)
    assert early.bill().requests < sim.results().bill().requests


def changes() -> dict[str, Any]:
    """Things top-level code does between taking results and reading them, each of which changes the simulation."""

    def event_invoke(sim: ls.Simulation) -> None:
        sim.client("lambda").invoke(FunctionName="orders", InvocationType="Event", Payload=b"{}")

    def sync_invoke(sim: ls.Simulation) -> None:
        try:
            sim.client("lambda").invoke(FunctionName="orders", Payload=b"{}")
        except sim.client("lambda").exceptions.TooManyRequestsException:
            pass

    def concurrency(sim: ls.Simulation) -> None:
        sim.client("lambda").put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=50)

    def event_invoke_config(sim: ls.Simulation) -> None:
        sim.client("lambda").put_function_event_invoke_config(FunctionName="orders", MaximumEventAgeInSeconds=60)

    def configuration(sim: ls.Simulation) -> None:
        sim.client("lambda").update_function_configuration(FunctionName="orders", MemorySize=1024)

    def new_function(sim: ls.Simulation) -> None:
        sim.client("lambda").create_function(FunctionName="extra", Duration=1.0)
        sim.client("lambda").invoke(FunctionName="extra", InvocationType="Event")

    def delete(sim: ls.Simulation) -> None:
        sim.client("lambda").delete_function(FunctionName="orders")

    def provisioned(sim: ls.Simulation) -> None:
        lam = sim.client("lambda")
        version = lam.publish_version(FunctionName="orders")["Version"]
        lam.put_provisioned_concurrency_config(
            FunctionName="orders", Qualifier=version, ProvisionedConcurrentExecutions=2
        )

    def provisioned_deleted(sim: ls.Simulation) -> None:
        provisioned(sim)
        sim.client("lambda").delete_provisioned_concurrency_config(FunctionName="orders", Qualifier="1")

    def sink(sim: ls.Simulation) -> None:
        sim.add_sink(Collect(), name="late")

    def sns(sim: ls.Simulation) -> None:
        sns = sim.client("sns")
        topic = sns.create_topic(Name="t")["TopicArn"]
        arn = sim.client("lambda").get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
        sns.publish(TopicArn=topic, Message="{}")

    def waiter(sim: ls.Simulation) -> None:
        sim.client("lambda").get_waiter("function_active_v2").wait(FunctionName="orders")
        sim.env.run(until=sim.now + 5.0)  # the clock moved by SimPy's own door

    def warm_up(sim: ls.Simulation) -> None:
        sim.engine.reset_statistics(at=sim.now)
        sim.run(until=sim.now + 1.0)

    return {
        f.__name__: f
        for f in (
            event_invoke,
            sync_invoke,
            concurrency,
            event_invoke_config,
            configuration,
            provisioned,
            provisioned_deleted,
            new_function,
            delete,
            sink,
            sns,
            waiter,
            warm_up,
        )
    }


@pytest.mark.parametrize("change", sorted(changes()))
def test_results_read_after_a_change_read_as_before_it(change: str) -> None:
    sim, _ = build("storm")
    taken = sim.run(until=40.0)
    assert sim.function_state("orders").backlog.count > 0  # parked tries, counted when the results freeze
    read_at_once = sim.run(until=40.0)
    changes()[change](sim)
    expected = twin_at("storm", 40.0)
    assert snapshot(read_at_once) == expected  # read right after the change
    sim.run(until=80.0)
    assert snapshot(taken) == expected  # read after the run went on
    assert taken.configs == build("storm")[0].run(until=40.0).configs
    assert taken.sinks == {"Collect": taken.sinks["Collect"]}


def test_results_taken_after_a_change_of_configuration_show_it_and_each_has_its_own_copy() -> None:
    sim, _ = build("storm")
    lam = sim.client("lambda")
    before, same = sim.run(until=10.0), sim.results()
    lam.update_function_configuration(FunctionName="orders", MemorySize=1024, Timeout=3)
    after = sim.run(until=20.0)
    assert before.configs["orders"]["MemorySize"] == 128 and after.configs["orders"]["MemorySize"] == 1024
    assert after.configs["orders"]["Timeout"] == 3
    assert lam.get_function_configuration(FunctionName="orders")["RevisionId"] == after.configs["orders"]["RevisionId"]
    # A failed call changes nothing, and results taken after it read the same.
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName="orders", Handler=ls.Behaviour(), Duration=1.0)
    assert sim.results().configs == after.configs
    same.configs["orders"]["MemorySize"] = 1
    assert before.configs["orders"]["MemorySize"] == 128  # results do not share their copies
    assert before.bill().gb_seconds < after.bill().gb_seconds


@pytest.mark.parametrize("door", ["sim.run", "env.run"])
def test_results_taken_inside_a_run_read_as_of_when_they_were_taken(door: str) -> None:
    sim, _ = build("storm")
    taken: list[ls.Results] = []

    def sampler() -> Any:
        yield sim.env.timeout(30.0)
        taken.append(sim.results())  # by a SimPy process, in the middle of the run

    sim.env.process(sampler())
    if door == "sim.run":
        sim.run(until=90.0)
    else:
        sim.env.run(until=90.0)
    assert taken[0].now == 30.0
    assert snapshot(taken[0]) == twin_at("storm", 30.0)


def test_results_read_before_the_run_goes_on_are_not_taken_again() -> None:
    sim, _ = build("storm")
    taken = sim.run(until=40.0)
    figures = taken.functions
    sim.run(until=80.0)
    assert taken.functions is figures


def test_live_statistics_are_brought_up_to_date_when_asked_for() -> None:
    # Results.stats() is live, but as before its throttle counts include the parked tries due before now.
    sim, _ = build("storm")
    live = sim.run(until=40.0).stats("orders")
    twin, _ = build("storm")
    assert sum(live.throttles.values()) == twin.run(until=40.0).functions["orders"]["throttles"]
