"""The SQS, SNS, EventBridge, S3 and CloudWatch clients against botocore's own service models (botocore is a test
dependency only; Lambda's are checked in ``tests/test_conformance.py``).

For every operation each client implements: the committed ``lambdasim/aws/<service>/_shapes.py`` is what
``tools/gen_shapes.py`` makes from the installed botocore; its input shapes are botocore's (up to the documented
extensions of ``lambdasim.aws.events._model.EXTENSIONS``); client-side errors read exactly as botocore's
``ParamValidator`` reports them, and, for a few bad requests per service, as a real botocore client's (its S3
customizations included); EventBridge answers model constraint violations with its ``ValidationException``.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError as BotocoreParamValidationError
from botocore.model import Shape
from botocore.stub import Stubber
from botocore.utils import parse_to_aware_datetime
from botocore.validate import ParamValidator

import lambdasim as ls
from lambdasim.aws._service_client import ServiceClient, as_epoch
from lambdasim.aws.events import _model as events_model
from lambdasim.aws.paginators import xform_name
from lambdasim.aws.s3.client import NOT_SIMULATED

SERVICES = ("sqs", "sns", "events", "s3", "cloudwatch", "kinesis", "dynamodb", "dynamodbstreams")
SESSION = botocore.session.get_session()
MODELS = {service: SESSION.get_service_model(service) for service in SERVICES}


def generator() -> Any:
    path = Path(__file__).resolve().parent.parent / "tools" / "gen_shapes.py"
    spec = importlib.util.spec_from_file_location("gen_shapes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated(service: str) -> ModuleType:
    return importlib.import_module(f"lambdasim.aws.{service}._shapes")


def client_of(service: str, sim: ls.Simulation | None = None) -> ServiceClient:
    client = (sim or ls.Simulation(seed=1)).client(service)
    assert isinstance(client, ServiceClient)
    return client


def extensions(service: str) -> dict[str, str]:
    return events_model.EXTENSIONS if service == "events" else {}


OPERATIONS = [(service, op) for service in SERVICES for op in generated(service).OPERATIONS]


# -- the committed models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_model_is_what_the_generator_makes_from_the_installed_botocore(service: str) -> None:
    built = generator().build(service)
    module = generated(service)
    assert built["OPERATIONS"] == module.OPERATIONS
    assert built["SHAPES"] == module.SHAPES
    assert list(built["SHAPES"]) == list(module.SHAPES)


@pytest.mark.parametrize("service", SERVICES)
def test_the_client_serves_exactly_the_operations_of_its_model(service: str) -> None:
    client = client_of(service)
    cls = type(client)
    assert cls.operations is generated(service).OPERATIONS
    public = {name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))}
    helpers = {"can_paginate", "get_paginator", "get_waiter", "generate_presigned_url"}  # boto3's, not operations
    assert public - helpers == {xform_name(op) for op in cls.operations}
    for op, (input_shape, output_shape, _) in cls.operations.items():
        model = MODELS[service].operation_model(op)
        assert model.input_shape is not None and model.input_shape.name == input_shape
        assert (model.output_shape.name if model.output_shape is not None else None) == output_shape


def test_every_client_validates_with_its_model_and_events_with_the_extensions() -> None:
    for service in SERVICES:
        shapes = client_of(service).input_shapes
        assert shapes is (events_model.SHAPES if service == "events" else generated(service).SHAPES)


def walk(shape: Shape, seen: set[str]) -> Any:
    if shape.name in seen:
        return
    seen.add(shape.name)
    yield shape
    if shape.type_name == "structure":
        for member in shape.members.values():
            yield from walk(member, seen)
    elif shape.type_name == "list":
        yield from walk(shape.member, seen)
    elif shape.type_name == "map":
        yield from walk(shape.key, seen)
        yield from walk(shape.value, seen)


@pytest.mark.parametrize(("service", "op"), OPERATIONS)
def test_input_shapes_are_botocores_except_the_documented_extensions(service: str, op: str) -> None:
    ours = client_of(service).input_shapes
    documented = extensions(service)
    for shape in walk(MODELS[service].operation_model(op).input_shape, set()):
        mine = ours[shape.name]
        assert mine["type"] == shape.type_name
        if shape.type_name == "structure":
            assert list(mine["members"]) == list(shape.members)  # botocore's order: its "must be one of" lists
            assert {m: s.name for m, s in shape.members.items()} == mine["members"]
            assert mine["required"] == shape.required_members
        for constraint in ("min", "max", "enum", "pattern"):
            theirs = shape.metadata.get(constraint)
            if f"{shape.name}.{constraint}" in documented:
                assert mine.get(constraint) != theirs
            else:
                assert mine.get(constraint) == theirs, (shape.name, constraint)


def test_the_events_extensions_are_exactly_those_documented() -> None:
    changed = {
        f"{name}.{key}"
        for name, shape in events_model.SHAPES.items()
        for key in set(shape) | set(events_model.BOTOCORE_SHAPES[name])
        if shape.get(key) != events_model.BOTOCORE_SHAPES[name].get(key)
    }
    assert changed == set(events_model.EXTENSIONS)


# -- client-side validation reads as botocore's -------------------------------------------------------------------


def sample(shape: Shape) -> Any:
    """A value botocore accepts for ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        return {name: sample(shape.members[name]) for name in shape.required_members}
    if kind == "string":
        return "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 1)
    if kind == "list":
        return [sample(shape.member) for _ in range(shape.metadata.get("min", 0))]
    return {"map": {}, "boolean": True, "blob": b"", "double": 0.5, "timestamp": 0}[kind]


