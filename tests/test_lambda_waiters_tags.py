"""Waiters and tags on the Lambda client.

Waiters are checked against botocore itself: the waiter model (names, delays, attempts, acceptors and their
explanations), ``waiter_names``, ``get_waiter``'s error, and ``WaiterError`` reasons, by driving botocore's own
``Waiter`` over lambdasim's client side by side with lambdasim's. The simulated clock: a waiter's first poll is
immediate, polls are ``Delay`` apart from top-level code (as ``sim.run(until=...)`` steps), and inside a running
simulation a waiter never moves the clock. Tags follow AWS's recorded behaviour (LocalStack's ``TestLambdaTag``
snapshots, recorded on AWS; the ``ValidationException`` of a refused tag value as Lambda returned it).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import botocore.exceptions
import botocore.session
import botocore.waiter
import pytest
import simpy

import lambdasim as ls
from lambdasim.aws import errors
from lambdasim.aws.lambda_ import _shapes as _lambda_shapes
from lambdasim.aws.lambda_._model import SHAPES
from lambdasim.aws.lambda_.tags import TAG_PATTERN
from tests.helpers import zip_package

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
SESSION = botocore.session.get_session()
MODEL = SESSION.get_waiter_model("lambda")
NAMES = sorted(_lambda_shapes.WAITERS)


def boto_client() -> Any:
    """A real botocore Lambda client, never called: only its waiter names and waiter objects are compared."""
    return SESSION.create_client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )  # no request is ever sent


def failure(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def waiter_failure(call: Callable[[], Any]) -> ls.WaiterError:
    with pytest.raises(ls.WaiterError) as exc:
        call()
    return exc.value


def setup(seed: int = 5) -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(seed=seed)
    return sim, sim.client("lambda")


def at(sim: ls.Simulation, t: float, action: Callable[[], Any]) -> None:
    """Run ``action`` from a SimPy process at simulated time ``t``."""

    def process() -> Generator[simpy.Event, Any, None]:
        yield sim.env.timeout(t)
        action()

    sim.env.process(process())


# -- the waiter model is botocore's -------------------------------------------------------------------------------


def test_the_generated_waiters_are_botocores_and_every_one_polls_an_implemented_operation() -> None:
    path = Path(__file__).resolve().parent.parent / "tools" / "gen_shapes.py"
    spec = importlib.util.spec_from_file_location("gen_shapes", path)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.build()["WAITERS"] == _lambda_shapes.WAITERS
    assert (
        SESSION.get_component("data_loader").load_service_model("lambda", "waiters-2")["waiters"]
        == _lambda_shapes.WAITERS
    )
    for config in _lambda_shapes.WAITERS.values():
        assert config["operation"] in _lambda_shapes.OPERATIONS


def test_waiter_names_and_unknown_names_are_botocores() -> None:
    lam = setup()[1]
    theirs = boto_client()
    assert lam.waiter_names == theirs.waiter_names
    assert lam.waiter_names == [
        "function_active",
        "function_active_v2",
        "function_exists",
        "function_updated",
        "function_updated_v2",
        "published_version_active",
    ]
    for bad in ("nope", "FunctionActiveV2", "function_active_v3"):
        with pytest.raises(ValueError) as ours:
            lam.get_waiter(bad)
        with pytest.raises(ValueError) as boto:
            theirs.get_waiter(bad)
        assert str(ours.value) == str(boto.value) == f"Waiter does not exist: {bad}"


@pytest.mark.parametrize("name", NAMES)
def test_each_waiter_has_botocores_name_class_and_configuration(name: str) -> None:
    lam = setup()[1]
    snake = botocore.xform_name(name)
    ours, theirs = lam.get_waiter(snake), boto_client().get_waiter(snake)
    assert (ours.name, type(ours).__name__) == (theirs.name, type(theirs).__name__) == (name, f"Lambda.Waiter.{name}")
    for attr in ("description", "operation", "delay", "max_attempts"):
        assert getattr(ours.config, attr) == getattr(theirs.config, attr), attr
    assert len(ours.config.acceptors) == len(theirs.config.acceptors)
    for a, b in zip(ours.config.acceptors, theirs.config.acceptors, strict=True):
        assert (a.state, a.matcher, a.expected, a.argument) == (b.state, b.matcher, b.expected, b.argument)
        assert a.explanation == b.explanation


# -- the waiting loop reads as botocore's -------------------------------------------------------------------------


def botocore_waiter(lam: Any, name: str) -> botocore.waiter.Waiter:
    """botocore's own Waiter polling lambdasim's client (a lambdasim ClientError is an error response to it)."""
    config = MODEL.get_waiter(name)
    method = getattr(lam, botocore.xform_name(config.operation))

    def operation(**params: Any) -> dict[str, Any]:
        try:
            return dict(method(**params))
        except ls.ClientError as exc:
            return exc.response

    return botocore.waiter.Waiter(name, config, operation)


SCENARIOS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "ready": lambda lam: {"FunctionName": "f"},
    "version": lambda lam: {"FunctionName": "f", "Qualifier": lam.publish_version(FunctionName="f")["Version"]},
    "missing": lambda lam: {"FunctionName": "nope"},
    "missing-version": lambda lam: {"FunctionName": "f", "Qualifier": "7"},
    "pending": lambda lam: (
        lam._functions["f"].config.update(State="Pending", LastUpdateStatus="InProgress") or {"FunctionName": "f"}
    ),
    "failed": lambda lam: (
        lam._functions["f"].config.update(State="Failed", LastUpdateStatus="Failed") or {"FunctionName": "f"}
    ),
    "no-state": lambda lam: (
        [lam._functions["f"].config.pop(k) for k in ("State", "LastUpdateStatus")] and {"FunctionName": "f"}
    ),
}


def run_waiter(name: str, scenario: str, which: str) -> tuple[str | None, dict[str, Any] | None]:
    """Set up ``scenario`` on a fresh simulation and wait with lambdasim's or botocore's waiter (no delay)."""
    sim, lam = setup(seed=11)
    lam.create_function(FunctionName="f")
    params = SCENARIOS[scenario](lam)
    waiter = lam.get_waiter(botocore.xform_name(name)) if which == "ours" else botocore_waiter(lam, name)
    try:
        waiter.wait(**params, WaiterConfig={"Delay": 0, "MaxAttempts": 4})
    except botocore.exceptions.WaiterError as exc:
        assert sim.now == 0.0
        return str(exc), exc.last_response
    assert sim.now == 0.0
    return None, None


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("name", NAMES)
def test_every_outcome_and_reason_is_botocores(name: str, scenario: str) -> None:
    """Same success, same WaiterError text and the same last response (same seed, same calls, same request ids)."""
    assert run_waiter(name, scenario, "ours") == run_waiter(name, scenario, "botocore")


def test_the_reasons_read_as_botocore_words_them() -> None:
    assert run_waiter("FunctionExists", "missing", "ours")[0] == (
        "Waiter FunctionExists failed: Max attempts exceeded. Previously accepted state: Matched expected service "
        "error code: ResourceNotFoundException"
    )
    assert run_waiter("FunctionActiveV2", "missing", "ours")[0] == (
        f"Waiter FunctionActiveV2 failed: An error occurred (ResourceNotFoundException): Function not found: {ARN}:nope"
    )
    assert run_waiter("FunctionUpdated", "failed", "ours")[0] == (
        "Waiter FunctionUpdated failed: Waiter encountered a terminal failure state: For expression "
        '"LastUpdateStatus" we matched expected path: "Failed"'
    )
    assert run_waiter("PublishedVersionActive", "pending", "ours")[0] == (
        "Waiter PublishedVersionActive failed: Max attempts exceeded. Previously accepted state: For expression "
        '"State" we matched expected path: "Pending"'
    )
    # No acceptor ever matched: botocore says so without a previous state.
    assert run_waiter("FunctionActive", "no-state", "ours")[0] == "Waiter FunctionActive failed: Max attempts exceeded"


def test_the_waiter_error_is_lambdasims_and_botocores() -> None:
    lam = setup()[1]
    exc = waiter_failure(lambda: lam.get_waiter("function_exists").wait(FunctionName="x", WaiterConfig={"Delay": 0}))
    assert isinstance(exc, botocore.exceptions.WaiterError)
    assert isinstance(exc, errors.WaiterError)
    assert exc.kwargs == {"name": "FunctionExists", "reason": exc.kwargs["reason"]}
    assert exc.last_response["Error"]["Code"] == "ResourceNotFoundException"


def test_without_botocore_the_waiter_error_is_lambdasims_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    errors._waiter_error_class.cache_clear()
    monkeypatch.setitem(sys.modules, "botocore.exceptions", None)  # the import fails, as when botocore is absent
    try:
        lam = setup()[1]
        waiter = lam.get_waiter("function_exists")
        exc = waiter_failure(lambda: waiter.wait(FunctionName="x", WaiterConfig={"Delay": 0, "MaxAttempts": 2}))
        assert type(exc) is errors.WaiterError
        assert str(exc) == (
            "Waiter FunctionExists failed: Max attempts exceeded. Previously accepted state: Matched expected "
            "service error code: ResourceNotFoundException"
        )
        assert exc.kwargs["name"] == "FunctionExists"
    finally:
        errors._waiter_error_class.cache_clear()


def test_operation_parameters_are_checked_as_the_operation_checks_them() -> None:
    lam = setup()[1]
    with pytest.raises(ls.ParamValidationError) as exc:
        lam.get_waiter("function_active_v2").wait()
    assert str(exc.value) == 'Parameter validation failed:\nMissing required parameter in input: "FunctionName"'
    with pytest.raises(ls.ParamValidationError):
        lam.get_waiter("function_exists").wait(FunctionName="f", Bogus=1)


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"Delay": -1}, ValueError, "WaiterConfig Delay must be >= 0, got -1"),
        ({"Delay": "1"}, TypeError, "WaiterConfig Delay must be a number >= 0, got '1' (str)"),
        ({"Delay": float("inf")}, ValueError, "WaiterConfig Delay must be a finite number >= 0, got inf"),
        ({"MaxAttempts": 0}, ValueError, "WaiterConfig MaxAttempts must be >= 1, got 0"),
        ({"MaxAttempts": 2.0}, TypeError, "WaiterConfig MaxAttempts must be an integer >= 1, got 2.0 (float)"),
        ({"Delay": 1, "MaxAttempt": 3}, ValueError, "WaiterConfig takes Delay (s) and MaxAttempts, got unknown keys"),
        ([1, 2], TypeError, "WaiterConfig must be a dict of Delay and MaxAttempts, got [1, 2] (list)"),
    ],
)
def test_waiter_config_is_validated(config: Any, error: type[Exception], message: str) -> None:
    sim, lam = setup()
    lam.create_function(FunctionName="f")
    with pytest.raises(error) as exc:
        lam.get_waiter("function_exists").wait(FunctionName="f", WaiterConfig=config)
    assert str(exc.value).startswith(message)
    assert sim.now == 0.0


# -- waiting on the simulated clock -------------------------------------------------------------------------------


def test_after_create_update_and_publish_every_waiter_succeeds_at_once() -> None:
    sim, lam = setup()
    lam.create_function(FunctionName="f", Duration=0.1)
    lam.get_waiter("function_active_v2").wait(FunctionName="f")
    lam.get_waiter("function_active").wait(FunctionName="f")
    lam.get_waiter("function_exists").wait(FunctionName=f"{ARN}:f")
    lam.update_function_configuration(FunctionName="f", MemorySize=256)
    lam.get_waiter("function_updated_v2").wait(FunctionName="f")
    lam.update_function_code(FunctionName="f", ZipFile=zip_package())
    lam.get_waiter("function_updated").wait(FunctionName="f")
    version = lam.publish_version(FunctionName="f")["Version"]
    lam.get_waiter("published_version_active").wait(FunctionName="f", Qualifier=version)
    assert sim.now == 0.0


def test_a_missing_function_is_polled_max_attempts_times_delay_apart() -> None:
    sim, lam = setup()
    polls: list[float] = []
    get_function = lam.get_function

    def counted(**params: Any) -> dict[str, Any]:
        polls.append(sim.now)
        return dict(get_function(**params))

    lam.get_function = counted
    exc = waiter_failure(lambda: lam.get_waiter("function_exists").wait(FunctionName="nope"))
    assert polls == [float(t) for t in range(20)]  # the model's 20 attempts, 1 s apart
    assert sim.now == 19.0  # no delay after the last attempt, as botocore
    assert exc.last_response["Error"]["Message"] == f"Function not found: {ARN}:nope"
    polls.clear()
    waiter_failure(
        lambda: lam.get_waiter("function_exists").wait(
            FunctionName="nope", WaiterConfig={"Delay": 2.5, "MaxAttempts": 3}
        )
    )
    assert polls == [19.0, 21.5, 24.0]
    assert sim.now == 24.0


def test_a_function_created_by_the_model_is_found_at_the_next_poll() -> None:
    sim, lam = setup()
    at(sim, 3.5, lambda: lam.create_function(FunctionName="late"))
    at(sim, 6.0, lambda: lam.create_function(FunctionName="on-the-dot"))
    lam.get_waiter("function_exists").wait(FunctionName="late")
    assert sim.now == 4.0
    # Like sim.run(until=6), the step to t = 6 stops before what is scheduled at t = 6: found at the poll after.
    lam.get_waiter("function_exists").wait(FunctionName="on-the-dot")
    assert sim.now == 7.0
    assert not sim.running


def test_a_pending_function_is_waited_for_in_simulated_time() -> None:
    """lambdasim never makes a function Pending; if the model did, the waiter waits for it on the clock."""
    sim, lam = setup()
    lam.create_function(FunctionName="f")
    rec = lam._functions["f"]
    rec.config["State"] = "Pending"
    at(sim, 7.0, lambda: rec.config.update(State="Active"))
    lam.get_waiter("function_active_v2").wait(FunctionName="f")  # polls at 0, 1, ..., 7 (Pending), 8 (Active)
    assert sim.now == 8.0
    rec.config["State"] = "Pending"
    at(sim, 2.0, lambda: rec.config.update(State="Active"))  # at t = 10
    lam.get_waiter("function_active").wait(FunctionName="f")  # its delay is 5 s: polls at 8, 13
    assert sim.now == 13.0


def test_advancing_the_clock_runs_the_model_exactly_as_sim_run_does() -> None:
    def scenario(wait: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        sim, lam = setup(seed=21)
        lam.create_function(FunctionName="f", Duration=ls.dist.Exponential(mean_s=1.5), Timeout=5)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
        for i in range(12):
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=f'{{"i": {i}}}')
        if wait:
            waiter = lam.get_waiter("function_exists")
            waiter_failure(lambda: waiter.wait(FunctionName="nope", WaiterConfig={"Delay": 0.75, "MaxAttempts": 9}))
        else:
            sim.run(until=6.0)
        assert sim.now == 6.0
        return sim.results().to_dict(), sim.run(until=400.0).to_dict()

    waited, ran = scenario(True), scenario(False)
    during = waited[0]["functions"]["f"]
    assert (during["throttles"], during["outcomes"]["Success"]) == (27, 3)  # the model ran while the waiter waited
    assert waited[1]["functions"]["f"]["outcomes"]["Success"] == 12
    assert waited == ran


def test_inside_a_running_simulation_a_waiter_never_moves_the_clock() -> None:
    sim, lam = setup()
    lam.create_function(FunctionName="f")
    seen: list[tuple[float, str]] = []

    def inside() -> None:
        lam.get_waiter("function_active_v2").wait(FunctionName="f")  # first poll: no waiting needed
        seen.append((sim.now, "active"))
        exc = waiter_failure(
            lambda: lam.get_waiter("function_exists").wait(
                FunctionName="x", WaiterConfig={"Delay": 0, "MaxAttempts": 3}
            )
        )
        seen.append((sim.now, exc.kwargs["reason"][:21]))
        with pytest.raises(RuntimeError) as refused:
            lam.get_waiter("function_exists").wait(FunctionName="x")
        seen.append((sim.now, str(refused.value)))

    at(sim, 2.0, inside)
    at(sim, 3.0, lambda: seen.append((sim.now, "next event")))
    sim.run()
    assert seen == [
        (2.0, "active"),
        (2.0, "Max attempts exceeded"),
        (
            2.0,
            "waiter FunctionExists would wait 1 s before polling again, but the simulation is running and its clock "
            "cannot advance from inside; wait from top-level code, or poll the operation from a SimPy process that "
            "yields env.timeout(...) between polls",
        ),
        (3.0, "next event"),
    ]
    assert sim.now == 3.0


def test_a_handler_that_waits_fails_as_a_function_error_without_moving_the_clock() -> None:
    sim, lam = setup()
    starts: list[float] = []

    def handler(event: Any, context: Any) -> None:
        starts.append(sim.now)
        lam.get_waiter("function_exists").wait(FunctionName="missing")

    lam.create_function(FunctionName="waits", Handler=handler, Duration=0.5)
    lam.put_function_event_invoke_config(FunctionName="waits", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="waits", InvocationType="Event", Payload=b"{}")
    results = sim.run()
    assert results.outcomes("waits")["RetriesExhausted"] == 1
    assert len(starts) == 1


# -- tags ---------------------------------------------------------------------------------------------------------


def test_tags_given_at_creation_are_the_functions() -> None:
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f", Tags={"team": "payments", "stage": "prod"})["FunctionArn"]
    lam.publish_version(FunctionName="f")
    assert lam.get_function(FunctionName="f")["Tags"] == {"team": "payments", "stage": "prod"}
    assert lam.get_function(FunctionName="f", Qualifier="1")["Tags"] == {"team": "payments", "stage": "prod"}
    resp = lam.list_tags(Resource=arn)
    assert resp["Tags"] == {"team": "payments", "stage": "prod"}
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    lam.create_function(FunctionName="plain")
    assert "Tags" not in lam.get_function(FunctionName="plain")
    assert lam.list_tags(Resource=f"{ARN}:plain")["Tags"] == {}


def test_tag_lifecycle_as_recorded_on_aws() -> None:
    """LocalStack's TestLambdaTag.test_tag_lifecycle, whose snapshot was recorded on AWS."""
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f")["FunctionArn"]

    def tags() -> dict[str, str]:
        return dict(lam.list_tags(Resource=arn)["Tags"])

    resp = lam.tag_resource(Resource=arn, Tags={"A": "tag-a"})
    assert set(resp) == {"ResponseMetadata"} and resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags() == {"A": "tag-a"}
    lam.tag_resource(Resource=arn, Tags={"B": "tag-b", "C": "tag-c"})
    assert tags() == {"A": "tag-a", "B": "tag-b", "C": "tag-c"}
    lam.tag_resource(Resource=arn, Tags={"C": "tag-c-newsuffix", "D": "tag-d"})
    assert tags() == {"A": "tag-a", "B": "tag-b", "C": "tag-c-newsuffix", "D": "tag-d"}
    resp = lam.untag_resource(Resource=arn, TagKeys=["A"])
    assert set(resp) == {"ResponseMetadata"} and resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags() == {"B": "tag-b", "C": "tag-c-newsuffix", "D": "tag-d"}
    lam.untag_resource(Resource=arn, TagKeys=["B", "C"])
    assert tags() == {"D": "tag-d"}
    lam.untag_resource(Resource=arn, TagKeys=["F"])
    assert tags() == {"D": "tag-d"}
    lam.untag_resource(Resource=arn, TagKeys=["D", "F"])
    assert tags() == {}


