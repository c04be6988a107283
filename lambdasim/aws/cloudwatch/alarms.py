"""CloudWatch metric alarms, evaluated on the simulated clock, with their actions to SNS topics.

An alarm watches one metric (``Namespace``, ``MetricName``, ``Dimensions``) through one statistic (``Statistic`` or
``ExtendedStatistic``) over periods of ``Period`` seconds. It starts ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm
creation"). At the end of each of its periods (aligned to the simulation's start, as the metrics are) it looks at the
last ``EvaluationPeriods`` periods: it goes to ``ALARM`` when at least ``DatapointsToAlarm`` (default
``EvaluationPeriods``) of their datapoints breach the threshold, else to ``OK``; missing datapoints are treated as
``TreatMissingData`` says [doc: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html]:

- ``breaching`` / ``notBreaching``: as a datapoint that breaches / does not breach;
- ``missing`` (the default): they do not count; with no datapoint at all the alarm goes to ``INSUFFICIENT_DATA``;
- ``ignore``: they do not count; with no datapoint at all the alarm keeps its state.

Timing [model]: each period is evaluated at the instant it ends, with the data of that instant: CloudWatch evaluates
within about a minute of the period's end and its metrics arrive with a delay of up to a few minutes; lambdasim has
neither delay, so a state changes at a period boundary, exactly. The evaluation is one entry on the simulation's
queue per alarm and period: nothing is scheduled while there is no alarm, and while there is one ``sim.run()``
without ``until`` would never end (it raises ``ValueError``, as for EventBridge scheduled rules). An evaluation reads
only the periods it evaluates and words a reason only when the state changes: about 60 µs each (measured: ten
one-minute alarms over a simulated day, 14,400 evaluations, add 0.85 s to a 0.14 s run).

On a change of state, with ``ActionsEnabled``, the alarm publishes AWS's alarm notification (JSON, subject
``ALARM: "name" in US East (N. Virginia)``) to each SNS topic of ``AlarmActions`` / ``OKActions`` /
``InsufficientDataActions``. How an evaluation decides and words its reason: :mod:`lambdasim.aws.cloudwatch.evaluation`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.aws.cloudwatch import metric_math
from lambdasim.aws.cloudwatch.evaluation import Verdict, aws_time, judge
from lambdasim.core._kernel import Entry, QueueItem
from lambdasim.core.metrics import parse_percentile

if TYPE_CHECKING:
    from lambdasim.aws.account import Services
    from lambdasim.aws.cloudwatch.backend import CloudWatchService

INITIAL_REASON = "Unchecked: Initial alarm creation"

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "sa-east-1": "South America (Sao Paulo)",
    "me-south-1": "Middle East (Bahrain)",
    "af-south-1": "Africa (Cape Town)",
}
"""The region's name as alarm notifications spell it (``Region``, and the subject); other regions by their code."""


