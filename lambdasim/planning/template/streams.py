"""Readers for Kinesis streams, DynamoDB tables' streams and the event source mappings that read them, building
:class:`~lambdasim.planning.streams.Stream` and :class:`~lambdasim.planning.streams.StreamEventSourceMapping` objects
for ``Model(streams=..., event_source_mappings=...)``. Only the settings a template gives are passed on, so the
classes' own defaults (AWS's) apply to the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdasim.core._validators import short_repr
from lambdasim.planning.streams import Stream, StreamEventSourceMapping
from lambdasim.planning.template.properties import ANY, Props

if TYPE_CHECKING:
    from lambdasim.planning.template.resources import Parts
    from lambdasim.planning.template.stack import Stack

__all__ = ["read_mapping", "readers"]


def _construct(cls: type, kwargs: dict[str, Any], p: Props, names: dict[str, str]) -> Any:
    from lambdasim.planning.template.resources import construct

    return construct(cls, kwargs, p, names)


def read_kinesis(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Kinesis::Stream``: shards and retention."""
    p = Props(stack, lid, frozenset({"Name", "Tags", "StreamEncryption", "StreamModeDetails"}))
    kwargs: dict[str, Any] = {"name": stack.name(lid), "source": "kinesis"}
    mode = (p.mapping("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        parts.unmodelled.append(f"{lid}.StreamModeDetails (ON_DEMAND: shards are those of the Stream's default)")
    shards = p.integer("ShardCount")
    if shards is not None:
        kwargs["shards"] = shards
    hours = p.integer("RetentionPeriodHours")
    if hours is not None:
        kwargs["retention_hours"] = hours
    parts.streams.append(
        _construct(
            Stream, kwargs, p, {"name": "Name", "shards": "ShardCount", "retention_hours": "RetentionPeriodHours"}
        )
    )
    return p


def read_table(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::DynamoDB::Table``: its stream (``StreamSpecification``); a table without one is not modelled."""
    p = Props(stack, lid, ANY)
    spec = p.mapping("StreamSpecification")
    if spec is None or not spec.get("StreamViewType"):
        parts.unmodelled.append(f"{lid} ({stack.type(lid)} without a stream)")
        return p
    kwargs = {"name": stack.name(lid), "source": "dynamodb", "view_type": spec["StreamViewType"]}
    parts.streams.append(
        _construct(Stream, kwargs, p, {"name": "TableName", "view_type": "StreamSpecification.StreamViewType"})
    )
    return p


def _stream_name(p: Props, arn: str) -> str:
    """The stream's name: ``stream/<name>`` of a Kinesis ARN, ``table/<name>/stream/...`` of a DynamoDB one."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    pieces = resource.split("/")
    if len(pieces) < 2 or pieces[0] not in ("stream", "table"):
        raise p.error("EventSourceArn", f"must be a Kinesis or DynamoDB stream ARN, got {short_repr(arn)}")
    return pieces[1]


MAPPING_FIELDS = {
    "StartingPosition": "starting_position",
    "BatchSize": "batch_size",
    "MaximumBatchingWindowInSeconds": "batching_window_s",
    "ParallelizationFactor": "parallelization_factor",
    "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
    "MaximumRetryAttempts": "maximum_retry_attempts",
    "MaximumRecordAgeInSeconds": "maximum_record_age_s",
    "TumblingWindowInSeconds": "tumbling_window_s",
    "Enabled": "enabled",
}
_BOOLEANS = ("BisectBatchOnFunctionError", "Enabled")


def read_mapping(p: Props, parts: Parts, function: str, arn: str) -> None:
    """A stream's ``AWS::Lambda::EventSourceMapping`` into ``parts``."""
    from lambdasim.planning.template.resources import filters

    kwargs: dict[str, Any] = {"stream": _stream_name(p, arn), "function": function}
    for prop, key in MAPPING_FIELDS.items():
        if not p.has(prop):
            continue
        if prop == "StartingPosition":
            kwargs[key] = p.string(prop)
        elif prop in _BOOLEANS:
            kwargs[key] = p.boolean(prop)
        else:
            kwargs[key] = p.integer(prop)
    destination = ((p.mapping("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if destination is not None:
        kwargs["on_failure"] = destination
    types = p.listing("FunctionResponseTypes") or []
    if types:
        kwargs["report_batch_item_failures"] = "ReportBatchItemFailures" in types
    patterns = filters(p)
    if patterns:
        kwargs["filters"] = patterns
    names = {v: k for k, v in MAPPING_FIELDS.items()} | {
        "on_failure": "DestinationConfig",
        "report_batch_item_failures": "FunctionResponseTypes",
        "filters": "FilterCriteria",
        "stream": "EventSourceArn",
    }
    parts.stream_mappings.append(_construct(StreamEventSourceMapping, kwargs, p, names))


def readers() -> dict[str, Callable[[Stack, str, Parts], Props]]:
    """The stream resources' readers."""
    return {"AWS::Kinesis::Stream": read_kinesis, "AWS::DynamoDB::Table": read_table}
