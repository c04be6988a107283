"""``sim.client("cloudwatch")``: the Lambda metrics of the run (namespace ``AWS/Lambda``, with the stream mappings'
``IteratorAge``; the queues' are in ``AWS/SQS``, :mod:`lambdasim.aws.sqs.metrics`, the Kinesis streams' in
``AWS/Kinesis``, :mod:`lambdasim.aws.kinesis.metrics`; custom namespaces hold what ``put_metric_data`` put) through
CloudWatch's read API, in boto3's shapes: ``get_metric_statistics``, ``get_metric_data`` (``MetricStat`` queries and
metric math ``Expression`` queries: :mod:`lambdasim.aws.cloudwatch.metric_math` says which functions and with what
rules) and ``list_metrics``; and its write API (``put_metric_data`` and metric alarms evaluated on the simulated
clock: :mod:`lambdasim.aws.cloudwatch.alarm_ops`).

Metrics are per function (dimension ``FunctionName``) or, without dimensions, for the whole account (every metric
but the peaks, ``ConcurrentExecutions`` and the provisioned ones, whose account-wide peak is not the sum of the
functions' peaks). Periods must be
multiples of ``Settings.metrics_period_s`` (60 s by default, as CloudWatch's standard resolution) and are aligned to
the simulation's start. What each metric counts: :mod:`lambdasim.core.metrics`.
"""

from __future__ import annotations

import math
from typing import Any

from lambdasim.aws._service_client import decode_token, encode_token, utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.cloudwatch import metric_math
from lambdasim.aws.cloudwatch.alarm_ops import AlarmsMixin
from lambdasim.aws.cloudwatch.backend import FUNCTION_DIMENSION as DIMENSION
from lambdasim.aws.cloudwatch.backend import LAMBDA_NAMESPACE as NAMESPACE
from lambdasim.aws.cloudwatch.metric_math import Series
from lambdasim.aws.sqs import metrics as sqs_metrics
from lambdasim.core.metrics import METRICS, PEAK_METRICS, STATISTICS, parse_percentile

__all__ = ["DIMENSION", "NAMESPACE", "CloudWatchClient"]

MAX_DATAPOINTS = 1440
LIST_PAGE = 500


