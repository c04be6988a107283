"""``sim.client("logs")``: CloudWatch Logs on the simulated clock, in boto3's shapes: the functions' log groups
(:mod:`lambdasim.aws.logs.backend` says what they hold and when) and ``create_log_group``, ``delete_log_group``,
``describe_log_groups``, ``describe_log_streams``, ``get_log_events``, ``filter_log_events`` and
``put_retention_policy``.

Creating this client starts the logging of the functions' attempts (nothing is logged before: logs cost memory and
time per attempt). Times (``startTime``, ``endTime``, ``timestamp``) are epoch milliseconds of the simulated clock.

``filterPattern`` takes CloudWatch's term patterns: space-separated terms that must all appear (``ERROR timeout``),
double-quoted phrases (``"Task timed out"``), ``-term`` for a term that must not appear and ``?term`` for terms of
which one must; matching is case-sensitive, as on AWS [doc]
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html). JSON (``{ $.x = 1 }``) and
space-delimited (``[a, b]``) patterns and regular expressions (``%...%``) are not simulated: refused with an
``InvalidParameterException`` that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, decode_token, encode_token
from lambdasim.aws.account import ServiceError
from lambdasim.aws.logs._shapes import OPERATIONS, SHAPES
from lambdasim.aws.logs.backend import LogEvent, LogGroup, LogStream

RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The retention periods CloudWatch Logs accepts (``PutRetentionPolicy``) [doc]."""

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def _pattern(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """``(required, optional, excluded)`` terms of a term pattern; ``None`` for a pattern of another kind."""
    text = text.strip()
    if text.startswith(("{", "[", "%")):
        return None
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for quoted, bare in _TOKEN.findall(text):
        if bare.startswith("?") and len(bare) > 1:
            optional.append(bare[1:])
        elif bare.startswith("-") and len(bare) > 1:
            excluded.append(bare[1:])
        else:
            required.append(bare or quoted)
    return required, optional, excluded


def _matches(message: str, pattern: tuple[list[str], list[str], list[str]]) -> bool:
    required, optional, excluded = pattern
    return (
        all(t in message for t in required)
        and (not optional or any(t in message for t in optional))
        and not any(t in message for t in excluded)
    )


class LogsClient(ServiceClient):
    """The simulated CloudWatch Logs service. Every method takes and returns what boto3's logs client does."""

    service_name = "logs"
    invalid_parameter = ("InvalidParameterException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "InvalidParameterException"
    error_codes = ("InvalidParameterException", "ResourceAlreadyExistsException", "ResourceNotFoundException")

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "DescribeLogGroups": {
            "input_token": "nextToken",
            "output_token": "nextToken",
            "limit_key": "limit",
            "result_key": "logGroups",
        },
        "DescribeLogStreams": {
            "input_token": "nextToken",
            "output_token": "nextToken",
            "limit_key": "limit",
            "result_key": "logStreams",
        },
        "FilterLogEvents": {
            "input_token": "nextToken",
            "output_token": "nextToken",
            "limit_key": "limit",
            "result_key": "events",
        },
    }

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self._logs = self._services.logs
        self._logs.enable()

    # -- helpers ----------------------------------------------------------------------------------------------

    def _arn(self, name: str) -> str:
        return f"arn:aws:logs:{self._sim.region}:{self._sim.account_id}:log-group:{name}"

    def _group(self, op: str, params: dict[str, Any]) -> LogGroup:
        name = params.get("logGroupName") or params.get("logGroupIdentifier")
        if name is None:
            raise self._invalid(
                "InvalidParameterException", "Should provide either logGroupName or logGroupIdentifier.", op
            )
        if name.startswith("arn:"):  # logGroupIdentifier takes the ARN (without ":*") too
            name = name.split(":log-group:", 1)[-1].removesuffix(":*")
        with self._client_errors(op):
            return self._logs.group(name)

    def _page(self, op: str, items: list[Any], params: dict[str, Any], default: int) -> tuple[list[Any], str | None]:
        start = 0
        if params.get("nextToken") is not None:
            position = decode_token(params["nextToken"])
            if position is None:
                raise self._invalid("InvalidParameterException", "The specified nextToken is invalid.", op)
            start = position
        limit = params.get("limit", default)
        end = start + limit
        return items[start:end], encode_token(end) if end < len(items) else None

    def _group_description(self, group: LogGroup) -> dict[str, Any]:
        out: dict[str, Any] = {"logGroupName": group.name, "creationTime": group.created}
        if group.retention_days is not None:
            out["retentionInDays"] = group.retention_days
        out.update(metricFilterCount=0, arn=self._arn(group.name) + ":*", storedBytes=group.stored_bytes())
        if group.kms_key_id is not None:
            out["kmsKeyId"] = group.kms_key_id
        out.update(logGroupClass=group.log_group_class, logGroupArn=self._arn(group.name))
        return out

    def _stream_description(self, group: LogGroup, stream: LogStream) -> dict[str, Any]:
        out: dict[str, Any] = {"logStreamName": stream.name, "creationTime": stream.created}
        if stream.first_event is not None:
            out["firstEventTimestamp"] = stream.first_event
            out["lastEventTimestamp"] = stream.last_event
            out["lastIngestionTime"] = stream.last_ingestion
        out["arn"] = f"{self._arn(group.name)}:log-stream:{stream.name}"
        out["storedBytes"] = 0  # deprecated: AWS reports 0 [doc]
        return out

    @staticmethod
    def _in_time(events: Iterable[LogEvent], params: dict[str, Any]) -> list[LogEvent]:
        """Events from ``startTime`` (inclusive) to ``endTime`` (exclusive), as AWS selects them [doc]."""
        start, end = params.get("startTime"), params.get("endTime")
        return [e for e in events if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]

    # -- log groups -------------------------------------------------------------------------------------------

    def create_log_group(self, **params: Any) -> dict[str, Any]:
        """Create a log group (a function's own is created by its first logged attempt)."""
        op = self._call("create_log_group", params)
        if params.get("deletionProtectionEnabled"):
            raise self._invalid(
                "InvalidParameterException", "deletionProtectionEnabled is not simulated by lambdasim.", op
            )
        with self._client_errors(op):
            group = self._logs.create_group(params["logGroupName"])
        group.tags = dict(params.get("tags", {}))
        group.log_group_class = params.get("logGroupClass", "STANDARD")
        group.kms_key_id = params.get("kmsKeyId")
        return {"ResponseMetadata": self._metadata()}

    def delete_log_group(self, **params: Any) -> dict[str, Any]:
        """Delete a log group and its streams (a function logs into a new one from its next attempt)."""
        op = self._call("delete_log_group", params)
        with self._client_errors(op):
            self._logs.delete_group(params["logGroupName"])
        return {"ResponseMetadata": self._metadata()}

    def describe_log_groups(self, **params: Any) -> dict[str, Any]:
        """Log groups in name order, ``limit`` (1 to 50, default 50) at a time, by ``logGroupNamePrefix`` or
        ``logGroupNamePattern`` (a substring, case-insensitive [doc])."""
        op = self._call("describe_log_groups", params)
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise self._invalid(
                "InvalidParameterException",
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
                op,
            )
        names = sorted(self._logs.groups)
        if prefix is not None:
            names = [n for n in names if n.startswith(prefix)]
        if pattern is not None:
            names = [n for n in names if pattern.lower() in n.lower()]
        if params.get("logGroupIdentifiers") is not None:
            wanted = {i.split(":log-group:", 1)[-1].removesuffix(":*") for i in params["logGroupIdentifiers"]}
            names = [n for n in names if n in wanted]
        if params.get("logGroupClass") is not None:
            names = [n for n in names if self._logs.groups[n].log_group_class == params["logGroupClass"]]
        if params.get("accountIdentifiers") is not None and self._sim.account_id not in params["accountIdentifiers"]:
            names = []  # the simulation is one account, linked to no other
        page, token = self._page(op, names, params, 50)
        out: dict[str, Any] = {"logGroups": [self._group_description(self._logs.group(n)) for n in page]}
        if token is not None:
            out["nextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def put_retention_policy(self, **params: Any) -> dict[str, Any]:
        """Keep the group's events for ``retentionInDays`` of simulated time (one of :data:`RETENTION_DAYS`)."""
        op = self._call("put_retention_policy", params)
        days = params["retentionInDays"]
        if days not in RETENTION_DAYS:
            # [model] the wording of AWS's generic validation message, with the accepted values.
            raise self._invalid(
                "InvalidParameterException",
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]",
                op,
            )
        group = self._group(op, params)
        group.retention_days = days
        return {"ResponseMetadata": self._metadata()}

    # -- log streams and events -------------------------------------------------------------------------------

    def describe_log_streams(self, **params: Any) -> dict[str, Any]:
        """The group's streams by name (or ``orderBy="LastEventTime"``), ``limit`` (1 to 50) at a time."""
        op = self._call("describe_log_streams", params)
        group = self._group(op, params)
        order = params.get("orderBy", "LogStreamName")
        prefix = params.get("logStreamNamePrefix")
        if prefix is not None and order == "LastEventTime":
            raise self._invalid(
                "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.", op
            )
        streams = [s for s in group.streams.values() if prefix is None or s.name.startswith(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: (s.last_event or 0, s.name))
        else:
            streams.sort(key=lambda s: s.name)
        if params.get("descending"):
            streams.reverse()
        page, token = self._page(op, streams, params, 50)
        out: dict[str, Any] = {"logStreams": [self._stream_description(group, s) for s in page]}
        if token is not None:
            out["nextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def get_log_events(self, **params: Any) -> dict[str, Any]:
        """One stream's events in time order: the last ``limit`` (default 10,000) unless ``startFromHead``; page
        forward and back with ``nextForwardToken``/``nextBackwardToken`` (the same token back at either end)."""
        op = self._call("get_log_events", params)
        group = self._group(op, params)
        with self._client_errors(op):
            stream = self._logs.stream(group, params["logStreamName"])
        events = self._in_time(self._logs.events(group, {stream.name}), params)
        limit = params.get("limit", 10_000)
        token = params.get("nextToken")
        if token is None:
            start = 0 if params.get("startFromHead") else max(0, len(events) - limit)
            end = min(len(events), start + limit)
        else:
            match = re.fullmatch(r"([fb])/(\d{56})/s", token)
            if match is None:
                raise self._invalid("InvalidParameterException", "The specified nextToken is invalid.", op)
            position = min(int(match.group(2)), len(events))
            if match.group(1) == "f":
                start, end = position, min(len(events), position + limit)
            else:
                start, end = max(0, position - limit), position
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
                for e in events[start:end]
            ],
            "nextForwardToken": f"f/{end:056d}/s",
            "nextBackwardToken": f"b/{start:056d}/s",
            "ResponseMetadata": self._metadata(),
        }

    def filter_log_events(self, **params: Any) -> dict[str, Any]:
        """The group's events in time order, of ``logStreamNames`` or ``logStreamNamePrefix``, from ``startTime``
        to ``endTime``, matching ``filterPattern`` (see the module docstring), ``limit`` (default 10,000) at a
        time."""
        op = self._call("filter_log_events", params)
        group = self._group(op, params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise self._invalid(
                "InvalidParameterException",
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
                op,
            )
        wanted: set[str] | None = None
        if names is not None:
            wanted = set(names)
        elif prefix is not None:
            wanted = {s for s in group.streams if s.startswith(prefix)}
        events = self._in_time(self._logs.events(group, wanted), params)
        text = params.get("filterPattern", "")
        if text.strip():
            pattern = _pattern(text)
            if pattern is None:
                raise self._fail(
                    ServiceError(
                        "InvalidParameterException",
                        f"filterPattern {text!r}: JSON, space-delimited and regular expression patterns are not "
                        "simulated by lambdasim (term patterns are)",
                    ),
                    op,
                )
            events = [e for e in events if _matches(e.message, pattern)]
        page, token = self._page(op, events, params, 10_000)
        out: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": e.stream.name,
                    "timestamp": e.timestamp,
                    "message": e.message,
                    "ingestionTime": e.ingestion_time,
                    "eventId": f"{e.timestamp:020d}{e.event_id:036d}",
                }
                for e in page
            ],
            "searchedLogStreams": [],
        }
        if token is not None:
            out["nextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out
