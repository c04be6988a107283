"""lambdasim against answers recorded on real AWS.

LocalStack's test suite records AWS's responses in ``tests/aws/services/lambda_/*.snapshot.json`` (repository
localstack/localstack); the recordings used here date from November 2025 to January 2026. Each test below is our own
re-expression of one recorded case in lambdasim's scope, named in a comment by the recording's test id
(``<file>::<Class>::<test>``). LocalStack's transformers replace the account by ``111111111111``, the partition and
region by ``<partition>``/``<region>``, names, request ids and timestamps by placeholders and every HTTP header by
``{}``: the simulation here uses account ``111111111111`` in ``us-east-1`` so that the recorded messages read
literally, and compares request ids and times by shape only.

What a recording shows that lambdasim deliberately does not do (``State: Pending`` after create, code run from zip
files, log lines of the runtime itself) is listed in docs/reference/lambda-client.md, "Differences from AWS".
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.aws.lambda_._shapes import SHAPES as BOTOCORE_SHAPES
from lambdasim.aws.lambda_.runtimes import DEPRECATED
from tests.helpers import zip_package

ACCOUNT = "111111111111"
REGION = "us-east-1"
OTHER_REGION = "eu-central-1"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The keys besides Error and ResponseMetadata of each recorded error layout.
NOT_FOUND = ["Message", "Type"]
TYPED = ["Type", "message"]
UNTYPED = ["message"]
VALIDATION: list[str] = []


def echo(event: Any, context: Any) -> Any:
    return event


def setup(**create: Any) -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(region=REGION, account_id=ACCOUNT, seed=3)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="fn", Handler=create.pop("Handler", echo), **create)
    return sim, lam


def refused(call: Callable[..., Any], **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**params)
    return dict(info.value.response)


def check(response: dict[str, Any], status: int, code: str, message: str, extra: list[str]) -> None:
    """The recorded layout: status, ``Error``, and exactly the recorded top-level keys with their values."""
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Error"] == {"Code": code, "Message": message}
    assert sorted(k for k in response if k not in ("Error", "ResponseMetadata")) == sorted(extra)
    for key in ("Message", "message"):
        if key in extra:
            assert response[key] == message
    if "Type" in extra:
        assert response["Type"] == "User"


def payload(response: dict[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


# -- names, ARNs and qualifiers ---------------------------------------------------------------------------------

WRONG_REGION_OPS = [
    "get_function",
    "get_function_configuration",
    "get_function_event_invoke_config",
    "get_function_concurrency",
    "delete_function",
    "invoke",
]


@pytest.mark.parametrize("op", WRONG_REGION_OPS)
def test_a_function_arn_of_another_region_is_not_reachable(op: str) -> None:
    # test_lambda_api.py::TestLambdaFunction::test_get_function_wrong_region[<op>]
    _, lam = setup()
    arn = f"arn:aws:lambda:{OTHER_REGION}:{ACCOUNT}:function:fn"
    message = f"Functions from '{OTHER_REGION}' are not reachable in this region ('{REGION}')"
    check(refused(getattr(lam, op), FunctionName=arn), 404, "ResourceNotFoundException", message, NOT_FOUND)


NONEXISTING_FN = {
    "delete_function": f"Function not found: {ARN}nope",
    "get_function": f"Function not found: {ARN}nope",
    "get_function_configuration": f"Function not found: {ARN}nope",
    "get_function_event_invoke_config": f"The function {ARN}nope:$LATEST doesn't have an EventInvokeConfig",
    "get_function_concurrency": f"Function not found: {ARN}nope",
}


@pytest.mark.parametrize("op", sorted(NONEXISTING_FN))
def test_operations_on_a_function_that_does_not_exist(op: str) -> None:
    # test_lambda_api.py::TestLambdaFunction::test_ops_on_nonexisting_fn[<op>]
    _, lam = setup()
    response = refused(getattr(lam, op), FunctionName="nope")
    check(response, 404, "ResourceNotFoundException", NONEXISTING_FN[op], NOT_FOUND)


def test_invoking_a_function_that_does_not_exist_names_latest() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invoke_exceptions (recorded 2025-11-24; the 2023 recording had no
    # ":$LATEST")
    _, lam = setup()
    response = refused(lam.invoke, FunctionName="doesnotexist")
    check(response, 404, "ResourceNotFoundException", f"Function not found: {ARN}doesnotexist:$LATEST", NOT_FOUND)


NONEXISTING_VERSION = {
    "get_function": f"Function not found: {ARN}fn:1221",
    "get_function_configuration": f"Function not found: {ARN}fn:1221",
    "get_function_event_invoke_config": f"The function {ARN}fn:1221 doesn't have an EventInvokeConfig",
}


@pytest.mark.parametrize("op", sorted(NONEXISTING_VERSION))
def test_operations_on_a_version_that_does_not_exist(op: str) -> None:
    # test_lambda_api.py::TestLambdaFunction::test_ops_on_nonexisting_version[<op>]
    _, lam = setup()
    response = refused(getattr(lam, op), FunctionName="fn", Qualifier="1221")
    check(response, 404, "ResourceNotFoundException", NONEXISTING_VERSION[op], NOT_FOUND)


def test_deleting_versions_that_do_not_exist() -> None:
    # test_lambda_api.py::TestLambdaFunction::test_delete_on_nonexisting_version
    _, lam = setup()
    for _ in range(2):  # a version that does not exist: no error
        assert lam.delete_function(FunctionName="fn", Qualifier="1233")["ResponseMetadata"]["HTTPStatusCode"] == 204
    lam.delete_function(FunctionName="fn")
    message = f"Function not found: {ARN}fn"
    check(refused(lam.delete_function, FunctionName="fn"), 404, "ResourceNotFoundException", message, NOT_FOUND)
    response = refused(lam.delete_function, FunctionName="fn", Qualifier="1233")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)


@pytest.mark.parametrize("op", ["delete_function", "get_function", "get_function_configuration"])
def test_a_qualifier_in_the_arn_and_another_given_separately(op: str) -> None:
    # test_lambda_api.py::TestLambdaFunction::test_ops_with_arn_qualifier_mismatch[<op>]
    _, lam = setup()
    method = getattr(lam, op)
    mismatch = "The derived qualifier from the function name does not match the specified qualifier."
    response = refused(method, FunctionName=f"{ARN}some-function:1", Qualifier="$LATEST")
    check(response, 400, "InvalidParameterValueException", mismatch, TYPED)
    response = refused(method, FunctionName=f"{ARN}some-function:$LATEST", Qualifier="$LATEST")
    if op == "delete_function":
        message = "$LATEST version cannot be deleted without deleting the function."
        check(response, 400, "InvalidParameterValueException", message, TYPED)
    else:
        message = f"Function not found: {ARN}some-function:$LATEST"
        check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)


def test_a_function_name_that_is_not_a_function_name_or_arn() -> None:
    # test_lambda_api.py::TestLambdaFunction::test_invalid_invoke
    _, lam = setup()
    name = f"arn:aws:lambda:{REGION}:123400000000@function:myfn"
    # AWS quoted its own (newer) model's pattern, with "(eusc-)?" for the European sovereign cloud; lambdasim
    # quotes botocore's model as installed, so the test takes the pattern from there.
    pattern = BOTOCORE_SHAPES[BOTOCORE_SHAPES["InvocationRequest"]["members"]["FunctionName"]]["pattern"]
    message = (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must "
        f"satisfy regular expression pattern: {pattern}"
    )
    check(refused(lam.invoke, FunctionName=name), 400, "ValidationException", message, VALIDATION)


# -- create and update --------------------------------------------------------------------------------------------

RECORDED_RUNTIMES = (
    "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, "
    "python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, "
    "java11, dotnet6, nodejs18.x, provided.al2, java8.al2"
)
# Runtimes botocore's model gained after the recording (ruby4.0 in botocore 1.42) follow the recorded ones.
LATER_RUNTIMES = [r for r in BOTOCORE_SHAPES["Runtime"]["enum"] if r not in DEPRECATED and r not in RECORDED_RUNTIMES]


@pytest.mark.parametrize("runtime", ["non-existent-runtime", "PYTHON3.9"])
@pytest.mark.parametrize("op", ["create", "update"])
def test_an_unknown_runtime_is_refused_with_the_list_of_valid_ones(op: str, runtime: str) -> None:
    # test_lambda_api.py::TestLambdaFunction::test_create_lambda_exceptions (invalid_runtime_exc,
    # uppercase_runtime_exc) and ::test_update_lambda_exceptions (the same two)
    _, lam = setup()
    message = (
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{', '.join([RECORDED_RUNTIMES, *LATER_RUNTIMES])}] or be a valid ARN"
    )
    if op == "create":
        response = refused(lam.create_function, FunctionName="other", Handler=echo, Runtime=runtime)
    else:
        response = refused(lam.update_function_configuration, FunctionName="fn", Runtime=runtime)
    check(response, 400, "InvalidParameterValueException", message, TYPED)


@pytest.mark.parametrize(
    "runtime", ["java8", "go1.x", "provided", "ruby2.7", "nodejs14.x", "python3.7", "dotnetcore3.1", "nodejs12.x"]
)
def test_a_deprecated_runtime_is_refused(runtime: str) -> None:
    # test_lambda_api.py::TestRuntimeValidation::test_create_deprecated_function_runtime_with_validation_enabled[<r>]
    _, lam = setup()
    message = (
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use a supported runtime while creating or updating functions."
    )
    response = refused(lam.create_function, FunctionName="other", Handler=echo, Runtime=runtime)
    check(response, 400, "InvalidParameterValueException", message, TYPED)
    response = refused(lam.update_function_configuration, FunctionName="fn", Runtime=runtime)
    check(response, 400, "InvalidParameterValueException", message, TYPED)


def test_a_valid_runtime_is_accepted_on_create_and_update() -> None:
    # test_lambda_api.py::TestLambdaFunction::test_create_lambda_exceptions (the runtimes the message lists)
    _, lam = setup(Runtime="java8.al2")
    assert lam.update_function_configuration(FunctionName="fn", Runtime="python3.14")["Runtime"] == "python3.14"


def test_create_and_update_check_role_and_architectures_before_the_runtime() -> None:
    # test_lambda_api.py::TestLambdaFunction::test_create_lambda_exceptions (invalid_role_arn_exc,
    # multiple_architectures, uppercase_architecture) and ::test_update_lambda_exceptions (invalid_role_arn_exc)
    _, lam = setup()
    role = (
        "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
    )
    response = refused(lam.create_function, FunctionName="other", Handler=echo, Role="r1", Runtime="nope")
    check(response, 400, "ValidationException", role, VALIDATION)
    response = refused(lam.update_function_configuration, FunctionName="fn", Role="r1")
    check(response, 400, "ValidationException", role, VALIDATION)
    multiple = (
        "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: "
        "Member must have length less than or equal to 1"
    )
    response = refused(lam.create_function, FunctionName="other", Handler=echo, Architectures=["x86_64", "arm64"])
    check(response, 400, "ValidationException", multiple, VALIDATION)
    upper = (
        "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must "
        "satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"
    )
    response = refused(lam.create_function, FunctionName="other", Handler=echo, Architectures=["X86_64"])
    check(response, 400, "ValidationException", upper, VALIDATION)


# -- versions, aliases, revisions ---------------------------------------------------------------------------------


def test_publishing_with_a_stale_revision_id_and_revision_ids_of_versions() -> None:
    # test_lambda_api.py::TestLambdaVersions::test_publish_with_wrong_revisionid and
    # TestLambdaRevisions::test_function_revisions_version_and_alias
    _, lam = setup()
    rev1 = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    precondition = (
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id"
    )
    response = refused(lam.publish_version, FunctionName="fn", RevisionId="wrong")
    check(response, 412, "PreconditionFailedException", precondition, TYPED)
    v1 = lam.publish_version(FunctionName="fn", RevisionId=rev1)
    assert v1["Version"] == "1" and UUID.match(v1["RevisionId"])
    # Publishing changes $LATEST's revision (rev2 -> rev3 in the recording); the version has its own.
    rev_after = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    assert rev_after != rev1 and v1["RevisionId"] not in (rev1, rev_after)
    assert lam.get_function(FunctionName="fn", Qualifier="1")["Configuration"]["RevisionId"] == v1["RevisionId"]
    # An alias: its own revision id, checked on update.
    alias = lam.create_alias(FunctionName="fn", Name="revision_alias", FunctionVersion="1")
    assert alias["ResponseMetadata"]["HTTPStatusCode"] == 201
    response = refused(lam.update_alias, FunctionName="fn", Name="revision_alias", RevisionId="wrong", Description="x")
    check(response, 412, "PreconditionFailedException", precondition, TYPED)
    updated = lam.update_alias(
        FunctionName="fn", Name="revision_alias", RevisionId=alias["RevisionId"], Description="something changed"
    )
    assert updated["RevisionId"] != alias["RevisionId"] and updated["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_deleting_an_alias_that_does_not_exist_is_not_an_error() -> None:
    # test_lambda_api.py::TestLambdaAlias::test_non_existent_alias_deletion
    _, lam = setup()
    response = lam.delete_alias(FunctionName="fn", Name="non-existent")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_updating_an_alias_that_does_not_exist() -> None:
    # test_lambda_api.py::TestLambdaAlias::test_non_existent_alias_update
    _, lam = setup()
    response = refused(lam.update_alias, FunctionName="fn", Name="non-existent")
    check(response, 404, "ResourceNotFoundException", f"Alias not found: {ARN}fn:non-existent", NOT_FOUND)


def test_alias_routing_configurations_that_aws_refuses() -> None:
    # test_lambda_api.py::TestLambdaAlias::test_notfound_and_invalid_routingconfigs
    _, lam = setup()
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"testenv": "prod"}})
    lam.publish_version(FunctionName="fn")

    def alias(name: str = "custom", version: str = "1", **routing: float) -> dict[str, Any]:
        config = {"AdditionalVersionWeights": routing} if routing else None
        extra = {"RoutingConfig": config} if config is not None else {}
        return refused(lam.create_alias, FunctionName="fn", Name=name, FunctionVersion=version, **extra)

    message = "Number of items in AdditionalVersionWeights cannot be greater than 1"
    check(alias(**{"2": 0.5, "3": 0.5}), 400, "InvalidParameterValueException", message, TYPED)
    constraint = (
        "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have "
        "value greater than or equal to 0.0, Member must not be null]"
    )
    message = (
        "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
        f"constraint: {constraint}"
    )
    check(alias(**{"2": 2}), 400, "ValidationException", message, VALIDATION)
    # The recording's -1 went through a client without parameter validation; botocore's default client (as
    # lambdasim's) stops it first, as its ParamValidator checks a double's minimum.
    with pytest.raises(ParamValidationError, match=r"AdditionalVersionWeights\.2, value: -1, valid min value: 0\.0"):
        lam.create_alias(
            FunctionName="fn", Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": -1}}
        )
    message = "Invalid function version 1. Function version 1 is already included in routing configuration."
    check(alias(**{"1": 0.5}), 400, "InvalidParameterValueException", message, TYPED)
    message = f"Function not found: {ARN}fn:10"
    check(alias(version="10"), 404, "ResourceNotFoundException", message, NOT_FOUND)
    check(alias(**{"10": 0.5}), 404, "ResourceNotFoundException", message, NOT_FOUND)
    message = "$LATEST is not supported for an alias pointing to more than 1 version"
    check(alias(version="$LATEST", **{"1": 0.5}), 400, "InvalidParameterValueException", message, UNTYPED)
    message = (
        "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to "
        "satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, "
        "Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]"
    )
    check(alias(**{"$LATEST": 0.5}), 400, "ValidationException", message, VALIDATION)
    latest = lam.create_alias(FunctionName="fn", Name="custom-latest", FunctionVersion="$LATEST")
    assert latest["AliasArn"] == f"{ARN}fn:custom-latest" and latest["ResponseMetadata"]["HTTPStatusCode"] == 201
    response = refused(lam.create_alias, FunctionName="fn-unknown", Name="custom", FunctionVersion="1")
    check(response, 404, "ResourceNotFoundException", f"Function not found: {ARN}fn-unknown:1", NOT_FOUND)
    empty = lam.create_alias(
        FunctionName="fn", Name="custom-empty-routingconfig", FunctionVersion="1", RoutingConfig={}
    )
    assert "RoutingConfig" not in empty
    created = lam.create_alias(
        FunctionName="fn", Name="custom", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
    )
    assert created["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    message = f"Alias already exists: {ARN}fn:custom"
    check(alias(), 409, "ResourceConflictException", message, TYPED)
    response = refused(lam.get_alias, FunctionName="fn", Name="non-existent")
    check(response, 404, "ResourceNotFoundException", f"Cannot find alias arn: {ARN}fn:non-existent", NOT_FOUND)


# -- event invoke configs -----------------------------------------------------------------------------------------


def test_event_invoke_config_refusals() -> None:
    # test_lambda_api.py::TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions
    sim, lam = setup()
    lam.create_function(FunctionName="other", Handler=echo)
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="eventinvokealias", FunctionVersion="1")
    put = lam.put_function_event_invoke_config
    gone = "The function doesn't exist."
    response = refused(put, FunctionName="doesnotexist", MaximumRetryAttempts=1)
    check(response, 404, "ResourceNotFoundException", gone, NOT_FOUND)
    response = refused(put, FunctionName=f"{ARN}doesnotexist", MaximumRetryAttempts=1)
    check(response, 404, "ResourceNotFoundException", gone, NOT_FOUND)
    message = "You must specify at least one of error handling or destination setting."
    check(refused(put, FunctionName="fn"), 400, "InvalidParameterValueException", message, TYPED)
    message = f"The destination ARN {ARN}doesnotexist is invalid."
    response = refused(put, FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": f"{ARN}doesnotexist"}})
    check(response, 400, "InvalidParameterValueException", message, TYPED)
    message = "You can't specify the function as a destination for itself."
    response = refused(put, FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": f"{ARN}fn"}})
    check(response, 400, "InvalidParameterValueException", message, TYPED)
    ok = put(FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": f"{ARN}other"}})
    assert ok["DestinationConfig"] == {"OnFailure": {}, "OnSuccess": {"Destination": f"{ARN}other"}}
    assert ok["FunctionArn"] == f"{ARN}fn:$LATEST"
    iam = f"arn:aws:iam:{REGION}:{ACCOUNT}:function:fn"
    message = (
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam}), onFailure=null) "
        "is invalid."
    )
    response = refused(put, FunctionName="fn", DestinationConfig={"OnSuccess": {"Destination": iam}})
    check(response, 400, "InvalidParameterValueException", message, TYPED)
    response = refused(put, FunctionName="fn:doesnotexist", MaximumRetryAttempts=1)
    check(response, 404, "ResourceNotFoundException", gone, NOT_FOUND)
    mismatch = "The derived qualifier from the function name does not match the specified qualifier."
    for name, qualifier in ((f"{ARN}fn:eventinvokealias", "1"), ("fn:eventinvokealias", "1"), ("fn:1", "$LATEST")):
        response = refused(put, FunctionName=name, Qualifier=qualifier, MaximumRetryAttempts=1)
        check(response, 400, "InvalidParameterValueException", mismatch, TYPED)
    lam.delete_function_event_invoke_config(FunctionName="fn")
    message = f"The function {ARN}fn:$LATEST doesn't have an EventInvokeConfig"
    response = refused(lam.delete_function_event_invoke_config, FunctionName="fn")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    message = f"The function {ARN}doesnotexist:$LATEST doesn't have an EventInvokeConfig"
    response = refused(lam.delete_function_event_invoke_config, FunctionName="doesnotexist")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    response = refused(lam.list_function_event_invoke_configs, FunctionName="doesnotexist")
    check(response, 404, "ResourceNotFoundException", gone, NOT_FOUND)
    response = refused(lam.update_function_event_invoke_config, FunctionName="doesnotexist", MaximumRetryAttempts=1)
    check(response, 404, "ResourceNotFoundException", gone, NOT_FOUND)
    message = f"The function {ARN}fn:doesnotexist doesn't have an EventInvokeConfig"
    response = refused(lam.get_function_event_invoke_config, FunctionName="fn", Qualifier="doesnotexist")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    message = f"The function {ARN}fn:eventinvokealias doesn't have an EventInvokeConfig"
    response = refused(
        lam.update_function_event_invoke_config, FunctionName="fn", Qualifier="eventinvokealias", MaximumRetryAttempts=1
    )
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    assert sim.now == 0.0


# -- reserved and provisioned concurrency ---------------------------------------------------------------------------


def test_reserved_concurrency_refusals() -> None:
    # test_lambda_api.py::TestLambdaReservedConcurrency::test_function_concurrency_exceptions
    _, lam = setup()
    message = f"Function not found: {ARN}doesnotexist:$LATEST"
    for n in (1, 0):
        response = refused(lam.put_function_concurrency, FunctionName="doesnotexist", ReservedConcurrentExecutions=n)
        check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    lam.publish_version(FunctionName="fn")
    message = (
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
        "Please specify either a function name or an unqualified function ARN."
    )
    response = refused(lam.put_function_concurrency, FunctionName=f"{ARN}fn:1", ReservedConcurrentExecutions=1)
    check(response, 400, "InvalidParameterValueException", message, TYPED)


def test_reserved_concurrency_against_the_account_limit_is_untyped() -> None:
    # test_lambda_api.py::TestLambdaReservedConcurrency::test_function_concurrency_limits
    _, lam = setup()
    limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    message = (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below "
        "its minimum value of [100]."
    )
    for n in (limit + 1, limit):
        response = refused(lam.put_function_concurrency, FunctionName="fn", ReservedConcurrentExecutions=n)
        check(response, 400, "InvalidParameterValueException", message, UNTYPED)


def test_provisioned_concurrency_against_the_account_limit() -> None:
    # test_lambda_api.py::TestLambdaProvisionedConcurrency::test_provisioned_concurrency_limits
    _, lam = setup()
    version = lam.publish_version(FunctionName="fn")["Version"]
    limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    put = lam.put_provisioned_concurrency_config
    response = refused(put, FunctionName="fn", Qualifier=version, ProvisionedConcurrentExecutions=limit + 1)
    message = f"Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [{limit}]."
    check(response, 400, "InvalidParameterValueException", message, UNTYPED)
    response = refused(put, FunctionName="fn", Qualifier=version, ProvisionedConcurrentExecutions=limit)
    message = (
        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its "
        "minimum value of [100]."
    )
    check(response, 400, "InvalidParameterValueException", message, UNTYPED)


def test_provisioned_concurrency_refusals() -> None:
    # test_lambda_api.py::TestLambdaProvisionedConcurrency::test_provisioned_concurrency_exceptions
    _, lam = setup()
    lam.publish_version(FunctionName="fn")
    get = lam.get_provisioned_concurrency_config
    delete = lam.delete_provisioned_concurrency_config
    put = lam.put_provisioned_concurrency_config
    message = "No Provisioned Concurrency Config found for this function"
    response = refused(get, FunctionName="fn", Qualifier="1")
    check(response, 404, "ProvisionedConcurrencyConfigNotFoundException", message, TYPED)
    alias_arn, not_found = f"Cannot find alias arn: {ARN}", f"Function not found: {ARN}"
    unpublished = "The function resource provided must be an alias or a published version."
    cases: list[tuple[Callable[..., Any], str, str, str]] = [
        (get, "doesnotexist", "noalias", f"{alias_arn}doesnotexist:noalias"),
        (get, "fn", "noalias", f"{alias_arn}fn:noalias"),
        (get, "fn", "10", f"{not_found}fn:10"),
        (get, "fn", "$LATEST", unpublished),
        (delete, "doesnotexist", "1", f"{not_found}doesnotexist:1"),
        (delete, "fn", "noalias", f"{alias_arn}fn:noalias"),
        (delete, "fn", "10", f"{not_found}fn:10"),
        (delete, "fn", "$LATEST", unpublished),
    ]
    for call, name, qualifier, message in cases:
        response = refused(call, FunctionName=name, Qualifier=qualifier)
        if message == unpublished:
            check(response, 400, "InvalidParameterValueException", message, TYPED)
        else:
            check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    assert delete(FunctionName="fn", Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_provisioned_concurrency_configs(FunctionName="fn")["ProvisionedConcurrencyConfigs"] == []
    response = refused(lam.list_provisioned_concurrency_configs, FunctionName="doesnotexist")
    check(response, 404, "ResourceNotFoundException", f"Function not found: {ARN}doesnotexist", NOT_FOUND)
    # Recorded as AWS's ValidationException through a client without parameter validation; botocore's default
    # client (as lambdasim's) stops 0 first, by the model's minimum.
    with pytest.raises(ParamValidationError, match=r"ProvisionedConcurrentExecutions, value: 0, valid min value: 1"):
        put(FunctionName="fn", Qualifier="1", ProvisionedConcurrentExecutions=0)
    puts = [
        ("doesnotexist", "noalias", 404, "ResourceNotFoundException", f"{alias_arn}doesnotexist:noalias", NOT_FOUND),
        ("doesnotexist", "1", 404, "ResourceNotFoundException", f"{not_found}doesnotexist:1", NOT_FOUND),
        ("fn", "doesnotexist", 404, "ResourceNotFoundException", f"{alias_arn}fn:doesnotexist", NOT_FOUND),
        ("fn", "10", 404, "ResourceNotFoundException", f"{not_found}fn:10", NOT_FOUND),
        (
            "fn",
            "$LATEST",
            400,
            "InvalidParameterValueException",
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
            TYPED,
        ),
    ]
    for name, qualifier, status, code, message, extra in puts:
        response = refused(put, FunctionName=name, Qualifier=qualifier, ProvisionedConcurrentExecutions=1)
        check(response, status, code, message, extra)


def test_reserved_and_provisioned_concurrency_overlap() -> None:
    # test_lambda.py::TestLambdaConcurrency::test_reserved_provisioned_overlap
    sim, lam = setup()
    v1 = lam.publish_version(FunctionName="fn")["Version"]
    put = lam.put_provisioned_concurrency_config(FunctionName="fn", Qualifier=v1, ProvisionedConcurrentExecutions=2)
    assert (put["Status"], put["RequestedProvisionedConcurrentExecutions"]) == ("IN_PROGRESS", 2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    lam.get_waiter("function_active_v2").wait(FunctionName="fn")
    sim.run(until=sim.now + 600)
    ready = lam.get_provisioned_concurrency_config(FunctionName="fn", Qualifier=v1)
    assert (ready["Status"], ready["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 2)
    message = " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2]."
    response = refused(lam.put_function_concurrency, FunctionName="fn", ReservedConcurrentExecutions=1)
    check(response, 400, "InvalidParameterValueException", message, UNTYPED)
    lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=2)
    assert lam.get_function_concurrency(FunctionName="fn")["ReservedConcurrentExecutions"] == 2
    response = refused(lam.invoke, FunctionName="fn")
    check(response, 429, "TooManyRequestsException", "Rate Exceeded.", ["Reason", "Type", "message"])
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert lam.invoke(FunctionName="fn", Qualifier=v1)["StatusCode"] == 200
    lam.update_function_configuration(FunctionName="fn", Timeout=15)
    v2 = lam.publish_version(FunctionName="fn")["Version"]
    assert v2 != v1
    message = (
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    )
    for qualifier, n in ((v2, 1), (v1, 3)):
        response = refused(
            lam.put_provisioned_concurrency_config, FunctionName="fn", Qualifier=qualifier,
            ProvisionedConcurrentExecutions=n,
        )  # fmt: skip
        check(response, 400, "InvalidParameterValueException", message, TYPED)


# -- invoke -------------------------------------------------------------------------------------------------------


def test_invocation_types_answer_as_recorded() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invocation_type_request_response[python3.10],
    # ::test_invocation_type_event[python3.10], ::test_invocation_type_dry_run[python3.10]
    _, lam = setup()
    sync = lam.invoke(FunctionName="fn", Payload=b"{}", InvocationType="RequestResponse")
    assert (sync["StatusCode"], sync["ExecutedVersion"], payload(sync)) == (200, "$LATEST", {})
    assert "FunctionError" not in sync and "LogResult" not in sync
    event = lam.invoke(FunctionName="fn", Payload=b"{}", InvocationType="Event")
    assert (event["StatusCode"], event["Payload"].read()) == (202, b"")
    assert "ExecutedVersion" not in event
    dry = lam.invoke(FunctionName="fn", Payload=b"{}", InvocationType="DryRun")
    assert (dry["StatusCode"], dry["Payload"].read()) == (204, b"")


def test_a_handler_returning_none_answers_null() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invocation_type_no_return_payload[python-RequestResponse] and
    # [python-Event]
    _, lam = setup(Handler=lambda event, context: None)
    assert lam.invoke(FunctionName="fn")["Payload"].read() == b"null"
    assert lam.invoke(FunctionName="fn", InvocationType="Event")["Payload"].read() == b""


def test_invoke_responses_carry_content_type_and_request_id_headers() -> None:
    # The recordings blank HTTPHeaders ({}); the one recording that keeps them
    # (test_lambda_api.py::TestLambdaRevisions::test_function_revisions_permissions) shows an error's
    # content-type application/json, x-amzn-requestid and x-amzn-errortype.
    _, lam = setup()
    sync = lam.invoke(FunctionName="fn", Payload=b"{}")
    headers = sync["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"] == sync["ResponseMetadata"]["RequestId"]
    assert headers["x-amz-executed-version"] == "$LATEST"
    error = refused(lam.invoke, FunctionName="nope")
    headers = error["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["x-amzn-requestid"] == error["ResponseMetadata"]["RequestId"]


def test_a_response_over_6_mb_is_a_function_error() -> None:
    # test_lambda.py::TestLambdaBaseFeatures::test_lambda_too_large_response
    _, lam = setup(Handler=lambda event, context: "a" * event["bytenum"])
    for _ in range(2):  # the second invoke: the function still works
        out = lam.invoke(FunctionName="fn", Payload=json.dumps({"bytenum": 7 * 1024 * 1024}))
        assert (out["StatusCode"], out["FunctionError"], out["ExecutedVersion"]) == (200, "Unhandled", "$LATEST")
        assert payload(out) == {
            "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    # Just under the limit (6291556 bytes of JSON, the quotes included) is a response.
    out = lam.invoke(FunctionName="fn", Payload=json.dumps({"bytenum": 6291556 - 2}))
    assert "FunctionError" not in out and len(out["Payload"].read()) == 6291556


def test_a_handler_error_payload() -> None:
    # test_lambda.py::TestLambdaErrors::test_lambda_handler_error
    def handler(event: Any, context: Any) -> None:
        raise Exception("Handler fails")

    _, lam = setup(Handler=handler)
    out = lam.invoke(FunctionName="fn")
    assert (out["StatusCode"], out["FunctionError"], out["ExecutedVersion"]) == (200, "Unhandled", "$LATEST")
    body = payload(out)
    assert sorted(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (body["errorMessage"], body["errorType"]) == ("Handler fails", "Exception")
    assert body["requestId"] == out["ResponseMetadata"]["RequestId"]
    (frame,) = body["stackTrace"]
    assert re.match(
        r'  File ".*test_aws_recordings.py", line \d+, in handler\n    raise Exception\("Handler fails"\)\n$', frame
    )


def test_a_timed_out_invoke_payload() -> None:
    # test_lambda.py::TestLambdaBehavior::test_lambda_invoke_with_timeout
    _, lam = setup(Timeout=1, Duration=2.0)
    out = lam.invoke(FunctionName="fn")
    assert (out["StatusCode"], out["FunctionError"]) == (200, "Unhandled")
    rid = out["ResponseMetadata"]["RequestId"]
    assert payload(out) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    }


def test_log_result_holds_the_function_output_between_start_and_end() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invocation_with_logs[python3.10] (the handler prints the event) and
    # ::test_invocation_with_qualifier (print, on version 1)
    def handler(event: Any, context: Any) -> Any:
        print(json.dumps(event))
        return {}

    _, lam = setup(Handler=handler)
    out = lam.invoke(FunctionName="fn", Payload=b"{}", LogType="Tail")
    rid = out["ResponseMetadata"]["RequestId"]
    lines = base64.b64decode(out["LogResult"]).decode().splitlines(keepends=True)
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST\n"
    assert lines[1] == "{}\n"
    assert lines[2] == f"END RequestId: {rid}\n"
    report = (
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
        r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t\n$"
    )
    assert re.match(report, lines[3]) and len(lines) == 4
    # Warm: no Init Duration; a version names itself.
    lam.publish_version(FunctionName="fn")
    out = lam.invoke(FunctionName="fn", Qualifier="1", Payload=b'{"foo": "bar"}', LogType="Tail")
    lines = base64.b64decode(out["LogResult"]).decode().splitlines(keepends=True)
    assert lines[0].endswith("Version: 1\n") and lines[1] == '{"foo": "bar"}\n'
    warm = lam.invoke(FunctionName="fn", Qualifier="1", Payload=b"{}", LogType="Tail")
    assert "Init Duration" not in base64.b64decode(warm["LogResult"]).decode()


def test_log_result_holds_the_error_as_the_python_runtime_logs_it() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invocation_type_event_error (the runtime's [ERROR] line with its
    # traceback, indented with no-break spaces)
    class CustomException(Exception):  # noqa: N818 (the recorded name)
        pass

    def handler(event: Any, context: Any) -> None:
        raise CustomException("some error occurred")

    _, lam = setup(Handler=handler)
    out = lam.invoke(FunctionName="fn", LogType="Tail")
    text = base64.b64decode(out["LogResult"]).decode()
    pattern = (
        r"\[ERROR\] CustomException: some error occurred\nTraceback \(most recent call last\):\n"
        r'\u00a0\u00a0File ".*test_aws_recordings.py", line \d+, in handler\n'
        r'\u00a0\u00a0\u00a0\u00a0raise CustomException\("some error occurred"\)\n'
    )
    assert re.search(pattern, text), text


def test_the_context_as_the_python_runtime_gives_it() -> None:
    # test_lambda.py::TestLambdaFeatures::test_invocation_with_qualifier (the context's fields and their types)
    def handler(event: Any, context: Any) -> Any:
        return {
            "invoked_function_arn": context.invoked_function_arn,
            "function_version": context.function_version,
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "client_context": context.client_context,
            "identity": context.identity,
        }

    _, lam = setup(Handler=handler, Publish=True)
    out = lam.invoke(FunctionName="fn", Qualifier="1")
    body = payload(out)
    assert body == {
        "invoked_function_arn": f"{ARN}fn:1",
        "function_version": "1",
        "function_name": "fn",
        "memory_limit_in_mb": "128",
        "aws_request_id": out["ResponseMetadata"]["RequestId"],
        "log_group_name": "/aws/lambda/fn",
        "client_context": None,
        "identity": None,
    }


def test_reserved_concurrency_of_zero_blocks_latest_but_not_a_provisioned_version() -> None:
    # test_lambda.py::TestLambdaConcurrency::test_lambda_concurrency_block
    sim, lam = setup()
    lam.publish_version(FunctionName="fn")
    lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=1)
    assert lam.invoke(FunctionName="fn", Payload=b'{"hello": "world"}')["ExecutedVersion"] == "$LATEST"
    put = lam.put_provisioned_concurrency_config(FunctionName="fn", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert (put["Status"], put["ResponseMetadata"]["HTTPStatusCode"]) == ("IN_PROGRESS", 202)
    sim.run(until=sim.now + 600)
    response = refused(lam.invoke, FunctionName="fn")
    check(response, 429, "TooManyRequestsException", "Rate Exceeded.", ["Reason", "Type", "message"])
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    out = lam.invoke(FunctionName="fn", Qualifier="1", Payload=b'{"hello": "world"}')
    assert (out["ExecutedVersion"], payload(out)) == ("1", {"hello": "world"})


# -- destination records and dead-letter messages of asynchronous invokes ------------------------------------------


def intentional(event: Any, context: Any) -> None:
    raise Exception("intentional failure")


def on_failure_record(sim: ls.Simulation, **eic: Any) -> tuple[str, dict[str, Any]]:
    """Send one event to ``fn`` with an SQS on-failure destination; the request id and the record delivered."""
    sqs = sim.client("sqs")
    url = sqs.create_queue(QueueName="destination")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam = sim.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="fn", DestinationConfig={"OnFailure": {"Destination": arn},
                                         "OnSuccess": {"Destination": arn}}, **eic)  # fmt: skip
    rid = lam.invoke(FunctionName="fn", InvocationType="Event", Payload=b'{"message": "m"}')["ResponseMetadata"][
        "RequestId"
    ]
    sim.run(until=sim.now + 3600)
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return rid, json.loads(message["Body"])


def failure_record(rid: str, condition: str, count: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "timestamp": body["timestamp"],
        "requestContext": {
            "requestId": rid,
            "functionArn": f"{ARN}fn:$LATEST",
            "condition": condition,
            "approximateInvokeCount": count,
        },
        "requestPayload": {"message": "m"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": "intentional failure",
            "errorType": "Exception",
            "requestId": rid,
            "stackTrace": body["responsePayload"]["stackTrace"],
        },
    }


def test_the_on_failure_record_after_the_default_retries() -> None:
    # test_lambda_destinations.py::TestLambdaDestinationSqs::test_lambda_destination_default_retries (and
    # ::test_retries: the same record after two retries)
    sim, _ = setup(Handler=intentional)
    rid, body = on_failure_record(sim)
    assert body == failure_record(rid, "RetriesExhausted", 3, body)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["timestamp"])
    (frame,) = body["responsePayload"]["stackTrace"]
    assert frame.endswith('in intentional\n    raise Exception("intentional failure")\n')


def test_the_on_failure_record_when_the_event_ages_out_before_its_retry() -> None:
    # test_lambda_destinations.py::TestLambdaDestinationSqs::test_maxeventage: no_retry_failure_message (a retry
    # 60 s after an attempt of some milliseconds would be past the 60 s maximum age) and
    # single_retry_failure_message (with 90 s, one retry, and the second, 120 s later, would be past it)
    for max_age, count in ((60, 1), (90, 2)):
        sim, _ = setup(Handler=intentional, Duration=0.05)
        rid, body = on_failure_record(sim, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=max_age)
        assert body == failure_record(rid, "EventAgeExceeded", count, body)


def test_the_on_success_record() -> None:
    # test_lambda_destinations.py::TestLambdaDestinationSqs::test_assess_lambda_destination_invocation[payload0]
    sim, _ = setup()
    rid, body = on_failure_record(sim, MaximumRetryAttempts=0)
    assert body == {
        "version": "1.0",
        "timestamp": body["timestamp"],
        "requestContext": {
            "requestId": rid,
            "functionArn": f"{ARN}fn:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"message": "m"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"message": "m"},
    }


# -- function names and qualifiers: AWS's validation, case by case -------------------------------------------------

# test_lambda_api.py::TestLambdaFunction::test_function_name_and_qualifier_validation[<case>-<operation>]: what each
# operation answers for a malformed or unusual name or qualifier. Recorded as LocalStack reduces it: the error code,
# and either the message or the sorted list of "Value ... failed to satisfy constraint: ..." parts, with runs of
# "a" shortened to <a:len(n)>. AWS quoted its own, newer patterns; lambdasim quotes botocore's (see the module
# docstring), so the recorded patterns are swapped for the model's before comparing.
LONG = "a" * 170
NAME_CASES: dict[str, dict[str, str]] = {
    "invalid_characters_in_function_name": {"FunctionName": "my-function!"},
    "function_name_is_single_invalid": {"FunctionName": "*"},
    "invalid_characters_in_qualifier": {"FunctionName": "my-function", "Qualifier": "invalid!"},
    "qualifier_too_long": {"FunctionName": "my-function", "Qualifier": "a" * 129},
    "invalid_account_id_in_partial_arn": {"FunctionName": "invalid-account:function:my-function"},
    "invalid_region_in_arn": {"FunctionName": f"arn:aws:lambda:invalid-region:{ACCOUNT}:function:my-function"},
    "non_lambda_arn": {"FunctionName": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance:i-1234567890abcdef0"},
    "function_name_too_long": {"FunctionName": "a" * 65},
    "function_name_too_long_and_invalid_region": {
        "FunctionName": f"arn:aws:lambda:invalid-region:{ACCOUNT}:function:my-function{LONG}"
    },
    "full_arn_and_qualifier_too_long_and_invalid_region": {
        "FunctionName": f"arn:aws:lambda:invalid-region:{ACCOUNT}:function:my-function-{LONG}",
        "Qualifier": "a" * 129,
    },
    "full_arn_with_multiple_qualifiers": {"FunctionName": f"{ARN}my-function:1:2"},
    "incomplete_arn": {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"},
    "partial_arn_with_extra_qualifier": {"FunctionName": "function:my-function:$LATEST:extra"},
    "latest_version_with_additional_qualifier": {"FunctionName": f"{ARN}my-function:$LATEST", "Qualifier": "1"},
    "lowercase_latest_qualifier": {"FunctionName": f"{ARN}my-function", "Qualifier": "$latest"},
    "missing_region_in_arn": {"FunctionName": f"arn:aws:lambda::{ACCOUNT}:function:my-function"},
    "missing_account_id_in_arn": {"FunctionName": f"arn:aws:lambda:{REGION}::function:my-function"},
    "misspelled_latest_in_arn": {"FunctionName": f"{ARN}my-function:$LATES"},
}
NAME_OPS = ["get_function", "delete_function", "invoke", "create_function"]
# What AWS answered each "<case>-<operation>", reduced as above: the code and either the message or the
# (value, member, constraint) parts, where PATTERN stands for the member's pattern in the model.
NAME_EXPECTED: dict[str, tuple[str, str | list[tuple[str, str, str]]]] = {
    "full_arn_and_qualifier_too_long_and_invalid_region-create_function": (
        "ValidationException",
        [
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function-<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:<a:len(129)>",
                "functionName",
                "Member must have length less than or equal to 140",
            ),
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function-<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:<a:len(129)>",
                "functionName",
                "PATTERN",
            ),
        ],
    ),
    "full_arn_and_qualifier_too_long_and_invalid_region-delete_function": (
        "ValidationException",
        [
            ("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128"),
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function-<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "functionName",
                "PATTERN",
            ),
        ],
    ),
    "full_arn_and_qualifier_too_long_and_invalid_region-get_function": (
        "ValidationException",
        [
            ("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128"),
            ("arn:aws:lambda:invalid-region:111111111111:function:my-function-<a:len(170)>", "functionName", "PATTERN"),
        ],
    ),
    "full_arn_and_qualifier_too_long_and_invalid_region-invoke": (
        "ValidationException",
        [
            ("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128"),
            ("arn:aws:lambda:invalid-region:111111111111:function:my-function-<a:len(170)>", "functionName", "PATTERN"),
        ],
    ),
    "full_arn_with_multiple_qualifiers-create_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:1:2", "functionName", "PATTERN")],
    ),
    "full_arn_with_multiple_qualifiers-delete_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:1:2", "functionName", "PATTERN")],
    ),
    "full_arn_with_multiple_qualifiers-get_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:1:2", "functionName", "PATTERN")],
    ),
    "full_arn_with_multiple_qualifiers-invoke": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:1:2", "functionName", "PATTERN")],
    ),
    "function_name_is_single_invalid-create_function": ("ValidationException", [("*", "functionName", "PATTERN")]),
    "function_name_is_single_invalid-delete_function": ("ValidationException", [("*", "functionName", "PATTERN")]),
    "function_name_is_single_invalid-get_function": ("ValidationException", [("*", "functionName", "PATTERN")]),
    "function_name_is_single_invalid-invoke": ("ValidationException", [("*", "functionName", "PATTERN")]),
    "function_name_too_long-create_function": (
        "InvalidParameterValueException",
        [("<a:len(65)>", "functionName", "Member must have length less than or equal to 64")],
    ),
    "function_name_too_long-delete_function": ("ResourceNotFoundException", f"Function not found: {ARN}<a:len(65)>"),
    "function_name_too_long-get_function": ("ResourceNotFoundException", f"Function not found: {ARN}<a:len(65)>"),
    "function_name_too_long-invoke": ("ResourceNotFoundException", f"Function not found: {ARN}<a:len(65)>:$LATEST"),
    "function_name_too_long_and_invalid_region-create_function": (
        "ValidationException",
        [
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "functionName",
                "Member must have length less than or equal to 140",
            ),
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "functionName",
                "PATTERN",
            ),
        ],
    ),
    "function_name_too_long_and_invalid_region-delete_function": (
        "ValidationException",
        [
            (
                "arn:aws:lambda:invalid-region:111111111111:function:my-function<a:len(140)>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "functionName",
                "PATTERN",
            )
        ],
    ),
    "function_name_too_long_and_invalid_region-get_function": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function<a:len(170)>", "functionName", "PATTERN")],
    ),
    "function_name_too_long_and_invalid_region-invoke": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function<a:len(170)>", "functionName", "PATTERN")],
    ),
    "incomplete_arn-delete_function": ("ResourceNotFoundException", f"Function not found: {ARN}function"),
    "incomplete_arn-get_function": ("ResourceNotFoundException", f"Function not found: {ARN}function"),
    "incomplete_arn-invoke": ("ResourceNotFoundException", f"Function not found: {ARN}function:$LATEST"),
    "invalid_account_id_in_partial_arn-create_function": (
        "ValidationException",
        [("invalid-account:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_account_id_in_partial_arn-delete_function": (
        "ValidationException",
        [("invalid-account:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_account_id_in_partial_arn-get_function": (
        "ValidationException",
        [("invalid-account:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_account_id_in_partial_arn-invoke": (
        "ValidationException",
        [("invalid-account:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_function_name-create_function": (
        "ValidationException",
        [("my-function!", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_function_name-delete_function": (
        "ValidationException",
        [("my-function!", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_function_name-get_function": (
        "ValidationException",
        [("my-function!", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_function_name-invoke": (
        "ValidationException",
        [("my-function!", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_qualifier-create_function": (
        "ValidationException",
        [("my-function:invalid!", "functionName", "PATTERN")],
    ),
    "invalid_characters_in_qualifier-delete_function": ("ValidationException", [("invalid!", "qualifier", "PATTERN")]),
    "invalid_characters_in_qualifier-get_function": ("ValidationException", [("invalid!", "qualifier", "PATTERN")]),
    "invalid_characters_in_qualifier-invoke": ("ValidationException", [("invalid!", "qualifier", "PATTERN")]),
    "invalid_region_in_arn-create_function": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_region_in_arn-delete_function": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_region_in_arn-get_function": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "invalid_region_in_arn-invoke": (
        "ValidationException",
        [("arn:aws:lambda:invalid-region:111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "latest_version_with_additional_qualifier-create_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$LATEST:1", "functionName", "PATTERN")],
    ),
    "latest_version_with_additional_qualifier-delete_function": (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    ),
    "latest_version_with_additional_qualifier-get_function": (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    ),
    "latest_version_with_additional_qualifier-invoke": (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    ),
    "lowercase_latest_qualifier-create_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$latest", "functionName", "PATTERN")],
    ),
    "lowercase_latest_qualifier-delete_function": (
        "ResourceNotFoundException",
        f"Function not found: {ARN}my-function",
    ),
    "lowercase_latest_qualifier-get_function": (
        "ResourceNotFoundException",
        f"Function not found: {ARN}my-function:$latest",
    ),
    "lowercase_latest_qualifier-invoke": ("ResourceNotFoundException", f"Function not found: {ARN}my-function:$latest"),
    "missing_account_id_in_arn-create_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1::function:my-function", "functionName", "PATTERN")],
    ),
    "missing_account_id_in_arn-delete_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1::function:my-function", "functionName", "PATTERN")],
    ),
    "missing_account_id_in_arn-get_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1::function:my-function", "functionName", "PATTERN")],
    ),
    "missing_account_id_in_arn-invoke": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1::function:my-function", "functionName", "PATTERN")],
    ),
    "missing_region_in_arn-create_function": (
        "ValidationException",
        [("arn:aws:lambda::111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "missing_region_in_arn-delete_function": (
        "ValidationException",
        [("arn:aws:lambda::111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "missing_region_in_arn-get_function": (
        "ValidationException",
        [("arn:aws:lambda::111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "missing_region_in_arn-invoke": (
        "ValidationException",
        [("arn:aws:lambda::111111111111:function:my-function", "functionName", "PATTERN")],
    ),
    "misspelled_latest_in_arn-create_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$LATES", "functionName", "PATTERN")],
    ),
    "misspelled_latest_in_arn-delete_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$LATES", "functionName", "PATTERN")],
    ),
    "misspelled_latest_in_arn-get_function": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$LATES", "functionName", "PATTERN")],
    ),
    "misspelled_latest_in_arn-invoke": (
        "ValidationException",
        [("arn:aws:lambda:us-east-1:111111111111:function:my-function:$LATES", "functionName", "PATTERN")],
    ),
    "non_lambda_arn-create_function": (
        "ValidationException",
        [("arn:aws:ec2:us-east-1:111111111111:instance:i-1234567890abcdef0", "functionName", "PATTERN")],
    ),
    "non_lambda_arn-delete_function": (
        "ValidationException",
        [("arn:aws:ec2:us-east-1:111111111111:instance:i-1234567890abcdef0", "functionName", "PATTERN")],
    ),
    "non_lambda_arn-get_function": (
        "ValidationException",
        [("arn:aws:ec2:us-east-1:111111111111:instance:i-1234567890abcdef0", "functionName", "PATTERN")],
    ),
    "non_lambda_arn-invoke": (
        "ValidationException",
        [("arn:aws:ec2:us-east-1:111111111111:instance:i-1234567890abcdef0", "functionName", "PATTERN")],
    ),
    "partial_arn_with_extra_qualifier-create_function": (
        "ValidationException",
        [("function:my-function:$LATEST:extra", "functionName", "PATTERN")],
    ),
    "partial_arn_with_extra_qualifier-delete_function": (
        "ValidationException",
        [("function:my-function:$LATEST:extra", "functionName", "PATTERN")],
    ),
    "partial_arn_with_extra_qualifier-get_function": (
        "ValidationException",
        [("function:my-function:$LATEST:extra", "functionName", "PATTERN")],
    ),
    "partial_arn_with_extra_qualifier-invoke": (
        "ValidationException",
        [("function:my-function:$LATEST:extra", "functionName", "PATTERN")],
    ),
    "qualifier_too_long-create_function": (
        "ValidationException",
        [("my-function:<a:len(129)>", "functionName", "Member must have length less than or equal to 140")],
    ),
    "qualifier_too_long-delete_function": (
        "ValidationException",
        [("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128")],
    ),
    "qualifier_too_long-get_function": (
        "ValidationException",
        [("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128")],
    ),
    "qualifier_too_long-invoke": (
        "ValidationException",
        [("<a:len(129)>", "qualifier", "Member must have length less than or equal to 128")],
    ),
}


def expected(key: str, op: str) -> dict[str, Any]:
    code, answer = NAME_EXPECTED[key]
    if isinstance(answer, str):
        return {"Code": code, "Message": answer}
    request = "CreateFunctionRequest" if op == "create_function" else "GetFunctionRequest"
    members = BOTOCORE_SHAPES[request]["members"]
    patterns = {
        "functionName": BOTOCORE_SHAPES[members["FunctionName"]]["pattern"],
        "qualifier": BOTOCORE_SHAPES[BOTOCORE_SHAPES["GetFunctionRequest"]["members"]["Qualifier"]]["pattern"],
    }
    parts = []
    for value, member, constraint in answer:
        text = (
            f"Member must satisfy regular expression pattern: {patterns[member]}"
            if constraint == "PATTERN"
            else constraint
        )
        parts.append(f"Value '{value}' at '{member}' failed to satisfy constraint: {text}")
    return {"Code": code, "Count": len(parts), "Errors": sorted(parts)}


def reduce(response: dict[str, Any], op: str) -> dict[str, Any]:
    """An error reduced as LocalStack's test reduces it, with runs of "a" shortened as its transformers do."""
    code, message = response["Error"]["Code"], response["Error"]["Message"]
    for n in (140 if op in ("delete_function", "create_function") else 170, 129, 65):
        message = message.replace("a" * n, f"<a:len({n})>")
    parts = re.findall(r"(Value '.*?' at '.*?' failed to satisfy constraint: .+?(?=;|$))", message)
    if parts:
        return {"Code": code, "Count": len(parts), "Errors": sorted(parts)}
    return {"Code": code, "Message": message}


