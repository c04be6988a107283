"""Fault injection on the simulated clock: service-error outages and behaviour phases, seeded."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.core.faults import FaultSchedule, Outage, OutageTimeline, Phase
from lambdasim.workload import Poisson
from tests.helpers import attempts, outcome, send


def setup(handler: Any = None, **params: Any) -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(seed=1, trace=True)
    lam = sim.client("lambda")
    lam.create_function(**{"FunctionName": "f", "Handler": handler, "Duration": 1.0, "Timeout": 10, **params})
    return sim, lam


def send_at(sim: ls.Simulation, lam: Any, t: float) -> str:
    sim.run(until=t)
    return send(lam)


# -- outages ------------------------------------------------------------------------------------------------------


def test_outage_timeline_takes_the_largest_probability_of_the_windows_active() -> None:
    line = OutageTimeline()
    line.add(10.0, 20.0, 0.5)
    line.add(15.0, 30.0, 0.2)
    assert [line.probability(t) for t in (0, 10, 14.9, 15, 19.9, 20, 29.9, 30)] == [
        0.0,
        0.5,
        0.5,
        0.5,
        0.5,
        0.2,
        0.2,
        0.0,
    ]


def test_an_outage_sends_async_events_back_to_the_queue_with_the_throttle_backoff() -> None:
    sim, lam = setup()
    Outage(start_s=60, end_s=120).attach(sim)
    before = send_at(sim, lam, 59.5)
    during = send_at(sim, lam, 60.0)
    res = sim.run()
    assert attempts(res, before) == [(59.5, 60.5, "Success")]
    tries = [t.start for t in res.trace or [] if t.kind == "ServiceError"]
    assert tries == [60.0, 61.0, 63.0, 67.0, 75.0, 91.0]  # backoff 1, 2, 4, 8, 16, 32 s
    assert attempts(res, during) == [(123.0, 124.0, "Success")]
    assert outcome(res, during) == ("Success", 1, 124.0)
    f = res.functions["f"]
    assert (f["service_errors"], f["invocations"]) == (6, 2)


def test_an_outage_of_every_function_covers_functions_created_later() -> None:
    sim = ls.Simulation(seed=1)
    Outage(start_s=0, end_s=math.inf).attach(sim)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="late", Duration=1.0)
    with pytest.raises(lam.exceptions.ServiceException) as exc:
        lam.invoke(FunctionName="late", Payload=b"{}")
    r = exc.value.response
    assert (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ServiceException",
        "The Lambda service encountered an internal error.",
        500,
    )
    assert r["Type"] == "Service"
    f = sim.run().functions["late"]
    assert (f["service_errors"], f["invocations"]) == (1, 0)


def test_a_partial_outage_of_one_function_is_seeded_and_leaves_the_others_alone() -> None:
    def run(seed: int) -> tuple[int, int]:
        sim = ls.Simulation(seed=seed)
        lam = sim.client("lambda")
        for name in ("a", "b"):
            lam.create_function(FunctionName=name, Duration=0.01)
            Poisson(function=name, rate_per_s=10, stop_s=1000).attach(sim)
        Outage(start_s=200, end_s=600, probability=0.25, function="a").attach(sim)
        res = sim.run()
        return res.functions["a"]["service_errors"], res.functions["b"]["service_errors"]

    errors_a, errors_b = run(7)
    assert errors_b == 0
    # About 4000 first tries in the window, a quarter fail (plus retries of those); 3 sd of a binomial is ~80.
    assert 900 < errors_a < 1500
    assert run(7) == (errors_a, errors_b)
    assert run(8) != (errors_a, errors_b)


def test_the_settings_service_error_rate_still_applies_everywhere() -> None:
    sim = ls.Simulation(seed=2, settings=ls.Settings(service_error_probability=0.5))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=0.01)
    Poisson(function="f", rate_per_s=10, stop_s=100).attach(sim)
    f = sim.run().functions["f"]
    assert f["service_errors"] == pytest.approx(f["invocations"], rel=0.15)  # each try fails with p = 0.5


def test_outage_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="end_s must be > 10"):
        Outage(start_s=10, end_s=10)
    with pytest.raises(ValueError, match=r"probability must be in \[0, 1\], got 2"):
        Outage(start_s=0, end_s=1, probability=2)
    sim = ls.Simulation(seed=1)
    with pytest.raises(ValueError, match="function 'nope' does not exist"):
        Outage(start_s=0, end_s=1, function="nope").attach(sim)


# -- behaviour phases ---------------------------------------------------------------------------------------------


def test_a_dependency_failing_from_t1_to_t2_fails_invocations_that_start_in_between() -> None:
    calls: list[float] = []

    def handler(event: Any, context: Any) -> str:
        calls.append(event["t"])
        return "ok"

    sim, lam = setup(handler)
    FaultSchedule(
        function="f", phases=[Phase(start_s=100, end_s=200, error_rate=1.0, error_type="DbDown", error_message="x")]
    ).attach(sim)
    ids = {}
    for t in (50.0, 150.0, 199.0):
        sim.run(until=t)
        ids[t] = send(lam, {"t": t})
    res = sim.run()
    assert attempts(res, ids[50.0]) == [(50.0, 51.0, "Success")]
    # Fails at 150 (handler not entered); the retry at 211 s is past the outage of the dependency.
    assert attempts(res, ids[150.0]) == [(150.0, 151.0, "Error"), (211.0, 212.0, "Success")]
    assert attempts(res, ids[199.0]) == [(199.0, 200.0, "Error"), (260.0, 261.0, "Success")]
    assert calls == [50.0, 150.0, 199.0]  # only the attempts outside the phase entered the handler


def test_a_phase_can_hang_invocations_until_the_timeout_which_resets_the_environment() -> None:
    sim, lam = setup(None, Timeout=5, InitDuration=0.5)
    FaultSchedule(function="f", phases=[Phase(start_s=10, end_s=20, timeout_rate=1.0)]).attach(sim)
    first = send_at(sim, lam, 0.0)
    hung = send_at(sim, lam, 10.0)
    res = sim.run(until=30)
    assert attempts(res, first) == [(0.0, 1.5, "Success")]
    assert attempts(res, hung) == [(10.0, 15.0, "Timeout")]  # warm, so no init; times out at 5 s
    f = res.functions["f"]
    assert (f["timeouts"], f["environments"]["reinitialised"]) == (1, 0)
    res = sim.run()
    assert attempts(res, hung)[1] == (75.0, 76.5, "Success")  # the reset environment initialises again


def test_a_phase_can_change_durations_and_keeps_the_error_rate_seeded() -> None:
    def run(seed: int) -> dict[str, Any]:
        sim = ls.Simulation(seed=seed)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.1), Timeout=10)
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
        FaultSchedule(
            function="f", phases=[Phase(start_s=0, end_s=math.inf, error_rate=0.3, duration=ls.dist.Constant(2.0))]
        ).attach(sim)
        Poisson(function="f", rate_per_s=2, stop_s=2000).attach(sim)
        return sim.run().functions["f"]  # type: ignore[no-any-return]

    f = run(11)
    assert f["duration_s"]["min"] == f["duration_s"]["max"] == 2.0
    assert f["errors"] / f["invocations"] == pytest.approx(0.3, abs=0.03)  # ~4000 draws: sd 0.007
    assert run(11) == f


def test_phases_validate_and_must_not_overlap() -> None:
    with pytest.raises(ValueError, match=r"error_rate \+ timeout_rate must be <= 1"):
        Phase(start_s=0, end_s=1, error_rate=0.6, timeout_rate=0.6)
    with pytest.raises(ValueError, match="end_s must be > 5"):
        Phase(start_s=5, end_s=1)
    with pytest.raises(ValueError, match="phases must not overlap"):
        FaultSchedule(function="f", phases=[Phase(start_s=0, end_s=10), Phase(start_s=5, end_s=20)])
    with pytest.raises(TypeError, match=r"phases must hold lambdasim\.faults\.Phase objects"):
        FaultSchedule(function="f", phases=[object()])  # type: ignore[list-item]
    sim, _ = setup()
    FaultSchedule(function="f", phases=[Phase(start_s=0, end_s=10)]).attach(sim)
    with pytest.raises(ValueError, match="phases must not overlap"):
        FaultSchedule(function="f", phases=[Phase(start_s=9, end_s=12)]).attach(sim)


def test_faults_are_workloads_of_a_model() -> None:
    from lambdasim.model import Function, Model

    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.1))],
        workloads=[
            Poisson(function="f", rate_per_s=1, stop_s=100),
            Outage(start_s=0, end_s=50, function="f"),
            FaultSchedule(function="f", phases=[Phase(start_s=50, end_s=100, error_rate=1.0)]),
        ],
    )
    f = model.run(seed=3).functions["f"]
    assert f["service_errors"] > 0
    assert f["errors"] > 0
