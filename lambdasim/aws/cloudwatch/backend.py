"""Simulated CloudWatch: the metrics it serves and the metric alarms that watch them, on the simulated clock.

The namespaces served: ``AWS/Lambda`` (the functions' metrics, :mod:`lambdasim.core.metrics`, and the stream
mappings' ``IteratorAge``), ``AWS/SQS`` (the queues', :mod:`lambdasim.aws.sqs.metrics`), ``AWS/SNS`` (the topics',
:mod:`lambdasim.aws.sns.metrics`), ``AWS/Kinesis`` (the streams', :mod:`lambdasim.aws.kinesis.metrics`) and custom
namespaces, which hold what ``PutMetricData`` put (:class:`CustomMetric`). Every period is aligned to the
simulation's start and is a multiple of ``Settings.metrics_period_s`` [model]. Alarms:
:mod:`lambdasim.aws.cloudwatch.alarms`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

from lambdasim.aws.kinesis import metrics as kinesis_metrics
from lambdasim.aws.sns import metrics as sns_metrics
from lambdasim.aws.sqs import metrics as sqs_metrics
from lambdasim.core.metrics import METRIC_UNITS, PEAK_METRICS, Aggregate, FunctionMetrics

if TYPE_CHECKING:
    from lambdasim.aws.account import Services
    from lambdasim.aws.cloudwatch.alarms import AlarmBook

LAMBDA_NAMESPACE = "AWS/Lambda"
FUNCTION_DIMENSION = "FunctionName"
SIMULATED: dict[str, dict[str, str]] = {
    LAMBDA_NAMESPACE: {**METRIC_UNITS, kinesis_metrics.ITERATOR_AGE: "Milliseconds"},
    sqs_metrics.NAMESPACE: sqs_metrics.UNITS,
    sns_metrics.NAMESPACE: sns_metrics.UNITS,
    kinesis_metrics.NAMESPACE: kinesis_metrics.UNITS,
}
"""The namespaces the simulation produces, with their metrics' units."""

DimensionKey = tuple[tuple[str, str], ...]
"""A metric's dimensions as a sorted tuple of ``(Name, Value)``: CloudWatch identifies a metric by the set."""


class Datapoint(Protocol):
    """What a datapoint is computed from: an :class:`~lambdasim.core.metrics.Aggregate` or a :class:`Tally`."""

    count: int

    def statistic(self, name: str) -> float: ...

    def percentile(self, q: float) -> float | None: ...


def dimension_key(dimensions: list[dict[str, Any]] | None) -> DimensionKey:
    return tuple(sorted((d["Name"], d["Value"]) for d in dimensions or []))


class Tally:
    """The statistics of the values put into one metric over one or more periods.

    Each value is kept (with its count) so that percentiles are exact (nearest rank) [model]; a ``StatisticValues``
    set carries no values, so a period that holds one has no percentiles, nor has one with a negative value
    (CloudWatch computes percentiles of non-negative values only [doc: CloudWatch percentiles]).
    """

    __slots__ = ("count", "maximum", "minimum", "total", "values")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self.values: list[tuple[float, int]] | None = []

    def add(self, value: float, count: int = 1) -> None:
        self.count += count
        self.total += value * count
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)
        if self.values is not None:
            self.values.append((value, count))

    def add_set(self, samples: float, total: float, minimum: float, maximum: float) -> None:
        """A ``StatisticValues`` set: ``samples`` samples summing to ``total``."""
        self.count += int(samples)
        self.total += total
        self.minimum = min(self.minimum, minimum)
        self.maximum = max(self.maximum, maximum)
        self.values = None

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if self.values is not None and other.values is not None:
            self.values.extend(other.values)
        else:
            self.values = None

    def statistic(self, name: str) -> float:
        if name == "SampleCount":
            return float(self.count)
        if name == "Sum":
            return self.total
        if name == "Average":
            return self.total / self.count if self.count else math.nan
        if name == "Minimum":
            return self.minimum
        return self.maximum

    def percentile(self, q: float) -> float | None:
        """Nearest rank, rounded up, over the sorted values (the rule of
        :meth:`lambdasim.core.metrics.Aggregate.percentile`); ``None`` for statistic sets or negative values."""
        if self.values is None or not self.count or self.minimum < 0:
            return None
        rank = math.ceil(q * (self.count - 1) - 1e-9)
        seen = 0
        for value, count in sorted(self.values):
            seen += count
            if seen > rank:
                return value
        return self.maximum


