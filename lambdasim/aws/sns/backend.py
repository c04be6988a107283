"""Simulated SNS: standard and FIFO topics fanning out to SQS queues and Lambda functions on the simulated clock.

A publish delivers to every subscription at the same simulated time: an SQS subscriber gets the SNS notification
envelope as the message body (or the raw message with ``RawMessageDelivery``), a Lambda subscriber an asynchronous
invoke with the ``{"Records": [{"EventSource": "aws:sns", ...}]}`` event. ``FilterPolicy`` subscription attributes are
matched with the EventBridge pattern rules of :mod:`lambdasim.aws.events.backend` (on message attributes, or on the
body with ``FilterPolicyScope`` ``MessageBody``). Other protocols (http, email, sms, ...) are not simulated.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.aws.events.backend import check_pattern, matches
from lambdasim.core.outcome import iso_timestamp

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

MESSAGE_LIMIT_BYTES = 262_144
"""SNS's message size limit: 256 KB (262,144 bytes)."""

PROTOCOLS = ("sqs", "lambda")
AWS_PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")


class Subscription:
    """One subscription of a topic."""

    def __init__(self, arn: str, topic: Topic, protocol: str, endpoint: str, attributes: dict[str, str]) -> None:
        self.arn = arn
        self.topic = topic
        self.protocol = protocol
        self.endpoint = endpoint
        self.attributes = dict(attributes)
        self.delivered = 0
        self.failed = 0

    @property
    def raw(self) -> bool:
        """Whether ``RawMessageDelivery`` is on: the subscriber gets the bare message, not the envelope."""
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    def describe(self, owner: str) -> dict[str, str]:
        """As ``ListSubscriptions`` shows it."""
        return {
            "SubscriptionArn": self.arn,
            "Owner": owner,
            "Protocol": self.protocol,
            "Endpoint": self.endpoint,
            "TopicArn": self.topic.arn,
        }


