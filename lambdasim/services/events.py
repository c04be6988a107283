"""Simulated EventBridge: event buses, rules with event patterns, and targets (SQS queues, Lambda functions, SNS
topics), delivering on the simulated clock.

Event patterns supported (the EventBridge rules, checked when a rule is put):

- nested objects, and at each leaf a list of matchers, any of which may match; an array in the event matches when
  any of its elements does;
- exact values: strings, numbers, ``true``, ``false``, ``null``;
- ``{"prefix": "..."}``, ``{"suffix": "..."}``, ``{"equals-ignore-case": "..."}``, ``{"wildcard": "a*b"}``;
- ``{"anything-but": value | [values] | {"prefix": ...} | {"suffix": ...}}``;
- ``{"exists": true | false}``;
- ``{"numeric": [">", 0, "<=", 5]}`` (operators ``=``, ``<``, ``<=``, ``>``, ``>=``);
- ``"$or": [pattern, ...]``.

Not supported (rejected as invalid patterns): ``cidr``, and matchers nested inside ``anything-but`` beyond
``prefix``/``suffix``/``equals-ignore-case``. Scheduled rules (``ScheduleExpression``), archives, replays and input
transformers are not simulated; targets accept ``Input`` (constant JSON) and a ``$.a.b`` ``InputPath``.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
from typing import TYPE_CHECKING, Any

from lambdasim.services import ServiceError

if TYPE_CHECKING:
    from lambdasim.services import Services

DEFAULT_BUS = "default"
EVENT_SIZE_LIMIT_BYTES = 262_144
"""EventBridge's limit on one ``PutEvents`` entry: 256 KB."""

_MISSING = object()
_NUMERIC_OPS = ("=", "<", "<=", ">", ">=")
_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "exists", "numeric")


def _invalid(reason: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", f"Event pattern is not valid. Reason: {reason}")


def check_pattern(pattern: Any) -> None:
    """Raise ``InvalidEventPatternException`` unless ``pattern`` is a pattern lambdasim can match."""
    if not isinstance(pattern, dict) or not pattern:
        raise _invalid("Filter is not an object")
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _invalid("Value of $or must be an array of more than one pattern")
            for part in value:
                check_pattern(part)
        elif isinstance(value, dict):
            check_pattern(value)
        elif isinstance(value, list):
            if not value:
                raise _invalid(f'Empty arrays are not allowed at "{key}"')
            for matcher in value:
                _check_matcher(key, matcher)
        else:
            raise _invalid(f'"{key}" must be an object or an array')


def _check_matcher(key: str, matcher: Any) -> None:
    if matcher is None or isinstance(matcher, (str, int, float, bool)):
        return
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise _invalid(f'Match value must be String, number, true, false, or null at "{key}"')
    ((op, arg),) = matcher.items()
    if op not in _OPERATORS:
        raise _invalid(f"Unrecognized match type {op}")
    if op in ("prefix", "suffix") and not (isinstance(arg, str) or _ignore_case(arg)):
        raise _invalid(f"{op} match pattern must be a string")
    if op in ("equals-ignore-case", "wildcard") and not isinstance(arg, str):
        raise _invalid(f"{op} match pattern must be a string")
    if op == "exists" and not isinstance(arg, bool):
        raise _invalid("exists match pattern must be either true or false.")
    if op == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4):
            raise _invalid("Value of numeric must be an array.")
        for i in range(0, len(arg), 2):
            if arg[i] not in _NUMERIC_OPS or isinstance(arg[i + 1], bool) or not isinstance(arg[i + 1], (int, float)):
                raise _invalid(f"Unrecognized numeric range operator: {arg[i]}")
    if op == "anything-but":
        if isinstance(arg, dict):
            if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case"):
                raise _invalid("Unsupported anything-but pattern")
        elif isinstance(arg, list):
            for item in arg:
                if isinstance(item, (dict, list)):
                    raise _invalid("Inside anything but list, start|null|boolean is not supported.")


