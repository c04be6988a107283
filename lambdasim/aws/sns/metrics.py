"""A topic's CloudWatch metrics (namespace ``AWS/SNS``, dimension ``TopicName``), per period of
``Settings.metrics_period_s`` (60 s by default), read through ``sim.client("cloudwatch")`` (and so by alarms).

Counts [doc: https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html]:
``NumberOfMessagesPublished`` (each accepted publish), ``NumberOfNotificationsDelivered`` (each delivery to a
subscriber; for email and SMS subscribers, each message that would have been sent [model]),
``NumberOfNotificationsFailed`` and ``NumberOfNotificationsFilteredOut`` (turned away by a filter policy); one
datapoint per period with a count (``Sum`` is the count), as the queues' counts in :mod:`lambdasim.aws.sqs.metrics`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdasim.core.metrics import Aggregate

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = ["COUNTS", "NAMESPACE", "TOPIC_DIMENSION", "UNITS", "TopicMetrics", "sns_series"]

NAMESPACE = "AWS/SNS"
TOPIC_DIMENSION = "TopicName"
COUNTS = (
    "NumberOfMessagesPublished",
    "NumberOfNotificationsDelivered",
    "NumberOfNotificationsFailed",
    "NumberOfNotificationsFilteredOut",
)
UNITS = dict.fromkeys(COUNTS, "Count")


class TopicMetrics:
    """One topic's per-period counts."""

    __slots__ = ("counts", "period_s")

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.counts: dict[str, dict[int, int]] = {m: {} for m in COUNTS}

    def count(self, metric: str, now: float, n: int = 1) -> None:
        """Count ``n`` of ``metric`` at ``now`` (simulated s)."""
        series = self.counts[metric]
        index = int(now // self.period_s)
        series[index] = series.get(index, 0) + n

    def series(self, metric: str) -> dict[int, Aggregate]:
        """``{period index: aggregate}`` of ``metric``."""
        return {i: Aggregate.of_value(n) for i, n in sorted(self.counts.get(metric, {}).items())}

    def metrics_with_data(self) -> list[str]:
        return [m for m in COUNTS if self.counts[m]]


def sns_series(services: Services, metric: str, dimensions: list[dict[str, str]]) -> dict[int, Aggregate]:
    """The series of ``metric`` for the topic a ``TopicName`` dimension names (empty when nothing matches)."""
    if metric not in UNITS or len(dimensions) != 1 or dimensions[0].get("Name") != TOPIC_DIMENSION:
        return {}
    name = dimensions[0].get("Value", "")
    arn = f"arn:aws:sns:{services.region}:{services.account_id}:{name}"
    topic = services.sns.by_arn(arn)
    return {} if topic is None else topic.metrics.series(metric)
