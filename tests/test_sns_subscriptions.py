"""SNS subscription attributes: filter policies that filter (a matrix on attributes and on the body), SNS's words for
bad policies (recorded on AWS), raw delivery and redrive; email, SMS and phone-number publishes (counted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.sns import filter_policy

ATTRS: dict[str, dict[str, str]] = {
    "store": {"DataType": "String", "StringValue": "example_corp"},
    "event": {"DataType": "String", "StringValue": "order_placed"},
    "price_usd": {"DataType": "Number", "StringValue": "210.75"},
    "interests": {"DataType": "String.Array", "StringValue": '["soccer", "rugby", 5]'},
    "ip": {"DataType": "String", "StringValue": "10.0.0.7"},
    "blob": {"DataType": "Binary", "BinaryValue": "AAE="},
}


@pytest.mark.parametrize(
    ("policy", "passes"),
    [
        ({"store": ["example_corp"]}, True),
        ({"store": ["other_corp"]}, False),
        ({"store": ["other_corp", "example_corp"]}, True),  # OR of values
        ({"store": ["example_corp"], "event": ["order_cancelled"]}, False),  # AND of keys
        ({"store": [{"prefix": "example"}]}, True),
        ({"store": [{"suffix": "_corp"}]}, True),
        ({"store": [{"equals-ignore-case": "EXAMPLE_CORP"}]}, True),
        ({"event": [{"anything-but": ["order_placed", "order_cancelled"]}]}, False),
        ({"event": [{"anything-but": "order_cancelled"}]}, True),
        ({"event": [{"anything-but": {"prefix": "order"}}]}, False),
        ({"missing": [{"anything-but": "x"}]}, False),  # anything-but needs the attribute
        ({"price_usd": [{"numeric": [">", 100, "<=", 210.75]}]}, True),
        ({"price_usd": [{"numeric": ["<", 100]}]}, False),
        ({"price_usd": [210.75]}, True),  # a number matches a Number attribute
        ({"price_usd": ["210.75"]}, False),  # a string does not
        ({"store": [{"numeric": [">", 0]}]}, False),  # numeric needs a Number attribute
        ({"interests": ["rugby"]}, True),  # String.Array: any element
        ({"interests": [5]}, True),
        ({"interests": ["tennis"]}, False),
        ({"coupon": [{"exists": False}]}, True),
        ({"coupon": [{"exists": True}]}, False),
        ({"blob": [{"exists": True}]}, True),
        ({"blob": ["AAE="]}, False),  # binary attributes match nothing but exists
        ({"ip": [{"cidr": "10.0.0.0/24"}]}, True),
        ({"ip": [{"cidr": "10.0.1.0/24"}]}, False),
        ({"$or": [{"store": ["nope"]}, {"price_usd": [{"numeric": [">=", 200]}]}]}, True),
        ({}, True),
    ],
)
def test_attribute_policy_matrix(policy: dict[str, Any], passes: bool) -> None:
    checked = filter_policy.parse(json.dumps(policy), "MessageAttributes")
    assert filter_policy.matches(checked, filter_policy.attribute_values(ATTRS)) is passes


BODY = {"order": {"id": 7, "total": 120.5, "tags": ["vip", "new"], "customer": {"tier": "gold"}, "coupon": None}}


@pytest.mark.parametrize(
    ("policy", "passes"),
    [
        ({"order": {"customer": {"tier": ["gold"]}}}, True),  # nested keys
        ({"order": {"customer": {"tier": ["silver"]}}}, False),
        ({"order": {"total": [{"numeric": [">", 100]}]}}, True),
        ({"order": {"tags": ["new"]}}, True),
        ({"order": {"coupon": [None]}}, True),
        ({"order": {"id": ["7"]}}, False),
        ({"order": {"nope": [{"exists": False}]}}, True),
    ],
)
def test_body_policy_matrix(policy: dict[str, Any], passes: bool) -> None:
    checked = filter_policy.parse(json.dumps(policy), "MessageBody")
    assert filter_policy.matches(checked, BODY) is passes


@pytest.mark.parametrize(
    ("policy", "reason"),
    [  # recorded on AWS (LocalStack's snapshots), without Jackson's location suffix
        ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
        ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
        ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
        ({"key": []}, "Empty arrays are not allowed"),
        ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
        ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
        ({"key": [{"cidr": ["bad-filter"]}]}, "prefix match pattern must be a string"),
        ({"key": [{"cidr": "bad-filter"}]}, "Malformed CIDR, one '/' required"),
        ({"key": [{"cidr": "xx.11.xx/8"}]}, "Nonstandard IP address: xx.11.xx"),
        ({"key": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
        ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
        ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
        ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
        ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
        ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
        ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
        ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
        ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
        ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
        ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
        ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
        ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
        ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
        ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
        ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
        ({f"k{n}": ["v"] for n in range(6)}, "Filter policy can not have more than 5 keys"),
        ({"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}, "Filter policy is too complex"),
    ],
)
def test_bad_policies_in_sns_words(policy: dict[str, Any], reason: str) -> None:
    with pytest.raises(filter_policy.FilterPolicyError) as exc:
        filter_policy.parse(json.dumps(policy), "MessageAttributes")
    assert exc.value.reason == reason


def topic_and_queue(sim: ls.Simulation, *, raw: bool = True) -> tuple[str, str, str]:
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true" if raw else "false"}
    )["SubscriptionArn"]
    return topic, url, sub


def bodies(sim: ls.Simulation, url: str) -> list[str]:
    """The queue's messages, taken off it."""
    sqs = sim.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [m["Body"] for m in messages]


