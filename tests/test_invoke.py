"""The Lambda client's Invoke status codes and errors, concurrency API and function shapes (spec ``api.md`` door 1;
``aws-async.md`` sections 1.1, 5 and 7).

Response shapes are checked against botocore's own service model (``botocore`` is a test dependency): every key and
value type a lambdasim response carries must be one boto3 could return.
"""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

import lambdasim as ls
from tests.helpers import make, send

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
MODEL = botocore.session.get_session().get_service_model("lambda")


def conforms(response: dict[str, Any], shape: Any) -> None:
    """Assert that ``response`` (without ``ResponseMetadata``) fits botocore's output ``shape``: names and types."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, shape).generate_report()
    assert report == "", report


def output(op: str) -> Any:
    return MODEL.operation_model(op).output_shape


def echo(event: Any, context: Any) -> Any:
    return {"got": event}


def boom(event: Any, context: Any) -> None:
    raise ValueError("boom")


def error_of(excinfo: pytest.ExceptionInfo[ls.ClientError]) -> tuple[str, str, int]:
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


# -- Invoke: status codes -------------------------------------------------------------------------------------------


def test_event_invoke_answers_202_with_an_empty_payload_stream() -> None:
    """Spec 1.1: an Event invoke queues the event and answers 202 with an empty payload at once."""
    sim, lam = make(echo, duration=5.0)
    resp = lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"a": 1}))
    assert resp["StatusCode"] == 202
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["Payload"].read() == b""
    assert "FunctionError" not in resp
    assert sim.now == 0.0
    conforms(resp, output("Invoke"))
    assert sim.run().functions["f"]["outcomes"]["Success"] == 1


def test_request_response_answers_200_and_advances_the_clock_by_the_duration() -> None:
    """api.md: a RequestResponse invoke from top-level code advances the clock until the response is ready."""
    sim, lam = make(echo, duration=2.5)
    sim.run(until=10)
    resp = lam.invoke(FunctionName="f", Payload=json.dumps({"a": 1}))
    assert resp["StatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in resp
    assert json.loads(resp["Payload"].read()) == {"got": {"a": 1}}
    assert sim.now == 12.5
    conforms(resp, output("Invoke"))
    # RequestResponse is the default InvocationType, and a missing payload is the empty event {}.
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == {"got": {}}
    assert sim.now == 15.0


def test_function_error_is_200_with_function_error_unhandled_and_the_error_object() -> None:
    """A function error is HTTP 200 with ``FunctionError: "Unhandled"`` and the runtime's error object as payload
    (spec 4: errorMessage, errorType, requestId, stackTrace)."""
    sim, lam = make(boom, duration=1.0)
    resp = lam.invoke(FunctionName="f", InvocationType="RequestResponse", Payload=b"{}")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    body = json.loads(resp["Payload"].read())
    assert set(body) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert body["errorMessage"] == "boom"
    assert body["errorType"] == "ValueError"
    assert body["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert isinstance(body["stackTrace"], list)
    assert sim.now == 1.0
    conforms(resp, output("Invoke"))


def test_timeout_on_request_response_ends_at_the_timeout() -> None:
    """Spec 5: a timed-out attempt ends at the timeout with Sandbox.Timedout."""
    sim, lam = make(echo, duration=50.0, timeout=4)
    resp = lam.invoke(FunctionName="f", Payload=b"{}")
    body = json.loads(resp["Payload"].read())
    assert resp["FunctionError"] == "Unhandled"
    # As recorded on AWS (LocalStack's test_lambda_invoke_with_timeout): the request id, then the message.
    rid = resp["ResponseMetadata"]["RequestId"]
    assert body == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 4.00 seconds",
    }
    assert sim.now == 4.0


def test_dry_run_answers_204_without_running_anything() -> None:
    sim, lam = make(echo, duration=1.0)
    resp = lam.invoke(FunctionName="f", InvocationType="DryRun", Payload=b"{}")
    assert resp["StatusCode"] == 204
    assert resp["Payload"].read() == b""
    assert sim.now == 0.0
    res = sim.run()
    assert res.functions["f"]["invocations"] == 0
    assert res.functions["f"]["async_events_received"] == 0


def test_payload_accepts_bytes_str_and_file_like() -> None:
    import io

    _sim, lam = make(echo, duration=0.0)
    for payload in (b'{"x": 1}', '{"x": 1}', bytearray(b'{"x": 1}'), io.BytesIO(b'{"x": 1}')):
        assert json.loads(lam.invoke(FunctionName="f", Payload=payload)["Payload"].read()) == {"got": {"x": 1}}


# -- Invoke: errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Event", "RequestResponse", "DryRun"])
def test_invalid_json_is_invalid_request_content_exception(kind: str) -> None:
    _sim, lam = make(echo)
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as exc:
        lam.invoke(FunctionName="f", InvocationType=kind, Payload=b"{not json")
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json: Could not parse payload into json")


@pytest.mark.parametrize("kind", ["Event", "RequestResponse"])
@pytest.mark.parametrize(("payload", "token"), [(b"NaN", "NaN"), (b'{"a": [1, -Infinity]}', "-Infinity")])
def test_nan_and_infinity_are_refused_as_lambdas_json_parser_refuses_them(
    kind: str, payload: bytes, token: str
) -> None:
    """Python's json takes NaN and the infinities; Lambda's parser (Jackson) does not: the invoke is refused and the
    handler never runs. A number too large for a double is JSON, and goes through."""
    sim, lam = make(echo, duration=0.0)
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as exc:
        lam.invoke(FunctionName="f", InvocationType=kind, Payload=payload)
    assert error_of(exc)[1] == (
        "Could not parse request body into json: Could not parse payload into json: "
        f"Non-standard token '{token}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
    )
    assert sim.run().functions["f"]["invocations"] == 0
    out = lam.invoke(FunctionName="f", Payload=b'{"x": "NaN", "y": 1e999}')["Payload"].read()
    assert json.loads(out) == {"got": {"x": "NaN", "y": float("inf")}}


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("Event", 1_048_576), ("RequestResponse", 6_291_456)],
)
def test_too_large_payloads_are_request_entity_too_large(kind: str, limit: int) -> None:
    """Spec 7: async payloads up to 1 MB (1,048,576 bytes, a setting), sync up to 6 MB; larger ones get 413."""
    _sim, lam = make(None, duration=0.0)
    at_limit = json.dumps("x" * (limit - 2)).encode()
    assert len(at_limit) == limit
    assert lam.invoke(FunctionName="f", InvocationType=kind, Payload=at_limit)["StatusCode"] in (200, 202)
    over = json.dumps("x" * (limit - 1)).encode()
    with pytest.raises(lam.exceptions.RequestEntityTooLargeException) as exc:
        lam.invoke(FunctionName="f", InvocationType=kind, Payload=over)
    assert error_of(exc) == (
        "RequestEntityTooLargeException",
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        413,
    )


def test_async_payload_limit_is_a_setting() -> None:
    """Spec 7: 256 KB before October 2025, as a setting."""
    _sim, lam = make(None, settings=ls.Settings(async_payload_limit_bytes=262_144))
    with pytest.raises(ls.ClientError) as exc:
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps("x" * 262_143))
    assert error_of(exc)[1] == "Request must be smaller than 262144 bytes for the InvokeFunction operation"
    # The synchronous limit is separate.
    assert lam.invoke(FunctionName="f", Payload=json.dumps("x" * 262_143))["StatusCode"] == 200


@pytest.mark.parametrize("kind", ["Event", "RequestResponse", "DryRun"])
def test_unknown_function_is_resource_not_found(kind: str) -> None:
    _sim, lam = make(echo)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.invoke(FunctionName="nope", InvocationType=kind, Payload=b"{}")
    # An unqualified invoke names $LATEST (recorded on AWS in 2025: LocalStack's test_invoke_exceptions).
    assert error_of(exc) == ("ResourceNotFoundException", f"Function not found: {ARN}:nope:$LATEST", 404)
    assert exc.value.operation_name == "Invoke"
    assert exc.value.response["Type"] == "User"


def test_errors_are_client_errors_in_botocore_layout() -> None:
    _sim, lam = make(echo)
    with pytest.raises(ls.ClientError) as exc:
        lam.invoke(FunctionName="nope", Payload=b"{}")
    err = exc.value
    assert isinstance(err, lam.exceptions.ResourceNotFoundException)
    assert isinstance(err, lam.exceptions.ClientError)
    assert err.operation_name == "Invoke"
    assert str(err) == (
        f"An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found: "
        f"{ARN}:nope:$LATEST"
    )
    assert err.response["ResponseMetadata"]["RequestId"]
    # One class per code, shared by every client and simulation (``except lam.exceptions.X`` works anywhere).
    other = ls.Simulation(seed=2).client("lambda")
    assert other.exceptions.ResourceNotFoundException is lam.exceptions.ResourceNotFoundException


def test_invalid_invocation_type_is_a_validation_exception() -> None:
    _sim, lam = make(echo)
    with pytest.raises(lam.exceptions.ValidationException) as exc:
        lam.invoke(FunctionName="f", InvocationType="Async", Payload=b"{}")
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value 'Async' at 'invocationType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
        400,
    )


# -- Invoke: throttles ----------------------------------------------------------------------------------------------


def test_sync_invoke_with_zero_reserved_concurrency_is_throttled_but_event_answers_202() -> None:
    """Spec 5: reserved 0 blocks the function: sync gets 429; spec 1.1: Event still answers 202."""
    sim, lam = make(echo, reserved=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as exc:
        lam.invoke(FunctionName="f", Payload=b"{}")
    assert error_of(exc) == ("TooManyRequestsException", "Rate Exceeded.", 429)
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    res = sim.run()
    assert res.functions["f"]["sync_throttles"] == 1
    assert res.functions["f"]["outcomes"]["ZeroReservedConcurrency"] == 1


def test_sync_invoke_throttled_by_the_functions_reserved_concurrency() -> None:
    sim, lam = make(echo, duration=100.0, reserved=1, timeout=900)
    send(lam)
    sim.run(until=1)  # the event holds the only slot until t = 100
    with pytest.raises(lam.exceptions.TooManyRequestsException) as exc:
        lam.invoke(FunctionName="f", Payload=b"{}")
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert sim.now == 1.0  # a throttle does not advance the clock
    # run(until=t) stops before what happens at exactly t (SimPy's convention): the slot frees at 100.
    sim.run(until=101)
    assert lam.invoke(FunctionName="f", Payload=b"{}")["StatusCode"] == 200
    assert sim.now == 201.0


def test_sync_invoke_throttled_by_the_account_concurrency() -> None:
    """Spec 5: the account's own limit gives Reason ConcurrentInvocationLimitExceeded."""
    sim = ls.Simulation(seed=1, concurrency_limit=100)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="busy", Duration=60.0, Timeout=900)
    lam.create_function(FunctionName="f", Handler=echo, Duration=1.0)
    for _ in range(100):
        lam.invoke(FunctionName="busy", InvocationType="Event", Payload=b"{}")
    sim.run(until=1)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as exc:
        lam.invoke(FunctionName="f", Payload=b"{}")
    assert error_of(exc)[:2] == ("TooManyRequestsException", "Rate Exceeded.")
    assert exc.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    sim.run(until=61)  # the busy attempts end at 60
    assert lam.invoke(FunctionName="f", Payload=b"{}")["StatusCode"] == 200


