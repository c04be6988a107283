"""Destinations (spec section 4): each condition's invocation record through each destination type, compared key by
key with the spec's shapes; delivery failures; a chain of two functions; user sinks; the spec's own example."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.destinations import Destination
from lambdasim.core.sinks import CollectingSink, Worker
from tests.outcome_helpers import (
    Fetch,
    bodies,
    collector,
    drain,
    fail,
    function_arn,
    iso,
    ok,
    queue,
    send,
    total,
)

PAYLOAD = {"order": 42, "items": ["a", "b"]}

# How to reach each condition with a function "f", when its outcome comes and how many attempts ran.
SCENARIOS: dict[str, dict[str, Any]] = {
    "Success": {"handler": ok, "duration": 0.5, "at": 0.5, "count": 1},
    "RetriesExhausted": {"handler": fail, "duration": 1.0, "at": 183.0, "count": 3},  # attempts at 0, 61, 182
    "EventAgeExceeded": {"handler": fail, "duration": 1.0, "max_age": 60, "at": 1.0, "count": 1},
    "ZeroReservedConcurrency": {"handler": ok, "duration": 0.5, "reserved": 0, "at": 0.0, "count": 0},
}


def make_function(sim: ls.Simulation, condition: str, destination: str) -> None:
    spec = SCENARIOS[condition]
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=spec["handler"], Duration=spec["duration"], Timeout=30)
    side = "OnSuccess" if condition == "Success" else "OnFailure"
    eic: dict[str, Any] = {"DestinationConfig": {side: {"Destination": destination}}}
    if "max_age" in spec:
        eic["MaximumEventAgeInSeconds"] = spec["max_age"]
    lam.put_function_event_invoke_config(FunctionName="f", **eic)
    if "reserved" in spec:
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=spec["reserved"])


def expected_record(condition: str, request_id: str) -> dict[str, Any]:
    """The spec's record for ``condition``, written out independently of lambdasim.core.outcome."""
    spec = SCENARIOS[condition]
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso(spec["at"]),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn("f"),
            "condition": condition,
            "approximateInvokeCount": spec["count"],
        },
        "requestPayload": PAYLOAD,
    }
    if condition == "ZeroReservedConcurrency":
        return record
    if condition == "Success":
        record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST"}
        record["responsePayload"] = {"ok": True}
        return record
    record["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    record["responsePayload"] = {
        "errorMessage": "always fails",
        "errorType": "RuntimeError",
        "requestId": request_id,
        "stackTrace": None,  # checked for shape only: the frames are the test's own
    }
    return record


