"""Where Lambda sends an asynchronous event's outcome: on-success and on-failure destinations and the dead-letter
queue, delivered to the simulated services at the outcome's simulated time.

Targets are looked up by ARN at each outcome, so a configuration change or a deleted queue applies at once.

- **Destinations** get the invocation record (spec section 4): an SQS standard queue (the record is the message
  body), an SNS standard topic (the message; an on-failure record over SNS's 256 KB limit is sent without its
  ``requestPayload`` and ``responsePayload``), a Lambda function (the record is the payload of an asynchronous invoke,
  so functions chain), an EventBridge bus (the record is the event's ``detail``, ``source`` ``"lambda"``,
  ``detail-type`` ``"Lambda Function Invocation Result - Success"`` / ``"... - Failure"``, ``resources`` the bus and
  function ARNs) and, on failure only, an S3 bucket (one object per record, keyed
  ``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>``).
- **Dead-letter queues** (an SQS standard queue or SNS standard topic) get the original event as the body, with
  message attributes ``RequestID`` (String), ``ErrorCode`` (Number: ``200`` after a function error, else the HTTP
  status of the last try: ``429`` throttled, ``5xx`` service error; ``429`` for ``ZeroReservedConcurrency``) and
  ``ErrorMessage`` (String, the first 1 KB of the error message; ``"Rate Exceeded."`` or ``"Service error"`` when no
  attempt failed in the function).
- A delivery fails, and counts in ``DestinationDeliveryFailures`` or ``DeadLetterErrors``, when the target is
  missing or deleted, is a FIFO queue or topic, is of a kind that cannot take it, or refuses its size.

Events the queue dropped (condition ``Dropped``) are sent nowhere.
"""

from __future__ import annotations

import datetime as _dt
import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from lambdasim.aws.account import ServiceError
from lambdasim.aws.arn import service_of
from lambdasim.aws.events.backend import EVENT_SIZE_LIMIT_BYTES
from lambdasim.aws.sns.backend import MESSAGE_LIMIT_BYTES as SNS_LIMIT_BYTES
from lambdasim.core.outcome import Outcome
from lambdasim.core.rules import Condition
from lambdasim.core.sinks import Attachment, DeliveryError

if TYPE_CHECKING:
    from lambdasim.aws.account import Services
    from lambdasim.aws.sns.backend import Topic
    from lambdasim.aws.sqs.backend import Queue
    from lambdasim.core.metrics import FunctionMetrics

__all__ = ["DeadLetterQueue", "Destination", "Destinations", "Targets"]

SUCCESS_DETAIL_TYPE = "Lambda Function Invocation Result - Success"
FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure"
EVENTBRIDGE_SOURCE = "lambda"
S3_KEY_PREFIX = "aws/lambda/async"
ERROR_MESSAGE_LIMIT_BYTES = 1024
THROTTLED_MESSAGE = "Rate Exceeded."
SERVICE_ERROR_MESSAGE = "Service error"


class Targets(Protocol):
    """What names an event's targets: the :class:`~lambdasim.core.target.Target` it was invoked on."""

    @property
    def on_success(self) -> str | None: ...

    @property
    def on_failure(self) -> str | None: ...

    @property
    def dead_letter_arn(self) -> str | None: ...


class _TargetSink(ABC):
    """A sink that sends each outcome to the target ``arn``; what the target's service refuses is a delivery
    failure (:class:`~lambdasim.core.sinks.DeliveryError`), counted by the attachment, never raised into the run."""

    def __init__(self, services: Services, arn: str) -> None:
        self.services = services
        self.arn = arn

    def deliver(self, outcome: Outcome) -> None:
        try:
            self._send(outcome)
        except ServiceError as exc:
            raise DeliveryError(f"{self.arn}: {exc.code}: {exc.message}") from None

    @abstractmethod
    def _send(self, outcome: Outcome) -> None:
        """Send ``outcome`` to the target (``DeliveryError`` or ``ServiceError`` if it cannot take it)."""


def _standard_queue(services: Services, arn: str, role: str) -> Queue:
    """The SQS queue ``arn``, which must exist and be a standard queue to serve as ``role`` (for the error)."""
    queue = services.sqs.by_arn(arn)
    if queue is None:
        raise DeliveryError(f"{arn}: the queue does not exist")
    if queue.fifo:
        raise DeliveryError(f"{arn}: FIFO queues are not supported as {role}")
    return queue


def _standard_topic(services: Services, arn: str, role: str) -> Topic:
    """The SNS topic ``arn``, which must exist and be a standard topic to serve as ``role`` (for the error)."""
    topic = services.sns.by_arn(arn)
    if topic is None:
        raise DeliveryError(f"{arn}: the topic does not exist")
    if topic.fifo:
        raise DeliveryError(f"{arn}: FIFO topics are not supported as {role}")
    return topic


