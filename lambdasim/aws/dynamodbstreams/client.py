"""``sim.client("dynamodbstreams")``: the tables' streams in boto3's shapes: ``describe_stream``, ``list_streams``,
and reading records with ``get_shard_iterator`` and ``get_records`` (what Lambda's pollers read,
:mod:`lambdasim.aws.lambda_.stream_esm`, a program can read too).

As with the Kinesis client, a shard iterator does not expire (AWS: 15 minutes after it is issued) [model]: a program
that keeps one longer reads on where AWS would answer ``ExpiredIteratorException``.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, utc
from lambdasim.aws.dynamodb.backend import Table, stream_record
from lambdasim.aws.dynamodbstreams._shapes import OPERATIONS, SHAPES
from lambdasim.aws.kinesis.shards import Record, Shard

__all__ = ["DynamoDbStreamsClient"]


class DynamoDbStreamsClient(ServiceClient):
    """The simulated DynamoDB Streams service."""

    service_name = "dynamodbstreams"
    invalid_parameter = ("ValidationException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationException"
    error_codes = ("ResourceNotFoundException", "ValidationException", "TrimmedDataAccessException")
    paginators: ClassVar[dict[str, dict[str, str]]] = {}

    def _tables(self) -> list[Table]:
        return [t for t in self._services.dynamodb.tables.values() if t.stream_arn is not None]

    def _table(self, arn: str, op: str) -> Table:
        table = next((t for t in self._tables() if t.stream_arn == arn), None)
        if table is None:
            raise self._invalid(
                "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", op
            )
        return table

    def describe_stream(self, **params: Any) -> dict[str, Any]:
        """The stream: its status, view type, key schema and shards."""
        op = self._call("describe_stream", params)
        arn = params["StreamArn"]
        table = self._table(arn, op)
        shards = table.shards
        if "ExclusiveStartShardId" in params:
            shards = [s for s in shards if s.shard_id > params["ExclusiveStartShardId"]]
        limit = params.get("Limit", 100)
        page = shards[:limit]
        description: dict[str, Any] = {
            "StreamArn": arn,
            "StreamLabel": table.stream_label,
            "StreamStatus": "ENABLED" if table.view_type is not None else "DISABLED",
            "StreamViewType": table.view_type or table.spec.get("StreamSpecification", {}).get("StreamViewType"),
            "CreationRequestDateTime": utc(self._services.epoch(table.created_at)),
            "TableName": table.name,
            "KeySchema": table.spec["KeySchema"],
            "Shards": [
                {
                    "ShardId": s.shard_id,
                    "SequenceNumberRange": {"StartingSequenceNumber": s.starting_sequence_number},
                }
                for s in page
            ],
        }
        if len(shards) > limit:
            description["LastEvaluatedShardId"] = page[-1].shard_id
        return {"StreamDescription": description, "ResponseMetadata": self._metadata()}

    def list_streams(self, **params: Any) -> dict[str, Any]:
        """The streams, of one table (``TableName``) or all."""
        self._call("list_streams", params)
        tables = self._tables()
        if "TableName" in params:
            tables = [t for t in tables if t.name == params["TableName"]]
        streams = [{"StreamArn": t.stream_arn, "TableName": t.name, "StreamLabel": t.stream_label} for t in tables]
        if "ExclusiveStartStreamArn" in params:
            streams = [s for s in streams if str(s["StreamArn"]) > params["ExclusiveStartStreamArn"]]
        limit = params.get("Limit", 100)
        out: dict[str, Any] = {"Streams": streams[:limit]}
        if len(streams) > limit:
            out["LastEvaluatedStreamArn"] = streams[limit - 1]["StreamArn"]
        out["ResponseMetadata"] = self._metadata()
        return out

    def get_shard_iterator(self, **params: Any) -> dict[str, Any]:
        """An iterator into a shard: at or after a sequence number, at the trim horizon (24 hours) or latest."""
        op = self._call("get_shard_iterator", params)
        arn = params["StreamArn"]
        table = self._table(arn, op)
        shard = next((s for s in table.shards if s.shard_id == params["ShardId"]), None)
        if shard is None:
            raise self._invalid(
                "ResourceNotFoundException",
                f"Requested resource not found: Shard: {params['ShardId']} in Stream: {arn} not found",
                op,
            )
        kind = params["ShardIteratorType"]
        now = self._services.now
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            position = self._position(shard, params.get("SequenceNumber"), kind, op)
            position += kind == "AFTER_SEQUENCE_NUMBER"
        elif kind == "TRIM_HORIZON":
            position = shard.first_n(now)
        else:  # LATEST (botocore's model allows no other value)
            position = shard.written
        return {"ShardIterator": _iterator(arn, shard.index, position), "ResponseMetadata": self._metadata()}

    def _position(self, shard: Shard, sequence_number: Any, kind: str, op: str) -> int:
        if sequence_number is None:
            raise self._invalid("ValidationException", f"Sequence number is required for {kind} iterator type", op)
        n = shard.position_of(str(sequence_number))
        if n is None or n >= shard.written:
            raise self._invalid(
                "ValidationException", f"Invalid SequenceNumber {sequence_number} for shard {shard.shard_id}", op
            )
        if n < shard.first_n(self._services.now):
            raise self._invalid(
                "TrimmedDataAccessException",
                f"The requested sequence number {sequence_number} is beyond the trim horizon of the stream",
                op,
            )
        return n

    def get_records(self, **params: Any) -> dict[str, Any]:
        """Up to ``Limit`` (1,000) records from an iterator, in order, and the next iterator."""
        op = self._call("get_records", params)
        try:
            token = json.loads(base64.b64decode(params["ShardIterator"], validate=True).decode())
            arn, index, position = str(token["stream"]), int(token["shard"]), int(token["n"])
        except (ValueError, KeyError, TypeError):
            raise self._invalid("ValidationException", "Invalid ShardIterator", op) from None
        table = self._table(arn, op)
        if not 0 <= index < len(table.shards):
            raise self._invalid("ValidationException", "Invalid ShardIterator", op)
        shard = table.shards[index]
        now = self._services.now
        if position < shard.first_n(now):
            # The records the iterator points at were trimmed (older than 24 hours): AWS refuses to skip them.
            raise self._invalid(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
                op,
            )
        records = shard.from_n(position, now)[: params.get("Limit", 1000)]
        nxt = records[-1].n + 1 if records else position
        return {
            "Records": [self._record(table, r) for r in records],
            "NextShardIterator": _iterator(arn, index, nxt),
            "ResponseMetadata": self._metadata(),
        }

    @staticmethod
    def _record(table: Table, r: Record) -> dict[str, Any]:
        """A stream record in the API's shape: the creation time a timestamp."""
        record = stream_record(table, r)
        dynamodb = record["dynamodb"]
        dynamodb["ApproximateCreationDateTime"] = utc(dynamodb["ApproximateCreationDateTime"])
        return record


def _iterator(arn: str, index: int, position: int) -> str:
    """An opaque shard iterator: the stream, the shard's number and the position of the next record to read."""
    return base64.b64encode(json.dumps({"stream": arn, "shard": index, "n": position}).encode()).decode()
