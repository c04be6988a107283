"""Stream event source mappings: Lambda's pollers read the shards of a Kinesis or DynamoDB stream, in order, and
invoke a function synchronously with batches.

A stream mapping shares the SQS mapping's control plane (:mod:`lambdasim.aws.lambda_.esm_client`: UUIDs, states,
validation, the create/update/list API) and its service (:func:`~lambdasim.aws.lambda_.esm.esm_service`); this
module is the poller. Everything runs as callbacks on the simulated clock. Behaviour, as AWS documents it ([doc],
https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, .../with-ddb.html,
.../services-kinesis-parameters.html, .../kinesis-on-failure-destination.html) and where AWS publishes nothing, as
lambdasim chooses ([model]):

- [doc] One poller per shard reads about once a second (DynamoDB streams: four times a second) and invokes the
  function synchronously with a batch of up to ``BatchSize`` records (default 100, at most 10,000), gathered for up
  to ``MaximumBatchingWindowInSeconds`` and at most 6 MB. [model] The reads of a shard come at ``t0 + k * interval``
  (``t0`` the mapping's creation); a record is seen at the first read at or after it arrives; a batch is invoked at
  the read that fills it, or when its window (from the read that first saw its first record) ends. A busy poller
  invokes the next batch the moment the previous one ends if records are waiting (it reads ahead).
- [doc] ``ParallelizationFactor`` (1-10) runs that many batches of one shard at once, keeping records of a partition
  key in order. [model] A record goes to lane ``MD5(partition key) mod factor``; each lane is a sequential poller.
- [doc] A batch that fails (the function errors or times out, or its partial batch response is invalid) blocks its
  shard (lane) and is retried until it succeeds, its records expire (retention), pass ``MaximumRecordAgeInSeconds``,
  or ``MaximumRetryAttempts`` retries fail. Throttles are retried until the records expire or pass the maximum age.
  [model] A failed batch is retried at the next read of its shard; a throttled one after 1 s, doubling up to 60 s.
- [doc] ``BisectBatchOnFunctionError`` splits a failed batch in two and retries each half, first half first; a split
  does not use a retry attempt. [model] A batch of one record is not split: it uses retries.
- [doc] Discarded records (retries exhausted or too old) go to the ``DestinationConfig.OnFailure`` destination (SQS
  queue, SNS topic, S3 bucket) as one record per discarded batch: ``requestContext`` (``condition``
  ``RetryAttemptsExhausted`` or ``RecordAgeExceeded``, ``approximateInvokeCount``), ``responseContext`` (after a
  function error), ``version``, ``timestamp`` and ``KinesisBatchInfo`` / ``DDBStreamBatchInfo`` (shard id, first and
  last sequence numbers, arrival times of the first and last record, batch size, stream ARN); an S3 object also
  holds the batch as ``payload``. The shard then goes on with the next records.
- [doc] ``ReportBatchItemFailures``: ``{"batchItemFailures": [{"itemIdentifier": "<sequence number>"}]}``; Lambda
  checkpoints at the lowest sequence number reported and retries the batch from that record (a retry attempt). An
  empty or null list, or no such key, is a success; an identifier that is empty, null, or not a sequence number of
  the batch makes the whole batch a failure.
- [doc] ``TumblingWindowInSeconds`` (1-900): records are grouped into windows of that length by arrival time;
  the function's returned ``state`` is passed to the next invoke of the same window, and at the window's end an invoke
  with ``isFinalInvokeForWindow: true``. [model] Windows are aligned to the Unix epoch; the final invoke carries no
  records and comes at the first read after the window ends, once the lane has invoked the window's records.
- [doc] ``FilterCriteria``: a record that matches no filter is dropped without invoking. Kinesis mappings filter on
  the ``data`` key only (``{"data": {"kind": ["order"]}}``), the data parsed as JSON; DynamoDB mappings on the
  stream record (``{"eventName": ["INSERT"]}``, ``{"dynamodb": {"NewImage": ...}}``).
- [doc] ``IteratorAge`` (CloudWatch ``AWS/Lambda``, per function): at each invoke, the age of the batch's last record.
- [model] ``StartingPosition`` is applied at creation: ``LATEST`` reads records written after it, ``TRIM_HORIZON``
  every retained record, ``AT_TIMESTAMP`` retained records that arrived at or after the timestamp.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import simpy

from lambdasim.aws._service_client import utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.arn import service_of
from lambdasim.aws.dynamodb.backend import stream_record
from lambdasim.aws.events.backend import matches
from lambdasim.aws.kinesis.backend import hash_of
from lambdasim.aws.kinesis.shards import Record, Shard
from lambdasim.aws.lambda_.backend import LambdaError
from lambdasim.aws.lambda_.esm import check_filters
from lambdasim.aws.lambda_.lookup import resolve_function
from lambdasim.core.metrics import Aggregate

if TYPE_CHECKING:
    from lambdasim.aws.dynamodb.backend import Table
    from lambdasim.aws.kinesis.backend import KinesisStream
    from lambdasim.aws.lambda_.esm import EventSourceMappings
    from lambdasim.core.handler import ErrorInfo

    Source = KinesisStream | Table

__all__ = ["StreamMapping", "StreamStats", "ddb_event_record", "kinesis_event_record"]

MAX_THROTTLE_BACKOFF_S = 60.0
RECORD_OVERHEAD_BOUND = 1024
"""More than a Kinesis record's JSON takes besides its data and partition key (ids, ARNs, keys: well under 1 KiB)."""


