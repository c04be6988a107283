"""Bad input on both doors (issue 2: "every wrong type, range or name raises a clear error").

- The boto3-shaped door answers as AWS and botocore do: ``ParamValidationError`` for what botocore checks on the
  client (unknown or missing parameters, wrong types, minimums; compared here with botocore's own validator), and
  ``ClientError`` with AWS's codes for what the service rejects.
- The Pythonic door raises ``TypeError``/``ValueError`` whose message names the field, the value and the valid
  range. Nothing is silently clamped or converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import botocore.session
import pytest
from botocore.validate import ParamValidator

import lambdasim as ls
from lambdasim import dist
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.workload import Burst, Poisson

MODEL = botocore.session.get_session().get_service_model("lambda")


def lam() -> Any:
    client = ls.Simulation(seed=1).client("lambda")
    client.create_function(FunctionName="f", Role="arn:aws:iam::123456789012:role/r", Code={})
    return client


def botocore_report(op: str, params: dict[str, Any]) -> str:
    shape = MODEL.operation_model(op).input_shape
    return str(ParamValidator().validate(params, shape).generate_report())


# -- boto3 door: client-side parameter validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "op", "params"),
    [
        ("create_function", "CreateFunction", {"Role": "r", "Code": {}}),
        ("create_function", "CreateFunction", {"FunctionName": "g", "Role": "r", "Code": {}, "Timeout": "3"}),
        ("create_function", "CreateFunction", {"FunctionName": "g", "Role": "r", "Code": {}, "Timeout": 0}),
        ("create_function", "CreateFunction", {"FunctionName": "g", "Role": "r", "Code": {}, "MemorySize": 64}),
        ("create_function", "CreateFunction", {"FunctionName": "", "Role": "r", "Code": {}, "Architectures": []}),
        ("create_function", "CreateFunction", {"FunctionName": "g", "Role": "r", "Code": {}, "Architectures": "x"}),
        ("invoke", "Invoke", {}),
        ("invoke", "Invoke", {"FunctionName": 5}),
        ("invoke", "Invoke", {"FunctionName": "f", "Payload": 5}),
        ("invoke", "Invoke", {"FunctionName": "f", "Payload": {"a": 1}}),
        ("invoke", "Invoke", {"FunctionName": "f", "Qualifier": ""}),
        ("put_function_concurrency", "PutFunctionConcurrency", {"FunctionName": "f"}),
        (
            "put_function_concurrency",
            "PutFunctionConcurrency",
            {"FunctionName": "f", "ReservedConcurrentExecutions": -1},
        ),
        (
            "put_function_concurrency",
            "PutFunctionConcurrency",
            {"FunctionName": "f", "ReservedConcurrentExecutions": "5"},
        ),
        ("get_function", "GetFunction", {"FunctionName": ["f"]}),
        (
            "put_function_event_invoke_config",
            "PutFunctionEventInvokeConfig",
            {"FunctionName": "f", "MaximumRetryAttempts": -1},
        ),
        (
            "put_function_event_invoke_config",
            "PutFunctionEventInvokeConfig",
            {"FunctionName": "f", "MaximumEventAgeInSeconds": 59},
        ),
    ],
)
def test_param_validation_error_reads_exactly_as_botocores(method: str, op: str, params: dict[str, Any]) -> None:
    expected = botocore_report(op, params)
    assert expected  # botocore rejects these on the client
    with pytest.raises(ls.ParamValidationError) as exc:
        getattr(lam(), method)(**params)
    assert exc.value.kwargs["report"] == expected
    assert str(exc.value) == str(botocore.exceptions.ParamValidationError(report=expected))


def test_unknown_parameter_names_it_and_lists_the_valid_ones() -> None:
    with pytest.raises(ls.ParamValidationError) as exc:
        lam().invoke(FunctionName="f", Paylod=b"{}")
    report = exc.value.kwargs["report"]
    expected = botocore_report("Invoke", {"FunctionName": "f", "Paylod": b"{}"})
    # The list of valid names grows with botocore's model; lambdasim lists the members it implements.
    assert report.startswith('Unknown parameter in input: "Paylod", must be one of: FunctionName, InvocationType')
    assert expected.startswith(report.split(", Payload")[0])
    # lambdasim's own keywords are listed among the valid names of create_function.
    with pytest.raises(ls.ParamValidationError) as exc:
        lam().create_function(FunctionName="g", Durations=1.0)
    report = exc.value.kwargs["report"]
    assert report.startswith('Unknown parameter in input: "Durations", must be one of: FunctionName, Runtime, Role')
    assert "Duration, InitDuration" in report


def test_every_problem_is_reported_at_once() -> None:
    params = {"Timeout": "3", "MemorySize": 1, "Bogus": 1}
    with pytest.raises(ls.ParamValidationError) as exc:
        lam().create_function(**params)
    lines = exc.value.kwargs["report"].splitlines()
    expected = botocore_report("CreateFunction", {"Role": "r", "Code": {}, **params}).splitlines()
    # botocore's order: missing, unknown, then the values of known members.
    assert len(lines) == len(expected) == 4
    assert lines[0] == expected[0] == 'Missing required parameter in input: "FunctionName"'
    assert lines[1].startswith('Unknown parameter in input: "Bogus", must be one of: FunctionName')
    assert lines[2:] == expected[2:]


# -- boto3 door: service-side errors --------------------------------------------------------------------------------


def service_error(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_timeout_and_memory_above_their_maximum_are_validation_exceptions() -> None:
    client = lam()
    assert service_error(lambda: client.create_function(FunctionName="g", Timeout=901)) == (
        "ValidationException",
        "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900",
        400,
    )
    assert service_error(lambda: client.update_function_configuration(FunctionName="f", MemorySize=10241)) == (
        "ValidationException",
        "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 10240",
        400,
    )
    code, message, _ = service_error(lambda: client.create_function(FunctionName="g", Timeout=901, MemorySize=20000))
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: Value '901' at 'timeout'")
    assert "; Value '20000' at 'memorySize'" in message
    # Nothing was created or changed.
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["f"]
    assert client.get_function_configuration(FunctionName="f")["MemorySize"] == 128


@pytest.mark.parametrize("archs", [["x86"], ["x86_64", "arm64"], ["ARM64"]])
def test_bad_architectures_are_validation_exceptions(archs: list[str]) -> None:
    code, message, status = service_error(lambda: lam().create_function(FunctionName="g", Architectures=archs))
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '[")
    assert "at 'architectures' failed to satisfy constraint" in message


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"Handler": 5}, "Handler must be a callable"),
        ({"Duration": -1}, "Duration must be >= 0, got -1"),
        ({"Duration": "slow"}, "Duration must be seconds"),
        ({"InitDuration": True}, "InitDuration must be seconds"),
        ({"Duration": math.nan}, "Duration must be a number >= 0, got nan"),
        ({"Handler": ls.Behaviour(duration=1.0), "Duration": 2.0}, "Duration is given twice"),
    ],
)
def test_bad_handler_or_duration_is_invalid_parameter_value(params: dict[str, Any], fragment: str) -> None:
    code, message, status = service_error(lambda: lam().create_function(FunctionName="g", **params))
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert fragment in message
    code, message, _ = service_error(lambda: lam().update_function_configuration(FunctionName="f", **params))
    assert code == "InvalidParameterValueException"


def test_creating_a_function_twice_is_a_resource_conflict() -> None:
    client = lam()
    assert service_error(lambda: client.create_function(FunctionName="f")) == (
        "ResourceConflictException",
        "Function already exist: f",
        409,
    )


def test_bad_function_names_are_validation_exceptions() -> None:
    code, message, _ = service_error(lambda: lam().get_function(FunctionName="no spaces allowed"))
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'no spaces allowed' at 'functionName'")


def test_event_invoke_config_ranges() -> None:
    """Spec 3: out-of-range retries and ages are ValidationExceptions with AWS's wording."""
    client = lam()
    assert service_error(lambda: client.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=3))[
        1
    ] == (
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: "
        "Member must have value less than or equal to 2"
    )
    assert service_error(
        lambda: client.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=21601)
    )[1] == (
        "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 21600"
    )


