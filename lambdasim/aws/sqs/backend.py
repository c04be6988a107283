"""Simulated SQS: standard and FIFO queues with visibility timeouts, delays and retention on the simulated clock.

What is modelled: at-least-once standard queues (messages come back after their visibility timeout), FIFO queues
(order within a message group, a group is blocked while one of its messages is in flight, 5-minute deduplication),
``DelaySeconds``, ``MessageRetentionPeriod``, ``MaximumMessageSize`` and the 60-second rules of ``PurgeQueue`` and of
re-creating a deleted queue. Long polling (``WaitTimeSeconds``) from top-level code advances the simulated clock
until a message can be received (:mod:`lambdasim.aws.sqs.long_poll`); inside the simulation a receive returns what
is visible now.

Dead-letter queues: a queue whose ``RedrivePolicy`` names a dead-letter queue moves a message there instead of
delivering it, on the first ``ReceiveMessage`` that finds it visible after ``maxReceiveCount`` receives (SQS: "when
the ReceiveCount for a message exceeds the maxReceiveCount"). The move keeps the ``MessageId``, body, message
attributes, ``SentTimestamp``, ``ApproximateFirstReceiveTimestamp`` and the receive count (``ApproximateReceiveCount``
counts receives "across all queues", so the first receive from the dead-letter queue answers
``maxReceiveCount + 1``), and adds the ``DeadLetterQueueSourceArn`` system attribute. A standard dead-letter queue
keeps the original enqueue time for retention; a FIFO one restarts it, gives the message a new sequence number and
its ``MessageId`` as deduplication id (AWS's documented rules). ``RedrivePolicy`` and ``RedriveAllowPolicy`` are
validated with SQS's error messages, and stored in SQS's compact form (``maxReceiveCount`` as a number).

[model] choices where AWS publishes nothing: a moved message is visible in the dead-letter queue at once (no
``DelaySeconds``); the move happens only on a receive, so until one the message counts as visible in the source
queue; if the dead-letter queue does not exist (deleted after the policy was set), nothing moves and the message is
delivered as if there were no policy, until a queue with that ARN exists again; a dead-letter queue's
``RedriveAllowPolicy`` is checked when a source queue names it, and changing it later does not stop an existing
source; the message when that check fails is lambdasim's.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.aws.sqs.metrics import QueueMetrics
from lambdasim.aws.sqs.visibility import VisibilityIndex
from lambdasim.core.stats import Level, Tally

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

DEFAULT_ATTRIBUTES = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}
"""A new queue's attributes (botocore model, 2025: messages up to 1 MiB)."""

