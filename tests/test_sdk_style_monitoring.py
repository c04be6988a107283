"""Programs in the style of AWS's published SDK for Python examples (wrapper classes taking a client, a scenario
that drives them, ``botocore.exceptions.ClientError`` caught as the examples catch it), run unchanged against
``sim.client(...)``: an alarm on a Lambda function's Errors whose topic feeds an SQS queue, an SNS fan-out with
filter policies, and an S3 copy-and-clean-up with waiters."""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

import lambdasim as ls

logger = logging.getLogger(__name__)


class CloudWatchWrapper:
    """Encapsulates Amazon CloudWatch functions (a client, as in AWS's examples)."""

    def __init__(self, cloudwatch_client: Any) -> None:
        self.cloudwatch_client = cloudwatch_client

    def create_metric_alarm(
        self,
        namespace: str,
        name: str,
        dimensions: list[dict[str, str]],
        alarm_name: str,
        stat_type: str,
        period: int,
        eval_periods: int,
        threshold: float,
        comparison_op: str,
        topic_arn: str,
    ) -> None:
        try:
            self.cloudwatch_client.put_metric_alarm(
                AlarmName=alarm_name,
                Namespace=namespace,
                MetricName=name,
                Dimensions=dimensions,
                Statistic=stat_type,
                Period=period,
                EvaluationPeriods=eval_periods,
                Threshold=threshold,
                ComparisonOperator=comparison_op,
                AlarmActions=[topic_arn],
                OKActions=[topic_arn],
            )
            logger.info("Added alarm %s to track metric %s.%s.", alarm_name, namespace, name)
        except ClientError:
            logger.exception("Couldn't add alarm %s to metric %s.%s", alarm_name, namespace, name)
            raise

    def get_metric_alarms(self, namespace: str, name: str, dimensions: list[dict[str, str]]) -> list[dict[str, Any]]:
        try:
            return list(
                self.cloudwatch_client.describe_alarms_for_metric(
                    Namespace=namespace, MetricName=name, Dimensions=dimensions
                )["MetricAlarms"]
            )
        except ClientError:
            logger.exception("Couldn't get alarms for metric %s.%s.", namespace, name)
            raise

    def enable_alarm_actions(self, alarm_name: str, enable: bool) -> None:
        try:
            if enable:
                self.cloudwatch_client.enable_alarm_actions(AlarmNames=[alarm_name])
            else:
                self.cloudwatch_client.disable_alarm_actions(AlarmNames=[alarm_name])
        except ClientError:
            logger.exception("Couldn't %s actions alarm %s.", "enable" if enable else "disable", alarm_name)
            raise

    def delete_metric_alarms(self, namespace: str, name: str, dimensions: list[dict[str, str]]) -> None:
        alarms = self.get_metric_alarms(namespace, name, dimensions)
        self.cloudwatch_client.delete_alarms(AlarmNames=[a["AlarmName"] for a in alarms])


class SnsWrapper:
    """Encapsulates Amazon SNS topic and subscription functions."""

    def __init__(self, sns_client: Any) -> None:
        self.sns_client = sns_client

    def create_topic(self, name: str) -> str:
        return str(self.sns_client.create_topic(Name=name)["TopicArn"])

    def subscribe(self, topic_arn: str, protocol: str, endpoint: str) -> str:
        try:
            return str(
                self.sns_client.subscribe(
                    TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
                )["SubscriptionArn"]
            )
        except ClientError:
            logger.exception("Couldn't subscribe %s %s to topic %s.", protocol, endpoint, topic_arn)
            raise

    @staticmethod
    def add_subscription_filter(sns_client: Any, subscription_arn: str, attributes: dict[str, list[str]]) -> None:
        try:
            sns_client.set_subscription_attributes(
                SubscriptionArn=subscription_arn, AttributeName="FilterPolicy", AttributeValue=json.dumps(attributes)
            )
        except ClientError:
            logger.exception("Couldn't add filter to subscription %s.", subscription_arn)
            raise

    def publish_message(self, topic_arn: str, message: str, attributes: dict[str, str]) -> str:
        att_dict = {key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()}
        return str(
            self.sns_client.publish(TopicArn=topic_arn, Message=message, MessageAttributes=att_dict)["MessageId"]
        )

    def publish_text_message(self, phone_number: str, message: str) -> str:
        return str(self.sns_client.publish(PhoneNumber=phone_number, Message=message)["MessageId"])


def queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def test_alarm_on_a_functions_errors_notifies_a_queue_through_its_topic() -> None:
    sim = ls.Simulation(seed=11)
    lam, sqs, sns = sim.client("lambda"), sim.client("sqs"), sim.client("sns")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["n"] >= 30:  # from the 30th event (t = 300 s) on, every call fails
            raise ValueError("downstream is down")
        return {}

    lam.create_function(FunctionName="orders", Handler=handler, Duration=0.5)
    lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=0)
    topics = SnsWrapper(sns)
    topic = topics.create_topic("ops-alarms")
    inbox = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    topics.subscribe(topic, "sqs", queue_arn(sqs, inbox))
    watcher = CloudWatchWrapper(sim.client("cloudwatch"))
    dims = [{"Name": "FunctionName", "Value": "orders"}]
    watcher.create_metric_alarm(
        "AWS/Lambda", "Errors", dims, "orders-errors", "Sum", 60, 2, 0, "GreaterThanThreshold", topic
    )

    for n in range(60):  # one event every 10 s for 10 minutes
        sim.run(until=n * 10 + 1)
        lam.invoke(FunctionName="orders", InvocationType="Event", Payload=json.dumps({"n": n}))
    sim.run(until=601)

    (alarm,) = watcher.get_metric_alarms("AWS/Lambda", "Errors", dims)
    assert alarm["StateValue"] == "ALARM"
    notes = [
        json.loads(json.loads(m["Body"])["Message"])
        for m in sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    ]
    # OK after the first minute; ALARM when both of the last two minutes had errors: at 420 s.
    assert [(n["OldStateValue"], n["NewStateValue"], n["StateChangeTime"]) for n in notes] == [
        ("INSUFFICIENT_DATA", "OK", "2026-01-01T00:01:00.000+0000"),
        ("OK", "ALARM", "2026-01-01T00:07:00.000+0000"),
    ]
    assert notes[1]["NewStateReason"].startswith(
        "Threshold Crossed: 2 out of the last 2 datapoints [6.0 (01/01/26 00:06:00)"
    )
    watcher.enable_alarm_actions("orders-errors", False)
    watcher.delete_metric_alarms("AWS/Lambda", "Errors", dims)
    sim.run()  # nothing left to evaluate: the run ends
    try:
        sim.client("cloudwatch").set_alarm_state(AlarmName="orders-errors", StateValue="OK", StateReason="gone")
    except ClientError as err:
        assert err.response["Error"]["Code"] == "ResourceNotFound"
    else:  # pragma: no cover - the alarm was deleted
        raise AssertionError("set_alarm_state on a deleted alarm succeeded")


def test_sns_fan_out_with_a_filter_and_a_text_message() -> None:
    sim = ls.Simulation(seed=3)
    sqs, sns = sim.client("sqs"), sim.client("sns")
    wrapper = SnsWrapper(sns)
    topic = wrapper.create_topic("orders")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("all", "big")}
    wrapper.subscribe(topic, "sqs", queue_arn(sqs, urls["all"]))
    big = wrapper.subscribe(topic, "sqs", queue_arn(sqs, urls["big"]))
    SnsWrapper.add_subscription_filter(sns, big, {"size": ["big", "huge"]})
    wrapper.subscribe(topic, "email", "ops@example.com")
    for size in ("small", "big", "huge"):
        wrapper.publish_message(topic, f"a {size} order", {"size": size})
    wrapper.publish_text_message("+12065550100", "an order arrived")
    got = {
        name: sorted(
            json.loads(m["Body"])["Message"]
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        )
        for name, url in urls.items()
    }
    assert got == {"all": ["a big order", "a huge order", "a small order"], "big": ["a big order", "a huge order"]}
    assert sim.services.sns.sms_published == 1


def test_s3_copy_and_clean_up_with_waiters() -> None:
    sim = ls.Simulation(seed=3)
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="src-bucket")
    s3.get_waiter("bucket_exists").wait(Bucket="src-bucket")
    s3.put_object(Bucket="src-bucket", Key="reports/2026-01.csv", Body=b"a,b\n1,2\n")
    s3.copy_object(
        CopySource={"Bucket": "src-bucket", "Key": "reports/2026-01.csv"},
        Bucket="src-bucket",
        Key="archive/2026-01.csv",
    )
    s3.get_waiter("object_exists").wait(Bucket="src-bucket", Key="archive/2026-01.csv")
    keys = [
        o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="src-bucket") for o in page["Contents"]
    ]
    assert keys == ["archive/2026-01.csv", "reports/2026-01.csv"]
    etag = s3.head_object(Bucket="src-bucket", Key="reports/2026-01.csv")["ETag"]
    try:
        s3.head_object(Bucket="src-bucket", Key="reports/2026-01.csv", IfNoneMatch=etag)
    except ClientError as err:
        assert err.response["Error"]["Code"] == "304"
    else:  # pragma: no cover - the ETag matches
        raise AssertionError("a matching If-None-Match did not answer 304")
    response = s3.delete_objects(Bucket="src-bucket", Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    assert "Errors" not in response
    s3.get_waiter("object_not_exists").wait(Bucket="src-bucket", Key="archive/2026-01.csv")
    s3.delete_bucket(Bucket="src-bucket")
    s3.get_waiter("bucket_not_exists").wait(Bucket="src-bucket")
    assert sim.now == 0.0  # every waiter's first poll succeeded: the clock never moved