def test_tags_are_not_configuration() -> None:
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f")["FunctionArn"]
    version = lam.publish_version(FunctionName="f")["Version"]
    revision = lam.get_function_configuration(FunctionName="f")["RevisionId"]
    lam.tag_resource(Resource=arn, Tags={"a": "b"})
    assert lam.get_function_configuration(FunctionName="f")["RevisionId"] == revision
    assert lam.publish_version(FunctionName="f")["Version"] == version  # nothing new to publish


def test_an_unknown_function_is_not_found_as_recorded_on_aws() -> None:
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f")["FunctionArn"]
    lam.delete_function(FunctionName=arn)
    expected = ("ResourceNotFoundException", f"Function not found: {ARN}:f", 404)
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags={"A": "B"})) == expected
    assert failure(lambda: lam.untag_resource(Resource=arn, TagKeys=["A"])) == expected
    assert failure(lambda: lam.list_tags(Resource=arn)) == expected
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.list_tags(Resource=arn)
    assert exc.value.response["Message"] == f"Function not found: {ARN}:f"
    assert exc.value.response["Type"] == "User"
    # Another region or account holds no function of this simulation.
    lam.create_function(FunctionName="g")
    elsewhere = "arn:aws:lambda:eu-west-1:123456789012:function:g"
    assert failure(lambda: lam.list_tags(Resource=elsewhere)) == (
        "ResourceNotFoundException",
        f"Function not found: {elsewhere}",
        404,
    )
    mapping = "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:12345678-1234-1234-1234-123456789012"
    assert failure(lambda: lam.list_tags(Resource=mapping)) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
    )


