"""Code written for boto3 runs unchanged against ``sim.client("lambda")``.

Two kinds of evidence:

- AWS's own documented examples (botocore's ``examples-1.json``, the requests shown in the Lambda API reference)
  run as they are, and answer with at least the keys AWS's documented answers have;
- a boto3-style deployment snippet (publish, weighted alias, event invoke config, error handling, a paginator,
  an asynchronous invoke) runs against the simulation and then, replayed through botocore's ``Stubber``, against a
  real botocore Lambda client: the same function gives the same result, so lambdasim accepted exactly the
  requests botocore accepts and its answers pass botocore's own response validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
from botocore.stub import Stubber

import lambdasim as ls
from lambdasim.aws.lambda_._model import PAGINATORS
from lambdasim.aws.lambda_.runtimes import DEPRECATED
from lambdasim.aws.paginators import Paginator, xform_name
from tests.helpers import zip_package

EXAMPLES = json.loads(
    (Path(botocore.__file__).parent / "data" / "lambda" / "2015-03-31" / "examples-1.json").read_text()
)["examples"]


def the_snippet(client: Any) -> dict[str, Any]:
    """An unmodified boto3 workflow, in the style of the AWS docs: works with any Lambda client."""
    function_name = "my-function"
    client.create_function(
        FunctionName=function_name,
        Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/lambda-role",
        Handler="index.handler",
        Code={"ZipFile": zip_package({"index.py": "def handler(event, context):\n    return event\n"})},
        Timeout=15,
        MemorySize=256,
    )
    v1 = client.publish_version(FunctionName=function_name, Description="first")["Version"]
    client.update_function_configuration(FunctionName=function_name, MemorySize=512)
    v2 = client.publish_version(FunctionName=function_name, Description="second")["Version"]
    alias = client.create_alias(
        FunctionName=function_name,
        Name="live",
        FunctionVersion=v1,
        RoutingConfig={"AdditionalVersionWeights": {v2: 0.1}},
    )
    config = client.put_function_event_invoke_config(
        FunctionName=function_name,
        Qualifier="live",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"}},
    )
    try:
        client.get_function_event_invoke_config(FunctionName=function_name)
        missing = None
    except client.exceptions.ResourceNotFoundException as err:
        missing = err.response["Error"]["Message"]
    paginator = client.get_paginator("list_versions_by_function")
    versions = [
        v["Version"]
        for page in paginator.paginate(FunctionName=function_name, PaginationConfig={"PageSize": 2})
        for v in page["Versions"]
    ]
    response = client.invoke(
        FunctionName=function_name, Qualifier="live", InvocationType="Event", Payload=json.dumps({"order": 1})
    )
    return {
        "versions": versions,
        "alias": alias["AliasArn"],
        "weights": alias["RoutingConfig"]["AdditionalVersionWeights"],
        "config_arn": config["FunctionArn"],
        "retries": config["MaximumRetryAttempts"],
        "on_failure": config["DestinationConfig"]["OnFailure"]["Destination"],
        "missing": missing,
        "status": response["StatusCode"],
    }


EXPECTED = {
    "versions": ["$LATEST", "1", "2"],
    "alias": "arn:aws:lambda:us-east-1:123456789012:function:my-function:live",
    "weights": {"2": 0.1},
    "config_arn": "arn:aws:lambda:us-east-1:123456789012:function:my-function:live",
    "retries": 1,
    "on_failure": "arn:aws:sqs:us-east-1:123456789012:failed",
    "missing": "The function arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST doesn't have an "
    "EventInvokeConfig",
    "status": 202,
}


class Recorder:
    """Wraps the simulated client and records every call: ``(method, params, response or ClientError)``."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.calls: list[tuple[str, dict[str, Any], Any]] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(**params: Any) -> Any:
            try:
                result = method(**params)
            except ls.ClientError as err:
                self.calls.append((name, params, err))
                raise
            self.calls.append((name, params, result))
            return result

        return call

    def get_paginator(self, name: str) -> Paginator:
        op = next(op for op in PAGINATORS if xform_name(op) == name)
        return Paginator(getattr(self, name), PAGINATORS[op])


