"""The SQS event source mapping through the boto3-shaped clients: exact timings of batches, visibility timeouts,
receive counts, redrive, partial batch responses, FIFO groups, filters, scaling and throttles; the API's validation;
a conservation property and the closed-form throughput of a saturated mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.lambda_.esm import esm_service
from tests.outcome_helpers import ACCOUNT, REGION, START

PREFIX = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
Call = tuple[float, list[str], list[int]]


class World:
    """A simulation with one function ``f`` whose calls are recorded, and queues made on demand."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any] | None = None,
        *,
        duration: float = 1.0,
        timeout: int = 3,
        concurrency_limit: int = 1000,
    ) -> None:
        self.sim = ls.Simulation(seed=5, concurrency_limit=concurrency_limit)
        self.lam = self.sim.client("lambda")
        self.sqs = self.sim.client("sqs")
        self.calls: list[Call] = []
        self.events: list[dict[str, Any]] = []
        inner = handler or (lambda event, context: None)

        def record(event: dict[str, Any], context: Any) -> Any:
            self.events.append(event)
            recs = event["Records"]
            self.calls.append(
                (
                    self.sim.now,
                    [r["body"] for r in recs],
                    [int(r["attributes"]["ApproximateReceiveCount"]) for r in recs],
                )
            )
            return inner(event, context)

        self.lam.create_function(FunctionName="f", Handler=record, Duration=duration, Timeout=timeout)

    def queue(self, name: str, **attributes: str) -> str:
        attrs = dict(attributes)
        if name.endswith(".fifo"):
            attrs["FifoQueue"] = "true"
        return str(self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])

    def map(self, queue: str, **params: Any) -> str:
        resp = self.lam.create_event_source_mapping(EventSourceArn=PREFIX + queue, FunctionName="f", **params)
        return str(resp["UUID"])

    def send(self, url: str, *bodies: str, **params: Any) -> list[str]:
        return [self.sqs.send_message(QueueUrl=url, MessageBody=b, **params)["MessageId"] for b in bodies]

    def visible(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ls.ClientError) as err:
        call()
    return dict(err.value.response["Error"])


def fail_first(event: dict[str, Any], context: Any) -> None:
    if any(r["attributes"]["ApproximateReceiveCount"] == "1" for r in event["Records"]):
        raise RuntimeError("first try fails")


