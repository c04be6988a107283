"""The answers of the CloudWatch, SNS and S3 operations lambdasim added for the SDK examples are botocore's output
shapes: every member is one the model has, of the model's type, at every depth (what botocore's parser would give)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

import lambdasim as ls
from lambdasim.aws.paginators import xform_name

SESSION = botocore.session.get_session()
SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (float, int),
    "float": (float, int),
    "timestamp": (dt.datetime,),
    "blob": (bytes,),
}


def problems(value: Any, shape: Shape, path: str) -> list[str]:
    """Where ``value`` departs from botocore's ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not a structure"]
        out = []
        for key, item in value.items():
            if key == "ResponseMetadata" and path == "":
                continue
            member = shape.members.get(key)  # type: ignore[attr-defined]
            if member is None:
                out.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                out += problems(item, member, f"{path}.{key}")
        return out
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, not a list"]
        return [p for i, item in enumerate(value) for p in problems(item, shape.member, f"{path}[{i}]")]  # type: ignore[attr-defined]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not a map"]
        return [p for k, item in value.items() for p in problems(item, shape.value, f"{path}.{k}")]  # type: ignore[attr-defined]
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{path}: {value!r} is not a boolean"]
    if kind in ("integer", "long", "double", "float") and isinstance(value, bool):
        return [f"{path}: {value!r} is a boolean"]
    allowed = SCALARS.get(kind)
    if allowed is not None and not isinstance(value, allowed):
        return [f"{path}: {value!r} is not a {kind}"]
    return []


def world() -> ls.Simulation:
    sim = ls.Simulation(seed=2)
    sns, sqs, s3, cw = (sim.client(s) for s in ("sns", "sqs", "s3", "cloudwatch"))
    topic = sns.create_topic(Name="t")["TopicArn"]
    sqs.create_queue(QueueName="q")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="k", Body=b"x")
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 5}])
    cw.put_metric_alarm(
        AlarmName="a",
        AlarmDescription="orders",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic],
    )
    sim.run(until=61)
    return sim


CALLS: list[tuple[str, str, Callable[[ls.Simulation], dict[str, Any]]]] = [
    ("cloudwatch", "DescribeAlarms", lambda sim: {}),
    ("cloudwatch", "DescribeAlarmsForMetric", lambda sim: {"Namespace": "Shop", "MetricName": "Orders"}),
    ("cloudwatch", "DescribeAlarmHistory", lambda sim: {}),
    ("cloudwatch", "PutMetricData", lambda sim: {"Namespace": "Shop", "MetricData": [{"MetricName": "x", "Value": 1}]}),
    ("cloudwatch", "SetAlarmState", lambda sim: {"AlarmName": "a", "StateValue": "OK", "StateReason": "r"}),
    ("cloudwatch", "EnableAlarmActions", lambda sim: {"AlarmNames": ["a"]}),
    ("cloudwatch", "DisableAlarmActions", lambda sim: {"AlarmNames": ["a"]}),
    ("cloudwatch", "DeleteAlarms", lambda sim: {"AlarmNames": ["a"]}),
    (
        "sns",
        "GetSubscriptionAttributes",
        lambda sim: {"SubscriptionArn": next(iter(next(iter(sim.services.sns.topics.values())).subscriptions))},
    ),
    ("sns", "Publish", lambda sim: {"PhoneNumber": "+12065550100", "Message": "m"}),
    ("s3", "HeadBucket", lambda sim: {"Bucket": "bkt"}),
    ("s3", "HeadObject", lambda sim: {"Bucket": "bkt", "Key": "k"}),
    ("s3", "ListObjects", lambda sim: {"Bucket": "bkt"}),
    ("s3", "ListBuckets", lambda sim: {"MaxBuckets": 1}),
    ("s3", "CopyObject", lambda sim: {"Bucket": "bkt", "Key": "k2", "CopySource": "bkt/k"}),
    (
        "s3",
        "DeleteObjects",
        lambda sim: {"Bucket": "bkt", "Delete": {"Objects": [{"Key": "k"}, {"Key": "z", "VersionId": "v"}]}},
    ),
]


@pytest.mark.parametrize(("service", "op", "params"), CALLS, ids=[f"{s}-{o}" for s, o, _ in CALLS])
def test_answers_are_botocores_output_shapes(
    service: str, op: str, params: Callable[[ls.Simulation], dict[str, Any]]
) -> None:
    sim = world()
    answer = getattr(sim.client(service), xform_name(op))(**params(sim))
    shape = SESSION.get_service_model(service).operation_model(op).output_shape
    if shape is None:
        assert set(answer) == {"ResponseMetadata"}
        return
    assert problems(answer, shape, "") == []
    assert answer  # something was checked
    json.dumps(answer, default=str)


def test_the_checker_sees_a_wrong_member() -> None:
    shape = SESSION.get_service_model("cloudwatch").operation_model("DescribeAlarms").output_shape
    assert shape is not None
    assert problems({"MetricAlarms": [{"AlarmName": 1, "Nope": 2}]}, shape, "") == [
        ".MetricAlarms[0].AlarmName: 1 is not a string",
        ".MetricAlarms[0].Nope: not a member of MetricAlarm",
    ]