# -- concurrency API ------------------------------------------------------------------------------------------------

UNRESERVED_MESSAGE = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below "
    "its minimum value of [100]."
)


def test_put_get_delete_function_concurrency() -> None:
    _sim, lam = make(echo)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="f")
    resp = lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=7)
    assert resp["ReservedConcurrentExecutions"] == 7
    conforms(resp, output("PutFunctionConcurrency"))
    got = lam.get_function_concurrency(FunctionName="f")
    assert got["ReservedConcurrentExecutions"] == 7
    conforms(got, output("GetFunctionConcurrency"))
    assert lam.get_function(FunctionName="f")["Concurrency"] == {"ReservedConcurrentExecutions": 7}
    settings = lam.get_account_settings()["AccountLimit"]
    assert (settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]) == (1000, 993)
    assert lam.delete_function_concurrency(FunctionName="f")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="f")
    assert "Concurrency" not in lam.get_function(FunctionName="f")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_at_least_100_concurrency_must_stay_unreserved() -> None:
    """Spec 5: PutFunctionConcurrency beyond the 100-unreserved rule fails with AWS's exact message."""
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    for name in ("a", "b"):
        lam.create_function(FunctionName=name)
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=500)
    lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=400)  # exactly 100 left
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=401)
    assert error_of(exc) == ("InvalidParameterValueException", UNRESERVED_MESSAGE, 400)
    assert exc.value.operation_name == "PutFunctionConcurrency"
    # Replacing a function's own reservation counts only the others'.
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=499)
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=500)
    with pytest.raises(ls.ClientError):
        lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=501)
    assert lam.get_function_concurrency(FunctionName="a")["ReservedConcurrentExecutions"] == 500


