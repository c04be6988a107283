"""Queues and buckets in front of functions, on the Pythonic door: configuration objects a
:class:`~lambdasim.planning.model.Model` builds through the boto3-shaped clients, and the workloads that feed them.

- :class:`Queue`: an SQS queue (standard, or FIFO when the name ends in ``.fifo``), with its visibility timeout,
  delay, retention and an optional dead-letter queue after ``max_receive_count`` receives.
- :class:`EventSourceMapping`: Lambda's pollers reading a queue into a function in batches
  (:mod:`lambdasim.aws.lambda_.esm` has the behaviour).
- :class:`Bucket` with :class:`Notification`\\ s: S3 event notifications to a function (asynchronous invoke) or a
  queue; the permissions S3 needs (the function's resource policy, the queue's policy) are added for you.
- :class:`SendMessages` and :class:`PutObjects`: Poisson arrivals, at a constant rate or a rate profile
  (:class:`~lambdasim.planning.workload.Piecewise`, :class:`~lambdasim.planning.workload.Spike`, ...), of messages
  sent to a queue or objects put into a bucket. Each draws from its own stream, ``arrivals:<name>`` of the queue or
  bucket name.

>>> import lambdasim as ls
>>> from lambdasim.planning.model import Function, Model
>>> from lambdasim.planning.sources import EventSourceMapping, Queue, SendMessages
>>> model = Model(
...     functions=[Function(name="worker", behaviour=ls.Behaviour(duration=0.5), timeout_s=10)],
...     queues=[Queue(name="jobs", visibility_timeout_s=60, max_receive_count=3)],
...     event_source_mappings=[EventSourceMapping(queue="jobs", function="worker", batch_size=5)],
...     workloads=[SendMessages(queue="jobs", rate=20.0, stop_s=60)],
... )
>>> results = model.run(seed=1)
>>> jobs = results.queues["jobs"]
>>> jobs["sent"] == jobs["deleted"] and jobs["moved_to_dead_letter"] == 0
True
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from attrs import field, frozen

from lambdasim.core._validators import in_range, non_empty_text, real
from lambdasim.planning.workload import Piecewise, RateFunction, RateProfile, _drive, thinned_delays

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["Bucket", "EventSourceMapping", "Notification", "PutObjects", "Queue", "SendMessages"]

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_EVENTS = ("s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete")


def _queue_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a queue name (a string), got {value!r}")
    base = value[: -len(".fifo")] if value.endswith(".fifo") else value
    if not _QUEUE_NAME.match(base) or len(value) > 80:
        raise ValueError(
            f"{attribute.name} must be 1-80 letters, digits, hyphens or underscores (FIFO: ending in '.fifo'), "
            f"got {value!r}"
        )


def _bucket_name(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _BUCKET_NAME.match(value) or ".." in value:
        raise ValueError(
            f"{attribute.name} must be a bucket name: 3-63 lowercase letters, digits, dots or hyphens, got {value!r}"
        )


def _bool(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be True or False, got {value!r}")


def queue_arn(sim: Simulation, name: str) -> str:
    """The ARN of queue ``name`` in ``sim``'s account and region."""
    return f"arn:aws:sqs:{sim.region}:{sim.account_id}:{name}"