def always_fail(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("boom")


# -- batches and timing ---------------------------------------------------------------------------------------------


def test_batches_of_batch_size_start_at_once_on_free_pollers() -> None:
    w = World()
    url = w.queue("q")
    w.map("q", BatchSize=4)
    w.send(url, *[f"m{i}" for i in range(10)])
    w.sim.run()
    assert [(t, len(b)) for t, b, _ in w.calls] == [(0.0, 4), (0.0, 4), (0.0, 2)]
    assert [b for _t, bs, _ in w.calls for b in bs] == [f"m{i}" for i in range(10)]
    assert w.visible(url) == 0
    assert w.sim.now == 1.0


def test_batching_window_gathers_until_it_ends() -> None:
    w = World()
    url = w.queue("q")
    w.map("q", BatchSize=50, MaximumBatchingWindowInSeconds=5)
    w.sim.run(until=0.5)
    w.send(url, "a")
    w.sim.run(until=2)
    w.send(url, "b")
    w.sim.run(until=4)
    w.send(url, "c")
    w.sim.run(until=5.4)
    assert w.calls == []
    w.sim.run()
    assert w.calls == [(5.5, ["a", "b", "c"], [1, 1, 1])]  # the window opened with "a" at 0.5 s


def test_a_full_batch_does_not_wait_for_its_window() -> None:
    w = World()
    url = w.queue("q", VisibilityTimeout="600")
    uuid = w.map("q", BatchSize=25, MaximumBatchingWindowInSeconds=300)
    w.send(url, *[str(i) for i in range(60)])
    w.sim.run()
    assert [(t, len(b)) for t, b, _ in w.calls] == [(0.0, 25), (0.0, 25), (300.0, 10)]
    stats = esm_service(w.sim).mappings[uuid].stats
    assert stats.receive_requests == 3 + 3 + 1  # ReceiveMessage returns at most 10
    assert stats.delete_requests == 3 + 3 + 1


def test_delayed_messages_are_not_delivered_before_their_delay() -> None:
    w = World()
    url = w.queue("q", DelaySeconds="7")
    w.map("q")
    w.send(url, "late")
    w.send(url, "later", DelaySeconds=12)
    w.sim.run()
    assert [(t, b) for t, b, _ in w.calls] == [(7.0, ["late"]), (12.0, ["later"])]


def test_event_record_shape() -> None:
    w = World()
    url = w.queue("q")
    w.map("q")
    w.sim.run(until=3)
    attrs = {"colour": {"DataType": "String", "StringValue": "red"}, "raw": {"DataType": "Binary", "BinaryValue": b"x"}}
    w.sqs.send_message(QueueUrl=url, MessageBody='{"n": 1}', MessageAttributes=attrs)
    w.sim.run()
    (record,) = w.events[0]["Records"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["body"] == '{"n": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == PREFIX + "q"
    assert record["awsRegion"] == REGION
    ms = str(round((START.timestamp() + 3) * 1000))
    assert record["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": ms,
        "SenderId": ACCOUNT,
        "ApproximateFirstReceiveTimestamp": ms,
    }
    assert record["messageAttributes"] == {
        "colour": {"stringValue": "red", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "raw": {"binaryValue": "eA==", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }
    got = w.sqs.send_message(QueueUrl=url, MessageBody='{"n": 1}', MessageAttributes=attrs)
    assert record["md5OfBody"] == got["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == got["MD5OfMessageAttributes"]


# -- failures, visibility, redrive --------------------------------------------------------------------------------


def test_a_failed_batch_comes_back_after_the_visibility_timeout_with_a_higher_receive_count() -> None:
    w = World(fail_first, duration=2.0)
    url = w.queue("q", VisibilityTimeout="30")
    uuid = w.map("q")
    w.send(url, "a", "b")
    w.sim.run()
    # Received at 0 s, failed at 2 s, invisible until 30 s (from the receive, not from the failure).
    assert w.calls == [(0.0, ["a", "b"], [1, 1]), (30.0, ["a", "b"], [2, 2])]
    assert w.visible(url) == 0
    stats = esm_service(w.sim).mappings[uuid].stats
    assert (stats.batches, stats.errors, stats.returned, stats.deleted) == (2, 1, 2, 2)


def test_a_timeout_fails_the_batch_too() -> None:
    w = World(duration=5.0, timeout=2)
    url = w.queue("q", VisibilityTimeout="10")
    w.map("q")
    w.send(url, "slow")
    w.sim.run(until=35)
    assert [(t, n) for t, _b, n in w.calls] == [(0.0, [1]), (10.0, [2]), (20.0, [3]), (30.0, [4])]


def test_redrive_moves_the_message_to_the_dead_letter_queue_at_max_receive_count() -> None:
    w = World(always_fail)
    dlq = w.queue("dlq")
    policy = json.dumps({"deadLetterTargetArn": PREFIX + "dlq", "maxReceiveCount": 3})
    url = w.queue("q", VisibilityTimeout="20", RedrivePolicy=policy)
    w.map("q")
    (message_id,) = w.send(url, "poison")
    w.sim.run()
    assert [(t, n) for t, _b, n in w.calls] == [(0.0, [1]), (20.0, [2]), (40.0, [3])]
    assert w.visible(url) == 0
    got = w.sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [(m["MessageId"], m["Attributes"]["ApproximateReceiveCount"]) for m in got] == [(message_id, "4")]
    assert got[0]["Attributes"]["DeadLetterQueueSourceArn"] == PREFIX + "q"


def test_partial_batch_response_returns_only_the_reported_items() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bad = [
            r["messageId"]
            for r in event["Records"]
            if r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "1"
        ]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    w = World(handler)
    url = w.queue("q", VisibilityTimeout="15")
    uuid = w.map("q", FunctionResponseTypes=["ReportBatchItemFailures"])
    w.send(url, "ok1", "bad", "ok2")
    w.sim.run()
    assert w.calls == [(0.0, ["ok1", "bad", "ok2"], [1, 1, 1]), (15.0, ["bad"], [2])]
    stats = esm_service(w.sim).mappings[uuid].stats
    assert (stats.partial, stats.deleted, stats.returned, stats.errors) == (1, 4 - 1, 1, 0)


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "x"}]},
        {"batchItemFailures": "nope"},
    ],
)
def test_an_invalid_partial_batch_response_fails_the_whole_batch(response: dict[str, Any]) -> None:
    w = World(
        lambda event, context: response if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1" else None
    )
    url = w.queue("q", VisibilityTimeout="10")
    w.map("q", FunctionResponseTypes=["ReportBatchItemFailures"])
    w.send(url, "a", "b")
    w.sim.run()
    assert w.calls == [(0.0, ["a", "b"], [1, 1]), (10.0, ["a", "b"], [2, 2])]