# -- Pythonic door --------------------------------------------------------------------------------------------------

Case = tuple[Callable[[], Any], type[Exception], tuple[str, ...]]


def _cases() -> dict[str, Case]:
    """``id: (call, error type, fragments the message must hold: field, value, valid range)``."""
    f = Function(name="f")
    return {
        # Simulation
        "seed negative": (lambda: ls.Simulation(seed=-1), ValueError, ("seed", "-1", ">= 0")),
        "seed str": (lambda: ls.Simulation(seed="x"), TypeError, ("seed", "'x'", "integer >= 0")),  # type: ignore[arg-type]
        "seed float": (lambda: ls.Simulation(seed=1.5), TypeError, ("seed", "1.5", "integer >= 0")),  # type: ignore[arg-type]
        "seed bool": (lambda: ls.Simulation(seed=True), TypeError, ("seed", "True", "integer >= 0")),
        "concurrency_limit": (
            lambda: ls.Simulation(seed=1, concurrency_limit=50),
            ValueError,
            ("concurrency_limit", "50", ">= 100"),
        ),
        "account_id digits": (
            lambda: ls.Simulation(seed=1, account_id="12345"),
            ValueError,
            ("account_id", "'12345'", "12 digits"),
        ),
        "account_id int": (
            lambda: ls.Simulation(seed=1, account_id=123456789012),  # type: ignore[arg-type]
            TypeError,
            ("account_id", "123456789012", "12-digit string"),
        ),
        "settings": (
            lambda: ls.Simulation(seed=1, settings={"idle_timeout_s": 5}),  # type: ignore[arg-type]
            TypeError,
            ("settings", "idle_timeout_s", "lambdasim.Settings"),
        ),
        "start": (lambda: ls.Simulation(seed=1, start="yesterday"), ValueError, ("start", "'yesterday'", "ISO 8601")),
        "region": (lambda: ls.Simulation(seed=1, region=5), TypeError, ("region", "5")),  # type: ignore[arg-type]
        "trace": (lambda: ls.Simulation(seed=1, trace="yes"), TypeError, ("trace", "'yes'", "True or False")),  # type: ignore[arg-type]
        "client": (lambda: ls.Simulation(seed=1).client("lamda"), ValueError, ("'lamda'", "'lambda'")),
        # Settings
        "retry_delays_s length": (
            lambda: ls.Settings(retry_delays_s=(60,)),
            ValueError,
            ("retry_delays_s", "(60,)", "2"),
        ),  # type: ignore[arg-type]
        "retry_delays_s type": (lambda: ls.Settings(retry_delays_s=60), TypeError, ("retry_delays_s", "60")),  # type: ignore[arg-type]
        "retry_delays_s negative": (
            lambda: ls.Settings(retry_delays_s=(60, -1)),
            ValueError,
            ("retry_delays_s[1]", "-1", ">= 0"),
        ),
        "retry_jitter_s": (lambda: ls.Settings(retry_jitter_s=-1.0), ValueError, ("retry_jitter_s", "-1.0", ">= 0")),
        "throttle_backoff_base_s": (
            lambda: ls.Settings(throttle_backoff_base_s=0),
            ValueError,
            ("throttle_backoff_base_s", "0", ">= 0.001"),
        ),
        "throttle_backoff_jitter": (
            lambda: ls.Settings(throttle_backoff_jitter=1.5),
            ValueError,
            ("throttle_backoff_jitter", "1.5", "[0, 1]"),
        ),
        "poller_read_rate_per_s": (
            lambda: ls.Settings(poller_read_rate_per_s=0),
            ValueError,
            ("poller_read_rate_per_s", "0", ">= 1.157"),
        ),
        "dispatch_latency_s": (
            lambda: ls.Settings(dispatch_latency_s="35ms"),  # type: ignore[arg-type]
            TypeError,
            ("dispatch_latency_s", "'35ms'", ">= 0"),
        ),
        "duplicate_probability": (
            lambda: ls.Settings(duplicate_probability=-0.1),
            ValueError,
            ("duplicate_probability", "-0.1", "[0, 1]"),
        ),
        "drop_probability": (lambda: ls.Settings(drop_probability=2), ValueError, ("drop_probability", "2", "[0, 1]")),
        "service_error_probability": (
            lambda: ls.Settings(service_error_probability=math.nan),
            ValueError,
            ("service_error_probability", "nan", "[0, 1]"),
        ),
        "async_payload_limit_bytes": (
            lambda: ls.Settings(async_payload_limit_bytes=1.5),  # type: ignore[arg-type]
            TypeError,
            ("async_payload_limit_bytes", "1.5", "integer >= 1"),
        ),
        "sync_payload_limit_bytes": (
            lambda: ls.Settings(sync_payload_limit_bytes=0),
            ValueError,
            ("sync_payload_limit_bytes", "0", ">= 1"),
        ),
        "idle_timeout_s": (lambda: ls.Settings(idle_timeout_s=0), ValueError, ("idle_timeout_s", "0", "> 0")),
        "default_init_duration_s": (
            lambda: ls.Settings(default_init_duration_s=11),
            ValueError,
            ("default_init_duration_s", "11", "[0, 10]"),
        ),
        "settings unknown field": (lambda: ls.Settings(idle_timeout=5), TypeError, ("idle_timeout",)),  # type: ignore[call-arg]
        # Distributions
        "Constant negative": (lambda: dist.Constant(-1), ValueError, ("value", "-1", ">= 0")),
        "Constant str": (lambda: dist.Constant("1"), TypeError, ("value", "'1'", ">= 0")),  # type: ignore[arg-type]
        "Constant bool": (lambda: dist.Constant(True), TypeError, ("value", "True", ">= 0")),
        "Constant None": (lambda: dist.Constant(None), TypeError, ("value", "None", ">= 0")),  # type: ignore[arg-type]
        "Exponential zero": (lambda: dist.Exponential(0), ValueError, ("mean_s", "0", "> 0")),
        "Exponential nan": (lambda: dist.Exponential(math.nan), ValueError, ("mean_s", "nan", "> 0")),
        "LogNormal median": (lambda: dist.LogNormal(median=0, spread=2), ValueError, ("median", "0", "> 0")),
        "LogNormal spread": (lambda: dist.LogNormal(median=1, spread=0.5), ValueError, ("spread", "0.5", ">= 1")),
        "Uniform low": (lambda: dist.Uniform(-1, 1), ValueError, ("low", "-1", ">= 0")),
        "Uniform high": (lambda: dist.Uniform(2, 1), ValueError, ("high", "1", ">= 2")),
        "Uniform high str": (lambda: dist.Uniform(1, "2"), TypeError, ("high", "'2'")),  # type: ignore[arg-type]
        "Empirical empty": (lambda: dist.Empirical([]), ValueError, ("samples", "at least one")),
        "Empirical negative": (lambda: dist.Empirical([1, -2]), ValueError, ("samples", "-2", ">= 0")),
        "Empirical str": (lambda: dist.Empirical([1, "a"]), TypeError, ("samples[]", "'a'")),  # type: ignore[list-item]
        "Empirical scalar": (lambda: dist.Empirical(5), TypeError, ("samples", "5", "sequence")),  # type: ignore[arg-type]
        "as_distribution": (
            lambda: dist.as_distribution("duration", [1, 2]),
            TypeError,
            ("duration", "[1, 2]", "number >= 0"),
        ),
        # Behaviour
        "Behaviour error_rate": (lambda: ls.Behaviour(error_rate=1.5), ValueError, ("error_rate", "1.5", "[0, 1]")),
        "Behaviour error_rate str": (
            lambda: ls.Behaviour(error_rate="10%"),
            TypeError,
            ("error_rate", "'10%'", "[0, 1]"),
        ),  # type: ignore[arg-type]
        "Behaviour duration": (lambda: ls.Behaviour(duration=-0.5), ValueError, ("duration", "-0.5", ">= 0")),
        "Behaviour error_type": (lambda: ls.Behaviour(error_type=""), TypeError, ("error_type", "''", "non-empty")),
        # model.Function / EventInvoke / Model
        "Function name": (lambda: Function(name=""), TypeError, ("name", "''", "non-empty")),
        "Function behaviour": (lambda: Function(name="f", behaviour=5), TypeError, ("behaviour", "5", "Behaviour")),
        "Function timeout_s": (lambda: Function(name="f", timeout_s=901), ValueError, ("timeout_s", "901", "[1, 900]")),
        "Function timeout_s float": (
            lambda: Function(name="f", timeout_s=3.5),  # type: ignore[arg-type]
            TypeError,
            ("timeout_s", "3.5", "integer in [1, 900]"),
        ),
        "Function memory_mb": (
            lambda: Function(name="f", memory_mb=64),
            ValueError,
            ("memory_mb", "64", "[128, 10240]"),
        ),
        "Function architecture": (
            lambda: Function(name="f", architecture="x86"),
            ValueError,
            ("architecture", "'x86'", "'arm64'"),
        ),
        "Function reserved_concurrency": (
            lambda: Function(name="f", reserved_concurrency=-1),
            ValueError,
            ("reserved_concurrency", "-1", ">= 0"),
        ),
        "Function duration": (lambda: Function(name="f", duration=-1), ValueError, ("duration", "-1", ">= 0")),
        "Function both durations": (
            lambda: Function(name="f", behaviour=ls.Behaviour(), duration=1.0),
            ValueError,
            ("'f'", "duration", "not both"),
        ),
        "Function event_invoke": (
            lambda: Function(name="f", event_invoke={"maximum_retry_attempts": 1}),  # type: ignore[arg-type]
            TypeError,
            ("event_invoke", "maximum_retry_attempts", "EventInvoke"),
        ),
        "Function dead_letter_arn": (
            lambda: Function(name="f", dead_letter_arn="my-queue"),
            ValueError,
            ("dead_letter_arn", "'my-queue'", "ARN"),
        ),
        "EventInvoke retries": (
            lambda: EventInvoke(maximum_retry_attempts=3),
            ValueError,
            ("maximum_retry_attempts", "3", "[0, 2]"),
        ),
        "EventInvoke age": (
            lambda: EventInvoke(maximum_event_age_s=59),
            ValueError,
            ("maximum_event_age_s", "59", "[60, 21600]"),
        ),
        "EventInvoke on_failure": (
            lambda: EventInvoke(on_failure=5),  # type: ignore[arg-type]
            TypeError,
            ("on_failure", "5", "ARN"),
        ),
        "Model functions": (lambda: Model(functions=["f"]), TypeError, ("functions", "'f'", "Function")),  # type: ignore[list-item]
        "Model duplicate names": (lambda: Model(functions=[f, f]), ValueError, ("functions", "'f'", "unique")),
        "Model workloads": (lambda: Model(functions=[f], workloads=[5]), TypeError, ("workloads", "5", "attach")),  # type: ignore[list-item]
        "Model workload target": (
            lambda: Model(functions=[f], workloads=[Poisson(function="g", rate_per_s=1, stop_s=1)]),
            ValueError,
            ("'g'", "['f']"),
        ),
        "Model concurrency_limit": (
            lambda: Model(functions=[f], concurrency_limit=99),
            ValueError,
            ("concurrency_limit", "99", ">= 100"),
        ),
        "Model horizon_s": (lambda: Model(functions=[f], horizon_s=-5), ValueError, ("horizon_s", "-5", "> 0")),
        "Model settings": (lambda: Model(functions=[f], settings=None), TypeError, ("settings", "None", "Settings")),  # type: ignore[arg-type]
        "Model trace": (lambda: Model(functions=[f], trace=1), TypeError, ("trace", "1", "bool")),  # type: ignore[arg-type]
        # workloads
        "Poisson rate zero": (
            lambda: Poisson(function="f", rate_per_s=0, stop_s=1),
            ValueError,
            ("rate_per_s", "0", "> 0"),
        ),
        "Poisson rate str": (
            lambda: Poisson(function="f", rate_per_s="fast", stop_s=1),  # type: ignore[arg-type]
            TypeError,
            ("rate_per_s", "'fast'", "> 0"),
        ),
        "Poisson rate bool": (
            lambda: Poisson(function="f", rate_per_s=True, stop_s=1),
            TypeError,
            ("rate_per_s", "True", "> 0"),
        ),
        "Poisson stop_s": (
            lambda: Poisson(function="f", rate_per_s=1, stop_s=-1),
            ValueError,
            ("stop_s", "-1", ">= 0"),
        ),
        "Poisson function": (lambda: Poisson(function="", rate_per_s=1, stop_s=1), TypeError, ("function", "''")),
        "Poisson payload": (
            lambda: Poisson(function="f", rate_per_s=1, stop_s=1, payload={1, 2}),
            TypeError,
            ("payload", "{1, 2}", "JSON"),
        ),
        "Burst count": (lambda: Burst(function="f", at_s=0, count=0), ValueError, ("count", "0", ">= 1")),
        "Burst count float": (
            lambda: Burst(function="f", at_s=0, count=2.5),
            TypeError,
            ("count", "2.5", "integer >= 1"),
        ),  # type: ignore[arg-type]
        "Burst at_s": (lambda: Burst(function="f", at_s=-1, count=1), ValueError, ("at_s", "-1", ">= 0")),
    }


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_pythonic_errors_name_field_value_and_range(case: str) -> None:
    call, error, fragments = CASES[case]
    with pytest.raises(error) as exc:
        call()
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_run_until_before_now_is_refused() -> None:
    sim = ls.Simulation(seed=1)
    sim.run(until=10)
    with pytest.raises(ValueError, match=r"until must be >= 10 and <= 3.15576e\+10, got 5"):
        sim.run(until=5)
    with pytest.raises(TypeError, match=r"until must be a number >= 10 and <= 3.15576e\+10, got '20'"):
        sim.run(until="20")  # type: ignore[arg-type]
    assert sim.now == 10.0


def test_valid_numbers_of_other_kinds_are_accepted_not_rejected() -> None:
    """numpy scalars are numbers: ``np.arange`` sweeps must work (and are converted to float, not clamped)."""
    import numpy as np

    assert dist.Constant(np.int64(3)).value == 3.0
    assert Poisson(function="f", rate_per_s=np.float32(0.5), stop_s=np.int64(10)).stop_s == 10.0
    assert ls.Settings(retry_jitter_s=np.float64(0.25)).retry_jitter_s == 0.25