def test_concurrency_calls_on_an_unknown_function() -> None:
    _sim, lam = make(echo)
    for call in (
        lambda: lam.put_function_concurrency(FunctionName="nope", ReservedConcurrentExecutions=1),
        lambda: lam.get_function_concurrency(FunctionName="nope"),
        lambda: lam.delete_function_concurrency(FunctionName="nope"),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            call()


# -- function shapes ------------------------------------------------------------------------------------------------

LAST_MODIFIED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def test_create_function_returns_a_function_configuration_with_aws_defaults() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    resp = lam.create_function(FunctionName="orders", Handler=echo)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    conforms(resp, MODEL.shape_for("FunctionConfiguration"))
    assert resp["FunctionName"] == "orders"
    assert resp["FunctionArn"] == f"{ARN}:orders"
    assert resp["Version"] == "$LATEST"
    assert resp["Timeout"] == 3  # AWS's default timeout
    assert resp["MemorySize"] == 128  # AWS's default memory
    assert resp["Architectures"] == ["x86_64"]
    assert resp["LastModified"] == "2026-01-01T00:00:00.000+0000"
    assert LAST_MODIFIED.match(resp["LastModified"])
    assert resp["Handler"].endswith("echo")
    assert resp["PackageType"] == "Zip"
    assert resp["State"] == "Active"


def test_get_function_configuration_and_get_function_shapes() -> None:
    _sim, lam = make(echo)
    config = lam.get_function_configuration(FunctionName="f")
    conforms(config, MODEL.shape_for("FunctionConfiguration"))
    got = lam.get_function(FunctionName="f")
    conforms(got, output("GetFunction"))
    assert {k: v for k, v in config.items() if k != "ResponseMetadata"} == got["Configuration"]
    # Every FunctionName form Lambda accepts names the same function.
    for name in ("f", f"{ARN}:f", "123456789012:function:f"):
        assert lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"] == f"{ARN}:f"
    # An explicit $LATEST answers with the qualified ARN, as recorded on AWS (LocalStack snapshot
    # test_publish_with_update: get_function_latest_result).
    assert lam.get_function(FunctionName="f:$LATEST")["Configuration"]["FunctionArn"] == f"{ARN}:f:$LATEST"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_function(FunctionName="nope")
    assert error_of(exc) == ("ResourceNotFoundException", f"Function not found: {ARN}:nope", 404)


def test_list_functions_pages_in_name_order() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    for name in ("c", "a", "b"):
        lam.create_function(FunctionName=name)
    everything = lam.list_functions()
    conforms(everything, output("ListFunctions"))
    assert [f["FunctionName"] for f in everything["Functions"]] == ["a", "b", "c"]
    assert "NextMarker" not in everything
    first = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a", "b"]
    rest = lam.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["c"]
    assert "NextMarker" not in rest


def test_update_function_configuration_changes_what_runs_next() -> None:
    sim, lam = make(echo, duration=10.0, timeout=30)
    sim.run(until=90)
    resp = lam.update_function_configuration(
        FunctionName="f", Timeout=5, MemorySize=1024, Architectures=["arm64"], Duration=2.0
    )
    conforms(resp, MODEL.shape_for("FunctionConfiguration"))
    assert (resp["Timeout"], resp["MemorySize"], resp["Architectures"]) == (5, 1024, ["arm64"])
    assert resp["LastModified"] == "2026-01-01T00:01:30.000+0000"  # stamped on the simulated clock
    config = lam.get_function_configuration(FunctionName="f")
    assert (config["Timeout"], config["MemorySize"], config["Architectures"]) == (5, 1024, ["arm64"])
    lam.invoke(FunctionName="f", Payload=b"{}")
    assert sim.now == 92.0
    lam.update_function_configuration(FunctionName="f", Duration=7.0)
    body = json.loads(lam.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
    assert body["errorMessage"].endswith(" Error: Task timed out after 5.00 seconds")


def test_delete_function_then_it_is_gone() -> None:
    _sim, lam = make(echo, duration=1.0)
    assert lam.delete_function(FunctionName="f")["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call in (
        lambda: lam.get_function(FunctionName="f"),
        lambda: lam.invoke(FunctionName="f", Payload=b"{}"),
        lambda: lam.delete_function(FunctionName="f"),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            call()
    assert lam.list_functions()["Functions"] == []
    # The name can be used again.
    lam.create_function(FunctionName="f", Handler=echo)
    assert lam.invoke(FunctionName="f", Payload=b"{}")["StatusCode"] == 200


def test_the_deprecated_invoke_async_queues_an_event_invoke_and_answers_202() -> None:
    # [doc] InvokeAsync (API reference, deprecated): "Status": 202 and the event handled as an asynchronous invoke.
    seen: list[Any] = []
    sim, lam = make(lambda event, context: seen.append(event))
    resp = lam.invoke_async(FunctionName="f", InvokeArgs=b'{"order": 1}')
    assert (resp["Status"], resp["ResponseMetadata"]["HTTPStatusCode"]) == (202, 202)
    assert set(resp) == {"Status", "ResponseMetadata"}
    results = sim.run()
    assert seen == [{"order": 1}]
    assert results.stats("f").invocations == 1
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke_async(FunctionName="nope", InvokeArgs="{}")
    with pytest.raises(ls.ParamValidationError):
        lam.invoke_async(FunctionName="f")
