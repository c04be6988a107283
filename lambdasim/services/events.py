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
``prefix``/``suffix``/``equals-ignore-case``. Archives, replays and input transformers are not simulated; targets
accept ``Input`` (constant JSON) and a ``$.a.b`` ``InputPath``. A rule in either enabled state (``ENABLED``,
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS``) matches and fires; a ``DISABLED`` one does neither.

Scheduled rules (``ScheduleExpression``: ``rate(...)`` or ``cron(...)``, parsed by :mod:`lambdasim.schedule`) exist
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
  :class:`~lambdasim.probe.Probe` instead stops sampling when nothing else is left; it only watches, whereas a
  rule's firings change what the run does, so they must not stop silently when the other work ends.)
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import math
import re
from heapq import heapify, heappush
from typing import TYPE_CHECKING, Any

from simpy.events import NORMAL

from lambdasim.schedule import Cron, Rate, parse_schedule, scheduled_event
from lambdasim.services import ServiceError

if TYPE_CHECKING:
    from lambdasim.services import Services

DEFAULT_BUS = "default"
EVENT_SIZE_LIMIT_BYTES = 262_144
"""EventBridge's limit on one ``PutEvents`` entry: 256 KB."""
DISABLED = "DISABLED"

_MISSING = object()
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


class _Firing:
    """A scheduled rule's next firing, queued on SimPy's heap as the event itself (as ``lambdasim.workload`` queues
    arrivals): ``Environment.step`` reads only ``callbacks`` and ``_ok``, so a firing costs no ``Timeout``."""

    __slots__ = ("callbacks", "rule")
    _ok = True  # never a failed event

    def __init__(self, rule: Rule, fire: Any) -> None:
        self.rule = rule
        self.callbacks: tuple[Any, ...] | None = (fire,)


class Rule:
    """A rule on a bus: an event pattern and/or a schedule, and targets.

    Attributes:
        schedule_text: The ``ScheduleExpression`` as given, or ``None``.
        schedule: It parsed (:mod:`lambdasim.schedule`), or ``None``.
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
        """Add or replace targets of ``rule`` by ``Id`` (checked by the client)."""
        for target in targets:
            rule.targets[target["Id"]] = dict(target)
        self._sync(rule)

    def remove_targets(self, rule: Rule, ids: list[str]) -> None:
        """Remove the targets ``ids`` of ``rule`` (unknown ids are ignored)."""
        for target_id in ids:
            rule.targets.pop(target_id, None)
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
            if rule.enabled and rule.pattern is not None and matches(rule.pattern, event):
                self._dispatch(rule, event)
        return event_id

    def _dispatch(self, rule: Rule, event: dict[str, Any]) -> None:
        """Send ``event`` (matched by ``rule``, or its scheduled firing) to each of the rule's targets."""
        rule.matched += 1
        for target in list(rule.targets.values()):
            try:
                self._deliver(target, event)
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
        env = self._services.sim.env
        queue: list[Any] = env._queue
        # Pushed onto SimPy's queue at the exact time (a delay added to now could round a cron minute off).
        rule.timer = (at, NORMAL, next(env._eid), _Firing(rule, self._fire))
        heappush(queue, rule.timer)
        self.armed[rule.arn] = rule

    def _disarm(self, rule: Rule) -> None:
        """Take the queued firing of ``rule`` off SimPy's queue (control-plane calls only: O(queue length))."""
        if rule.timer is None:
            return
        queue: list[Any] = self._services.sim.env._queue
        for i, entry in enumerate(queue):
            if entry is rule.timer:
                del queue[i]
                heapify(queue)
                break
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
        self._dispatch(rule, scheduled_event(services.new_id(), services.account_id, services.region, rule.arn, moment))
        self._sync(rule)

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


def _path(event: dict[str, Any], path: str) -> Any:
    if path == "$":
        return event
    value: Any = event
    for part in path.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
