"""``sim.client("dynamodbstreams")``: ``describe_stream`` and ``list_streams`` of the tables' streams, in boto3's
shapes (the stream records themselves are read by Lambda's pollers, :mod:`lambdasim.aws.lambda_.stream_esm`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, utc
from lambdasim.aws.dynamodb.backend import Table
from lambdasim.aws.dynamodbstreams._shapes import OPERATIONS, SHAPES

__all__ = ["DynamoDbStreamsClient"]


class DynamoDbStreamsClient(ServiceClient):
    """The simulated DynamoDB Streams service."""

    service_name = "dynamodbstreams"
    invalid_parameter = ("ValidationException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationException"
    error_codes = ("ResourceNotFoundException", "ValidationException")
    paginators: ClassVar[dict[str, dict[str, str]]] = {}

    def _tables(self) -> list[Table]:
        return [t for t in self._services.dynamodb.tables.values() if t.stream_arn is not None]

    def describe_stream(self, **params: Any) -> dict[str, Any]:
        """The stream: its status, view type, key schema and shards."""
        op = self._call("describe_stream", params)
        arn = params["StreamArn"]
        table = next((t for t in self._tables() if t.stream_arn == arn), None)
        if table is None:
            raise self._invalid(
                "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", op
            )
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
