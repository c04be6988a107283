"""CloudWatch-style metrics (spec section 6): every metric on a timeline worked out by hand, read through the
results and through ``sim.client("cloudwatch")`` in boto3's shapes, with CloudWatch's validation errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import lambdasim as ls
from tests.outcome_helpers import START, queue, send

HOUR = dt.timedelta(hours=1)
FN = [{"Name": "FunctionName", "Value": "f"}]


def failing_on_request(event: dict[str, Any], context: Any) -> dict[str, bool]:
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"ok": True}


def timeline(settings: ls.Settings | None = None) -> ls.Simulation:
    """The worked example.

    ``f`` (10 s, reserved concurrency 2, no retries), three events at t = 0, the second failing: two run 0-10 s;
    the third is throttled at 0, 1, 3 and 7 s (backoff 1, 2, 4, 8) and runs 15-25 s at age 15 s. ``g`` runs one
    event 100-250 s (minutes 1 to 4). ``h`` takes one synchronous invoke at 30 s (2 s) and one refused at 31 s.
    """
    sim = ls.Simulation(seed=21, settings=settings)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing_on_request, Duration=10.0, Timeout=60)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=2)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    lam.create_function(FunctionName="g", Duration=150.0, Timeout=900)
    lam.create_function(FunctionName="h", Duration=2.0)
    lam.put_function_concurrency(FunctionName="h", ReservedConcurrentExecutions=1)
    send(sim, {}, "f")
    send(sim, {"fail": True}, "f")
    send(sim, {}, "f")
    sim.run(until=30)
    # The second, at 31 s, finds h's only unit of concurrency busy: throttled (429), not an invocation.
    lam.invoke(FunctionName="h", InvocationType="Event", Payload=b"{}")
    sim.run(until=31)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="h", Payload=b"{}")
    sim.run(until=100)
    send(sim, {}, "g")
    sim.run(until=400)
    return sim


@pytest.fixture(scope="module")
def sim() -> ls.Simulation:
    return timeline()


def test_every_metric_of_the_worked_example(sim: ls.Simulation) -> None:
    r = sim.results()
    assert r.metric("f", "Invocations") == [(0.0, 3.0)]
    assert r.metric("f", "Errors") == [(0.0, 1.0)]
    assert r.metric("f", "Errors", "SampleCount") == [(0.0, 3.0)]
    assert r.metric("f", "Errors", "Average") == [(0.0, pytest.approx(1 / 3))]
    assert r.metric("f", "Throttles") == [(0.0, 4.0)]
    assert r.metric("f", "Duration", "Maximum") == [(0.0, pytest.approx(10_000.0))]
    assert r.metric("f", "Duration", "p50")[0][1] == pytest.approx(10_000.0, rel=0.01)
    assert r.metric("f", "ConcurrentExecutions", "Maximum") == [(0.0, 2.0)]
    assert r.metric("f", "AsyncEventsReceived") == [(0.0, 3.0)]
    assert r.metric("f", "AsyncEventAge", "Maximum") == [(0.0, pytest.approx(15_000.0))]
    assert r.metric("f", "AsyncEventAge", "Minimum") == [(0.0, 0.0)]
    assert r.metric("f", "AsyncEventAge", "SampleCount") == [(0.0, 3.0)]
    assert r.metric("f", "AsyncEventsDropped") == [(0.0, 1.0)]  # the failure, at 10 s
    assert r.metric("f", "DeadLetterErrors") == []
    assert r.metric("f", "DestinationDeliveryFailures") == []
    # g runs 100-250 s: one invocation stamped at its start, its concurrency in every minute it spans.
    assert r.metric("g", "Invocations") == [(60.0, 1.0)]
    assert r.metric("g", "Duration", "Sum") == [(60.0, pytest.approx(150_000.0))]
    assert r.metric("g", "ConcurrentExecutions", "Maximum") == [(t, 1.0) for t in (60.0, 120.0, 180.0, 240.0)]
    # h: the async invoke ran, the synchronous one was throttled and is no invocation.
    assert r.metric("h", "Invocations") == [(0.0, 1.0)]
    assert r.metric("h", "Throttles") == [(0.0, 1.0)]
    assert r.metric("h", "AsyncEventsReceived") == [(0.0, 1.0)]


def test_get_metric_statistics_in_boto3s_shape(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")
    out = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Dimensions=FN,
        StartTime=START,
        EndTime=START + HOUR,
        Period=60,
        Statistics=["Sum", "SampleCount"],
    )
    assert out["Label"] == "Invocations"
    assert out["Datapoints"] == [{"Timestamp": START, "SampleCount": 3.0, "Sum": 3.0, "Unit": "Count"}]
    assert out["Datapoints"][0]["Timestamp"].tzinfo is not None
    ages = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="AsyncEventAge",
        Dimensions=FN,
        StartTime="2026-01-01T00:00:00Z",
        EndTime="2026-01-01T01:00:00Z",
        Period=300,
        ExtendedStatistics=["p50", "p99.9"],
    )["Datapoints"]
    ((point),) = ages
    assert point["Unit"] == "Milliseconds"
    assert point["ExtendedStatistics"]["p50"] == 0.0
    assert point["ExtendedStatistics"]["p99.9"] == pytest.approx(15_000.0, rel=0.01)


def test_periods_aggregate_and_the_window_selects(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")

    def points(**kwargs: Any) -> list[dict[str, Any]]:
        base: dict[str, Any] = {
            "Namespace": "AWS/Lambda",
            "MetricName": "ConcurrentExecutions",
            "Dimensions": [{"Name": "FunctionName", "Value": "g"}],
            "StartTime": START,
            "EndTime": START + HOUR,
            "Period": 60,
            "Statistics": ["Maximum"],
        }
        base.update(kwargs)
        return list(cw.get_metric_statistics(**base)["Datapoints"])

    assert [p["Timestamp"] for p in points()] == [START + dt.timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert [(p["Timestamp"], p["Maximum"]) for p in points(Period=300)] == [(START, 1.0)]
    window = points(StartTime=START + dt.timedelta(minutes=2), EndTime=START + dt.timedelta(minutes=4))
    assert [p["Timestamp"] for p in window] == [START + dt.timedelta(minutes=m) for m in (2, 3)]
    assert points(Unit="Seconds") == []  # a unit the metric does not have
    assert points(Namespace="AWS/SQS") == []


def test_account_level_metrics_sum_over_functions(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")
    out = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        StartTime=START,
        EndTime=START + HOUR,
        Period=3600,
        Statistics=["Sum"],
    )
    assert [p["Sum"] for p in out["Datapoints"]] == [5.0]  # f 3, g 1, h 1


def test_get_metric_data(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")

    def stat(metric: str, name: str, function: str = "f") -> dict[str, Any]:
        return {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
            },
            "Period": 60,
            "Stat": name,
        }

    out = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "errors", "MetricStat": stat("Errors", "Average")},
            {"Id": "duration_p99", "MetricStat": stat("Duration", "p99"), "Label": "p99 duration"},
            {"Id": "busy", "MetricStat": stat("ConcurrentExecutions", "Maximum", "g")},
            {"Id": "hidden", "MetricStat": stat("Invocations", "Sum"), "ReturnData": False},
        ],
        StartTime=START,
        EndTime=START + HOUR,
    )
    errors, duration, busy = out["MetricDataResults"]
    assert errors["Id"] == "errors" and errors["Label"] == "Errors" and errors["StatusCode"] == "Complete"
    assert errors["Values"] == [pytest.approx(1 / 3)] and errors["Timestamps"] == [START]
    assert duration["Label"] == "p99 duration" and duration["Values"][0] == pytest.approx(10_000.0, rel=0.01)
    assert busy["Timestamps"] == [START + dt.timedelta(minutes=m) for m in (4, 3, 2, 1)]  # newest first
    ascending = cw.get_metric_data(
        MetricDataQueries=[{"Id": "busy", "MetricStat": stat("ConcurrentExecutions", "Maximum", "g")}],
        StartTime=START,
        EndTime=START + HOUR,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert ascending["Timestamps"] == sorted(busy["Timestamps"])
    assert out["Messages"] == []


def test_list_metrics(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")
    listed = cw.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": "h"}])["Metrics"]
    assert {m["MetricName"] for m in listed} == {
        "Invocations",
        "Errors",
        "Throttles",
        "Duration",
        "ConcurrentExecutions",
        "AsyncEventsReceived",
        "AsyncEventAge",
    }
    assert all(m["Dimensions"] == [{"Name": "FunctionName", "Value": "h"}] for m in listed)
    account = [m for m in cw.list_metrics(MetricName="Throttles")["Metrics"] if not m["Dimensions"]]
    assert account == [{"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": []}]
    assert cw.list_metrics(Namespace="AWS/SQS")["Metrics"] == []


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"Statistics": None}, "InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics"),
        (
            {"ExtendedStatistics": ["p99"]},
            "InvalidParameterCombination",
            "Only one of Statistics or ExtendedStatistics",
        ),
        ({"Period": 90}, "InvalidParameterValue", "The parameter Period must be a multiple of 60."),
        (
            {"EndTime": START},
            "InvalidParameterValue",
            "The parameter StartTime must be less than the parameter EndTime.",
        ),
        ({"Statistics": ["Median"]}, "InvalidParameterValue", "Statistics.member.1"),
        (
            {"EndTime": START + 2 * dt.timedelta(days=1)},
            "InvalidParameterCombination",
            "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440.",
        ),
    ],
)
def test_cloudwatch_validation_errors(sim: ls.Simulation, change: dict[str, Any], code: str, message: str) -> None:
    cw = sim.client("cloudwatch")
    params: dict[str, Any] = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Invocations",
        "StartTime": START,
        "EndTime": START + HOUR,
        "Period": 60,
        "Statistics": ["Sum"],
    }
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ls.ClientError) as err:
        cw.get_metric_statistics(**params)
    assert err.value.response["Error"]["Code"] == code
    assert message in err.value.response["Error"]["Message"]
    assert isinstance(err.value, getattr(cw.exceptions, code + "Exception"))


def test_the_metrics_period_is_a_setting() -> None:
    sim = timeline(ls.Settings(metrics_period_s=10.0))
    r = sim.results()
    # Two attempts start at 0 s, the throttled third at 15 s: periods 0 and 10.
    assert r.metric("f", "Invocations") == [(0.0, 2.0), (10.0, 1.0)]
    assert r.metric("f", "Throttles") == [(0.0, 4.0)]
    cw = sim.client("cloudwatch")
    base = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Invocations",
        "Dimensions": FN,
        "StartTime": START,
        "EndTime": START + HOUR,
        "Statistics": ["Sum"],
    }
    assert [p["Sum"] for p in cw.get_metric_statistics(Period=60, **base)["Datapoints"]] == [3.0]
    with pytest.raises(cw.exceptions.InvalidParameterValueException, match="multiple of 10"):
        cw.get_metric_statistics(Period=15, **base)


def test_destination_and_dead_letter_failures_are_metrics() -> None:
    sim = ls.Simulation(seed=2)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=failing_on_request, Duration=1.0)
    url, arn = queue(sim, "gone")
    lam.put_function_event_invoke_config(
        FunctionName="f", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    lam.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": arn})
    sim.client("sqs").delete_queue(QueueUrl=url)
    send(sim, {"fail": True})
    r = sim.run()
    assert r.metric("f", "DestinationDeliveryFailures") == [(0.0, 1.0)]
    assert r.metric("f", "DeadLetterErrors") == [(0.0, 1.0)]
    assert r.metric("f", "AsyncEventsDropped") == [(0.0, 1.0)]


def test_results_are_a_snapshot_and_json_ready(sim: ls.Simulation) -> None:
    r = sim.results()
    data = json.loads(json.dumps(r.to_dict(), allow_nan=False))  # strict JSON: no NaN or Infinity
    assert data["seed"] == 21 and data["settings"]["metrics_period_s"] == 60.0
    series = data["metrics"]["functions"]["f"]["AsyncEventAge"]
    assert series[0]["period_start_s"] == 0 and series[0]["Maximum"] == pytest.approx(15_000.0)
    assert data["metrics"]["functions"]["f"]["ConcurrentExecutions"][0]["p99"] is None
    before = r.metric("g", "Invocations")
    send(sim, {}, "g")
    sim.run(until=sim.now + 10)
    assert r.metric("g", "Invocations") == before  # the old results do not move
    assert sim.results().metric("g", "Invocations") != before


def test_tidy_frames() -> None:
    pytest.importorskip("pandas")
    r = timeline().results()
    frame = r.metrics_frame()
    assert list(frame.columns[:5]) == ["function", "metric", "timestamp", "period_start_s", "unit"]
    row = frame[(frame.function == "f") & (frame.metric == "Throttles")].iloc[0]
    assert (row["Sum"], row["unit"], str(row["timestamp"])) == (4.0, "Count", "2026-01-01 00:00:00+00:00")
    wide = r.frame()
    assert wide.loc["f", "outcomes.RetriesExhausted"] == 1
    assert wide.loc["g", "async_events_received"] == 1
    assert "end_to_end_s.p99" in wide.columns


def test_summary_lists_deliveries() -> None:
    sim = ls.Simulation(seed=2)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=1.0)
    _url, arn = queue(sim, "done")
    lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": arn}})
    send(sim, {})
    text = sim.run().summary()
    assert "on-success" in text and "arn:aws:sqs:us-east-1:123456789012:done" in text


@pytest.mark.parametrize("others", [[], [0.0, 3.5, 120.0, 0.25], [7.0] * 3000, [0.0] * 5])
def test_zeros_counted_aside_give_the_figures_of_zeros_added_one_by_one(others: list[float]) -> None:
    # Engine.arrive counts the event-age samples of events polled as they arrived (exactly 0 ms) in
    # Samples.zeros_pending instead of appending them: every figure must be what appending them gives, whatever
    # comes before or after, read before and after folding, copied and merged.
    from lambdasim.core.metrics import Samples

    def figures(s: Samples) -> tuple[Any, ...]:
        count = s.count  # before anything folds
        return (count, s.total, s.minimum, s.maximum, s.zeros, s.buckets, s.count)

    appended, counted = Samples(), Samples()
    for k, value in enumerate(others):
        appended.add(value)
        counted.add(value)
        if k % 3 == 0:
            appended.add(0.0)
            counted.zeros_pending += 1
    for _ in range(4):
        appended.add(0.0)
        counted.zeros_pending += 1
    assert counted.count == appended.count  # before anything folds
    assert figures(counted.copy()) == figures(appended.copy())
    assert figures(counted.merged(Samples())) == figures(appended.merged(Samples()))
    assert figures(counted) == figures(appended)
    assert counted.minimum == 0.0 and counted.zeros == appended.zeros >= 4