class Alarm:
    """One metric alarm: its configuration (the ``PutMetricAlarm`` parameters, with defaults) and its state.

    Times are Unix times (s). ``timer``: the queue entry of its next evaluation, while one is queued.
    """

    def __init__(self, arn: str, config: dict[str, Any], now: float) -> None:
        self.arn = arn
        self.config = config
        self.configured_at = now
        self.state = "INSUFFICIENT_DATA"
        self.reason = INITIAL_REASON
        self.reason_data: str | None = None
        self.state_updated_at = now
        self.transitioned_at = now
        self.timer: Entry | None = None

    @property
    def name(self) -> str:
        return str(self.config["AlarmName"])

    @property
    def period(self) -> int:
        """Seconds per evaluated period: ``Period``, or for a metric math alarm the period of its queries."""
        if "Metrics" in self.config:
            return metrics_period(self.config["Metrics"])
        return int(self.config["Period"])

    def describe(self) -> dict[str, Any]:
        """As ``DescribeAlarms`` shows it (botocore's ``MetricAlarm`` members, in their order)."""
        from lambdasim.aws._service_client import utc

        c = self.config
        out: dict[str, Any] = {"AlarmName": self.name, "AlarmArn": self.arn}
        if "AlarmDescription" in c:
            out["AlarmDescription"] = c["AlarmDescription"]
        out["AlarmConfigurationUpdatedTimestamp"] = utc(self.configured_at)
        out["ActionsEnabled"] = c["ActionsEnabled"]
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            out[key] = list(c[key])
        out["StateValue"] = self.state
        out["StateReason"] = self.reason
        if self.reason_data is not None:
            out["StateReasonData"] = self.reason_data
        out["StateUpdatedTimestamp"] = utc(self.state_updated_at)
        for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic"):
            if key in c:
                out[key] = c[key]
        if "Metrics" not in c:
            out["Dimensions"] = [dict(d) for d in c["Dimensions"]]
            out["Period"] = c["Period"]
        if "Unit" in c:
            out["Unit"] = c["Unit"]
        out["EvaluationPeriods"] = c["EvaluationPeriods"]
        if "DatapointsToAlarm" in c:
            out["DatapointsToAlarm"] = c["DatapointsToAlarm"]
        out["Threshold"] = float(c["Threshold"])
        out["ComparisonOperator"] = c["ComparisonOperator"]
        for key in ("TreatMissingData", "EvaluateLowSampleCountPercentile"):
            if key in c:
                out[key] = c[key]
        if "Metrics" in c:
            out["Metrics"] = [dict(q) for q in c["Metrics"]]
        out["StateTransitionedTimestamp"] = utc(self.transitioned_at)
        return out

    def trigger(self) -> dict[str, Any]:
        """The ``Trigger`` of its notifications."""
        c = self.config
        if "Metrics" in c:
            return self._math_trigger()
        out: dict[str, Any] = {"MetricName": c["MetricName"], "Namespace": c["Namespace"]}
        if "ExtendedStatistic" in c:
            out["StatisticType"] = "ExtendedStatistic"
            out["ExtendedStatistic"] = c["ExtendedStatistic"]
        else:
            out["StatisticType"] = "Statistic"
            out["Statistic"] = str(c["Statistic"]).upper()
        out["Unit"] = c.get("Unit")
        out["Dimensions"] = [{"value": d["Value"], "name": d["Name"]} for d in c["Dimensions"]]
        out["Period"] = c["Period"]
        out["EvaluationPeriods"] = c["EvaluationPeriods"]
        if "DatapointsToAlarm" in c:
            out["DatapointsToAlarm"] = c["DatapointsToAlarm"]
        out["ComparisonOperator"] = c["ComparisonOperator"]
        out["Threshold"] = float(c["Threshold"])
        out["TreatMissingData"] = c.get("TreatMissingData", "missing")
        out["EvaluateLowSampleCountPercentile"] = c.get("EvaluateLowSampleCountPercentile", "")
        return out

    def _math_trigger(self) -> dict[str, Any]:
        """The ``Trigger`` of a metric math alarm: its queries, dimensions spelled as notifications spell them."""
        c = self.config
        queries = []
        for q in c["Metrics"]:
            query = {k: v for k, v in q.items() if k != "MetricStat"}
            if "MetricStat" in q:
                stat = dict(q["MetricStat"])
                metric = dict(stat["Metric"])
                metric["Dimensions"] = [{"value": d["Value"], "name": d["Name"]} for d in metric.get("Dimensions", [])]
                stat["Metric"] = metric
                query["MetricStat"] = stat
            query.setdefault("ReturnData", True)
            queries.append(query)
        return {
            "Period": self.period,
            "EvaluationPeriods": c["EvaluationPeriods"],
            **({"DatapointsToAlarm": c["DatapointsToAlarm"]} if "DatapointsToAlarm" in c else {}),
            "ComparisonOperator": c["ComparisonOperator"],
            "Threshold": float(c["Threshold"]),
            "TreatMissingData": c.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": c.get("EvaluateLowSampleCountPercentile", ""),
            "Metrics": queries,
        }