@pytest.mark.parametrize("op", NAME_OPS)
@pytest.mark.parametrize("case", sorted(NAME_CASES))
def test_function_name_and_qualifier_validation(case: str, op: str) -> None:
    key = f"{case}-{op}"
    if key not in NAME_EXPECTED:
        pytest.skip("not recorded (AWS accepts an incomplete ARN as a function named 'function')")
    _, lam = setup()
    params = dict(NAME_CASES[case])
    if op == "create_function":
        name = params.pop("FunctionName")
        qualifier = params.pop("Qualifier", None)
        params = {"FunctionName": f"{name}:{qualifier}" if qualifier else name, "Handler": echo}
    response = refused(getattr(lam, op), **params)
    assert reduce(response, op) == expected(key, op)


def test_creating_functions_by_arn() -> None:
    # test_lambda_api.py::TestLambdaFunction::test_function_arns
    sim = ls.Simulation(region=REGION, account_id=ACCOUNT, seed=3)
    lam = sim.client("lambda")
    created = lam.create_function(FunctionName=f"{ARN}by-arn", Handler=echo)
    assert (created["FunctionName"], created["FunctionArn"]) == ("by-arn", f"{ARN}by-arn")
    partial = lam.create_function(FunctionName=f"{ACCOUNT}:function:by-partial-arn", Handler=echo)
    assert (partial["FunctionName"], partial["FunctionArn"]) == ("by-partial-arn", f"{ARN}by-partial-arn")
    create = lam.create_function
    model = BOTOCORE_SHAPES[BOTOCORE_SHAPES["CreateFunctionRequest"]["members"]["FunctionName"]]["pattern"]
    message = (
        "1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {model}"
    )
    check(refused(create, FunctionName="invalid:function:name", Handler=echo), 400, "ValidationException", message,
          VALIDATION)  # fmt: skip
    name = "a" * 65
    message = (
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must "
        "have length less than or equal to 64"
    )
    check(refused(create, FunctionName=name, Handler=echo), 400, "InvalidParameterValueException", message, TYPED)
    long_arn = ARN + "a" * (140 - len(ARN) + 1)
    message = (
        f"1 validation error detected: Value '{long_arn}' at 'functionName' failed to satisfy constraint: Member must "
        "have length less than or equal to 140"
    )
    check(refused(create, FunctionName=long_arn, Handler=echo), 400, "ValidationException", message, VALIDATION)
    other_region = f"arn:aws:lambda:ap-southeast-1:{ACCOUNT}:function:f"
    message = f"Functions from 'ap-southeast-1' are not reachable in this region ('{REGION}')"
    check(refused(create, FunctionName=other_region, Handler=echo), 404, "ResourceNotFoundException", message,
          NOT_FOUND)  # fmt: skip
    response = refused(create, FunctionName=f"arn:aws:lambda:{REGION}:123456789012:function:f", Handler=echo)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"] == {"Code": "AccessDeniedException", "Message": None}
    assert sorted(k for k in response if k not in ("Error", "ResponseMetadata")) == []


