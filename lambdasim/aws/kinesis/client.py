"""``sim.client("kinesis")``: Kinesis Data Streams on the simulated clock, in boto3's shapes and Kinesis's words.

Operations: ``create_stream``, ``delete_stream``, ``describe_stream``, ``describe_stream_summary``, ``list_shards``,
``list_streams``, ``put_record``, ``put_records``, ``get_shard_iterator``, ``get_records``. Model constraints
(``ShardCount`` at least 1, ``Limit`` up to 10,000, names' patterns) are answered with Kinesis's
``ValidationException``. See :mod:`lambdasim.aws.kinesis.backend` for what the streams model.

[model] Not simulated: resharding, enhanced fan-out consumers, encryption, tags; a request naming both
``StreamName`` and ``StreamARN`` must name the same stream; a shard iterator does not expire.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, as_epoch, utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.kinesis._shapes import OPERATIONS, SHAPES
from lambdasim.aws.kinesis.backend import (
    DEFAULT_RETENTION_HOURS,
    MAX_RETENTION_HOURS,
    ON_DEMAND_SHARDS,
    RECORD_MAX_BYTES,
    KinesisStream,
)
from lambdasim.aws.kinesis.shards import Shard

__all__ = ["KinesisClient"]

ITERATOR_TYPES = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
LIST_SHARDS_MAX = 1000


class KinesisClient(ServiceClient):
    """The simulated Kinesis Data Streams service. Every method takes and returns what boto3's Kinesis client does."""

    service_name = "kinesis"
    invalid_parameter = ("InvalidArgumentException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationException"
    error_codes = (
        "ResourceNotFoundException",
        "ResourceInUseException",
        "ProvisionedThroughputExceededException",
        "InvalidArgumentException",
        "ValidationException",
        "LimitExceededException",
        "ExpiredIteratorException",
    )

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListShards": {
            "input_token": "NextToken",
            "limit_key": "MaxResults",
            "output_token": "NextToken",
            "result_key": "Shards",
        },
    }

    # -- helpers ----------------------------------------------------------------------------------------------

    def _stream(self, params: dict[str, Any], op: str) -> KinesisStream:
        """The stream ``StreamName`` or ``StreamARN`` names."""
        service = self._services.kinesis
        name = params.get("StreamName")
        arn = params.get("StreamARN")
        if name is None and arn is None:
            raise self._invalid("InvalidArgumentException", "Either StreamName or StreamARN must be provided.", op)
        if arn is not None:
            stream = service.by_arn(arn)
            if stream is None or (name is not None and stream.name != name):
                raise self._fail(service.not_found(name or arn.rpartition("/")[2]), op)
            return stream
        with self._client_errors(op):
            return service.get(str(name))

    @staticmethod
    def _shard_shape(shard: Shard) -> dict[str, Any]:
        return {
            "ShardId": shard.shard_id,
            "HashKeyRange": {"StartingHashKey": str(shard.start_hash), "EndingHashKey": str(shard.end_hash)},
            "SequenceNumberRange": {"StartingSequenceNumber": shard.starting_sequence_number},
        }

    def _created(self, stream: KinesisStream) -> Any:
        return utc(self._services.epoch(stream.created_at))

    # -- streams ----------------------------------------------------------------------------------------------

    def create_stream(self, **params: Any) -> dict[str, Any]:
        """Create a stream of ``ShardCount`` shards (on-demand: 4); it is ``ACTIVE`` at once ([model])."""
        op = self._call("create_stream", params)
        mode = (params.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        count = params.get("ShardCount")
        if mode == "PROVISIONED" and count is None:
            raise self._invalid(
                "ValidationException", "Shard count must be specified when the stream mode is PROVISIONED.", op
            )
        if mode == "ON_DEMAND":
            if count is not None:
                raise self._invalid(
                    "ValidationException", "ShardCount must not be specified when the stream mode is ON_DEMAND.", op
                )
            count = ON_DEMAND_SHARDS
        assert count is not None  # PROVISIONED without a count was refused above
        with self._client_errors(op):
            self._services.kinesis.create(params["StreamName"], int(count), mode)
        return {"ResponseMetadata": self._metadata()}

    def delete_stream(self, **params: Any) -> dict[str, Any]:
        """Delete a stream; its mappings stop reading it."""
        op = self._call("delete_stream", params)
        stream = self._stream(params, op)
        self._services.kinesis.delete(stream.name)
        return {"ResponseMetadata": self._metadata()}

    def describe_stream(self, **params: Any) -> dict[str, Any]:
        """The stream, its status and shards (``Limit``, ``ExclusiveStartShardId`` page them)."""
        op = self._call("describe_stream", params)
        stream = self._stream(params, op)
        shards = stream.shards
        if "ExclusiveStartShardId" in params:
            shards = [s for s in shards if s.shard_id > params["ExclusiveStartShardId"]]
        limit = params.get("Limit", 100)
        page = shards[:limit]
        return {
            "StreamDescription": {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": {"StreamMode": stream.mode},
                "Shards": [self._shard_shape(s) for s in page],
                "HasMoreShards": len(shards) > limit,
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": self._created(stream),
                "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
                "EncryptionType": "NONE",
            },
            "ResponseMetadata": self._metadata(),
        }

    def describe_stream_summary(self, **params: Any) -> dict[str, Any]:
        """The stream without its shards: status, retention, open shard count."""
        op = self._call("describe_stream_summary", params)
        stream = self._stream(params, op)
        return {
            "StreamDescriptionSummary": {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": {"StreamMode": stream.mode},
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": self._created(stream),
                "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
                "EncryptionType": "NONE",
                "OpenShardCount": len(stream.shards),
                "ConsumerCount": 0,
            },
            "ResponseMetadata": self._metadata(),
        }

    def list_shards(self, **params: Any) -> dict[str, Any]:
        """The stream's shards (``MaxResults`` up to 1,000 a page, ``NextToken``)."""
        op = self._call("list_shards", params)
        if "NextToken" in params:
            try:
                token = json.loads(base64.b64decode(params["NextToken"]).decode())
                name, after = str(token["stream"]), str(token["after"])
            except (ValueError, KeyError, TypeError):
                raise self._invalid("InvalidArgumentException", "NextToken is invalid.", op) from None
            stream = self._stream({"StreamName": name}, op)
        else:
            stream = self._stream(params, op)
            after = params.get("ExclusiveStartShardId", "")
        shards = [s for s in stream.shards if s.shard_id > after]
        limit = min(params.get("MaxResults", LIST_SHARDS_MAX), LIST_SHARDS_MAX)
        page = shards[:limit]
        out: dict[str, Any] = {"Shards": [self._shard_shape(s) for s in page]}
        if len(shards) > limit:
            token = {"stream": stream.name, "after": page[-1].shard_id}
            out["NextToken"] = base64.b64encode(json.dumps(token).encode()).decode()
        out["ResponseMetadata"] = self._metadata()
        return out

    def list_streams(self, **params: Any) -> dict[str, Any]:
        """The account's stream names, in order (``Limit``, ``ExclusiveStartStreamName``)."""
        self._call("list_streams", params)
        service = self._services.kinesis
        names = sorted(service.streams)
        if "ExclusiveStartStreamName" in params:
            names = [n for n in names if n > params["ExclusiveStartStreamName"]]
        limit = params.get("Limit", 100)
        page = names[:limit]
        return {
            "StreamNames": page,
            "HasMoreStreams": len(names) > limit,
            "StreamSummaries": [
                {
                    "StreamName": n,
                    "StreamARN": service.streams[n].arn,
                    "StreamStatus": "ACTIVE",
                    "StreamModeDetails": {"StreamMode": service.streams[n].mode},
                    "StreamCreationTimestamp": self._created(service.streams[n]),
                }
                for n in page
            ],
            "ResponseMetadata": self._metadata(),
        }

    def increase_stream_retention_period(self, **params: Any) -> dict[str, Any]:
        """Keep records longer: up to 8,760 hours (365 days), not less than now."""
        op = self._call("increase_stream_retention_period", params)
        stream = self._stream(params, op)
        hours = params["RetentionPeriodHours"]
        self._check_retention(hours, op)
        if hours < stream.retention_hours:
            raise self._invalid(
                "InvalidArgumentException",
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be shorter than "
                f"existing retention period ({stream.retention_hours} hours). Use DecreaseRetentionPeriod API.",
                op,
            )
        stream.set_retention(hours)
        return {"ResponseMetadata": self._metadata()}

    def decrease_stream_retention_period(self, **params: Any) -> dict[str, Any]:
        """Keep records less long: down to 24 hours, not more than now; records past it expire at once."""
        op = self._call("decrease_stream_retention_period", params)
        stream = self._stream(params, op)
        hours = params["RetentionPeriodHours"]
        self._check_retention(hours, op)
        if hours > stream.retention_hours:
            raise self._invalid(
                "InvalidArgumentException",
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be longer than "
                f"existing retention period ({stream.retention_hours} hours). Use IncreaseRetentionPeriod API.",
                op,
            )
        stream.set_retention(hours)
        return {"ResponseMetadata": self._metadata()}

    def _check_retention(self, hours: int, op: str) -> None:
        if hours < DEFAULT_RETENTION_HOURS:
            raise self._invalid(
                "InvalidArgumentException",
                f"Minimum allowed retention period is {DEFAULT_RETENTION_HOURS} hours. Requested retention period "
                f"({hours} hours) is too short.",
                op,
            )
        if hours > MAX_RETENTION_HOURS:
            raise self._invalid(
                "InvalidArgumentException",
                f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested retention period "
                f"({hours} hours) is too long.",
                op,
            )

    # -- records ----------------------------------------------------------------------------------------------

    def _bytes(self, data: Any, op: str) -> bytes:
        if isinstance(data, str):
            out = data.encode()
        elif isinstance(data, bytes | bytearray):
            out = bytes(data)
        else:
            out = bytes(data.read())  # a file-like object, as botocore accepts for a blob
        if len(out) > RECORD_MAX_BYTES:
            raise self._invalid(
                "ValidationException",
                f"1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have length "
                f"less than or equal to {RECORD_MAX_BYTES}",
                op,
            )
        return out

    def _hash_key(self, entry: dict[str, Any], op: str) -> str | None:
        explicit = entry.get("ExplicitHashKey")
        if explicit is not None and not (explicit.isdigit() and int(explicit) < 1 << 128):
            raise self._invalid(
                "InvalidArgumentException",
                f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was "
                f"{explicit}",
                op,
            )
        return explicit if explicit is None else str(explicit)

    def put_record(self, **params: Any) -> dict[str, Any]:
        """Write one record to the shard of its partition key (``ProvisionedThroughputExceededException`` past the
        shard's limits)."""
        op = self._call("put_record", params)
        stream = self._stream(params, op)
        explicit = self._hash_key(params, op)
        with self._client_errors(op):
            shard, record = stream.put(params["PartitionKey"], self._bytes(params["Data"], op), explicit)
        return {
            "ShardId": shard.shard_id,
            "SequenceNumber": record.sequence_number,
            "ResponseMetadata": self._metadata(),
        }

    def put_records(self, **params: Any) -> dict[str, Any]:
        """Write up to 500 records; each that a shard's limits refuse fails alone (``FailedRecordCount``)."""
        op = self._call("put_records", params)
        stream = self._stream(params, op)
        entries = params["Records"]  # at most 500: the model's constraint, checked above
        results: list[dict[str, Any]] = []
        failed = 0
        for entry in entries:
            explicit = self._hash_key(entry, op)
            try:
                shard, record = stream.put(entry["PartitionKey"], self._bytes(entry["Data"], op), explicit)
            except ServiceError as exc:
                failed += 1
                results.append({"ErrorCode": exc.code, "ErrorMessage": exc.message})
                continue
            results.append({"SequenceNumber": record.sequence_number, "ShardId": shard.shard_id})
        return {
            "FailedRecordCount": failed,
            "Records": results,
            "EncryptionType": "NONE",
            "ResponseMetadata": self._metadata(),
        }

    def get_shard_iterator(self, **params: Any) -> dict[str, Any]:
        """An iterator into a shard: at or after a sequence number, at the trim horizon, latest or at a time."""
        op = self._call("get_shard_iterator", params)
        stream = self._stream(params, op)
        shard = stream.shard(params["ShardId"])
        if shard is None:
            raise self._invalid(
                "ResourceNotFoundException",
                f"Shard {params['ShardId']} in stream {stream.name} under account {self._services.account_id} does "
                "not exist",
                op,
            )
        kind = params["ShardIteratorType"]
        now = self._services.now
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            seq = params.get("StartingSequenceNumber")
            n = shard.position_of(seq) if isinstance(seq, str) else None
            if n is None:
                raise self._invalid(
                    "InvalidArgumentException",
                    f"StartingSequenceNumber {seq} used in GetShardIterator on shard {shard.shard_id} in stream "
                    f"{stream.name} under account {self._services.account_id} is invalid.",
                    op,
                )
            position = n + (kind == "AFTER_SEQUENCE_NUMBER")
        elif kind == "TRIM_HORIZON":
            position = shard.first_n(now)
        elif kind == "LATEST":
            position = shard.written
        else:
            at = as_epoch(params.get("Timestamp"))
            if at is None:
                raise self._invalid(
                    "InvalidArgumentException",
                    "Must specify timestampInMillis parameter for iterator of type "
                    "AT_TIMESTAMP. Current request has no timestamp parameter.",
                    op,
                )
            position = shard.first_at_or_after(at - self._services.epoch(0.0), now)
        token = {"stream": stream.name, "shard": shard.index, "n": position}
        return {
            "ShardIterator": base64.b64encode(json.dumps(token).encode()).decode(),
            "ResponseMetadata": self._metadata(),
        }

    def get_records(self, **params: Any) -> dict[str, Any]:
        """Up to ``Limit`` (10,000) records from an iterator, the next iterator and ``MillisBehindLatest``."""
        op = self._call("get_records", params)
        try:
            token = json.loads(base64.b64decode(params["ShardIterator"]).decode())
            name, index, position = str(token["stream"]), int(token["shard"]), int(token["n"])
        except (ValueError, KeyError, TypeError):
            raise self._invalid("InvalidArgumentException", "Invalid ShardIterator.", op) from None
        stream = self._stream({"StreamName": name}, op)
        shard = stream.shards[index]
        now = self._services.now
        limit = params.get("Limit", 10000)
        records = shard.from_n(position, now)[:limit]
        nxt = records[-1].n + 1 if records else max(position, shard.first_n(now))
        # How far the iterator is behind the shard's newest record ([doc]: 0 when it is at the tip).
        behind = 0 if not shard.records or nxt > shard.records[-1].n else int((now - shard.records[-1].arrival) * 1000)
        stream.metrics.count("GetRecords.Records", now, len(records))
        token = {"stream": name, "shard": index, "n": nxt}
        return {
            "Records": [
                {
                    "SequenceNumber": r.sequence_number,
                    "ApproximateArrivalTimestamp": utc(self._services.epoch(r.arrival)),
                    "Data": r.data,
                    "PartitionKey": r.key,
                }
                for r in records
            ],
            "NextShardIterator": base64.b64encode(json.dumps(token).encode()).decode(),
            "MillisBehindLatest": behind,
            "ResponseMetadata": self._metadata(),
        }
