"""Every number and payload entering the model is checked at the door (issue 18): finite, within ranges a run can
reach, with a message naming the field, the value and the valid range; on the boto3-shaped side AWS's error codes.
Each case here once validated and then crashed or hung mid-run."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, LargeRunWarning, payload_depth, text_depth
from lambdasim.model import Function, Model
from lambdasim.workload import Burst, Piecewise, Poisson, RateFunction, Schedule, VaryingPoisson

INF = math.inf


def _sim() -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=None, Duration=1.0)
    return sim, lam


def _raise_generator_exit(t: float) -> float:
    raise GeneratorExit


def _model(workloads: list[Any], **kw: Any) -> Model:
    return Model(functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.1))], workloads=workloads, **kw)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _sim()[0].run(until=INF), r"until must be a finite number >= 0 and <= 3.15576e\+10, got inf"),
        (lambda: _sim()[0].run(until=1e12), r"until must be >= 0 and <= 3.15576e\+10, got 1000000000000.0"),
        (lambda: _model([], horizon_s=INF), r"horizon_s must be a finite number > 0 and <= 3.15576e\+10, got inf"),
        (lambda: _model([], warmup_s=INF), r"warmup_s must be a finite number >= 0 and <= 3.15576e\+10, got inf"),
        (
            lambda: Burst(function="f", at_s=INF, count=1),
            r"at_s must be a finite number >= 0 and <= 3.15576e\+10, got inf",
        ),
        (lambda: Burst(function="f", at_s=0, count=2, over_s=INF), r"over_s must be a finite number"),
        (
            lambda: ls.Settings(dispatch_latency_s=INF),
            r"dispatch_latency_s must be a finite number >= 0 and <= 3.15576e\+10, got inf",
        ),
        (lambda: ls.Settings(provisioned_allocation_s=INF), r"provisioned_allocation_s must be a finite number"),
        (
            lambda: ls.Settings(throttle_backoff_base_s=1e-300),
            r"throttle_backoff_base_s must be >= 0.001 and <= 3.15576e\+10, got 1e-300",
        ),
        (lambda: ls.Settings(metrics_period_s=1e-9), r"metrics_period_s must be in \[0.001, 86400\], got 1e-09"),
        (
            lambda: Poisson(function="f", rate_per_s=INF, stop_s=10),
            r"rate_per_s must be a finite number > 0 and <= 1e\+06, got inf",
        ),
        (
            lambda: Poisson(function="f", rate_per_s=1e308, stop_s=10),
            r"rate_per_s must be > 0 and <= 1e\+06, got 1e\+308",
        ),
        (
            lambda: Piecewise(times_s=[0], rates_per_s=[1e308]),
            r"rates_per_s\[0\] must be >= 0 and <= 1e\+06, got 1e\+308",
        ),
        (
            lambda: Schedule(function="f", expression="rate(1 minute)", stop_s=INF),
            r"stop_s must be a finite number >= 0 and <= 3.15576e\+10, got inf",
        ),
        (lambda: dist.Uniform(0, INF), r"high must be a finite number >= 0, got inf"),
        (lambda: dist.Uniform(0, 10**400), r"high must be a finite number >= 0, got 1000.*\(401 characters\)"),
    ],
)
def test_extreme_numbers_are_refused_at_the_door_naming_field_value_and_range(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda t: math.nan, r"the rate at t = .* s is nan/s; a rate must be a number >= 0"),
        (lambda t: -1.0, r"the rate at t = .* s is -1.0/s; a rate must be a number >= 0"),
        (lambda t: 1 / 0, r"its rate function raised ZeroDivisionError: division by zero at t = "),
        (_raise_generator_exit, r"its rate function raised GeneratorExit:  at t = "),
    ],
)
def test_a_rate_function_gone_wrong_is_a_named_error_not_silence(fn: Any, message: str) -> None:
    model = _model([VaryingPoisson(function="f", rate=RateFunction(fn=fn, max_per_s=5), stop_s=10)])
    with pytest.raises(ValueError, match=message):
        model.run(seed=1)


def test_a_sum_of_rates_above_the_limit_is_refused_when_it_would_run() -> None:
    rate = Piecewise(times_s=[0], rates_per_s=[900_000]) + Piecewise(times_s=[0], rates_per_s=[900_000])
    model = _model([VaryingPoisson(function="f", rate=rate, stop_s=10)])
    with pytest.raises(ValueError, match=r"its rate may reach 1800000.0/s .* lambdasim runs rates up to 1e\+06/s"):
        model.run(seed=1)


def test_after_a_long_run_the_control_plane_still_writes_dates() -> None:
    sim, lam = _sim()
    sim.run(until=sim.horizon_limit_s())
    assert lam.get_function(FunctionName="f")["Configuration"]["FunctionName"] == "f"
    lam.update_function_configuration(FunctionName="f", Description="late")
    assert lam.get_function_configuration(FunctionName="f")["LastModified"].startswith("3026-")


def test_a_late_start_shortens_the_horizon() -> None:
    sim = ls.Simulation(seed=1, start="9990-01-01T00:00:00Z")
    assert sim.horizon_limit_s() < 10 * 366 * 86400
    with pytest.raises(ValueError, match=r"until must be >= 0 and <= 3\.1"):
        sim.run(until=20 * 365 * 86400)


def test_nan_alias_weights_are_a_validation_exception() -> None:
    _, lam = _sim()
    lam.publish_version(FunctionName="f")
    lam.publish_version(FunctionName="f")
    with pytest.raises(ClientError) as err:
        lam.create_alias(
            FunctionName="f",
            Name="live",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"2": math.nan}},
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have value less than or equal to 1.0" in str(err.value)


def _nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "payload",
    [_nested_text(100_000), _nested_text(MAX_PAYLOAD_DEPTH + 1), "\ud800", '{"a": "\ud800"}'],
    ids=["100k-deep", "just-too-deep", "lone-surrogate", "surrogate-in-json"],
)
def test_unparsable_payloads_are_invalid_request_content(payload: str) -> None:
    _, lam = _sim()
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=payload)
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(str(err.value)) < 400  # names the problem, never echoes the payload


def test_a_payload_exactly_at_the_depth_limit_is_accepted() -> None:
    sim, lam = _sim()
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=_nested_text(MAX_PAYLOAD_DEPTH))
    assert sim.run().outcomes("f")["Success"] == 1


def test_a_payload_whose_read_gives_none_is_a_param_validation_error() -> None:
    class Body:
        def read(self) -> None:
            return None

    _, lam = _sim()
    with pytest.raises(ParamValidationError, match=r"Invalid type for parameter Payload.*its read\(\) gave NoneType"):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=Body())


def test_workload_payloads_deeper_than_the_limit_or_not_unicode_are_refused() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match=r"payload must be nested at most 512 levels deep"):
        Burst(function="f", at_s=0, count=1, payload=deep)
    with pytest.raises(ValueError, match=r"payload must be valid Unicode text \(no lone surrogates\)"):
        Burst(function="f", at_s=0, count=1, payload={"a": "\ud800"})


@pytest.mark.parametrize("arn", ["arn:aws:lambda:us-east-1:123456789012:function:g", "arn:aws:s3:::bucket"])
def test_only_a_queue_or_topic_can_be_a_dead_letter_target(arn: str) -> None:
    _, lam = _sim()
    for call in (
        lambda: lam.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": arn}),
        lambda: lam.create_function(FunctionName="g", Handler=None, DeadLetterConfig={"TargetArn": arn}),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert "Invalid dead letter queue ARN" in str(err.value)
    assert "g" not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    lam.update_function_configuration(
        FunctionName="f", DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda lam: lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=True),
        lambda lam: lam.create_function(FunctionName="g", Handler=None, Timeout=True),
        lambda lam: lam.update_function_configuration(FunctionName="f", MemorySize=False),
    ],
)
def test_booleans_are_not_integers(call: Any) -> None:
    _, lam = _sim()
    with pytest.raises(
        ParamValidationError, match=r"value: (True|False), type: <class 'bool'>, valid types: <class 'int'>"
    ):
        call(lam)


def test_a_huge_integer_duration_is_refused_briefly() -> None:
    _, lam = _sim()
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName="g", Handler=None, Duration=10**400)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Duration must be a finite number >= 0" in str(err.value)
    assert len(str(err.value)) < 300


def test_depth_helpers() -> None:
    assert payload_depth({}) == 1
    assert payload_depth(3) == 0
    assert payload_depth([[], {"a": [[1]]}]) == 4
    assert text_depth(json.dumps({"a": "[[[["})) == 0
    deep = _nested_text(600)
    assert text_depth(deep) > MAX_PAYLOAD_DEPTH
    assert text_depth('"' + "[" * 600 + '"') <= MAX_PAYLOAD_DEPTH  # brackets inside a string do not count


def test_a_run_that_would_take_hours_is_warned_about_before_it_starts() -> None:
    huge = _model([Poisson(function="f", rate_per_s=1e6, stop_s=1e6)])
    with pytest.warns(LargeRunWarning, match=r"expect about 1e\+12 invocations: some 1.85e\+03 hours of CPU"):
        huge.build(1)
    short = _model([Poisson(function="f", rate_per_s=1e6, stop_s=1e6)], horizon_s=10)
    short.build(1)  # the horizon cuts it to 1e7: no warning (warnings are errors in this suite)