@frozen(kw_only=True)
class Queue:
    """An SQS queue. Times in seconds.

    Attributes:
        name: The queue name; a name ending in ``.fifo`` makes a FIFO queue.
        visibility_timeout_s: How long a received message stays invisible, 0 to 43,200 (SQS default 30). A mapping
            needs it at least the function's timeout; AWS advises six times that.
        delay_s: How long a new message stays invisible, 0 to 900.
        retention_s: How long a message is kept, 60 to 1,209,600 (SQS default 4 days).
        max_receive_count: Move a message to the dead-letter queue on the receive after this many, 1 to 1,000;
            ``None``: no dead-letter queue.
        dead_letter_queue: The dead-letter queue's name (default ``<name>-dlq``, ``<base>-dlq.fifo`` for FIFO). A
            queue of the model named here is the dead-letter queue, with its own settings; otherwise it is created
            with this queue's retention.
        content_based_deduplication: FIFO only: deduplicate by the body's SHA-256 (else the workload gives ids).
    """

    name: str = field(validator=_queue_name)
    visibility_timeout_s: int = field(default=30, validator=in_range(0, 43200, integer=True))
    delay_s: int = field(default=0, validator=in_range(0, 900, integer=True))
    retention_s: int = field(default=345600, validator=in_range(60, 1209600, integer=True))
    max_receive_count: int | None = field(default=None, validator=in_range(1, 1000, integer=True, optional=True))
    dead_letter_queue: str | None = field(default=None, validator=attrs.validators.optional(_queue_name))
    content_based_deduplication: bool = field(default=False, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if self.content_based_deduplication and not self.fifo:
            raise ValueError(f"queue {self.name!r}: content_based_deduplication is for FIFO queues ('.fifo' names)")
        if self.dead_letter_queue is not None and self.dead_letter_queue.endswith(".fifo") != self.fifo:
            raise ValueError(
                f"queue {self.name!r}: dead_letter_queue {self.dead_letter_queue!r} must be the same type (standard "
                "or FIFO) as the queue"
            )

    @property
    def fifo(self) -> bool:
        """Whether this is a FIFO queue."""
        return self.name.endswith(".fifo")

    @property
    def dlq_name(self) -> str | None:
        """The dead-letter queue's name, or ``None`` without ``max_receive_count``."""
        if self.max_receive_count is None:
            return None
        if self.dead_letter_queue is not None:
            return self.dead_letter_queue
        return f"{self.name[: -len('.fifo')]}-dlq.fifo" if self.fifo else f"{self.name}-dlq"

    def _attributes(self) -> dict[str, str]:
        attrs_: dict[str, str] = {
            "VisibilityTimeout": str(self.visibility_timeout_s),
            "DelaySeconds": str(self.delay_s),
            "MessageRetentionPeriod": str(self.retention_s),
        }
        if self.fifo:
            attrs_["FifoQueue"] = "true"
            attrs_["ContentBasedDeduplication"] = "true" if self.content_based_deduplication else "false"
        return attrs_

    def create(self, sim: Simulation) -> None:
        """Create the dead-letter queue (if any, and not created already as a queue of the model) and this queue
        through the SQS client."""
        sqs = sim.client("sqs")
        attributes = self._attributes()
        dlq = self.dlq_name
        if dlq is not None and sim.services.sqs.by_name(dlq) is None:
            dlq_attrs = {"MessageRetentionPeriod": str(self.retention_s)}
            if self.fifo:
                dlq_attrs["FifoQueue"] = "true"
            sqs.create_queue(QueueName=dlq, Attributes=dlq_attrs)
        if dlq is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(sim, dlq), "maxReceiveCount": self.max_receive_count}
            )
        sqs.create_queue(QueueName=self.name, Attributes=attributes)


def _filters(value: Any) -> tuple[dict[str, Any], ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, dict):
            raise TypeError(
                f"filters must be event patterns (dicts such as {{'body': {{'kind': ['order']}}}}), got {item!r}"
            )
    return items