class Topic:
    """One topic and its subscriptions."""

    def __init__(self, services: Services, name: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.arn = f"arn:aws:sns:{services.region}:{services.account_id}:{name}"
        self.fifo = name.endswith(".fifo")
        self.attributes = dict(attributes)
        self.subscriptions: dict[str, Subscription] = {}
        self.deleted = False
        self._sequence = 0

    def next_sequence(self) -> str:
        """The next ``SequenceNumber`` of a FIFO topic (20 digits)."""
        self._sequence += 1
        return f"{self._sequence:020d}"


class SnsService:
    """The account's topics."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.topics: dict[str, Topic] = {}  # by ARN

    def create(self, name: str, attributes: dict[str, str]) -> Topic:
        """Create a topic, or return the existing one (``CreateTopic`` is idempotent)."""
        fifo_name = name.endswith(".fifo")
        base = name[: -len(".fifo")] if fifo_name else name
        if not base or len(name) > 256 or not all(c.isalnum() or c in "-_" for c in base):
            raise ServiceError("InvalidParameter", "Invalid parameter: Topic Name")
        fifo_attr = attributes.get("FifoTopic", "false").lower() == "true"
        if fifo_attr != fifo_name:
            raise ServiceError(
                "InvalidParameter",
                "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and "
                "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 "
                "characters long.",
            )
        arn = f"arn:aws:sns:{self._services.region}:{self._services.account_id}:{name}"
        existing = self.topics.get(arn)
        if existing is not None:
            return existing
        topic = Topic(self._services, name, attributes)
        self.topics[arn] = topic
        return topic

    def by_arn(self, arn: str) -> Topic | None:
        """The topic ``arn`` names, or ``None``."""
        return self.topics.get(arn)

    def delete(self, topic: Topic) -> None:
        """Delete ``topic`` and, with it, its subscriptions."""
        topic.deleted = True
        self.topics.pop(topic.arn, None)

    def subscription(self, arn: str) -> Subscription | None:
        """The subscription ``arn`` names, or ``None``."""
        topic_arn = arn.rsplit(":", 1)[0]
        topic = self.topics.get(topic_arn)
        return None if topic is None else topic.subscriptions.get(arn)

    def subscribe(self, topic: Topic, protocol: str, endpoint: str, attributes: dict[str, str]) -> Subscription:
        """Subscribe ``endpoint`` (an SQS queue or Lambda function ARN); idempotent for the same endpoint."""
        if protocol not in AWS_PROTOCOLS:
            raise ServiceError(
                "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: " + protocol
            )
        if protocol not in PROTOCOLS:
            raise ServiceError(
                "InvalidParameter",
                f"Invalid parameter: lambdasim simulates the sqs and lambda protocols only, not {protocol}",
            )
        service = endpoint.split(":")[2] if endpoint.count(":") >= 5 else ""
        if service != protocol:
            raise ServiceError("InvalidParameter", "Invalid parameter: Endpoint")
        for key, value in attributes.items():
            if key == "FilterPolicy":
                try:
                    check_pattern(json.loads(value))
                except (ValueError, ServiceError) as exc:
                    raise ServiceError("InvalidParameter", f"Invalid parameter: FilterPolicy: {exc}") from None
        for sub in topic.subscriptions.values():
            if sub.protocol == protocol and sub.endpoint == endpoint:
                return sub
        arn = f"{topic.arn}:{self._services.new_id()}"
        sub = Subscription(arn, topic, protocol, endpoint, attributes)
        topic.subscriptions[arn] = sub
        return sub

    def publish(
        self,
        topic: Topic,
        message: str,
        *,
        subject: str | None = None,
        attributes: dict[str, dict[str, Any]] | None = None,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> tuple[str, str | None]:
        """Publish and fan out now; return ``(MessageId, SequenceNumber)``."""
        if len(message.encode()) > MESSAGE_LIMIT_BYTES:
            raise ServiceError("InvalidParameter", "Invalid parameter: Message too long")
        if topic.fifo and group_id is None:
            raise ServiceError(
                "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
            )
        attributes = attributes or {}
        message_id = self._services.new_id()
        sequence = topic.next_sequence() if topic.fifo else None
        for sub in list(topic.subscriptions.values()):
            try:
                if not self._wanted(sub, message, attributes):
                    continue
                self._deliver(sub, message_id, message, subject, attributes, group_id, dedup_id)
            except ServiceError:
                sub.failed += 1
            else:
                sub.delivered += 1
        return message_id, sequence

    def _wanted(self, sub: Subscription, message: str, attributes: dict[str, dict[str, Any]]) -> bool:
        policy = sub.attributes.get("FilterPolicy")
        if not policy:
            return True
        if sub.attributes.get("FilterPolicyScope") == "MessageBody":
            try:
                body = json.loads(message)
            except ValueError:
                return False
            return isinstance(body, dict) and matches(json.loads(policy), body)
        flat: dict[str, Any] = {}
        for name, attr in attributes.items():
            value = attr.get("StringValue")
            if attr.get("DataType", "").startswith("Number") and value is not None:
                value = float(value)
            elif attr.get("DataType") == "String.Array" and value is not None:
                value = json.loads(value)
            flat[name] = value
        return matches(json.loads(policy), flat)

    def _envelope(
        self,
        sub: Subscription,
        message_id: str,
        message: str,
        subject: str | None,
        attributes: dict[str, dict[str, Any]],
        *,
        lambda_style: bool,
    ) -> dict[str, Any]:
        region = self._services.region
        signature = base64.b64encode(hashlib.sha256(message_id.encode()).digest()).decode()
        cert = f"https://sns.{region}.amazonaws.com/SimpleNotificationService-lambdasim.pem"
        unsubscribe = f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub.arn}"
        envelope: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": sub.topic.arn,
        }
        if subject is not None or lambda_style:
            envelope["Subject"] = subject
        envelope["Message"] = message
        envelope["Timestamp"] = iso_timestamp(self._services.epoch())
        envelope["SignatureVersion"] = "1"
        envelope["Signature"] = signature
        # The Lambda event spells these two with "Url", the SQS envelope with "URL", as AWS does.
        envelope["SigningCertUrl" if lambda_style else "SigningCertURL"] = cert
        envelope["UnsubscribeUrl" if lambda_style else "UnsubscribeURL"] = unsubscribe
        converted = {
            name: {"Type": attr["DataType"], "Value": attr.get("StringValue", attr.get("BinaryValue"))}
            for name, attr in attributes.items()
        }
        if converted or lambda_style:
            envelope["MessageAttributes"] = converted
        return envelope

    def _deliver(
        self,
        sub: Subscription,
        message_id: str,
        message: str,
        subject: str | None,
        attributes: dict[str, dict[str, Any]],
        group_id: str | None,
        dedup_id: str | None,
    ) -> None:
        services = self._services
        if sub.protocol == "lambda":
            envelope = self._envelope(sub, message_id, message, subject, attributes, lambda_style=True)
            event = {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "EventVersion": "1.0",
                        "EventSubscriptionArn": sub.arn,
                        "Sns": envelope,
                    }
                ]
            }
            services.invoke_async(sub.endpoint, event)
            return
        queue = services.sqs.by_arn(sub.endpoint)
        if queue is None:
            raise ServiceError("NotFound", f"Queue {sub.endpoint} does not exist")
        if queue.fifo and not sub.topic.fifo:
            raise ServiceError("InvalidParameter", "A standard topic cannot deliver to a FIFO queue")
        if sub.raw:
            sqs_attributes = {
                name: {k: v for k, v in attr.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for name, attr in attributes.items()
            }
            body = message
        else:
            sqs_attributes = {}
            body = json.dumps(self._envelope(sub, message_id, message, subject, attributes, lambda_style=False))
        queue.send(body, sqs_attributes, group_id=group_id, dedup_id=dedup_id or (message_id if queue.fifo else None))