def assert_record(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """Key by key, in AWS's order, nested dicts included."""
    assert list(got) == list(expected)
    for key, want in expected.items():
        if isinstance(want, dict):
            assert list(got[key]) == list(want), key
            for inner, value in want.items():
                if inner == "stackTrace":
                    assert isinstance(got[key][inner], list)
                    assert all(isinstance(line, str) for line in got[key][inner])
                    assert any("always fails" in line or "fail" in line for line in got[key][inner])
                else:
                    assert got[key][inner] == value, (key, inner)
        else:
            assert got[key] == want, key


# -- one destination of each type --------------------------------------------------------------------------


def sqs_target(sim: ls.Simulation) -> tuple[str, Fetch]:
    url, arn = queue(sim, "records")
    return arn, lambda s: bodies(s, url)


def sns_target(sim: ls.Simulation) -> tuple[str, Fetch]:
    topic = sim.client("sns").create_topic(Name="records")["TopicArn"]
    url, queue_arn = queue(sim, "from-topic")
    sim.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def fetch(s: ls.Simulation) -> list[Any]:
        out = []
        for envelope in bodies(s, url):
            assert envelope["Type"] == "Notification"
            assert envelope["TopicArn"] == topic
            out.append(json.loads(envelope["Message"]))
        return out

    return topic, fetch


def lambda_target(sim: ls.Simulation) -> tuple[str, Fetch]:
    seen = collector(sim)
    return function_arn("collector", None), lambda s: list(seen)


def events_target(sim: ls.Simulation) -> tuple[str, Fetch]:
    events = sim.client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url, queue_arn = queue(sim, "from-bus")
    events.put_rule(Name="all", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": queue_arn}])

    def fetch(s: ls.Simulation) -> list[Any]:
        out = []
        for event in bodies(s, url):
            condition = event["detail"]["requestContext"]["condition"]
            suffix = "Success" if condition == "Success" else "Failure"
            assert event["source"] == "lambda"
            assert event["detail-type"] == f"Lambda Function Invocation Result - {suffix}"
            assert event["resources"] == [bus, function_arn("f")]
            assert event["account"] == "123456789012"
            assert event["region"] == "us-east-1"
            out.append(event["detail"])
        return out

    return bus, fetch


def s3_target(sim: ls.Simulation) -> tuple[str, Fetch]:
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="failed-records")

    def fetch(s: ls.Simulation) -> list[Any]:
        listing = s3.list_objects_v2(Bucket="failed-records", Prefix="aws/lambda/async/f/")
        return [
            json.loads(s3.get_object(Bucket="failed-records", Key=o["Key"])["Body"].read())
            for o in listing.get("Contents", [])
        ]

    return "arn:aws:s3:::failed-records", fetch


TARGETS = {"sqs": sqs_target, "sns": sns_target, "lambda": lambda_target, "events": events_target, "s3": s3_target}


# S3 takes on-failure records only (its refusal of a Success record is tested below).
CASES = [(c, k) for c in SCENARIOS for k in TARGETS if not (k == "s3" and c == "Success")]


@pytest.mark.parametrize(("condition", "kind"), CASES)
def test_each_condition_reaches_each_destination_with_the_specs_record(condition: str, kind: str) -> None:
    sim = ls.Simulation(seed=3)
    arn, fetch = TARGETS[kind](sim)
    make_function(sim, condition, arn)
    rid = send(sim, PAYLOAD)
    results = sim.run(until=400)
    (record,) = fetch(sim)
    assert_record(record, expected_record(condition, rid))
    role = "on_success" if condition == "Success" else "on_failure"
    stats = results.destinations[role][arn]
    assert (stats["delivered"], stats["failed"]) == (1, 0)
    assert stats["by_condition"] == {condition: 1}
    assert stats["approximate_invoke_count"] == {str(SCENARIOS[condition]["count"]): 1}
    assert stats["event_age_s"]["max"] == pytest.approx(SCENARIOS[condition]["at"])
    assert total(results, "f", "DestinationDeliveryFailures") == 0


def test_the_s3_object_key_follows_lambdas_naming_convention() -> None:
    sim = ls.Simulation(seed=3, start="2026-03-04T05:06:07Z")
    arn, _fetch = s3_target(sim)
    make_function(sim, "RetriesExhausted", arn)
    send(sim, PAYLOAD)
    sim.run()
    (obj,) = sim.client("s3").list_objects_v2(Bucket="failed-records")["Contents"]
    # The outcome is 183 s after 05:06:07.
    prefix = "aws/lambda/async/f/2026/03/04/2026-03-04T05.09.10-"
    assert obj["Key"].startswith(prefix)
    assert len(obj["Key"]) == len(prefix) + 36  # a UUID


def test_the_eventbridge_event_time_is_the_outcome_time_to_the_second() -> None:
    sim = ls.Simulation(seed=3)
    events = sim.client("events")
    url, queue_arn = queue(sim, "all-events")
    events.put_rule(Name="r", EventPattern=json.dumps({"detail-type": [{"prefix": "Lambda Function"}]}))
    events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": queue_arn}])
    default_bus = events.describe_event_bus()["Arn"]
    make_function(sim, "RetriesExhausted", default_bus)
    send(sim, PAYLOAD)
    sim.run()
    (event,) = bodies(sim, url)
    assert event["time"] == "2026-01-01T00:03:03Z"
    assert event["version"] == "0"


# -- delivery failures -------------------------------------------------------------------------------------


def failing_destination(sim: ls.Simulation, how: str) -> str:
    """A destination ARN that cannot take a record, in one of several ways."""
    if how == "fifo queue":
        return queue(sim, "records.fifo", FifoQueue="true")[1]
    if how == "deleted queue":
        url, arn = queue(sim, "gone")
        sim.client("sqs").delete_queue(QueueUrl=url)
        return arn
    if how == "missing queue":
        return "arn:aws:sqs:us-east-1:123456789012:never-created"
    if how == "fifo topic":
        return str(sim.client("sns").create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"])
    if how == "deleted function":
        sim.client("lambda").create_function(FunctionName="nobody", Handler=ok)
        return function_arn("nobody", None)
    if how == "missing bus":
        return "arn:aws:events:us-east-1:123456789012:event-bus/nobody"
    if how == "missing bucket":
        return "arn:aws:s3:::nobody"
    if how == "other account queue":
        return "arn:aws:sqs:us-east-1:999999999999:records"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "fifo queue",
        "deleted queue",
        "missing queue",
        "fifo topic",
        "deleted function",
        "missing bus",
        "missing bucket",
        "other account queue",
    ],
)
def test_an_unusable_destination_fails_delivery_and_counts_in_destination_delivery_failures(how: str) -> None:
    sim = ls.Simulation(seed=3)
    arn = failing_destination(sim, how)
    make_function(sim, "RetriesExhausted", arn)
    if how == "deleted function":
        # The Lambda API checks that a function destination exists when it is set; it can go afterwards.
        sim.client("lambda").delete_function(FunctionName="nobody")
    send(sim, PAYLOAD)
    send(sim, PAYLOAD)
    results = sim.run()
    assert results.functions["f"]["outcomes"]["RetriesExhausted"] == 2
    assert total(results, "f", "DestinationDeliveryFailures") == 2
    assert total(results, "f", "AsyncEventsDropped") == 2  # dropped all the same, after the failed delivery
    stats = results.destinations["on_failure"][arn]
    assert (stats["delivered"], stats["failed"]) == (0, 2)
    assert stats["last_error"] is not None
    # The failures are stamped at the outcome: minute 3 (183 s).
    assert results.metric("f", "DestinationDeliveryFailures") == [(180.0, 2.0)]


