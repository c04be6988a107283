"""Simulated SQS: standard and FIFO queues with visibility timeouts, delays and retention on the simulated clock.

What is modelled: at-least-once standard queues (messages come back after their visibility timeout), FIFO queues
(order within a message group, a group is blocked while one of its messages is in flight, 5-minute deduplication),
``DelaySeconds``, ``MessageRetentionPeriod``, ``MaximumMessageSize`` and the 60-second rules of ``PurgeQueue`` and of
re-creating a deleted queue. Long polling (``WaitTimeSeconds``) is accepted but does not advance the clock: a
receive returns what is visible now. Redrive policies are stored, not acted on.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from lambdasim.services import ServiceError

if TYPE_CHECKING:
    from lambdasim.services import Services

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
DEDUPLICATION_WINDOW_S = 300.0
PURGE_INTERVAL_S = 60.0
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
        "dedup_id",
        "first_receive_at",
        "group_id",
        "md5_attributes",
        "md5_body",
        "message_id",
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
        self.visible_at = now
        self.receive_count = 0
        self.first_receive_at: float | None = None
        self.receipt: str | None = None
        self.group_id: str | None = None
        self.dedup_id: str | None = None
        self.sequence_number: str | None = None
        self.sender_id = ""


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
        self.receipts: dict[str, str] = {}  # receipt handle -> message id
        self._dedup: dict[str, tuple[float, Message]] = {}
        self._sequence = 0
        self.last_purge: float | None = None
        self.deleted = False
        self.sent = 0
        self.received = 0
        self.deleted_messages = 0

    def _int(self, name: str) -> int:
        return int(self.attributes[name])

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
        self.sent += 1
        return msg

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
        # Messages are in send order, so the expired ones are at the front.
        retention = self._int("MessageRetentionPeriod")
        messages = self.messages
        while messages:
            first = next(iter(messages.values()))
            if now - first.sent_at < retention:
                break
            del messages[first.message_id]

    def receive(self, max_messages: int, visibility_timeout: int | None) -> list[Message]:
        """Up to ``max_messages`` visible messages; each becomes invisible for the visibility timeout."""
        now = self._services.now
        self._expire(now)
        timeout = self._int("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
        taken: list[Message] = []
        blocked: set[str | None] = set()
        for msg in self.messages.values():
            if self.fifo and msg.group_id in blocked:
                continue
            if msg.visible_at > now:
                if self.fifo:
                    blocked.add(msg.group_id)  # a group waits while one of its messages is in flight
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
        self.received += len(taken)
        return taken

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
        msg = self._by_receipt(receipt)
        self.receipts.pop(receipt, None)
        if msg is not None and msg.message_id in self.messages:
            del self.messages[msg.message_id]
            self.deleted_messages += 1

    def change_visibility(self, receipt: str, timeout: int) -> None:
        """Make a received message visible again ``timeout`` seconds from now."""
        msg = self._by_receipt(receipt)
        now = self._services.now
        if msg is None or msg.visible_at <= now:
            raise ServiceError(
                "AWS.SimpleQueueService.MessageNotInflight",
                "Value for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available "
                "for visibility timeout change.",
                shape="MessageNotInflight",
            )
        msg.visible_at = now + timeout

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
        self.messages.clear()
        self.receipts.clear()

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
        if name in ("FifoQueue", "ContentBasedDeduplication") and value not in ("true", "false"):
            raise ServiceError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")
    if creating_fifo is False and attributes.get("ContentBasedDeduplication"):
        raise ServiceError("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.")


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
        fifo_attr = attributes.get("FifoQueue")
        if fifo_name != (fifo_attr == "true"):  # a .fifo name needs FifoQueue "true", and only a .fifo name takes it
            raise ServiceError(
                "InvalidParameterValue",
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length.",
            )
        if not fifo_name and fifo_attr == "false":
            raise ServiceError("InvalidAttributeName", "Unknown Attribute FifoQueue.")
        check_attributes(attributes, creating_fifo=fifo_name)
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
