"""CloudWatch metrics with the boto3 resource, in the style of AWS's SDK examples (``cloudwatch_basics.py``):
the statistics of a Lambda function's ``Invocations`` metric over a period."""

from __future__ import annotations

import datetime
from typing import Any


class CloudWatchWrapper:
    """Encapsulates CloudWatch metric functions."""

    def __init__(self, cloudwatch_resource: Any) -> None:
        self.cloudwatch_resource = cloudwatch_resource

    def get_metric_statistics(
        self, namespace: str, name: str, start: datetime.datetime, end: datetime.datetime, period: int, stat: str,
        dimensions: list[dict[str, str]],
    ) -> dict[str, Any]:  # fmt: skip
        metric = self.cloudwatch_resource.Metric(namespace, name)
        stats = metric.get_statistics(
            Dimensions=dimensions, StartTime=start, EndTime=end, Period=period, Statistics=[stat]
        )
        return dict(stats)


def invocations_per_minute(cloudwatch: Any, function_name: str, start: datetime.datetime, minutes: int) -> list[Any]:
    """``[(minute start, Sum of Invocations)]`` over ``minutes`` from ``start``, in time order."""
    stats = CloudWatchWrapper(cloudwatch).get_metric_statistics(
        "AWS/Lambda",
        "Invocations",
        start,
        start + datetime.timedelta(minutes=minutes),
        60,
        "Sum",
        [{"Name": "FunctionName", "Value": function_name}],
    )
    return sorted((point["Timestamp"], point["Sum"]) for point in stats["Datapoints"])
