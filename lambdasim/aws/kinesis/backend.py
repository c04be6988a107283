"""Kinesis data streams on the simulated clock: shards, partition-key hashing, write limits and retention.

What is modelled, as AWS documents it ([doc]: https://docs.aws.amazon.com/streams/latest/dev/key-concepts.html and
https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html) and where AWS publishes nothing, as
lambdasim chooses ([model]):

- [doc] A record goes to the shard whose hash key range holds the MD5 of its partition key read as a 128-bit
  integer (or its ``ExplicitHashKey``); ``CreateStream`` splits the range evenly over the shards. On-demand streams
  start with 4 shards' capacity (4 MB/s of writes) [doc]; [model] lambdasim gives them 4 shards and does not scale
  them.
- [doc] Each shard takes up to 1,000 records and 1 MiB (data plus partition keys) per second of writes; past that,
  ``PutRecord`` fails with ``ProvisionedThroughputExceededException`` and ``PutRecords`` fails that entry (the others
  succeed; ``FailedRecordCount``). [model] The second is a whole simulated second (``[k, k+1)``), the same for every
  shard.
- [doc] Records are readable for the retention period: 24 hours by default, up to 8,760 (365 days).
- [model] A new stream is ``ACTIVE`` at once, and a shard iterator does not expire.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from lambdasim.aws.account import ServiceError
from lambdasim.aws.kinesis.metrics import StreamMetrics
from lambdasim.aws.kinesis.shards import Record, Shard, ShardedStream, hash_key_ranges

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = [
    "DEFAULT_RETENTION_HOURS",
    "MAX_RETENTION_HOURS",
    "ON_DEMAND_SHARDS",
    "RECORD_MAX_BYTES",
    "SHARD_BYTES_PER_S",
    "SHARD_QUOTA",
    "SHARD_RECORDS_PER_S",
    "KinesisService",
    "KinesisStream",
    "hash_of",
]

SHARD_RECORDS_PER_S = 1000
"""[doc] Records a shard takes per second."""
SHARD_BYTES_PER_S = 1 << 20
"""[doc] Bytes (data and partition keys) a shard takes per second."""
DEFAULT_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
SHARD_QUOTA = 500
"""[doc] Shards an account may have in a region by default (us-east-1, us-west-2, eu-west-1; 200 elsewhere)."""
RECORD_MAX_BYTES = 1 << 20
"""[doc] The most data one record carries (before base64)."""
ON_DEMAND_SHARDS = 4
"""[doc] An on-demand stream's initial write capacity is 4 MB/s: [model] 4 shards."""