def test_an_alias_name_of_digits_only_is_refused() -> None:
    # test_lambda_api.py::TestLambdaAlias::test_alias_naming
    _, lam = setup(Publish=True)
    message = (
        "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
    )
    response = refused(lam.create_alias, FunctionName="fn", Name="2024", FunctionVersion="1")
    check(response, 400, "ValidationException", message, VALIDATION)


def test_get_function_of_an_alias_that_does_not_exist() -> None:
    # test_lambda_api.py::TestLambdaAlias::test_alias_lifecycle (get_function_alias_notfound_exc and _byarn_)
    _, lam = setup()
    message = f"Function not found: {ARN}fn:aliasdoesnotexist"
    for params in (
        {"FunctionName": "fn", "Qualifier": "aliasdoesnotexist"},
        {"FunctionName": f"{ARN}fn:aliasdoesnotexist"},
    ):
        check(refused(lam.get_function, **params), 404, "ResourceNotFoundException", message, NOT_FOUND)


@pytest.mark.parametrize(
    ("code", "message"),
    [(0, "Runtime exited without providing a reason"), (None, "Runtime exited without providing a reason"),
     (127, "Runtime exited with error: exit status 127")],
)  # fmt: skip
def test_a_handler_that_exits(code: int | None, message: str) -> None:
    # test_lambda.py::TestLambdaErrors::test_lambda_handler_exit (sys.exit(0) in the handler) and
    # ::test_lambda_runtime_wrapper_not_found (the runtime exits with status 127)
    def handler(event: Any, context: Any) -> None:
        raise SystemExit(code)

    _, lam = setup(Handler=handler)
    out = lam.invoke(FunctionName="fn")
    assert (out["StatusCode"], out["FunctionError"], out["ExecutedVersion"]) == (200, "Unhandled", "$LATEST")
    rid = out["ResponseMetadata"]["RequestId"]
    assert payload(out) == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {rid} Error: {message}"}


