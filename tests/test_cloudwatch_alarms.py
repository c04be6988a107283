"""CloudWatch metric alarms on the simulated clock: exact state-change times on a function whose errors start and stop
at known times, reasons in AWS's words, missing-data treatments, actions to SNS, and the alarm operations' errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.cloudwatch.evaluation import java_double, judge

FN = [{"Name": "FunctionName", "Value": "f"}]
T0 = 1767225600.0  # 2026-01-01T00:00:00Z, the default start


def failing(event: dict[str, Any], context: Any) -> dict[str, bool]:
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"ok": True}


def errors_between(start_s: float, stop_s: float, until_s: float, **alarm: Any) -> tuple[ls.Simulation, Any]:
    """``f`` invoked every 10 s from t = 5 s, failing in ``[start_s, stop_s)``; an alarm ``errs`` on its Errors
    (Sum over 60 s, > 0) with ``alarm`` overriding; the simulation is stepped to ``until_s``."""
    sim = ls.Simulation(seed=5)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing, Duration=1.0)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    cw = sim.client("cloudwatch")
    config: dict[str, Any] = {
        "AlarmName": "errs",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": FN,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    config.update(alarm)
    cw.put_metric_alarm(**config)
    t = 5.0
    while t < until_s:
        sim.run(until=t)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"fail": start_s <= t < stop_s}))
        t += 10.0
    sim.run(until=until_s)
    return sim, cw


def transitions(cw: Any, name: str = "errs") -> list[tuple[float, str]]:
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
    return [
        (h["Timestamp"].timestamp() - T0, json.loads(h["HistoryData"])["newState"]["stateValue"])
        for h in items["AlarmHistoryItems"]
    ]


def state(cw: Any, name: str = "errs") -> str:
    return str(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def test_one_period_alarm_changes_state_at_the_end_of_the_first_and_last_failing_periods() -> None:
    # Errors from 300 s to 600 s: the period [300, 360) is the first with errors, [600, 660) the first without.
    _sim, cw = errors_between(300, 600, 900)
    assert transitions(cw) == [(60.0, "OK"), (360.0, "ALARM"), (660.0, "OK")]


def test_the_state_changes_at_the_period_boundary_not_before() -> None:
    sim, cw = errors_between(300, 10_000, 359.999)
    assert state(cw) == "OK"
    sim.run(until=360.001)
    assert state(cw) == "ALARM"


def test_m_out_of_n_needs_m_breaching_periods() -> None:
    # 2 out of 3: the second failing period ends at 420 s; back to OK when at most 1 of the last 3 breaches: the
    # window [540, 720) holds one failing period (540-600), so OK at 720 s.
    _sim, cw = errors_between(300, 600, 900, EvaluationPeriods=3, DatapointsToAlarm=2)
    assert transitions(cw) == [(60.0, "OK"), (420.0, "ALARM"), (720.0, "OK")]
    reason = cw.describe_alarm_history(AlarmName="errs", HistoryItemType="StateUpdate")["AlarmHistoryItems"][1]
    new = json.loads(reason["HistoryData"])["newState"]
    assert new["stateReason"] == (
        "Threshold Crossed: 2 out of the last 3 datapoints [6.0 (01/01/26 00:06:00), 6.0 (01/01/26 00:05:00)] were "
        "greater than the threshold (0.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )


def test_reason_and_reason_data_in_aws_words() -> None:
    _sim, cw = errors_between(300, 10_000, 400)
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["StateReason"] == (
        "Threshold Crossed: 1 datapoint [6.0 (01/01/26 00:05:00)] was greater than the threshold (0.0)."
    )
    data = json.loads(alarm["StateReasonData"])
    assert data == {
        "version": "1.0",
        "queryDate": "2026-01-01T00:06:00.000+0000",
        "startDate": "2026-01-01T00:05:00.000+0000",
        "statistic": "Sum",
        "period": 60,
        "recentDatapoints": [6.0],
        "threshold": 0.0,
        "evaluatedDatapoints": [{"timestamp": "2026-01-01T00:05:00.000+0000", "sampleCount": 6.0, "value": 6.0}],
    }
    assert alarm["StateTransitionedTimestamp"].timestamp() - T0 == 360.0


def test_initial_state_and_description() -> None:
    _sim, cw = errors_between(0, 0, 1, AlarmDescription="errors of f", TreatMissingData="notBreaching")
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert alarm["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errs"
    assert list(alarm) == [
        "AlarmName",
        "AlarmArn",
        "AlarmDescription",
        "AlarmConfigurationUpdatedTimestamp",
        "ActionsEnabled",
        "OKActions",
        "AlarmActions",
        "InsufficientDataActions",
        "StateValue",
        "StateReason",
        "StateUpdatedTimestamp",
        "MetricName",
        "Namespace",
        "Statistic",
        "Dimensions",
        "Period",
        "EvaluationPeriods",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
        "StateTransitionedTimestamp",
    ]


def subscribed_queue(sim: ls.Simulation) -> tuple[str, str]:
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    url = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def received(sim: ls.Simulation, url: str) -> list[dict[str, Any]]:
    """The notifications in the queue, taken off it."""
    sqs = sim.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_actions_publish_aws_alarm_notifications_to_the_topic() -> None:
    sim = ls.Simulation(seed=1)
    topic, url = subscribed_queue(sim)
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="load",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )
    sim.run(until=30)
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 12, "Unit": "Count"}])
    sim.run(until=61)
    (envelope,) = received(sim, url)
    assert envelope["Subject"] == 'ALARM: "load" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert message == {
        "AlarmName": "load",
        "AlarmDescription": None,
        "AWSAccountId": "123456789012",
        "AlarmConfigurationUpdatedTimestamp": "2026-01-01T00:00:00.000+0000",
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint [12.0 (01/01/26 00:00:00)] was greater than or equal to "
        "the threshold (10.0).",
        "StateChangeTime": "2026-01-01T00:01:00.000+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:load",
        "OldStateValue": "INSUFFICIENT_DATA",
        "OKActions": [],
        "AlarmActions": [topic],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": "Orders",
            "Namespace": "Shop",
            "StatisticType": "Statistic",
            "Statistic": "MAXIMUM",
            "Unit": None,
            "Dimensions": [],
            "Period": 60,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 10.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }
    # Then no datapoint: missing data with TreatMissingData "missing" -> INSUFFICIENT_DATA, which has no action here.
    sim.run(until=121)
    assert state(cw, "load") == "INSUFFICIENT_DATA"
    assert cw.describe_alarms(StateValue="INSUFFICIENT_DATA")["MetricAlarms"][0]["StateReason"] == (
        "Insufficient Data: 1 datapoint was unknown."
    )
    assert received(sim, url) == []


def test_disabled_actions_change_state_silently_and_set_alarm_state_notifies() -> None:
    sim = ls.Simulation(seed=1)
    topic, url = subscribed_queue(sim)
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        OKActions=[topic],
        AlarmActions=[topic],
    )
    cw.disable_alarm_actions(AlarmNames=["a", "nope"])
    sim.run(until=61)
    assert state(cw, "a") == "OK"
    assert cw.describe_alarms()["MetricAlarms"][0]["StateReason"] == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )
    assert received(sim, url) == []
    cw.enable_alarm_actions(AlarmNames=["a"])
    cw.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="testing alarm")
    (envelope,) = received(sim, url)
    assert json.loads(envelope["Message"])["NewStateReason"] == "testing alarm"
    assert state(cw, "a") == "ALARM"
    sim.run(until=121)  # the next evaluation puts it back
    assert state(cw, "a") == "OK"
    assert [json.loads(b["Message"])["NewStateValue"] for b in received(sim, url)] == ["OK"]


def test_evaluation_costs_nothing_without_alarms_and_stops_with_the_last_one() -> None:
    sim = ls.Simulation(seed=1)
    cw = sim.client("cloudwatch")
    assert sim.env.queue == []
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=120,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    assert [entry[0] for entry in sim.env.queue] == [120]
    with pytest.raises(ValueError, match=r"alarms at the end of every period.*'a'"):
        sim.run()
    cw.delete_alarms(AlarmNames=["a", "never-existed"])
    assert sim.env.queue == []
    sim.run()
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_an_alarm_changes_nothing_in_the_functions_results() -> None:
    plain, _ = errors_between(300, 600, 900, AlarmName="other", MetricName="Throttles")
    sim = ls.Simulation(seed=5)
    # The same run with its alarm deleted at once: no evaluation at all.
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing, Duration=1.0)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    t = 5.0
    while t < 900:
        sim.run(until=t)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"fail": 300 <= t < 600}))
        t += 10.0
    sim.run(until=900)
    assert plain.results().to_dict()["functions"] == sim.results().to_dict()["functions"]


@pytest.mark.parametrize(
    ("treat", "expected"),
    [("missing", "INSUFFICIENT_DATA"), ("ignore", "ALARM"), ("breaching", "ALARM"), ("notBreaching", "OK")],
)
def test_missing_data_treatments(treat: str, expected: str) -> None:
    # One breaching datapoint in the first minute, then nothing: the state at 120 s depends on the treatment.
    sim = ls.Simulation(seed=1)
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData=treat,
    )
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 5}])
    sim.run(until=61)
    assert state(cw, "a") == "ALARM"
    sim.run(until=121)
    assert state(cw, "a") == expected


def test_judge_words_each_case_as_aws_does() -> None:
    t = T0
    common: dict[str, Any] = {"threshold": 1.0, "comparison": "GreaterThanOrEqualToThreshold", "short_form": False}
    verdict = judge(
        [(t, 0.0, 1), (t + 60, None, 0), (t + 120, 3.0, 2)], datapoints_to_alarm=2, treat_missing="breaching", **common
    )
    assert verdict.state == "ALARM"
    assert verdict.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [3.0 (01/01/26 00:02:00)] was greater than or equal to "
        "the threshold (1.0) and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints for "
        "OK -> ALARM transition)."
    )
    verdict = judge(
        [(t, 0.0, 1), (t + 60, 0.5, 1), (t + 120, 3.0, 2)], datapoints_to_alarm=2, treat_missing="missing", **common
    )
    assert verdict.state == "OK"
    assert verdict.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [0.5 (01/01/26 00:01:00), 0.0 (01/01/26 00:00:00)] were "
        "not greater than or equal to the threshold (1.0) (minimum 2 datapoints for ALARM -> OK transition)."
    )
    assert judge([(t, None, 0)] * 2, datapoints_to_alarm=2, treat_missing="ignore", **common).state is None
    verdict = judge([(t, None, 0)] * 2, datapoints_to_alarm=2, treat_missing="breaching", **common)
    assert verdict.reason == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as "
        "[Breaching]."
    )
    assert judge([(t, None, 0)] * 2, datapoints_to_alarm=1, treat_missing="missing", **common).reason == (
        "Insufficient Data: 2 datapoints were unknown."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (21.5, "21.5"),
        (0.0, "0.0"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (1.5e-5, "1.5E-5"),
        (-2e-4, "-2.0E-4"),
    ],
)
def test_numbers_are_written_as_java_writes_doubles(value: float, text: str) -> None:
    assert java_double(value) == text


def test_percentile_alarm_on_custom_values_and_history() -> None:
    sim = ls.Simulation(seed=1)
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="p90",
        Namespace="Shop",
        MetricName="Latency",
        Dimensions=[{"Name": "Route", "Value": "/buy"}],
        ExtendedStatistic="p90",
        Period=60,
        EvaluationPeriods=1,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Route", "Value": "/buy"}],
                "Values": [10.0, 200.0],
                "Counts": [8, 2],
                "Unit": "Milliseconds",
            }
        ],
    )
    sim.run(until=61)
    # Nearest rank of p90 over 10 samples (8 x 10, 2 x 200): rank ceil(0.9 * 9) = 9 -> 200.
    assert state(cw, "p90") == "ALARM"
    found = cw.describe_alarms_for_metric(
        Namespace="Shop", MetricName="Latency", Dimensions=[{"Name": "Route", "Value": "/buy"}]
    )
    assert [a["AlarmName"] for a in found["MetricAlarms"]] == ["p90"]
    assert cw.describe_alarms_for_metric(Namespace="Shop", MetricName="Latency")["MetricAlarms"] == []
    kinds = [h["HistoryItemType"] for h in cw.describe_alarm_history(AlarmName="p90")["AlarmHistoryItems"]]
    assert kinds == ["StateUpdate", "ConfigurationUpdate"]


def test_describe_alarms_filters_and_pages() -> None:
    sim = ls.Simulation(seed=1)
    cw = sim.client("cloudwatch")
    for n in range(5):
        cw.put_metric_alarm(
            AlarmName=f"alarm-{n}",
            Namespace="Shop",
            MetricName="Orders",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    cw.put_metric_alarm(
        AlarmName="other",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix="alarm-", PaginationConfig={"PageSize": 2})
    assert [[a["AlarmName"] for a in p["MetricAlarms"]] for p in pages] == [
        ["alarm-0", "alarm-1"],
        ["alarm-2", "alarm-3"],
        ["alarm-4"],
    ]
    assert len(cw.describe_alarms(StateValue="INSUFFICIENT_DATA")["MetricAlarms"]) == 6
    assert cw.describe_alarms(AlarmNames=["other"])["CompositeAlarms"] == []
    assert cw.describe_alarms(StateValue="OK")["MetricAlarms"] == []


def error_of(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call(**params)
    response = exc.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_alarm_operation_errors() -> None:
    cw = ls.Simulation(seed=1).client("cloudwatch")
    # Recorded on AWS (LocalStack's snapshots).
    assert error_of(cw.set_alarm_state, AlarmName="nope", StateValue="INVALID", StateReason="x") == (
        "ValidationError",
        "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must "
        "satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
        400,
    )
    assert error_of(cw.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x") == (
        "ResourceNotFound",
        "",
        404,
    )
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    base: dict[str, Any] = {
        "AlarmName": "a",
        "Namespace": "Shop",
        "MetricName": "Orders",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    assert error_of(cw.put_metric_alarm, **{**base, "DatapointsToAlarm": 3})[:2] == (
        "ValidationError",
        "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
    )
    assert error_of(cw.put_metric_alarm, **{**base, "Period": 90})[:2] == (
        "InvalidParameterValue",
        "The parameter Period must be a multiple of 60.",
    )
    code, message, _ = error_of(cw.put_metric_alarm, **{**base, "Metrics": [{"Id": "m1", "Expression": "1"}]})
    assert (code, message) == (
        "InvalidParameterCombination",
        "The parameters Metrics and MetricName are mutually exclusive.",
    )
    code, message, _ = error_of(cw.put_metric_alarm, **{**base, "ThresholdMetricId": "ad1"})
    assert (code, message) == (
        "InvalidParameterValue",
        "lambdasim does not simulate ThresholdMetricId on PutMetricAlarm alarms",
    )
    assert error_of(cw.put_metric_alarm, **{**base, "ComparisonOperator": "Bigger"})[0] == "ValidationError"
    alarm = dict(base)
    alarm["AlarmName"] = "ok"
    cw.put_metric_alarm(**alarm)
    assert (
        error_of(cw.set_alarm_state, AlarmName="ok", StateValue="OK", StateReason="x", StateReasonData="{not json")[0]
        == "InvalidFormat"
    )
    with pytest.raises(ls.ParamValidationError, match="tagged union"):
        cw.put_metric_alarm(**base, EvaluationCriteria={})


def test_put_metric_data_is_read_by_every_read_operation() -> None:
    sim = ls.Simulation(seed=1)
    cw = sim.client("cloudwatch")
    dims = [{"Name": "Store", "Value": "north"}]
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Orders", "Dimensions": dims, "Value": 3, "Unit": "Count"},
            {"MetricName": "Orders", "Dimensions": dims, "Values": [1, 2], "Counts": [2, 1], "Unit": "Count"},
            {
                "MetricName": "Orders",
                "Dimensions": dims,
                "StatisticValues": {"SampleCount": 2, "Sum": 10, "Minimum": 4, "Maximum": 6},
                "Unit": "Count",
                "Timestamp": ls.Simulation(seed=0).start.timestamp() + 70,
            },
        ],
    )
    sim.run(until=200)
    stats = cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Orders",
        Dimensions=dims,
        StartTime=T0,
        EndTime=T0 + 180,
        Period=60,
        Statistics=["Sum", "SampleCount", "Minimum", "Maximum"],
    )["Datapoints"]
    assert [
        (p["Timestamp"].timestamp() - T0, p["Sum"], p["SampleCount"], p["Minimum"], p["Maximum"]) for p in stats
    ] == [
        (0.0, 7.0, 4.0, 1.0, 3.0),
        (60.0, 10.0, 2.0, 4.0, 6.0),
    ]
    assert {p["Unit"] for p in stats} == {"Count"}
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "orders",
                "MetricStat": {
                    "Metric": {"Namespace": "Shop", "MetricName": "Orders", "Dimensions": dims},
                    "Period": 120,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=T0,
        EndTime=T0 + 240,
    )["MetricDataResults"][0]
    assert data["Values"] == [17.0]
    assert cw.list_metrics(Namespace="Shop")["Metrics"] == [
        {"Namespace": "Shop", "MetricName": "Orders", "Dimensions": dims}
    ]
    assert {"Namespace": "Shop", "MetricName": "Orders", "Dimensions": dims} in cw.list_metrics()["Metrics"]
    other_unit = cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Orders",
        Dimensions=dims,
        StartTime=T0,
        EndTime=T0 + 180,
        Period=60,
        Statistics=["Sum"],
        Unit="Seconds",
    )
    assert other_unit["Datapoints"] == []


def test_put_metric_data_errors_in_aws_words() -> None:
    cw = ls.Simulation(seed=1).client("cloudwatch")
    where = "MetricData.member.1"
    assert error_of(cw.put_metric_data, Namespace="Shop", MetricData=[{"MetricName": "m", "Value": 1, "Values": [1]}])[
        :2
    ] == (
        "InvalidParameterCombination",
        f"The parameters {where}.Value and {where}.Values are mutually exclusive and you have specified both.",
    )
    assert error_of(
        cw.put_metric_data,
        Namespace="Shop",
        MetricData=[
            {"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}
        ],
    )[:2] == (
        "InvalidParameterCombination",
        f"The parameters {where}.Value and {where}.StatisticValues are mutually exclusive and you have specified both.",
    )
    assert error_of(
        cw.put_metric_data, Namespace="Shop", MetricData=[{"MetricName": "m", "Values": [1, 2], "Counts": [1]}]
    )[:2] == (
        "InvalidParameterValue",
        f"The parameters {where}.Values and {where}.Counts must be of the same size.",
    )
    assert error_of(cw.put_metric_data, Namespace="AWS/Lambda", MetricData=[{"MetricName": "m", "Value": 1}])[:2] == (
        "InvalidParameterValue",
        "The value AWS/ for parameter Namespace is invalid.",
    )
    assert error_of(cw.put_metric_data, Namespace="Shop", MetricData=[{"MetricName": "m", "Value": float("nan")}])[
        :2
    ] == ("InvalidParameterValue", "The value NaN for parameter MetricData.member.1.Value is invalid.")
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "m", "Value": 1e300}])


def math_alarm(**overrides: Any) -> dict[str, Any]:
    def stat(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": FN},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    alarm: dict[str, Any] = {
        "AlarmName": "error-rate",
        "EvaluationPeriods": 1,
        "Threshold": 50.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            stat("errors", "Errors"),
            stat("invocations", "Invocations"),
            {"Id": "rate", "Expression": "100 * errors / invocations", "Label": "Error rate"},
        ],
    }
    alarm.update(overrides)
    return alarm


def test_metric_math_alarm_on_an_error_rate() -> None:
    # Half the events fail from 300 s (every other one): a rate of 50 %, not above 50; all fail from 600 s.
    sim = ls.Simulation(seed=5)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing, Duration=1.0)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    cw = sim.client("cloudwatch")
    cw.put_metric_alarm(**math_alarm())
    for n in range(90):
        t = 5.0 + 10 * n
        sim.run(until=t)
        fail = (t >= 300 and n % 2 == 0) or t >= 600
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"fail": fail}))
    sim.run(until=900)
    assert transitions(cw, "error-rate") == [(60.0, "OK"), (660.0, "ALARM")]
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["StateReason"] == (
        "Threshold Crossed: 1 datapoint [100.0 (01/01/26 00:10:00)] was greater than the threshold (50.0)."
    )
    assert [q["Id"] for q in alarm["Metrics"]] == ["errors", "invocations", "rate"]
    assert "MetricName" not in alarm and "Period" not in alarm


def test_metric_math_alarm_errors() -> None:
    cw = ls.Simulation(seed=1).client("cloudwatch")
    alarm = math_alarm()
    alarm["Metrics"][2]["ReturnData"] = False
    assert error_of(cw.put_metric_alarm, **alarm)[:2] == (
        "ValidationError",
        "Exactly one element of the metrics list should return data.",
    )
    alarm = math_alarm()
    alarm["Metrics"][2]["Expression"] = "100 * errors / nope"
    code, message, _ = error_of(cw.put_metric_alarm, **alarm)
    assert code == "ValidationError" and message.startswith("Error in expression rate")


def test_a_window_of_a_series_is_the_series_filtered_rolled_up_buckets_too() -> None:
    # 1 s periods and 4,000 s of invocations: the oldest periods are rolled up into coarse buckets.
    sim = ls.Simulation(seed=3, settings=ls.Settings(metrics_period_s=1.0))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing, Duration=0.5)
    for n in range(1000):
        sim.run(until=4.0 * n + 0.1)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"fail": n % 3 == 0}))
    sim.run(until=4001)
    fm = sim.engine.functions["f"].metrics
    fm.settle(sim.now)
    for metric in ("Invocations", "Errors", "Duration", "ConcurrentExecutions"):
        full = fm.series(metric)
        assert any(fm.span(i) > 1 for i in full)  # some buckets are rolled up
        for first, last in ((0, 50), (100, 2600), (2500, 2600), (3990, 4100), (-5, 10_000)):
            window = fm.series(metric, first, last)
            expected = {i: a for i, a in full.items() if first <= i <= last}
            assert list(window) == list(expected)
            assert all(window[i].statistic(s) == expected[i].statistic(s) for i in window for s in ("Sum", "Maximum"))


def test_model_constraints_are_validation_errors() -> None:
    cw = ls.Simulation(seed=1).client("cloudwatch")
    code, message, _ = error_of(cw.describe_alarms, AlarmNames=[f"a{n}" for n in range(101)])
    assert code == "ValidationError"
    assert message.startswith("1 validation error detected: Value '[a0, a1,")
    assert message.endswith(
        "at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"
    )


def test_describe_filters_by_action_prefix_and_type_and_history_pages_by_date() -> None:
    sim = ls.Simulation(seed=1)
    topic, _ = subscribed_queue(sim)
    cw = sim.client("cloudwatch")
    common: dict[str, Any] = {
        "Namespace": "Shop",
        "MetricName": "Orders",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    cw.put_metric_alarm(AlarmName="with-action", AlarmActions=[topic], **common)
    cw.put_metric_alarm(AlarmName="without", **common)
    names = lambda **kw: [a["AlarmName"] for a in cw.describe_alarms(**kw)["MetricAlarms"]]  # noqa: E731
    assert names(ActionPrefix="arn:aws:sns:us-east-1:123456789012:al") == ["with-action"]
    assert names(AlarmTypes=["CompositeAlarm"]) == []
    assert names(AlarmNames=["without", "nope"]) == ["without"]
    with pytest.raises(ls.ClientError, match="mutually exclusive"):
        cw.describe_alarms(AlarmNames=["a"], AlarmNamePrefix="a")
    sim.run(until=61)  # both go to OK at 60 s
    history = cw.describe_alarm_history(StartDate=T0 + 30, EndDate=T0 + 90)["AlarmHistoryItems"]
    assert sorted((h["AlarmName"], h["HistoryItemType"]) for h in history) == [
        ("with-action", "StateUpdate"),
        ("without", "StateUpdate"),
    ]
    pages = list(cw.get_paginator("describe_alarm_history").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["AlarmHistoryItems"]) for p in pages] == [2, 2]
    assert (
        cw.describe_alarm_history(HistoryItemType="ConfigurationUpdate", ScanBy="TimestampAscending")[
            "AlarmHistoryItems"
        ][0]["HistorySummary"]
        == 'Alarm "with-action" created'
    )