def test_s3_is_an_on_failure_destination_only() -> None:
    # The Lambda API refuses S3 as an on-success destination; the destination sink refuses it too, when attached
    # by hand (built-in destinations are sinks like any other).
    sim = ls.Simulation(seed=3)
    arn, fetch = s3_target(sim)
    sim.client("lambda").create_function(FunctionName="f", Handler=ok, Duration=0.5)
    on_success = sim.add_sink(Destination(sim.services, arn, on_failure=False), conditions=["Success"])
    on_failure = sim.add_sink(Destination(sim.services, arn, on_failure=True), conditions=["Success"])
    send(sim, PAYLOAD)
    sim.run()
    assert (on_success.stats.delivered, on_success.stats.failed) == (0, 1)
    assert "on-failure records only" in str(on_success.stats.last_error)
    assert on_failure.stats.delivered == 1
    assert len(fetch(sim)) == 1


def test_an_on_failure_record_over_snss_limit_is_sent_without_its_payload() -> None:
    sim = ls.Simulation(seed=3)
    topic, fetch = sns_target(sim)
    make_function(sim, "RetriesExhausted", topic)
    big = {"blob": "x" * 300_000}  # within Lambda's 1 MB async limit, over SNS's 256 KB
    rid = send(sim, big)
    results = sim.run()
    (record,) = fetch(sim)
    expected = expected_record("RetriesExhausted", rid)
    del expected["requestPayload"], expected["responsePayload"]
    assert_record(record, expected)
    assert total(results, "f", "DestinationDeliveryFailures") == 0


def test_an_on_success_record_over_snss_limit_fails_delivery() -> None:
    sim = ls.Simulation(seed=3)
    topic, fetch = sns_target(sim)
    make_function(sim, "Success", topic)
    send(sim, {"blob": "x" * 300_000})
    results = sim.run()
    assert fetch(sim) == []
    assert total(results, "f", "DestinationDeliveryFailures") == 1


# -- configuration at outcome time, chains, both destinations --------------------------------------------


def test_destinations_are_looked_up_when_the_outcome_happens() -> None:
    sim = ls.Simulation(seed=3)
    first_url, first = queue(sim, "first")
    second_url, second = queue(sim, "second")
    make_function(sim, "RetriesExhausted", first)
    send(sim, PAYLOAD)  # its outcome comes at 183 s
    sim.run(until=100)
    sim.client("lambda").put_function_event_invoke_config(
        FunctionName="f", DestinationConfig={"OnFailure": {"Destination": second}}
    )
    sim.run()
    assert drain(sim, first_url) == []
    assert len(drain(sim, second_url)) == 1