def botocore_report(service: str, op: str, params: dict[str, Any]) -> str:
    shape = MODELS[service].operation_model(op).input_shape
    return str(ParamValidator().validate(params, shape).generate_report())


def our_report(service: str, op: str, params: dict[str, Any]) -> str:
    with pytest.raises(ls.ParamValidationError) as exc:
        getattr(client_of(service), xform_name(op))(**params)
    return str(exc.value.kwargs["report"])


@pytest.mark.parametrize(("service", "op"), OPERATIONS)
def test_param_validation_reports_are_botocores(service: str, op: str) -> None:
    shape = MODELS[service].operation_model(op).input_shape
    valid = sample(shape)
    if service == "s3":
        valid["Bucket"] = "bkt"  # (botocore's S3 customization checks the name before the model: see below)
    cases: list[dict[str, Any]] = [{**valid, "Bogus": 1}]
    if shape.required_members:
        cases.append({})
    for name, member in shape.members.items():
        cases.append({**valid, name: object() if member.type_name != "blob" else 5})
        if member.type_name == "list" and member.member.type_name in ("structure", "string"):
            cases.append({**valid, name: [object(), sample(member.member)]})  # items' own problems
    for params in cases:
        expected = botocore_report(service, op, params)
        assert expected
        assert our_report(service, op, params) == expected, params


def real_client_error(service: str, method: str, params: dict[str, Any]) -> str:
    """What a real botocore client (handlers, then its model) raises for a bad request, before sending it."""
    client = SESSION.create_client(service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    output = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[method]).output_shape
    with Stubber(client) as stub:
        stub.add_response(method, sample(output) if output is not None else {})  # never sent: validation fails first
        with pytest.raises(BotocoreParamValidationError) as exc:
            getattr(client, method)(**params)
    return str(exc.value)


NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
BAD_REQUESTS = [
    ("sqs", "send_message", {"QueueUrl": 5, "MessageBody": "x", "DelaySeconds": "1"}),
    ("sqs", "send_message_batch", {"QueueUrl": "u", "Entries": [{"Id": "a"}, {"MessageBody": 5}]}),
    ("sqs", "receive_message", {"QueueUrl": "u", "MaxNumberOfMessages": "3", "Bogus": 1}),
    ("sns", "publish", {"Message": 5, "Bogus": 1}),
    ("sns", "create_topic", {"Name": "t", "Tags": [{"Key": "", "Value": 5}]}),
    ("sns", "subscribe", {"TopicArn": "a", "ReturnSubscriptionArn": "yes"}),
    ("events", "put_events", {"Entries": [{"Time": "not a time", "Detail": 5}]}),
    ("events", "put_events", {"Entries": []}),
    ("events", "put_targets", {"Rule": "r", "Targets": [{"Id": "t", "InputTransformer": {"InputPathsMap": {"": 1}}}]}),
    ("events", "list_rules", {"Limit": 0}),
    ("s3", "put_object", {"Bucket": "bkt", "Key": "", "Body": 5}),
    ("s3", "get_object", {"Bucket": "bad/name", "Key": "k"}),
    ("s3", "put_object", {"Bucket": "bkt", "Key": "k", "Metadata": {"owner": "Zoë"}}),
    ("s3", "list_objects_v2", {"Bucket": "bkt", "MaxKeys": "10", "Bogus": 1}),
    (
        "cloudwatch",
        "get_metric_statistics",
        {"Namespace": "", "MetricName": "m", "StartTime": object(), "EndTime": "nope", "Period": 0},
    ),
    (
        "cloudwatch",
        "get_metric_data",
        {
            "MetricDataQueries": [{"Id": "a", "MetricStat": {"Metric": {"Dimensions": [{"Value": "f"}]}}}],
            "StartTime": NOW,
            "EndTime": NOW,
        },
    ),
    ("cloudwatch", "list_metrics", {"Dimensions": [{"Value": "x"}], "RecentlyActive": 3}),
    ("kinesis", "put_record", {"StreamName": 5, "Data": 5, "PartitionKey": ""}),
    ("kinesis", "put_records", {"Records": [{"Data": b"x"}, {"PartitionKey": 3, "Data": b"y"}]}),
    ("dynamodb", "put_item", {"TableName": "t", "Item": {"a": {"S": 5}}, "Bogus": 1}),
    ("dynamodb", "create_table", {"TableName": "t", "KeySchema": [{"AttributeName": "a"}]}),
    ("dynamodbstreams", "describe_stream", {"StreamArn": "x", "Limit": "3"}),
]


@pytest.mark.parametrize(("service", "method", "params"), BAD_REQUESTS)
def test_bad_requests_read_as_a_real_botocore_clients(service: str, method: str, params: dict[str, Any]) -> None:
    expected = real_client_error(service, method, params)
    with pytest.raises(ls.ParamValidationError) as exc:
        getattr(client_of(service), method)(**params)
    assert str(exc.value) == expected


def test_timestamps_are_checked_as_botocore_checks_them() -> None:
    events = client_of("events")
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    for when in (NOW, "2026-01-01T00:00:00Z", "2026-01-01", 1767225600, 1767225600.5, "1767225600", b"1767225600"):
        assert events.put_events(Entries=[{**entry, "Time": when}])["FailedEntryCount"] == 0
    for when in ("", "soon", None, b"soon", datetime.date(2026, 1, 1)):
        params = {"Entries": [{**entry, "Time": when}]}
        expected = real_client_error("events", "put_events", params)
        with pytest.raises(ls.ParamValidationError) as exc:
            events.put_events(**params)
        assert str(exc.value) == expected


@pytest.mark.parametrize(
    "value",
    [
        NOW,
        datetime.datetime(2026, 1, 1),  # naive: UTC
        "2026-01-01T10:00:00+02:00",
        "2026-01-01",
        "Thu, 01 Jan 2026 00:00:00 GMT",
        "1767225600",
        b"1767225600",
        1767225600,
        1767225600.25,
        decimal.Decimal("1767225600"),
        True,
        "",
        "soon",
        None,
        [2026],
    ],
)
def test_timestamp_values_read_as_botocore_reads_them(value: Any) -> None:
    try:
        theirs: float | None = parse_to_aware_datetime(value).timestamp()
    except (TypeError, ValueError, AttributeError):
        theirs = None
    assert as_epoch(value) == theirs


# -- the services' own answers ------------------------------------------------------------------------------------