@pytest.mark.parametrize("response", [{"batchItemFailures": []}, {"batchItemFailures": None}, {}, None, "text"])
def test_complete_success_responses(response: Any) -> None:
    w = World(lambda event, context: response)
    url = w.queue("q", VisibilityTimeout="10")
    w.map("q", FunctionResponseTypes=["ReportBatchItemFailures"])
    w.send(url, "a", "b")
    w.sim.run()
    assert len(w.calls) == 1 and w.visible(url) == 0


def test_without_report_batch_item_failures_a_returned_list_is_ignored() -> None:
    w = World(lambda event, context: {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]})
    url = w.queue("q")
    w.map("q")
    w.send(url, "a")
    w.sim.run()
    assert len(w.calls) == 1 and w.visible(url) == 0


# -- FIFO -----------------------------------------------------------------------------------------------------------


def test_fifo_keeps_order_per_group_and_a_failing_group_blocks_only_itself() -> None:
    def handler(event: dict[str, Any], context: Any) -> None:
        (record,) = event["Records"]
        if record["body"] == "A1" and record["attributes"]["ApproximateReceiveCount"] == "1":
            raise RuntimeError("A1 fails once")

    w = World(handler)
    url = w.queue("q.fifo", VisibilityTimeout="30", ContentBasedDeduplication="true")
    w.map("q.fifo", BatchSize=1)
    for body, group in (("A1", "A"), ("A2", "A"), ("B1", "B"), ("B2", "B"), ("B3", "B")):
        w.send(url, body, MessageGroupId=group)
    w.sim.run()
    assert [(t, b[0]) for t, b, _ in w.calls] == [
        (0.0, "A1"),
        (0.0, "B1"),
        (1.0, "B2"),
        (2.0, "B3"),
        (30.0, "A1"),  # group A waited for A1's visibility timeout; B went on
        (31.0, "A2"),
    ]
    record = w.events[0]["Records"][0]
    assert record["attributes"]["MessageGroupId"] == "A"
    assert record["attributes"]["SequenceNumber"].isdigit()
    assert "MessageDeduplicationId" in record["attributes"]


def test_fifo_batch_holds_several_groups_in_order() -> None:
    w = World()
    url = w.queue("q.fifo", ContentBasedDeduplication="true")
    w.map("q.fifo", BatchSize=10)
    for i in range(6):
        w.send(url, f"m{i}", MessageGroupId="g" if i % 2 else "h")
    w.sim.run()
    assert w.calls == [(0.0, [f"m{i}" for i in range(6)], [1] * 6)]


# -- filters, enabling, states ------------------------------------------------------------------------------------