@frozen(kw_only=True)
class EventSourceMapping:
    """Lambda's pollers reading ``queue`` into ``function`` in batches (``CreateEventSourceMapping``).

    Attributes:
        queue: The queue's name (one of the model's queues).
        function: The function's name, or ``name:qualifier``.
        batch_size: Messages per batch at most, 1 to 10,000 (FIFO: 10).
        batching_window_s: How long a batch gathers messages, 0 to 300 s; a batch size over 10 needs at least 1 s.
            Standard queues only.
        maximum_concurrency: Concurrent batches at most, 2 to 1,000 (``None``: up to 1,000).
        report_batch_item_failures: The function may answer ``{"batchItemFailures": [...]}`` to return only those
            messages.
        filters: Event patterns; messages that match none are deleted without invoking.
        enabled: Whether the pollers run.
    """

    queue: str = field(validator=_queue_name)
    function: str = field(validator=non_empty_text)
    batch_size: int = field(default=10, validator=in_range(1, 10000, integer=True))
    batching_window_s: int = field(default=0, validator=in_range(0, 300, integer=True))
    maximum_concurrency: int | None = field(default=None, validator=in_range(2, 1000, integer=True, optional=True))
    report_batch_item_failures: bool = field(default=False, validator=_bool)
    filters: tuple[dict[str, Any], ...] = field(default=(), converter=_filters)
    enabled: bool = field(default=True, validator=_bool)

    def __attrs_post_init__(self) -> None:
        if self.batch_size > 10 and self.batching_window_s < 1:
            raise ValueError(
                f"mapping of {self.queue!r}: batch_size {self.batch_size} is over 10, which needs batching_window_s "
                ">= 1 (AWS's rule)"
            )
        if self.queue.endswith(".fifo"):
            if self.batch_size > 10:
                raise ValueError(
                    f"mapping of FIFO queue {self.queue!r}: batch_size must be 1 to 10, got {self.batch_size}"
                )
            if self.batching_window_s:
                raise ValueError(
                    f"mapping of FIFO queue {self.queue!r}: batching_window_s must be 0 (standard queues only)"
                )

    @property
    def name(self) -> str:
        """The queue's name: a path names a mapping by it (``"event_source_mappings[jobs].batch_size"``)."""
        return self.queue

    def create(self, sim: Simulation) -> str:
        """Create the mapping through the Lambda client; return its UUID."""
        params: dict[str, Any] = {
            "EventSourceArn": queue_arn(sim, self.queue),
            "FunctionName": self.function,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.batching_window_s,
            "Enabled": self.enabled,
        }
        if self.maximum_concurrency is not None:
            params["ScalingConfig"] = {"MaximumConcurrency": self.maximum_concurrency}
        if self.report_batch_item_failures:
            params["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if self.filters:
            params["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps(p)} for p in self.filters]}
        return str(sim.client("lambda").create_event_source_mapping(**params)["UUID"])


def _events(value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if item not in S3_EVENTS:
            raise ValueError(f"events must be among {list(S3_EVENTS)}, got {item!r}")
    if not items:
        raise ValueError("events must name at least one event type, such as 's3:ObjectCreated:*'")
    return items


@frozen(kw_only=True)
class Notification:
    """One S3 event notification: objects whose key has ``prefix`` and ``suffix`` go to ``function`` (asynchronous
    invoke) or ``queue`` (a message), exactly one of the two."""

    function: str | None = field(default=None, validator=attrs.validators.optional(non_empty_text))
    queue: str | None = field(default=None, validator=attrs.validators.optional(_queue_name))
    events: tuple[str, ...] = field(default=("s3:ObjectCreated:*",), converter=_events)
    prefix: str = field(default="", validator=attrs.validators.instance_of(str))
    suffix: str = field(default="", validator=attrs.validators.instance_of(str))

    def __attrs_post_init__(self) -> None:
        if (self.function is None) == (self.queue is None):
            raise ValueError(f"a notification goes to exactly one of function or queue, got {self!r}")


def _notifications(value: Any) -> tuple[Notification, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Notification):
            raise TypeError(f"notifications must hold lambdasim Notification objects, got {item!r}")
    return items


@frozen(kw_only=True)
class Bucket:
    """An S3 bucket and its event notifications."""

    name: str = field(validator=_bucket_name)
    notifications: tuple[Notification, ...] = field(default=(), converter=_notifications)

    def create(self, sim: Simulation) -> None:
        """Create the bucket, grant S3 what each destination needs, and put the notification configuration."""
        s3, lam, sqs = sim.client("s3"), sim.client("lambda"), sim.client("sqs")
        s3.create_bucket(Bucket=self.name)
        bucket_arn = f"arn:aws:s3:::{self.name}"
        config: dict[str, list[dict[str, Any]]] = {}
        for i, n in enumerate(self.notifications):
            rules = [{"Name": k, "Value": v} for k, v in (("prefix", n.prefix), ("suffix", n.suffix)) if v]
            entry: dict[str, Any] = {"Id": f"{self.name}-{i}", "Events": list(n.events)}
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": rules}}
            if n.function is not None:
                lam.add_permission(
                    FunctionName=n.function,
                    StatementId=f"s3-{self.name}-{i}".replace(".", "-"),
                    Action="lambda:InvokeFunction",
                    Principal="s3.amazonaws.com",
                    SourceArn=bucket_arn,
                )
                fn = lam.get_function_configuration(FunctionName=n.function)["FunctionArn"]
                qualifier = n.function.partition(":")[2]
                entry["LambdaFunctionArn"] = f"{fn}:{qualifier}" if qualifier and not fn.endswith(qualifier) else fn
                config.setdefault("LambdaFunctionConfigurations", []).append(entry)
            else:
                assert n.queue is not None
                arn = queue_arn(sim, n.queue)
                url = sqs.get_queue_url(QueueName=n.queue)["QueueUrl"]
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn,
                            "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn}},
                        }
                    ],
                }
                sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
                entry["QueueArn"] = arn
                config.setdefault("QueueConfigurations", []).append(entry)
        if config:
            s3.put_bucket_notification_configuration(Bucket=self.name, NotificationConfiguration=config)


def _optional_real(value: Any) -> float | None:
    return None if value is None else real(value)


def _rate(value: Any) -> Any:
    if isinstance(value, RateProfile):
        return value
    if callable(value):
        return value
    rate = real(value)
    if not rate > 0:
        raise ValueError(f"rate must be > 0 arrivals per second, or a rate profile, got {value!r}")
    return rate


def _profile(rate: Any, max_rate_per_s: float | None, who: str) -> RateProfile:
    if isinstance(rate, RateProfile):
        return rate
    if isinstance(rate, float):
        return Piecewise(times_s=(0.0,), rates_per_s=(rate,))
    if max_rate_per_s is None:
        raise ValueError(f"{who}: a callable rate needs max_rate_per_s, an upper bound on it (the thinning rate)")
    return RateFunction(fn=rate, max_per_s=max_rate_per_s)


