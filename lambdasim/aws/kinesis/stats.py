"""What the streams and stream event source mappings of a run did, as JSON-ready figures (``Results.streams`` and
``Results.stream_mappings``), and the streams' bill.

Per stream (Kinesis data stream or DynamoDB table stream), by name: ``source``, ``shards``, ``records_put``,
``bytes_put``, ``write_throttles`` (Kinesis records refused by a shard's write limits), ``put_units`` (25 KB PUT
payload units), ``retained`` (records still in the stream), ``expired`` (records past retention), ``shard_hours``,
``read_requests`` (the mappings' ``GetRecords`` calls, [model] one per read interval per shard, idle reads included)
and ``cost``.

Prices [doc] (us-east-1, https://aws.amazon.com/kinesis/data-streams/pricing/): provisioned streams
0.015 USD per shard-hour and 0.014 USD per million PUT payload units, extended retention (over 24 hours, up to 7
days) 0.02 USD per shard-hour more; on-demand streams 0.04 USD per stream-hour and 0.08 USD per GB written (each
record rounded up to 1 KB). DynamoDB Streams (https://aws.amazon.com/dynamodb/pricing/): 0.02 USD per 100,000
stream read request units, but ``GetRecords`` calls made by Lambda triggers are free, so a table stream read only
by Lambda costs nothing; ``read_requests`` counts them anyway (four a second per shard per mapping since the
mapping was made [doc], idle reads included). [model] Not billed: the table's own reads and writes, Kinesis
retention over 7 days (per GB-month), and on-demand data retrieval.

Per stream mapping, by UUID: its stream and function, ``state``, the counters of
:class:`~lambdasim.aws.lambda_.stream_esm.StreamStats`, ``pending`` (records taken and not yet done) and
``pending_by_shard`` (the same per shard id: the records in flight or waiting on each shard).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.aws.dynamodb.backend import Table
    from lambdasim.aws.kinesis.backend import KinesisStream
    from lambdasim.aws.simulation import Simulation

__all__ = [
    "EXTENDED_RETENTION_SHARD_HOUR",
    "ON_DEMAND_GB_IN",
    "ON_DEMAND_STREAM_HOUR",
    "PUT_UNITS_PER_MILLION",
    "SHARD_HOUR",
    "stream_figures",
    "stream_mapping_figures",
]

SHARD_HOUR = 0.015
PUT_UNITS_PER_MILLION = 0.014
EXTENDED_RETENTION_SHARD_HOUR = 0.02
ON_DEMAND_STREAM_HOUR = 0.04
ON_DEMAND_GB_IN = 0.08


def kinesis_cost(stream: KinesisStream, hours: float) -> float:
    """The bill of a Kinesis stream over ``hours`` of the run."""
    if stream.mode == "ON_DEMAND":
        return hours * ON_DEMAND_STREAM_HOUR + stream.put_kib * 1024 / 1e9 * ON_DEMAND_GB_IN
    shard_hours = len(stream.shards) * hours
    extended = EXTENDED_RETENTION_SHARD_HOUR * shard_hours if stream.retention_hours > 24 else 0.0
    return shard_hours * SHARD_HOUR + stream.put_units * PUT_UNITS_PER_MILLION / 1e6 + extended


def _reads(sim: Simulation, source: object, interval: float) -> int:
    """``GetRecords`` calls of the mappings of ``source``: one per shard per read interval since each was made."""
    from lambdasim.aws.lambda_.esm import esm_service

    return sum(
        int((sim.now - m.created_at) / interval) * len(m.readers)
        for m in esm_service(sim).stream_mappings()
        if m.source is source
    )


def _kinesis(stream: KinesisStream, hours: float, read_requests: int) -> dict[str, Any]:
    return {
        "source": "kinesis",
        "mode": stream.mode,
        "shards": len(stream.shards),
        "retention_hours": stream.retention_hours,
        "records_put": stream.put_records,
        "bytes_put": stream.put_bytes,
        "write_throttles": stream.write_throttles,
        "put_units": stream.put_units,
        "retained": stream.retained(),
        "expired": stream.expired(),
        "shard_hours": len(stream.shards) * hours,
        "read_requests": read_requests,
        "cost": kinesis_cost(stream, hours),
    }


def _dynamodb(table: Table, hours: float, read_requests: int) -> dict[str, Any]:
    written = sum(s.written for s in table.shards)
    return {
        "source": "dynamodb",
        "mode": table.spec.get("BillingMode", "PROVISIONED"),
        "shards": len(table.shards),
        "retention_hours": 24,
        "records_put": written,
        "bytes_put": sum(r.size for s in table.shards for r in s.records),
        "write_throttles": 0,
        "put_units": 0,
        "retained": table.retained(),
        "expired": table.expired(),
        "shard_hours": len(table.shards) * hours,
        "read_requests": read_requests,
        "cost": 0.0,  # Lambda triggers' reads are free [doc]
    }


def stream_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    """Figures of every Kinesis stream and DynamoDB table stream of ``sim`` (deleted ones too), by name."""
    hours = sim.now / 3600.0
    out: dict[str, dict[str, Any]] = {}
    services = sim.services
    if services.kinesis_in_use is not None:
        for stream in services.kinesis_in_use.history:
            out[stream.name] = _kinesis(stream, hours, _reads(sim, stream, stream.poll_interval_s))
    if services.dynamodb_in_use is not None:
        for table in services.dynamodb_in_use.history:
            if table.shards:
                out[table.name] = _dynamodb(table, hours, _reads(sim, table, table.poll_interval_s))
    return out


def stream_mapping_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    """Figures of every stream event source mapping of ``sim`` by UUID."""
    from lambdasim.aws.lambda_.esm import esm_service

    out: dict[str, dict[str, Any]] = {}
    for m in esm_service(sim).stream_mappings():
        out[m.uuid] = {
            "stream": m.source.name,
            "source": m.kind,
            "function_arn": m.function_arn,
            "state": m.state,
            "pending": m.pending(),
            "pending_by_shard": m.pending_by_shard(),
            **m.stats.as_dict(),
        }
    return out