def validation_error(call: Any) -> tuple[str, str]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def test_eventbridge_answers_model_constraints_with_its_validation_exception() -> None:
    events = client_of("events")
    assert validation_error(lambda: events.put_rule(Name="a b", EventPattern="{}")) == (
        "ValidationException",
        "1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    )
    assert validation_error(lambda: events.list_rules(Limit=101)) == (
        "ValidationException",
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value "
        "less than or equal to 100",
    )
    # Every problem at once, before the rule is looked up; list items at list.n.member.name.
    targets = [
        {"Id": "ok", "Arn": "arn"},
        {"Id": "not ok", "Arn": "arn", "SqsParameters": {"MessageGroupId": "g" * 101}},
    ]
    assert validation_error(lambda: events.put_targets(Rule="nope", Targets=targets)) == (
        "ValidationException",
        "2 validation errors detected: Value 'not ok' at 'targets.2.member.id' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value '" + "g" * 101 + "' at "
        "'targets.2.member.sqsParameters.messageGroupId' failed to satisfy constraint: Member must have length less "
        "than or equal to 100",
    )
    assert validation_error(lambda: events.remove_targets(Rule="r", Ids=["a", "b c"])) == (
        "ValidationException",
        "1 validation error detected: Value '[a, b c]' at 'ids' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must have length less than or equal to 64, Member must have length greater than or "
        "equal to 1, Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+]",
    )
    with pytest.raises(events.exceptions.ResourceNotFoundException):  # valid: on to the service
        events.put_targets(Rule="nope", Targets=targets[:1])


def test_lambda_words_a_list_items_member_the_same_way() -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    config = {"Arn": "arn:nope", "LocalMountPath": "/mnt/data"}
    code, message = validation_error(lambda: lam.create_function(FunctionName="f", FileSystemConfigs=[config]))
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'arn:nope' at 'fileSystemConfigs.1.member.arn' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: arn:aws"
    )


def test_eventbridge_takes_at_most_10_targets_a_request_as_documented() -> None:
    events = client_of("events")
    events.put_rule(Name="r", EventPattern='{"source": ["a"]}')
    eleven = [{"Id": f"t{n}", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"} for n in range(11)]
    code, message = validation_error(lambda: events.put_targets(Rule="r", Targets=eleven))
    assert code == "ValidationException"
    assert message.endswith(
        "at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10"
    )
    with pytest.raises(events.exceptions.LimitExceededException):  # 6 fit a request, not a rule
        events.put_targets(Rule="r", Targets=eleven[:6])


def test_the_other_services_leave_model_constraints_to_their_own_checks() -> None:
    sqs = client_of("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert validation_error(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])) == (
        "InvalidAttributeName",
        "Unknown Attribute Nope.",
    )
    cloudwatch = client_of("cloudwatch")
    code, message = validation_error(
        lambda: cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Errors", StartTime=0, EndTime=60, Period=60, Statistics=["Median"]
        )
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "The parameter Statistics.member.1 must be a value in the set [ Maximum, SampleCount, Sum, Minimum, Average ].",
    )


@pytest.mark.parametrize(("op", "member"), [(op, m) for op, members in NOT_SIMULATED.items() for m in members])
def test_s3_refuses_what_it_does_not_simulate_rather_than_ignoring_it(op: str, member: str) -> None:
    s3 = client_of("s3")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="k", Body=b"data")
    shape = MODELS["s3"].operation_model(op).input_shape
    value = sample(shape.members[member])
    with pytest.raises(ls.ClientError) as exc:
        getattr(s3, xform_name(op))(Bucket="bkt", Key="k", **{member: value})
    assert exc.value.response["Error"] == {
        "Code": "NotImplemented",
        "Message": "A header you provided implies functionality that is not implemented: lambdasim does not "
        f"simulate {member} on {op}",
    }
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert s3.get_object(Bucket="bkt", Key="k")["Body"].read() == b"data"


def test_s3_accepts_botocores_other_members_and_they_change_nothing() -> None:
    s3 = client_of("s3")
    with pytest.warns(ls.NotSimulatedWarning) as caught:
        s3.create_bucket(Bucket="bkt", ACL="private", ObjectOwnership="BucketOwnerEnforced")
        s3.put_object(
            Bucket="bkt",
            Key="k",
            Body=b"data",
            ACL="private",
            StorageClass="STANDARD_IA",
            ServerSideEncryption="AES256",
            CacheControl="no-cache",
            Tagging="a=b",
        )
        got = s3.get_object(Bucket="bkt", Key="k", ResponseContentType="text/plain", ChecksumMode="ENABLED")
        assert got["Body"].read() == b"data"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="bkt", FetchOwner=True)["Contents"]] == ["k"]
    assert [str(w.message) for w in caught] == [  # StorageClass is simulated; ChecksumMode is boto3's default
        "CreateBucket: ACL, ObjectOwnership are accepted but not simulated by lambdasim",
        "PutObject: ACL, ServerSideEncryption, CacheControl, Tagging are accepted but not simulated by lambdasim",
        "GetObject: ResponseContentType is accepted but not simulated by lambdasim",
        "ListObjectsV2: FetchOwner is accepted but not simulated by lambdasim",
    ]