def test_the_snippet_runs_on_the_simulation() -> None:
    sim = ls.Simulation(seed=11)
    assert the_snippet(sim.client("lambda")) == EXPECTED
    results = sim.run()
    assert results.functions["my-function"]["async_events_received"] == 1


def test_the_same_snippet_gives_the_same_result_on_a_stubbed_botocore_client() -> None:
    recorder = Recorder(ls.Simulation(seed=11).client("lambda"))
    assert the_snippet(recorder) == EXPECTED
    real = botocore.session.get_session().create_client(
        "lambda", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(real) as stub:
        for method, params, outcome in recorder.calls:
            if isinstance(outcome, ls.ClientError):
                error = outcome.response
                stub.add_client_error(
                    method,
                    service_error_code=error["Error"]["Code"],
                    service_message=error["Error"]["Message"],
                    http_status_code=error["ResponseMetadata"]["HTTPStatusCode"],
                    expected_params=params,
                )
            else:
                # Stubber validates each response against botocore's output shape.
                body = {k: v for k, v in outcome.items() if k != "ResponseMetadata"}
                stub.add_response(method, body, expected_params=params)
        assert the_snippet(real) == EXPECTED
        stub.assert_no_pending_responses()


# -- AWS's documented examples ------------------------------------------------------------------------------------

# Each step: (operation, which example, preparation to run before it). Preparations build what the examples assume
# (versions 1 and 2, aliases BLUE and GREEN, a second function "myFunction").
ROLE = "arn:aws:iam::123456789012:role/lambda-role"


def prepare_versions(lam: Any) -> None:
    lam.create_function(
        FunctionName="myFunction",
        Role=ROLE,
        Handler="index.handler",
        Environment={"Variables": {"BUCKET": "b"}},
        KMSKeyArn="arn:aws:kms:us-east-1:123456789012:key/k",
    )
    lam.update_function_configuration(FunctionName="my-function", Timeout=20)
    lam.publish_version(FunctionName="my-function")
    lam.create_alias(FunctionName="my-function", Name="BLUE", FunctionVersion="1", Description="Production BLUE.")
    lam.create_alias(FunctionName="my-function", Name="GREEN", FunctionVersion="2")


def prepare_configs(lam: Any) -> None:
    for alias in ("BLUE", "GREEN"):
        lam.put_function_event_invoke_config(
            FunctionName="my-function", Qualifier=alias, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600
        )


def prepare_deletes(lam: Any) -> None:
    lam.delete_alias(FunctionName="my-function", Name="LIVE")
    lam.delete_alias(FunctionName="my-function", Name="PROD")  # made for the RemovePermission example


def prepare_policies(lam: Any) -> None:
    # The examples read a policy on version 1 and remove one from alias PROD.
    lam.add_permission(
        FunctionName="my-function", Qualifier="1", StatementId="xaccount", Action="lambda:*", Principal="123456789012"
    )
    lam.create_alias(FunctionName="my-function", Name="PROD", FunctionVersion="1")
    lam.add_permission(
        FunctionName="my-function", Qualifier="PROD", StatementId="xaccount", Action="lambda:*", Principal="1234"
    )


def prepare_queues(lam: Any) -> None:
    lam._sim.client("sqs").create_queue(QueueName="my-queue")


def rekey(lam: Any, uuid: str) -> None:
    """Give the latest mapping the UUID an example names (AWS assigns UUIDs; the examples show recorded ones)."""
    from lambdasim.aws.lambda_.esm import esm_service

    service = esm_service(lam._sim)
    mapping = service.history[-1]
    service.mappings.pop(mapping.uuid)
    mapping.uuid = uuid
    service.mappings[uuid] = mapping


def prepare_get_mapping(lam: Any) -> None:
    rekey(lam, "14e0db71-xmpl-4eb5-b481-8945cf9d10c2")


def prepare_update_mapping(lam: Any) -> None:
    # The example raises BatchSize to 123, which an SQS mapping takes with a batching window of at least 1 s.
    lam._sim.client("sqs").create_queue(QueueName="other")
    lam.create_event_source_mapping(
        EventSourceArn="arn:aws:sqs:us-west-2:123456789012:other",
        FunctionName="myFunction",
        MaximumBatchingWindowInSeconds=1,
    )
    rekey(lam, "1234xCy789012")


STEPS: list[tuple[str, Callable[[Any], None] | None]] = [
    ("CreateFunction", None),
    ("UpdateFunctionConfiguration", None),
    ("UpdateFunctionCode", None),
    ("PublishVersion", prepare_versions),
    ("CreateAlias", None),
    ("UpdateAlias", None),
    ("GetAlias", None),
    ("ListAliases", None),
    ("PutFunctionEventInvokeConfig", prepare_configs),
    ("UpdateFunctionEventInvokeConfig", None),
    ("GetFunctionEventInvokeConfig", None),
    ("ListFunctionEventInvokeConfigs", None),
    ("DeleteFunctionEventInvokeConfig", None),
    ("PutFunctionConcurrency", None),
    ("GetFunctionConcurrency", None),
    ("PutProvisionedConcurrencyConfig", None),
    ("GetProvisionedConcurrencyConfig", None),
    ("ListProvisionedConcurrencyConfigs", None),
    ("DeleteProvisionedConcurrencyConfig", None),
    ("DeleteFunctionConcurrency", None),
    ("GetFunction", None),
    ("GetFunctionConfiguration", None),
    ("Invoke", None),
    ("InvokeAsync", None),
    ("ListFunctions", None),
    ("ListVersionsByFunction", None),
    ("GetAccountSettings", None),
    ("TagResource", None),
    ("UntagResource", None),
    ("ListTags", None),
    ("AddPermission", None),
    ("GetPolicy", prepare_policies),
    ("RemovePermission", None),
    ("CreateEventSourceMapping", prepare_queues),
    ("ListEventSourceMappings", None),
    ("GetEventSourceMapping", prepare_get_mapping),
    ("UpdateEventSourceMapping", prepare_update_mapping),
    ("DeleteEventSourceMapping", None),
    ("DeleteAlias", None),
    ("DeleteFunction", prepare_deletes),
]
# Keys a documented answer has only in the situation it was recorded in.
SITUATIONAL = {
    "ListFunctions": {"NextMarker"},
    # The documented answers are a stream mapping's (retries, record age, bisection, destinations, last result);
    # an SQS mapping has none of these keys.
    "GetEventSourceMapping": {
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "LastProcessingResult",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
    },
    "UpdateEventSourceMapping": {"LastProcessingResult"},
}


def test_every_documented_example_of_an_implemented_operation_is_covered() -> None:
    from lambdasim.aws.lambda_._model import OPERATIONS

    assert {op for op, _ in STEPS} == {op for op in OPERATIONS if op in EXAMPLES}


def runnable(params: dict[str, Any]) -> dict[str, Any]:
    """An example's request as AWS takes it today: the examples create functions on nodejs12.x, a runtime AWS now
    refuses (recorded: LocalStack's TestRuntimeValidation), so those run on a current Node.js runtime instead."""
    if params.get("Runtime") in DEPRECATED:
        return {**params, "Runtime": "nodejs20.x"}
    return params


@pytest.mark.parametrize("step", range(len(STEPS)), ids=[op for op, _ in STEPS])
def test_aws_documented_examples_run_unmodified(step: int) -> None:
    # The examples' region: the tag operations name the function by its us-west-2 ARN.
    sim = ls.Simulation(seed=2, region="us-west-2")
    lam = sim.client("lambda")
    # What the examples take for granted: their deployment package in S3, and (lambdasim runs Python code only)
    # what their Node.js function does.
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="my-bucket-1xpuxmplzrlbh", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket="my-bucket-1xpuxmplzrlbh", Key="function.zip", Body=zip_package({"index.js": ""}))
    sim.configure_function("my-function", behaviour=ls.Behaviour(duration=0.1))
    answers: dict[str, list[dict[str, Any]]] = {}
    for op, prepare in STEPS[: step + 1]:
        if prepare is not None:
            prepare(lam)
        answers[op] = [getattr(lam, xform_name(op))(**runnable(example["input"])) for example in EXAMPLES[op]]
    op = STEPS[step][0]
    for example, answer in zip(EXAMPLES[op], answers[op], strict=True):
        documented = set(example.get("output", {})) - SITUATIONAL.get(op, set())
        assert documented <= set(answer), f"{op}: missing {sorted(documented - set(answer))}"
