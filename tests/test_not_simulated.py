"""Members lambdasim accepts but does not simulate (lambdasim.aws.not_simulated): one NotSimulatedWarning per client
per (operation, member) for the ignored, the service's invalid-parameter error for the refused, silence for the
simulated; the tables name only members of botocore's input shapes, and the warning comes through mock_aws."""

from __future__ import annotations

import importlib
import io
import warnings
from pathlib import Path
from typing import Any

import botocore.session
import pytest

import lambdasim as ls
from lambdasim.aws.not_simulated import IGNORED, REFUSED, NotSimulatedWarning

SESSION = botocore.session.get_session()
_MODULES = {"lambda": "lambda_"}
CSC = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdefg"


def _rows(table: dict[str, dict[str, frozenset[str]]]) -> list[tuple[str, str, str]]:
    return [(svc, op, m) for svc, ops in table.items() for op, members in ops.items() for m in sorted(members)]


@pytest.mark.parametrize("service", sorted(IGNORED))
def test_the_tables_name_members_of_botocores_input_shapes_of_implemented_operations(service: str) -> None:
    model = SESSION.get_service_model(service)
    implemented = importlib.import_module(f"lambdasim.aws.{_MODULES.get(service, service)}._shapes").OPERATIONS
    assert set(IGNORED) == set(REFUSED)
    for table in (IGNORED, REFUSED):
        for op, members in table[service].items():
            assert op in implemented, (service, op)
            shape = model.operation_model(op).input_shape
            assert members, (service, op)
            assert members <= set(shape.members), (service, op, members - set(shape.members))
            assert not members & set(shape.required_members), (service, op)
        for op in set(IGNORED[service]) & set(REFUSED[service]):
            assert not IGNORED[service][op] & REFUSED[service][op], (service, op)


def test_the_warning_is_exported_and_a_user_warning() -> None:
    assert ls.NotSimulatedWarning is NotSimulatedWarning
    assert issubclass(NotSimulatedWarning, UserWarning)


def test_one_warning_per_client_per_operation_and_member_naming_them() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    layer = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
    with pytest.warns(NotSimulatedWarning) as caught:
        lam.create_function(FunctionName="a", Handler=lambda e, c: None, Layers=[layer], SnapStart={"ApplyOn": "None"})
    assert [str(w.message) for w in caught] == [
        "CreateFunction: Layers, SnapStart are accepted but not simulated by lambdasim"
    ]
    assert caught[0].filename == __file__  # points at the caller
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        lam.create_function(FunctionName="b", Handler=lambda e, c: None, Layers=[layer])
        lam.create_function(FunctionName="c", Handler=lambda e, c: None, Layers=[layer], CodeSigningConfigArn=CSC)
        ls.Simulation(seed=1).client("lambda").create_function(
            FunctionName="d", Handler=lambda e, c: None, Layers=[layer]
        )
    assert [str(w.message) for w in again] == [
        "CreateFunction: CodeSigningConfigArn is accepted but not simulated by lambdasim",
        "CreateFunction: Layers is accepted but not simulated by lambdasim",  # another simulation's client warns afresh
    ]
    assert lam.get_function(FunctionName="a")["Configuration"]["Layers"][0]["Arn"] == layer  # still echoed


def test_simulated_members_do_not_warn() -> None:
    sim = ls.Simulation(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotSimulatedWarning)
        lam = sim.client("lambda")
        lam.create_function(
            FunctionName="f",
            Handler=lambda e, c: None,
            Timeout=30,
            MemorySize=256,
            Environment={"Variables": {"STAGE": "1"}},
            VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},
            KMSKeyArn="arn:aws:kms:us-east-1:123456789012:key/k",
            TracingConfig={"Mode": "Active"},
            EphemeralStorage={"Size": 1024},
            Tags={"team": "a"},
            Description="d",
        )
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
        sqs = sim.client("sqs")
        url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m", DelaySeconds=0, MessageAttributes={})
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"], VisibilityTimeout=5)
        sns = sim.client("sns")
        sns.create_topic(Name="t", Attributes={"DisplayName": "t"})
        events = sim.client("events")
        events.put_rule(Name="r", ScheduleExpression="rate(1 day)", Description="d", State="ENABLED")
        s3 = sim.client("s3")
        s3.create_bucket(Bucket="bucket-b")
        s3.put_object(Bucket="bucket-b", Key="k", Body=b"x", ContentType="text/plain", Metadata={"a": "1"})
        s3.get_object(Bucket="bucket-b", Key="k", IfMatch=s3.head_object(Bucket="bucket-b", Key="k")["ETag"])
        sim.client("cloudwatch").put_metric_data(Namespace="App", MetricData=[{"MetricName": "m", "Value": 1.0}])
        sim.client("logs").create_log_group(logGroupName="g", tags={"a": "b"})
        sim.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)