def test_filtered_out_messages_are_deleted_without_invoking() -> None:
    w = World()
    url = w.queue("q")
    pattern = {"body": {"kind": ["order"]}}
    uuid = w.map("q", FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    w.send(url, '{"kind": "order", "n": 1}', '{"kind": "refund"}', "plain text", '{"kind": "order", "n": 2}')
    w.sim.run()
    assert [json.loads(b)["n"] for _t, bs, _ in w.calls for b in bs] == [1, 2]
    assert w.visible(url) == 0
    stats = esm_service(w.sim).mappings[uuid].stats
    assert (stats.filtered, stats.deleted) == (2, 2)


def test_state_moves_and_a_disabled_mapping_leaves_messages_in_the_queue() -> None:
    w = World()
    url = w.queue("q")
    resp = w.lam.create_event_source_mapping(EventSourceArn=PREFIX + "q", FunctionName="f", Enabled=False)
    uuid = resp["UUID"]
    assert resp["State"] == "Creating"
    w.send(url, "a")
    w.sim.run(until=10)
    assert w.lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert w.calls == [] and w.visible(url) == 1
    assert w.lam.update_event_source_mapping(UUID=uuid, Enabled=True)["State"] == "Enabling"
    w.sim.run(until=20)
    assert w.lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    assert w.calls == [(10.0, ["a"], [1])]
    assert w.lam.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    assert w.lam.update_event_source_mapping(UUID=uuid, BatchSize=5)["State"] == "Updating"
    w.sim.run(until=21)
    assert w.lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert w.lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    w.sim.run(until=22)
    assert error(lambda: w.lam.get_event_source_mapping(UUID=uuid))["Code"] == "ResourceNotFoundException"


def test_describe_and_list() -> None:
    w = World()
    w.queue("q")
    w.queue("r")
    w.lam.create_function(FunctionName="g")
    w.lam.publish_version(FunctionName="f")
    w.lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    a = w.lam.create_event_source_mapping(
        EventSourceArn=PREFIX + "q",
        FunctionName="f:live",
        BatchSize=200,
        MaximumBatchingWindowInSeconds=10,
        ScalingConfig={"MaximumConcurrency": 7},
    )
    b = w.lam.create_event_source_mapping(EventSourceArn=PREFIX + "r", FunctionName="g")
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
    assert a["FunctionArn"] == f"{fn}:f:live"
    assert a["EventSourceMappingArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{a['UUID']}"
    assert (a["BatchSize"], a["MaximumBatchingWindowInSeconds"], a["ScalingConfig"]) == (
        200,
        10,
        {"MaximumConcurrency": 7},
    )
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert b["FunctionArn"] == f"{fn}:g" and "ScalingConfig" not in b
    listed = w.lam.list_event_source_mappings()["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [a["UUID"], b["UUID"]]
    assert [m["UUID"] for m in w.lam.list_event_source_mappings(FunctionName="g")["EventSourceMappings"]] == [b["UUID"]]
    by_queue = w.lam.list_event_source_mappings(EventSourceArn=PREFIX + "q")["EventSourceMappings"]
    assert [m["UUID"] for m in by_queue] == [a["UUID"]]
    page = w.lam.list_event_source_mappings(MaxItems=1)
    assert len(page["EventSourceMappings"]) == 1 and "NextMarker" in page
    rest = w.lam.list_event_source_mappings(Marker=page["NextMarker"])
    assert [m["UUID"] for m in rest["EventSourceMappings"]] == [b["UUID"]]


# -- validation -----------------------------------------------------------------------------------------------------


def test_validation_errors() -> None:
    w = World(timeout=60)
    w.queue("q")
    w.queue("slow", VisibilityTimeout="60")
    w.queue("q.fifo", VisibilityTimeout="60")

    def create(queue: str = "slow", **params: Any) -> dict[str, Any]:
        return error(
            lambda: w.lam.create_event_source_mapping(EventSourceArn=PREFIX + queue, FunctionName="f", **params)
        )

    got = create(BatchSize=11)
    assert got["Code"] == "InvalidParameterValueException"
    assert got["Message"] == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )
    assert create("q")["Message"] == "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds"
    assert create("q.fifo", BatchSize=11, MaximumBatchingWindowInSeconds=1)["Code"] == "InvalidParameterValueException"
    assert create("q.fifo", MaximumBatchingWindowInSeconds=1)["Code"] == "InvalidParameterValueException"
    assert create("missing")["Message"].startswith("Error occurred while ReceiveMessage.")
    assert create(StartingPosition="LATEST")["Code"] == "InvalidParameterValueException"
    assert create(FilterCriteria={"Filters": [{"Pattern": "{not json"}]})["Message"] == (
        "Invalid filter pattern definition."
    )
    for bad in ({"ScalingConfig": {"MaximumConcurrency": 1}}, {"BatchSize": 0}, {"BatchSize": "10"}):
        with pytest.raises(ls.ParamValidationError):  # botocore checks types and minimums on the client
            w.lam.create_event_source_mapping(EventSourceArn=PREFIX + "slow", FunctionName="f", **bad)
    got = create(ScalingConfig={"MaximumConcurrency": 1001})
    assert got["Code"] == "ValidationException" and "maximumConcurrency" in got["Message"]
    assert create(BatchSize=10001)["Code"] == "ValidationException"
    assert create(MaximumBatchingWindowInSeconds=301)["Code"] == "ValidationException"
    assert create(FunctionResponseTypes=["Nope"])["Code"] == "ValidationException"
    got = error(lambda: w.lam.create_event_source_mapping(EventSourceArn=PREFIX + "slow", FunctionName="nope"))
    assert got["Code"] == "ResourceNotFoundException"
    uuid = w.map("slow")
    got = create()
    assert got["Code"] == "ResourceConflictException"
    assert got["Message"].endswith(f"Please update or delete the existing mapping with UUID {uuid}")
    got = error(lambda: w.lam.update_event_source_mapping(UUID=uuid, BatchSize=50))
    assert got["Message"].startswith("Maximum batch window")
    assert error(lambda: w.lam.get_event_source_mapping(UUID="nope"))["Code"] == "ResourceNotFoundException"


# -- scaling and throttles ------------------------------------------------------------------------------------------


def starts(w: World) -> dict[float, int]:
    out: dict[float, int] = {}
    for t, _b, _n in w.calls:
        out[t] = out.get(t, 0) + 1
    return out


def test_scaling_starts_at_five_and_adds_300_per_minute_up_to_1000() -> None:
    w = World(duration=500.0, timeout=900)
    url = w.queue("q", VisibilityTimeout="900")
    uuid = w.map("q", BatchSize=1)
    w.sim.services.sqs.by_name("q")
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(2000):
        queue.send(str(i))
    w.sim.run(until=400)
    assert starts(w) == {0.0: 5, 60.0: 300, 120.0: 300, 180.0: 300, 240.0: 95}
    mapping = esm_service(w.sim).mappings[uuid]
    assert mapping.scale == 1000 and mapping.stats.peak_batches == 1000
    assert mapping.stats.throttles == 0 and url


def test_maximum_concurrency_caps_the_pollers() -> None:
    w = World(duration=500.0, timeout=900)
    w.queue("q", VisibilityTimeout="900")
    uuid = w.map("q", BatchSize=1, ScalingConfig={"MaximumConcurrency": 40})
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(200):
        queue.send(str(i))
    w.sim.run(until=400)
    assert starts(w) == {0.0: 5, 60.0: 35}
    assert esm_service(w.sim).mappings[uuid].stats.throttles == 0


def test_maximum_concurrency_below_five_starts_there() -> None:
    w = World(duration=10.0, timeout=30)
    url = w.queue("q")
    w.map("q", BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    w.send(url, *"abcde")
    w.sim.run()
    assert starts(w) == {0.0: 2, 10.0: 2, 20.0: 1}


def test_scale_returns_to_five_when_traffic_stops() -> None:
    w = World(duration=30.0, timeout=60)
    w.queue("q", VisibilityTimeout="60")
    uuid = w.map("q", BatchSize=1)
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(400):
        queue.send(str(i))
    w.sim.run(until=150)
    mapping = esm_service(w.sim).mappings[uuid]
    assert mapping.scale == 605
    w.sim.run()
    assert w.sim.now < 180 and mapping.scale == 605  # the minute that ends at 180 s has not ended
    w.sim.run(until=1000)
    assert mapping.scale == 5 and mapping.busy == 0
    assert w.visible("https://sqs.us-east-1.amazonaws.com/123456789012/q") == 0


def test_throttled_batches_retry_with_backoff_then_reappear_after_the_visibility_timeout() -> None:
    w = World(duration=90.0, timeout=100)
    url = w.queue("q", VisibilityTimeout="100")
    w.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
    uuid = w.map("q", BatchSize=1)
    w.send(url, "a", "b")
    w.sim.run(until=100)
    mapping = esm_service(w.sim).mappings[uuid]
    # "a" runs from 0 s; "b" is throttled at 0 s and retried at 1, 3, 7, 15, 31, 63 s (1 s doubling); the next
    # retry (127 s) would come after its visibility timeout (100 s), so the poller lets it go.
    assert mapping.stats.throttles == 7 and mapping.stats.invokes == 8
    assert w.calls == [(0.0, ["a"], [1])]
    w.sim.run()
    assert w.calls == [(0.0, ["a"], [1]), (100.0, ["b"], [2])]
    assert w.visible(url) == 0


# -- properties and closed forms ------------------------------------------------------------------------------------


def test_saturated_mapping_throughput_is_concurrency_over_duration() -> None:
    # A backlog larger than the mapping can drain: after the first minute's scale-up to MaximumConcurrency, every
    # poller is busy all the time, so messages leave at concurrency * batch size / duration, exactly (constant
    # durations, no cold-start time: Duration is the whole invoke).
    concurrency, duration, batch = 20, 2.0, 3
    w = World(duration=duration)
    w.queue("q")
    w.map("q", BatchSize=batch, ScalingConfig={"MaximumConcurrency": concurrency})
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(12_000):
        queue.send(str(i))
    w.sim.run(until=400)
    done = sum(len(b) for t, b, _ in w.calls if 100 <= t < 300)
    assert done == concurrency * batch / duration * 200
    assert len(queue.messages) > 0  # still saturated at the end


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=25, deadline=None, derandomize=True)
@hypothesis.given(
    n=st.integers(1, 60),
    batch=st.integers(1, 10),
    window=st.integers(0, 3),
    fail_mod=st.integers(2, 5),
    max_receive=st.integers(1, 4),
    horizon=st.floats(1, 400),
    report=st.booleans(),
)
def test_conservation_every_message_is_deleted_filtered_in_the_dlq_or_still_queued(
    n: int, batch: int, window: int, fail_mod: int, max_receive: int, horizon: float, report: bool
) -> None:
    def handler(event: dict[str, Any], context: Any) -> Any:
        bad = [r["messageId"] for r in event["Records"] if int(json.loads(r["body"])["n"]) % fail_mod == 0]
        if report:
            return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
        if bad:
            raise RuntimeError("bad")
        return None

    w = World(handler, duration=1.5)
    dlq = w.queue("dlq")
    policy = json.dumps({"deadLetterTargetArn": PREFIX + "dlq", "maxReceiveCount": max_receive})
    url = w.queue("q", VisibilityTimeout="10", RedrivePolicy=policy)
    params: dict[str, Any] = {"BatchSize": batch, "MaximumBatchingWindowInSeconds": window}
    if report:
        params["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    params["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps({"body": {"keep": [True]}})}]}
    uuid = w.map("q", **params)
    for i in range(n):
        w.sim.run(until=w.sim.now + 0.7)
        w.send(url, json.dumps({"n": i, "keep": i % 7 != 3}))
    w.sim.run(until=w.sim.now + horizon)
    stats = esm_service(w.sim).mappings[uuid].stats
    in_dlq = w.visible(dlq)
    assert stats.deleted + stats.filtered + in_dlq + w.visible(url) == n