@pytest.mark.parametrize("qualifier", ["1", "live", "$LATEST"])
def test_versions_and_aliases_cannot_be_tagged(qualifier: str) -> None:
    lam = setup()[1]
    lam.create_function(FunctionName="f", Tags={"a": "b"})
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    expected = (
        "InvalidParameterValueException",
        "Tags on function aliases and versions are not supported. Please specify a function ARN.",
        400,
    )
    for name in ("f", "nope"):  # refused before the function is looked up
        arn = f"{ARN}:{name}:{qualifier}"
        assert failure(lambda: lam.tag_resource(Resource=arn, Tags={"c": "d"})) == expected  # noqa: B023
        assert failure(lambda: lam.untag_resource(Resource=arn, TagKeys=["a"])) == expected  # noqa: B023
        assert failure(lambda: lam.list_tags(Resource=arn)) == expected  # noqa: B023
    assert lam.list_tags(Resource=f"{ARN}:f")["Tags"] == {"a": "b"}


def test_resource_must_be_a_full_arn() -> None:
    lam = setup()[1]
    lam.create_function(FunctionName="f")
    pattern = SHAPES["TaggableResource"]["pattern"]
    for resource in ("f", "123456789012:function:f", "arn:aws:sqs:us-east-1:123456789012:q"):
        assert failure(lambda: lam.list_tags(Resource=resource)) == (  # noqa: B023
            "ValidationException",
            f"1 validation error detected: Value '{resource}' at 'resource' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {pattern}",
            400,
        )


