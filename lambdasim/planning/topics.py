"""SNS topics in front of functions and queues, on the Pythonic door: a :class:`Topic` with its
:class:`Subscription`\\ s (a function, invoked asynchronously with SNS's ``Records`` event, or a queue, sent the
message), and :class:`PublishMessages`, Poisson arrivals of messages published to a topic.

The permission SNS needs to invoke a function (its resource policy) is added for you, as a template's
``AWS::Lambda::Permission`` would. A workload draws from its own stream, ``arrivals:<name>`` of the topic name.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.topics import PublishMessages, Subscription, Topic
>>> model = Model(
...     functions=[Function(name="mailer", behaviour=ls.Behaviour(duration=0.1))],
...     topics=[Topic(name="orders", subscriptions=[Subscription(function="mailer")])],
...     workloads=[PublishMessages(topic="orders", rate=5.0, stop_s=60)],
... )
>>> results = model.run(seed=1)
>>> results.functions["mailer"]["outcomes"]["Success"] == results.functions["mailer"]["async_events_received"] > 0
True
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from attrs import field, frozen

from lambdasim.core._validators import in_range, non_empty_text, real, short_repr
from lambdasim.planning.sources import _bool, _optional_real, _profile, _queue_name, _rate
from lambdasim.planning.workload import _drive, thinned_delays

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["PublishMessages", "Subscription", "Topic"]

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")


def _topic_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a topic name (a string), got {short_repr(value)}")
    base = value[: -len(".fifo")] if value.endswith(".fifo") else value
    if not _TOPIC_NAME.match(base) or len(value) > 256:
        raise ValueError(
            f"{attribute.name} must be 1-256 letters, digits, hyphens or underscores (FIFO: ending in '.fifo'), "
            f"got {short_repr(value)}"
        )


def _filter_policy(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(
            f"{attribute.name} must be a filter policy (a dict such as {{'kind': ['order']}}) or None, "
            f"got {short_repr(value)}"
        )


def topic_arn(sim: Simulation, name: str) -> str:
    """The ARN of topic ``name`` in ``sim``'s account and region."""
    return f"arn:aws:sns:{sim.region}:{sim.account_id}:{name}"


@frozen(kw_only=True)
class Subscription:
    """One subscription of a topic: ``function`` (asynchronous invoke) or ``queue`` (a message), exactly one.

    Attributes:
        function: The function's name, or ``name:qualifier``.
        queue: The queue's name (one of the model's queues).
        raw_message_delivery: Queues only: send the message itself rather than SNS's JSON envelope.
        filter_policy: Deliver only messages that match this filter policy (``None``: every message).
        filter_policy_scope: What the policy matches: ``"MessageAttributes"`` (SNS's default) or ``"MessageBody"``.
    """

    function: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))
    queue: str | None = field(default=None, validator=attrs.validators.optional(_queue_name))
    raw_message_delivery: bool = field(default=False, validator=_bool)
    filter_policy: dict[str, Any] | None = field(default=None, validator=_filter_policy)
    filter_policy_scope: str = field(default="MessageAttributes")

    @filter_policy_scope.validator
    def _check_scope(self, attribute: Any, value: Any) -> None:
        if value not in FILTER_POLICY_SCOPES:
            raise ValueError(f"{attribute.name} must be one of {list(FILTER_POLICY_SCOPES)}, got {short_repr(value)}")

    def __attrs_post_init__(self) -> None:
        if (self.function is None) == (self.queue is None):
            raise ValueError(f"a subscription goes to exactly one of function or queue, got {self!r}")
        if self.raw_message_delivery and self.function is not None:
            raise ValueError(
                f"subscription of function {self.function!r}: raw_message_delivery is for queue subscriptions"
            )

    def attributes(self) -> dict[str, str]:
        """The subscription attributes of ``Subscribe``."""
        out: dict[str, str] = {}
        if self.raw_message_delivery:
            out["RawMessageDelivery"] = "true"
        if self.filter_policy is not None:
            out["FilterPolicy"] = json.dumps(self.filter_policy)
            out["FilterPolicyScope"] = self.filter_policy_scope
        return out


def _subscriptions(value: Any) -> tuple[Subscription, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Subscription):
            raise TypeError(f"subscriptions must hold lambdasim Subscription objects, got {short_repr(item)}")
    return items