class CloudWatchClient(AlarmsMixin):
    """The simulated CloudWatch: the run's metrics, custom metrics and metric alarms."""

    # -- operations -------------------------------------------------------------------------------------------

    def get_metric_statistics(self, **params: Any) -> dict[str, Any]:
        """Datapoints of one metric, oldest first, one per ``Period`` that has samples."""
        op = self._call("get_metric_statistics", params)
        dims = self._check_dimensions(params.get("Dimensions"), op)
        start, end = self._window(params, op)
        period = params["Period"]
        self._check_period(period, op)
        stats = list(params.get("Statistics", []))
        extended = list(params.get("ExtendedStatistics", []))
        if not stats and not extended:
            raise self._bad("InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics", op)
        if stats and extended:
            raise self._bad(
                "InvalidParameterCombination",
                "Only one of Statistics or ExtendedStatistics can be specified at a time",
                op,
            )
        for i, stat in enumerate(stats, 1):
            if stat not in STATISTICS:
                raise self._bad(
                    "InvalidParameterValue",
                    f"The parameter Statistics.member.{i} must be a value in the set "
                    "[ Maximum, SampleCount, Sum, Minimum, Average ].",
                    op,
                )
        for stat in extended:
            if parse_percentile(stat) is None:
                raise self._bad(
                    "InvalidParameterValue", f"The value {stat} for parameter ExtendedStatistics is not supported.", op
                )
        requested = math.ceil((end - start) / period)
        if requested > MAX_DATAPOINTS:
            raise self._bad(
                "InvalidParameterCombination",
                f"You have requested up to {requested:,} datapoints, which exceeds the limit of {MAX_DATAPOINTS:,}. "
                "You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
                op,
            )
        metric = params["MetricName"]
        grouped, unit = self._cw.datapoints(params["Namespace"], metric, dims, start, end, period, params.get("Unit"))
        points: list[dict[str, Any]] = []
        for t, agg in sorted(grouped.items()):
            point: dict[str, Any] = {"Timestamp": utc(t)}
            for stat in STATISTICS:
                if stat in stats:
                    point[stat] = agg.statistic(stat)
            if extended:
                values = {s: agg.percentile(parse_percentile(s) or 0.0) for s in extended}
                point["ExtendedStatistics"] = {s: v for s, v in values.items() if v is not None}
            point["Unit"] = unit
            points.append(point)
        return {"Label": metric, "Datapoints": points, "ResponseMetadata": self._metadata()}

    def get_metric_data(self, **params: Any) -> dict[str, Any]:
        """Values of ``MetricStat`` queries and metric math ``Expression`` queries
        (:mod:`lambdasim.aws.cloudwatch.metric_math`), newest first by default (``ScanBy``), in the order of the
        queries; those with ``ReturnData=False`` are computed (expressions can name them) but not returned."""
        op = self._call("get_metric_data", params)
        queries = list(params["MetricDataQueries"])
        start, end = self._window(params, op)
        if not 1 <= len(queries) <= 500:
            raise self._bad(
                "InvalidParameterValue",
                "The collection MetricDataQueries must not be empty and must not have a size greater than 500.",
                op,
            )
        scan = params.get("ScanBy", "TimestampDescending")
        if scan not in ("TimestampDescending", "TimestampAscending"):
            raise self._bad("InvalidParameterValue", f"The value {scan} for parameter ScanBy is not valid.", op)
        if "NextToken" in params and decode_token(params["NextToken"]) is None:
            raise self._bad("InvalidNextToken", "The service couldn't process the request: invalid NextToken.", op)
        ids = [q.get("Id") if isinstance(q, dict) else None for q in queries]
        metrics: dict[str, Series] = {}
        expressions: dict[str, str] = {}
        for i, query in enumerate(queries, 1):
            query_id = ids[i - 1]
            if not isinstance(query_id, str) or not query_id[:1].islower() or not query_id.replace("_", "").isalnum():
                raise self._bad(
                    "InvalidParameterValue",
                    f"The value {query_id} for parameter MetricDataQueries.member.{i}.Id is not valid. It must "
                    "start with a lowercase letter and contain only letters, numbers and underscores.",
                    op,
                )
            if ids.count(query_id) > 1:
                raise self._bad(
                    "InvalidParameterValue",
                    f"The value {query_id} for parameter MetricDataQueries.member.Id is used more than once.",
                    op,
                )
            if "Expression" in query:
                self._check_expression(i, query, op)
                expressions[query_id] = query["Expression"]
                continue
            stat_query = query.get("MetricStat")
            if not isinstance(stat_query, dict):
                raise self._bad(
                    "InvalidParameterValue",
                    f"The parameter MetricDataQueries.member.{i}.MetricStat is required.",
                    op,
                )
            metrics[query_id] = self._query(query_id, query, stat_query, start, end, op)
        try:
            evaluated = metric_math.evaluate(expressions, metrics, lambda period: self._grid(start, end, period))
        except metric_math.MetricMathError as exc:
            raise self._fail(ServiceError("ValidationError", str(exc)), op) from None
        results: list[dict[str, Any]] = []
        for query in queries:
            if not query.get("ReturnData", True):
                continue
            query_id = query["Id"]
            if query_id in metrics:
                results.append(self._result(query_id, metrics[query_id], scan))
            else:
                results.extend(self._expression_results(query, evaluated[query_id], scan, op))
        return {"MetricDataResults": results, "Messages": [], "ResponseMetadata": self._metadata()}

    def _check_expression(self, i: int, query: dict[str, Any], op: str) -> None:
        """What CloudWatch checks of an ``Expression`` query before evaluating it."""
        text = query["Expression"]
        if len(text) > metric_math.MAX_EXPRESSION_LENGTH:
            raise self._fail(
                ServiceError(
                    "ValidationError",
                    f"1 validation error detected: Value '{text}' at 'metricDataQueries.{i}.member.expression' "
                    f"failed to satisfy constraint: Member must have length less than or equal to "
                    f"{metric_math.MAX_EXPRESSION_LENGTH}",
                ),
                op,
            )
        if "MetricStat" in query:
            raise self._fail(
                ServiceError(
                    "ValidationError",
                    f"The parameters MetricDataQueries.member.{i}.MetricStat and "
                    f"MetricDataQueries.member.{i}.Expression are mutually exclusive.",
                ),
                op,
            )
        period = query.get("Period")
        if period is not None:
            self._check_period(period, op)

    def _query(
        self,
        query_id: str,
        query: dict[str, Any],
        stat_query: dict[str, Any],
        start: float,
        end: float,
        op: str,
    ) -> Series:
        """A ``MetricStat`` query's series (timestamps in Unix seconds, oldest first)."""
        metric = stat_query["Metric"]  # Metric, Period (at least 1) and Stat: validate_input checked them
        period = stat_query["Period"]
        stat = stat_query["Stat"]
        self._check_period(period, op)
        q = parse_percentile(stat) if isinstance(stat, str) else None
        if stat not in STATISTICS and q is None:
            raise self._bad(
                "InvalidParameterValue",
                f"The value {stat} for parameter MetricDataQueries.member.Stat is not supported.",
                op,
            )
        name = metric.get("MetricName", "")
        dims = self._check_dimensions(metric.get("Dimensions"), op)
        namespace = metric.get("Namespace", "")
        points: dict[float, float] = {}
        grouped, _ = self._cw.datapoints(namespace, name, dims, start, end, period, stat_query.get("Unit"))
        for t, agg in sorted(grouped.items()):
            value = agg.statistic(str(stat)) if q is None else agg.percentile(q)
            if value is not None:
                points[t] = value
        return Series(points, period, query.get("Label", name), query_id)

    @staticmethod
    def _result(query_id: str, series: Series, scan: str, label: str | None = None) -> dict[str, Any]:
        """One ``MetricDataResult``."""
        stamps = sorted(series.points, reverse=scan == "TimestampDescending")
        return {
            "Id": query_id,
            "Label": series.label if label is None else label,
            "Timestamps": [utc(t) for t in stamps],
            "Values": [series.points[t] for t in stamps],
            "StatusCode": "Complete",
        }

    def _expression_results(
        self, query: dict[str, Any], evaluated: metric_math.Evaluated, scan: str, op: str
    ) -> list[dict[str, Any]]:
        """The results of an expression: one per time series (an array gives one per member, all with its Id)."""
        query_id = query["Id"]
        label = query.get("Label")
        value = evaluated.value
        members = value.members if isinstance(value, metric_math.SeriesArray) else (value,)
        wanted = query.get("Period")
        for series in members:
            if wanted is not None and series.period is not None and series.period != wanted:
                raise self._fail(
                    ServiceError(
                        "ValidationError",
                        f"Error in expression {query_id}: its time series have a period of {series.period} s, not "
                        f"the Period {wanted} the query asks for (lambdasim does not re-aggregate expressions)",
                    ),
                    op,
                )
        if not members:  # an empty array (METRICS("x") matching nothing): one empty result
            members = (metric_math.Series({}, None),)
        out = []
        for series in members:
            if isinstance(value, metric_math.SeriesArray):
                # As CloudWatch labels each series of an array: the expression's label, then the metric's.
                name = " ".join(part for part in (label, series.label) if part) or query_id
            else:
                name = query_id if label is None else label
            result = self._result(query_id, series, scan, name)
            if evaluated.dropped:
                result["Messages"] = [dict(metric_math.ARITHMETIC_ERROR)]
            out.append(result)
        return out

    def _grid(self, start: float, end: float, period: int) -> list[float]:
        """The timestamps of the ``period``-second periods of ``[start, end)`` (Unix times) that have begun by now,
        keyed as :meth:`_grouped` keys them: where ``FILL`` puts values."""
        base = self._sim.settings.metrics_period_s
        origin = self._sim.start.timestamp()
        first = max(0, math.ceil((start - origin) / base))
        while first > 0 and origin + (first - 1) * base >= start:
            first -= 1
        while origin + first * base < start:
            first += 1
        last = math.ceil((end - origin) / base)
        while origin + last * base >= end:
            last -= 1
        while origin + (last + 1) * base < end:
            last += 1
        last = min(last, int(self._sim.now // base))
        if last < first:
            return []
        low = math.floor(first * base / period + 1e-9)
        high = math.floor(last * base / period + 1e-9)
        return [origin + k * period for k in range(low, high + 1)]

    def list_metrics(self, **params: Any) -> dict[str, Any]:
        """The metrics that have data: the functions' (per function, and account-wide without dimensions), the
        queues' and the custom metrics put, of one namespace or (without ``Namespace``) of all."""
        op = self._call("list_metrics", params)
        wanted_dims = self._check_dimensions(params.get("Dimensions"), op)
        namespace = params.get("Namespace")  # None: every namespace
        items: list[dict[str, Any]] = []
        if namespace in (None, NAMESPACE):
            now = self._sim.now
            self._sim.engine.settle()
            account: set[str] = set()
            for name in sorted(self._sim.engine.functions):
                fm = self._sim.engine.functions[name].metrics
                fm.settle(now)
                for metric in fm.metrics_with_data():
                    account.add(metric)
                    items.append(
                        {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [{"Name": DIMENSION, "Value": name}],
                        }
                    )
            items.extend(
                {"Namespace": NAMESPACE, "MetricName": m, "Dimensions": []}
                for m in METRICS
                if m in account and m not in PEAK_METRICS
            )
        if namespace in (None, sqs_metrics.NAMESPACE):
            now = self._sim.now
            for name, queue in sorted(self._sim.services.sqs.queues.items()):
                queue.metrics.catch_up(queue, now)
                items.extend(
                    {
                        "Namespace": sqs_metrics.NAMESPACE,
                        "MetricName": m,
                        "Dimensions": [{"Name": sqs_metrics.QUEUE_DIMENSION, "Value": name}],
                    }
                    for m in queue.metrics.metrics_with_data()
                )
        if namespace in (None, NAMESPACE):
            items.extend(self._cw.iterator_age_listing())
        if namespace in (None, "AWS/SNS"):
            items.extend(self._cw.sns_listing())
        if namespace in (None, "AWS/Kinesis"):
            items.extend(self._cw.kinesis_listing())
        items.extend(m for m in self._cw.custom_listing() if namespace in (None, m["Namespace"]))
        if "MetricName" in params:
            items = [m for m in items if m["MetricName"] == params["MetricName"]]
        for dim in wanted_dims:
            items = [
                m
                for m in items
                if any(
                    d["Name"] == dim["Name"] and ("Value" not in dim or d["Value"] == dim["Value"])
                    for d in m["Dimensions"]
                )
            ]
        start = 0
        if "NextToken" in params:
            position = decode_token(params["NextToken"])
            if position is None:
                raise self._bad("InvalidParameterValue", "The value for parameter NextToken is not valid.", op)
            start = position
        out: dict[str, Any] = {"Metrics": items[start : start + LIST_PAGE]}
        if start + LIST_PAGE < len(items):
            out["NextToken"] = encode_token(start + LIST_PAGE)
        out["ResponseMetadata"] = self._metadata()
        return out