def test_a_batch_stops_at_the_synchronous_payload_limit() -> None:
    sim = ls.Simulation(seed=5, settings=ls.Settings(sync_payload_limit_bytes=5000))
    lam, sqs = sim.client("lambda"), sim.client("sqs")
    calls: list[tuple[float, list[str], int]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append((sim.now, [r["body"][:2] for r in event["Records"]], len(json.dumps(event))))

    lam.create_function(FunctionName="f", Handler=handler, Duration=1.0)
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "20"})["QueueUrl"]
    lam.create_event_source_mapping(
        EventSourceArn=PREFIX + "q", FunctionName="f", BatchSize=10, MaximumBatchingWindowInSeconds=1
    )
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"{i:02d}" + "x" * 1500)
    sim.run()
    # Records of about 2.2 kB: two fit under 5,000 bytes, so the first batch is full at once; the two received
    # with it come back after their visibility timeout (20 s) and wait out a window of their own.
    assert [(t, b) for t, b, _ in calls] == [(0.0, ["00", "01"]), (21.0, ["02", "03"])]
    assert all(size <= 5000 for _t, _b, size in calls)


# -- the queue's CloudWatch metrics (AWS/SQS) -------------------------------------------------------------------


def test_queue_metrics_in_cloudwatch() -> None:
    sim = ls.Simulation(seed=1)
    sqs, cw = sim.client("sqs"), sim.client("cloudwatch")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sim.run(until=10)
    for body in "abc":
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sim.run(until=70)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sim.run(until=80)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    sim.run(until=125)

    def series(metric: str) -> list[tuple[float, float]]:
        points = cw.get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName=metric,
            Dimensions=[{"Name": "QueueName", "Value": "q"}],
            StartTime=START,
            EndTime=START.timestamp() + 3600,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
        return [(p["Timestamp"].timestamp() - START.timestamp(), p["Maximum"]) for p in points]

    assert series("NumberOfMessagesSent") == [(0.0, 3.0)]
    assert series("NumberOfMessagesReceived") == [(60.0, 2.0)]
    assert series("NumberOfMessagesDeleted") == [(60.0, 1.0)]
    # Gauges: the state at each period's end (60 s, 120 s); the received, undeleted message is visible again at 100 s.
    assert series("ApproximateNumberOfMessagesVisible") == [(0.0, 3.0), (60.0, 2.0)]
    assert series("ApproximateNumberOfMessagesNotVisible") == [(0.0, 0.0), (60.0, 0.0)]
    assert series("ApproximateAgeOfOldestMessage") == [(0.0, 50.0), (60.0, 110.0)]
    listed = cw.list_metrics(Namespace="AWS/SQS")["Metrics"]
    assert {m["MetricName"] for m in listed} >= {"NumberOfMessagesSent", "ApproximateAgeOfOldestMessage"}
    assert all(m["Dimensions"] == [{"Name": "QueueName", "Value": "q"}] for m in listed)
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "depth",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": "ApproximateNumberOfMessagesVisible",
                        "Dimensions": [{"Name": "QueueName", "Value": "q"}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=START,
        EndTime=START.timestamp() + 3600,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert data["Values"] == [3.0, 2.0]


# -- queue attributes the mapping honours, and changes under it ---------------------------------------------------


def test_messages_past_retention_expire_unread() -> None:
    w = World()
    url = w.queue("q", MessageRetentionPeriod="60")
    uuid = w.map("q", Enabled=False)
    w.send(url, "old")
    w.sim.run(until=30)
    w.send(url, "young")
    w.sim.run(until=70)
    w.lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    w.sim.run()
    assert [(t, b) for t, b, _ in w.calls] == [(70.0, ["young"])]
    assert w.sim.results().queues["q"]["expired"] == 1


def test_fifo_deduplication_holds_in_front_of_the_mapping() -> None:
    w = World()
    url = w.queue("q.fifo")
    w.map("q.fifo")
    for dedup in ("1", "2", "1"):
        w.send(url, f"m{dedup}", MessageGroupId="g", MessageDeduplicationId=dedup)
    w.sim.run()
    assert [b for _t, b, _ in w.calls] == [["m1", "m2"]]


def test_changing_the_function_and_deleting_it() -> None:
    w = World(duration=1.0)
    other: list[float] = []
    w.lam.create_function(FunctionName="g", Handler=lambda e, c: other.append(w.sim.now), Duration=1.0)
    url = w.queue("q", VisibilityTimeout="10")
    uuid = w.map("q")
    w.send(url, "to f")
    w.sim.run(until=5)
    resp = w.lam.update_event_source_mapping(UUID=uuid, FunctionName="g")
    assert resp["FunctionArn"].endswith(":function:g")
    w.send(url, "to g")
    w.sim.run(until=10)
    assert [b for _t, b, _ in w.calls] == [["to f"]] and other == [5.0]
    w.lam.delete_function(FunctionName="g")
    w.send(url, "nobody")
    w.sim.run(until=35)
    mapping = esm_service(w.sim).mappings[uuid]
    # An invoke of a deleted function fails: the message comes back after each visibility timeout.
    assert mapping.stats.errors == 3 and mapping.stats.batches == 1 + 1 + 3


def test_a_run_in_pieces_with_reads_between_is_the_run_in_one_go() -> None:
    def run(pieces: list[float]) -> tuple[list[Call], dict[str, Any]]:
        w = World(fail_first, duration=20.0, timeout=30)
        w.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=30)
        w.queue("q", VisibilityTimeout="40")
        w.map("q", BatchSize=1)
        queue = w.sim.services.sqs.by_name("q")
        assert queue is not None
        for i in range(600):
            queue.send(str(i))
        for t in pieces:
            w.sim.run(until=t)
            w.sim.results()  # reads the pollers' scale, which applies the minutes passed
        results = w.sim.run(until=900)
        return w.calls, results.to_dict()["event_source_mappings"]

    straight = run([])
    assert run([59.5, 60.0, 61.0, 119.99, 150.0, 333.0]) == straight
    (figures,) = straight[1].values()
    assert figures["throttles"] > 0 and figures["errors"] > 0