@frozen(kw_only=True)
class SendMessages:
    """Messages sent to ``queue`` at Poisson arrivals of ``rate``, from ``start_s`` until ``stop_s``.

    Attributes:
        queue: The queue's name.
        rate: Messages per second: a number, a rate profile (``Piecewise``, ``Spike``, their sums...) or a callable
            of time together with ``max_rate_per_s``.
        stop_s: No messages at or after this time (s).
        start_s: No messages before this time (s).
        body: The body of every message (a string, or anything JSON-serialisable); ``None`` sends ``{"n": i}``,
            ``i`` the message's number from 0.
        groups: FIFO queues: messages go round-robin to message groups ``g0`` ... ``g<groups-1>``, each with its
            number as deduplication id.
        max_rate_per_s: For a callable ``rate``: an upper bound on it.
        name: Names the random stream (``arrivals:<name>`` of the queue).
    """

    random: ClassVar[bool] = True

    queue: str = field(validator=_queue_name)
    rate: Any = field(converter=_rate)
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    body: Any = field(default=None)
    groups: int = field(default=1, validator=in_range(1, integer=True))
    max_rate_per_s: float | None = field(default=None, converter=_optional_real)
    name: str = field(default="messages", validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        _profile(self.rate, self.max_rate_per_s, f"SendMessages to {self.queue!r}")
        if self.body is not None and not isinstance(self.body, str):
            json.dumps(self.body)  # raises TypeError naming what is not serialisable

    def expected_count(self) -> float:
        """The mean number of messages: the rate's integral over ``[start_s, stop_s)``."""
        profile = _profile(self.rate, self.max_rate_per_s, "")
        return profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule the messages on ``sim`` (the queue must exist)."""
        queue = sim.services.sqs.by_name(self.queue)
        if queue is None:
            raise ValueError(f"SendMessages: no queue {self.queue!r} in the simulation")
        rng = sim.engine.generator(self.queue, f"arrivals:{self.name}")
        profile = _profile(self.rate, self.max_rate_per_s, f"SendMessages to {self.queue!r}")
        next_delay = thinned_delays(sim.env, profile, rng, self.stop_s, f"SendMessages {self.name!r} to {self.queue!r}")
        fixed = None if self.body is None else (self.body if isinstance(self.body, str) else json.dumps(self.body))
        groups = self.groups
        fifo = queue.fifo
        count = [0]

        def send() -> None:
            i = count[0]
            count[0] += 1
            body = fixed if fixed is not None else f'{{"n": {i}}}'
            if fifo:
                queue.send(body, group_id=f"g{i % groups}", dedup_id=str(i))
            else:
                queue.send(body)

        _drive(sim.env, self.start_s, next_delay, send)


@frozen(kw_only=True)
class PutObjects:
    """Objects put into ``bucket`` at Poisson arrivals of ``rate``, from ``start_s`` until ``stop_s``: keys
    ``<prefix><i>``, each ``size_bytes`` long (each sends the bucket's notifications)."""

    random: ClassVar[bool] = True

    bucket: str = field(validator=_bucket_name)
    rate: Any = field(converter=_rate)
    stop_s: float = field(converter=real, validator=in_range(0.0))
    start_s: float = field(default=0.0, converter=real, validator=in_range(0.0))
    prefix: str = field(default="", validator=attrs.validators.instance_of(str))
    size_bytes: int = field(default=1024, validator=in_range(0, integer=True))
    max_rate_per_s: float | None = field(default=None, converter=_optional_real)
    name: str = field(default="objects", validator=non_empty_text)

    def __attrs_post_init__(self) -> None:
        _profile(self.rate, self.max_rate_per_s, f"PutObjects to {self.bucket!r}")

    def expected_count(self) -> float:
        """The mean number of objects put."""
        profile = _profile(self.rate, self.max_rate_per_s, "")
        return profile.expected(self.start_s, self.stop_s) if self.stop_s > self.start_s else 0.0

    def attach(self, sim: Simulation) -> None:
        """Schedule the puts on ``sim`` (through the S3 client, so notifications go out as on AWS)."""
        s3 = sim.client("s3")
        rng = sim.engine.generator(self.bucket, f"arrivals:{self.name}")
        profile = _profile(self.rate, self.max_rate_per_s, f"PutObjects to {self.bucket!r}")
        next_delay = thinned_delays(sim.env, profile, rng, self.stop_s, f"PutObjects {self.name!r} to {self.bucket!r}")
        body = b"x" * self.size_bytes
        count = [0]

        def put() -> None:
            i = count[0]
            count[0] += 1
            s3.put_object(Bucket=self.bucket, Key=f"{self.prefix}{i}", Body=body)

        _drive(sim.env, self.start_s, next_delay, put)