FIFO_DEFAULTS = {"ContentBasedDeduplication": "false", "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}
SETTABLE = (
    *DEFAULT_ATTRIBUTES,
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
BOOLEAN_ATTRIBUTES = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
"""Attributes SQS reads as booleans: ``"true"`` or ``"false"`` in any case (AWS takes ``"True"``, what Python's
``str(True)`` gives, and answers ``"true"``: AWS-validated tests create FIFO queues with ``FifoQueue="True"``); any
other value (``"yes"``, ``"1"``) is ``InvalidAttributeValue`` [model: no recording of those; SQS's own check of the
documented values]."""
READ_ONLY = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
)
_RANGES = {
    "VisibilityTimeout": (0, 43200),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "DelaySeconds": (0, 900),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
}
REDRIVE_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy")
MAX_RECEIVE_COUNT = 1000
"""``maxReceiveCount`` is 1..1000."""
MAX_SOURCE_QUEUE_ARNS = 10
"""A ``byQueue`` redrive allow policy names 1..10 source queues."""
REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")
DEDUPLICATION_WINDOW_S = 300.0
PURGE_INTERVAL_S = 60.0
REQUEST_CHUNK_BYTES = 65536
"""SQS bills each 64 KiB chunk of a request's payload as one request."""
RECREATE_WAIT_S = 60.0
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def md5_hex(data: bytes) -> str:
    """``MD5OfMessageBody``: the hex MD5 digest SQS reports (a checksum, not for security)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """``MD5OfMessageAttributes`` exactly as SQS computes it (names sorted, length-prefixed, transport byte)."""
    buf = bytearray()
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        for part in (name.encode(), data_type.encode()):
            buf += len(part).to_bytes(4, "big") + part
        if "StringValue" in attr:
            value = attr["StringValue"].encode()
            buf += b"\x01" + len(value).to_bytes(4, "big") + value
        else:
            raw = attr["BinaryValue"]
            value = raw.encode() if isinstance(raw, str) else bytes(raw)
            buf += b"\x02" + len(value).to_bytes(4, "big") + value
    return md5_hex(bytes(buf))


def attributes_size(attributes: dict[str, dict[str, Any]]) -> int:
    """Bytes message attributes count towards ``MaximumMessageSize`` (name, type and value)."""
    size = 0
    for name, attr in attributes.items():
        value = attr.get("StringValue", attr.get("BinaryValue", b""))
        size += (
            len(name.encode())
            + len(attr["DataType"].encode())
            + len(value if isinstance(value, bytes) else value.encode())
        )
    return size


class Message:
    """One message in a queue. Times are simulated seconds."""

    __slots__ = (
        "attributes",
        "body",
        "dead_letter_source_arn",
        "dedup_id",
        "enqueued_at",
        "first_receive_at",
        "group_id",
        "md5_attributes",
        "md5_body",
        "message_id",
        "order",
        "receipt",
        "receive_count",
        "sender_id",
        "sent_at",
        "sequence_number",
        "visible_at",
    )

    def __init__(self, message_id: str, body: str, attributes: dict[str, dict[str, Any]], now: float) -> None:
        self.message_id = message_id
        self.body = body
        self.attributes = attributes
        self.md5_body = md5_hex(body.encode())
        self.md5_attributes = md5_of_attributes(attributes) if attributes else None
        self.sent_at = now
        self.enqueued_at = now  # retention counts from here (a FIFO dead-letter queue restarts it)
        self.visible_at = now
        self.receive_count = 0
        self.first_receive_at: float | None = None
        self.receipt: str | None = None
        self.group_id: str | None = None
        self.dedup_id: str | None = None
        self.sequence_number: str | None = None
        self.sender_id = ""
        self.dead_letter_source_arn: str | None = None
        self.order = 0  # its place in its queue's send order (a standard queue's VisibilityIndex numbers it)


class Queue:
    """One queue: its attributes and messages, in the order they were sent."""

    def __init__(self, services: Services, name: str, attributes: dict[str, str]) -> None:
        self._services = services
        self.name = name
        self.fifo = name.endswith(".fifo")
        self.arn = f"arn:aws:sqs:{services.region}:{services.account_id}:{name}"
        self.url = f"https://sqs.{services.region}.amazonaws.com/{services.account_id}/{name}"
        self.attributes = {**DEFAULT_ATTRIBUTES, **(FIFO_DEFAULTS if self.fifo else {}), **attributes}
        self.created_at = services.now
        self.modified_at = services.now
        self.messages: dict[str, Message] = {}  # by message id; dict order is send order
        # A standard queue finds its visible messages through this index; a FIFO queue scans in send order, as its
        # message groups block one another.
        self.index: VisibilityIndex | None = None if self.fifo else VisibilityIndex()
        self.receipts: dict[str, str] = {}  # receipt handle -> message id
        self._dedup: dict[str, tuple[float, Message]] = {}
        self._sequence = 0
        self.last_purge: float | None = None
        self.deleted = False
        self.sent = 0
        self.received = 0
        self.deleted_messages = 0
        self.redrive_target: str | None = None  # the dead-letter queue's ARN
        self.max_receive_count = 0  # 0: no redrive policy
        # Told of each message that is sent, moved in or made visible by ChangeMessageVisibility (Lambda's pollers
        # listen here, so they wake when a message arrives instead of polling on a timer).
        self.listeners: list[Callable[[Message], None]] = []
        # Run statistics (lambdasim.aws.sqs.stats): messages stored (visible, in flight or delayed) over time, the
        # time from send to delete and the receives of each deleted message, and where the others went.
        self.depth = Level(services.now)
        self.dwell = Tally()
        self.receives_per_message = Tally()
        self.moved_to_dead_letter = 0
        self.expired = 0
        self.purged = 0
        self.send_requests = 0
        self.metrics = QueueMetrics(services.sim.settings.metrics_period_s, services.now)
        # Retention expires messages from the front (enqueue order); a message moved in from a standard source keeps
        # its older enqueue time, so it may expire before messages ahead of it: the oldest such straggler's enqueue
        # time tells when a full scan is due, and the latest enqueue time so far tells a straggler.
        self._latest_enqueue = services.now
        self._straggler_at: float | None = None
        self._refresh_redrive()

    def _int(self, name: str) -> int:
        return int(self.attributes[name])

    def configure(self, attributes: dict[str, str]) -> None:
        """Apply attributes already checked and normalized (an empty redrive policy removes it, as in SQS)."""
        self.metrics.catch_up(self, self._services.now)
        for name, value in attributes.items():
            if name in REDRIVE_ATTRIBUTES and value == "":
                self.attributes.pop(name, None)
            else:
                self.attributes[name] = value
        self.modified_at = self._services.now
        self._refresh_redrive()

    def _refresh_redrive(self) -> None:
        policy = self.attributes.get("RedrivePolicy")
        if policy:
            parsed = json.loads(policy)  # stored normalized: both keys present, the count an int
            self.redrive_target = parsed["deadLetterTargetArn"]
            self.max_receive_count = parsed["maxReceiveCount"]
        else:
            self.redrive_target = None
            self.max_receive_count = 0

    # -- sending ----------------------------------------------------------------------------------------------

    def send(
        self,
        body: str,
        attributes: dict[str, dict[str, Any]] | None = None,
        *,
        delay_s: int | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
        sender_id: str | None = None,
    ) -> Message:
        """Put a message on the queue (``ServiceError`` for what SQS refuses)."""
        self.metrics.catch_up(self, self._services.now)
        attributes = attributes or {}
        limit = self._int("MaximumMessageSize")
        size = len(body.encode()) + attributes_size(attributes)
        if size > limit:
            raise ServiceError(
                "InvalidParameterValue",
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.",
            )
        now = self._services.now
        if self.fifo:
            if group_id is None:
                raise ServiceError("MissingParameter", "The request must contain the parameter MessageGroupId.")
            if dedup_id is None:
                if self.attributes.get("ContentBasedDeduplication") != "true":
                    raise ServiceError(
                        "InvalidParameterValue",
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly",
                    )
                dedup_id = hashlib.sha256(body.encode()).hexdigest()
            self._forget_dedup(now)
            seen = self._dedup.get(dedup_id)
            if seen is not None:
                return seen[1]  # a duplicate is accepted and dropped: the original's id is answered
        msg = Message(self._services.new_id(), body, attributes, now)
        msg.sender_id = sender_id or self._services.account_id
        delay = self._int("DelaySeconds") if delay_s is None else delay_s
        msg.visible_at = now + delay
        if self.fifo:
            self._sequence += 1
            msg.group_id = group_id
            msg.dedup_id = dedup_id
            msg.sequence_number = f"{self._sequence:020d}"
            assert dedup_id is not None
            self._dedup[dedup_id] = (now, msg)
        self.messages[msg.message_id] = msg
        if self.index is not None:
            self.index.add(msg, now)
        self.depth.change(now, 1)
        self._latest_enqueue = now
        self.sent += 1
        self.metrics.count("NumberOfMessagesSent", now)
        self.send_requests += -(-size // REQUEST_CHUNK_BYTES)  # [doc] each 64 KiB of a payload is a request
        self._tell(msg)
        return msg

    def _gone(self, now: float, count: int) -> None:
        if count:
            self.depth.change(now, -count)

    def _tell(self, msg: Message) -> None:
        for listener in self.listeners:
            listener(msg)

    def _forget_dedup(self, now: float) -> None:
        # Deduplication ids are kept for 5 minutes; they are in send order, so the old ones are at the front.
        dedup = self._dedup
        while dedup:
            first = next(iter(dedup))
            if now - dedup[first][0] < DEDUPLICATION_WINDOW_S:
                break
            del dedup[first]

    # -- receiving --------------------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        # Messages are in enqueue order, so the expired ones are at the front (stragglers aside).
        retention = self._int("MessageRetentionPeriod")
        messages = self.messages
        while messages:
            first = next(iter(messages.values()))
            if now - first.enqueued_at < retention:
                break
            del messages[first.message_id]
            self._gone(now, 1)
            self.expired += 1
        if self._straggler_at is not None and now - self._straggler_at >= retention:
            self._expire_stragglers(now, retention)

    def _expire_stragglers(self, now: float, retention: int) -> None:
        expired = [m.message_id for m in self.messages.values() if now - m.enqueued_at >= retention]
        for message_id in expired:
            del self.messages[message_id]
        self._gone(now, len(expired))
        self.expired += len(expired)
        latest = float("-inf")
        oldest: float | None = None
        for msg in self.messages.values():
            if msg.enqueued_at < latest:
                oldest = msg.enqueued_at if oldest is None else min(oldest, msg.enqueued_at)
            else:
                latest = msg.enqueued_at
        self._straggler_at = oldest

    def receive(self, max_messages: int, visibility_timeout: int | None) -> list[Message]:
        """Up to ``max_messages`` visible messages; each becomes invisible for the visibility timeout.

        With a redrive policy, a visible message already received ``maxReceiveCount`` times moves to the dead-letter
        queue instead, and the receive goes on to the next message.
        """
        now = self._services.now
        self.metrics.catch_up(self, now)
        self._expire(now)
        timeout = self._int("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
        limit = self.max_receive_count
        dead_letter_queue: Queue | None = None
        if limit:
            dead_letter_queue = self._services.sqs.by_arn(self.redrive_target or "")
            if dead_letter_queue is None:
                limit = 0  # [model] no dead-letter queue (deleted): deliver as if there were no policy
        moving: list[Message] = []
        taken: list[Message] = []
        blocked: set[str | None] = set()
        index = self.index
        for msg in self.messages.values() if index is None else index.visible(self.messages, now):
            if self.fifo and msg.group_id in blocked:
                continue
            if msg.visible_at > now:
                if self.fifo:
                    blocked.add(msg.group_id)  # a group waits while one of its messages is in flight
                continue
            if limit and msg.receive_count >= limit:
                moving.append(msg)  # this receive would exceed maxReceiveCount: the message moves instead
                continue
            msg.receive_count += 1
            if msg.first_receive_at is None:
                msg.first_receive_at = now
            msg.visible_at = now + timeout
            if msg.receipt is not None:
                self.receipts.pop(msg.receipt, None)
            msg.receipt = f"{msg.message_id}#{msg.receive_count}#{self._services.new_id()}"
            self.receipts[msg.receipt] = msg.message_id
            taken.append(msg)
            if len(taken) == max_messages:
                break
        if index is not None:
            for msg in taken:  # after the loop: with a timeout of 0 a message would otherwise be given twice
                index.schedule(msg, now)
        if moving:
            assert dead_letter_queue is not None
            self._move(moving, dead_letter_queue, now)
        self.received += len(taken)
        if taken:
            self.metrics.count("NumberOfMessagesReceived", now, len(taken))
        return taken

    def _move(self, moving: list[Message], dead_letter_queue: Queue, now: float) -> None:
        self._gone(now, len(moving))
        self.moved_to_dead_letter += len(moving)
        for msg in moving:
            del self.messages[msg.message_id]
            if msg.receipt is not None:
                self.receipts.pop(msg.receipt, None)  # the source's receipt handles die with the move
                msg.receipt = None
            dead_letter_queue.take_dead_letter(msg, self.arn, now)

    def take_dead_letter(self, msg: Message, source_arn: str, now: float) -> None:
        """Take ``msg`` moved here by ``source_arn``'s redrive policy: same id, body, attributes and receive count."""
        self.metrics.catch_up(self, now)
        msg.dead_letter_source_arn = source_arn
        msg.visible_at = now
        if self.fifo:
            # AWS: the enqueue timestamp resets, and the deduplication id becomes the message id.
            msg.enqueued_at = now
            msg.dedup_id = msg.message_id
            self._sequence += 1
            msg.sequence_number = f"{self._sequence:020d}"
        if msg.enqueued_at < self._latest_enqueue:
            oldest = self._straggler_at
            self._straggler_at = msg.enqueued_at if oldest is None else min(oldest, msg.enqueued_at)
        else:
            self._latest_enqueue = msg.enqueued_at
        self.messages[msg.message_id] = msg
        if self.index is not None:
            self.index.add(msg, now)
        self.depth.change(now, 1)
        self._tell(msg)

    def _by_receipt(self, receipt: str) -> Message | None:
        message_id = self.receipts.get(receipt)
        if message_id is None:
            if not _receipt_shaped(receipt):
                raise ServiceError(
                    "ReceiptHandleIsInvalid", f'The input receipt handle "{receipt}" is not a valid receipt handle.'
                )
            return None
        return self.messages.get(message_id)

    def delete(self, receipt: str) -> None:
        """Delete the message a receipt handle names (a stale handle of a deleted message is accepted)."""
        self.metrics.catch_up(self, self._services.now)
        msg = self._by_receipt(receipt)
        self.receipts.pop(receipt, None)
        if msg is not None and msg.message_id in self.messages:
            del self.messages[msg.message_id]
            self.deleted_messages += 1
            now = self._services.now
            self._gone(now, 1)
            self.dwell.add(now - msg.sent_at)
            self.metrics.count("NumberOfMessagesDeleted", now)
            self.receives_per_message.add(msg.receive_count)

    def change_visibility(self, receipt: str, timeout: int) -> None:
        """Make a received message visible again ``timeout`` seconds from now."""
        msg = self._by_receipt(receipt)
        now = self._services.now
        self.metrics.catch_up(self, now)
        if msg is None or msg.visible_at <= now:
            raise ServiceError(
                "AWS.SimpleQueueService.MessageNotInflight",
                "Value for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available "
                "for visibility timeout change.",
                shape="MessageNotInflight",
            )
        msg.visible_at = now + timeout
        if self.index is not None:
            self.index.schedule(msg, now)
        self._tell(msg)

    def purge(self) -> None:
        """Delete every message (at most once per 60 s)."""
        now = self._services.now
        if self.last_purge is not None and now - self.last_purge < PURGE_INTERVAL_S:
            raise ServiceError(
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {self.name} is allowed every 60 seconds.",
                403,
                shape="PurgeQueueInProgress",
            )
        self.last_purge = now
        self.metrics.catch_up(self, now)
        self._gone(now, len(self.messages))
        self.purged += len(self.messages)
        self.messages.clear()
        self.receipts.clear()
        if self.index is not None:
            self.index.clear()
        self._straggler_at = None

    def state_at(self, t: float) -> tuple[int, int, int, float]:
        """``(visible, in flight, delayed, age of the oldest message)`` at time ``t``, no earlier than the queue's
        last change (nothing is modified: messages past retention at ``t`` are left out, not removed)."""
        retention = self._int("MessageRetentionPeriod")
        visible = in_flight = delayed = 0
        oldest = math.inf
        for msg in self.messages.values():
            if t - msg.enqueued_at >= retention:
                continue
            if msg.visible_at <= t:
                visible += 1
            elif msg.receive_count:
                in_flight += 1
            else:
                delayed += 1
            oldest = min(oldest, msg.sent_at)
        return visible, in_flight, delayed, 0.0 if oldest == math.inf else t - oldest

    def any_visible(self, now: float) -> bool:
        """Whether a message is visible now (in a FIFO queue, possibly one its group's message in flight holds back)."""
        if self.index is not None:
            return self.index.any_visible(self.messages, now)
        return any(m.visible_at <= now for m in self.messages.values())

    def counts(self) -> tuple[int, int, int]:
        """``(visible, in flight, delayed)`` messages now."""
        now = self._services.now
        self._expire(now)
        visible = in_flight = delayed = 0
        for msg in self.messages.values():
            if msg.visible_at <= now:
                visible += 1
            elif msg.receive_count:
                in_flight += 1
            else:
                delayed += 1
        return visible, in_flight, delayed

    def attribute_values(self) -> dict[str, str]:
        """Every attribute as ``GetQueueAttributes`` with ``All`` returns it."""
        visible, in_flight, delayed = self.counts()
        out = dict(self.attributes)
        out.update(
            {
                "QueueArn": self.arn,
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(in_flight),
                "ApproximateNumberOfMessagesDelayed": str(delayed),
                "CreatedTimestamp": str(int(self._services.epoch(self.created_at))),
                "LastModifiedTimestamp": str(int(self._services.epoch(self.modified_at))),
            }
        )
        return out

    def __repr__(self) -> str:
        return f"<Queue {self.name} messages={len(self.messages)}>"


def _receipt_shaped(receipt: str) -> bool:
    return receipt.count("#") == 2


def with_booleans_lowered(attributes: dict[str, str]) -> dict[str, str]:
    """``attributes`` with each boolean attribute that SQS reads as ``true``/``false`` in its lowercase spelling."""
    return {
        name: value.lower()
        if name in BOOLEAN_ATTRIBUTES and isinstance(value, str) and value.lower() in ("true", "false")
        else value
        for name, value in attributes.items()
    }


def check_attributes(attributes: dict[str, str], *, creating_fifo: bool | None = None) -> None:
    """Validate queue attributes as SQS does."""
    for name, value in attributes.items():
        if name not in SETTABLE:
            raise ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if not isinstance(value, str):
            raise ServiceError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")
        if name in _RANGES:
            low, high = _RANGES[name]
            if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
                raise ServiceError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")
        if name in BOOLEAN_ATTRIBUTES and value not in ("true", "false"):
            raise ServiceError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")
    if creating_fifo is False and attributes.get("ContentBasedDeduplication"):
        raise ServiceError("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.")


def _redrive_invalid(raw: str, reason: str) -> ServiceError:
    return ServiceError(
        "InvalidParameterValue", f"Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
    )


def _shown(value: Any) -> str:
    # How SQS echoes a policy value in its message: a string as is, anything else as JSON.
    return value if isinstance(value, str) else json.dumps(value)


def _max_receive_count(value: Any) -> int | None:
    # A JSON integer, or a string of one ("5"): SQS takes both and answers with the integer.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    return None


def redrive_allow_policy(raw: str) -> str:
    """Check a ``RedriveAllowPolicy`` as SQS does; return it in SQS's compact form (``""`` stays ``""``: unset)."""
    if raw == "":
        return raw
    unsupported = ServiceError(
        "InvalidParameterValue",
        "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow "
        "policy, as it\u2019s in an unsupported format.",
    )
    try:
        policy = json.loads(raw)
    except ValueError:
        raise unsupported from None
    if (
        not isinstance(policy, dict)
        or policy.get("redrivePermission") not in REDRIVE_PERMISSIONS
        or set(policy) - {"redrivePermission", "sourceQueueArns"}
    ):
        raise unsupported
    permission = policy["redrivePermission"]
    sources = policy.get("sourceQueueArns")
    prefix = f"Value {raw} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive "
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(arn, str) for arn in sources):
            raise unsupported
        if permission != "byQueue":
            raise ServiceError(
                "InvalidParameterValue",
                prefix + "allow policy. To specify one or more source queue ARNs, you must set redrivePermission to "
                "byQueue.",
            )
        if len(sources) > MAX_SOURCE_QUEUE_ARNS:
            raise ServiceError(
                "InvalidParameterValue",
                prefix + f"allow policy. The maximum number of source queue ARNs you can specify is "
                f"{MAX_SOURCE_QUEUE_ARNS}.",
            )
    if permission == "byQueue" and not sources:
        raise ServiceError(
            "InvalidParameterValue",
            prefix + "allow policy. When you specify the byQueue permission type, you must also specify one or more "
            "sourceQueueArns values.",
        )
    return json.dumps(policy, separators=(",", ":"))