class StreamStats:
    """What one stream mapping did, in records and invokes.

    Attributes:
        taken: Records the mapping took from its shards (from its starting position on).
        processed: Records of batches that succeeded (or before a partial failure's checkpoint).
        filtered: Records dropped because they matched no filter.
        discarded: Records given up (retries exhausted or past ``MaximumRecordAgeInSeconds``).
        expired: Records that passed the stream's retention before they were processed.
        sent_on_failure: Discarded records whose on-failure record was delivered (one delivery per batch).
        delivery_failures: On-failure records the destination refused.
        batches: Batches formed.
        invokes: Invoke attempts, throttled ones included.
        errors: Failed attempts (function errors, timeouts, invalid or partial batch responses).
        throttles: Throttled attempts.
        partial: Attempts whose partial batch response reported failures.
        bisections: Batch splits.
        iterator_age_ms: Tally of the iterator age at each invoke (ms).
        peak_lanes: The most batches invoking at once.
    """

    __slots__ = (
        "batches",
        "bisections",
        "delivery_failures",
        "discarded",
        "errors",
        "expired",
        "filtered",
        "invokes",
        "iterator_age_ms",
        "partial",
        "peak_lanes",
        "processed",
        "sent_on_failure",
        "taken",
        "throttles",
    )

    def __init__(self) -> None:
        self.taken = self.processed = self.filtered = self.discarded = self.expired = 0
        self.sent_on_failure = self.delivery_failures = 0
        self.batches = self.invokes = self.errors = self.throttles = self.partial = self.bisections = 0
        self.peak_lanes = 0
        self.iterator_age_ms = Aggregate()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: getattr(self, n) for n in self.__slots__ if n != "iterator_age_ms"}
        age = self.iterator_age_ms
        out["iterator_age_ms_max"] = age.maximum if age.count else 0.0
        out["iterator_age_ms_mean"] = age.total / age.count if age.count else 0.0
        out["iterator_age_samples"] = age.count
        return out


def kinesis_event_record(stream: KinesisStream, shard: Shard, r: Record, epoch: float, role: str) -> dict[str, Any]:
    """The record of a Kinesis record in Lambda's event, in AWS's shape [rec]."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": r.key,
            "sequenceNumber": r.sequence_number,
            "data": base64.b64encode(r.data).decode(),
            "approximateArrivalTimestamp": round(epoch + r.arrival, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard.shard_id}:{r.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": stream.arn.split(":")[3],
        "eventSourceARN": stream.arn,
    }


def ddb_event_record(table: Table, r: Record) -> dict[str, Any]:
    """The record of a DynamoDB stream record in Lambda's event, in AWS's shape [rec]: the stream's record as JSON
    (binary attributes base64), with the stream's ARN."""
    record = stream_record(table, r)
    record["dynamodb"] = json.loads(json.dumps(record["dynamodb"], default=_b64))
    record["eventSourceARN"] = table.stream_arn
    return record


