"""S3 event notifications: the configuration's checks (events, filters, overlaps, destinations and the function's
resource policy), the event record, and delivery to a function (asynchronous invoke), a queue and a topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.errors import ParamValidationError
from lambdasim.aws.s3.notifications import EVENTS
from tests.outcome_helpers import ACCOUNT, REGION

FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"


class World:
    def __init__(self) -> None:
        self.sim = ls.Simulation(seed=2)
        self.lam, self.s3 = self.sim.client("lambda"), self.sim.client("s3")
        self.sqs, self.sns = self.sim.client("sqs"), self.sim.client("sns")
        self.got: list[tuple[float, dict[str, Any], int]] = []
        self.lam.create_function(FunctionName="f", Handler=lambda e, c: self.got.append((self.sim.now, e, 0)))
        self.s3.create_bucket(Bucket="bkt")

    def allow(self, source: str = "arn:aws:s3:::bkt") -> None:
        self.lam.add_permission(
            FunctionName="f",
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=source,
        )

    def put(self, config: dict[str, Any], **params: Any) -> dict[str, Any]:
        return dict(
            self.s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration=config, **params)
        )


def lambda_config(
    events: list[str], prefix: str | None = None, suffix: str | None = None, **extra: Any
) -> dict[str, Any]:
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    cfg: dict[str, Any] = {"LambdaFunctionArn": FN, "Events": events, **extra}
    if rules:
        cfg["Filter"] = {"Key": {"FilterRules": rules}}
    return cfg


def error(call: Any) -> dict[str, Any]:
    with pytest.raises(ls.ClientError) as err:
        call()
    return dict(err.value.response["Error"])


def test_event_names_are_botocores() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("s3")
    assert tuple(model.shape_for("Event").enum) == EVENTS


def test_the_function_gets_the_s3_event_record_as_an_asynchronous_invoke() -> None:
    w = World()
    w.allow()
    w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"], prefix="in/", Id="created")]})
    w.sim.run(until=5)
    etag = w.s3.put_object(Bucket="bkt", Key="in/a b.txt", Body=b"hello")["ETag"]
    w.s3.put_object(Bucket="bkt", Key="out/x", Body=b"skipped: prefix")
    w.sim.run()
    ((t, event, _),) = w.got
    assert t == 5.0
    (record,) = event["Records"]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == REGION
    assert record["eventTime"] == "2026-01-01T00:00:05.000Z"
    assert record["s3"]["configurationId"] == "created"
    assert record["s3"]["bucket"] == {
        "name": "bkt",
        "ownerIdentity": {"principalId": ACCOUNT},
        "arn": "arn:aws:s3:::bkt",
    }
    assert record["s3"]["object"] == {
        "key": "in/a+b.txt",
        "size": 5,
        "eTag": etag.strip('"'),
        "sequencer": "0000000000000001",
    }
    assert w.sim.results().stats("f").invocations == 1 and w.sim.results().outcomes("f")["Success"] == 1


def test_deletes_send_object_removed_and_sequencers_grow() -> None:
    w = World()
    w.allow()
    w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectRemoved:*"], suffix=".csv")]})
    w.s3.put_object(Bucket="bkt", Key="k.csv", Body=b"1")
    w.s3.delete_object(Bucket="bkt", Key="k.csv")
    w.s3.delete_object(Bucket="bkt", Key="k.csv")  # nothing there: no event
    w.sim.run()
    ((_, event, _),) = w.got
    obj = event["Records"][0]["s3"]["object"]
    assert event["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    assert obj == {"key": "k.csv", "sequencer": "0000000000000002"}


def test_queue_and_topic_destinations_get_a_test_event_then_the_records() -> None:
    w = World()
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bkt"}},
                }
            ]
        }
    )
    url = w.sqs.create_queue(QueueName="q", Attributes={"Policy": policy})["QueueUrl"]
    topic_policy = policy.replace("sqs:SendMessage", "sns:Publish")
    topic = w.sns.create_topic(Name="t", Attributes={"Policy": topic_policy})["TopicArn"]
    sub_url = w.sqs.create_queue(QueueName="fanout")["QueueUrl"]
    w.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:fanout")
    w.put(
        {
            "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Put"]}],
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
        }
    )
    w.s3.put_object(Bucket="bkt", Key="k", Body=b"1")
    w.s3.delete_object(Bucket="bkt", Key="k")
    bodies = [json.loads(m["Body"]) for m in w.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies[0]["Event"] == "s3:TestEvent" and bodies[0]["Bucket"] == "bkt"
    assert bodies[1]["Records"][0]["eventName"] == "ObjectCreated:Put"
    notes = [json.loads(m["Body"]) for m in w.sqs.receive_message(QueueUrl=sub_url, MaxNumberOfMessages=10)["Messages"]]
    messages = [json.loads(n["Message"]) for n in notes]
    assert messages[0]["Event"] == "s3:TestEvent"
    assert messages[1]["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    assert notes[1]["Subject"] == "Amazon S3 Notification"


def test_destination_validation_needs_the_function_permission() -> None:
    w = World()
    got = error(lambda: w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"])]}))
    assert got == {
        "Code": "InvalidArgument",
        "Message": "Unable to validate the following destination configurations",
        "ArgumentName1": FN,
        "ArgumentValue1": f"Not authorized to invoke function [{FN}]",
    }
    w.allow(source="arn:aws:s3:::other-bucket")
    assert (
        error(lambda: w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"])]}))["Code"]
        == "InvalidArgument"
    )
    w.lam.remove_permission(FunctionName="f", StatementId="s3")
    w.allow()
    w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectCreated:*"])]})
    missing = {"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]}
    got = error(lambda: w.put(missing))
    assert got["ArgumentValue1"] == "The destination queue does not exist"
    w.sqs.create_queue(QueueName="q")
    got = error(lambda: w.put(missing))
    assert got["ArgumentValue1"].startswith("Permissions on the destination queue do not allow S3")
    w.put(missing, SkipDestinationValidation=True)
    assert list(w.s3.get_bucket_notification_configuration(Bucket="bkt")) == ["QueueConfigurations", "ResponseMetadata"]


def test_configuration_checks() -> None:
    w = World()
    w.allow()
    got = error(lambda: w.put({"LambdaFunctionConfigurations": [lambda_config(["s3:ObjectMade"])]}))
    assert (got["Code"], got["Message"]) == ("InvalidArgument", "The event is not supported for notifications")
    bad_rule = lambda_config(["s3:ObjectCreated:*"])
    bad_rule["Filter"] = {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}
    assert error(lambda: w.put({"LambdaFunctionConfigurations": [bad_rule]}))["Code"] == "InvalidArgument"
    two = lambda_config(["s3:ObjectCreated:*"])
    two["Filter"] = {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "a"}, {"Name": "prefix", "Value": "b"}]}}
    got = error(lambda: w.put({"LambdaFunctionConfigurations": [two]}))
    assert got["Message"] == "Cannot specify more than one prefix rule in a filter."
    overlapping = [
        lambda_config(["s3:ObjectCreated:*"], prefix="a/"),
        lambda_config(["s3:ObjectCreated:Put"], prefix="a/b/"),
    ]
    got = error(lambda: w.put({"LambdaFunctionConfigurations": overlapping}))
    assert got["Message"].startswith("Configurations overlap.")
    disjoint = [
        lambda_config(["s3:ObjectCreated:*"], prefix="a/"),
        lambda_config(["s3:ObjectCreated:Put"], prefix="b/"),
    ]
    w.put({"LambdaFunctionConfigurations": disjoint})
    # A missing required member or an unknown one: botocore refuses it before sending (S3 would say MalformedXML).
    with pytest.raises(ParamValidationError, match=r'Missing required parameter in .*: "LambdaFunctionArn"'):
        w.put({"LambdaFunctionConfigurations": [{"Events": ["s3:ObjectCreated:*"]}]})
    assert error(lambda: w.s3.get_bucket_notification_configuration(Bucket="nope"))["Code"] == "NoSuchBucket"
    assert error(lambda: w.put({"EventBridgeConfiguration": {}}))["ArgumentName"] == "EventBridgeConfiguration"
    with pytest.raises(
        ParamValidationError, match='Unknown parameter in NotificationConfiguration: "LambdaConfigurations"'
    ):
        w.put({"LambdaConfigurations": []})
    w.put({})
    assert set(w.s3.get_bucket_notification_configuration(Bucket="bkt")) == {"ResponseMetadata"}


def test_permissions_api() -> None:
    w = World()
    assert error(lambda: w.lam.get_policy(FunctionName="f"))["Code"] == "ResourceNotFoundException"
    resp = w.lam.add_permission(
        FunctionName="f",
        StatementId="a",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceAccount=ACCOUNT,
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(resp["Statement"]) == {
        "Sid": "a",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": FN,
        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}},
    }
    got = error(
        lambda: w.lam.add_permission(FunctionName="f", StatementId="a", Action="lambda:*", Principal="123456789012")
    )
    assert got["Code"] == "ResourceConflictException"
    policy = w.lam.get_policy(FunctionName="f")
    assert json.loads(policy["Policy"])["Statement"][0]["Sid"] == "a"
    got = error(lambda: w.lam.remove_permission(FunctionName="f", StatementId="a", RevisionId="stale"))
    assert got["Code"] == "PreconditionFailedException"
    w.lam.remove_permission(FunctionName="f", StatementId="a", RevisionId=policy["RevisionId"])
    got = error(lambda: w.lam.remove_permission(FunctionName="f", StatementId="a"))
    assert got["Message"] == "Statement a is not found in resource policy."
    with pytest.raises(ls.ParamValidationError):
        w.lam.add_permission(FunctionName="f", StatementId="a", Action="lambda:InvokeFunction")
