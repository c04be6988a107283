"""CloudWatch's write operations: ``put_metric_data`` (custom metrics) and the metric alarm operations
(``put_metric_alarm``, ``describe_alarms``, ``describe_alarms_for_metric``, ``describe_alarm_history``,
``enable_alarm_actions``, ``disable_alarm_actions``, ``delete_alarms``, ``set_alarm_state``).

What alarms do on the simulated clock: :mod:`lambdasim.aws.cloudwatch.alarms`. Custom metrics:
:class:`lambdasim.aws.cloudwatch.backend.CustomMetric`; a datum's ``Timestamp`` (default: the simulated now) puts it
in the period that holds it, periods aligned to the simulation's start [model].

Errors are CloudWatch's, in its words where they were recorded on AWS (LocalStack's snapshots: the ``Value`` /
``Values`` / ``StatisticValues`` combinations, the reserved ``AWS/`` namespace, ``SetAlarmState``'s enum and missing
alarm). Where AWS's words are not recorded, the code is CloudWatch's and the message says what is wrong [model].
Metric math alarms (``Metrics``) are evaluated with :mod:`lambdasim.aws.cloudwatch.metric_math` when their queries
share one period; anomaly-detection operators and bands (``ThresholdMetricId``), PromQL criteria and
``EvaluationInterval`` are refused as not simulated by lambdasim. ``Tags`` and ``EvaluateLowSampleCountPercentile``
are accepted and change nothing (lambdasim has no tagging API, and evaluates every percentile it has) [model].
"""

from __future__ import annotations

import json
import math
from typing import Any

from lambdasim.aws._service_client import as_epoch, decode_token, encode_token, utc
from lambdasim.aws._shapes import constraint_violations, validation_message
from lambdasim.aws.account import ServiceError
from lambdasim.aws.cloudwatch import metric_math
from lambdasim.aws.cloudwatch._base import CloudWatchBase
from lambdasim.aws.cloudwatch.alarms import Alarm
from lambdasim.aws.cloudwatch.backend import dimension_key
from lambdasim.aws.cloudwatch.evaluation import COMPARISONS, STATES, TREATMENTS, java_double
from lambdasim.core.metrics import parse_percentile

MAX_ALARM_RECORDS = 100
"""``DescribeAlarms`` and ``DescribeAlarmHistory`` pages: at most 100 (``MaxRecords``; default 50 and 100)."""

FUTURE_S = 2 * 3600
PAST_S = 14 * 86400
"""How far from now a datum's ``Timestamp`` may be: two hours ahead, two weeks back [doc: PutMetricData]."""