def test_reserved_concurrency_put_get_delete() -> None:
    # test_lambda.py::TestLambdaConcurrency::test_lambda_concurrency_crud
    _, lam = setup()
    assert set(lam.get_function_concurrency(FunctionName="fn")) == {"ResponseMetadata"}
    put = lam.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=0)
    assert (put["ReservedConcurrentExecutions"], put["ResponseMetadata"]["HTTPStatusCode"]) == (0, 200)
    assert lam.get_function_concurrency(FunctionName="fn")["ReservedConcurrentExecutions"] == 0
    lam.delete_function_concurrency(FunctionName="fn")
    assert set(lam.get_function_concurrency(FunctionName="fn")) == {"ResponseMetadata"}


def test_provisioned_concurrency_on_an_alias_becomes_ready() -> None:
    # test_lambda.py::TestLambdaConcurrency::test_provisioned_concurrency_on_alias
    sim, lam = setup(Publish=True)
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    put = lam.put_provisioned_concurrency_config(FunctionName="fn", Qualifier="live", ProvisionedConcurrentExecutions=5)
    state = ("Status", "RequestedProvisionedConcurrentExecutions", "AllocatedProvisionedConcurrentExecutions",
             "AvailableProvisionedConcurrentExecutions")  # fmt: skip
    assert [put[k] for k in state] == ["IN_PROGRESS", 5, 0, 0] and put["ResponseMetadata"]["HTTPStatusCode"] == 202
    before = lam.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="live")
    assert [before[k] for k in state] == ["IN_PROGRESS", 5, 0, 0]
    sim.run(until=sim.now + 600)
    after = lam.get_provisioned_concurrency_config(FunctionName="fn", Qualifier="live")
    assert [after[k] for k in state] == ["READY", 5, 5, 5]


