"""EventBridge rules on the Pythonic door: a :class:`Rule` (a schedule, an event pattern or both) with its
:class:`RuleTarget`\\ s (a function, invoked asynchronously, a queue or a topic), and :class:`PutEvents`, Poisson
arrivals of events put on a bus for the rules' patterns to match.

The permission EventBridge needs to invoke a function is added for you, as a template's ``AWS::Lambda::Permission``
would. :mod:`lambdasim.aws.events.backend` has the behaviour (when a schedule fires, what a target receives). An
enabled scheduled rule never runs out, so a model with one needs a ``horizon_s``.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.rules import Rule, RuleTarget
>>> model = Model(
...     functions=[Function(name="report", behaviour=ls.Behaviour(duration=1.0))],
...     rules=[Rule(name="hourly", schedule="rate(1 hour)", targets=[RuleTarget(function="report")])],
...     horizon_s=86400 + 60,  # the 24th firing, at 86400 s, finishes a second later
... )
>>> model.run(seed=1).functions["report"]["outcomes"]["Success"]
24
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from attrs import field, frozen

from lambdasim.core._validators import in_range, non_empty_text, real, short_repr
from lambdasim.core.schedule import parse_schedule
from lambdasim.planning.sources import _bool, _optional_real, _profile, _queue_name, _rate
from lambdasim.planning.topics import _topic_name
from lambdasim.planning.workload import _drive, thinned_delays

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["PutEvents", "Rule", "RuleTarget"]

_RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
DEFAULT_BUS = "default"


def _rule_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _RULE_NAME.match(value):
        raise ValueError(
            f"{attribute.name} must be 1-64 letters, digits, dots, hyphens or underscores, got {short_repr(value)}"
        )


def _schedule(_instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be 'rate(...)' or 'cron(...)', got {short_repr(value)}")
    try:
        parse_schedule(value)
    except ValueError as exc:
        raise ValueError(f"{attribute.name}: {exc}") from None


def _optional_dict(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{attribute.name} must be a dict or None, got {short_repr(value)}")


@frozen(kw_only=True)
class RuleTarget:
    """One target of a rule: exactly one of ``function``, ``queue`` and ``topic``, and what it receives.

    Attributes:
        function: The function's name, or ``name:qualifier`` (invoked asynchronously).
        queue: The queue's name (one of the model's queues).
        topic: The topic's name (one of the model's topics).
        input: Constant JSON sent instead of the event (``None``: the event).
        input_path: The part of the event at this JSON path (``$.detail``), instead of the event.
        input_transformer: ``{"InputPathsMap": {...}, "InputTemplate": "..."}``, as EventBridge takes it.
        message_group_id: FIFO queues: the message group of every message.
    """

    function: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))
    queue: str | None = field(default=None, validator=attrs.validators.optional(_queue_name))
    topic: str | None = field(default=None, validator=attrs.validators.optional(_topic_name))
    input: Any = field(default=None)
    input_path: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))
    input_transformer: dict[str, Any] | None = field(default=None, validator=_optional_dict)
    message_group_id: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))

    def __attrs_post_init__(self) -> None:
        if sum(x is not None for x in (self.function, self.queue, self.topic)) != 1:
            raise ValueError(f"a rule target is exactly one of function, queue or topic, got {self!r}")
        if sum(x is not None for x in (self.input, self.input_path, self.input_transformer)) > 1:
            raise ValueError(f"a rule target takes at most one of input, input_path, input_transformer, got {self!r}")
        if self.input is not None:
            json.dumps(self.input)  # raises TypeError naming what is not serialisable


def _targets(value: Any) -> tuple[RuleTarget, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, RuleTarget):
            raise TypeError(f"targets must hold lambdasim RuleTarget objects, got {short_repr(item)}")
    return items


@frozen(kw_only=True)
class Rule:
    """An EventBridge rule: a ``schedule`` (``rate(...)``/``cron(...)``, default bus only), a ``pattern``, or both.

    Attributes:
        name: The rule's name.
        schedule: A schedule expression, or ``None``.
        pattern: An event pattern (a dict), or ``None``.
        targets: Where it sends what it matches or each scheduled event.
        enabled: Whether it matches and fires.
        bus: The event bus (``"default"``; another bus is created with the rule).
    """

    name: str = field(validator=_rule_name)
    schedule: str | None = field(default=None, validator=_schedule)
    pattern: dict[str, Any] | None = field(default=None, validator=_optional_dict)
    targets: tuple[RuleTarget, ...] = field(default=(), converter=_targets)
    enabled: bool = field(default=True, validator=_bool)
    bus: str = field(default=DEFAULT_BUS, validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        if self.schedule is None and self.pattern is None:
            raise ValueError(f"rule {self.name!r} needs a schedule, a pattern or both")
        if self.schedule is not None and self.bus != DEFAULT_BUS:
            raise ValueError(f"rule {self.name!r}: a scheduled rule must be on the default bus, got bus {self.bus!r}")

    def create(self, sim: Simulation) -> None:
        """Create the bus (if not the default), the rule, the permissions and the targets through the clients."""
        from lambdasim.planning.sources import queue_arn
        from lambdasim.planning.topics import topic_arn

        events, lam = sim.client("events"), sim.client("lambda")
        if self.bus != DEFAULT_BUS and not any(b["Name"] == self.bus for b in events.list_event_buses()["EventBuses"]):
            events.create_event_bus(Name=self.bus)
        params: dict[str, Any] = {
            "Name": self.name,
            "EventBusName": self.bus,
            "State": "ENABLED" if self.enabled else "DISABLED",
        }
        if self.schedule is not None:
            params["ScheduleExpression"] = self.schedule
        if self.pattern is not None:
            params["EventPattern"] = json.dumps(self.pattern)
        rule_arn = events.put_rule(**params)["RuleArn"]
        targets: list[dict[str, Any]] = []
        for i, t in enumerate(self.targets):
            if t.function is not None:
                lam.add_permission(
                    FunctionName=t.function,
                    StatementId=f"events-{self.name}-{i}".replace(".", "-"),
                    Action="lambda:InvokeFunction",
                    Principal="events.amazonaws.com",
                    SourceArn=rule_arn,
                )
                fn = lam.get_function_configuration(FunctionName=t.function)["FunctionArn"]
                qualifier = t.function.partition(":")[2]
                arn = f"{fn}:{qualifier}" if qualifier and not fn.endswith(qualifier) else fn
            elif t.queue is not None:
                arn = queue_arn(sim, t.queue)
            else:
                assert t.topic is not None
                arn = topic_arn(sim, t.topic)
            target: dict[str, Any] = {"Id": f"target{i}", "Arn": arn}
            if t.input is not None:
                target["Input"] = json.dumps(t.input)
            if t.input_path is not None:
                target["InputPath"] = t.input_path
            if t.input_transformer is not None:
                target["InputTransformer"] = t.input_transformer
            if t.message_group_id is not None:
                target["SqsParameters"] = {"MessageGroupId": t.message_group_id}
            targets.append(target)
        if targets:
            events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=targets)


@frozen(kw_only=True)
class PutEvents:
    """Events put on ``bus`` at Poisson arrivals of ``rate``, from ``start_s`` until ``stop_s``, each with
    ``source``, ``detail_type`` and ``detail`` (``None``: ``{"n": i}``, ``i`` the event's number from 0).

    ``name`` names the random stream (``arrivals:<name>`` of the bus)."""

    random: ClassVar[bool] = True

    source: str = field(validator=non_empty_text)
    detail_type: str = field(validator=non_empty_text)
    rate: Any = field(converter=_rate)
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    detail: Any = field(default=None)
    bus: str = field(default=DEFAULT_BUS, validator=non_empty_text)
    max_rate_per_s: float | None = field(default=None, converter=_optional_real)
    name: str = field(default="events", validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        _profile(self.rate, self.max_rate_per_s, f"PutEvents to {self.bus!r}")
        if self.detail is not None:
            json.dumps(self.detail)  # raises TypeError naming what is not serialisable

    def expected_count(self) -> float:
        """The mean number of events: the rate's integral over ``[start_s, stop_s)``."""
        profile = _profile(self.rate, self.max_rate_per_s, "")
        return profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule the events on ``sim`` (the bus must exist)."""
        backend = sim.services.events
        try:
            bus = backend.bus(self.bus)
        except Exception:
            raise ValueError(f"PutEvents: no event bus {self.bus!r} in the simulation") from None
        rng = sim.engine.generator(f"bus/{self.bus}", f"arrivals:{self.name}")
        profile = _profile(self.rate, self.max_rate_per_s, f"PutEvents to {self.bus!r}")
        next_delay = thinned_delays(sim.env, profile, rng, self.stop_s, f"PutEvents {self.name!r} to {self.bus!r}")
        count = [0]

        def put() -> None:
            i = count[0]
            count[0] += 1
            detail = self.detail if self.detail is not None else {"n": i}
            backend.put_event(bus, self.source, self.detail_type, detail, [])

        _drive(sim.env, self.start_s, next_delay, put)
