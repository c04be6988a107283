"""A stream's CloudWatch counts (namespace ``AWS/Kinesis``, dimension ``StreamName``), per period of
``Settings.metrics_period_s``, read through ``sim.client("cloudwatch")``.

[doc] ``IncomingRecords`` and ``IncomingBytes`` (records and bytes written), ``WriteProvisionedThroughputExceeded``
(records refused by a shard's write limits), ``GetRecords.Records`` (records Lambda's pollers read); one datapoint
per period with a count (``Sum`` is the count). DynamoDB streams are not in ``AWS/Kinesis``: their figures are in
the run's results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdasim.core.metrics import Aggregate

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["COUNTS", "NAMESPACE", "STREAM_DIMENSION", "UNITS", "StreamMetrics", "kinesis_series"]

NAMESPACE = "AWS/Kinesis"
STREAM_DIMENSION = "StreamName"
COUNTS = ("IncomingRecords", "IncomingBytes", "WriteProvisionedThroughputExceeded", "GetRecords.Records")
UNITS = {**{m: "Count" for m in COUNTS}, "IncomingBytes": "Bytes"}


class StreamMetrics:
    """One stream's per-period counts."""

    __slots__ = ("counts", "period_s")

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.counts: dict[str, dict[int, int]] = {m: {} for m in COUNTS}

    def count(self, metric: str, now: float, n: int = 1) -> None:
        """Count ``n`` of ``metric`` at ``now``."""
        index = int(now // self.period_s)
        series = self.counts[metric]
        series[index] = series.get(index, 0) + n

    def series(self, metric: str) -> dict[int, Aggregate]:
        """``{period index: aggregate}`` of ``metric``."""
        return {i: Aggregate.of_value(n) for i, n in sorted(self.counts.get(metric, {}).items())}

    def metrics_with_data(self) -> list[str]:
        """The metrics with at least one datapoint."""
        return [m for m in COUNTS if self.counts[m]]


def kinesis_series(sim: Simulation, metric: str, dimensions: list[dict[str, str]]) -> dict[int, Aggregate]:
    """The series of ``metric`` for the stream a ``StreamName`` dimension names (empty when nothing matches)."""
    if metric not in UNITS or len(dimensions) != 1 or dimensions[0].get("Name") != STREAM_DIMENSION:
        return {}
    stream = sim.services.kinesis.streams.get(dimensions[0].get("Value", ""))
    return {} if stream is None else stream.metrics.series(metric)


ITERATOR_AGE = "IteratorAge"
"""[doc] ``AWS/Lambda`` ``IteratorAge`` (milliseconds): for stream mappings, the age of the last record of each batch
when it was invoked; per function (dimension ``FunctionName``) and account-wide."""


def iterator_age_series(sim: Simulation, dimensions: list[dict[str, str]]) -> dict[int, Aggregate]:
    """``IteratorAge`` of the function a ``FunctionName`` dimension names, or of every function without one."""
    from lambdasim.aws.lambda_.esm import esm_service

    ages = esm_service(sim).iterator_ages
    if not dimensions:
        sources = list(ages.values())
    elif len(dimensions) == 1 and dimensions[0].get("Name") == "FunctionName":
        found = ages.get(dimensions[0].get("Value", ""))
        sources = [] if found is None else [found]
    else:
        return {}
    out: dict[int, Aggregate] = {}
    for series in sources:
        for index, agg in series.items():
            mine = out.get(index)
            if mine is None:
                mine = out[index] = Aggregate()
            mine.merge(agg)
    return dict(sorted(out.items()))