def test_the_client_context_reaches_the_handler() -> None:
    # test_lambda.py::TestLambdaFeatures::test_lambda_with_context (a Node.js handler echoing its context: the
    # custom, client and env parts of the ClientContext sent); the Python runtime's names for them
    def handler(event: Any, context: Any) -> Any:
        cc = context.client_context
        return {"custom": cc.custom, "env": cc.env, "installation_id": cc.client.installation_id}

    _, lam = setup(Handler=handler)
    document = {"custom": {"foo": "bar"}, "client": {"installation_id": "i-1"}, "env": {"fizz": "buzz"}}
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    out = lam.invoke(FunctionName="fn", ClientContext=encoded)
    assert payload(out) == {"custom": {"foo": "bar"}, "env": {"fizz": "buzz"}, "installation_id": "i-1"}
    response = refused(lam.invoke, FunctionName="fn", ClientContext="not base64 json")
    assert response["Error"]["Code"] == "InvalidRequestContentException"
    assert response["Error"]["Message"].startswith("ClientContext must be base64 of a JSON object")


def test_event_invoke_config_lifecycle() -> None:
    # test_lambda_api.py::TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_lifecycle
    _, lam = setup()
    keys = ["DestinationConfig", "FunctionArn", "LastModified", "ResponseMetadata"]
    put = lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    assert sorted(put) == sorted([*keys, "MaximumRetryAttempts"])
    assert put["DestinationConfig"] == {"OnFailure": {}, "OnSuccess": {}} and put["FunctionArn"] == f"{ARN}fn:$LATEST"
    put = lam.put_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=60)  # replaces
    assert sorted(put) == sorted([*keys, "MaximumEventAgeInSeconds"])
    same = lam.update_function_event_invoke_config(FunctionName="fn", MaximumEventAgeInSeconds=60)
    assert sorted(same) == sorted(put)
    updated = lam.update_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1)  # merges
    assert (updated["MaximumEventAgeInSeconds"], updated["MaximumRetryAttempts"]) == (60, 1)
    for qualifier in ({}, {"Qualifier": "$LATEST"}):
        got = lam.get_function_event_invoke_config(FunctionName="fn", **qualifier)
        assert (got["FunctionArn"], got["MaximumRetryAttempts"]) == (f"{ARN}fn:$LATEST", 1)
    (listed,) = lam.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]
    assert sorted(listed) == sorted([*keys[:3], "MaximumEventAgeInSeconds", "MaximumRetryAttempts"])
    lam.publish_version(FunctionName="fn")  # a version does not take $LATEST's config
    message = f"The function {ARN}fn:1 doesn't have an EventInvokeConfig"
    response = refused(lam.get_function_event_invoke_config, FunctionName="fn", Qualifier="1")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    put = lam.put_function_event_invoke_config(FunctionName="fn", Qualifier="1", MaximumEventAgeInSeconds=120)
    assert put["FunctionArn"] == f"{ARN}fn:1"
    lam.delete_function_event_invoke_config(FunctionName="fn")
    (left,) = lam.list_function_event_invoke_configs(FunctionName="fn")["FunctionEventInvokeConfigs"]
    assert (left["FunctionArn"], left["MaximumEventAgeInSeconds"]) == (f"{ARN}fn:1", 120)