def test_a_lambda_destination_chains_two_functions() -> None:
    sim = ls.Simulation(seed=3)
    lam = sim.client("lambda")
    seen = collector(sim, "second")  # runs 0.25 s
    url, q = queue(sim, "end")
    lam.put_function_event_invoke_config(FunctionName="second", DestinationConfig={"OnSuccess": {"Destination": q}})
    make_function(sim, "Success", function_arn("second", None))
    rid = send(sim, PAYLOAD)
    results = sim.run()
    # The first function's record is the second's event ...
    (event,) = seen
    assert_record(event, expected_record("Success", rid))
    # ... and the second's own record wraps it: invoked at 0.5 s, done at 0.75 s.
    (record,) = bodies(sim, url)
    assert record["requestPayload"] == event
    assert record["requestContext"]["functionArn"] == function_arn("second")
    assert record["requestContext"]["requestId"] != rid
    assert record["timestamp"] == iso(0.75)
    assert results.functions["second"]["async_events_received"] == 1
    assert results.metric("second", "AsyncEventsReceived") == [(0.0, 1.0)]


def test_a_qualified_lambda_destination_runs_the_alias_version() -> None:
    sim = ls.Simulation(seed=3)
    lam = sim.client("lambda")
    collector(sim, "second")
    version = lam.publish_version(FunctionName="second")["Version"]
    lam.create_alias(FunctionName="second", Name="live", FunctionVersion=version)
    url, q = queue(sim, "end")
    lam.put_function_event_invoke_config(
        FunctionName="second", Qualifier="live", DestinationConfig={"OnSuccess": {"Destination": q}}
    )
    make_function(sim, "Success", function_arn("second", "live"))
    send(sim, PAYLOAD)
    sim.run()
    (record,) = bodies(sim, url)
    assert record["requestContext"]["functionArn"] == function_arn("second", "live")
    assert record["responseContext"]["executedVersion"] == version


def test_both_the_on_failure_destination_and_the_dead_letter_queue_get_a_failed_event() -> None:
    sim = ls.Simulation(seed=3)
    dest_url, dest = queue(sim, "dest")
    dlq_url, dlq = queue(sim, "dlq")
    make_function(sim, "RetriesExhausted", dest)
    sim.client("lambda").update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": dlq})
    rid = send(sim, PAYLOAD)
    results = sim.run()
    (record,) = bodies(sim, dest_url)
    assert record["requestContext"]["requestId"] == rid
    (message,) = drain(sim, dlq_url, MessageAttributeNames=["All"])
    assert json.loads(message["Body"]) == PAYLOAD
    assert message["MessageAttributes"]["RequestID"]["StringValue"] == rid
    assert results.destinations["dead_letter"][dlq]["delivered"] == 1
    assert results.destinations["on_failure"][dest]["delivered"] == 1


def test_dropped_events_go_nowhere() -> None:
    sim = ls.Simulation(seed=3, settings=ls.Settings(drop_probability=1.0))
    url, arn = queue(sim, "records")
    make_function(sim, "RetriesExhausted", arn)
    lam = sim.client("lambda")
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    send(sim, PAYLOAD)
    send(sim, PAYLOAD)  # throttled behind the first, then dropped by the queue
    results = sim.run()
    assert results.functions["f"]["outcomes"]["Dropped"] == 1
    assert len(bodies(sim, url)) == 1
    assert total(results, "f", "AsyncEventsDropped") == 2


# -- user sinks --------------------------------------------------------------------------------------------


class Exploding:
    def deliver(self, outcome: ls.Outcome) -> None:
        raise ValueError("downstream is down")


