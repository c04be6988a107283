"""Simulated EventBridge: event buses, rules with event patterns or schedules, and targets (SQS queues, Lambda
functions, SNS topics), delivering on the simulated clock.

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
``prefix``/``suffix``/``equals-ignore-case``. Archives and replays are not simulated. A rule in either enabled state
(``ENABLED``, ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``) matches and fires; a ``DISABLED`` one does neither.

What a target receives (:class:`TargetInput`, the same for matched events and scheduled firings): the event, or
exactly one of ``Input`` (constant JSON), ``InputPath`` (the part of the event at a JSON path) and
``InputTransformer`` (:class:`InputTransformer`: values at JSON paths put into a template), checked at
``PutTargets``. A Lambda function is invoked with the result as its JSON payload; an SQS queue's message body and an
SNS message are its JSON text, or the transformer's text itself when that is not JSON.

Scheduled rules (``ScheduleExpression``: ``rate(...)`` or ``cron(...)``, parsed by :mod:`lambdasim.core.schedule`) exist
only on the default bus, as on AWS, and may also have a pattern. At each scheduled time an enabled rule with targets
sends EventBridge's ``Scheduled Event`` to every target, through the same delivery as a matching event. Such a rule
keeps exactly one timer on SimPy's queue, its next firing (strictly after now), so runs without scheduled rules pay
nothing:

- a ``rate`` fires every period after the ``PutRule`` that set it [model: AWS says only that a rate "starts when you
  create the scheduled event rule"]; a ``cron`` fires at its UTC minutes, counted from the simulation's ``start``;
- disabling the rule, removing its last target or deleting it takes the timer off the queue; enabling it again or
  giving it a target resumes at the next scheduled time after now, without catching up missed firings, as on AWS;
  a ``PutRule`` that keeps the expression keeps the timer, one that changes it restarts the schedule from now;
- an enabled schedule never runs out, so ``sim.run()`` without ``until`` raises ``ValueError`` naming the rules
  while any has a firing to come; ``sim.run(until=t)`` makes every firing before ``t``. (The
  :class:`~lambdasim.planning.probe.Probe` instead stops sampling when nothing else is left; it only watches, whereas a
  rule's firings change what the run does, so they must not stop silently when the other work ends.)
"""

from __future__ import annotations

import copy
import datetime as _dt
import fnmatch
import json
import math
import re
from typing import TYPE_CHECKING, Any

from lambdasim.aws._patterns import match_tree
from lambdasim.aws.account import ServiceError
from lambdasim.core._kernel import QueueItem
from lambdasim.core.schedule import Cron, Rate, parse_schedule, scheduled_event

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

DEFAULT_BUS = "default"
EVENT_SIZE_LIMIT_BYTES = 262_144
"""EventBridge's limit on one ``PutEvents`` entry: 256 KB."""
DISABLED = "DISABLED"