@pytest.mark.parametrize(
    ("service", "method", "params", "message"),
    [
        ("sqs", "create_queue", {"QueueName": "q", "tags": {"a": "b"}}, "CreateQueue: tags is"),
        ("sns", "create_topic", {"Name": "t", "Tags": [{"Key": "a", "Value": "b"}]}, "CreateTopic: Tags is"),
        ("events", "put_rule", {"Name": "r", "ScheduleExpression": "rate(1 day)", "RoleArn": "a" * 20}, "PutRule:"),
        ("s3", "create_bucket", {"Bucket": "bkt", "ACL": "private"}, "CreateBucket: ACL is"),
        ("cloudwatch", "list_metrics", {"IncludeLinkedAccounts": True}, "ListMetrics: IncludeLinkedAccounts is"),
        ("logs", "describe_log_groups", {"includeLinkedAccounts": False}, "DescribeLogGroups: includeLinkedAccounts"),
    ],
)
def test_every_service_warns(service: str, method: str, params: dict[str, Any], message: str) -> None:
    client = ls.Simulation(seed=1).client(service)
    with pytest.warns(NotSimulatedWarning, match=message):
        getattr(client, method)(**params)


@pytest.mark.parametrize(
    ("service", "method", "params", "code", "message"),
    [
        (
            "lambda",
            "create_function",
            {
                "FunctionName": "f",
                "Handler": "m.h",
                "DurableConfig": {},
                "TenancyConfig": {"TenantIsolationMode": "PER_TENANT"},
            },
            "InvalidParameterValueException",
            "CreateFunction: DurableConfig, TenancyConfig are not simulated by lambdasim",
        ),
        ("sns", "create_topic", {"Name": "t", "DataProtectionPolicy": "{}"}, "InvalidParameter", "CreateTopic: Data"),
        ("events", "create_event_bus", {"Name": "b", "DeadLetterConfig": {}}, "ValidationException", "CreateEventBus"),
        ("cloudwatch", "list_metrics", {"RecentlyActive": "PT3H"}, "InvalidParameterValue", "ListMetrics: Recently"),
    ],
)
def test_refused_members_answer_the_services_invalid_parameter_error(
    service: str, method: str, params: dict[str, Any], code: str, message: str
) -> None:
    client = ls.Simulation(seed=1).client(service)
    with pytest.raises(ls.ClientError) as info:
        getattr(client, method)(**params)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["Error"]["Message"].startswith(message)
    assert "not simulated by lambdasim" in info.value.response["Error"]["Message"]


def test_the_warning_comes_through_mock_aws() -> None:
    boto3 = pytest.importorskip("boto3")
    from lambdasim.aws.mock import mock_aws

    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        sqs = boto3.client("sqs")
        with pytest.warns(
            NotSimulatedWarning, match="CreateQueue: tags is accepted but not simulated by lambdasim"
        ) as w:
            sqs.create_queue(QueueName="q", tags={"team": "a"})
        assert w[0].filename == __file__  # past botocore's machinery, at the caller
        lam = boto3.client("lambda")
        with pytest.raises(lam.exceptions.InvalidParameterValueException, match="not simulated by lambdasim"):
            lam.create_function(
                FunctionName="f",
                Runtime="python3.12",
                Role="arn:aws:iam::123456789012:role/r",
                Handler="m.h",
                Code={"ZipFile": b"x"},
                DurableConfig={},
            )