def metrics_period(queries: list[dict[str, Any]]) -> int:
    """The period of a metric math alarm: its queries' (``MetricStat.Period``, or an expression's ``Period``)."""
    for q in queries:
        if "MetricStat" in q:
            return int(q["MetricStat"]["Period"])
    return int(next(q["Period"] for q in queries if "Period" in q))


class _Evaluation(QueueItem):
    """An alarm's next evaluation, queued on SimPy's heap as the event itself (as EventBridge's scheduled firings)."""

    __slots__ = ("alarm", "callbacks")

    def __init__(self, alarm: Alarm, evaluate: Callable[[_Evaluation], None]) -> None:
        self.alarm = alarm
        self.callbacks: tuple[Any, ...] | None = (evaluate,)


class AlarmBook:
    """The account's metric alarms, their evaluations on the simulated clock and their history.

    Attributes:
        alarms: By name.
        history: ``DescribeAlarmHistory`` items, oldest first (kept after an alarm is deleted, as CloudWatch keeps
            them).
        notifications: Notifications published to topics; ``failed_actions``: actions whose topic was missing or
            refused the message.
    """

    def __init__(self, services: Services, cloudwatch: CloudWatchService) -> None:
        self._services = services
        self._cloudwatch = cloudwatch
        self.alarms: dict[str, Alarm] = {}
        self.history: list[dict[str, Any]] = []
        self.notifications = 0
        self.failed_actions = 0

    # -- control plane ----------------------------------------------------------------------------------------------

    def put(self, config: dict[str, Any]) -> Alarm:
        """Create the alarm, or replace the configuration of the one with its name (its state is kept, as AWS keeps
        it)."""
        services = self._services
        now = services.epoch()
        name = config["AlarmName"]
        existing = self.alarms.get(name)
        if existing is None:
            arn = f"arn:aws:cloudwatch:{services.region}:{services.account_id}:alarm:{name}"
            alarm = self.alarms[name] = Alarm(arn, config, now)
            summary = f'Alarm "{name}" created'
        else:
            alarm = existing
            old_period = alarm.period
            alarm.config = config
            alarm.configured_at = now
            summary = f'Alarm "{name}" updated'
            if old_period != alarm.period:
                self._disarm(alarm)
        self._record(alarm.name, now, "ConfigurationUpdate", summary, {"version": "1.0", "type": "Update"})
        if alarm.timer is None:
            self._arm(alarm)
        return alarm

    def delete(self, names: list[str]) -> None:
        """Delete the alarms ``names`` (names with no alarm are passed over)."""
        now = self._services.epoch()
        for name in names:
            alarm = self.alarms.pop(name, None)
            if alarm is not None:
                self._disarm(alarm)
                self._record(name, now, "ConfigurationUpdate", f'Alarm "{name}" deleted', {"type": "Delete"})

    def set_state(self, alarm: Alarm, state: str, reason: str, data: str | None) -> None:
        """``SetAlarmState``: the state until the next evaluation, with actions as for any change."""
        self._change(alarm, state, reason, data)

    def check_run_ends(self) -> None:
        if not self.alarms:
            return
        names = ", ".join(repr(n) for n in sorted(self.alarms))
        raise ValueError(
            f"sim.run() without until would never end: CloudWatch evaluates alarms at the end of every period for "
            f"as long as they exist, and these do: {names}; pass until (simulated seconds), or delete the alarms "
            "first"
        )

    # -- evaluation -------------------------------------------------------------------------------------------------

    def _arm(self, alarm: Alarm) -> None:
        """Queue the evaluation at the end of the alarm's current period (periods counted from the start)."""
        now = self._services.now
        period = alarm.period
        k = int(now // period) + 1
        at = k * period
        if at <= now:  # float rounding of now
            at += period
        alarm.timer = self._services.sim.env.push(at, _Evaluation(alarm, self._evaluate))

    def _disarm(self, alarm: Alarm) -> None:
        if alarm.timer is not None:
            self._services.sim.env.remove(alarm.timer)
            alarm.timer = None

    def _evaluate(self, item: _Evaluation) -> None:
        alarm = item.alarm
        alarm.timer = None
        if self.alarms.get(alarm.name) is not alarm:
            return
        points = self.points(alarm)
        state = self.verdict(alarm, points, explain=False).state
        if state is not None and state != alarm.state:
            verdict = self.verdict(alarm, points, explain=True)
            data: dict[str, Any] = {"version": "1.0", "queryDate": aws_time(self._services.epoch())}
            if verdict.data:
                data["startDate"] = verdict.data["startDate"]
            if "Unit" in alarm.config:
                data["unit"] = alarm.config["Unit"]
            stat = alarm.config.get("Statistic")
            if stat is not None:
                data["statistic"] = stat
            elif "ExtendedStatistic" in alarm.config:
                data["extendedStatistic"] = alarm.config["ExtendedStatistic"]
            data["period"] = alarm.period
            data["recentDatapoints"] = verdict.data.get("recentDatapoints", [])
            data["threshold"] = float(alarm.config["Threshold"])
            if verdict.data:
                data["evaluatedDatapoints"] = verdict.data["evaluatedDatapoints"]
            self._change(alarm, state, verdict.reason, json.dumps(data, separators=(",", ":")))
        self._arm(alarm)

    def points(self, alarm: Alarm) -> list[tuple[float, float | None, int]]:
        """The datapoints of the alarm's evaluation range as of now: the last ``EvaluationPeriods`` whole periods."""
        c = alarm.config
        period = alarm.period
        n = int(c["EvaluationPeriods"])
        origin = self._services.sim.start.timestamp()
        end = origin + (self._services.now // period) * period
        start = end - n * period
        if "Metrics" in c:
            series = self.math_series(c["Metrics"], start, end, period)
            return [(start + i * period, series.get(start + i * period), 1) for i in range(n)]
        data, _ = self._cloudwatch.datapoints(
            c["Namespace"], c["MetricName"], list(c["Dimensions"]), start, end, period, c.get("Unit")
        )
        q = parse_percentile(c["ExtendedStatistic"]) if "ExtendedStatistic" in c else None
        out: list[tuple[float, float | None, int]] = []
        for i in range(n):
            t = start + i * period
            agg = data.get(t)
            value: float | None = None
            if agg is not None and agg.count:
                value = agg.statistic(c["Statistic"]) if q is None else agg.percentile(q)
            out.append((t, value, 0 if agg is None else agg.count))
        return out

    def math_series(self, queries: list[dict[str, Any]], start: float, end: float, period: int) -> dict[float, float]:
        """The values of the one query that returns data, by period start (Unix s), over ``[start, end)``.

        Raises :class:`~lambdasim.aws.cloudwatch.metric_math.MetricMathError` for an expression that does not
        evaluate to one time series."""
        metrics: dict[str, metric_math.Series] = {}
        expressions: dict[str, str] = {}
        for q in queries:
            if "Expression" in q:
                expressions[q["Id"]] = q["Expression"]
                continue
            stat = q["MetricStat"]
            metric = stat["Metric"]
            data, _ = self._cloudwatch.datapoints(
                metric.get("Namespace", ""),
                metric.get("MetricName", ""),
                list(metric.get("Dimensions", [])),
                start,
                end,
                int(stat["Period"]),
                stat.get("Unit"),
            )
            name = str(stat["Stat"])
            q_pct = parse_percentile(name)
            points: dict[float, float] = {}
            for t, agg in sorted(data.items()):
                found = agg.statistic(name) if q_pct is None else agg.percentile(q_pct)
                if found is not None and agg.count:
                    points[t] = found
            metrics[q["Id"]] = metric_math.Series(points, int(stat["Period"]), metric.get("MetricName", ""), q["Id"])
        grid = lambda p: [start + i * p for i in range(int((end - start) // p))]  # noqa: E731
        evaluated = metric_math.evaluate(expressions, metrics, grid)
        (returned,) = [q["Id"] for q in queries if q.get("ReturnData", True)]
        if returned in metrics:
            return dict(metrics[returned].points)
        result = evaluated[returned].value
        if not isinstance(result, metric_math.Series):
            raise metric_math.MetricMathError(f"Error in expression {returned}: an alarm needs one time series")
        return dict(result.points)

    def verdict(self, alarm: Alarm, points: list[tuple[float, float | None, int]], *, explain: bool) -> Verdict:
        c = alarm.config
        n = int(c["EvaluationPeriods"])
        return judge(
            points,
            threshold=float(c["Threshold"]),
            comparison=c["ComparisonOperator"],
            datapoints_to_alarm=int(c.get("DatapointsToAlarm", n)),
            treat_missing=c.get("TreatMissingData", "missing"),
            short_form=n == 1 and "DatapointsToAlarm" not in c,
            explain=explain,
        )

    # -- state changes and actions ----------------------------------------------------------------------------------

    def _change(self, alarm: Alarm, state: str, reason: str, data: str | None) -> None:
        now = self._services.epoch()
        old_state, old_reason = alarm.state, alarm.reason
        alarm.reason = reason
        alarm.reason_data = data
        alarm.state_updated_at = now
        if state == old_state:
            return
        alarm.state = state
        alarm.transitioned_at = now
        new_state: dict[str, Any] = {"stateValue": state, "stateReason": reason}
        if data is not None:
            new_state["stateReasonData"] = json.loads(data)
        self._record(
            alarm.name,
            now,
            "StateUpdate",
            f"Alarm updated from {old_state} to {state}",
            {"version": "1.0", "oldState": {"stateValue": old_state, "stateReason": old_reason}, "newState": new_state},
        )
        if alarm.config["ActionsEnabled"]:
            key = {"ALARM": "AlarmActions", "OK": "OKActions"}.get(state, "InsufficientDataActions")
            for arn in alarm.config[key]:
                self._notify(alarm, arn, old_state, now)

    def notification(self, alarm: Alarm, old_state: str, now: float) -> dict[str, Any]:
        """AWS's alarm notification, in its members' order."""
        c = alarm.config
        return {
            "AlarmName": alarm.name,
            "AlarmDescription": c.get("AlarmDescription"),
            "AWSAccountId": self._services.account_id,
            "AlarmConfigurationUpdatedTimestamp": aws_time(alarm.configured_at),
            "NewStateValue": alarm.state,
            "NewStateReason": alarm.reason,
            "StateChangeTime": aws_time(now),
            "Region": self.region_name,
            "AlarmArn": alarm.arn,
            "OldStateValue": old_state,
            "OKActions": list(c["OKActions"]),
            "AlarmActions": list(c["AlarmActions"]),
            "InsufficientDataActions": list(c["InsufficientDataActions"]),
            "Trigger": alarm.trigger(),
        }

    @property
    def region_name(self) -> str:
        region = self._services.region
        return REGION_NAMES.get(region, region)

    def _notify(self, alarm: Alarm, arn: str, old_state: str, now: float) -> None:
        sns = self._services.sns
        topic = sns.by_arn(arn)
        message = json.dumps(self.notification(alarm, old_state, now), separators=(",", ":"))
        subject = f'{alarm.state}: "{alarm.name}" in {self.region_name}'[:100]
        try:
            if topic is None:
                raise ServiceError("NotFound", "Topic does not exist", 404)
            sns.publish(topic, message, subject=subject)
        except ServiceError as exc:
            self.failed_actions += 1
            summary, outcome = f"Failed to execute action {arn}. Received error: {exc.message}", "Failed"
        else:
            self.notifications += 1
            summary, outcome = f"Successfully executed action {arn}", "Succeeded"
        self._record(alarm.name, now, "Action", summary, {"actionState": outcome, "notificationResource": arn})

    def _record(self, name: str, now: float, kind: str, summary: str, data: dict[str, Any]) -> None:
        self.history.append(
            {
                "AlarmName": name,
                "AlarmType": "MetricAlarm",
                "Timestamp": now,
                "HistoryItemType": kind,
                "HistorySummary": summary,
                "HistoryData": json.dumps(data, separators=(",", ":")),
            }
        )
