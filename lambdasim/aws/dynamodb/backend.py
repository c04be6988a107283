"""DynamoDB tables and their streams on the simulated clock: what it takes to produce stream records.

As AWS documents it ([doc]: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html) and where
AWS publishes nothing, as lambdasim chooses ([model]):

- [doc] A table with ``StreamSpecification={"StreamEnabled": True, "StreamViewType": ...}`` writes one stream record
  per item change: ``INSERT`` (a new item), ``MODIFY`` (an item changed; a put or update that changes nothing writes
  none) and ``REMOVE`` (an item deleted; deleting a missing item writes none), with ``Keys`` always and ``NewImage``
  / ``OldImage`` as the view type says (``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE``, ``NEW_AND_OLD_IMAGES``), in
  DynamoDB's typed attribute format (``{"S": "text"}``, ``{"N": "12"}``...). Records are kept 24 hours.
- [doc] Records of one item appear in the order of its changes, in one shard. [model] A stream has one shard per
  table partition, and an item's partition is the MD5 of its partition key's value (as for Kinesis). The partitions
  of a provisioned table are ``ceil(RCU / 3000 + WCU / 1000)`` (AWS's once-documented sizing rule); an on-demand
  table has 1, unless the Pythonic door's ``Stream(shards=...)`` sets more. Shards do not roll over (AWS closes and
  opens shards every few hours; a reader sees this only as its iterator moving to a child shard).
- [model] ``SizeBytes`` of a record: the UTF-8 bytes of its attribute names and values as in DynamoDB's item size
  (strings and binaries their length, numbers their digits / 2 + 1, booleans and nulls 1).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.aws.kinesis.backend import hash_of
from lambdasim.aws.kinesis.shards import Record, Shard, ShardedStream, hash_key_ranges

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = [
    "RETENTION_S",
    "VIEW_TYPES",
    "DynamoDbService",
    "Table",
    "attribute_size",
    "partitions_for",
    "stream_record",
]

RETENTION_S = 24 * 3600.0
"""[doc] DynamoDB stream records are kept 24 hours."""
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")

Item = dict[str, dict[str, Any]]


def partitions_for(read_units: int, write_units: int) -> int:
    """[model] A provisioned table's partitions: ``ceil(RCU / 3000 + WCU / 1000)``, at least 1."""
    return max(1, math.ceil(read_units / 3000 + write_units / 1000))


def attribute_size(name: str, value: dict[str, Any]) -> int:
    """[model] Bytes of one attribute as DynamoDB sizes items: its name plus its value."""
    return len(name.encode()) + _value_size(value)