def test_provisioned_concurrency_lifecycle_on_a_version_and_its_alias() -> None:
    # test_lambda_api.py::TestLambdaProvisionedConcurrency::test_lambda_provisioned_lifecycle
    _, lam = setup(Publish=True)
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    put = lam.put_provisioned_concurrency_config
    assert put(FunctionName="fn", Qualifier="1", ProvisionedConcurrentExecutions=1)["Status"] == "IN_PROGRESS"
    message = "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
    response = refused(put, FunctionName="fn", Qualifier="live", ProvisionedConcurrentExecutions=1)
    check(response, 409, "ResourceConflictException", message, TYPED)
    lam.delete_provisioned_concurrency_config(FunctionName="fn", Qualifier="1")
    message = "No Provisioned Concurrency Config found for this function"
    response = refused(lam.get_provisioned_concurrency_config, FunctionName="fn", Qualifier="1")
    check(response, 404, "ProvisionedConcurrencyConfigNotFoundException", message, TYPED)
    assert put(FunctionName="fn", Qualifier="live", ProvisionedConcurrentExecutions=1)["Status"] == "IN_PROGRESS"
    message = "Version is pointed by a Provisioned Concurrency alias"
    response = refused(put, FunctionName="fn", Qualifier="1", ProvisionedConcurrentExecutions=1)
    check(response, 409, "ResourceConflictException", message, TYPED)
    lam.delete_alias(FunctionName="fn", Name="live")
    message = f"Cannot find alias arn: {ARN}fn:live"
    response = refused(lam.get_provisioned_concurrency_config, FunctionName="fn", Qualifier="live")
    check(response, 404, "ResourceNotFoundException", message, NOT_FOUND)
    assert lam.list_provisioned_concurrency_configs(FunctionName="fn")["ProvisionedConcurrencyConfigs"] == []


