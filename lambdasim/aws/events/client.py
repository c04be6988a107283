"""``sim.client("events")``: the EventBridge API on the simulated clock, in boto3's shapes.

Operations: ``create_event_bus``, ``describe_event_bus``, ``list_event_buses``, ``delete_event_bus``, ``put_rule``
(event patterns, and ``rate(...)``/``cron(...)`` schedules on the default bus; see :mod:`lambdasim.aws.events.backend`
for the matchers supported and when scheduled rules fire), ``describe_rule``, ``list_rules``, ``enable_rule``,
``disable_rule``, ``delete_rule``, ``put_targets`` (SQS, Lambda and SNS targets), ``list_targets_by_rule``,
``remove_targets``, ``put_events``.

A scheduled rule fires on the simulated clock for as long as it is enabled and has targets, so ``sim.run()`` then
needs ``until``: without it, it raises ``ValueError`` naming the rules.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, as_epoch, decode_token, encode_token, utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.events._model import OPERATIONS, SHAPES
from lambdasim.aws.events.backend import EVENT_SIZE_LIMIT_BYTES, EventBus, Rule

MAX_TARGETS = 5
"""Targets per rule (``LimitExceededException`` beyond). Model constraints (lengths, patterns, enums) are checked
from botocore's model before any operation runs (:class:`~lambdasim.aws._service_client.ServiceClient`)."""