def test_user_sinks_filter_by_function_and_condition_and_never_crash_the_run() -> None:
    sim = ls.Simulation(seed=3)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=fail, Duration=1.0)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    lam.create_function(FunctionName="g", Handler=ok, Duration=1.0)
    everything = sim.add_sink(CollectingSink())
    failures_of_f = sim.add_sink(CollectingSink(), function="f", conditions=["RetriesExhausted"])
    successes_of_f = sim.add_sink(CollectingSink(), function="f", conditions=ls.Condition.SUCCESS)
    broken = sim.add_sink(Exploding(), name="broken")
    for _ in range(3):
        send(sim, {}, "f")
        send(sim, {}, "g")
    results = sim.run()
    assert len(everything.sink) == 6  # type: ignore[arg-type]
    assert [o.function_name for o in failures_of_f.sink.outcomes] == ["f"] * 3  # type: ignore[attr-defined]
    assert len(successes_of_f.sink) == 0  # type: ignore[arg-type]
    assert everything.name == "CollectingSink" and failures_of_f.name == "CollectingSink-2"
    assert results.sinks["broken"]["failed"] == 6
    assert results.sinks["broken"]["last_error"] == "ValueError: downstream is down"
    assert results.sinks["CollectingSink"]["by_condition"] == {"Success": 3, "RetriesExhausted": 3}
    assert results.sinks["CollectingSink"]["approximate_invoke_count"] == {"1": 6}
    assert broken.stats.failed_by_condition["Success"] == 3


def test_add_sink_checks_its_arguments() -> None:
    sim = ls.Simulation(seed=3)
    with pytest.raises(TypeError, match="deliver"):
        sim.add_sink(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not exist"):
        sim.add_sink(CollectingSink(), function="nobody")
    with pytest.raises(ValueError, match="conditions must be among"):
        sim.add_sink(CollectingSink(), conditions=["Sucess"])
    sim.add_sink(CollectingSink(), name="mine")
    with pytest.raises(ValueError, match="taken"):
        sim.add_sink(CollectingSink(), name="mine")


def test_a_downstream_worker_serves_outcomes_at_its_own_rate() -> None:
    sim = ls.Simulation(seed=3)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ok, Duration=1.0)
    processed: list[str] = []
    worker = Worker(sim, rate_per_s=0.5, capacity=3, process=lambda o: processed.append(o.request_id))
    attached = sim.add_sink(worker, function="f", conditions=["Success"])
    rids = [send(sim, {"n": n}) for n in range(6)]  # all succeed at t = 1 s
    results = sim.run()
    # One is served at once, three wait, two are refused: the worker holds at most 3 waiting.
    assert processed == rids[:4]
    assert worker.rejected == 2
    assert results.sinks["Worker"]["failed"] == 2 and attached.stats.delivered == 4
    # Served one every 2 s from t = 1: done at 3, 5, 7, 9; waits 0, 2, 4, 6.
    assert worker.wait.max == pytest.approx(6.0)
    assert worker.age_at_processing.max == pytest.approx(9.0)
    assert worker.to_dict()["queue"]["max"] == 3


def test_the_spec_api_example_works_end_to_end() -> None:
    # spec/api.md, "Door 1", unchanged but for the asserts at the end.
    sim = ls.Simulation(seed=7)
    lam = sim.client("lambda")
    sqs = sim.client("sqs")

    url = sqs.create_queue(QueueName="failed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
        if event.get("fail"):
            raise ValueError("boom")
        return {"ok": True}

    lam.create_function(FunctionName="orders", Handler=handler, Timeout=30, MemorySize=512, Duration=0.2)
    lam.put_function_event_invoke_config(
        FunctionName="orders", MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    resp = lam.invoke(FunctionName="orders", InvocationType="Event", Payload=json.dumps({"fail": True}))
    assert resp["StatusCode"] == 202

    sim.run(until=600)
    msg = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"][0]
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert record["responsePayload"]["errorMessage"] == "boom"
    assert record["timestamp"] == iso(3 * 0.2 + 180)


def test_a_warm_up_resets_sink_and_destination_statistics() -> None:
    sim = ls.Simulation(seed=3)
    _url, arn = queue(sim, "done")
    make_function(sim, "Success", arn)
    watcher = sim.add_sink(CollectingSink())
    send(sim, PAYLOAD)  # done at 0.5 s, inside the warm-up
    sim.engine.reset_statistics(10.0)
    sim.run(until=20)
    send(sim, PAYLOAD)
    results = sim.run()
    assert results.sinks["CollectingSink"]["delivered"] == 1
    assert results.destinations["on_success"][arn]["delivered"] == 1
    assert len(watcher.sink) == 2  # type: ignore[arg-type]  # the sink itself saw both
