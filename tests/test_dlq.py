"""Dead-letter queues (spec section 4): the original event as the body, RequestID / ErrorCode / ErrorMessage
attributes, SQS and SNS targets, and failed deliveries counted in DeadLetterErrors."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.sqs.backend import md5_of_attributes
from tests.outcome_helpers import drain, fail, ok, queue, send, total

EVENT = {"order": 7, "note": "é"}


def function_with_dlq(sim: ls.Simulation, target: str, handler: Any = fail, **create: Any) -> None:
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f", Handler=handler, Duration=1.0, DeadLetterConfig={"TargetArn": target}, **create
    )


def attributes(message: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {k: (v["DataType"], v["StringValue"]) for k, v in message["MessageAttributes"].items()}


def test_an_sqs_dead_letter_queue_gets_the_original_event_with_its_attributes() -> None:
    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    function_with_dlq(sim, arn)
    rid = send(sim, EVENT)
    results = sim.run()
    (message,) = drain(sim, url, MessageAttributeNames=["All"])
    assert json.loads(message["Body"]) == EVENT
    assert attributes(message) == {
        "RequestID": ("String", rid),
        "ErrorCode": ("Number", "200"),
        "ErrorMessage": ("String", "always fails"),
    }
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(message["MessageAttributes"])
    assert results.destinations["dead_letter"][arn]["delivered"] == 1
    assert total(results, "f", "DeadLetterErrors") == 0
    assert total(results, "f", "AsyncEventsDropped") == 1


def test_the_md5_of_message_attributes_is_sqss() -> None:
    # Known answer from an independent implementation of SQS's algorithm (moto 5.2's Message.attribute_md5).
    attrs = {
        "RequestID": {"DataType": "String", "StringValue": "abc"},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "boom"},
        "Bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    assert md5_of_attributes(attrs) == "5b0d9b21bf277342dcc9e0e741083d26"


def test_the_error_message_is_cut_to_its_first_kilobyte() -> None:
    def long_error(event: Any, context: Any) -> None:
        raise ValueError("é" * 800)  # 1600 bytes in UTF-8

    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    function_with_dlq(sim, arn, long_error)
    send(sim, EVENT)
    sim.run()
    (message,) = drain(sim, url, MessageAttributeNames=["ErrorMessage"])
    text = message["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert text == "é" * 512  # 1024 bytes: whole characters only
    assert list(message["MessageAttributes"]) == ["ErrorMessage"]


def test_an_sns_dead_letter_topic_passes_the_event_and_attributes_on() -> None:
    sim = ls.Simulation(seed=5)
    sns = sim.client("sns")
    topic = sns.create_topic(Name="dead-letters")["TopicArn"]
    raw_url, raw_arn = queue(sim, "raw")
    wrapped_url, wrapped_arn = queue(sim, "wrapped")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=wrapped_arn)
    function_with_dlq(sim, topic)
    rid = send(sim, EVENT)
    sim.run()
    (raw,) = drain(sim, raw_url, MessageAttributeNames=["All"])
    assert json.loads(raw["Body"]) == EVENT
    assert attributes(raw)["RequestID"] == ("String", rid)
    assert attributes(raw)["ErrorCode"] == ("Number", "200")
    (wrapped,) = drain(sim, wrapped_url)
    envelope = json.loads(wrapped["Body"])
    assert json.loads(envelope["Message"]) == EVENT
    assert envelope["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert envelope["MessageAttributes"]["RequestID"] == {"Type": "String", "Value": rid}


def test_an_event_aged_out_after_throttles_only_has_error_code_429() -> None:
    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    function_with_dlq(sim, arn, ok, Timeout=900)
    lam = sim.client("lambda")
    lam.update_function_configuration(FunctionName="f", Duration=600.0)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=60)
    send(sim, {"first": True})  # holds the only unit of concurrency for 600 s
    rid = send(sim, EVENT)  # throttled until its age runs out
    results = sim.run()
    assert results.functions["f"]["outcomes"]["EventAgeExceeded"] == 1
    (message,) = drain(sim, url, MessageAttributeNames=["All"])
    assert json.loads(message["Body"]) == EVENT
    assert attributes(message) == {
        "RequestID": ("String", rid),
        "ErrorCode": ("Number", "429"),
        "ErrorMessage": ("String", "Rate Exceeded."),
    }


def test_zero_reserved_concurrency_sends_events_to_the_dead_letter_queue_at_once() -> None:
    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    function_with_dlq(sim, arn, ok)
    sim.client("lambda").put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    rid = send(sim, EVENT)
    sim.run()
    (message,) = drain(sim, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["SentTimestamp"])
    assert attributes(message)["ErrorCode"] == ("Number", "429")
    assert attributes(message)["RequestID"] == ("String", rid)
    assert message["Attributes"]["SentTimestamp"] == str(int(ls.Simulation(seed=0).start.timestamp() * 1000))


def test_a_dead_letter_queue_set_mid_run_applies_to_events_already_queued() -> None:
    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    sim.client("lambda").create_function(FunctionName="f", Handler=fail, Duration=1.0)
    send(sim, EVENT)
    sim.run(until=10)
    sim.client("lambda").update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": arn})
    sim.run()
    assert len(drain(sim, url)) == 1


@pytest.mark.parametrize("how", ["missing", "fifo", "deleted", "too small"])
def test_a_failed_dead_letter_delivery_counts_in_dead_letter_errors(how: str) -> None:
    sim = ls.Simulation(seed=5)
    if how == "missing":
        arn = "arn:aws:sqs:us-east-1:123456789012:nowhere"
    elif how == "fifo":
        arn = queue(sim, "dlq.fifo", FifoQueue="true", ContentBasedDeduplication="true")[1]
    elif how == "deleted":
        url, arn = queue(sim, "dlq")
        sim.client("sqs").delete_queue(QueueUrl=url)
    else:
        url, arn = queue(sim, "dlq", MaximumMessageSize="1024")
    function_with_dlq(sim, arn)
    send(sim, {"blob": "x" * 2000})
    send(sim, {"blob": "x" * 2000})
    results = sim.run()
    assert total(results, "f", "DeadLetterErrors") == 2
    assert total(results, "f", "AsyncEventsDropped") == 2
    stats = results.destinations["dead_letter"][arn]
    assert (stats["delivered"], stats["failed"]) == (0, 2)
    # Stamped at the outcomes (183 s: minute 3).
    assert results.metric("f", "DeadLetterErrors") == [(180.0, 2.0)]


def test_successful_events_never_reach_the_dead_letter_queue() -> None:
    sim = ls.Simulation(seed=5)
    url, arn = queue(sim, "dlq")
    function_with_dlq(sim, arn, ok)
    for _ in range(5):
        send(sim, EVENT)
    results = sim.run()
    assert drain(sim, url) == []
    assert results.destinations["dead_letter"] == {}
    assert total(results, "f", "AsyncEventsDropped") == 0