def hash_of(partition_key: str) -> int:
    """[doc] The MD5 of the partition key (UTF-8) as a 128-bit unsigned integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


class KinesisStream(ShardedStream):
    """One Kinesis data stream.

    Attributes:
        name: Its name.
        arn: Its ARN.
        shards: Its shards, in hash-key order.
        retention_hours: Its retention period.
        mode: ``"PROVISIONED"`` or ``"ON_DEMAND"``.
        created_at: Simulated time of creation.
        metrics: Its CloudWatch counts (``AWS/Kinesis``).
        put_records: Records written.
        put_bytes: Bytes written (data and partition keys).
        write_throttles: Records refused by a shard's write limits.
        put_units: PUT payload units of 25 KB (the unit of the on-demand and provisioned PUT price).
    """

    kind = "kinesis"
    poll_interval_s = 1.0
    """[doc] Lambda reads each shard of a Kinesis stream about once a second."""

    def __init__(self, services: Services, name: str, shards: int, mode: str) -> None:
        self.services = services
        self.name = name
        self.arn = f"arn:aws:kinesis:{services.region}:{services.account_id}:stream/{name}"
        self.mode = mode
        self.retention_hours = DEFAULT_RETENTION_HOURS
        self.created_at = services.now
        self.deleted = False
        self.shards = [
            Shard(i, lo, hi, self.retention_s, "49", 50) for i, (lo, hi) in enumerate(hash_key_ranges(shards))
        ]
        self.metrics = StreamMetrics(services.sim.settings.metrics_period_s)
        self.put_records = 0
        self.put_bytes = 0
        self.put_units = 0
        self.put_kib = 0  # records rounded up to 1 KiB each (on-demand data-in)
        self.write_throttles = 0
        self._window = -1  # the whole second whose writes are counted
        self._used: dict[int, tuple[int, int]] = {}  # shard index -> (records, bytes) in that second

    @property
    def retention_s(self) -> float:
        return self.retention_hours * 3600.0

    def set_retention(self, hours: int) -> None:
        self.retention_hours = hours
        for shard in self.shards:
            shard.retention_s = self.retention_s

    def shard_for(self, partition_key: str, explicit_hash_key: str | None = None) -> Shard:
        """The shard a record with this key goes to."""
        return self.shard_by_hash(int(explicit_hash_key) if explicit_hash_key is not None else hash_of(partition_key))

    def put(self, partition_key: str, data: bytes, explicit_hash_key: str | None = None) -> tuple[Shard, Record]:
        """Write one record; return its shard and the record (``ServiceError``
        ``ProvisionedThroughputExceededException`` past the shard's limits)."""
        now = self.services.now
        shard = self.shard_for(partition_key, explicit_hash_key)
        size = len(data) + len(partition_key.encode())
        second = int(now)
        if second != self._window:
            self._window = second
            self._used = {}
        records, used = self._used.get(shard.index, (0, 0))
        if records + 1 > SHARD_RECORDS_PER_S or used + size > SHARD_BYTES_PER_S:
            self.write_throttles += 1
            self.metrics.count("WriteProvisionedThroughputExceeded", now)
            raise ServiceError(
                "ProvisionedThroughputExceededException",
                f"Rate exceeded for shard {shard.shard_id} in stream {self.name} under account "
                f"{self.services.account_id}.",
            )
        self._used[shard.index] = (records + 1, used + size)
        self.put_records += 1
        self.put_bytes += size
        self.put_units += max(1, -(-size // 25_000))
        self.put_kib += max(1, -(-size // 1024))
        self.metrics.count("IncomingRecords", now)
        self.metrics.count("IncomingBytes", now, size)
        return shard, shard.append(partition_key, data, now, size)

    def shard(self, shard_id: str) -> Shard | None:
        for shard in self.shards:
            if shard.shard_id == shard_id:
                return shard
        return None


class KinesisService:
    """The account's Kinesis data streams, by name."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.streams: dict[str, KinesisStream] = {}
        self.history: list[KinesisStream] = []

    def not_found(self, name: str) -> ServiceError:
        return ServiceError(
            "ResourceNotFoundException", f"Stream {name} under account {self.services.account_id} not found."
        )

    def create(self, name: str, shards: int, mode: str = "PROVISIONED") -> KinesisStream:
        if name in self.streams:
            raise ServiceError(
                "ResourceInUseException", f"Stream {name} under account {self.services.account_id} already exists."
            )
        current = sum(len(s.shards) for s in self.streams.values())
        if current + shards > SHARD_QUOTA:
            raise ServiceError(
                "LimitExceededException",
                f"This request would exceed the shard limit for the account {self.services.account_id} in "
                f"{self.services.region}. Current shard count for the account: {current}. Limit: {SHARD_QUOTA}. "
                f"Number of additional shards that would have resulted from this request: {shards}. Refer to the "
                "AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
                "for current limits and how to request higher limits.",
            )
        stream = KinesisStream(self.services, name, shards, mode)
        self.streams[name] = stream
        self.history.append(stream)
        return stream

    def get(self, name: str) -> KinesisStream:
        stream = self.streams.get(name)
        if stream is None:
            raise self.not_found(name)
        return stream

    def by_arn(self, arn: str) -> KinesisStream | None:
        for stream in self.streams.values():
            if stream.arn == arn:
                return stream
        return None

    def delete(self, name: str) -> None:
        stream = self.get(name)
        stream.deleted = True
        del self.streams[name]