def _value_size(value: dict[str, Any]) -> int:
    kind, v = next(iter(value.items()))
    if kind == "S":
        return len(str(v).encode())
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else len(str(v).encode())
    if kind == "N":
        return len(str(v).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("SS", "BS", "NS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    if kind == "M":
        return 3 + sum(attribute_size(k, x) for k, x in v.items())
    if kind == "L":
        return 3 + sum(_value_size(x) + 1 for x in v)
    return 1  # BOOL, NULL


class Table(ShardedStream):
    """One table: key schema, items and (if enabled) its stream.

    Attributes:
        name: Its name.
        arn: Its ARN.
        hash_key: Its partition key attribute.
        range_key: Its sort key attribute (``None`` without one).
        items: ``{key: item}``.
        view_type: The stream's view type, or ``None`` with no stream.
        stream_label: The latest stream's label (its creation time).
        stream_arn: The latest stream's ARN.
        shards: The stream's shards (one per partition).
        writes: Item writes (puts, updates, deletes) that changed the table.
    """

    kind = "dynamodb"
    poll_interval_s = 0.25
    """[doc] Lambda reads each shard of a DynamoDB stream four times a second."""
    retention_s = RETENTION_S

    def __init__(self, services: Services, spec: dict[str, Any], partitions: int) -> None:
        self.services = services
        self.spec = spec
        self.name: str = spec["TableName"]
        self.arn = f"arn:aws:dynamodb:{services.region}:{services.account_id}:table/{self.name}"
        keys = {k["KeyType"]: k["AttributeName"] for k in spec["KeySchema"]}
        self.hash_key: str = keys["HASH"]
        self.range_key: str | None = keys.get("RANGE")
        self.created_at = services.now
        self.items: dict[tuple[str, str], Item] = {}
        self.partitions = partitions
        self.view_type: str | None = None
        self.stream_label: str | None = None
        self.stream_arn: str | None = None
        self.shards: list[Shard] = []
        self.deleted = False
        self.writes = 0
        self._events = 0

    @property
    def stream_name(self) -> str:
        return self.name

    def enable_stream(self, view_type: str) -> None:
        """Start a new stream (a new label and ARN) with this view type."""
        moment = self.services.sim.start.timestamp() + self.services.now
        stamp = _dt.datetime.fromtimestamp(moment, tz=_dt.UTC)
        label = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
        self.view_type = view_type
        self.stream_label = label
        self.stream_arn = f"{self.arn}/stream/{label}"
        # DynamoDB Streams' shard ids are the creation time in ms and 8 hex digits (botocore: at least 28
        # characters); the digits here are a hash of the stream and the shard's number, so runs repeat.
        millis = int(moment * 1000)
        self.shards = [
            Shard(i, lo, hi, RETENTION_S, "4", 16, _shard_id(self.stream_arn, i, millis))
            for i, (lo, hi) in enumerate(hash_key_ranges(self.partitions))
        ]

    def disable_stream(self) -> None:
        self.view_type = None

    def repartition(self, partitions: int) -> None:
        """Set the number of partitions (and stream shards) of a table that has no stream records yet."""
        if any(s.written for s in self.shards):
            raise ValueError(f"table {self.name!r}: its stream has records; partitions are set before any write")
        self.partitions = partitions
        if self.view_type is not None:
            self.enable_stream(self.view_type)

    # -- items --------------------------------------------------------------------------------------------------

    def key_of(self, item: Item) -> tuple[str, str]:
        """The item's key (``ValidationException`` when a key attribute is missing)."""
        out = []
        for name in (self.hash_key, self.range_key):
            if name is None:
                out.append("")
                continue
            value = item.get(name)
            if not isinstance(value, dict) or len(value) != 1:
                raise ServiceError(
                    "ValidationException",
                    f"One or more parameter values were invalid: Missing the key {name} in the item",
                )
            out.append(repr(sorted(value.items())))
        return out[0], out[1]

    def keys(self, item: Item) -> Item:
        out = {self.hash_key: item[self.hash_key]}
        if self.range_key is not None:
            out[self.range_key] = item[self.range_key]
        return out

    def write(self, key: tuple[str, str], new: Item | None) -> Item | None:
        """Set (or with ``None`` delete) the item at ``key``; write the stream record; return the old item."""
        old = self.items.get(key)
        if new is None:
            if old is None:
                return None
            del self.items[key]
        else:
            if old == new:
                return old
            self.items[key] = new
        self.writes += 1
        if self.view_type is not None and self.shards:
            self._record(old, new)
        return old

    def _record(self, old: Item | None, new: Item | None) -> None:
        services = self.services
        now = services.now
        current = new if new is not None else old
        assert current is not None
        name = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
        keys = self.keys(current)
        partition = next(iter(keys[self.hash_key].values()))
        shard = self._shard_for(str(partition))
        body: dict[str, Any] = {"ApproximateCreationDateTime": float(int(services.epoch(now))), "Keys": keys}
        view = self.view_type
        if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and new is not None:
            body["NewImage"] = new
        if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and old is not None:
            body["OldImage"] = old
        size = sum(attribute_size(k, v) for k, v in keys.items())
        size += sum(attribute_size(k, v) for image in ("NewImage", "OldImage") for k, v in body.get(image, {}).items())
        self._events += 1
        event = {"eventID": f"{self._events:032x}", "eventName": name}
        shard.append(str(partition), b"", now, size, (event, body, view))

    def _shard_for(self, partition_key: str) -> Shard:
        return self.shard_by_hash(hash_of(partition_key))


class DynamoDbService:
    """The account's DynamoDB tables, by name."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tables: dict[str, Table] = {}
        self.history: list[Table] = []

    def get(self, name: str, message: str = "Requested resource not found") -> Table:
        table = self.tables.get(name)
        if table is None:
            raise ServiceError("ResourceNotFoundException", message)
        return table

    def create(self, spec: dict[str, Any], partitions: int) -> Table:
        name = spec["TableName"]
        if name in self.tables:
            raise ServiceError("ResourceInUseException", f"Table already exists: {name}")
        table = Table(self.services, spec, partitions)
        self.tables[name] = table
        self.history.append(table)
        return table

    def delete(self, name: str) -> Table:
        table = self.get(name, f"Requested resource not found: Table: {name} not found")
        table.deleted = True
        del self.tables[name]
        return table

    def by_stream_arn(self, arn: str) -> Table | None:
        for table in self.tables.values():
            if table.stream_arn == arn and table.view_type is not None:
                return table
        return None


def _shard_id(stream_arn: str, index: int, millis: int) -> str:
    """A DynamoDB Streams shard id, ``shardId-<20 digits>-<8 hex digits>``, the same for the same stream and shard."""
    digest = hashlib.md5(f"{stream_arn}#{index}".encode(), usedforsecurity=False).hexdigest()[:8]
    return f"shardId-{millis + index:020d}-{digest}"


def stream_record(table: Table, r: Record) -> dict[str, Any]:
    """A stream record in DynamoDB Streams' shape: ``eventID`` ... ``dynamodb`` (its ``ApproximateCreationDateTime``
    in epoch seconds, binary attributes as bytes). ``GetRecords`` answers it with the time as a timestamp; Lambda's
    event carries it as JSON with the stream's ARN (:func:`lambdasim.aws.lambda_.stream_esm.ddb_event_record`)."""
    event, body, view = r.body
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": body["ApproximateCreationDateTime"],
        "Keys": body["Keys"],
    }
    for image in ("NewImage", "OldImage"):
        if image in body:
            dynamodb[image] = body[image]
    dynamodb.update(SequenceNumber=r.sequence_number, SizeBytes=r.size, StreamViewType=view)
    return {
        "eventID": event["eventID"],
        "eventName": event["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": table.arn.split(":")[3],
        "dynamodb": dynamodb,
    }