def test_what_boto3_and_s3transfer_send_by_default_never_warns() -> None:
    """ChecksumMode on every GetObject, ChecksumAlgorithm on every upload, EncodingType on every listing."""
    boto3 = pytest.importorskip("boto3")
    from lambdasim.aws.mock import mock_aws

    sim = ls.Simulation(seed=1)
    with warnings.catch_warnings(), mock_aws(sim):
        warnings.simplefilter("error", NotSimulatedWarning)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="k", Body=b"x")
        s3.copy_object(Bucket="bkt", Key="k2", CopySource="bkt/k")
        s3.upload_fileobj(io.BytesIO(b"abc"), "bkt", "k3")
        out = io.BytesIO()
        s3.download_fileobj("bkt", "k3", out)
        assert out.getvalue() == b"abc"
        bucket = boto3.resource("s3").Bucket("bkt")
        assert [o.key for o in bucket.objects.all()] == ["k", "k2", "k3"]
        assert bucket.Object("k").get()["Body"].read() == b"x"
        s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "k"}]})


def test_s3_listings_url_encode_keys_as_boto3_asks_on_every_listing() -> None:
    """boto3 sends EncodingType=url on every listing and decodes the answer: simulated, so it never warns, the
    native client answers encoded keys, and mock_aws gives the keys back as they were put."""
    boto3 = pytest.importorskip("boto3")
    from lambdasim.aws.mock import mock_aws

    sim = ls.Simulation(seed=1)
    keys = ["a%20b c+d/e", "a%20b c+d/f", "z&é"]
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="bkt")
    for key in keys:
        s3.put_object(Bucket="bkt", Key=key, Body=b"x")
    native = s3.list_objects_v2(Bucket="bkt", EncodingType="url", Delimiter="/", StartAfter="a b")
    assert native["EncodingType"] == "url"
    assert native["CommonPrefixes"] == [{"Prefix": "a%2520b+c%2Bd/"}]
    assert [c["Key"] for c in native["Contents"]] == ["z%26%C3%A9"]
    assert native["StartAfter"] == "a+b" and native["Delimiter"] == "/"
    v1 = s3.list_objects(Bucket="bkt", EncodingType="url", Marker="a b", Delimiter="/", MaxKeys=1)
    assert v1["NextMarker"] == "a%2520b+c%2Bd/" and v1["Marker"] == "a+b"
    assert "EncodingType" not in s3.list_objects_v2(Bucket="bkt")
    with warnings.catch_warnings(), mock_aws(sim):
        warnings.simplefilter("error", NotSimulatedWarning)
        client = boto3.client("s3")
        assert [c["Key"] for c in client.list_objects_v2(Bucket="bkt")["Contents"]] == keys
        assert [c["Key"] for c in client.list_objects(Bucket="bkt")["Contents"]] == keys
        assert client.list_objects_v2(Bucket="bkt", Delimiter="/")["CommonPrefixes"] == [{"Prefix": "a%20b c+d/"}]


def test_the_reference_page_lists_exactly_the_tables() -> None:
    page = (Path(__file__).parent.parent / "docs" / "reference" / "not-simulated.md").read_text()
    ignored_part, refused_part = page.split("## Ignored (one warning)")[1].split("## Refused")
    for part, table in ((ignored_part, IGNORED), (refused_part, REFUSED)):
        listed = {}
        for line in part.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if line.startswith("| ") and len(cells) == 3 and cells[0] in table:
                listed[(cells[0], cells[1])] = frozenset(m.strip(" `") for m in cells[2].split(","))
        assert listed == {(svc, op): members for svc, ops in table.items() for op, members in ops.items()}


def test_streams_warn_about_what_they_ignore_and_refuse_what_would_answer_another_question() -> None:
    sim = ls.Simulation(seed=1)
    kinesis, dynamodb = sim.client("kinesis"), sim.client("dynamodb")
    with pytest.warns(NotSimulatedWarning, match=r"^CreateStream: Tags is accepted but not simulated by lambdasim$"):
        kinesis.create_stream(StreamName="s", ShardCount=1, Tags={"team": "a"})
    with pytest.raises(kinesis.exceptions.InvalidArgumentException) as refused:
        kinesis.create_stream(StreamName="t", ShardCount=1, MaxRecordSizeInKiB=2048)
    assert (
        refused.value.response["Error"]["Message"] == "CreateStream: MaxRecordSizeInKiB is not simulated by lambdasim"
    )
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(dynamodb.exceptions.ClientError) as refused:
        dynamodb.get_item(TableName="orders", Key={"id": {"S": "1"}}, ProjectionExpression="id")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "ProjectionExpression is not simulated by lambdasim" in refused.value.response["Error"]["Message"]
