"""Shards and their records: the ordered, retained log that Kinesis data streams and DynamoDB streams share, and
that Lambda's stream pollers (:mod:`lambdasim.aws.lambda_.stream_esm`) read.

A shard keeps its records in arrival order, each with a sequence number that grows within the shard, for the
stream's retention period [doc]. Expiry is applied lazily (when the shard is next written or read), which gives the
same answers as a timer without one event per record.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = ["HASH_SPACE", "Record", "Shard", "ShardedStream", "hash_key_ranges"]

HASH_SPACE = 1 << 128
"""[doc] Partition keys map to 128-bit integers (MD5); a stream's shards split this space."""


def hash_key_ranges(shards: int) -> list[tuple[int, int]]:
    """The hash key range of each of ``shards`` shards, as ``CreateStream`` splits the space: evenly, in order
    ([doc]: shard ``i`` of ``n`` starts at ``i * 2**128 // n``)."""
    return [(i * HASH_SPACE // shards, (i + 1) * HASH_SPACE // shards - 1) for i in range(shards)]


class Record:
    """One record of a shard.

    Attributes:
        n: Its position in the shard (0 for the first record ever written to it).
        sequence_number: Its sequence number (a decimal string; within a shard, later records have larger ones).
        key: The partition key (for DynamoDB, the item's key as a string).
        data: The payload bytes (Kinesis); ``b""`` for DynamoDB.
        arrival: Simulated time it was written (its ``ApproximateArrivalTimestamp``).
        size: Bytes it counts for (data and partition key; DynamoDB: the record's ``SizeBytes``).
        body: For DynamoDB: the stream record (``eventName``, ``dynamodb``); ``None`` for Kinesis.
    """

    __slots__ = ("arrival", "body", "data", "key", "n", "sequence_number", "size", "wire")

    def __init__(
        self, n: int, sequence_number: str, key: str, data: bytes, arrival: float, size: int, body: Any = None
    ) -> None:
        self.n = n
        self.sequence_number = sequence_number
        self.key = key
        self.data = data
        self.arrival = arrival
        self.size = size
        self.body = body
        self.wire = 0  # bytes of its record in Lambda's event JSON, once a poller has counted them (0: not yet)

    def __repr__(self) -> str:
        return f"<Record {self.sequence_number} key={self.key!r} t={self.arrival:g}>"


class Shard:
    """One shard: its hash key range and its records, trimmed to the retention period.

    Attributes:
        shard_id: Kinesis's ``shardId-000000000000``, numbered from 0 in creation order, unless the stream names it
            (DynamoDB Streams' ids are longer: ``shardId-<20 digits>-<8 hex digits>``).
        index: Its number.
        start_hash: The first hash key of its range.
        end_hash: The last hash key of its range (inclusive).
        records: The records still retained, oldest first.
        listeners: Called with each new record (Lambda's pollers of the stream).
        expired: Records dropped by retention so far.
    """

    __slots__ = (
        "_prefix",
        "_width",
        "end_hash",
        "expired",
        "index",
        "listeners",
        "records",
        "retention_s",
        "shard_id",
        "start_hash",
        "written",
    )

    def __init__(
        self,
        index: int,
        start_hash: int,
        end_hash: int,
        retention_s: float,
        prefix: str,
        width: int,
        shard_id: str | None = None,
    ) -> None:
        self.index = index
        self.shard_id = f"shardId-{index:012d}" if shard_id is None else shard_id
        self.start_hash = start_hash
        self.end_hash = end_hash
        self.retention_s = retention_s
        self.records: deque[Record] = deque()
        self.listeners: list[Callable[[Record], None]] = []
        self.expired = 0
        self.written = 0
        self._prefix = prefix
        self._width = width  # digits of the position in a sequence number

    def sequence_number(self, n: int) -> str:
        """The sequence number of the ``n``-th record (fixed width, so string and numeric order agree)."""
        return f"{self._prefix}{self.index:04d}{n:0{self._width}d}"

    @property
    def starting_sequence_number(self) -> str:
        return self.sequence_number(0)

    def trim(self, now: float) -> None:
        """Drop the records older than the retention period ([doc]: a record is readable for that long)."""
        records = self.records
        horizon = now - self.retention_s
        while records and records[0].arrival <= horizon:
            records.popleft()
            self.expired += 1

    def append(self, key: str, data: bytes, now: float, size: int, body: Any = None) -> Record:
        """Write a record now and tell the listeners."""
        self.trim(now)
        n = self.written
        self.written += 1
        record = Record(n, self.sequence_number(n), key, data, now, size, body)
        self.records.append(record)
        for listener in list(self.listeners):
            listener(record)
        return record

    def first_n(self, now: float) -> int:
        """The position of the oldest record still retained (the trim horizon) at ``now``."""
        self.trim(now)
        return self.records[0].n if self.records else self.written

    def from_n(self, n: int, now: float) -> list[Record]:
        """The retained records at positions ``n`` and after, oldest first."""
        self.trim(now)
        records = self.records
        if not records:
            return []
        start = max(0, n - records[0].n)
        return [records[i] for i in range(start, len(records))]

    def position_of(self, sequence_number: str) -> int | None:
        """The position of the record with this sequence number, if it was written to this shard."""
        prefix = self._prefix + f"{self.index:04d}"
        if not sequence_number.startswith(prefix) or not sequence_number[len(prefix) :].isdigit():
            return None
        n = int(sequence_number[len(prefix) :])
        return n if n < self.written else None

    def first_at_or_after(self, t: float, now: float) -> int:
        """The position of the first retained record that arrived at or after ``t`` (``written`` if none)."""
        for record in self.from_n(0, now):
            if record.arrival >= t:
                return record.n
        return self.written


class ShardedStream:
    """What a Kinesis stream and a DynamoDB table's stream share: shards over the hash-key space, records trimmed
    by retention when counted. ``shards`` (in hash-key order) and ``services`` are set by each."""

    shards: list[Shard]
    services: Services

    def shard_by_hash(self, h: int) -> Shard:
        """The shard whose hash key range holds ``h``."""
        for shard in self.shards:
            if shard.start_hash <= h <= shard.end_hash:
                return shard
        raise AssertionError(h)  # the ranges cover the whole space

    def retained(self) -> int:
        """Records still in the stream now."""
        now = self.services.now
        for shard in self.shards:
            shard.trim(now)
        return sum(len(s.records) for s in self.shards)

    def expired(self) -> int:
        """Records dropped by retention so far."""
        self.retained()
        return sum(s.expired for s in self.shards)
