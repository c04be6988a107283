"""Versions, aliases, reserved concurrency and account settings, mirroring AWS's recorded behaviour (LocalStack's
snapshots ``TestLambdaVersions``, ``TestLambdaAlias``, ``TestLambdaReservedConcurrency`` recorded on AWS)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from tests.helpers import zip_package

ARN = "arn:aws:lambda:us-east-1:123456789012:function"


class Capture:
    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def failure(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def named(tag: str) -> Callable[[Any, Any], dict[str, Any]]:
    """A handler that says which code ran and what its context saw."""

    def handler(event: Any, context: Any) -> dict[str, Any]:
        return {
            "code": tag,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
        }

    return handler


def two_versions(seed: int = 1) -> tuple[ls.Simulation, Any]:
    """``f``: version 1 runs code "one" for 2 s with 256 MB; version 2 and $LATEST run "two" for 5 s with 512 MB."""
    sim = ls.Simulation(seed=seed)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f", Handler=named("one"), Duration=2.0, MemorySize=256, Timeout=10, InitDuration=0.0
    )
    assert lam.publish_version(FunctionName="f")["Version"] == "1"
    lam.update_function_configuration(FunctionName="f", Handler=named("two"), Duration=5.0, MemorySize=512)
    assert lam.publish_version(FunctionName="f")["Version"] == "2"
    return sim, lam


def call(lam: Any, sim: ls.Simulation, **params: Any) -> tuple[dict[str, Any], dict[str, Any], float]:
    started = sim.now
    resp = lam.invoke(**params)
    return resp, json.loads(resp["Payload"].read()), sim.now - started


# -- versions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "version", "invoked", "elapsed", "memory"),
    [
        ({"FunctionName": "f"}, "two", "$LATEST", f"{ARN}:f", 5.0, 512),
        ({"FunctionName": "f:$LATEST"}, "two", "$LATEST", f"{ARN}:f:$LATEST", 5.0, 512),
        ({"FunctionName": "f", "Qualifier": "1"}, "one", "1", f"{ARN}:f:1", 2.0, 256),
        ({"FunctionName": f"{ARN}:f:2"}, "two", "2", f"{ARN}:f:2", 5.0, 512),
        ({"FunctionName": "123456789012:function:f:1"}, "one", "1", f"{ARN}:f:1", 2.0, 256),
    ],
)
def test_a_version_runs_the_snapshot_taken_when_it_was_published(
    params: dict[str, Any], code: str, version: str, invoked: str, elapsed: float, memory: int
) -> None:
    sim, lam = two_versions()
    resp, payload, took = call(lam, sim, **params, LogType="Tail")
    assert payload == {
        "code": code,
        "function_version": version,
        "invoked_function_arn": invoked,
        "memory_limit_in_mb": str(memory),
    }
    assert took == elapsed
    assert resp["ExecutedVersion"] == version
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == version
    assert f"Version: {version}\n" in base64.b64decode(resp["LogResult"]).decode()


def test_published_configuration_is_frozen_and_reported_per_qualifier() -> None:
    sim, lam = two_versions()
    lam.update_function_configuration(FunctionName="f", Timeout=30, InitDuration=dist.Constant(1.5))
    v1 = lam.get_function_configuration(FunctionName="f", Qualifier="1")
    assert (v1["Version"], v1["FunctionArn"], v1["MemorySize"], v1["Timeout"]) == ("1", f"{ARN}:f:1", 256, 10)
    latest = lam.get_function(FunctionName="f", Qualifier="$LATEST")["Configuration"]
    assert (latest["Version"], latest["FunctionArn"], latest["Timeout"]) == ("$LATEST", f"{ARN}:f:$LATEST", 30)
    assert lam.get_function_configuration(FunctionName="f")["FunctionArn"] == f"{ARN}:f"
    code = sim.services.lambda_.functions["f"].versions
    assert (code["1"].code.duration, code["1"].code.init_duration) == (dist.Constant(2.0), dist.Constant(0.0))
    assert (code["2"].code.duration, code["2"].code.timeout_s) == (dist.Constant(5.0), 10.0)
    assert sim.services.lambda_.functions["f"].state.latest.version.init_duration == dist.Constant(1.5)


def test_versions_are_numbered_and_publishing_an_unchanged_function_returns_the_last_version() -> None:
    _, lam = two_versions()
    again = lam.publish_version(FunctionName="f")
    assert (again["Version"], again["ResponseMetadata"]["HTTPStatusCode"]) == ("2", 201)
    lam.update_function_code(FunctionName="f", ZipFile=zip_package())
    third = lam.publish_version(FunctionName="f", Description="third")
    assert (third["Version"], third["FunctionArn"], third["Description"]) == ("3", f"{ARN}:f:3", "third")
    versions = lam.list_versions_by_function(FunctionName="f")["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in versions] == [
        ("$LATEST", f"{ARN}:f:$LATEST"),
        ("1", f"{ARN}:f:1"),
        ("2", f"{ARN}:f:2"),
        ("3", f"{ARN}:f:3"),
    ]
    assert not {"State", "LastUpdateStatus"} & set(versions[1])  # as AWS lists them
    first = lam.list_versions_by_function(FunctionName="f", MaxItems=3)
    rest = lam.list_versions_by_function(FunctionName="f", Marker=first["NextMarker"])
    assert [v["Version"] for v in first["Versions"] + rest["Versions"]] == ["$LATEST", "1", "2", "3"]


def test_publish_on_create_and_on_code_update() -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    created = lam.create_function(FunctionName="g", Publish=True)
    assert (created["Version"], created["FunctionArn"]) == ("1", f"{ARN}:g")  # recorded: unqualified ARN
    updated = lam.update_function_code(FunctionName="g", ZipFile=zip_package({"v2.py": ""}), Publish=True)
    assert (updated["Version"], updated["FunctionArn"]) == ("2", f"{ARN}:g:2")


def test_publish_version_errors() -> None:
    _, lam = two_versions()
    sha = lam.get_function_configuration(FunctionName="f")["CodeSha256"]
    assert failure(lambda: lam.publish_version(FunctionName="f", CodeSha256="somenonexistentsha256")) == (
        "InvalidParameterValueException",
        f"CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST ({sha}). Please try "
        "again with the CodeSHA256 in $LATEST.",
        400,
    )
    assert failure(lambda: lam.publish_version(FunctionName="f", RevisionId="wrong")) == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id",
        412,
    )
    assert failure(lambda: lam.publish_version(FunctionName="nope")) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}:nope",
        404,
    )
    assert failure(lambda: lam.list_versions_by_function(FunctionName="nope"))[0] == "ResourceNotFoundException"


def test_deleting_versions() -> None:
    _, lam = two_versions()
    lam.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
    )
    for version in ("1", "2"):
        assert failure(lambda v=version: lam.delete_function(FunctionName="f", Qualifier=v)) == (
            "ResourceConflictException",
            "Unable to delete version because the following aliases reference it: [live]",
            409,
        )
    assert failure(lambda: lam.delete_function(FunctionName="f", Qualifier="$LATEST")) == (
        "InvalidParameterValueException",
        "$LATEST version cannot be deleted without deleting the function.",
        400,
    )
    lam.update_alias(FunctionName="f", Name="live", RoutingConfig={})
    assert lam.delete_function(FunctionName="f", Qualifier="2")["StatusCode"] == 204
    assert lam.delete_function(FunctionName="f:99")["ResponseMetadata"]["HTTPStatusCode"] == 204  # absent: no error
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="f")["Versions"]] == ["$LATEST", "1"]
    assert failure(lambda: lam.invoke(FunctionName="f:2")) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}:f:2",
        404,
    )


# -- aliases ------------------------------------------------------------------------------------------------------


def test_alias_lifecycle() -> None:
    _, lam = two_versions()
    created = lam.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", Description="custom-alias",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}},
    )  # fmt: skip
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    body = {k: v for k, v in created.items() if k != "ResponseMetadata"}
    assert body == {
        "AliasArn": f"{ARN}:f:live",
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "custom-alias",
        "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.2}},
        "RevisionId": created["RevisionId"],
    }
    assert {k: v for k, v in lam.get_alias(FunctionName="f", Name="live").items() if k != "ResponseMetadata"} == body
    plain = lam.create_alias(FunctionName=f"{ARN}:f", Name="beta", FunctionVersion="2", RoutingConfig={})
    assert "RoutingConfig" not in plain  # recorded: create_alias_empty_routingconfig
    assert plain["Description"] == ""
    updated = lam.update_alias(FunctionName="f", Name="live", RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in updated
    assert updated["RevisionId"] != created["RevisionId"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f")["Aliases"]] == ["beta", "live"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f", FunctionVersion="1")["Aliases"]] == ["live"]
    config = lam.get_function(FunctionName="f", Qualifier="live")["Configuration"]
    assert (config["FunctionArn"], config["Version"], config["MemorySize"]) == (f"{ARN}:f:live", "1", 256)
    assert lam.delete_alias(FunctionName="f", Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.delete_alias(FunctionName="f", Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f")["Aliases"]] == ["beta"]
    assert failure(lambda: lam.get_alias(FunctionName="f", Name="live")) == (
        "ResourceNotFoundException",
        f"Cannot find alias arn: {ARN}:f:live",
        404,
    )


WEIGHTS_MAP = (
    "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, "
    "Member must have value greater than or equal to 0.0, Member must not be null]"
)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {
                "Name": "live",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5, "3": 0.1}},
            },
            (
                "InvalidParameterValueException",
                "Number of items in AdditionalVersionWeights cannot be greater than 1",
                400,
            ),
        ),
        (
            {"Name": "live", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 2.0}}},
            (
                "ValidationException",
                "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to "
                f"satisfy constraint: {WEIGHTS_MAP}",
                400,
            ),
        ),
        (
            {"Name": "live", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
            (
                "InvalidParameterValueException",
                "Invalid function version 1. Function version 1 is already included in routing configuration.",
                400,
            ),
        ),
        (
            {"Name": "live", "FunctionVersion": "10"},
            ("ResourceNotFoundException", f"Function not found: {ARN}:f:10", 404),
        ),
        (
            {"Name": "live", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"10": 0.5}}},
            ("ResourceNotFoundException", f"Function not found: {ARN}:f:10", 404),
        ),
        (
            {"Name": "live", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
            (
                "InvalidParameterValueException",
                "$LATEST is not supported for an alias pointing to more than 1 version",
                400,
            ),
        ),
        (
            {"Name": "live", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"$LATEST": 0.5}}},
            (
                "ValidationException",
                "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed "
                "to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal "
                "to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression "
                "pattern: [0-9]+]",
                400,
            ),
        ),
        (
            {"Name": "123", "FunctionVersion": "1"},
            (
                "ValidationException",
                "1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy "
                "regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                400,
            ),
        ),
        (
            {"FunctionName": "f-unknown", "Name": "live", "FunctionVersion": "1"},
            ("ResourceNotFoundException", f"Function not found: {ARN}:f-unknown:1", 404),
        ),
    ],
)
def test_create_alias_errors_as_recorded(params: dict[str, Any], expected: tuple[str, str, int]) -> None:
    _, lam = two_versions()
    assert failure(lambda: lam.create_alias(**{"FunctionName": "f", **params})) == expected


def test_alias_conflicts_and_missing_aliases() -> None:
    _, lam = two_versions()
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    assert failure(lambda: lam.create_alias(FunctionName="f", Name="live", FunctionVersion="2")) == (
        "ResourceConflictException",
        f"Alias already exists: {ARN}:f:live",
        409,
    )
    assert failure(lambda: lam.update_alias(FunctionName="f", Name="gone", FunctionVersion="2")) == (
        "ResourceNotFoundException",
        f"Alias not found: {ARN}:f:gone",
        404,
    )
    assert failure(lambda: lam.update_alias(FunctionName="f", Name="live", RevisionId="stale"))[0] == (
        "PreconditionFailedException"
    )
    assert failure(lambda: lam.update_alias(FunctionName="f", Name="live", FunctionVersion="9"))[1] == (
        f"Function not found: {ARN}:f:9"
    )
    assert failure(lambda: lam.invoke(FunctionName="f:gone")) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}:f:gone",
        404,
    )
    with pytest.raises(ls.ParamValidationError, match=r"valid min value: 0\.0"):
        lam.update_alias(FunctionName="f", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": -1.0}})


def test_an_alias_runs_its_version_under_its_own_arn() -> None:
    sim, lam = two_versions()
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    resp, payload, took = call(lam, sim, FunctionName="f", Qualifier="live")
    assert (resp["ExecutedVersion"], payload["code"], payload["invoked_function_arn"], took) == (
        "1",
        "one",
        f"{ARN}:f:live",
        2.0,
    )
    lam.update_alias(FunctionName="f", Name="live", FunctionVersion="2")
    resp, payload, _ = call(lam, sim, FunctionName=f"{ARN}:f:live")
    assert (resp["ExecutedVersion"], payload["code"], payload["function_version"]) == ("2", "two", "2")


def routed_versions(seed: int, n: int, weight: float) -> list[str]:
    sim = ls.Simulation(seed=seed)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=0.01)
    lam.publish_version(FunctionName="f")
    lam.update_function_configuration(FunctionName="f", Timeout=4)
    lam.publish_version(FunctionName="f")
    lam.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": weight}}
    )
    capture = Capture()
    sim.engine.sinks.append(capture)
    for i in range(n):
        lam.invoke(FunctionName="f:live", InvocationType="Event", Payload=json.dumps({"i": i}))
    sim.run()
    assert {o.function_arn for o in capture.outcomes} == {f"{ARN}:f:live"}
    by_event = sorted(capture.outcomes, key=lambda o: o.request_payload["i"])
    return [o.executed_version for o in by_event]


def test_weighted_alias_routes_the_share_given_from_a_seeded_stream() -> None:
    versions = routed_versions(seed=7, n=4000, weight=0.3)
    share = versions.count("2") / len(versions)
    assert abs(share - 0.3) < 4 * (0.3 * 0.7 / 4000) ** 0.5  # within 4 standard errors
    assert set(versions) == {"1", "2"}
    assert routed_versions(seed=7, n=200, weight=0.3) == versions[:200]  # same seed, same routing
    assert routed_versions(seed=8, n=200, weight=0.3) != versions[:200]
    assert set(routed_versions(seed=7, n=50, weight=0.0)) == {"1"}
    assert set(routed_versions(seed=7, n=50, weight=1.0)) == {"2"}


def test_the_invocation_record_names_the_alias_and_the_version_that_ran() -> None:
    sim, lam = two_versions()

    def fail(event: Any, context: Any) -> None:
        raise ValueError("boom")

    lam.update_function_configuration(FunctionName="f", Handler=fail)
    assert lam.publish_version(FunctionName="f")["Version"] == "3"
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="3")
    lam.put_function_event_invoke_config(FunctionName="f", Qualifier="live", MaximumRetryAttempts=0)
    capture = Capture()
    sim.engine.sinks.append(capture)
    lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b'{"n": 1}')
    sim.run()
    (out,) = capture.outcomes
    record = out.record()
    assert record["requestContext"]["functionArn"] == f"{ARN}:f:live"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "3", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"


def test_an_async_handler_sees_its_version_too() -> None:
    sim = ls.Simulation(seed=2)
    lam = sim.client("lambda")

    async def handler(event: Any, context: Any) -> str:
        await context.sleep(1.0)
        return f"{context.function_version} {context.invoked_function_arn}"

    lam.create_function(FunctionName="a", Handler=handler)
    lam.publish_version(FunctionName="a")
    resp = lam.invoke(FunctionName="a:1")
    assert json.loads(resp["Payload"].read()) == f"1 {ARN}:a:1"
    assert (resp["ExecutedVersion"], sim.now) == ("1", 1.0)


# -- concurrency and account ----------------------------------------------------------------------------------------


def test_reserved_concurrency_is_shared_by_every_version_and_alias() -> None:
    sim, lam = two_versions()
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="2")
    assert (
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"]
        == 1
    )
    capture = Capture()
    sim.engine.sinks.append(capture)
    for name in ("f:1", "f:live", "f"):
        lam.invoke(FunctionName=name, InvocationType="Event")
    results = sim.run()
    starts = sorted(o.finished_at for o in capture.outcomes)
    # One at a time: version 1 (2 s) first, then the others back off and run after one another.
    assert len(starts) == 3 and starts[0] == 2.0 and starts[1] >= 7.0 and starts[2] >= 12.0
    assert results.functions["f"]["throttles"] >= 2
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    for name in ("f:1", "f:live", "f"):
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName=name)


def test_concurrency_errors_as_recorded() -> None:
    _, lam = two_versions()
    assert failure(lambda: lam.put_function_concurrency(FunctionName="nope", ReservedConcurrentExecutions=1)) == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}:nope:$LATEST",
        404,
    )
    assert failure(lambda: lam.put_function_concurrency(FunctionName=f"{ARN}:f:1", ReservedConcurrentExecutions=1)) == (
        "InvalidParameterValueException",
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
        "Please specify either a function name or an unqualified function ARN.",
        400,
    )
    assert failure(lambda: lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=901)) == (
        "InvalidParameterValueException",
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below "
        "its minimum value of [100].",
        400,
    )
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    assert lam.get_function_concurrency(FunctionName="f")["ReservedConcurrentExecutions"] == 0
    assert lam.delete_function_concurrency(FunctionName="f")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert set(lam.get_function_concurrency(FunctionName="f")) == {"ResponseMetadata"}  # recorded: no key


def test_account_settings_reflect_the_simulated_account() -> None:
    lam = ls.Simulation(seed=1, concurrency_limit=500).client("lambda")
    lam.create_function(FunctionName="a")
    lam.create_function(FunctionName="b")
    lam.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=150)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 500
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 350
    assert settings["AccountUsage"]["FunctionCount"] == 2
    assert set(settings["AccountLimit"]) == {
        "CodeSizeUnzipped",
        "CodeSizeZipped",
        "ConcurrentExecutions",
        "TotalCodeSize",
        "UnreservedConcurrentExecutions",
    }
    assert set(settings["AccountUsage"]) == {"FunctionCount", "TotalCodeSize"}