def test_set_subscription_attributes_filters_later_publishes() -> None:
    sim = ls.Simulation(seed=1)
    sns = sim.client("sns")
    topic, url, sub = topic_and_queue(sim)
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"kind": ["big"]})
    )
    for kind in ("small", "big"):
        sns.publish(
            TopicArn=topic, Message=kind, MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}}
        )
    assert bodies(sim, url) == ["big"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["FilterPolicy"] == '{"kind": ["big"]}'
    assert attrs["FilterPolicyScope"] == "MessageAttributes"
    assert attrs["RawMessageDelivery"] == "true"
    assert attrs["PendingConfirmation"] == "false"
    # The body scope, then the policy removed.
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub,
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"size": {"kg": [{"numeric": [">", 5]}]}}),
    )
    sns.publish(TopicArn=topic, Message=json.dumps({"size": {"kg": 3}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"size": {"kg": 9}}))
    sns.publish(TopicArn=topic, Message="not json")
    assert bodies(sim, url) == [json.dumps({"size": {"kg": 9}})]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sim.services.sns.subscription(sub).filtered == 3  # type: ignore[union-attr]


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ls.ClientError) as exc:
        call(**params)
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_subscription_attribute_errors_in_sns_words() -> None:
    sim = ls.Simulation(seed=1)
    sns = sim.client("sns")
    topic, _url, sub = topic_and_queue(sim)
    set_attr = sns.set_subscription_attributes
    assert error_of(set_attr, SubscriptionArn=sub, AttributeName="Nope", AttributeValue="x") == (
        "InvalidParameter",
        "Invalid parameter: AttributeName",
    )
    assert error_of(set_attr, SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="test-ValUe") == (
        "InvalidParameter",
        "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.",
    )
    assert error_of(set_attr, SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="RandomValue") == (
        "InvalidParameter",
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or "
        "MessageAttributes",
    )
    assert error_of(
        set_attr, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"a": {"b": ["c"]}})
    ) == (
        "InvalidParameter",
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
    )
    assert error_of(
        set_attr, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"key_a": "value_one"})
    ) == ("InvalidParameter", 'Invalid parameter: FilterPolicy: "key_a" must be an object or an array')
    assert error_of(
        set_attr,
        SubscriptionArn=sub,
        AttributeName="RedrivePolicy",
        AttributeValue=json.dumps({"deadLetterTargetArn": "x"}),
    ) == ("InvalidParameter", "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
    assert error_of(set_attr, SubscriptionArn=sub + "0", AttributeName="RawMessageDelivery", AttributeValue="true") == (
        "NotFound",
        "Subscription does not exist",
    )
    _code, message = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:other",
        Attributes={"RawMessageDelivery": "wrongvalue"},
    )
    assert message == (
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false."
    )
    _code, message = error_of(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:other",
        Attributes={"FilterPolicy": json.dumps({"key": []})},
    )
    assert message == "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"