def _ignore_case(arg: Any) -> bool:
    return isinstance(arg, dict) and list(arg) == ["equals-ignore-case"] and isinstance(arg["equals-ignore-case"], str)


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a JSON object) matches ``pattern`` (checked by :func:`check_pattern`)."""
    if not isinstance(event, dict):
        return False
    for key, spec in pattern.items():
        if key == "$or":
            if not any(matches(part, event) for part in spec):
                return False
            continue
        value = event.get(key, _MISSING)
        if isinstance(spec, dict):
            if not matches(spec, value if isinstance(value, dict) else {}):
                return False
        elif not _leaf(spec, value):
            return False
    return True


def _leaf(matchers: list[Any], value: Any) -> bool:
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if (value is not _MISSING) == matcher["exists"]:
                return True
            continue
        if value is _MISSING:
            continue
        values = value if isinstance(value, list) else [value]
        if any(_one(matcher, v) for v in values):
            return True
    return False


def _same(a: Any, b: Any) -> bool:
    # JSON equality: 1 and 1.0 match, True and 1 do not.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _same(matcher, value)
    ((op, arg),) = matcher.items()
    if op == "prefix":
        if isinstance(arg, dict):
            return isinstance(value, str) and value.lower().startswith(arg["equals-ignore-case"].lower())
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        if isinstance(arg, dict):
            return isinstance(value, str) and value.lower().endswith(arg["equals-ignore-case"].lower())
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == arg.lower()
    if op == "wildcard":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, arg.replace("[", "[[]").replace("?", "[?]"))
    if op == "anything-but":
        if isinstance(arg, dict):
            return isinstance(value, str) and not _one(arg, value)
        banned = arg if isinstance(arg, list) else [arg]
        return not any(_same(b, value) for b in banned)
    if op == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return all(_compare(value, arg[i], arg[i + 1]) for i in range(0, len(arg), 2))
    return False


def _compare(value: float, op: str, bound: float) -> bool:
    if op == "=":
        return value == bound
    if op == "<":
        return value < bound
    if op == "<=":
        return value <= bound
    if op == ">":
        return value > bound
    return value >= bound


class Rule:
    """A rule on a bus: an event pattern and targets."""

    def __init__(self, bus: EventBus, name: str, arn: str) -> None:
        self.bus = bus
        self.name = name
        self.arn = arn
        self.pattern: dict[str, Any] | None = None
        self.pattern_text: str | None = None
        self.state = "ENABLED"
        self.description: str | None = None
        self.targets: dict[str, dict[str, Any]] = {}
        self.matched = 0
        self.invocations = 0
        self.failed_invocations = 0

    def describe(self) -> dict[str, Any]:
        """As ``ListRules`` shows it."""
        out: dict[str, Any] = {"Name": self.name, "Arn": self.arn}
        if self.pattern_text is not None:
            out["EventPattern"] = self.pattern_text
        out["State"] = self.state
        if self.description is not None:
            out["Description"] = self.description
        out["EventBusName"] = self.bus.name
        return out


class EventBus:
    """One event bus and its rules."""

    def __init__(self, services: Services, name: str) -> None:
        self.name = name
        self.arn = f"arn:aws:events:{services.region}:{services.account_id}:event-bus/{name}"
        self.rules: dict[str, Rule] = {}
        self.created_at = services.now
        self.description: str | None = None
        self.events = 0

    def rule_arn(self, services: Services, rule: str) -> str:
        """The ARN of rule ``rule`` on this bus (``rule/NAME`` on ``default``, ``rule/BUS/NAME`` elsewhere)."""
        path = rule if self.name == DEFAULT_BUS else f"{self.name}/{rule}"
        return f"arn:aws:events:{services.region}:{services.account_id}:rule/{path}"


class EventBridgeService:
    """The account's event buses (``default`` always exists)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.buses: dict[str, EventBus] = {DEFAULT_BUS: EventBus(services, DEFAULT_BUS)}

    def bus(self, name_or_arn: str | None) -> EventBus:
        """The bus named by a name or ARN (``None``: ``default``); ``ResourceNotFoundException`` if none."""
        name = DEFAULT_BUS if name_or_arn is None else name_or_arn
        if name.startswith("arn:"):
            found = self.by_arn(name)
            if found is None:
                raise ServiceError("ResourceNotFoundException", f"Event bus {name.rsplit('/', 1)[-1]} does not exist.")
            return found
        bus = self.buses.get(name)
        if bus is None:
            raise ServiceError("ResourceNotFoundException", f"Event bus {name} does not exist.")
        return bus

    def by_arn(self, arn: str) -> EventBus | None:
        """The bus an ARN names in this account and region, or ``None``."""
        prefix = f"arn:aws:events:{self._services.region}:{self._services.account_id}:event-bus/"
        if not arn.startswith(prefix):
            return None
        return self.buses.get(arn[len(prefix) :])

    def create_bus(self, name: str) -> EventBus:
        """Create a custom bus (``ServiceError`` if it exists or the name is invalid)."""
        if name in self.buses:
            raise ServiceError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        if not name or len(name) > 256 or "/" in name or not all(c.isalnum() or c in ".-_" for c in name):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must "
                "satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
            )
        bus = EventBus(self._services, name)
        self.buses[name] = bus
        return bus

    def delete_bus(self, name: str) -> None:
        """Delete a custom bus (a missing one is fine; ``default`` cannot be deleted)."""
        if name == DEFAULT_BUS:
            raise ServiceError("ValidationException", "Cannot delete event bus default.")
        self.buses.pop(name, None)

    def put_rule(
        self, bus: EventBus, name: str, pattern_text: str | None, state: str | None, description: str | None
    ) -> Rule:
        """Create or update rule ``name`` on ``bus`` (``state`` or ``description`` ``None``: keep the current one)."""
        pattern = None
        if pattern_text is not None:
            try:
                pattern = json.loads(pattern_text)
            except ValueError as exc:
                raise _invalid(f"Filter is not valid JSON: {exc}") from None
            check_pattern(pattern)
        rule = bus.rules.get(name)
        if rule is None:
            rule = Rule(bus, name, bus.rule_arn(self._services, name))
            bus.rules[name] = rule
        rule.pattern = pattern
        rule.pattern_text = pattern_text
        if state is not None:
            rule.state = state
        if description is not None:
            rule.description = description
        return rule

    def rule(self, bus: EventBus, name: str) -> Rule:
        """Rule ``name`` on ``bus`` (``ResourceNotFoundException`` if there is none)."""
        rule = bus.rules.get(name)
        if rule is None:
            raise ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus.name}.")
        return rule

    def put_event(
        self, bus: EventBus, source: str, detail_type: str, detail: Any, resources: list[str], time: float | None = None
    ) -> str:
        """Put one event on ``bus`` now and deliver it to the targets of every matching enabled rule."""
        services = self._services
        event_id = services.new_id()
        moment = _dt.datetime.fromtimestamp(int(services.epoch() if time is None else time), tz=_dt.UTC)
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": source,
            "account": services.account_id,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": services.region,
            "resources": list(resources),
            "detail": detail,
        }
        bus.events += 1
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED" or rule.pattern is None or not matches(rule.pattern, event):
                continue
            rule.matched += 1
            for target in list(rule.targets.values()):
                try:
                    self._deliver(target, event)
                except ServiceError:
                    rule.failed_invocations += 1
                else:
                    rule.invocations += 1
        return event_id

    def _deliver(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        services = self._services
        payload: Any = event
        if "Input" in target:
            payload = json.loads(target["Input"])
        elif "InputPath" in target:
            payload = _path(event, target["InputPath"])
        arn = target["Arn"]
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "lambda":
            services.invoke_async(arn, payload)
        elif service == "sqs":
            queue = services.sqs.by_arn(arn)
            if queue is None:
                raise ServiceError("ResourceNotFoundException", f"Queue {arn} does not exist")
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            if queue.fifo and group is None:
                raise ServiceError("InvalidParameter", "A FIFO queue target needs SqsParameters.MessageGroupId")
            queue.send(json.dumps(payload), group_id=group, dedup_id=event["id"] if queue.fifo else None)
        elif service == "sns":
            topic = services.sns.by_arn(arn)
            if topic is None:
                raise ServiceError("ResourceNotFoundException", f"Topic {arn} does not exist")
            services.sns.publish(topic, json.dumps(payload))
        else:
            raise ServiceError("ValidationException", f"lambdasim does not simulate targets of type {service!r}")


def _path(event: dict[str, Any], path: str) -> Any:
    if path == "$":
        return event
    value: Any = event
    for part in path.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