def test_account_settings_keys() -> None:
    # test_lambda_api.py::TestLambdaAccountSettings::test_account_settings
    _, lam = setup()
    settings = lam.get_account_settings()
    assert sorted(settings["AccountLimit"]) == [
        "CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions", "TotalCodeSize", "UnreservedConcurrentExecutions"
    ]  # fmt: skip
    assert sorted(settings["AccountUsage"]) == ["FunctionCount", "TotalCodeSize"]


def test_update_function_code_with_publish() -> None:
    # test_lambda_api.py::TestLambdaVersions::test_publish_with_update
    _, lam = setup()
    before = lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"]
    out = lam.update_function_code(FunctionName="fn", ZipFile=zip_package(), Publish=True)
    assert (out["FunctionArn"], out["Version"]) == (f"{ARN}fn:1", "1") and out["CodeSha256"] != before
    version = lam.get_function(FunctionName="fn", Qualifier="1")["Configuration"]
    latest = lam.get_function(FunctionName="fn", Qualifier="$LATEST")["Configuration"]
    assert version["CodeSha256"] == latest["CodeSha256"] == out["CodeSha256"]
    assert latest["FunctionArn"] == f"{ARN}fn:$LATEST"


@pytest.mark.parametrize("body", [b"n\x87r\x9e\xe9\xb5\xd7I\xee\x9bmt", b"\x99\xeb,j\x07\xa1zYh"])
def test_a_payload_that_is_not_json(body: bytes) -> None:
    # test_lambda.py::TestLambdaErrors::test_lambda_invoke_payload_encoding_error[...]: the code, layout and the
    # message's fixed part (the parser's own words after it are Java's on AWS, Python's here)
    _, lam = setup()
    response = refused(lam.invoke, FunctionName="fn", Payload=body)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "InvalidRequestContentException"
    assert response["Error"]["Message"].startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )
    assert sorted(k for k in response if k not in ("Error", "ResponseMetadata")) == TYPED