@pytest.mark.parametrize(("reserved", "pollers"), [(None, 605), (10, 305)])
def test_a_minute_with_throttles_holds_the_scale(reserved: int | None, pollers: int) -> None:
    w = World(duration=500.0, timeout=900)
    if reserved is not None:
        w.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=reserved)
    w.queue("q", VisibilityTimeout="900")
    uuid = w.map("q", BatchSize=1)
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(2000):
        queue.send(str(i))
    w.sim.run(until=130)
    mapping = esm_service(w.sim).mappings[uuid]
    assert mapping.scale == pollers
    assert (mapping.stats.throttles > 0) == (reserved is not None)


def test_batches_that_fail_at_once_do_not_nest() -> None:
    # A deleted function fails every batch at once, and a 1 s visibility timeout gives up a throttled batch at
    # once: the pollers go through thousands of messages in one step without recursing.
    w = World(duration=1.0, timeout=1)
    w.queue("q", VisibilityTimeout="1")
    w.lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
    uuid = w.map("q", BatchSize=1, ScalingConfig={"MaximumConcurrency": 1000})
    queue = w.sim.services.sqs.by_name("q")
    assert queue is not None
    for i in range(3000):
        queue.send(str(i))
    w.sim.run(until=0.5)
    stats = esm_service(w.sim).mappings[uuid].stats
    assert stats.received == stats.throttles == stats.returned == 5  # five pollers, each gave up at once
    w.lam.delete_function(FunctionName="f")
    w.sim.run(until=1.5)
    assert stats.errors == 3000 and stats.received == 3005