@frozen(kw_only=True)
class Topic:
    """An SNS topic (FIFO when the name ends in ``.fifo``) and its subscriptions."""

    name: str = field(validator=_topic_name)
    subscriptions: tuple[Subscription, ...] = field(default=(), converter=_subscriptions)
    content_based_deduplication: bool = field(default=False, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if self.content_based_deduplication and not self.fifo:
            raise ValueError(f"topic {self.name!r}: content_based_deduplication is for FIFO topics ('.fifo' names)")

    @property
    def fifo(self) -> bool:
        """Whether this is a FIFO topic."""
        return self.name.endswith(".fifo")

    def create(self, sim: Simulation) -> None:
        """Create the topic, let it invoke its subscribed functions, and subscribe each endpoint."""
        from lambdasim.planning.sources import queue_arn

        sns, lam = sim.client("sns"), sim.client("lambda")
        attributes = {"FifoTopic": "true"} if self.fifo else {}
        if self.content_based_deduplication:
            attributes["ContentBasedDeduplication"] = "true"
        arn = sns.create_topic(Name=self.name, Attributes=attributes)["TopicArn"]
        for i, s in enumerate(self.subscriptions):
            if s.function is not None:
                lam.add_permission(
                    FunctionName=s.function,
                    StatementId=f"sns-{self.name}-{i}".replace(".", "-"),
                    Action="lambda:InvokeFunction",
                    Principal="sns.amazonaws.com",
                    SourceArn=arn,
                )
                fn = lam.get_function_configuration(FunctionName=s.function)["FunctionArn"]
                qualifier = s.function.partition(":")[2]
                endpoint = f"{fn}:{qualifier}" if qualifier and not fn.endswith(qualifier) else fn
                sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes=s.attributes())
            else:
                assert s.queue is not None
                endpoint = queue_arn(sim, s.queue)
                sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=endpoint, Attributes=s.attributes())


@frozen(kw_only=True)
class PublishMessages:
    """Messages published to ``topic`` at Poisson arrivals of ``rate``, from ``start_s`` until ``stop_s``.

    Attributes:
        topic: The topic's name.
        rate: Messages per second: a number, a rate profile or a callable of time with ``max_rate_per_s``.
        stop_s: No messages at or after this time (s).
        start_s: No messages before this time (s).
        message: The text of every message (a string, or anything JSON-serialisable); ``None`` publishes
            ``{"n": i}``, ``i`` the message's number from 0.
        groups: FIFO topics: messages go round-robin to message groups ``g0`` ... ``g<groups-1>``.
        max_rate_per_s: For a callable ``rate``: an upper bound on it.
        name: Names the random stream (``arrivals:<name>`` of the topic).
    """

    random: ClassVar[bool] = True

    topic: str = field(validator=_topic_name)
    rate: Any = field(converter=_rate)
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    message: Any = field(default=None)
    groups: int = field(default=1, validator=in_range(1, integer=True))
    max_rate_per_s: float | None = field(default=None, converter=_optional_real)
    name: str = field(default="messages", validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        _profile(self.rate, self.max_rate_per_s, f"PublishMessages to {self.topic!r}")
        if self.message is not None and not isinstance(self.message, str):
            json.dumps(self.message)  # raises TypeError naming what is not serialisable

    def expected_count(self) -> float:
        """The mean number of messages: the rate's integral over ``[start_s, stop_s)``."""
        profile = _profile(self.rate, self.max_rate_per_s, "")
        return profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule the messages on ``sim`` (the topic must exist)."""
        backend = sim.services.sns
        topic = backend.by_arn(topic_arn(sim, self.topic))
        if topic is None:
            raise ValueError(f"PublishMessages: no topic {self.topic!r} in the simulation")
        rng = sim.engine.generator(self.topic, f"arrivals:{self.name}")
        profile = _profile(self.rate, self.max_rate_per_s, f"PublishMessages to {self.topic!r}")
        next_delay = thinned_delays(
            sim.env, profile, rng, self.stop_s, f"PublishMessages {self.name!r} to {self.topic!r}"
        )
        fixed = (
            None
            if self.message is None
            else (self.message if isinstance(self.message, str) else json.dumps(self.message))
        )
        groups = self.groups
        fifo = topic.fifo
        count = [0]

        def publish() -> None:
            i = count[0]
            count[0] += 1
            text = fixed if fixed is not None else f'{{"n": {i}}}'
            if fifo:
                backend.publish(topic, text, group_id=f"g{i % groups}", dedup_id=str(i))
            else:
                backend.publish(topic, text)

        _drive(sim.env, self.start_s, next_delay, publish)
