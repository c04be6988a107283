"""Streams in front of functions, on the Pythonic door: Kinesis data streams and DynamoDB table streams, Lambda's
stream event source mappings, and the workloads that write records with a partition-key distribution.

- :class:`Stream`: a Kinesis data stream (``shards``, ``retention_hours``) or a DynamoDB table with a stream
  (``shards``: its partitions, [model]), created through the ``kinesis`` / ``dynamodb`` clients.
- :class:`StreamEventSourceMapping`: Lambda's shard pollers reading a stream into a function
  (:mod:`lambdasim.aws.lambda_.stream_esm` has the behaviour). It goes in ``Model(event_source_mappings=...)``
  with the SQS :class:`~lambdasim.planning.sources.EventSourceMapping`\\ s.
- :class:`PoisonRecords`: a handler for stream batches that fails on a record marked ``"poison": true`` (what
  :class:`PutRecords` writes for the record numbers in its ``poison``), to study blocking, bisection and record age.
- :class:`PutRecords`: Poisson arrivals of records (Kinesis ``PutRecord``; DynamoDB: an item write) at a constant
  rate or a rate profile, with partition keys drawn uniformly from ``keys`` keys, or a ``hot_key_fraction`` of them
  on one hot key; chosen records carry ``{"poison": true}``. A Kinesis record a shard's write limit refuses is
  counted in the stream's ``write_throttles`` and not retried ([model]: a producer without retries).

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> model = Model(
...     functions=[Function(name="worker", behaviour=ls.Behaviour(duration=0.2), timeout_s=10)],
...     streams=[ls.Stream(name="clicks", shards=2)],
...     event_source_mappings=[ls.StreamEventSourceMapping(stream="clicks", function="worker", batch_size=50,
...                                                        starting_position="TRIM_HORIZON")],
...     workloads=[ls.PutRecords(stream="clicks", rate=100.0, stop_s=60)],
...     horizon_s=120,
... )
>>> results = model.run(seed=1)
>>> stream, (mapping,) = results.streams["clicks"], results.stream_mappings.values()
>>> stream["records_put"] == mapping["processed"] and mapping["pending"] == 0
True
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

from attrs import field, frozen

from lambdasim.aws.account import ServiceError
from lambdasim.core._validators import in_range, non_empty_text, one_of, real
from lambdasim.planning.sources import _bool, _filters, _optional_real, _profile, _rate, queue_arn
from lambdasim.planning.workload import _drive, thinned_delays

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["SOURCES", "STARTING_POSITIONS", "PoisonRecords", "PutRecords", "Stream", "StreamEventSourceMapping"]

SOURCES = ("kinesis", "dynamodb")
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
KEY_ATTRIBUTE = "pk"
"""The partition key attribute of the DynamoDB table a :class:`Stream` makes."""


def _stream_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _STREAM_NAME.match(value):
        raise ValueError(
            f"{attribute.name} must be letters, digits, '_', '.' or '-' (Kinesis: 1-128 of them, DynamoDB: 3-255), "
            f"got {value!r}"
        )


def stream_arn(sim: Simulation, stream: Stream) -> str:
    """The ARN a mapping of ``stream`` names: the Kinesis stream's, or the DynamoDB table's latest stream."""
    if stream.source == "kinesis":
        return f"arn:aws:kinesis:{sim.region}:{sim.account_id}:stream/{stream.name}"
    return str(sim.client("dynamodb").describe_table(TableName=stream.name)["Table"]["LatestStreamArn"])


@frozen(kw_only=True)
class Stream:
    """A Kinesis data stream, or a DynamoDB table with a stream.

    Attributes:
        name: The stream's (table's) name.
        source: ``"kinesis"`` or ``"dynamodb"``.
        shards: Kinesis: the stream's shards, 1 to 500 (the account's default shard quota [doc]; each takes 1 MB/s
            and 1,000 records/s of writes [doc]).
            DynamoDB: the table's partitions, hence its stream's shards ([model]).
        retention_hours: How long records are kept, 24 to 8,760 (Kinesis; DynamoDB streams keep 24 [doc]).
        view_type: DynamoDB: the stream's view type (``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE``,
            ``NEW_AND_OLD_IMAGES``).
    """

    name: str = field(validator=_stream_name)
    source: str = field(default="kinesis", validator=one_of(*SOURCES))
    shards: int = field(default=1, validator=in_range(1, 500, integer=True))
    retention_hours: int = field(default=24, validator=in_range(24, 8760, integer=True))
    view_type: str = field(
        default="NEW_AND_OLD_IMAGES", validator=one_of("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    )

    def __attrs_post_init__(self) -> None:
        low, high = (1, 128) if self.source == "kinesis" else (3, 255)
        if not low <= len(self.name) <= high:
            raise ValueError(
                f"stream {self.name!r}: a {self.source} name has {low} to {high} characters, got {len(self.name)}"
            )
        if self.source == "dynamodb" and self.retention_hours != 24:
            raise ValueError(
                f"stream {self.name!r}: a DynamoDB stream keeps records 24 hours; retention_hours must be 24, got "
                f"{self.retention_hours}"
            )

    def create(self, sim: Simulation) -> None:
        """Create the stream (or table) through the Kinesis (or DynamoDB) client."""
        if self.source == "kinesis":
            kin = sim.client("kinesis")
            kin.create_stream(StreamName=self.name, ShardCount=self.shards)
            if self.retention_hours > 24:
                kin.increase_stream_retention_period(StreamName=self.name, RetentionPeriodHours=self.retention_hours)
            return
        sim.client("dynamodb").create_table(
            TableName=self.name,
            KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": self.view_type},
        )
        # The partitions DynamoDB would have made for this table's traffic ([model]): set on the service, as the
        # API has no such parameter.
        sim.services.dynamodb.get(self.name).repartition(self.shards)


def _starting_position(_instance: Any, attribute: Any, value: Any) -> None:
    if value not in STARTING_POSITIONS:
        raise ValueError(f"{attribute.name} must be one of {list(STARTING_POSITIONS)}, got {value!r}")


def _age(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not (value == -1 or 60 <= value <= 604800):
        raise ValueError(f"{attribute.name} must be -1 (no limit) or an integer from 60 to 604,800 s, got {value!r}")


def _optional_text(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError(f"{attribute.name} must be a queue name or an ARN, or None, got {value!r}")


@frozen(kw_only=True)
class StreamEventSourceMapping:
    """Lambda's pollers reading ``stream`` into ``function`` (``CreateEventSourceMapping`` on a stream ARN).

    Attributes:
        stream: The stream's name (one of the model's streams).
        function: The function's name, or ``name:qualifier``.
        starting_position: ``"LATEST"`` (records written after the mapping is made), ``"TRIM_HORIZON"`` (every
            retained record) or ``"AT_TIMESTAMP"`` (Kinesis, with ``starting_position_timestamp``).
        starting_position_timestamp: Unix time for ``AT_TIMESTAMP``.
        batch_size: Records per batch at most, 1 to 10,000 (AWS's default 100).
        batching_window_s: How long a batch gathers records, 0 to 300 s.
        parallelization_factor: Batches of one shard at once, 1 to 10 (order kept per partition key).
        bisect_batch_on_function_error: Split a failed batch in two and retry each half.
        maximum_retry_attempts: Retries of a failed batch, -1 (until the records expire) to 10,000.
        maximum_record_age_s: Discard records older than this: -1 (no limit) or 60 to 604,800 s.
        on_failure: Where discarded batches are described: a queue of the model by name, or an ARN (SQS queue, SNS
            topic, S3 bucket); ``None``: nowhere.
        report_batch_item_failures: The function may answer ``{"batchItemFailures": [...]}`` (checkpointing).
        tumbling_window_s: Aggregate state over windows of this length, 0 (off) to 900 s.
        filters: Event patterns; records that match none are dropped without invoking.
        enabled: Whether the pollers run.
    """

    stream: str = field(validator=_stream_name)
    function: str = field(validator=non_empty_text)
    starting_position: str = field(default="LATEST", validator=_starting_position)
    starting_position_timestamp: float | None = field(default=None, converter=_optional_real)
    batch_size: int = field(default=100, validator=in_range(1, 10000, integer=True))
    batching_window_s: int = field(default=0, validator=in_range(0, 300, integer=True))
    parallelization_factor: int = field(default=1, validator=in_range(1, 10, integer=True))
    bisect_batch_on_function_error: bool = field(default=False, validator=_bool)
    maximum_retry_attempts: int = field(default=-1, validator=in_range(-1, 10000, integer=True))
    maximum_record_age_s: int = field(default=-1, validator=_age)
    on_failure: str | None = field(default=None, validator=_optional_text)
    report_batch_item_failures: bool = field(default=False, validator=_bool)
    tumbling_window_s: int = field(default=0, validator=in_range(0, 900, integer=True))
    filters: tuple[dict[str, Any], ...] = field(default=(), converter=_filters)
    enabled: bool = field(default=True, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if (self.starting_position == "AT_TIMESTAMP") != (self.starting_position_timestamp is not None):
            raise ValueError(
                f"mapping of stream {self.stream!r}: starting_position_timestamp is required with, and only with, "
                f"starting_position 'AT_TIMESTAMP' (got {self.starting_position!r}, "
                f"{self.starting_position_timestamp!r})"
            )

    @property
    def name(self) -> str:
        """The stream's name: a path names a mapping by it (``"event_source_mappings[clicks].batch_size"``)."""
        return self.stream

    def destination_arn(self, sim: Simulation) -> str | None:
        """The on-failure destination's ARN (a bare name is a queue of the model)."""
        if self.on_failure is None or self.on_failure.startswith("arn:"):
            return self.on_failure
        return queue_arn(sim, self.on_failure)

    def create(self, sim: Simulation, stream: Stream) -> str:
        """Create the mapping through the Lambda client; return its UUID."""
        params: dict[str, Any] = {
            "EventSourceArn": stream_arn(sim, stream),
            "FunctionName": self.function,
            "StartingPosition": self.starting_position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.batching_window_s,
            "ParallelizationFactor": self.parallelization_factor,
            "BisectBatchOnFunctionError": self.bisect_batch_on_function_error,
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "MaximumRecordAgeInSeconds": self.maximum_record_age_s,
            "TumblingWindowInSeconds": self.tumbling_window_s,
            "Enabled": self.enabled,
        }
        if self.starting_position_timestamp is not None:
            params["StartingPositionTimestamp"] = self.starting_position_timestamp
        destination = self.destination_arn(sim)
        if destination is not None:
            params["DestinationConfig"] = {"OnFailure": {"Destination": destination}}
        if self.report_batch_item_failures:
            params["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if self.filters:
            params["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps(p)} for p in self.filters]}
        return str(sim.client("lambda").create_event_source_mapping(**params)["UUID"])


def _fraction(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a fraction from 0 to 1, got {value!r}")


def _indexes(value: Any) -> frozenset[int]:
    items = frozenset(value)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ValueError(f"poison must hold record numbers (integers >= 0), got {item!r}")
    return items


@frozen(kw_only=True)
class PutRecords:
    """Records written to ``stream`` at Poisson arrivals of ``rate``, from ``start_s`` until ``stop_s``.

    Record ``i`` (from 0) has data ``{"n": i}`` (plus ``"poison": true`` if ``i`` is in ``poison``), padded with a
    ``"pad"`` string to ``size_bytes`` if that is larger. Its partition key is ``"hot"`` with probability
    ``hot_key_fraction``, else one of ``k0`` ... ``k<keys-1>`` drawn uniformly. On a DynamoDB stream, each record
    is a ``PutItem`` of the item with that key (``INSERT`` the first time, ``MODIFY`` after).

    Attributes:
        stream: The stream's name.
        rate: Records per second: a number, a rate profile (``Piecewise``, ``Spike``, their sums...) or a callable
            of time with ``max_rate_per_s``.
        stop_s: No records at or after this time (s).
        start_s: No records before this time (s).
        keys: Distinct partition keys besides the hot one, 1 or more.
        hot_key_fraction: Share of records on the key ``"hot"``, 0 to 1.
        size_bytes: The size of each record's data (at least that of ``{"n": i}``).
        poison: Numbers of the records that carry ``"poison": true`` (for a handler to fail on).
        max_rate_per_s: For a callable ``rate``: an upper bound on it.
        name: Names the random streams (``arrivals:<name>`` and ``keys:<name>`` of the stream).
    """

    random: ClassVar[bool] = True

    stream: str = field(validator=_stream_name)
    rate: Any = field(converter=_rate)
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    keys: int = field(default=100, validator=in_range(1, 10_000_000, integer=True))
    hot_key_fraction: float = field(default=0.0, converter=real, validator=_fraction)
    size_bytes: int = field(default=0, validator=in_range(0, 1 << 20, integer=True))
    poison: frozenset[int] = field(default=frozenset(), converter=_indexes)
    max_rate_per_s: float | None = field(default=None, converter=_optional_real)
    name: str = field(default="records", validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        _profile(self.rate, self.max_rate_per_s, f"PutRecords to {self.stream!r}")

    def expected_count(self) -> float:
        """The mean number of records: the rate's integral over ``[start_s, stop_s)``."""
        profile = _profile(self.rate, self.max_rate_per_s, "")
        return profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule the records on ``sim`` (the stream must exist)."""
        services = sim.services
        kinesis = services.kinesis_in_use.streams.get(self.stream) if services.kinesis_in_use is not None else None
        table = services.dynamodb_in_use.tables.get(self.stream) if services.dynamodb_in_use is not None else None
        if kinesis is None and table is None:
            raise ValueError(f"PutRecords: no stream {self.stream!r} in the simulation")
        rng = sim.engine.generator(self.stream, f"arrivals:{self.name}")
        keys_rng = sim.engine.generator(self.stream, f"keys:{self.name}")
        profile = _profile(self.rate, self.max_rate_per_s, f"PutRecords to {self.stream!r}")
        next_delay = thinned_delays(sim.env, profile, rng, self.stop_s, f"PutRecords {self.name!r} to {self.stream!r}")
        count = [0]
        hot, n_keys, size, poison = self.hot_key_fraction, self.keys, self.size_bytes, self.poison

        def data_of(i: int) -> str:
            body: dict[str, Any] = {"n": i}
            if i in poison:
                body["poison"] = True
            text = json.dumps(body)
            if len(text) < size:
                body["pad"] = "x" * max(0, size - len(text) - len(', "pad": ""'))
                text = json.dumps(body)
            return text

        def key_of() -> str:
            if hot and keys_rng.random() < hot:
                return "hot"
            return f"k{int(keys_rng.integers(n_keys))}"

        def put() -> None:
            i = count[0]
            count[0] += 1
            key = key_of()
            if kinesis is not None:
                try:
                    kinesis.put(key, data_of(i).encode())
                except ServiceError as exc:  # a shard's write limit: counted by the stream, not retried ([model])
                    if exc.code != "ProvisionedThroughputExceededException":
                        raise
                return
            assert table is not None
            item = {KEY_ATTRIBUTE: {"S": key}, "data": {"S": data_of(i)}}
            table.write(table.key_of(item), item)

        _drive(sim.env, self.start_s, next_delay, put)


def _record_data(record: dict[str, Any]) -> Any:
    """The JSON data of a stream record in Lambda's event (Kinesis ``data`` in base64; DynamoDB ``data`` attribute of
    the new image), or ``None``."""
    import base64

    try:
        if "kinesis" in record:
            return json.loads(base64.b64decode(record["kinesis"]["data"]))
        image = record.get("dynamodb", {}).get("NewImage", {})
        return json.loads(image["data"]["S"]) if "data" in image else None
    except (ValueError, KeyError, TypeError):
        return None


def _sequence_number(record: dict[str, Any]) -> str:
    if "kinesis" in record:
        return str(record["kinesis"]["sequenceNumber"])
    return str(record["dynamodb"]["SequenceNumber"])


@frozen(kw_only=True)
class PoisonRecords:
    """A handler for stream batches: it fails on every batch holding a record whose data is marked
    ``"poison": true``, and succeeds on the others. The run time comes from the function's ``duration``.

    Attributes:
        report_batch_item_failures: Instead of raising, answer ``{"batchItemFailures": [...]}`` naming the first
            poison record (for a mapping with ``report_batch_item_failures=True``).
    """

    report_batch_item_failures: bool = field(default=False, validator=_bool)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        for record in event.get("Records", []):
            data = _record_data(record)
            if isinstance(data, dict) and data.get("poison") is True:
                if self.report_batch_item_failures:
                    return {"batchItemFailures": [{"itemIdentifier": _sequence_number(record)}]}
                raise ValueError(f"poison record {_sequence_number(record)}")
        return None