def _b64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"not JSON serialisable: {value!r}")


class _Batch:
    __slots__ = ("attempts", "final", "records", "retries", "throttles")

    def __init__(self, records: list[Record], *, final: bool = False) -> None:
        self.records = records
        self.final = final  # a tumbling window's final invoke (no records), retried as such
        self.retries = 0  # failed attempts retried so far (bisection resets nothing and uses none)
        self.attempts = 0  # attempts that ran (approximateInvokeCount)
        self.throttles = 0


class _Lane:
    """One sequential poller of a shard: its records in order and the batch it is working on."""

    __slots__ = ("busy", "current", "pending", "reader", "retry", "state", "wake_at", "window", "window_open")

    def __init__(self, reader: _ShardReader) -> None:
        self.reader = reader
        self.pending: deque[Record] = deque()
        self.retry: deque[_Batch] = deque()  # batches to invoke before any new one (retries, bisected halves)
        self.busy = False
        self.current: _Batch | None = None  # the batch invoking (or backing off after a throttle)
        self.wake_at: float | None = None
        self.window: int | None = None  # tumbling window index whose state is carried
        self.window_open = False
        self.state: Any = {}


class _ShardReader:
    __slots__ = ("interval", "lanes", "listener", "mapping", "shard", "t0")

    def __init__(self, mapping: StreamMapping, shard: Shard, start: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.t0 = mapping.created_at
        self.interval = mapping.source.poll_interval_s
        self.lanes = [_Lane(self) for _ in range(mapping.parallelization)]
        for record in shard.from_n(start, mapping.env.now):
            self.take(record)
        self.listener: Callable[[Record], None] = self.take
        shard.listeners.append(self.listener)

    def visible_at(self, arrival: float) -> float:
        """The first read of the shard at or after ``arrival``."""
        k = -(-(arrival - self.t0) // self.interval)
        return self.t0 + max(0.0, k) * self.interval

    def take(self, record: Record) -> None:
        mapping = self.mapping
        if mapping.state == "Deleted":
            return
        mapping.stats.taken += 1
        lanes = self.lanes
        lane = lanes[0] if len(lanes) == 1 else lanes[hash_of(record.key) % len(lanes)]
        lane.pending.append(record)
        if not lane.busy:
            mapping.wake(lane, self.visible_at(record.arrival))

    def idle(self) -> bool:
        return not any(lane.busy for lane in self.lanes)

    def relane(self, factor: int) -> None:
        """Spread the waiting records over ``factor`` lanes, keeping shard order (only while no lane is busy)."""
        records = sorted((r for lane in self.lanes for r in lane.pending), key=lambda r: r.n)
        retries = [b for lane in self.lanes for b in lane.retry]
        self.lanes = [_Lane(self) for _ in range(factor)]
        for batch in retries:
            records = sorted(records + batch.records, key=lambda r: r.n)
        for record in records:
            lane = self.lanes[hash_of(record.key) % factor]
            lane.pending.append(record)
        for lane in self.lanes:
            if lane.pending:
                self.mapping.wake(lane, self.mapping.env.now)


class StreamMapping:
    """One Kinesis or DynamoDB stream mapping: its configuration (as AWS reports it) and its shard pollers."""

    def __init__(
        self,
        service: EventSourceMappings,
        uuid: str,
        source: Source,
        function_arn: str,
        config: dict[str, Any],
    ) -> None:
        self._service = service
        sim = service.sim
        self._sim = sim
        self.env = sim.env
        self.uuid = uuid
        self.source = source
        self.kind = source.kind
        self.source_arn = str(source.arn if source.kind == "kinesis" else cast("Table", source).stream_arn)
        self.function_arn = self.function_name = function_arn
        self.state = "Creating"
        self.created_at = sim.now
        self.last_modified = sim.now
        self.last_result = "No records processed"
        self.stats = StreamStats()
        self.starting_position = str(config["StartingPosition"])
        self.starting_timestamp: float | None = config.get("StartingPositionTimestamp")
        self.batch_size = 100
        self.window_s = 0
        self.parallelization = 1
        self.bisect = False
        self.max_retries = -1
        self.max_age_s = -1
        self.on_failure: str | None = None
        self.report_failures = False
        self.tumbling_s = 0
        self.filters: list[dict[str, Any]] = []
        self.filter_criteria: dict[str, Any] | None = None
        self.enabled = True
        self._relane: int | None = None
        self._busy_lanes = 0
        self.configure(config)
        now = sim.now
        self.readers: list[_ShardReader] = []
        for shard in source.shards:
            if self.starting_position == "TRIM_HORIZON":
                start = shard.first_n(now)
            elif self.starting_position == "AT_TIMESTAMP":
                assert self.starting_timestamp is not None
                start = shard.first_at_or_after(self.starting_timestamp - sim.services.epoch(0.0), now)
            else:
                start = shard.written
            self.readers.append(_ShardReader(self, shard, start))

    # -- configuration ------------------------------------------------------------------------------------------

    def configure(self, config: dict[str, Any]) -> None:
        """Apply checked settings (the keys of ``CreateEventSourceMapping``); new batches use them at once."""
        simple = {
            "BatchSize": "batch_size",
            "MaximumBatchingWindowInSeconds": "window_s",
            "BisectBatchOnFunctionError": "bisect",
            "MaximumRetryAttempts": "max_retries",
            "MaximumRecordAgeInSeconds": "max_age_s",
            "TumblingWindowInSeconds": "tumbling_s",
            "Enabled": "enabled",
        }
        for key, attr in simple.items():
            if key in config:
                setattr(self, attr, config[key])
        if "ParallelizationFactor" in config:
            factor = int(config["ParallelizationFactor"])
            if hasattr(self, "readers") and factor != self.parallelization:
                self._relane = factor
            self.parallelization = factor
        if "DestinationConfig" in config:
            self.on_failure = ((config["DestinationConfig"] or {}).get("OnFailure") or {}).get("Destination")
        if "FunctionResponseTypes" in config:
            self.report_failures = "ReportBatchItemFailures" in (config["FunctionResponseTypes"] or [])
        if "FilterCriteria" in config:
            self.filters = check_filters(config["FilterCriteria"])
            self.filter_criteria = config["FilterCriteria"] if self.filters else None
        self.last_modified = self._sim.now
        if self._relane is not None and hasattr(self, "readers"):
            self._apply_relane()

    def describe(self) -> dict[str, Any]:
        """``EventSourceMappingConfiguration`` as AWS answers it for a stream mapping [rec]."""
        out: dict[str, Any] = {"UUID": self.uuid, "StartingPosition": self.starting_position}
        if self.starting_timestamp is not None:
            out["StartingPositionTimestamp"] = utc(self.starting_timestamp)
        out.update(
            {
                "BatchSize": self.batch_size,
                "MaximumBatchingWindowInSeconds": self.window_s,
                "ParallelizationFactor": self.parallelization,
                "EventSourceArn": self.source_arn,
            }
        )
        if self.filter_criteria is not None:
            out["FilterCriteria"] = self.filter_criteria
        out.update(
            {
                "FunctionArn": self.function_arn,
                "LastModified": utc(self._sim.services.epoch(self.last_modified)),
                "LastProcessingResult": self.last_result,
                "State": self.state,
                "StateTransitionReason": "User action",
                "DestinationConfig": {"OnFailure": {} if self.on_failure is None else {"Destination": self.on_failure}},
                "MaximumRecordAgeInSeconds": self.max_age_s,
                "BisectBatchOnFunctionError": self.bisect,
                "MaximumRetryAttempts": self.max_retries,
                "TumblingWindowInSeconds": self.tumbling_s,
                "FunctionResponseTypes": ["ReportBatchItemFailures"] if self.report_failures else [],
                "EventSourceMappingArn": self._service.arn(self.uuid),
            }
        )
        return out

    def settle(self, state: str) -> None:
        """Move to ``state`` at the next step of the clock (``Enabled``, ``Disabled`` or ``Deleted``)."""
        ev = self.env.timeout(0.0)
        ev.callbacks.append(lambda _ev: self._settled(state))

    def _settled(self, state: str) -> None:
        if self.state == "Deleting" and state != "Deleted":
            return
        self.state = state
        if state == "Deleted":
            for reader in self.readers:
                if reader.listener in reader.shard.listeners:
                    reader.shard.listeners.remove(reader.listener)
            self._service.mappings.pop(self.uuid, None)
            return
        if state == "Enabled":
            for reader in self.readers:
                for lane in reader.lanes:
                    self.pump(lane)

    @property
    def polling(self) -> bool:
        """Whether pollers start new batches now."""
        return self.state == "Enabled" and not self.source.deleted

    def pending(self) -> int:
        """Records taken and not yet processed, filtered, discarded or expired (waiting or in a batch)."""
        return sum(self.pending_by_shard().values())

    def pending_by_shard(self) -> dict[str, int]:
        """Records taken and not yet done, per shard id (waiting, in a batch, or waiting for a retry)."""
        out: dict[str, int] = {}
        for reader in self.readers:
            n = 0
            for lane in reader.lanes:
                n += len(lane.pending) + sum(len(b.records) for b in lane.retry)
                if lane.current is not None:
                    n += len(lane.current.records)
            out[reader.shard.shard_id] = n
        return out

    # -- the clock ----------------------------------------------------------------------------------------------

    def wake(self, lane: _Lane, t: float) -> None:
        """Run ``lane`` at ``t`` (one wake per lane: the earliest asked for)."""
        now = self.env.now
        t = max(t, now)
        if lane.wake_at is not None and now <= lane.wake_at <= t:
            return
        lane.wake_at = t

        def run(_ev: simpy.Event) -> None:
            if lane.wake_at == t:
                lane.wake_at = None
                self.pump(lane)

        ev = self.env.timeout(t - now)
        ev.callbacks.append(run)

    # -- batches ------------------------------------------------------------------------------------------------

    def _expire(self, lane: _Lane, now: float) -> None:
        """Drop waiting records past the stream's retention ([doc]: they are gone from the stream)."""
        horizon = now - self.source.retention_s
        pending = lane.pending
        while pending and pending[0].arrival <= horizon:
            pending.popleft()
            self.stats.expired += 1

    def _too_old(self, records: list[Record], now: float) -> int:
        """How many of the first records are past ``MaximumRecordAgeInSeconds`` (records are in arrival order)."""
        if self.max_age_s == -1:
            return 0
        limit = now - self.max_age_s
        n = 0
        while n < len(records) and records[n].arrival < limit:
            n += 1
        return n

    def _window_of(self, record: Record) -> int:
        return int((self._sim.services.epoch(record.arrival)) // self.tumbling_s)

    def pump(self, lane: _Lane) -> None:
        """Start the lane's next batch if it is free and has one ready."""
        if lane.busy or not self.polling:
            return
        env = self.env
        now = env.now
        reader = lane.reader
        if lane.retry:
            batch = lane.retry.popleft()
            self._start(lane, batch)
            return
        self._expire(lane, now)
        pending = lane.pending
        if self.tumbling_s and lane.window_open and lane.window is not None:
            # The open window's records are all invoked: its final invoke comes at the first read after it ends,
            # before any record of a later window.
            window_end = (lane.window + 1) * self.tumbling_s - self._sim.services.epoch(0.0)
            if not pending or self._window_of(pending[0]) != lane.window:
                if now >= reader.visible_at(window_end):
                    self._start(lane, _Batch([], final=True))
                else:
                    self.wake(lane, reader.visible_at(window_end))
                return
        if not pending:
            return
        first_seen = reader.visible_at(pending[0].arrival)
        if first_seen > now:
            self.wake(lane, first_seen)
            return
        records: list[Record] = []
        size = 0
        limit = self._sim.settings.sync_payload_limit_bytes - len('{"Records":[]}')
        window = self._window_of(pending[0]) if self.tumbling_s else None
        for record in pending:
            if len(records) >= self.batch_size or reader.visible_at(record.arrival) > now:
                break
            if window is not None and self._window_of(record) != window:
                break
            wire = self._wire(record)
            if records and size + wire > limit:
                break
            records.append(record)
            size += wire
        full = len(records) >= self.batch_size or (
            len(records) < len(pending) and (reader.visible_at(pending[len(records)].arrival) <= now)
        )
        if self.window_s and not full and now < first_seen + self.window_s:
            self.wake(lane, first_seen + self.window_s)
            return
        for _ in records:
            pending.popleft()
        if self.kind == "kinesis":
            cast("KinesisStream", self.source).metrics.count("GetRecords.Records", now, len(records))
        if self.filters:
            kept = [r for r in records if self._matches(r)]
            self.stats.filtered += len(records) - len(kept)
            records = kept
            if not records:
                self.pump(lane)
                return
        if window is not None:
            lane.window = window
            lane.window_open = True
        self.stats.batches += 1
        self._start(lane, _Batch(records))

    def _wire(self, record: Record) -> int:
        """At least the bytes of ``record`` in the event's JSON (with its separator): for Kinesis a bound (base64 data,
        a partition key escaped at worst, the fixed fields); for DynamoDB the exact size, counted once."""
        if not record.wire:
            if self.kind == "kinesis":
                record.wire = 4 * ((len(record.data) + 2) // 3) + 6 * len(record.key) + RECORD_OVERHEAD_BOUND
            else:
                record.wire = len(json.dumps(ddb_event_record(cast("Table", self.source), record))) + 2
        return record.wire

    def _matches(self, record: Record) -> bool:
        if self.kind == "kinesis":
            # [doc] Kinesis mappings filter on the data key only, the data parsed as JSON; data that is not JSON
            # matches no pattern on its properties.
            try:
                event: dict[str, Any] = {"data": json.loads(record.data)}
            except ValueError:
                event = {}
        else:
            event = ddb_event_record(cast("Table", self.source), record)
        return any(matches(p, event) for p in self.filters)

    def _role(self) -> str:
        try:
            rec, _q = self._sim.services.lambda_.resolve(self.function_arn)
        except LambdaError:
            return ""
        return str(rec.config.get("Role", ""))

    def _start(self, lane: _Lane, batch: _Batch) -> None:
        """Invoke ``batch`` on ``lane`` (after dropping records too old for it), or give it up."""
        now = self.env.now
        records = batch.records
        horizon = now - self.source.retention_s
        gone = 0
        while gone < len(records) and records[gone].arrival <= horizon:
            gone += 1
        if gone:
            self.stats.expired += gone
            del records[:gone]
        old = self._too_old(records, now)
        if old:
            aged = _Batch(records[:old])
            aged.attempts = batch.attempts
            self._discard(lane, aged, "RecordAgeExceeded", None)
            del records[:old]
        if not records and not batch.final:
            self.pump(lane)
            return
        lane.busy = True
        lane.current = batch
        self._busy_lanes += 1
        self.stats.peak_lanes = max(self.stats.peak_lanes, self._busy_lanes)
        self._invoke(lane, batch)

    def _event(self, lane: _Lane, batch: _Batch) -> dict[str, Any]:
        shard = lane.reader.shard
        if self.kind == "kinesis":
            epoch = self._sim.services.epoch(0.0)
            role = self._role()
            stream = cast("KinesisStream", self.source)
            event: dict[str, Any] = {
                "Records": [kinesis_event_record(stream, shard, r, epoch, role) for r in batch.records]
            }
        else:
            table = cast("Table", self.source)
            event = {"Records": [ddb_event_record(table, r) for r in batch.records]}
        if self.tumbling_s:
            assert lane.window is not None
            start = lane.window * self.tumbling_s
            event["window"] = {"start": _iso(start), "end": _iso(start + self.tumbling_s)}
            event["state"] = json.loads(json.dumps(lane.state))
            event["shardId"] = shard.shard_id
            event["eventSourceARN"] = self.source_arn
            event["isFinalInvokeForWindow"] = batch.final
            event["isWindowTerminatedEarly"] = False
        return event

    def _invoke(self, lane: _Lane, batch: _Batch) -> None:
        sim = self._sim
        now = self.env.now
        self.stats.invokes += 1
        if batch.records:
            age_ms = (now - batch.records[-1].arrival) * 1000.0
            self.stats.iterator_age_ms.merge(Aggregate.of_value(age_ms))
            self._service.iterator_age(self.function_arn, now, age_ms)
        try:
            fs, target = resolve_function(sim, self.function_arn)
        except LambdaError:  # the function was deleted: the attempt fails as an invoke of a missing function would
            self._finished(lane, batch, (("ResourceNotFoundException", "Function not found", []), None))
            return
        done = sim.engine.invoke_sync(fs, self._event(lane, batch), sim.engine.next_seq(), target)
        if isinstance(done, simpy.Event):
            batch.attempts += 1
            done.callbacks.append(lambda ev: self._finished(lane, batch, ev.value))
            return
        self.stats.throttles += 1
        delay = min(MAX_THROTTLE_BACKOFF_S, 2.0**batch.throttles)
        batch.throttles += 1
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._after_throttle(lane, batch))

    def _after_throttle(self, lane: _Lane, batch: _Batch) -> None:
        # The shard stayed blocked through the backoff; the batch goes again (its old records dropped first).
        self._release(lane)
        self._start(lane, batch)

    def _finished(self, lane: _Lane, batch: _Batch, value: Any) -> None:
        error, response = cast("tuple[ErrorInfo | None, Any]", value)
        self._release(lane)
        checkpoint = 0  # records before it succeeded
        failed = error is not None
        if not failed and self.report_failures:
            at = self._item_failure(batch, response)
            if at is None:
                failed = True
            elif at < len(batch.records):
                self.stats.partial += 1
                checkpoint = at
                failed = True
        if not failed:
            self.last_result = "OK"
            self.stats.processed += len(batch.records)
            if self.tumbling_s:
                state = response.get("state") if isinstance(response, dict) else None
                lane.state = state if isinstance(state, dict) else {}
                if batch.final:
                    lane.state = {}
                    lane.window_open = False
            self._next(lane)
            return
        self.last_result = "PROBLEM: Function call failed"
        self.stats.errors += 1
        if checkpoint:
            self.stats.processed += checkpoint
            batch.records = batch.records[checkpoint:]
        records = batch.records
        if self.bisect and len(records) > 1 and not checkpoint:
            half = (len(records) + 1) // 2
            self.stats.bisections += 1
            first, second = _Batch(records[:half]), _Batch(records[half:])
            first.attempts = second.attempts = batch.attempts
            lane.retry.appendleft(second)
            lane.retry.appendleft(first)
            self.wake(lane, self._next_read(lane))
            return
        if self.max_retries == -1 or batch.retries < self.max_retries:
            batch.retries += 1
            lane.retry.appendleft(batch)
            self.wake(lane, self._next_read(lane))
            return
        if batch.final:
            lane.state = {}
            lane.window_open = False
        self._discard(lane, batch, "RetryAttemptsExhausted", error)
        self._next(lane)

    def _next_read(self, lane: _Lane) -> float:
        """The shard's next read after now."""
        reader = lane.reader
        now = self.env.now
        t = reader.visible_at(now)
        return t if t > now else t + reader.interval

    def _next(self, lane: _Lane) -> None:
        if self._relane is not None:
            self._apply_relane()
            return
        self.pump(lane)

    def _apply_relane(self) -> None:
        factor = self._relane
        assert factor is not None
        if any(not reader.idle() for reader in self.readers):
            return  # applied when the last busy batch ends
        self._relane = None
        for reader in self.readers:
            reader.relane(factor)

    def _release(self, lane: _Lane) -> None:
        lane.busy = False
        lane.current = None
        self._busy_lanes -= 1

    @staticmethod
    def _item_failure(batch: _Batch, response: Any) -> int | None:
        """The position of the lowest reported failure (``len(records)``: none), or ``None`` if invalid [doc]."""
        if not isinstance(response, dict) or response.get("batchItemFailures") is None:
            return len(batch.records)
        failures = response["batchItemFailures"]
        if not isinstance(failures, list):
            return None
        positions = {r.sequence_number: i for i, r in enumerate(batch.records)}
        lowest = len(batch.records)
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(ident, str) or ident not in positions:
                return None
            lowest = min(lowest, positions[ident])
        return lowest

    # -- on failure ---------------------------------------------------------------------------------------------

    def _discard(self, lane: _Lane, batch: _Batch, condition: str, error: Any) -> None:
        records = batch.records
        if not records:
            return
        self.stats.discarded += len(records)
        if self.on_failure is None:
            return
        record = self.failure_record(lane.reader.shard, batch, condition, error is not None)
        try:
            self._deliver(record, lane, batch)
        except ServiceError:
            self.stats.delivery_failures += 1
            return
        self.stats.sent_on_failure += len(records)

    def failure_record(self, shard: Shard, batch: _Batch, condition: str, function_error: bool) -> dict[str, Any]:
        """The on-failure record of a discarded batch, in AWS's shape and key order [rec]."""
        services = self._sim.services
        records = batch.records
        out: dict[str, Any] = {
            "requestContext": {
                "requestId": services.new_id(),
                "functionArn": self.function_arn,
                "condition": condition,
                "approximateInvokeCount": batch.attempts,
            }
        }
        if function_error:
            out["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
        out["version"] = "1.0"
        out["timestamp"] = _iso(services.epoch())
        info_key = "KinesisBatchInfo" if self.kind == "kinesis" else "DDBStreamBatchInfo"
        out[info_key] = {
            "shardId": shard.shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": _iso(services.epoch(records[0].arrival)),
            "approximateArrivalOfLastRecord": _iso(services.epoch(records[-1].arrival)),
            "batchSize": len(records),
            "streamArn": self.source_arn,
        }
        return out

    def _deliver(self, record: dict[str, Any], lane: _Lane, batch: _Batch) -> None:
        services = self._sim.services
        arn = self.on_failure
        assert arn is not None
        kind = service_of(arn)
        if kind == "sqs":
            queue = services.sqs.by_arn(arn)
            if queue is None or queue.fifo:
                raise ServiceError("InvalidParameterValueException", f"{arn}: not a standard queue")
            queue.send(json.dumps(record))
        elif kind == "sns":
            topic = services.sns.by_arn(arn)
            if topic is None or topic.fifo:
                raise ServiceError("InvalidParameterValueException", f"{arn}: not a standard topic")
            services.sns.publish(topic, json.dumps(record))
        else:
            bucket = services.s3.by_arn(arn)
            if bucket is None:
                raise ServiceError("InvalidParameterValueException", f"{arn}: no such bucket")
            body = {**record, "payload": self._event(lane, batch)}
            body.pop("window", None)
            moment = _dt.datetime.fromtimestamp(services.epoch(), tz=_dt.UTC)
            key = (
                f"aws/lambda/{self.uuid}/{lane.reader.shard.shard_id}/{moment:%Y/%m/%d}/"
                f"{moment:%Y-%m-%dT%H.%M.%S}-{services.new_id()}"
            )
            services.s3.put(bucket, key, json.dumps(body).encode(), "application/json")


def _iso(epoch_s: float) -> str:
    moment = _dt.datetime.fromtimestamp(epoch_s, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