class CustomMetric:
    """One custom metric (namespace, name, dimensions): a :class:`Tally` per base period and unit."""

    __slots__ = ("periods",)

    def __init__(self) -> None:
        self.periods: dict[int, dict[str, Tally]] = {}

    def tally(self, index: int, unit: str) -> Tally:
        units = self.periods.setdefault(index, {})
        found = units.get(unit)
        if found is None:
            found = units[unit] = Tally()
        return found


class CloudWatchService:
    """The account's CloudWatch: custom metrics, reads of every namespace, and the alarms
    (:class:`~lambdasim.aws.cloudwatch.alarms.AlarmBook`, made on first use)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.custom: dict[tuple[str, str, DimensionKey], CustomMetric] = {}
        self._alarms: AlarmBook | None = None

    @property
    def alarms(self) -> AlarmBook:
        if self._alarms is None:
            from lambdasim.aws.cloudwatch.alarms import AlarmBook

            self._alarms = AlarmBook(self._services, self)
        return self._alarms

    def check_run_ends(self) -> None:
        """Raise ``ValueError`` if an alarm would keep ``sim.run()`` (without ``until``) from ever ending."""
        if self._alarms is not None:
            self._alarms.check_run_ends()

    # -- custom metrics -------------------------------------------------------------------------------------------

    @property
    def base_period_s(self) -> float:
        return float(self._services.sim.settings.metrics_period_s)

    def index_of(self, epoch_s: float) -> int:
        """The base period (``metrics_period_s`` long, counted from the simulation's start) holding Unix time
        ``epoch_s``."""
        return math.floor((epoch_s - self._services.sim.start.timestamp()) / self.base_period_s + 1e-9)

    def metric(self, namespace: str, name: str, dimensions: DimensionKey) -> CustomMetric:
        key = (namespace, name, dimensions)
        found = self.custom.get(key)
        if found is None:
            found = self.custom[key] = CustomMetric()
        return found

    # -- reads ----------------------------------------------------------------------------------------------------

    def unit(self, namespace: str, metric: str) -> str:
        """The unit of a simulated metric (``"None"`` for one the simulation does not have)."""
        return SIMULATED.get(namespace, METRIC_UNITS).get(metric, "None")

    def _function_sources(self, metric: str, dimensions: list[dict[str, Any]]) -> list[FunctionMetrics]:
        """The functions whose series of ``metric`` the dimensions select (none when nothing matches)."""
        if metric not in METRIC_UNITS:
            return []
        sim = self._services.sim
        functions = sim.engine.functions
        now = sim.now
        sim.engine.settle()  # count the throttles of parked events (lambdasim.core.backlog)
        if not dimensions:
            if metric in PEAK_METRICS:
                return []
            for fs in functions.values():
                fs.metrics.settle(now)
            return [fs.metrics for fs in functions.values()]
        if len(dimensions) != 1 or dimensions[0].get("Name") != FUNCTION_DIMENSION:
            return []
        found = functions.get(dimensions[0].get("Value", ""))
        if found is None:
            return []
        found.metrics.settle(now)
        return [found.metrics]

    def datapoints(
        self,
        namespace: str,
        metric: str,
        dimensions: list[dict[str, Any]],
        start: float,
        end: float,
        period: int,
        unit: str | None = None,
    ) -> tuple[dict[float, Datapoint], str]:
        """Per-period datapoints of ``period`` seconds whose base periods start in ``[start, end)`` (Unix times),
        keyed by the period's start (Unix time), and the unit to report. ``unit``: only data of that unit."""
        if namespace in SIMULATED:
            own = self.unit(namespace, metric)
            if unit is not None and unit != own:
                return {}, own
            if namespace == sqs_metrics.NAMESPACE:
                sources: list[Any] = [_FullResolution(sqs_metrics.sqs_series(self._services.sim, metric, dimensions))]
            elif namespace == sns_metrics.NAMESPACE:
                sources = [_FullResolution(sns_metrics.sns_series(self._services, metric, dimensions))]
            elif namespace == kinesis_metrics.NAMESPACE:
                sources = [_FullResolution(kinesis_metrics.kinesis_series(self._services.sim, metric, dimensions))]
            elif metric == kinesis_metrics.ITERATOR_AGE:
                sources = [_FullResolution(kinesis_metrics.iterator_age_series(self._services.sim, dimensions))]
            else:
                sources = self._function_sources(metric, dimensions)
            return dict(self._grouped(sources, metric, start, end, period)), own
        return self._custom_datapoints(namespace, metric, dimensions, start, end, period, unit)

    def _custom_datapoints(
        self,
        namespace: str,
        metric: str,
        dimensions: list[dict[str, Any]],
        start: float,
        end: float,
        period: int,
        unit: str | None,
    ) -> tuple[dict[float, Datapoint], str]:
        found = self.custom.get((namespace, metric, dimension_key(dimensions)))
        if found is None:
            return {}, unit or "None"
        base = self.base_period_s
        origin = self._services.sim.start.timestamp()
        out: dict[float, Tally] = {}
        units: set[str] = set()
        for index, by_unit in found.periods.items():
            t = index * base
            if not start <= origin + t < end:
                continue
            group = origin + math.floor(t / period + 1e-9) * period
            for u, tally in by_unit.items():
                if unit is not None and u != unit:
                    continue
                units.add(u)
                mine = out.get(group)
                if mine is None:
                    mine = out[group] = Tally()
                mine.merge(tally)
        reported = unit if unit is not None else (units.pop() if len(units) == 1 else "None")
        return dict(out), reported

    def _grouped(
        self, sources: list[Any], metric: str, start: float, end: float, period: int
    ) -> dict[float, Aggregate]:
        """Per-period aggregates of ``period`` seconds whose base periods start in ``[start, end)`` (Unix times).

        A rolled-up bucket of older periods (:mod:`lambdasim.core.metrics`) counts only towards a ``period`` that holds
        it whole; for a finer one it gives no datapoint, as CloudWatch gives none for a period finer than the
        resolution it keeps for old data.
        """
        base = self.base_period_s
        origin = self._services.sim.start.timestamp()
        # The base periods that can start in [start, end): read only those (an alarm reads a few recent ones).
        first = math.floor((start - origin) / base) - 1
        last = math.ceil((end - origin) / base) + 1
        out: dict[float, Aggregate] = {}
        for fm in sources:
            for index, agg in fm.series(metric, first, last).items():
                t = index * base
                if not start <= origin + t < end:
                    continue
                group = origin + math.floor(t / period + 1e-9) * period
                span = fm.span(index)
                if span > 1 and math.floor(((index + span) * base) / period - 1e-9) * period != group - origin:
                    continue  # the bucket straddles two requested periods
                mine = out.get(group)
                if mine is None:
                    mine = out[group] = Aggregate()
                mine.merge(agg)
        return out

    def sns_listing(self) -> list[dict[str, Any]]:
        """The topics' metrics that have data, as ``ListMetrics`` shows them, in topic order."""
        return [
            {
                "Namespace": sns_metrics.NAMESPACE,
                "MetricName": metric,
                "Dimensions": [{"Name": sns_metrics.TOPIC_DIMENSION, "Value": topic.name}],
            }
            for _, topic in sorted(self._services.sns.topics.items())
            for metric in topic.metrics.metrics_with_data()
        ]

    def kinesis_listing(self) -> list[dict[str, Any]]:
        """The Kinesis streams' metrics that have data, as ``ListMetrics`` shows them, in stream order."""
        streams = self._services.kinesis_in_use
        if streams is None:
            return []
        return [
            {
                "Namespace": kinesis_metrics.NAMESPACE,
                "MetricName": metric,
                "Dimensions": [{"Name": kinesis_metrics.STREAM_DIMENSION, "Value": name}],
            }
            for name, stream in sorted(streams.streams.items())
            for metric in stream.metrics.metrics_with_data()
        ]

    def iterator_age_listing(self) -> list[dict[str, Any]]:
        """``IteratorAge`` of the functions stream mappings invoked, per function and account-wide."""
        sim = self._services.sim
        per_function = [
            {
                "Namespace": LAMBDA_NAMESPACE,
                "MetricName": kinesis_metrics.ITERATOR_AGE,
                "Dimensions": [{"Name": FUNCTION_DIMENSION, "Value": name}],
            }
            for name in sorted(sim.engine.functions)
            if kinesis_metrics.iterator_age_series(sim, [{"Name": FUNCTION_DIMENSION, "Value": name}])
        ]
        if per_function:
            per_function.append(
                {"Namespace": LAMBDA_NAMESPACE, "MetricName": kinesis_metrics.ITERATOR_AGE, "Dimensions": []}
            )
        return per_function

    def custom_listing(self) -> list[dict[str, Any]]:
        """Every custom metric, as ``ListMetrics`` shows it, in namespace, name and dimension order."""
        return [
            {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
            }
            for (namespace, name, dims) in sorted(self.custom)
        ]


class _FullResolution:
    """A series kept at full resolution (no rolled-up buckets), as a source for ``_grouped``: the queues'
    (:mod:`lambdasim.aws.sqs.metrics`)."""

    def __init__(self, series: dict[int, Aggregate]) -> None:
        self._series = series

    def series(self, _metric: str, first: int, last: int) -> dict[int, Aggregate]:
        return {i: agg for i, agg in self._series.items() if first <= i <= last}

    def span(self, _index: int) -> int:
        return 1