class EventsClient(ServiceClient):
    """The simulated EventBridge service. Every method takes and returns what boto3's events client does."""

    service_name = "events"
    invalid_parameter = ("ValidationException", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationException"
    not_null = False
    error_codes = (
        "ResourceNotFoundException",
        "ResourceAlreadyExistsException",
        "InvalidEventPatternException",
        "ValidationException",
        "LimitExceededException",
    )

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListRules": {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "limit_key": "Limit",
            "result_key": "Rules",
        },
        "ListTargetsByRule": {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "limit_key": "Limit",
            "result_key": "Targets",
        },
    }

    def _bus(self, name: str | None, op: str) -> EventBus:
        with self._client_errors(op):
            return self._services.events.bus(name)

    def _rule(self, params: dict[str, Any], op: str, key: str = "Rule") -> Rule:
        """The rule ``params[key]`` on the bus ``params["EventBusName"]`` (the default bus if not given)."""
        bus = self._bus(params.get("EventBusName"), op)
        with self._client_errors(op):
            return self._services.events.rule(bus, params[key])

    def _validation(self, op: str, value: Any, field: str, constraint: str) -> Exception:
        return self._fail(
            ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
            ),
            op,
        )

    def _paged(self, items: list[Any], params: dict[str, Any], key: str, op: str) -> dict[str, Any]:
        limit = params.get("Limit", 100)  # 1 to 100: the model's LimitMax100
        start = 0
        if "NextToken" in params:
            position = decode_token(params["NextToken"])
            if position is None:
                raise self._validation(op, params["NextToken"], "nextToken", "Member must be a valid token")
            start = position
        out: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            out["NextToken"] = encode_token(start + limit)
        out["ResponseMetadata"] = self._metadata()
        return out

    # -- buses ------------------------------------------------------------------------------------------------

    def create_event_bus(self, **params: Any) -> dict[str, Any]:
        """Create a custom event bus."""
        op = self._call("create_event_bus", params)
        with self._client_errors(op):
            bus = self._services.events.create_bus(params["Name"])
        if "Description" in params:
            bus.description = params["Description"]
        out: dict[str, Any] = {"EventBusArn": bus.arn}
        if bus.description is not None:
            out["Description"] = bus.description
        out["ResponseMetadata"] = self._metadata()
        return out

    def describe_event_bus(self, **params: Any) -> dict[str, Any]:
        """A bus's name, ARN and times (``default`` when no name is given)."""
        op = self._call("describe_event_bus", params)
        bus = self._bus(params.get("Name"), op)
        out: dict[str, Any] = {"Name": bus.name, "Arn": bus.arn}
        if bus.description is not None:
            out["Description"] = bus.description
        created = utc(self._services.epoch(bus.created_at))
        out.update({"CreationTime": created, "LastModifiedTime": created, "ResponseMetadata": self._metadata()})
        return out

    def list_event_buses(self, **params: Any) -> dict[str, Any]:
        """Buses in name order, optionally by prefix."""
        op = self._call("list_event_buses", params)
        prefix = params.get("NamePrefix", "")
        items = [
            {"Name": b.name, "Arn": b.arn}
            for name, b in sorted(self._services.events.buses.items())
            if name.startswith(prefix)
        ]
        return self._paged(items, params, "EventBuses", op)

    def delete_event_bus(self, **params: Any) -> dict[str, Any]:
        """Delete a custom bus (deleting a missing one succeeds, as on AWS)."""
        op = self._call("delete_event_bus", params)
        with self._client_errors(op):
            self._services.events.delete_bus(params["Name"])
        return {"ResponseMetadata": self._metadata()}

    # -- rules ------------------------------------------------------------------------------------------------

    def put_rule(self, **params: Any) -> dict[str, Any]:
        """Create or update a rule with an ``EventPattern`` (JSON text), a ``ScheduleExpression`` (``rate(...)`` or
        ``cron(...)``, default bus only) or both."""
        op = self._call("put_rule", params)
        if not params.get("EventPattern") and not params.get("ScheduleExpression"):  # empty counts as missing
            raise self._fail(
                ServiceError(
                    "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified."
                ),
                op,
            )
        state = params.get("State")
        expression = params.get("ScheduleExpression") or None
        bus = self._bus(params.get("EventBusName"), op)
        with self._client_errors(op):
            rule = self._services.events.put_rule(
                bus, params["Name"], params.get("EventPattern") or None, state, params.get("Description"), expression
            )
        return {"RuleArn": rule.arn, "ResponseMetadata": self._metadata()}

    def describe_rule(self, **params: Any) -> dict[str, Any]:
        """A rule's pattern, schedule, state and bus (not its targets: ``list_targets_by_rule``)."""
        op = self._call("describe_rule", params)
        rule = self._rule(params, op, "Name")
        out = rule.describe()
        out["CreatedBy"] = self._services.account_id
        out["ResponseMetadata"] = self._metadata()
        return out

    def enable_rule(self, **params: Any) -> dict[str, Any]:
        """Enable a rule: it matches events again, and a schedule resumes at its next time after now."""
        op = self._call("enable_rule", params)
        self._services.events.set_state(self._rule(params, op, "Name"), "ENABLED")
        return {"ResponseMetadata": self._metadata()}

    def disable_rule(self, **params: Any) -> dict[str, Any]:
        """Disable a rule: it matches no event and its schedule stops firing."""
        op = self._call("disable_rule", params)
        self._services.events.set_state(self._rule(params, op, "Name"), "DISABLED")
        return {"ResponseMetadata": self._metadata()}

    def list_rules(self, **params: Any) -> dict[str, Any]:
        """A bus's rules in name order."""
        op = self._call("list_rules", params)
        bus = self._bus(params.get("EventBusName"), op)
        prefix = params.get("NamePrefix", "")
        items = [r.describe() for name, r in sorted(bus.rules.items()) if name.startswith(prefix)]
        return self._paged(items, params, "Rules", op)

    def delete_rule(self, **params: Any) -> dict[str, Any]:
        """Delete a rule that has no targets."""
        op = self._call("delete_rule", params)
        bus = self._bus(params.get("EventBusName"), op)
        rule = bus.rules.get(params["Name"])
        if rule is None:
            return {"ResponseMetadata": self._metadata()}
        if rule.targets:
            raise self._fail(ServiceError("ValidationException", "Rule can't be deleted since it has targets."), op)
        self._services.events.delete_rule(rule)
        return {"ResponseMetadata": self._metadata()}

    def put_targets(self, **params: Any) -> dict[str, Any]:
        """Add or replace targets (``Id``, ``Arn``, optional ``SqsParameters``, and at most one of ``Input``,
        ``InputPath`` and ``InputTransformer``: see :class:`~lambdasim.aws.events.backend.TargetInput`)."""
        op = self._call("put_targets", params)
        rule = self._rule(params, op)
        targets = list(params["Targets"])
        for target in targets:
            if "Input" in target:
                try:
                    json.loads(target["Input"])
                except ValueError:
                    raise self._validation(op, target["Input"], "input", "Member must be valid JSON") from None
        new_ids = {t["Id"] for t in targets} - set(rule.targets)
        if len(rule.targets) + len(new_ids) > MAX_TARGETS:
            raise self._fail(
                ServiceError("LimitExceededException", "The requested resource exceeds the maximum number allowed."),
                op,
            )
        with self._client_errors(op):
            self._services.events.put_targets(rule, targets)
        return {"FailedEntryCount": 0, "FailedEntries": [], "ResponseMetadata": self._metadata()}

    def list_targets_by_rule(self, **params: Any) -> dict[str, Any]:
        """A rule's targets."""
        op = self._call("list_targets_by_rule", params)
        rule = self._rule(params, op)
        return self._paged([dict(t) for t in rule.targets.values()], params, "Targets", op)

    def remove_targets(self, **params: Any) -> dict[str, Any]:
        """Remove targets by id."""
        op = self._call("remove_targets", params)
        rule = self._rule(params, op)
        self._services.events.remove_targets(rule, list(params["Ids"]))
        return {"FailedEntryCount": 0, "FailedEntries": [], "ResponseMetadata": self._metadata()}

    # -- events -----------------------------------------------------------------------------------------------

    def put_events(self, **params: Any) -> dict[str, Any]:
        """Put up to 10 events; each entry succeeds or fails on its own, and matching rules deliver now."""
        self._call("put_events", params)
        entries = list(params["Entries"])
        results: list[dict[str, Any]] = []
        failed = 0
        for entry in entries:
            try:
                results.append({"EventId": self._put_one(entry)})
            except ServiceError as exc:
                failed += 1
                results.append({"ErrorCode": exc.code, "ErrorMessage": exc.message})
        return {"FailedEntryCount": failed, "Entries": results, "ResponseMetadata": self._metadata()}

    def _put_one(self, entry: dict[str, Any]) -> str:
        for key in ("Source", "DetailType", "Detail"):
            if not entry.get(key):
                raise ServiceError(
                    "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
                )
        try:
            detail = json.loads(entry["Detail"])
        except (TypeError, ValueError):
            detail = None
        if not isinstance(detail, dict):
            raise ServiceError("MalformedDetail", "Detail is malformed.")
        size = sum(len(str(entry.get(k, "")).encode()) for k in ("Source", "DetailType", "Detail"))
        size += sum(len(r.encode()) for r in entry.get("Resources", []))
        if size > EVENT_SIZE_LIMIT_BYTES:
            raise ServiceError("InvalidArgument", "Entry size exceeds the limit of 256 KB.")
        bus = self._services.events.bus(entry.get("EventBusName"))
        when = as_epoch(entry["Time"]) if "Time" in entry else None
        return self._services.events.put_event(
            bus, entry["Source"], entry["DetailType"], detail, list(entry.get("Resources", [])), when
        )