def allows_source(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's (normalized) ``RedriveAllowPolicy`` lets ``source_arn`` name it."""
    if not allow_policy:
        return True  # no policy: allowAll, SQS's default
    policy = json.loads(allow_policy)
    permission = policy["redrivePermission"]
    if permission == "byQueue":
        return source_arn in policy["sourceQueueArns"]
    return bool(permission == "allowAll")


class SqsService:
    """The account's queues, by name, ARN and URL."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.queues: dict[str, Queue] = {}
        self._deleted_at: dict[str, float] = {}

    def create(self, name: str, attributes: dict[str, str]) -> Queue:
        """Create a queue, or return the existing one if its attributes agree (as ``CreateQueue`` does)."""
        fifo_name = name.endswith(".fifo")
        base = name[: -len(".fifo")] if fifo_name else name
        if not QUEUE_NAME.match(base) or len(name) > 80:
            raise ServiceError(
                "InvalidParameterValue",
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            )
        attributes = with_booleans_lowered(attributes)
        fifo_attr = attributes.get("FifoQueue")
        if fifo_attr not in (None, "true", "false"):  # a bad value first: "yes" is not a naming problem
            raise ServiceError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue.")
        if fifo_name != (fifo_attr == "true"):  # a .fifo name needs FifoQueue "true", and only a .fifo name takes it
            raise ServiceError(
                "InvalidParameterValue",
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length.",
            )
        if not fifo_name and fifo_attr == "false":
            raise ServiceError("InvalidAttributeName", "Unknown Attribute FifoQueue.")
        check_attributes(attributes, creating_fifo=fifo_name)
        attributes = self.normalize(attributes, name, fifo=fifo_name)
        attributes = {k: v for k, v in attributes.items() if not (k in REDRIVE_ATTRIBUTES and v == "")}
        existing = self.queues.get(name)
        if existing is not None:
            for key, value in attributes.items():
                if existing.attributes.get(key) != value:
                    raise ServiceError(
                        "QueueAlreadyExists",
                        f"A queue already exists with the same name and a different value for attribute {key}",
                        shape="QueueNameExists",
                    )
            return existing
        deleted_at = self._deleted_at.get(name)
        if deleted_at is not None and self._services.now - deleted_at < RECREATE_WAIT_S:
            raise ServiceError(
                "AWS.SimpleQueueService.QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another queue with the same "
                "name.",
                shape="QueueDeletedRecently",
            )
        queue = Queue(self._services, name, dict(attributes))
        self.queues[name] = queue
        return queue

    def arn(self, name: str) -> str:
        """The ARN of the queue called ``name`` in this account and region (whether or not it exists)."""
        return f"arn:aws:sqs:{self._services.region}:{self._services.account_id}:{name}"

    def normalize(self, attributes: dict[str, str], name: str, *, fifo: bool) -> dict[str, str]:
        """``attributes`` with the redrive policies checked against the account's queues and made compact."""
        out = dict(attributes)
        if out.get("RedrivePolicy"):
            out["RedrivePolicy"] = self.redrive_policy(out["RedrivePolicy"], self.arn(name), fifo=fifo)
        if "RedriveAllowPolicy" in out:
            out["RedriveAllowPolicy"] = redrive_allow_policy(out["RedriveAllowPolicy"])
        return out

    def redrive_policy(self, raw: str, source_arn: str, *, fifo: bool) -> str:
        """Check the ``RedrivePolicy`` of queue ``source_arn`` as SQS does; return SQS's compact form of it.

        The checks, in SQS's order: a JSON map, both mandatory attributes, ``maxReceiveCount`` in 1..1000, a fully
        qualified ARN, no other attribute, an SQS queue in the same region and account, of the same type (standard or
        FIFO, by the ``.fifo`` suffix), that exists and whose ``RedriveAllowPolicy`` allows this source. Every refusal
        is ``InvalidParameterValue``.
        """
        try:
            policy = json.loads(raw)
        except ValueError:
            policy = None
        if not isinstance(policy, dict):
            raise ServiceError(
                "InvalidParameterValue",
                "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
            )
        for key in ("maxReceiveCount", "deadLetterTargetArn"):
            if key not in policy:
                raise _redrive_invalid(raw, f"Redrive policy does not contain mandatory attribute: {key}.")
        count = _max_receive_count(policy["maxReceiveCount"])
        if count is None or not 1 <= count <= MAX_RECEIVE_COUNT:
            raise _redrive_invalid(
                raw,
                f"Invalid value for maxReceiveCount: {_shown(policy['maxReceiveCount'])}, valid values are from 1 to "
                f"{MAX_RECEIVE_COUNT} both inclusive.",
            )
        target = policy["deadLetterTargetArn"]
        parts = target.split(":") if isinstance(target, str) else []
        if len(parts) != 6 or parts[0] != "arn" or not parts[1].startswith("aws") or not all(parts[2:]):
            raise _redrive_invalid(raw, "Dead-letter target ARN should be fully qualified ARN.")
        if len(policy) > 2:
            raise _redrive_invalid(
                raw, "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."
            )
        if parts[2] != "sqs":
            raise _redrive_invalid(raw, "Only SQS queues are valid resources for deadLetterTargetArn.")
        if parts[3] != self._services.region:
            raise _redrive_invalid(raw, "Dead-letter target must be in same region as the source.")
        if parts[4] != self._services.account_id:
            raise _redrive_invalid(raw, "Dead-letter target owner should be same as the source.")
        if parts[5].endswith(".fifo") != fifo:
            raise _redrive_invalid(raw, "Dead-letter queue must be same type of queue as the source..")
        target_queue = self.queues.get(parts[5])
        if target_queue is None:
            raise _redrive_invalid(raw, "Dead letter target does not exist.")
        if not allows_source(target_queue.attributes.get("RedriveAllowPolicy"), source_arn):
            # [model] AWS refuses this; the wording of its reason is not published.
            raise _redrive_invalid(
                raw, f"The RedriveAllowPolicy of {target} does not allow {source_arn} as a source queue."
            )
        return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))

    def dead_letter_sources(self, queue: Queue) -> list[Queue]:
        """The queues whose redrive policy names ``queue``, in name order (``ListDeadLetterSourceQueues``)."""
        return [self.queues[n] for n in sorted(self.queues) if self.queues[n].redrive_target == queue.arn]

    def delete(self, queue: Queue) -> None:
        """Delete ``queue``; its name can be used again 60 s later."""
        queue.deleted = True
        self.queues.pop(queue.name, None)
        self._deleted_at[queue.name] = self._services.now

    def by_name(self, name: str) -> Queue | None:
        """The queue called ``name``, or ``None``."""
        return self.queues.get(name)

    def by_arn(self, arn: str) -> Queue | None:
        """The queue an ARN names, if it exists in this account and region."""
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"]:
            return None
        if parts[3] != self._services.region or parts[4] != self._services.account_id:
            return None
        return self.queues.get(parts[5])

    def by_url(self, url: str) -> Queue | None:
        """The queue a URL names (``https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`` and its older forms)."""
        parts = url.rstrip("/").split("/")
        if len(parts) < 2 or parts[-2] != self._services.account_id:
            return None
        return self.queues.get(parts[-1])
