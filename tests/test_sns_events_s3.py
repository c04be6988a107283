"""The SNS, EventBridge and S3 clients on the simulated clock, their deliveries to queues and functions, and their
conformance with botocore's service models."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.account import ServiceError
from lambdasim.aws.events.backend import check_pattern, matches
from tests.outcome_helpers import bodies, collector, queue


@pytest.fixture
def sim() -> ls.Simulation:
    return ls.Simulation(seed=13)


# -- SNS -------------------------------------------------------------------------------------------------------


def test_topics_are_idempotent_and_fifo_needs_the_attribute(sim: ls.Simulation) -> None:
    client = sim.client("sns")
    arn = client.create_topic(Name="alerts")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert client.create_topic(Name="alerts")["TopicArn"] == arn
    assert client.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"].endswith(":t.fifo")
    with pytest.raises(client.exceptions.InvalidParameterException) as err:
        client.create_topic(Name="t2.fifo")
    assert err.value.response["Error"]["Code"] == "InvalidParameter"
    assert [t["TopicArn"] for t in client.list_topics()["Topics"]] == [arn, arn.replace("alerts", "t.fifo")]


def test_publish_fans_out_to_queues_and_functions(sim: ls.Simulation) -> None:
    client = sim.client("sns")
    topic = client.create_topic(Name="alerts")["TopicArn"]
    url, queue_arn = queue(sim, "q")
    seen = collector(sim)
    sub_q = client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    sub_f = client.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:123456789012:function:collector"
    )["SubscriptionArn"]
    assert sub_q.startswith(topic + ":")
    listed = client.list_subscriptions()["Subscriptions"]
    assert {(s["Protocol"], s["SubscriptionArn"]) for s in listed} == {("sqs", sub_q), ("lambda", sub_f)}
    attrs = {"level": {"DataType": "String", "StringValue": "high"}}
    message_id = client.publish(TopicArn=topic, Message="disk full", Subject="ops", MessageAttributes=attrs)[
        "MessageId"
    ]
    sim.run()
    (envelope,) = bodies(sim, url)
    assert envelope["Type"] == "Notification" and envelope["MessageId"] == message_id
    assert (envelope["Message"], envelope["Subject"], envelope["TopicArn"]) == ("disk full", "ops", topic)
    assert envelope["MessageAttributes"] == {"level": {"Type": "String", "Value": "high"}}
    assert envelope["Timestamp"] == "2026-01-01T00:00:00.000Z"
    assert "SigningCertURL" in envelope and "UnsubscribeURL" in envelope
    (event,) = seen
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub_f
    assert record["Sns"]["Message"] == "disk full" and record["Sns"]["MessageId"] == message_id
    assert "SigningCertUrl" in record["Sns"]


def test_raw_delivery_and_filter_policies(sim: ls.Simulation) -> None:
    client = sim.client("sns")
    topic = client.create_topic(Name="orders")["TopicArn"]
    big_url, big_arn = queue(sim, "big")
    client.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=big_arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"amount": [{"numeric": [">", 100]}]})},
    )
    for amount in (50, 150, 500):
        client.publish(
            TopicArn=topic,
            Message=f"order {amount}",
            MessageAttributes={"amount": {"DataType": "Number", "StringValue": str(amount)}},
        )
    messages = [
        m["Body"] for m in sim.client("sqs").receive_message(QueueUrl=big_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert messages == ["order 150", "order 500"]


def test_sns_errors(sim: ls.Simulation) -> None:
    client = sim.client("sns")
    missing = "arn:aws:sns:us-east-1:123456789012:nope"
    with pytest.raises(client.exceptions.NotFoundException) as err:
        client.publish(TopicArn=missing, Message="x")
    assert err.value.response["Error"]["Code"] == "NotFound"
    topic = client.create_topic(Name="t")["TopicArn"]
    with pytest.raises(client.exceptions.InvalidParameterException, match="Message too long"):
        client.publish(TopicArn=topic, Message="x" * 262_145)
    with pytest.raises(client.exceptions.InvalidParameterException, match="does not simulate the http protocol"):
        client.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://example.com/")


# -- EventBridge -----------------------------------------------------------------------------------------------

EVENT = {
    "source": "shop.orders",
    "detail-type": "Order Placed",
    "detail": {"amount": 120, "currency": "EUR", "tags": ["vip", "new"], "customer": {"tier": "gold"}},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["shop.orders"]}, True),
        ({"source": ["shop.billing"]}, False),
        ({"source": [{"prefix": "shop."}]}, True),
        ({"detail-type": [{"suffix": "Placed"}]}, True),
        ({"detail": {"currency": [{"anything-but": ["USD", "GBP"]}]}}, True),
        ({"detail": {"currency": [{"anything-but": {"prefix": "E"}}]}}, False),
        ({"detail": {"amount": [{"numeric": [">", 100, "<=", 120]}]}}, True),
        ({"detail": {"amount": [{"numeric": ["<", 100]}]}}, False),
        ({"detail": {"tags": ["vip"]}}, True),
        ({"detail": {"coupon": [{"exists": False}]}}, True),
        ({"detail": {"coupon": [{"exists": True}]}}, False),
        ({"detail": {"customer": {"tier": [{"equals-ignore-case": "GOLD"}]}}}, True),
        ({"detail": {"customer": {"tier": [{"wildcard": "g*d"}]}}}, True),
        ({"$or": [{"source": ["nope"]}, {"detail": {"amount": [120]}}]}, True),
        ({"source": ["shop.orders"], "detail": {"amount": ["120"]}}, False),  # types matter
    ],
)
def test_event_patterns(pattern: dict[str, Any], expected: bool) -> None:
    check_pattern(pattern)
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [[], {"source": "shop"}, {"source": []}, {"source": [{"cidr": "10.0.0.0/24"}]}, {"a": [{"numeric": ["!", 1]}]}],
)
def test_invalid_event_patterns_are_refused(pattern: Any) -> None:
    with pytest.raises(ServiceError) as err:
        check_pattern(pattern)
    assert err.value.code == "InvalidEventPatternException"


def test_rules_route_events_to_queues_and_functions(sim: ls.Simulation) -> None:
    client = sim.client("events")
    bus = client.create_event_bus(Name="shop")["EventBusArn"]
    assert bus == "arn:aws:events:us-east-1:123456789012:event-bus/shop"
    url, queue_arn = queue(sim, "big-orders")
    seen = collector(sim)
    rule = client.put_rule(
        Name="big", EventBusName="shop", EventPattern=json.dumps({"detail": {"amount": [{"numeric": [">=", 100]}]}})
    )["RuleArn"]
    assert rule == "arn:aws:events:us-east-1:123456789012:rule/shop/big"
    client.put_targets(
        Rule="big",
        EventBusName="shop",
        Targets=[
            {"Id": "q", "Arn": queue_arn},
            {"Id": "f", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:collector", "InputPath": "$.detail"},
        ],
    )
    client.put_rule(Name="off", EventBusName="shop", EventPattern=json.dumps({"source": ["shop"]}), State="DISABLED")
    client.put_targets(Rule="off", EventBusName="shop", Targets=[{"Id": "q", "Arn": queue_arn}])
    out = client.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"amount": a}), "EventBusName": "shop"}
            for a in (10, 100, 250)
        ]
        + [{"Source": "shop", "DetailType": "Order", "EventBusName": "shop"}]
    )
    assert out["FailedEntryCount"] == 1 and out["Entries"][3]["ErrorCode"] == "InvalidArgument"
    sim.run()
    delivered = bodies(sim, url)
    assert [e["detail"]["amount"] for e in delivered] == [100, 250]
    assert delivered[0]["id"] == out["Entries"][1]["EventId"]
    assert delivered[0]["source"] == "shop" and delivered[0]["time"] == "2026-01-01T00:00:00Z"
    assert seen == [{"amount": 100}, {"amount": 250}]
    targets = client.list_targets_by_rule(Rule="big", EventBusName="shop")["Targets"]
    assert [t["Id"] for t in targets] == ["q", "f"]
    with pytest.raises(client.exceptions.ValidationException):
        client.delete_rule(Name="big", EventBusName="shop")


def test_events_errors(sim: ls.Simulation) -> None:
    client = sim.client("events")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Event bus nope does not exist"):
        client.put_rule(Name="r", EventBusName="nope", EventPattern="{}")
    with pytest.raises(client.exceptions.InvalidEventPatternException):
        client.put_rule(Name="r", EventPattern=json.dumps({"source": "x"}))
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Rule nope does not exist"):
        client.put_targets(Rule="nope", Targets=[{"Id": "1", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}])
    client.create_event_bus(Name="b")
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_event_bus(Name="b")


# -- S3 --------------------------------------------------------------------------------------------------------


def test_buckets_and_objects(sim: ls.Simulation) -> None:
    client = sim.client("s3")
    assert client.create_bucket(Bucket="data")["Location"] == "/data"
    client.create_bucket(Bucket="data")  # us-east-1 answers 200 to your own bucket again
    for key in ("a/1.json", "a/2.json", "a/b/3.json", "c.json"):
        client.put_object(Bucket="data", Key=key, Body=json.dumps({"key": key}), ContentType="application/json")
    obj = client.get_object(Bucket="data", Key="a/1.json")
    assert json.loads(obj["Body"].read()) == {"key": "a/1.json"}
    assert obj["ContentLength"] == len(json.dumps({"key": "a/1.json"})) and obj["ContentType"] == "application/json"
    listing = client.list_objects_v2(Bucket="data", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in listing["Contents"]] == ["a/1.json", "a/2.json"]
    assert listing["CommonPrefixes"] == [{"Prefix": "a/b/"}] and listing["KeyCount"] == 3
    page = client.list_objects_v2(Bucket="data", MaxKeys=3)
    assert page["IsTruncated"] is True and page["KeyCount"] == 3
    rest = client.list_objects_v2(Bucket="data", MaxKeys=3, ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["c.json"] and rest["IsTruncated"] is False
    with pytest.raises(client.exceptions.NoSuchKey) as err:
        client.get_object(Bucket="data", Key="nope")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.NoSuchBucket):
        client.list_objects_v2(Bucket="nope")
    with pytest.raises(client.exceptions.BucketNotEmpty):
        client.delete_bucket(Bucket="data")
    with pytest.raises(client.exceptions.InvalidBucketName):
        client.create_bucket(Bucket="Bad_Name")


def test_s3_location_constraints_follow_the_region() -> None:
    east = ls.Simulation(seed=1).client("s3")
    with pytest.raises(east.exceptions.InvalidLocationConstraint):
        east.create_bucket(Bucket="bkt", CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    west = ls.Simulation(seed=1, region="eu-west-1").client("s3")
    with pytest.raises(west.exceptions.IllegalLocationConstraintException):
        west.create_bucket(Bucket="bkt")
    out = west.create_bucket(Bucket="bkt", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert out["Location"] == "http://bkt.s3.amazonaws.com/"


# -- conformance with botocore's models ------------------------------------------------------------------------


def test_responses_use_only_botocores_output_members(sim: ls.Simulation) -> None:
    botocore_session = pytest.importorskip("botocore.session")
    session = botocore_session.get_session()
    sns_client, events_client, s3_client = sim.client("sns"), sim.client("events"), sim.client("s3")
    topic = sns_client.create_topic(Name="t")["TopicArn"]
    s3_client.create_bucket(Bucket="bkt")
    s3_client.put_object(Bucket="bkt", Key="k", Body=b"1")
    calls = {
        ("sns", "Publish"): sns_client.publish(TopicArn=topic, Message="m"),
        ("sns", "ListSubscriptions"): sns_client.list_subscriptions(),
        ("sns", "GetTopicAttributes"): sns_client.get_topic_attributes(TopicArn=topic),
        ("events", "CreateEventBus"): events_client.create_event_bus(Name="x", Description="d"),
        ("events", "DescribeEventBus"): events_client.describe_event_bus(Name="x"),
        ("events", "PutRule"): events_client.put_rule(Name="r", EventPattern=json.dumps({"source": ["a"]})),
        ("events", "ListRules"): events_client.list_rules(),
        ("events", "PutEvents"): events_client.put_events(Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}"}]),
        ("s3", "CreateBucket"): s3_client.create_bucket(Bucket="other"),
        ("s3", "ListObjectsV2"): s3_client.list_objects_v2(Bucket="bkt"),
        ("s3", "GetObject"): s3_client.get_object(Bucket="bkt", Key="k"),
        ("s3", "ListBuckets"): s3_client.list_buckets(),
    }
    for (service, operation), response in calls.items():
        output = session.get_service_model(service).operation_model(operation).output_shape
        assert set(response) - {"ResponseMetadata"} <= set(output.members), (service, operation)


def test_listings_have_boto3s_paginators(sim: ls.Simulation) -> None:
    s3_client = sim.client("s3")
    s3_client.create_bucket(Bucket="bkt")
    for n in range(5):
        s3_client.put_object(Bucket="bkt", Key=f"k{n}", Body=b"x")
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket="bkt", PaginationConfig={"PageSize": 2})
    assert [[o["Key"] for o in page["Contents"]] for page in pages] == [["k0", "k1"], ["k2", "k3"], ["k4"]]
    sns_client = sim.client("sns")
    for n in range(3):
        sns_client.create_topic(Name=f"t{n}")
    topics = sns_client.get_paginator("list_topics").paginate().build_full_result()["Topics"]
    assert len(topics) == 3
    events_client = sim.client("events")
    for n in range(4):
        events_client.put_rule(Name=f"r{n}", EventPattern=json.dumps({"source": ["x"]}))
    rules = events_client.get_paginator("list_rules").paginate(PaginationConfig={"PageSize": 3})
    assert [len(page["Rules"]) for page in rules] == [3, 1]
    with pytest.raises(Exception, match="Operation cannot be paginated: put_events"):
        events_client.get_paginator("put_events")
