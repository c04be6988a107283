"""The event invoke configuration API, mirroring AWS's recorded behaviour (spec section 3; LocalStack's snapshot
``TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions`` recorded on AWS)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest

import lambdasim as ls

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failed"
TOPIC = "arn:aws:sns:us-east-1:123456789012:done"
EMPTY = {"OnSuccess": {}, "OnFailure": {}}


def always_fail(event: Any, context: Any) -> None:
    raise RuntimeError("always fails")


class Capture:
    """A sink that keeps every outcome."""

    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def setup(handler: Any = always_fail) -> tuple[ls.Simulation, Any]:
    """Function ``f`` with version 1 and alias ``live`` -> 1, and a second function ``other``."""
    sim = ls.Simulation(seed=5)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=handler, Duration=1.0)
    lam.create_function(FunctionName="other")
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    return sim, lam


def body(resp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def failure(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


# -- put, get, update, delete -------------------------------------------------------------------------------------


def test_put_then_get_gives_the_qualified_arn_the_set_fields_and_an_empty_destination_config() -> None:
    sim, lam = setup()
    sim.run(until=100)
    put = lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=1)
    expected = {
        # A timestamp member: boto3 parses it into a UTC datetime; here it is the simulated clock's.
        "LastModified": sim.start + datetime.timedelta(seconds=100),
        "FunctionArn": f"{ARN}:f:$LATEST",
        "MaximumRetryAttempts": 1,
        "DestinationConfig": EMPTY,
    }
    assert body(put) == expected
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert body(lam.get_function_event_invoke_config(FunctionName="f")) == expected
    assert isinstance(put["LastModified"], datetime.datetime)
    assert put["LastModified"].tzinfo is not None


def test_put_overwrites_the_whole_config() -> None:
    _, lam = setup()
    pre = lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60)
    assert (pre["MaximumRetryAttempts"], pre["MaximumEventAgeInSeconds"]) == (2, 60)
    post = lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    assert body(post) == {**body(post), "MaximumRetryAttempts": 0}
    assert "MaximumEventAgeInSeconds" not in post  # recorded: put_post_overwrite
    assert "MaximumEventAgeInSeconds" not in lam.get_function_event_invoke_config(FunctionName="f")


def test_update_merges_the_fields_given_and_each_destination_separately() -> None:
    sim, lam = setup()
    lam.put_function_event_invoke_config(
        FunctionName="f",
        MaximumRetryAttempts=2,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": QUEUE}},
    )
    sim.run(until=5)
    upd = lam.update_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    assert (upd["MaximumRetryAttempts"], upd["MaximumEventAgeInSeconds"]) == (0, 60)  # recorded: update_response
    assert upd["LastModified"] == sim.start + datetime.timedelta(seconds=5)
    other_queue = QUEUE.replace("failed", "failed2")
    upd = lam.update_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnFailure": {"Destination": other_queue}}
    )
    assert upd["DestinationConfig"] == {"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": other_queue}}
    upd = lam.update_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnSuccess": {}})
    assert upd["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": other_queue}}
    assert body(lam.get_function_event_invoke_config(FunctionName="f")) == body(upd)


def test_delete_removes_the_config_and_the_defaults_apply_again() -> None:
    sim, lam = setup()
    capture = Capture()
    sim.engine.sinks.append(capture)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    assert lam.delete_function_event_invoke_config(FunctionName="f")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_function_event_invoke_configs(FunctionName="f")["FunctionEventInvokeConfigs"] == []
    lam.invoke(FunctionName="f", InvocationType="Event")
    sim.run()
    assert [(o.condition.value, o.approximate_invoke_count) for o in capture.outcomes] == [("RetriesExhausted", 3)]


def test_destinations_reach_the_targets_the_engine_reads() -> None:
    sim, lam = setup()
    lam.put_function_event_invoke_config(
        FunctionName="f:live",
        DestinationConfig={"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": QUEUE}},
    )
    lam.invoke(FunctionName="f:live", InvocationType="Event")
    target = sim.services.lambda_.functions["f"].targets["live"]["1"]
    assert (target.on_success, target.on_failure, target.max_retry_attempts) == (TOPIC, QUEUE, 2)
    lam.update_function_event_invoke_config(FunctionName="f", Qualifier="live", DestinationConfig={"OnSuccess": {}})
    assert (target.on_success, target.on_failure) == (None, QUEUE)
    latest = sim.services.lambda_.functions["f"].state.latest
    assert (latest.on_success, latest.on_failure) == (None, None)  # $LATEST has no config


# -- per qualifier ------------------------------------------------------------------------------------------------


def test_each_qualifier_has_its_own_config_and_latest_does_not_carry_over_to_a_new_version() -> None:
    sim, lam = setup()
    capture = Capture()
    sim.engine.sinks.append(capture)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)  # $LATEST
    lam.publish_version(FunctionName="f", Description="unchanged code: still version 1")
    lam.update_function_configuration(FunctionName="f", Timeout=5)
    assert lam.publish_version(FunctionName="f")["Version"] == "2"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="f", Qualifier="2")
    lam.put_function_event_invoke_config(FunctionName="f", Qualifier="live", MaximumRetryAttempts=1)
    for name in ("f", "f:$LATEST", "f:1", "f:2", "f:live"):
        lam.invoke(FunctionName=name, InvocationType="Event")
    sim.run()
    got = sorted((o.function_arn, o.executed_version, o.approximate_invoke_count) for o in capture.outcomes)
    assert got == [
        (f"{ARN}:f:$LATEST", "$LATEST", 1),  # unqualified: $LATEST's config
        (f"{ARN}:f:$LATEST", "$LATEST", 1),
        (f"{ARN}:f:1", "1", 3),  # version 1 has no config: AWS's default of 2 retries
        (f"{ARN}:f:2", "2", 3),
        (f"{ARN}:f:live", "1", 2),  # the alias's config, version 1's code
    ]


def test_a_change_applies_to_events_already_queued_through_that_qualifier() -> None:
    sim, lam = setup()
    capture = Capture()
    sim.engine.sinks.append(capture)
    lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event")
    lam.invoke(FunctionName="f", Qualifier="1", InvocationType="Event")
    sim.run(until=30)  # both failed at 1 s and wait for their retry at 61 s
    lam.put_function_event_invoke_config(FunctionName="f:live", MaximumEventAgeInSeconds=60)
    sim.run()
    got = {o.function_arn: (o.condition.value, o.approximate_invoke_count) for o in capture.outcomes}
    # The alias's event is 61 s old when its retry comes due, over the new 60 s: discarded then, after one
    # attempt. Version 1's event, queued at the same time, is unaffected.
    assert got == {f"{ARN}:f:live": ("EventAgeExceeded", 1), f"{ARN}:f:1": ("RetriesExhausted", 3)}
    ages = {o.function_arn: o.finished_at for o in capture.outcomes}
    assert ages[f"{ARN}:f:live"] == 61.0


@pytest.mark.parametrize(
    ("params", "arn"),
    [
        ({"FunctionName": "f"}, f"{ARN}:f:$LATEST"),
        ({"FunctionName": "f", "Qualifier": "$LATEST"}, f"{ARN}:f:$LATEST"),
        ({"FunctionName": "f:$LATEST", "Qualifier": "$LATEST"}, f"{ARN}:f:$LATEST"),
        ({"FunctionName": "f", "Qualifier": "1"}, f"{ARN}:f:1"),
        ({"FunctionName": "f:1"}, f"{ARN}:f:1"),
        ({"FunctionName": "f", "Qualifier": "live"}, f"{ARN}:f:live"),
        ({"FunctionName": f"{ARN}:f:live"}, f"{ARN}:f:live"),
        ({"FunctionName": f"{ARN}:f:live", "Qualifier": "live"}, f"{ARN}:f:live"),
        ({"FunctionName": "f:live"}, f"{ARN}:f:live"),
        ({"FunctionName": "123456789012:function:f", "Qualifier": "live"}, f"{ARN}:f:live"),
        ({"FunctionName": f"{ARN}:f"}, f"{ARN}:f:$LATEST"),
    ],
)
def test_every_name_form_aws_accepts(params: dict[str, Any], arn: str) -> None:
    _, lam = setup()
    assert lam.put_function_event_invoke_config(**params, MaximumRetryAttempts=1)["FunctionArn"] == arn
    assert lam.get_function_event_invoke_config(**params)["FunctionArn"] == arn


# -- list ---------------------------------------------------------------------------------------------------------


def test_list_gives_every_qualifiers_config_in_put_order_and_pages() -> None:
    _, lam = setup()
    for qualifier in ("$LATEST", "1", "live"):
        lam.put_function_event_invoke_config(FunctionName="f", Qualifier=qualifier, MaximumRetryAttempts=1)
    everything = lam.list_function_event_invoke_configs(FunctionName="f")
    arns = [c["FunctionArn"] for c in everything["FunctionEventInvokeConfigs"]]
    assert arns == [f"{ARN}:f:$LATEST", f"{ARN}:f:1", f"{ARN}:f:live"]  # recorded: list_configs
    assert "NextMarker" not in everything
    pages, marker = [], None
    while True:
        kwargs = {"MaxItems": 2} if marker is None else {"MaxItems": 2, "Marker": marker}
        page = lam.list_function_event_invoke_configs(FunctionName="f", **kwargs)
        pages.append([c["FunctionArn"] for c in page["FunctionEventInvokeConfigs"]])
        marker = page.get("NextMarker")
        if marker is None:
            break
    assert pages == [arns[:2], arns[2:]]
    paginated = lam.get_paginator("list_function_event_invoke_configs").paginate(FunctionName="f")
    assert paginated.build_full_result()["FunctionEventInvokeConfigs"] == everything["FunctionEventInvokeConfigs"]


def test_list_max_items_is_1_to_50() -> None:
    _, lam = setup()
    assert failure(lambda: lam.list_function_event_invoke_configs(FunctionName="f", MaxItems=51)) == (
        "ValidationException",
        "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: "
        "Member must have value less than or equal to 50",
        400,
    )
    with pytest.raises(ls.ParamValidationError, match="Invalid value for parameter MaxItems, value: 0"):
        lam.list_function_event_invoke_configs(FunctionName="f", MaxItems=0)


# -- every error path ---------------------------------------------------------------------------------------------

NOTHING = "You must specify at least one of error handling or destination setting."
MISMATCH = "The derived qualifier from the function name does not match the specified qualifier."
NO_FUNCTION = "The function doesn't exist."


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("put", {"FunctionName": "f"}, ("InvalidParameterValueException", NOTHING, 400)),
        ("update", {"FunctionName": "f"}, ("InvalidParameterValueException", NOTHING, 400)),
        ("put", {"FunctionName": "nope", "MaximumRetryAttempts": 1}, ("ResourceNotFoundException", NO_FUNCTION, 404)),
        (
            "put",
            {"FunctionName": f"{ARN}:nope", "MaximumRetryAttempts": 1},
            ("ResourceNotFoundException", NO_FUNCTION, 404),
        ),
        ("put", {"FunctionName": "f:gone", "MaximumRetryAttempts": 1}, ("ResourceNotFoundException", NO_FUNCTION, 404)),
        ("put", {"FunctionName": "f:7", "MaximumRetryAttempts": 1}, ("ResourceNotFoundException", NO_FUNCTION, 404)),
        (
            "update",
            {"FunctionName": "nope", "MaximumRetryAttempts": 1},
            ("ResourceNotFoundException", NO_FUNCTION, 404),
        ),
        (
            "update",
            {"FunctionName": "f", "MaximumRetryAttempts": 1},
            ("ResourceNotFoundException", f"The function {ARN}:f:$LATEST doesn't have an EventInvokeConfig", 404),
        ),
        (
            "update",
            {"FunctionName": "f", "Qualifier": "live", "MaximumRetryAttempts": 1},
            ("ResourceNotFoundException", f"The function {ARN}:f:live doesn't have an EventInvokeConfig", 404),
        ),
        (
            "get",
            {"FunctionName": "f"},
            ("ResourceNotFoundException", f"The function {ARN}:f:$LATEST doesn't have an EventInvokeConfig", 404),
        ),
        (
            "get",
            {"FunctionName": "doesnotexist"},
            (
                "ResourceNotFoundException",
                f"The function {ARN}:doesnotexist:$LATEST doesn't have an EventInvokeConfig",
                404,
            ),
        ),
        (
            "get",
            {"FunctionName": "f", "Qualifier": "doesnotexist"},
            ("ResourceNotFoundException", f"The function {ARN}:f:doesnotexist doesn't have an EventInvokeConfig", 404),
        ),
        (
            "delete",
            {"FunctionName": "f"},
            ("ResourceNotFoundException", f"The function {ARN}:f:$LATEST doesn't have an EventInvokeConfig", 404),
        ),
        (
            "delete",
            {"FunctionName": "doesnotexist"},
            (
                "ResourceNotFoundException",
                f"The function {ARN}:doesnotexist:$LATEST doesn't have an EventInvokeConfig",
                404,
            ),
        ),
        ("list", {"FunctionName": "doesnotexist"}, ("ResourceNotFoundException", NO_FUNCTION, 404)),
        (
            "put",
            {"FunctionName": "f:live", "Qualifier": "1", "MaximumRetryAttempts": 1},
            ("InvalidParameterValueException", MISMATCH, 400),
        ),
        (
            "put",
            {"FunctionName": f"{ARN}:f:live", "Qualifier": "$LATEST", "MaximumRetryAttempts": 1},
            ("InvalidParameterValueException", MISMATCH, 400),
        ),
        ("get", {"FunctionName": "f:1", "Qualifier": "live"}, ("InvalidParameterValueException", MISMATCH, 400)),
        (
            "put",
            {"FunctionName": "f", "MaximumRetryAttempts": 3},
            (
                "ValidationException",
                "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: "
                "Member must have value less than or equal to 2",
                400,
            ),
        ),
        (
            "update",
            {"FunctionName": "f", "MaximumEventAgeInSeconds": 21601},
            (
                "ValidationException",
                "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy "
                "constraint: Member must have value less than or equal to 21600",
                400,
            ),
        ),
        (
            "put",
            {"FunctionName": "f", "MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 99999},
            (
                "ValidationException",
                "2 validation errors detected: Value '5' at 'maximumRetryAttempts' failed to satisfy constraint: "
                "Member must have value less than or equal to 2; Value '99999' at 'maximumEventAgeInSeconds' failed "
                "to satisfy constraint: Member must have value less than or equal to 21600",
                400,
            ),
        ),
    ],
)
def test_errors_as_recorded(method: str, params: dict[str, Any], expected: tuple[str, str, int]) -> None:
    _, lam = setup()
    call = getattr(lam, f"{method}_function_event_invoke_config{'s' if method == 'list' else ''}")
    assert failure(lambda: call(**params)) == expected


@pytest.mark.parametrize(
    ("destinations", "message"),
    [
        ({"OnFailure": {"Destination": f"{ARN}:f"}}, "You can't specify the function as a destination for itself."),
        (
            {"OnSuccess": {"Destination": f"{ARN}:f:live"}},
            "You can't specify the function as a destination for itself.",
        ),
        ({"OnSuccess": {"Destination": f"{ARN}:doesnotexist"}}, f"The destination ARN {ARN}:doesnotexist is invalid."),
        (
            {"OnSuccess": {"Destination": "arn:aws:iam:us-east-1:123456789012:function:f"}},
            "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination="
            "arn:aws:iam:us-east-1:123456789012:function:f), onFailure=null) is invalid.",
        ),
        (
            {"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}, "OnFailure": {"Destination": QUEUE}},
            "The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:s3:::bucket), "
            f"onFailure=OnFailure(destination={QUEUE})) is invalid.",
        ),
    ],
)
def test_destination_errors(destinations: dict[str, Any], message: str) -> None:
    _, lam = setup()
    assert failure(lambda: lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig=destinations)) == (
        "InvalidParameterValueException",
        message,
        400,
    )


def test_accepted_destinations_and_empty_ones() -> None:
    _, lam = setup()
    other = lam.put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": f"{ARN}:other"}}
    )
    assert other["DestinationConfig"] == {"OnFailure": {}, "OnSuccess": {"Destination": f"{ARN}:other"}}
    s3 = lam.put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::b"}}
    )
    assert s3["DestinationConfig"]["OnFailure"] == {"Destination": "arn:aws:s3:::b"}
    empty = lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnSuccess": {}})
    assert empty["DestinationConfig"] == EMPTY  # recorded: put_destination_success_no_destination_arn


def test_a_destination_that_is_not_an_arn_is_a_validation_exception() -> None:
    _, lam = setup()
    code, message, _ = failure(
        lambda: lam.put_function_event_invoke_config(
            FunctionName="f", DestinationConfig={"OnFailure": {"Destination": "arn:aws:_-/!lambda:x"}}
        )
    )
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'arn:aws:_-/!lambda:x' at 'destinationConfig.onFailure.destination' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
    )


def test_client_side_checks_are_botocores() -> None:
    _, lam = setup()
    with pytest.raises(ls.ParamValidationError) as exc:
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=-1, MaximumEventAgeInSeconds=59)
    assert exc.value.kwargs["report"] == (
        "Invalid value for parameter MaximumRetryAttempts, value: -1, valid min value: 0\n"
        "Invalid value for parameter MaximumEventAgeInSeconds, value: 59, valid min value: 60"
    )
    with pytest.raises(ls.ParamValidationError, match=r'Unknown parameter in DestinationConfig\.OnFailure: "Arn"'):
        lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnFailure": {"Arn": QUEUE}})


def test_errors_have_botocores_response_layout_and_exception_classes() -> None:
    _, lam = setup()
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.get_function_event_invoke_config(FunctionName="f")
    r = missing.value.response
    assert (r["Message"], r["Type"]) == (r["Error"]["Message"], "User")  # recorded layout
    assert "message" not in r
    assert missing.value.operation_name == "GetFunctionEventInvokeConfig"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as invalid:
        lam.put_function_event_invoke_config(FunctionName="f")
    r = invalid.value.response
    assert (r["message"], r["Type"]) == (NOTHING, "User")
    assert str(invalid.value) == (
        f"An error occurred (InvalidParameterValueException) when calling the PutFunctionEventInvokeConfig "
        f"operation: {NOTHING}"
    )
    with pytest.raises(lam.exceptions.ValidationException) as validation:
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=3)
    assert set(validation.value.response) == {"Error", "ResponseMetadata"}
    assert isinstance(validation.value, lam.exceptions.ClientError)


def test_invoke_payload_stays_valid_json_after_config_changes() -> None:
    """Config changes never disturb the events themselves."""
    sim, lam = setup(handler=lambda event, context: event)
    capture = Capture()
    sim.engine.sinks.append(capture)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"n": 1}))
    lam.delete_function_event_invoke_config(FunctionName="f")
    sim.run()
    (out,) = capture.outcomes
    assert (out.condition.value, out.response) == ("Success", {"n": 1})