def test_subscribe_with_a_body_policy_checks_it_against_its_scope() -> None:
    sim = ls.Simulation(seed=1)
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:q",
        Attributes={"FilterPolicy": json.dumps({"a": {"b": ["c"]}}), "FilterPolicyScope": "MessageBody"},
    )["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message=json.dumps({"a": {"b": "c"}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"a": {"b": "d"}}))
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["FilterPolicyScope"] == "MessageBody"


def test_redrive_policy_catches_what_cannot_be_delivered() -> None:
    sim = ls.Simulation(seed=1)
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic, url, sub = topic_and_queue(sim, raw=False)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    sns.set_subscription_attributes(
        SubscriptionArn=sub,
        AttributeName="RedrivePolicy",
        AttributeValue=json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}),
    )
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="lost?")
    (message,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert json.loads(message["Body"])["Message"] == "lost?"
    state = sim.services.sns.subscription(sub)
    assert state is not None and (state.failed, state.redriven) == (1, 1)


def test_email_and_sms_subscriptions_are_counted_not_delivered() -> None:
    sim = ls.Simulation(seed=1)
    sns = sim.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"] == (
        "pending confirmation"
    )
    email = sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="dev@example.com", ReturnSubscriptionArn=True)
    sms = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+12/34-567.890")["SubscriptionArn"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsConfirmed"], attrs["SubscriptionsPending"]) == ("1", "2")
    pending = sns.get_subscription_attributes(SubscriptionArn=email["SubscriptionArn"])["Attributes"]
    assert (pending["PendingConfirmation"], pending["ConfirmationWasAuthenticated"]) == ("true", "false")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(s["SubscriptionArn"] for s in listed)[:2] == ["PendingConfirmation", "PendingConfirmation"]
    sns.publish(TopicArn=topic, Message="hello")
    subs = sim.services.sns.topics[topic].subscriptions
    assert sorted((s.protocol, s.delivered) for s in subs.values()) == [("email", 0), ("email-json", 0), ("sms", 1)]
    assert sms in subs
    assert error_of(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint="+15--551234567") == (
        "InvalidParameter",
        "Invalid SMS endpoint: +15--551234567",
    )
    assert error_of(sns.subscribe, TopicArn=topic, Protocol="email", Endpoint="not-an-address") == (
        "InvalidParameter",
        "Invalid parameter: Email address",
    )


def test_publish_to_a_phone_number_is_counted() -> None:
    sim = ls.Simulation(seed=1)
    sns = sim.client("sns")
    assert "MessageId" in sns.publish(PhoneNumber="+33000000000", Message="This is a SMS")
    assert sim.services.sns.sms_published == 1
    assert error_of(sns.publish, PhoneNumber="+1a234", Message="x") == (
        "InvalidParameter",
        "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to",
    )
    assert sim.services.sns.sms_published == 1


def test_topics_count_in_aws_sns_metrics() -> None:
    sim = ls.Simulation(seed=1)
    sns, sqs, cw = sim.client("sns"), sim.client("sqs"), sim.client("cloudwatch")
    topic, url, sub = topic_and_queue(sim)
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+12065550100")
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"kind": ["keep"]})
    )
    keep = {"kind": {"DataType": "String", "StringValue": "keep"}}
    sns.publish(TopicArn=topic, Message="1", MessageAttributes=keep)  # queue + sms
    sns.publish(TopicArn=topic, Message="2")  # sms; filtered out of the queue
    sim.run(until=70)
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="3", MessageAttributes=keep)  # sms; the queue is gone: failed
    sim.run(until=130)
    start = sim.start

    def sums(metric: str) -> list[float]:
        points = cw.get_metric_statistics(
            Namespace="AWS/SNS",
            MetricName=metric,
            Dimensions=[{"Name": "TopicName", "Value": "orders"}],
            StartTime=start,
            EndTime=start.timestamp() + 180,
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return [p["Sum"] for p in points]

    assert sums("NumberOfMessagesPublished") == [2.0, 1.0]
    assert sums("NumberOfNotificationsDelivered") == [3.0, 1.0]
    assert sums("NumberOfNotificationsFilteredOut") == [1.0]
    assert sums("NumberOfNotificationsFailed") == [1.0]
    listed = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/SNS")["Metrics"]}
    assert listed == {
        "NumberOfMessagesPublished",
        "NumberOfNotificationsDelivered",
        "NumberOfNotificationsFailed",
        "NumberOfNotificationsFilteredOut",
    }