class Destination(_TargetSink):
    """A sink that sends each outcome's invocation record to the target ``arn``.

    Args:
        services: The simulation's services.
        arn: The target: an SQS queue, SNS topic, Lambda function, EventBridge bus or (on failure) S3 bucket.
        on_failure: Whether this is an on-failure destination (S3 takes only those; SNS trims oversized ones).
    """

    def __init__(self, services: Services, arn: str, *, on_failure: bool) -> None:
        super().__init__(services, arn)
        self.on_failure = on_failure

    def _send(self, outcome: Outcome) -> None:
        services = self.services
        arn = self.arn
        kind = service_of(arn)
        record = outcome.record()
        if kind == "sqs":
            _standard_queue(services, arn, "destinations").send(json.dumps(record))
        elif kind == "sns":
            topic = _standard_topic(services, arn, "destinations")
            message = json.dumps(record)
            if self.on_failure and len(message.encode()) > SNS_LIMIT_BYTES:
                # Lambda drops the payload of an on-failure record that would exceed SNS's limit.
                record.pop("requestPayload", None)
                record.pop("responsePayload", None)
                message = json.dumps(record)
            services.sns.publish(topic, message)
        elif kind == "lambda":
            services.invoke_async(arn, record)
        elif kind == "events":
            bus = services.events.by_arn(arn)
            if bus is None:
                raise DeliveryError(f"{arn}: the event bus does not exist")
            detail_type = SUCCESS_DETAIL_TYPE if outcome.condition is Condition.SUCCESS else FAILURE_DETAIL_TYPE
            if len(json.dumps(record).encode()) > EVENT_SIZE_LIMIT_BYTES:
                raise DeliveryError(f"{arn}: the record exceeds EventBridge's 256 KB entry limit")
            services.events.put_event(bus, EVENTBRIDGE_SOURCE, detail_type, record, [bus.arn, outcome.function_arn])
        elif kind == "s3":
            if not self.on_failure:
                raise DeliveryError(f"{arn}: S3 buckets take on-failure records only")
            bucket = services.s3.by_arn(arn)
            if bucket is None:
                raise DeliveryError(f"{arn}: the bucket does not exist")
            services.s3.put(bucket, s3_key(outcome, services.new_id()), json.dumps(record).encode(), "application/json")
        else:
            raise DeliveryError(f"{arn}: not a supported destination (SQS, SNS, Lambda, EventBridge or S3)")


def s3_key(outcome: Outcome, unique: str) -> str:
    """``aws/lambda/async/<function>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`` at the outcome's time."""
    moment = _dt.datetime.fromtimestamp(outcome.epoch_s + outcome.finished_at, tz=_dt.UTC)
    return f"{S3_KEY_PREFIX}/{outcome.function_name}/{moment:%Y/%m/%d}/{moment:%Y-%m-%dT%H.%M.%S}-{unique}"


def dead_letter_error(outcome: Outcome) -> tuple[int, str]:
    """``(ErrorCode, ErrorMessage)`` of a discarded event, as its dead-letter message carries them."""
    if outcome.error is not None:
        error_type, message, _stack = outcome.error
        text = message or error_type
        return 200, text.encode()[:ERROR_MESSAGE_LIMIT_BYTES].decode("utf-8", "ignore")
    if outcome.condition is Condition.ZERO_RESERVED_CONCURRENCY or outcome.status_code == 429:
        return 429, THROTTLED_MESSAGE
    return outcome.status_code, SERVICE_ERROR_MESSAGE


def dead_letter_attributes(outcome: Outcome) -> dict[str, dict[str, str]]:
    """The message attributes Lambda puts on a dead-letter message."""
    code, message = dead_letter_error(outcome)
    return {
        "RequestID": {"DataType": "String", "StringValue": outcome.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(code)},
        "ErrorMessage": {"DataType": "String", "StringValue": message},
    }


class DeadLetterQueue(_TargetSink):
    """A sink that sends each discarded event, as it was invoked, to an SQS queue or SNS topic."""

    def _send(self, outcome: Outcome) -> None:
        services = self.services
        body = json.dumps(outcome.request_payload)
        attributes = dead_letter_attributes(outcome)
        kind = service_of(self.arn)
        if kind == "sqs":
            _standard_queue(services, self.arn, "dead-letter queues").send(body, attributes)
        elif kind == "sns":
            topic = _standard_topic(services, self.arn, "dead-letter queues")
            services.sns.publish(topic, body, attributes=attributes)
        else:
            raise DeliveryError(f"{self.arn}: a dead-letter queue must be an SQS queue or SNS topic")


class Destinations:
    """The built-in sinks: one attachment per target ARN and role, each with its statistics.

    Attributes:
        on_success: ``{ARN: Attachment}`` of on-success destinations.
        on_failure: ``{ARN: Attachment}`` of on-failure destinations.
        dead_letter: ``{ARN: Attachment}`` of dead-letter queues.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.on_success: dict[str, Attachment] = {}
        self.on_failure: dict[str, Attachment] = {}
        self.dead_letter: dict[str, Attachment] = {}

    def _attachment(self, role: dict[str, Attachment], arn: str, kind: str) -> Attachment:
        found = role.get(arn)
        if found is None:
            sink: Destination | DeadLetterQueue
            if kind == "dead_letter":
                sink = DeadLetterQueue(self.services, arn)
            else:
                sink = Destination(self.services, arn, on_failure=kind == "on_failure")
            found = role[arn] = Attachment(sink, f"{kind}:{arn}")
        return found

    def deliver(self, targets: Targets, metrics: FunctionMetrics, outcome: Outcome) -> None:
        """Send ``outcome`` where ``targets`` say, now; count failed deliveries in ``metrics``."""
        condition = outcome.condition
        if condition is Condition.DROPPED:
            return
        now = outcome.finished_at
        if condition is Condition.SUCCESS:
            arn = targets.on_success
            if arn and not self._attachment(self.on_success, arn, "on_success").offer(outcome):
                metrics.destination_failed(now)
            return
        arn = targets.on_failure
        if arn and not self._attachment(self.on_failure, arn, "on_failure").offer(outcome):
            metrics.destination_failed(now)
        arn = targets.dead_letter_arn
        if arn and not self._attachment(self.dead_letter, arn, "dead_letter").offer(outcome):
            metrics.dead_letter_failed(now)

    def to_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """JSON-ready statistics per role and target ARN."""
        return {
            "on_success": {arn: a.stats.to_dict() for arn, a in self.on_success.items()},
            "on_failure": {arn: a.stats.to_dict() for arn, a in self.on_failure.items()},
            "dead_letter": {arn: a.stats.to_dict() for arn, a in self.dead_letter.items()},
        }