def test_at_most_fifty_tags_per_function() -> None:
    lam = setup()[1]
    fifty = {f"k{i}": "v" for i in range(50)}
    arn = lam.create_function(FunctionName="f", Tags=fifty)["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"k0": "again", "k49": "again"})  # keys already there: still 50
    too_many = ("InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags={"k50": "v"})) == too_many
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50
    assert lam.list_tags(Resource=arn)["Tags"]["k0"] == "again"
    lam.untag_resource(Resource=arn, TagKeys=[f"k{i}" for i in range(30)])
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags={f"n{i}": "v" for i in range(31)})) == too_many
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 20  # a refused request changes nothing
    assert failure(lambda: lam.create_function(FunctionName="g", Tags={**fifty, "k50": "v"})) == too_many
    assert "g" not in lam._functions


VALUE_MESSAGE = (
    "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length "
    r"greater than or equal to 0, Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$]"
)
KEY_MESSAGE = (
    "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length "
    r"greater than or equal to 1, Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$]"
)


def test_a_refused_value_reads_as_lambda_answered_it() -> None:
    """The response Lambda's TagResource gave for a value with commas (cloud-custodian issue 2520)."""
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f")["FunctionArn"]
    assert TAG_PATTERN in VALUE_MESSAGE
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags={"Creator": "X-XXX123,XXXX-XXXX,9,XXXX,XXXX-XXXX"})) == (
        "ValidationException",
        "1 validation error detected: Value '{Creator=X-XXX123,XXXX-XXXX,9,XXXX,XXXX-XXXX}' at 'tags' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: "
        r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$]",
        400,
    )


