"""Kinesis and DynamoDB stream event source mappings (lambdasim.aws.lambda_.stream_esm), through the boto3-shaped
clients: order, blocking and retries, bisection, expiry, on-failure records, partial batch responses, tumbling
windows, validation, and the closed form of a saturated shard."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.aws.lambda_.esm import esm_service
from lambdasim.aws.lambda_.stream_esm import StreamMapping


class World:
    """A simulation with one Kinesis stream, a failure queue and a function whose handler records every batch."""

    def __init__(
        self,
        shards: int = 1,
        duration: float = 0.5,
        fail: Any = None,
        handler: Any = None,
        timeout: int = 60,
        **mapping: Any,
    ) -> None:
        self.sim = ls.Simulation(seed=3)
        self.kin = self.sim.client("kinesis")
        self.lam = self.sim.client("lambda")
        self.sqs = self.sim.client("sqs")
        self.kin.create_stream(StreamName="s", ShardCount=shards)
        self.arn = self.kin.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
        self.url = self.sqs.create_queue(QueueName="failed")["QueueUrl"]
        self.queue_arn = "arn:aws:sqs:us-east-1:123456789012:failed"
        self.batches: list[tuple[float, list[dict[str, Any]], dict[str, Any]]] = []
        self.fail = fail or (lambda data: data.get("poison", False))
        world = self

        def recording(event: dict[str, Any], context: Any) -> Any:
            decoded = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]]
            world.batches.append((world.sim.now, decoded, event))
            if any(world.fail(d) for d in decoded):
                raise ValueError("poison")
            return None

        self.lam.create_function(FunctionName="f", Handler=handler or recording, Duration=duration, Timeout=timeout)
        params = {"StartingPosition": "TRIM_HORIZON", "BatchSize": 10, **mapping}
        self.uuid = self.lam.create_event_source_mapping(EventSourceArn=self.arn, FunctionName="f", **params)["UUID"]

    @property
    def mapping(self) -> StreamMapping:
        found = esm_service(self.sim).mappings[self.uuid]
        assert isinstance(found, StreamMapping)
        return found

    def put(self, i: int, key: str = "k", **extra: Any) -> None:
        self.kin.put_record(StreamName="s", PartitionKey=key, Data=json.dumps({"i": i, **extra}))

    def failures(self) -> list[dict[str, Any]]:
        out = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


def numbers(batch: list[dict[str, Any]]) -> list[int]:
    return [d["i"] for d in batch]


# -- the control plane ----------------------------------------------------------------------------------------


def test_a_kinesis_mapping_is_described_as_aws_records_it() -> None:
    w = World()
    got = w.lam.get_event_source_mapping(UUID=w.uuid)
    assert got["State"] == "Creating"
    w.sim.run(until=1)
    got = w.lam.get_event_source_mapping(UUID=w.uuid)
    expected = {
        "BatchSize": 10,
        "BisectBatchOnFunctionError": False,
        "DestinationConfig": {"OnFailure": {}},
        "EventSourceArn": w.arn,
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "FunctionResponseTypes": [],
        "LastProcessingResult": "No records processed",
        "MaximumBatchingWindowInSeconds": 0,
        "MaximumRecordAgeInSeconds": -1,
        "MaximumRetryAttempts": -1,
        "ParallelizationFactor": 1,
        "StartingPosition": "TRIM_HORIZON",
        "State": "Enabled",
        "StateTransitionReason": "User action",
        "TumblingWindowInSeconds": 0,
        "UUID": w.uuid,
    }
    assert {k: got[k] for k in expected} == expected
    assert got["EventSourceMappingArn"].endswith(w.uuid)
    assert [m["UUID"] for m in w.lam.list_event_source_mappings(EventSourceArn=w.arn)["EventSourceMappings"]] == [
        w.uuid
    ]


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ls.ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_stream_mappings_are_validated_in_aws_words() -> None:
    w = World()
    lam = w.lam
    missing = "arn:aws:kinesis:us-east-1:123456789012:stream/nope"
    assert error_of(
        lambda: lam.create_event_source_mapping(EventSourceArn=missing, FunctionName="f", StartingPosition="LATEST")
    ) == ("InvalidParameterValueException", f"Stream not found: {missing}")
    code, message = error_of(
        lambda: lam.create_event_source_mapping(EventSourceArn=w.arn, FunctionName="f", StartingPosition="LATEST")
    )
    assert code == "ResourceConflictException"
    assert message == (
        f'The event source arn (" {w.arn} ") and function (" f ") provided mapping already exists. Please update or '
        f"delete the existing mapping with UUID {w.uuid}"
    )
    lam.create_function(FunctionName="g", Handler=lambda e, c: None)
    assert error_of(lambda: lam.create_event_source_mapping(EventSourceArn=w.arn, FunctionName="g"))[0] == (
        "InvalidParameterValueException"
    )
    code, message = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=w.arn, FunctionName="g", StartingPosition="LATEST", ParallelizationFactor=11
        )
    )
    assert (code, message) == (
        "ValidationException",
        "1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member "
        "must have value less than or equal to 10",
    )
    assert error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=w.arn, FunctionName="g", StartingPosition="LATEST", MaximumRecordAgeInSeconds=30
        )
    )[0] == ("InvalidParameterValueException")
    assert error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=w.arn, FunctionName="g", StartingPosition="LATEST", ScalingConfig={"MaximumConcurrency": 2}
        )
    ) == ("InvalidParameterValueException", "Unsupported ScalingConfig parameter for an Amazon Kinesis event source.")
    code, _ = error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=w.arn,
            FunctionName="g",
            StartingPosition="LATEST",
            FilterCriteria={"Filters": [{"Pattern": "x"}]},
        )
    )
    assert code == "InvalidParameterValueException"
    assert error_of(lambda: lam.update_event_source_mapping(UUID=w.uuid, MaximumRetryAttempts=10001))[0] == (
        "ValidationException"
    )


# -- order, blocking, retries ---------------------------------------------------------------------------------


def test_records_reach_the_function_in_shard_order_in_batches() -> None:
    w = World(BatchSize=4, duration=0.5)
    for i in range(10):
        w.put(i)
    w.sim.run(until=30)
    assert [numbers(b) for _t, b, _e in w.batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    # Read at t=0, then one batch right after another (the poller reads ahead while the function runs).
    assert [t for t, _b, _e in w.batches] == [0.0, 0.5, 1.0]
    assert w.mapping.stats.processed == 10
    assert w.lam.get_event_source_mapping(UUID=w.uuid)["LastProcessingResult"] == "OK"


def test_a_record_is_seen_at_the_next_read_of_its_shard() -> None:
    w = World(duration=0.1)
    w.sim.run(until=2.3)
    w.put(0)
    w.sim.run(until=10)
    assert [t for t, _b, _e in w.batches] == [3.0]  # reads at whole seconds since the mapping's creation


def test_a_failing_batch_blocks_its_shard_and_is_retried_until_retries_run_out() -> None:
    w = World(
        BatchSize=2,
        duration=0.5,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"}},
    )
    w.put(0, poison=True)
    w.put(1)
    w.put(2)
    w.sim.run(until=30)
    # 1 attempt + 2 retries of [0, 1], each at the next read after the last ended; then the shard goes on at once.
    assert [(t, numbers(b)) for t, b, _e in w.batches] == [(0.0, [0, 1]), (1.0, [0, 1]), (2.0, [0, 1]), (2.5, [2])]
    stats = w.mapping.stats
    assert (stats.processed, stats.discarded, stats.sent_on_failure) == (1, 2, 2)
    (record,) = w.failures()
    info = record["KinesisBatchInfo"]
    seqs = [e["Records"][0]["kinesis"]["sequenceNumber"] for _t, _b, e in w.batches[:1]]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert info["shardId"] == "shardId-000000000000"
    assert info["startSequenceNumber"] == seqs[0]
    assert info["endSequenceNumber"] == w.batches[0][2]["Records"][1]["kinesis"]["sequenceNumber"]
    assert info["batchSize"] == 2 and info["streamArn"] == w.arn
    assert info["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00.000Z"
    assert list(record) == ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]


def test_other_shards_go_on_while_one_is_blocked() -> None:
    w = World(shards=2, BatchSize=1, duration=0.5)
    shard_a = w.kin.put_record(StreamName="s", PartitionKey="a", Data=json.dumps({"i": 0, "poison": True}))["ShardId"]
    free = next(
        k for k in ("b", "c", "d", "e", "f") if w.sim.services.kinesis.streams["s"].shard_for(k).shard_id != shard_a
    )
    for i in range(1, 4):
        w.put(i, key=free)
    w.sim.run(until=20)
    done = [(t, numbers(b)) for t, b, _e in w.batches if not b[0].get("poison")]
    assert done == [(0.0, [1]), (0.5, [2]), (1.0, [3])]
    assert [t for t, b, _e in w.batches if b[0].get("poison")] == [float(t) for t in range(20)]  # every read, for ever


def test_parallelization_keeps_order_per_partition_key() -> None:
    w = World(BatchSize=2, duration=1.0, ParallelizationFactor=4)
    for i in range(40):
        w.put(i, key=f"key{i % 8}")
    w.sim.run(until=60)
    by_key: dict[int, list[int]] = {}
    for _t, b, _e in w.batches:
        for d in b:
            by_key.setdefault(d["i"] % 8, []).append(d["i"])
    assert all(v == sorted(v) for v in by_key.values())
    assert sum(len(v) for v in by_key.values()) == 40
    assert w.mapping.stats.peak_lanes > 1


def test_bisection_splits_until_the_poison_record_is_alone() -> None:
    w = World(
        BatchSize=8,
        duration=0.1,
        MaximumRetryAttempts=0,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"}},
    )
    for i in range(8):
        w.put(i, poison=i == 5)
    w.sim.run(until=30)
    assert [numbers(b) for _t, b, _e in w.batches] == [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [4, 5],
        [4],
        [5],
        [6, 7],
    ]
    stats = w.mapping.stats
    assert (stats.bisections, stats.processed, stats.discarded) == (3, 7, 1)
    (record,) = w.failures()
    assert record["KinesisBatchInfo"]["batchSize"] == 1


def test_a_partial_batch_response_checkpoints_at_the_lowest_failed_sequence_number() -> None:
    failed_once: set[int] = set()
    seen: list[list[int]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        got = [json.loads(base64.b64decode(r["kinesis"]["data"]))["i"] for r in event["Records"]]
        seen.append(got)
        bad = [r for r, i in zip(event["Records"], got, strict=True) if i in (2, 3) and i not in failed_once]
        failed_once.update(i for i in got if i in (2, 3))
        return {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in reversed(bad)]}

    w = World(BatchSize=5, duration=0.1, FunctionResponseTypes=["ReportBatchItemFailures"], handler=handler)
    for i in range(5):
        w.put(i)
    w.sim.run(until=10)
    assert seen == [[0, 1, 2, 3, 4], [2, 3, 4]]
    assert (w.mapping.stats.partial, w.mapping.stats.processed) == (1, 5)


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"foo": "bar"}]},
        {"batchItemFailures": [{"itemIdentifier": "123"}]},
    ],
)
def test_an_invalid_partial_batch_response_fails_the_whole_batch(response: dict[str, Any]) -> None:
    w = World(
        BatchSize=2,
        duration=0.1,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        handler=lambda e, c: response,
    )
    w.put(0)
    w.put(1)
    w.sim.run(until=10)
    assert (w.mapping.stats.errors, w.mapping.stats.discarded) == (2, 2)


# -- age and expiry -------------------------------------------------------------------------------------------


def test_maximum_record_age_discards_records_while_retrying() -> None:
    w = World(
        BatchSize=1,
        duration=0.5,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:failed"}},
    )
    w.put(0, poison=True)
    w.sim.run(until=30)
    w.put(1)  # behind the poison record, but young enough when the shard goes on
    w.sim.run(until=100)
    poison_attempts = [t for t, b, _e in w.batches if b[0]["i"] == 0]
    assert poison_attempts == [float(t) for t in range(61)]  # at 61 s the record is over 60 s old
    assert [numbers(b) for t, b, _e in w.batches if b[0]["i"] == 1] == [[1]]
    (record,) = w.failures()
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 61
    assert "responseContext" not in record


def test_records_expire_with_the_streams_retention() -> None:
    w = World(BatchSize=1, duration=600.0, timeout=900)  # retried until the record expires (24 h), every 10 min
    w.put(0, poison=True)
    w.put(1)
    w.sim.run(until=24 * 3600 + 700)
    stats = w.mapping.stats
    attempts = [t for t, b, _e in w.batches]
    assert len(attempts) == 144 and attempts[-1] < 24 * 3600  # the next try would start after the record expired
    # The record blocked behind the poison one expires too: a shard goes on only when the failing batch is gone.
    assert stats.expired == 2 and stats.processed == 0 and stats.discarded == 0
    assert w.sim.services.kinesis.streams["s"].expired() == 2  # both are gone from the stream by now


def test_starting_position_latest_skips_earlier_records() -> None:
    sim = ls.Simulation(seed=1)
    kin, lam = sim.client("kinesis"), sim.client("lambda")
    kin.create_stream(StreamName="s", ShardCount=1)
    kin.put_record(StreamName="s", PartitionKey="k", Data=b"old")
    got: list[bytes] = []
    lam.create_function(
        FunctionName="f", Handler=lambda e, c: got.extend(base64.b64decode(r["kinesis"]["data"]) for r in e["Records"])
    )
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="f", StartingPosition="LATEST")
    kin.put_record(StreamName="s", PartitionKey="k", Data=b"new")
    sim.run(until=5)
    assert got == [b"new"]


# -- tumbling windows -----------------------------------------------------------------------------------------


def test_tumbling_windows_pass_state_and_end_with_a_final_invoke() -> None:
    sim = ls.Simulation(seed=1)
    kin, lam = sim.client("kinesis"), sim.client("lambda")
    kin.create_stream(StreamName="s", ShardCount=1)
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        events.append(event)
        total = event["state"].get("total", 0) + sum(
            int(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]
        )
        return {"state": {"total": total}}

    lam.create_function(FunctionName="f", Handler=handler, Duration=0.1)
    lam.create_event_source_mapping(
        EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        FunctionName="f",
        StartingPosition="TRIM_HORIZON",
        BatchSize=2,
        TumblingWindowInSeconds=30,
    )
    for t, value in ((1, 1), (2, 2), (3, 3), (40, 10)):
        sim.run(until=t)
        kin.put_record(StreamName="s", PartitionKey="k", Data=str(value).encode())
    sim.run(until=100)
    summary = [(len(e["Records"]), e["state"], e["isFinalInvokeForWindow"], e["window"]["start"]) for e in events]
    assert summary == [
        (1, {}, False, "2026-01-01T00:00:00.000Z"),
        (1, {"total": 1}, False, "2026-01-01T00:00:00.000Z"),
        (1, {"total": 3}, False, "2026-01-01T00:00:00.000Z"),
        (0, {"total": 6}, True, "2026-01-01T00:00:00.000Z"),
        (1, {}, False, "2026-01-01T00:00:30.000Z"),
        (0, {"total": 10}, True, "2026-01-01T00:00:30.000Z"),
    ]
    assert events[0]["shardId"] == "shardId-000000000000" and events[0]["isWindowTerminatedEarly"] is False


# -- DynamoDB streams -----------------------------------------------------------------------------------------


def test_dynamodb_item_changes_reach_the_function_as_stream_records() -> None:
    sim = ls.Simulation(seed=1)
    ddb, lam = sim.client("dynamodb"), sim.client("lambda")
    table = ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    assert stream_arn.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00")
    records: list[tuple[float, dict[str, Any]]] = []
    lam.create_function(
        FunctionName="f", Handler=lambda e, c: records.extend((sim.now, r) for r in e["Records"]), Duration=0.01
    )
    lam.create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="f", StartingPosition="TRIM_HORIZON")
    sim.run(until=0.1)
    ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "n": {"N": "1"}})
    ddb.update_item(
        TableName="t",
        Key={"id": {"S": "a"}},
        UpdateExpression="SET n = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "n": {"N": "2"}})  # no change: no record
    ddb.delete_item(TableName="t", Key={"id": {"S": "a"}})
    ddb.delete_item(TableName="t", Key={"id": {"S": "a"}})  # nothing to delete: no record
    sim.run(until=5)
    assert [r["eventName"] for _t, r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert {t for t, _r in records} == {0.25}  # DynamoDB streams are read four times a second
    insert, modify, remove = (r for _t, r in records)
    assert (
        insert["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}} and "OldImage" not in insert["dynamodb"]
    )
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"} and modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert remove["dynamodb"]["Keys"] == {"id": {"S": "a"}} and "NewImage" not in remove["dynamodb"]
    assert list(insert) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert insert["eventSource"] == "aws:dynamodb" and insert["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert int(modify["dynamodb"]["SequenceNumber"]) > int(insert["dynamodb"]["SequenceNumber"])
    streams = sim.client("dynamodbstreams").describe_stream(StreamArn=stream_arn)["StreamDescription"]
    assert streams["StreamStatus"] == "ENABLED" and len(streams["Shards"]) == 1


def test_dynamodb_view_types_choose_the_images() -> None:
    sim = ls.Simulation(seed=1)
    ddb = sim.client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 3000, "WriteCapacityUnits": 2000},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    table = sim.services.dynamodb.tables["t"]
    assert len(table.shards) == 3  # ceil(3000 / 3000 + 2000 / 1000)
    ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "x": {"S": "y"}})
    (record,) = [r for s in table.shards for r in s.records]
    _event, body, view = record.body
    assert view == "KEYS_ONLY" and "NewImage" not in body and body["Keys"] == {"id": {"S": "a"}}


# -- closed form and conservation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("batch_size", "duration"), [(100, 2.0), (10, 0.25), (500, 4.0)])
def test_a_saturated_shard_processes_batch_size_over_duration_records_per_second(
    batch_size: int, duration: float
) -> None:
    w = World(BatchSize=batch_size, duration=duration)
    w.kin.put_records(StreamName="s", Records=[{"PartitionKey": "k", "Data": b'{"i": 0}'} for _ in range(500)])
    w.kin.put_records(StreamName="s", Records=[{"PartitionKey": "k", "Data": b'{"i": 0}'} for _ in range(500)])
    horizon = 5 * duration
    w.sim.run(until=horizon)
    # Batches end at d, 2d, ...; the one ending exactly at the horizon has not completed when the run stops there.
    assert w.mapping.stats.processed == min(1000, batch_size * 4)
    assert w.mapping.stats.processed / (4 * duration) == min(1000 / (4 * duration), batch_size / duration)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    n=st.integers(0, 60),
    poison=st.sets(st.integers(0, 59), max_size=4),
    batch=st.integers(1, 12),
    factor=st.integers(1, 3),
    bisect=st.booleans(),
    retries=st.integers(-1, 2),
    max_age=st.sampled_from([-1, 60]),
    horizon=st.sampled_from([5.0, 50.0, 200.0]),
)
def test_every_record_is_processed_discarded_expired_or_still_pending(
    n: int, poison: set[int], batch: int, factor: int, bisect: bool, retries: int, max_age: int, horizon: float
) -> None:
    w = World(
        BatchSize=batch,
        duration=0.3,
        ParallelizationFactor=factor,
        BisectBatchOnFunctionError=bisect,
        MaximumRetryAttempts=retries,
        MaximumRecordAgeInSeconds=max_age,
        fail=lambda d: d["i"] in poison,
    )
    for i in range(n):
        w.put(i, key=f"k{i % 5}")
    w.sim.run(until=horizon)
    s = w.mapping.stats
    assert s.taken == n
    assert s.processed + s.filtered + s.discarded + s.expired + w.mapping.pending() == n
    # A batch succeeds exactly when it holds no poison record: each record succeeds once, and those are the processed.
    succeeded = [d["i"] for _t, b, _e in w.batches if not any(d["i"] in poison for d in b) for d in b]
    # Batches invoking at the end have run their handler (recorded above) but not ended.
    running = [
        [json.loads(r.data)["i"] for r in ln.current.records]
        for rd in w.mapping.readers
        for ln in rd.lanes
        if ln.current
    ]
    running_ok = sum(len(b) for b in running if not set(b) & poison)
    assert len(succeeded) == len(set(succeeded)) == s.processed + running_ok
    if not poison:
        assert s.discarded == 0


# -- Kinesis itself -------------------------------------------------------------------------------------------


def test_partition_keys_hash_to_shards_by_md5_and_write_limits_throttle() -> None:
    import hashlib

    sim = ls.Simulation(seed=1)
    kin = sim.client("kinesis")
    kin.create_stream(StreamName="s", ShardCount=4)
    shards = kin.list_shards(StreamName="s")["Shards"]
    assert [s["HashKeyRange"]["StartingHashKey"] for s in shards] == [str(i * 2**126) for i in range(4)]
    for key in ("a", "b", "orders-17"):
        h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        assert (
            kin.put_record(StreamName="s", PartitionKey=key, Data=b"x")["ShardId"]
            == f"shardId-00000000000{h // 2**126}"
        )
    k_shard = sim.services.kinesis.streams["s"].shard_for("k")
    earlier = sum(1 for key in ("a", "b", "orders-17") if sim.services.kinesis.streams["s"].shard_for(key) is k_shard)
    out = kin.put_records(StreamName="s", Records=[{"PartitionKey": "k", "Data": b"x"} for _ in range(500)])
    assert out["FailedRecordCount"] == 0
    out = kin.put_records(StreamName="s", Records=[{"PartitionKey": "k", "Data": b"x"} for _ in range(500)])
    assert out["FailedRecordCount"] == earlier  # 1,000 records a second on one shard
    out = kin.put_records(StreamName="s", Records=[{"PartitionKey": "k", "Data": b"x"} for _ in range(3)])
    assert out["FailedRecordCount"] == 3
    failed = out["Records"][0]
    assert failed["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert failed["ErrorMessage"] == (
        f"Rate exceeded for shard {k_shard.shard_id} in stream s under account 123456789012."
    )
    with pytest.raises(kin.exceptions.ProvisionedThroughputExceededException):
        kin.put_record(StreamName="s", PartitionKey="k", Data=b"x")
    sim.run(until=1)
    kin.put_record(StreamName="s", PartitionKey="k", Data=b"x")  # a new second
    big = b"x" * (600 * 1024)
    kin.put_record(StreamName="s", PartitionKey="z", Data=big)
    with pytest.raises(ls.ClientError):
        kin.put_record(StreamName="s", PartitionKey="z", Data=big)  # 1 MiB a second


def test_kinesis_reads_back_what_was_written_until_it_expires() -> None:
    sim = ls.Simulation(seed=1)
    kin = sim.client("kinesis")
    kin.create_stream(StreamName="s", ShardCount=1)
    kin.put_record(StreamName="s", PartitionKey="k", Data=b"one")
    it = kin.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    got = kin.get_records(ShardIterator=it["ShardIterator"])
    assert [r["Data"] for r in got["Records"]] == [b"one"]
    sim.run(until=24 * 3600 + 1)
    it = kin.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    assert kin.get_records(ShardIterator=it["ShardIterator"])["Records"] == []
    assert error_of(lambda: kin.describe_stream(StreamName="nope")) == (
        "ResourceNotFoundException",
        "Stream nope under account 123456789012 not found.",
    )


# -- metrics and results --------------------------------------------------------------------------------------


def test_iterator_age_and_stream_metrics_read_through_cloudwatch_and_results() -> None:
    w = World(BatchSize=10, duration=2.0)
    for i in range(30):
        w.put(i)
    results = w.sim.run(until=120)
    cw = w.sim.client("cloudwatch")
    got = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": "f"}],
        StartTime=w.sim.start,
        EndTime=w.sim.moment_now(),
        Period=60,
        Statistics=["Maximum", "SampleCount"],
    )
    (point,) = got["Datapoints"]
    # Batches invoked at 0, 2 and 4 s, each holding records that arrived at 0 s.
    assert (point["Maximum"], point["SampleCount"], point["Unit"]) == (4000.0, 3.0, "Milliseconds")
    incoming = cw.get_metric_statistics(
        Namespace="AWS/Kinesis",
        MetricName="IncomingRecords",
        Dimensions=[{"Name": "StreamName", "Value": "s"}],
        StartTime=w.sim.start,
        EndTime=w.sim.moment_now(),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in incoming] == [30.0]
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Kinesis")["Metrics"]}
    assert {"IncomingRecords", "IncomingBytes", "GetRecords.Records"} <= names
    assert any(m["MetricName"] == "IteratorAge" for m in cw.list_metrics(Namespace="AWS/Lambda")["Metrics"])
    stream = results.streams["s"]
    assert (stream["records_put"], stream["shards"], stream["source"]) == (30, 1, "kinesis")
    assert stream["cost"] == pytest.approx(1 * 120 / 3600 * 0.015 + 30 * 0.014 / 1e6)
    (mapping,) = results.stream_mappings.values()
    assert (mapping["processed"], mapping["pending"], mapping["iterator_age_ms_max"]) == (30, 0, 4000.0)
    assert "stream s (kinesis, 1 shards)" in results.summary()
    assert results.to_dict()["stream_mappings"][w.uuid]["processed"] == 30


def test_a_failed_final_invoke_of_a_window_is_retried_as_the_final_invoke() -> None:
    sim = ls.Simulation(seed=1)
    kin, lam = sim.client("kinesis"), sim.client("lambda")
    kin.create_stream(StreamName="s", ShardCount=1)
    finals: list[tuple[float, bool]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        finals.append((sim.now, event["isFinalInvokeForWindow"]))
        if event["isFinalInvokeForWindow"] and len(finals) < 4:
            raise ValueError("not yet")
        return {"state": {"seen": True}}

    lam.create_function(FunctionName="f", Handler=handler, Duration=0.1)
    lam.create_event_source_mapping(
        EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        FunctionName="f",
        StartingPosition="TRIM_HORIZON",
        TumblingWindowInSeconds=10,
    )
    kin.put_record(StreamName="s", PartitionKey="k", Data=b"1")
    sim.run(until=30)
    assert finals == [(0.0, False), (10.0, True), (11.0, True), (12.0, True)]


def test_changing_the_parallelization_factor_keeps_order_per_key() -> None:
    w = World(BatchSize=2, duration=1.0)
    for i in range(20):
        w.put(i, key=f"key{i % 5}")
    w.sim.run(until=3.5)
    w.lam.update_event_source_mapping(UUID=w.uuid, ParallelizationFactor=5)
    for i in range(20, 60):
        w.put(i, key=f"key{i % 5}")
    w.sim.run(until=60)
    by_key: dict[int, list[int]] = {}
    for _t, b, _e in w.batches:
        for d in b:
            by_key.setdefault(d["i"] % 5, []).append(d["i"])
    assert all(v == sorted(v) and len(v) == 12 for v in by_key.values())
    assert w.mapping.stats.peak_lanes > 1 and w.mapping.parallelization == 5
    assert w.lam.get_event_source_mapping(UUID=w.uuid)["ParallelizationFactor"] == 5


def test_an_s3_on_failure_destination_gets_the_record_and_the_batch() -> None:
    w = World(
        BatchSize=3,
        duration=0.1,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:s3:::failures"}},
    )
    s3 = w.sim.client("s3")
    s3.create_bucket(Bucket="failures")
    w.put(0, poison=True)
    w.sim.run(until=5)
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket="failures")["Contents"]]
    assert key.startswith(f"aws/lambda/{w.uuid}/shardId-000000000000/2026/01/01/")
    body = json.loads(s3.get_object(Bucket="failures", Key=key)["Body"].read())
    assert body["KinesisBatchInfo"]["batchSize"] == 1
    assert [r["kinesis"]["partitionKey"] for r in body["payload"]["Records"]] == ["k"]


def test_the_same_seed_gives_the_same_run() -> None:
    def run() -> Any:
        w = World(
            shards=2,
            BatchSize=3,
            duration=0.3,
            ParallelizationFactor=2,
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=1,
            fail=lambda d: d["i"] % 7 == 3,
        )
        for i in range(50):
            w.put(i, key=f"k{i % 6}")
        results = w.sim.run(until=100)
        return [(t, numbers(b)) for t, b, _e in w.batches], results.stream_mappings, results.streams

    assert run() == run()


def test_kinesis_refuses_oversized_records_and_streams_past_the_shard_quota() -> None:
    sim = ls.Simulation(seed=1)
    kin = sim.client("kinesis")
    kin.create_stream(StreamName="s", ShardCount=400)
    code, message = error_of(lambda: kin.create_stream(StreamName="t", ShardCount=101))
    assert code == "LimitExceededException"
    assert message.startswith(
        "This request would exceed the shard limit for the account 123456789012 in us-east-1. Current shard count "
        "for the account: 400. Limit: 500. Number of additional shards that would have resulted from this request: 101."
    )
    code, message = error_of(lambda: kin.put_record(StreamName="s", PartitionKey="k", Data=b"x" * (1024 * 1024 + 1)))
    assert code == "ValidationException" and message.endswith("less than or equal to 1048576")
    assert sim.services.kinesis.streams["s"].put_records == 0


def test_at_timestamp_starts_at_the_first_record_written_at_or_after_it() -> None:
    sim = ls.Simulation(seed=1)
    kin, lam = sim.client("kinesis"), sim.client("lambda")
    kin.create_stream(StreamName="s", ShardCount=1)
    for t, data in ((1, b"a"), (2, b"b"), (3, b"c")):
        sim.run(until=t)
        kin.put_record(StreamName="s", PartitionKey="k", Data=data)
    got: list[bytes] = []
    lam.create_function(
        FunctionName="f",
        Handler=lambda e, c: got.extend(base64.b64decode(r["kinesis"]["data"]) for r in e["Records"]),
    )
    lam.create_event_source_mapping(
        EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        FunctionName="f",
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=sim.start.timestamp() + 2,
    )
    sim.run(until=10)
    assert got == [b"b", b"c"]
    ddb = sim.client("dynamodb")
    arn = ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]["LatestStreamArn"]
    assert error_of(
        lambda: lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="f", StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=0
        )
    ) == (
        "InvalidParameterValueException",
        "AT_TIMESTAMP is not supported for an Amazon DynamoDB Streams event source.",
    )


def test_dynamodb_answers_in_its_own_words() -> None:
    sim = ls.Simulation(seed=1)
    ddb = sim.client("dynamodb")
    spec = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ddb.create_table(**spec)
    assert error_of(lambda: ddb.create_table(**spec)) == ("ResourceInUseException", "Table already exists: t")
    assert error_of(lambda: ddb.put_item(TableName="t", Item={"id": {"S": "a"}})) == (
        "ValidationException",
        "One or more parameter values were invalid: Missing the key at in the item",
    )
    assert error_of(lambda: ddb.get_item(TableName="t", Key={"id": {"S": "a"}})) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )
    assert error_of(lambda: ddb.describe_table(TableName="nope")) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    )
    key = {"id": {"S": "a"}, "at": {"N": "1"}}
    out = ddb.update_item(TableName="t", Key=key, AttributeUpdates={"x": {"Value": {"S": "y"}}}, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "x": {"S": "y"}}
    out = ddb.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET #n = :v REMOVE x",
        ExpressionAttributeNames={"#n": "count"},
        ExpressionAttributeValues={":v": {"N": "2"}},
        ReturnValues="ALL_NEW",
    )
    assert out["Attributes"] == {**key, "count": {"N": "2"}}
    assert error_of(lambda: ddb.update_item(TableName="t", Key=key, UpdateExpression="ADD c :v"))[0] == (
        "ValidationException"
    )
    assert error_of(lambda: ddb.put_item(TableName="t", Item=key, ConditionExpression="attribute_not_exists(id)")) == (
        "ValidationException",
        "lambdasim does not simulate ConditionExpression on PutItem",
    )
    assert ddb.get_item(TableName="t", Key=key)["Item"] == {**key, "count": {"N": "2"}}
    assert ddb.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")["Attributes"]["count"] == {"N": "2"}
    assert "Item" not in ddb.get_item(TableName="t", Key=key)


def test_filters_match_kinesis_data_and_dynamodb_records() -> None:
    pattern = json.dumps({"data": {"kind": ["order"]}})
    w = World(BatchSize=10, duration=0.1, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    w.put(0, kind="order")
    w.put(1, kind="click")
    w.kin.put_record(StreamName="s", PartitionKey="k", Data=b"not json")
    w.put(3, kind="order")
    w.sim.run(until=5)
    assert [numbers(b) for _t, b, _e in w.batches] == [[0, 3]]
    assert (w.mapping.stats.filtered, w.mapping.stats.processed) == (2, 2)

    sim = ls.Simulation(seed=1)
    ddb, lam = sim.client("dynamodb"), sim.client("lambda")
    arn = ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    names: list[str] = []
    lam.create_function(FunctionName="f", Handler=lambda e, c: names.extend(r["eventName"] for r in e["Records"]))
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="f",
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT", "REMOVE"]})}]},
    )
    ddb.put_item(TableName="t", Item={"id": {"S": "a"}})
    ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    ddb.delete_item(TableName="t", Key={"id": {"S": "a"}})
    sim.run(until=5)
    assert names == ["INSERT", "REMOVE"]


def test_a_disabled_mapping_holds_its_records_and_a_deleted_one_stops() -> None:
    w = World(BatchSize=10, duration=0.1, Enabled=False)
    w.sim.run(until=1)
    assert w.lam.get_event_source_mapping(UUID=w.uuid)["State"] == "Disabled"
    w.put(0)
    w.sim.run(until=10)
    assert w.batches == [] and w.mapping.pending() == 1
    w.lam.update_event_source_mapping(UUID=w.uuid, Enabled=True)
    w.sim.run(until=20)
    assert [(t, numbers(b)) for t, b, _e in w.batches] == [(10.0, [0])]
    mapping = w.mapping
    assert w.lam.delete_event_source_mapping(UUID=w.uuid)["State"] == "Deleting"
    w.sim.run(until=21)
    w.put(1)
    w.sim.run(until=30)
    assert len(w.batches) == 1 and mapping.stats.taken == 1
    assert w.lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert error_of(lambda: w.lam.get_event_source_mapping(UUID=w.uuid))[0] == "ResourceNotFoundException"


def test_a_batch_stays_under_the_synchronous_payload_limit() -> None:
    w = World(BatchSize=100, duration=0.1, Enabled=False)
    big = "x" * (900 * 1024)  # 900 KiB of data: 1.2 MB in base64, so 5 to a 6 MiB event
    for i in range(10):
        w.kin.put_record(StreamName="s", PartitionKey="k", Data=json.dumps({"i": i, "pad": big}))
        w.sim.run(until=w.sim.now + 1.0)  # a shard takes 1 MiB a second
    w.lam.update_event_source_mapping(UUID=w.uuid, Enabled=True)
    w.sim.run(until=60)
    assert [numbers(b) for _t, b, _e in w.batches] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert all(len(json.dumps(e)) <= 6 * 1024 * 1024 for _t, _b, e in w.batches)


def test_genuine_boto3_clients_reach_the_streams_under_mock_aws() -> None:
    boto3 = pytest.importorskip("boto3")
    sim = ls.Simulation(seed=1)
    with ls.mock_aws(sim):
        kin = boto3.client("kinesis", region_name="us-east-1")
        lam = boto3.client("lambda", region_name="us-east-1")
        kin.create_stream(StreamName="s", ShardCount=1)
        seen: list[bytes] = []
        sim.client("lambda").create_function(
            FunctionName="f",
            Handler=lambda e, c: seen.extend(base64.b64decode(r["kinesis"]["data"]) for r in e["Records"]),
        )
        mapping = lam.create_event_source_mapping(
            EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
            FunctionName="f",
            StartingPosition="TRIM_HORIZON",
        )
        assert mapping["StartingPosition"] == "TRIM_HORIZON" and mapping["BatchSize"] == 100
        kin.put_record(StreamName="s", PartitionKey="k", Data=b"hello")
        sim.run(until=5)
        it = kin.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
        assert [r["Data"] for r in kin.get_records(ShardIterator=it["ShardIterator"])["Records"]] == [b"hello"]
    assert seen == [b"hello"]