class _Missing:
    """Nothing at a key or path (a sentinel, distinct from JSON ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
_PADDED = re.compile(r"\(\s|\s\)")
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
    return match_tree(pattern, event, _leaf, _MISSING)


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


# -- what a target receives -------------------------------------------------------------------------------------

PREDEFINED_VARIABLES = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
"""The variables an ``InputTemplate`` may use without defining them in ``InputPathsMap`` (whose key pattern,
``[A-Za-z0-9_-]+``, cannot name them)."""

_INPUTS = ("Input", "InputPath", "InputTransformer")
_PLACEHOLDER = re.compile(r"<([^<>]*)>")  # "<" and ">" cannot be escaped in a template
# A path EventBridge accepts: rooted at $, dot notation, array indices and wildcards ($.detail.items[0].id,
# $.resources[*]); bracket notation with quotes ($.detail['key']) and recursive descent ($..key) are refused.
_PATH_STEP = r"\.(\*|[^.\[\]\s'\"]+)|\[(\*|\d+)\]"
_JSON_PATH = re.compile(rf"\$(?:{_PATH_STEP})*")
_STEP = re.compile(_PATH_STEP)


def _invalid_path(target_id: str) -> ServiceError:
    return ServiceError("ValidationException", f"InputPath for target {target_id} is invalid.")


class JsonPath:
    """A JSON path as ``InputPath`` and ``InputPathsMap`` take it, parsed once.

    >>> event = {"detail": {"items": [{"id": "a"}, {"id": "b"}], "state": "RUNNING"}}
    >>> JsonPath("$.detail.state").find(event), JsonPath("$.detail.items[1].id").find(event)
    ('RUNNING', 'b')
    >>> JsonPath("$.detail.items[*].id").find(event), JsonPath("$.detail.nope").find(event) is MISSING
    (['a', 'b'], True)

    Raises ``ValueError`` for a path EventBridge refuses.
    """

    __slots__ = ("steps", "text", "wildcard")

    def __init__(self, text: str) -> None:
        if not _JSON_PATH.fullmatch(text):
            raise ValueError(f"not a JSON path EventBridge accepts: {text!r}")
        self.text = text
        # A step is a key (str), an index (int) or a wildcard (None).
        self.steps: tuple[str | int | None, ...] = tuple(
            (None if key == "*" else key) if key else (None if index == "*" else int(index))
            for key, index in _STEP.findall(text)
        )
        self.wildcard = None in self.steps

    def find(self, value: Any) -> Any:
        """The value at this path in ``value``, or :data:`MISSING`; with a wildcard, the list of every match
        (:data:`MISSING` if there is none) [model: AWS lists wildcards as supported without saying what they give]."""
        if not self.wildcard:
            for step in self.steps:
                if isinstance(step, str):
                    if not isinstance(value, dict) or step not in value:
                        return MISSING
                    value = value[step]
                elif isinstance(value, list) and step is not None and step < len(value):
                    value = value[step]
                else:
                    return MISSING
            return value
        found = [value]
        for step in self.steps:
            found = [child for parent in found for child in _children(parent, step)]
        return found if found else MISSING


def _children(value: Any, step: str | int | None) -> list[Any]:
    if step is None:
        return list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, list) else []
    if isinstance(step, str):
        return [value[step]] if isinstance(value, dict) and step in value else []
    return [value[step]] if isinstance(value, list) and step < len(value) else []


MISSING: Any = _MISSING
"""What :meth:`JsonPath.find` returns where the event has nothing at the path."""


class InputTransformer:
    """A target's ``InputTransformer``: ``InputPathsMap`` (variable name to JSON path) and ``InputTemplate``.

    :meth:`render` replaces each ``<name>`` of the template with the value at its path in the event, or with a
    predefined variable (:data:`PREDEFINED_VARIABLES`), following EventBridge's documented rules:

    - a string goes in as it is, without escaping ("EventBridge doesn't escape values extracted by Input Path"), so
      a value holding a quote inside a JSON string makes the result invalid JSON; a number, ``true``, ``false``,
      ``null``, object or array goes in as its minified JSON text;
    - in a JSON template (one that starts with ``{`` or ``[``), a string placeholder outside a JSON string
      (``"state": <state>``) gets quotes around it, one inside (``"state": "<state>"``, ``"is in <state>"``) does
      not; any other template (a JSON string such as ``"<instance> is in <state>"``, or plain text) takes every value
      as it is;
    - a path that matches nothing gives the empty string (an unquoted one in a JSON template gives ``""``);
    - ``<aws.events.event.json>`` is the whole event, ``<aws.events.event>`` the event without ``detail`` (its keys
      as EventBridge sends them: ``detail-type`` becomes ``detailType``), ``<aws.events.rule-arn>`` and
      ``<aws.events.rule-name>`` the rule's, ``<aws.events.event.ingestion-time>`` when EventBridge received the
      event (ISO 8601 to the second, UTC).

    >>> transformer = InputTransformer("t", {"InputPathsMap": {"instance": "$.detail.instance-id",
    ...                                       "state": "$.detail.state"},
    ...                                      "InputTemplate": '{"instance": <instance>, "state": [9, "<state>"]}'})
    >>> event = {"detail": {"instance-id": "i-0123456789", "state": "RUNNING"}}
    >>> transformer.render(event, "arn:aws:events:us-east-1:123456789012:rule/r", "r", 0.0)
    '{"instance": "i-0123456789", "state": [9, "RUNNING"]}'

    Raises ``ServiceError`` (``ValidationException``, EventBridge's message) for a path EventBridge refuses or a
    placeholder that is neither in ``InputPathsMap`` nor predefined.
    """

    __slots__ = ("is_json", "parts", "paths")

    def __init__(self, target_id: str, spec: dict[str, Any]) -> None:
        self.paths: dict[str, JsonPath] = {}
        for name, text in (spec.get("InputPathsMap") or {}).items():
            try:
                self.paths[name] = JsonPath(text)
            except ValueError:
                raise _invalid_path(target_id) from None
        template: str = spec["InputTemplate"]
        self.is_json = template.lstrip()[:1] in ("{", "[")
        # Literal text, and (name, inside a JSON string) for each placeholder.
        self.parts: list[str | tuple[str, bool]] = _split(template)
        for part in self.parts:
            if isinstance(part, tuple) and part[0] not in self.paths and part[0] not in PREDEFINED_VARIABLES:
                raise ServiceError(
                    "ValidationException",
                    f"InputTemplate for target {target_id} contains invalid placeholder {part[0]}.",
                )

    def render(self, event: dict[str, Any], rule_arn: str, rule_name: str, received: float) -> str:
        """The template filled in from ``event``, matched by (or fired for) rule ``rule_arn`` named ``rule_name``
        and received at Unix time ``received`` (s)."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            name, in_string = part
            path = self.paths.get(name)
            if path is not None:
                value = path.find(event)
                value = "" if value is MISSING else value
            else:
                value = _predefined(name, event, rule_arn, rule_name, received)
            if isinstance(value, str):
                quote = "" if in_string or not self.is_json else '"'
                out.append(f"{quote}{value}{quote}")
            else:
                out.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        return "".join(out)


def _split(template: str) -> list[str | tuple[str, bool]]:
    """``template`` as literal text and ``(name, inside a JSON string)`` placeholders."""
    parts: list[str | tuple[str, bool]] = []
    in_string = False
    start = i = 0
    while i < len(template):
        char = template[i]
        if char == "<" and (found := _PLACEHOLDER.match(template, i)):
            parts += [template[start:i], (found.group(1), in_string)]
            start = i = found.end()
            continue
        if char == '"':
            in_string = not in_string
        elif char == "\\" and in_string:
            i += 1  # an escaped character (\") never ends the string
        i += 1
    parts.append(template[start:])
    return [p for p in parts if p != ""]


def _predefined(name: str, event: dict[str, Any], rule_arn: str, rule_name: str, received: float) -> Any:
    if name == "aws.events.event.json":
        return event
    if name == "aws.events.event":
        # As EventBridge sends it (recorded against AWS by LocalStack's validated snapshot tests): no detail,
        # detail-type as detailType, in this order.
        keys = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")
        return {"detailType" if k == "detail-type" else k: event[k] for k in keys if k in event}
    if name == "aws.events.rule-arn":
        return rule_arn
    if name == "aws.events.rule-name":
        return rule_name
    return _dt.datetime.fromtimestamp(int(received), tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TargetInput:
    """What one target receives of each event: exactly one of ``Input``, ``InputPath`` and ``InputTransformer``
    (``target`` holds at least one), checked and parsed once, at ``PutTargets``.

    Raises ``ServiceError`` (``ValidationException``) where EventBridge refuses the target: more than one of the
    three, an ``InputPath`` or ``InputPathsMap`` path it does not accept, an unknown placeholder.
    """

    __slots__ = ("constant", "path", "transformer")

    def __init__(self, target: dict[str, Any]) -> None:
        target_id = target["Id"]
        if sum(key in target for key in _INPUTS) > 1:
            raise ServiceError(
                "ValidationException",
                f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}.",
            )
        self.constant: Any = json.loads(target["Input"]) if "Input" in target else MISSING
        self.path: JsonPath | None = None
        if "InputPath" in target:
            try:
                self.path = JsonPath(target["InputPath"])
            except ValueError:
                raise _invalid_path(target_id) from None
        self.transformer: InputTransformer | None = None
        if "InputTransformer" in target:
            self.transformer = InputTransformer(target_id, target["InputTransformer"])

    def shape(self, event: dict[str, Any], rule: Rule, received: float) -> tuple[Any, str | None]:
        """``(payload, text)`` for ``event`` matched by (or fired for) ``rule``, received at Unix time ``received``:
        the JSON value the target receives, or ``(None, text)`` when a transformer's text is not JSON."""
        if self.constant is not MISSING:
            return self.constant, None
        if self.path is not None:
            found = self.path.find(event)
            return (None if found is MISSING else found), None
        assert self.transformer is not None
        text = self.transformer.render(event, rule.arn, rule.name, received)
        try:
            return json.loads(text), None
        except ValueError:
            return None, text


class _Firing(QueueItem):
    """A scheduled rule's next firing, queued on SimPy's heap as the event itself (as
    ``lambdasim.planning.workload`` queues arrivals): a :class:`~lambdasim.core._kernel.QueueItem`, so a firing costs
    no ``Timeout``."""

    __slots__ = ("callbacks", "rule")

    def __init__(self, rule: Rule, fire: Any) -> None:
        self.rule = rule
        self.callbacks: tuple[Any, ...] | None = (fire,)


class Rule:
    """A rule on a bus: an event pattern and/or a schedule, and targets.

    Attributes:
        schedule_text: The ``ScheduleExpression`` as given, or ``None``.
        schedule: It parsed (:mod:`lambdasim.core.schedule`), or ``None``.
        schedule_from_s: When the schedule was set (simulated s): a ``rate`` fires every period after it.
        timer: The queue entry of the next firing while one is queued, else ``None``.
        matched: Events matched plus scheduled firings; ``invocations`` / ``failed_invocations``: deliveries to
            targets that succeeded / failed.
    """

    def __init__(self, bus: EventBus, name: str, arn: str) -> None:
        self.bus = bus
        self.name = name
        self.arn = arn
        self.pattern: dict[str, Any] | None = None
        self.pattern_text: str | None = None
        self.schedule_text: str | None = None
        self.schedule: Rate | Cron | None = None
        self.schedule_from_s = 0.0
        self.timer: tuple[Any, ...] | None = None  # (time, priority, event id, _Firing), as SimPy queues events
        self.state = "ENABLED"
        self.description: str | None = None
        self.targets: dict[str, dict[str, Any]] = {}
        self.inputs: dict[str, TargetInput] = {}  # by target Id, for the targets with an input of their own
        self.matched = 0
        self.invocations = 0
        self.failed_invocations = 0

    @property
    def enabled(self) -> bool:
        """Whether it matches events and fires (``ENABLED`` or ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``)."""
        return self.state != DISABLED

    def describe(self) -> dict[str, Any]:
        """As ``ListRules`` shows it."""
        out: dict[str, Any] = {"Name": self.name, "Arn": self.arn}
        if self.pattern_text is not None:
            out["EventPattern"] = self.pattern_text
        if self.schedule_text is not None:
            out["ScheduleExpression"] = self.schedule_text
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
        self.armed: dict[str, Rule] = {}
        """The scheduled rules with a firing queued, by ARN."""

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
        self,
        bus: EventBus,
        name: str,
        pattern_text: str | None,
        state: str | None,
        description: str | None,
        schedule_text: str | None = None,
    ) -> Rule:
        """Create or update rule ``name`` on ``bus`` with a pattern, a schedule expression or both (``state`` or
        ``description`` ``None``: keep the current one).

        Raises ``ValidationException`` for a schedule on another bus than ``default`` or an expression that is not
        valid, ``InvalidEventPatternException`` for a pattern that is not.
        """
        pattern = None
        if pattern_text is not None:
            try:
                pattern = json.loads(pattern_text)
            except ValueError as exc:
                raise _invalid(f"Filter is not valid JSON: {exc}") from None
            check_pattern(pattern)
        schedule = None
        if schedule_text is not None:
            if bus.name != DEFAULT_BUS:
                raise ServiceError(
                    "ValidationException", "ScheduleExpression is supported only on the default event bus."
                )
            schedule = _parse_expression(schedule_text)
        rule = bus.rules.get(name)
        if rule is None:
            rule = Rule(bus, name, bus.rule_arn(self._services, name))
            bus.rules[name] = rule
        rule.pattern = pattern
        rule.pattern_text = pattern_text
        if schedule_text != rule.schedule_text:  # a new schedule starts now; the same one keeps its timer
            self._disarm(rule)
            rule.schedule_text = schedule_text
            rule.schedule = schedule
            rule.schedule_from_s = self._services.now
        if state is not None:
            rule.state = state
        if description is not None:
            rule.description = description
        self._sync(rule)
        return rule

    def set_state(self, rule: Rule, state: str) -> None:
        """Enable or disable ``rule`` (``EnableRule`` keeps ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``)."""
        if state == DISABLED or not rule.enabled:
            rule.state = state
        self._sync(rule)

    def put_targets(self, rule: Rule, targets: list[dict[str, Any]]) -> None:
        """Add or replace targets of ``rule`` by ``Id`` (their members checked by the client, what each receives
        here: ``ServiceError`` from :class:`TargetInput`, before any target changes)."""
        inputs = {t["Id"]: TargetInput(t) for t in targets if any(key in t for key in _INPUTS)}
        for target in targets:
            target_id = target["Id"]
            rule.targets[target_id] = copy.deepcopy(target)  # the caller's dicts stay theirs
            rule.inputs.pop(target_id, None)
            if target_id in inputs:
                rule.inputs[target_id] = inputs[target_id]
        self._sync(rule)

    def remove_targets(self, rule: Rule, ids: list[str]) -> None:
        """Remove the targets ``ids`` of ``rule`` (unknown ids are ignored)."""
        for target_id in ids:
            rule.targets.pop(target_id, None)
            rule.inputs.pop(target_id, None)
        self._sync(rule)

    def delete_rule(self, rule: Rule) -> None:
        """Delete ``rule`` (the client checks that it has no targets), with its queued firing if any."""
        self._disarm(rule)
        rule.bus.rules.pop(rule.name, None)

    def check_run_ends(self) -> None:
        """Raise ``ValueError`` if a scheduled rule would keep ``sim.run()`` (without ``until``) from ever ending."""
        if not self.armed:
            return
        rules = ", ".join(f"{r.name!r} ({r.schedule_text})" for _, r in sorted(self.armed.items()))
        raise ValueError(
            f"sim.run() without until would never end: EventBridge scheduled rules fire for as long as they are "
            f"enabled and have targets, and these do: {rules}; pass until (simulated seconds), or disable the rules "
            "or remove their targets first"
        )

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
        received = services.epoch()
        moment = _dt.datetime.fromtimestamp(int(received if time is None else time), tz=_dt.UTC)
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
            if rule.enabled and rule.pattern is not None and matches(rule.pattern, event):
                self._dispatch(rule, event, received)
        return event_id

    def _dispatch(self, rule: Rule, event: dict[str, Any], received: float) -> None:
        """Send ``event`` (matched by ``rule``, or its scheduled firing), received at Unix time ``received`` (s), to
        each of the rule's targets."""
        rule.matched += 1
        for target in list(rule.targets.values()):
            try:
                self._deliver(rule, target, event, received)
            except ServiceError:
                rule.failed_invocations += 1
            else:
                rule.invocations += 1

    # -- schedules ------------------------------------------------------------------------------------------------

    def _sync(self, rule: Rule) -> None:
        """Queue the next firing of ``rule`` if it should fire (it exists, is enabled, scheduled and has targets)
        and none is queued; take a queued one off if it should not."""
        live = (
            rule.schedule is not None and rule.enabled and bool(rule.targets) and rule.bus.rules.get(rule.name) is rule
        )
        if not live:
            self._disarm(rule)
        elif rule.timer is None:
            self._arm(rule)

    def _arm(self, rule: Rule) -> None:
        at = self._next_time(rule)
        if at is None:  # a cron whose last year is over
            return
        # Pushed onto SimPy's queue at the exact time (a delay added to now could round a cron minute off).
        rule.timer = self._services.sim.env.push(at, _Firing(rule, self._fire))
        self.armed[rule.arn] = rule

    def _disarm(self, rule: Rule) -> None:
        """Take the queued firing of ``rule`` off SimPy's queue (control-plane calls only: O(queue length))."""
        if rule.timer is None:
            return
        self._services.sim.env.remove(rule.timer)
        rule.timer = None
        self.armed.pop(rule.arn, None)

    def _next_time(self, rule: Rule) -> float | None:
        """The first scheduled time of ``rule`` strictly after now (simulated s), or ``None`` if there is none."""
        now = self._services.now
        schedule = rule.schedule
        if isinstance(schedule, Rate):
            period = schedule.period_s
            # Every period from when the schedule was set: the times missed while disabled are skipped, not caught up.
            k = math.floor((now - rule.schedule_from_s) / period) + 1
            at = rule.schedule_from_s + k * period
            return at if at > now else at + period
        assert schedule is not None
        start = self._services.sim.start
        moment = schedule.next_after(start + _dt.timedelta(seconds=now))
        while moment is not None and (moment - start).total_seconds() <= now:  # microsecond rounding of now
            moment = schedule.next_after(moment)
        return None if moment is None else (moment - start).total_seconds()

    def _fire(self, firing: _Firing) -> None:
        rule = firing.rule
        rule.timer = None
        self.armed.pop(rule.arn, None)
        services = self._services
        moment = services.sim.start + _dt.timedelta(seconds=services.now)
        event = scheduled_event(services.new_id(), services.account_id, services.region, rule.arn, moment)
        self._dispatch(rule, event, services.epoch())
        self._sync(rule)

    def _deliver(self, rule: Rule, target: dict[str, Any], event: dict[str, Any], received: float) -> None:
        services = self._services
        payload: Any = event
        text: str | None = None  # what a transformer made when it is not JSON
        shaper = rule.inputs.get(target["Id"])
        if shaper is not None:
            payload, text = shaper.shape(event, rule, received)
        arn = target["Arn"]
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "lambda":
            if text is not None:
                # Lambda's Invoke takes only a JSON payload and refuses this one, as it would EventBridge's call
                # [model: AWS documents the Invoke error, not EventBridge's handling beyond a failed invocation].
                try:
                    json.loads(text)
                except ValueError as exc:
                    raise ServiceError(
                        "InvalidRequestContentException",
                        f"Could not parse request body into json: Could not parse payload into json: {exc}",
                    ) from None
            services.invoke_async(arn, payload)
        elif service == "sqs":
            queue = services.sqs.by_arn(arn)
            if queue is None:
                raise ServiceError("ResourceNotFoundException", f"Queue {arn} does not exist")
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            if queue.fifo and group is None:
                raise ServiceError("InvalidParameter", "A FIFO queue target needs SqsParameters.MessageGroupId")
            body = json.dumps(payload) if text is None else text
            queue.send(body, group_id=group, dedup_id=event["id"] if queue.fifo else None)
        elif service == "sns":
            topic = services.sns.by_arn(arn)
            if topic is None:
                raise ServiceError("ResourceNotFoundException", f"Topic {arn} does not exist")
            services.sns.publish(topic, json.dumps(payload) if text is None else text)
        else:
            raise ServiceError("ValidationException", f"lambdasim does not simulate targets of type {service!r}")


def _parse_expression(text: str) -> Rate | Cron:
    """Parse a ``ScheduleExpression`` as EventBridge accepts it (``ValidationException`` if it does not)."""
    invalid = ServiceError("ValidationException", "Parameter ScheduleExpression is not valid.")
    # EventBridge refuses spaces around the expression or just inside its parentheses ("rate( 10 minutes )"),
    # which parse_schedule tolerates.
    if text != text.strip() or _PADDED.search(text):
        raise invalid
    try:
        return parse_schedule(text)
    except ValueError:
        raise invalid from None