@pytest.mark.parametrize(
    ("tags", "constraint"),
    [
        ({"k" * 129: "v"}, KEY_MESSAGE),
        ({"": "v"}, KEY_MESSAGE),
        ({"a,b": "v", "c": "x" * 300}, KEY_MESSAGE),  # keys first
        ({"a": "v" * 257}, VALUE_MESSAGE),
        ({"ok": "fine", "a": "semi;colon"}, VALUE_MESSAGE),
    ],
)
def test_key_and_value_limits(tags: dict[str, str], constraint: str) -> None:
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f")["FunctionArn"]
    shown = "{" + ", ".join(f"{k}={v}" for k, v in tags.items()) + "}"
    expected = (
        "ValidationException",
        f"1 validation error detected: Value '{shown}' at 'tags' failed to satisfy constraint: {constraint}",
        400,
    )
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags=tags)) == expected
    assert failure(lambda: lam.create_function(FunctionName="g", Tags=tags)) == expected
    assert lam.list_tags(Resource=arn)["Tags"] == {}


def test_what_the_limits_allow() -> None:
    lam = setup()[1]
    allowed = {"k" * 128: "v" * 256, "empty": "", "Café 日本 ٣": "naïve value", "a_b.c:d/e=f+g-h@i": "_.:/=+-@"}
    arn = lam.create_function(FunctionName="f", Tags=allowed)["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == allowed


def test_empty_tags_and_empty_keys_are_refused() -> None:
    lam = setup()[1]
    arn = lam.create_function(FunctionName="f", Tags={"a": "b"})["FunctionArn"]
    assert failure(lambda: lam.tag_resource(Resource=arn, Tags={})) == (
        "InvalidParameterValueException",
        "An error occurred and the request cannot be processed.",
        400,
    )
    assert failure(lambda: lam.untag_resource(Resource=arn, TagKeys=[])) == (
        "ValidationException",
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        400,
    )
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "b"}


def test_tag_parameters_are_checked_client_side_as_botocore_does() -> None:
    lam = setup()[1]
    with pytest.raises(ls.ParamValidationError) as exc:
        lam.tag_resource(Resource=f"{ARN}:f", Tags={"a": 1})
    assert "Invalid type for parameter Tags.a, value: 1" in str(exc.value)
    with pytest.raises(ls.ParamValidationError):
        lam.untag_resource(Resource=f"{ARN}:f")