class AlarmsMixin(CloudWatchBase):
    """``put_metric_data`` and the alarm operations of ``sim.client("cloudwatch")``."""

    def _validated(self, method: str, params: dict[str, Any]) -> str:
        """``_call``, then the model's constraints (maximums, enums, patterns) in CloudWatch's ``ValidationError``
        words (``1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: ...``,
        as recorded)."""
        op = self._call(method, params)
        shape = self.operations[op][0]
        assert shape is not None
        problems = constraint_violations(params, self.input_shapes, shape, not_null=False)
        if problems:
            if method == "set_alarm_state":  # the set in the order AWS prints it (recorded)
                problems = [
                    (v, path, "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
                    for v, path, _ in problems
                ]
            raise self._fail(ServiceError("ValidationError", validation_message(problems)), op)
        return op

    def _alarm(self, name: str, op: str) -> Alarm:
        alarm = self._cw.alarms.alarms.get(name)
        if alarm is None:
            raise self._bad("ResourceNotFound", "", op, 404)  # recorded: no message
        return alarm

    # -- custom metrics ---------------------------------------------------------------------------------------

    def put_metric_data(self, **params: Any) -> dict[str, Any]:
        """Put datapoints of custom metrics (``Value``, ``Values`` with ``Counts``, or ``StatisticValues``)."""
        op = self._validated("put_metric_data", params)
        namespace = params["Namespace"]
        if namespace.startswith("AWS/"):
            raise self._bad("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.", op)
        if "EntityMetricData" in params:
            raise self._bad("InvalidParameterValue", "lambdasim does not simulate EntityMetricData", op)
        data = list(params.get("MetricData", []))
        if not 1 <= len(data) <= 1000:
            raise self._bad(
                "InvalidParameterValue",
                "The collection MetricData must not be empty and must not have a size greater than 1000.",
                op,
            )
        cw = self._cw
        now = self._services.epoch()
        checked = [self._datum(i, datum, now, op) for i, datum in enumerate(data, 1)]
        for datum, index, unit, samples in checked:
            metric = cw.metric(namespace, datum["MetricName"], dimension_key(datum.get("Dimensions")))
            tally = metric.tally(index, unit)
            for kind, value, count in samples:
                if kind == "set":
                    s = datum["StatisticValues"]
                    tally.add_set(s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"])
                else:
                    tally.add(value, count)
        return {"ResponseMetadata": self._metadata()}

    def _datum(
        self, i: int, datum: dict[str, Any], now: float, op: str
    ) -> tuple[dict[str, Any], int, str, list[tuple[str, float, int]]]:
        """Check one ``MetricDatum``: its base period, unit and samples (``("value", v, count)`` or ``("set",)``)."""
        where = f"MetricData.member.{i}"
        has = [k for k in ("Value", "Values", "StatisticValues") if k in datum]
        if "Value" in has and len(has) > 1:
            raise self._bad(
                "InvalidParameterCombination",
                f"The parameters {where}.Value and {where}.{has[1]} are mutually exclusive and you have specified "
                "both.",
                op,
            )
        if "Values" in has and "StatisticValues" in has:
            raise self._bad(
                "InvalidParameterCombination",
                f"The parameters {where}.Values and {where}.StatisticValues are mutually exclusive and you have "
                "specified both.",
                op,
            )
        self._check_dimensions(datum.get("Dimensions"), op)
        samples: list[tuple[str, float, int]] = []
        if "Value" in datum:
            samples.append(("value", self._number(datum["Value"], f"{where}.Value", op), 1))
        elif "Values" in datum:
            values = list(datum["Values"])
            counts = list(datum.get("Counts", [1.0] * len(values)))
            if len(counts) != len(values):
                raise self._bad(
                    "InvalidParameterValue",
                    f"The parameters {where}.Values and {where}.Counts must be of the same size.",
                    op,
                )
            for value, count in zip(values, counts, strict=True):
                number = self._number(value, f"{where}.Values", op)
                if not (count >= 0 and float(count).is_integer()):
                    raise self._bad(
                        "InvalidParameterValue",
                        f"The value {count} for parameter {where}.Counts is invalid: lambdasim counts whole samples",
                        op,
                    )
                if count:
                    samples.append(("value", number, int(count)))
        elif "StatisticValues" in datum:
            s = datum["StatisticValues"]
            for key in ("SampleCount", "Sum", "Minimum", "Maximum"):
                self._number(s[key], f"{where}.StatisticValues.{key}", op)
            if s["SampleCount"] <= 0 or s["Minimum"] > s["Maximum"]:
                raise self._bad(
                    "InvalidParameterValue",
                    f"The parameter {where}.StatisticValues must have SampleCount > 0 and Minimum <= Maximum.",
                    op,
                )
            samples.append(("set", 0.0, 0))
        else:
            raise self._bad(
                "InvalidParameterCombination",
                f"At least one of the parameters {where}.Value, {where}.Values or {where}.StatisticValues must be "
                "specified.",
                op,
            )
        stamp = as_epoch(datum["Timestamp"]) if "Timestamp" in datum else now
        assert stamp is not None  # validate_input checked the timestamp
        if stamp > now + FUTURE_S or stamp < now - PAST_S:
            raise self._bad(
                "InvalidParameterValue",
                f"The parameter {where}.Timestamp must specify a time no more than two weeks in the past and no "
                "more than two hours in the future.",
                op,
            )
        return datum, self._cw.index_of(stamp), datum.get("Unit", "None"), samples

    def _number(self, value: float, where: str, op: str) -> float:
        number = float(value)
        # CloudWatch rejects values too small or too large: 2^-260 .. 2^360 in magnitude [doc: MetricDatum].
        if not math.isfinite(number) or (number != 0 and not 2**-260 <= abs(number) <= 2**360):
            shown = java_double(number)  # as the service writes it: NaN, Infinity, 1.0E200
            raise self._bad("InvalidParameterValue", f"The value {shown} for parameter {where} is invalid.", op)
        return number

    # -- alarms -----------------------------------------------------------------------------------------------

    def put_metric_alarm(self, **params: Any) -> dict[str, Any]:
        """Create or update a metric alarm on one metric; it is evaluated at the end of each of its periods."""
        op = self._validated("put_metric_alarm", params)
        for member in ("ThresholdMetricId", "EvaluationCriteria", "EvaluationInterval"):
            if member in params:
                raise self._bad(
                    "InvalidParameterValue", f"lambdasim does not simulate {member} on PutMetricAlarm alarms", op
                )
        for member in ("EvaluationPeriods", "Threshold", "ComparisonOperator"):
            if member not in params:
                raise self._bad("MissingParameter", f"The parameter {member} is required.", op)
        if "Metrics" in params:
            self._check_math(params, op)
        else:
            self._check_single(params, op)
        comparison = params["ComparisonOperator"]
        if comparison not in COMPARISONS:
            raise self._bad(
                "InvalidParameterValue",
                f"lambdasim does not simulate the anomaly-detection operator {comparison}: use one of "
                f"{', '.join(COMPARISONS)}",
                op,
            )
        treat = params.get("TreatMissingData", "missing")
        if treat not in TREATMENTS:
            raise self._bad(
                "InvalidParameterValue",
                f"The value {treat} for parameter TreatMissingData is not valid: it must be one of "
                f"{', '.join(TREATMENTS)}.",
                op,
            )
        n = params["EvaluationPeriods"]
        m = params.get("DatapointsToAlarm", n)
        if m > n:
            raise self._fail(
                ServiceError("ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods"),
                op,
            )
        if not math.isfinite(params["Threshold"]):
            raise self._bad(
                "InvalidParameterValue", f"The value {params['Threshold']} for parameter Threshold is invalid.", op
            )
        region, account = self._sim.region, self._sim.account_id
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            for arn in params.get(key, []):
                parts = arn.split(":")
                if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"]:
                    raise self._bad(
                        "InvalidParameterValue",
                        f"Invalid arn syntax: {arn}; lambdasim simulates SNS topic actions only",
                        op,
                    )
                if parts[3] != region or parts[4] != account:
                    raise self._bad(
                        "InvalidParameterValue",
                        f"The action {arn} is not in this simulation's region {region} and account {account}",
                        op,
                    )
        config: dict[str, Any] = {k: v for k, v in params.items() if k != "Tags"}
        config["ActionsEnabled"] = params.get("ActionsEnabled", True)
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            config[key] = list(params.get(key, []))
        if "Metrics" in params:
            config["Metrics"] = [dict(q) for q in params["Metrics"]]
        else:
            config["Dimensions"] = [dict(d) for d in params.get("Dimensions", [])]
        self._cw.alarms.put(config)
        return {"ResponseMetadata": self._metadata()}

    def _check_single(self, params: dict[str, Any], op: str) -> None:
        """What an alarm on one metric needs: the metric, one statistic and a period."""
        for member in ("MetricName", "Namespace", "Period"):
            if member not in params:
                raise self._bad("MissingParameter", f"The parameter {member} is required.", op)
        if ("Statistic" in params) == ("ExtendedStatistic" in params):
            raise self._bad(
                "InvalidParameterCombination",
                "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.",
                op,
            )
        if "ExtendedStatistic" in params and parse_percentile(params["ExtendedStatistic"]) is None:
            raise self._bad(
                "InvalidParameterValue",
                f"The value {params['ExtendedStatistic']} for parameter ExtendedStatistic is not supported.",
                op,
            )
        self._check_period(params["Period"], op)
        self._check_dimensions(params.get("Dimensions"), op)

    def _check_math(self, params: dict[str, Any], op: str) -> None:
        """What a metric math alarm needs: queries alone (no metric of its own), one returning data, one period,
        and expressions that evaluate to one time series (tried on the data of now)."""
        for member in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit"):
            if member in params:
                raise self._bad(
                    "InvalidParameterCombination", f"The parameters Metrics and {member} are mutually exclusive.", op
                )
        queries = list(params["Metrics"])
        if sum(1 for q in queries if q.get("ReturnData", True)) != 1:
            raise self._fail(
                ServiceError("ValidationError", "Exactly one element of the metrics list should return data."), op
            )
        periods = set()
        for i, q in enumerate(queries, 1):
            if ("MetricStat" in q) == ("Expression" in q):
                raise self._fail(
                    ServiceError(
                        "ValidationError",
                        f"Exactly one of the parameters Metrics.member.{i}.MetricStat and "
                        f"Metrics.member.{i}.Expression must be specified.",
                    ),
                    op,
                )
            period = q["MetricStat"]["Period"] if "MetricStat" in q else q.get("Period")
            if period is not None:
                self._check_period(period, op)
                periods.add(period)
        if len(periods) != 1:
            raise self._bad(
                "InvalidParameterValue",
                "lambdasim evaluates metric math alarms whose queries share one period (a MetricStat Period, or an "
                f"expression's Period); these have {sorted(periods) or 'none'}",
                op,
            )
        period = periods.pop()
        end = self._sim.start.timestamp() + (self._sim.now // period) * period
        try:
            self._cw.alarms.math_series(queries, end - period, end, period)
        except metric_math.MetricMathError as exc:
            raise self._fail(ServiceError("ValidationError", str(exc)), op) from None

    def describe_alarms(self, **params: Any) -> dict[str, Any]:
        """The metric alarms, in name order, filtered by name (or prefix), state and action prefix."""
        op = self._validated("describe_alarms", params)
        if "AlarmNames" in params and "AlarmNamePrefix" in params:
            raise self._bad(
                "InvalidParameterCombination",
                "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.",
                op,
            )
        for member in ("ChildrenOfAlarmName", "ParentsOfAlarmName"):
            if member in params:
                raise self._bad("InvalidParameterValue", f"lambdasim does not simulate composite alarms ({member})", op)
        alarms = [a for _, a in sorted(self._cw.alarms.alarms.items())]
        if "AlarmNames" in params:
            wanted = set(params["AlarmNames"])
            alarms = [a for a in alarms if a.name in wanted]
        prefix = params.get("AlarmNamePrefix", "")
        state = params.get("StateValue")
        action = params.get("ActionPrefix", "")
        alarms = [
            a
            for a in alarms
            if a.name.startswith(prefix)
            and (state is None or a.state == state)
            and (
                not action
                or any(
                    arn.startswith(action)
                    for k in ("OKActions", "AlarmActions", "InsufficientDataActions")
                    for arn in a.config[k]
                )
            )
        ]
        types = params.get("AlarmTypes", ["MetricAlarm"])
        if "MetricAlarm" not in types:
            alarms = []
        page, token = self._page([a.describe() for a in alarms], params, 50, op)
        # AWS answers both lists, the composite one empty here (recorded): lambdasim has no composite alarms.
        out: dict[str, Any] = {"CompositeAlarms": [], "MetricAlarms": page}
        if token is not None:
            out["NextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def _page(
        self, items: list[dict[str, Any]], params: dict[str, Any], default: int, op: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        size = params.get("MaxRecords", default)
        if size > MAX_ALARM_RECORDS:
            raise self._bad(
                "InvalidParameterValue",
                f"The value {size} for parameter MaxRecords is not valid: it must be at most {MAX_ALARM_RECORDS}.",
                op,
            )
        start = 0
        if "NextToken" in params:
            position = decode_token(params["NextToken"])
            if position is None:
                raise self._bad("InvalidNextToken", "The service couldn't process the request: invalid NextToken.", op)
            start = position
        token = encode_token(start + size) if start + size < len(items) else None
        return items[start : start + size], token

    def describe_alarms_for_metric(self, **params: Any) -> dict[str, Any]:
        """The alarms on one metric (with exactly these dimensions), optionally of one statistic, period and unit."""
        op = self._validated("describe_alarms_for_metric", params)
        dims = dimension_key(self._check_dimensions(params.get("Dimensions"), op))
        out = []
        for _, alarm in sorted(self._cw.alarms.alarms.items()):
            c = alarm.config
            if (
                "Metrics" in c
                or c["MetricName"] != params["MetricName"]
                or c["Namespace"] != params["Namespace"]
                or dimension_key(c["Dimensions"]) != dims
            ):
                continue
            if any(k in params and c.get(k) != params[k] for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")):
                continue
            out.append(alarm.describe())
        return {"MetricAlarms": out, "ResponseMetadata": self._metadata()}

    def describe_alarm_history(self, **params: Any) -> dict[str, Any]:
        """State changes, configuration changes and actions, newest first (``ScanBy``), kept after a deletion."""
        op = self._validated("describe_alarm_history", params)
        items = list(self._cw.alarms.history)
        if "AlarmName" in params:
            items = [h for h in items if h["AlarmName"] == params["AlarmName"]]
        if "HistoryItemType" in params:
            items = [h for h in items if h["HistoryItemType"] == params["HistoryItemType"]]
        if "AlarmTypes" in params and "MetricAlarm" not in params["AlarmTypes"]:
            items = []
        start = as_epoch(params["StartDate"]) if "StartDate" in params else None
        end = as_epoch(params["EndDate"]) if "EndDate" in params else None
        items = [
            h for h in items if (start is None or h["Timestamp"] >= start) and (end is None or h["Timestamp"] < end)
        ]
        if params.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            items.reverse()
        shown = [{**h, "Timestamp": utc(h["Timestamp"])} for h in items]
        page, token = self._page(shown, params, 100, op)
        out: dict[str, Any] = {"AlarmHistoryItems": page}
        if token is not None:
            out["NextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def enable_alarm_actions(self, **params: Any) -> dict[str, Any]:
        """Turn the alarms' actions on (names with no alarm are passed over)."""
        return self._set_actions("enable_alarm_actions", params, enabled=True)

    def disable_alarm_actions(self, **params: Any) -> dict[str, Any]:
        """Turn the alarms' actions off: they still change state, and notify no one."""
        return self._set_actions("disable_alarm_actions", params, enabled=False)

    def _set_actions(self, method: str, params: dict[str, Any], *, enabled: bool) -> dict[str, Any]:
        self._validated(method, params)
        alarms = self._cw.alarms.alarms
        for name in params["AlarmNames"]:
            if name in alarms:
                alarms[name].config["ActionsEnabled"] = enabled
        return {"ResponseMetadata": self._metadata()}

    def delete_alarms(self, **params: Any) -> dict[str, Any]:
        """Delete alarms; their evaluations stop (names with no alarm are passed over) [model]."""
        self._validated("delete_alarms", params)
        self._cw.alarms.delete(list(params["AlarmNames"]))
        return {"ResponseMetadata": self._metadata()}

    def set_alarm_state(self, **params: Any) -> dict[str, Any]:
        """Set an alarm's state until its next evaluation, running its actions as any change does."""
        op = self._validated("set_alarm_state", params)
        alarm = self._alarm(params["AlarmName"], op)
        data = params.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError:
                raise self._bad("InvalidFormat", "StateReasonData is invalid JSON.", op) from None
        state = params["StateValue"]
        assert state in STATES  # _validated checked the enum
        self._cw.alarms.set_state(alarm, state, params["StateReason"], data)
        return {"ResponseMetadata": self._metadata()}
