"""Simulated SNS: standard and FIFO topics fanning out to SQS queues and Lambda functions on the simulated clock.

A publish delivers to every subscription at the same simulated time: an SQS subscriber gets the SNS notification
envelope as the message body (or the raw message with ``RawMessageDelivery``), a Lambda subscriber an asynchronous
invoke with the ``{"Records": [{"EventSource": "aws:sns", ...}]}`` event. ``FilterPolicy`` subscription attributes
filter as SNS's do (:mod:`lambdasim.aws.sns.filter_policy`, on message attributes or, with ``FilterPolicyScope``
``MessageBody``, on the body). A delivery that fails (its queue was deleted, say) goes to the subscription's
``RedrivePolicy`` dead-letter queue if it has one, as SNS's redrive does.

Email, email-json and SMS subscriptions are accepted and counted, never delivered anywhere [model]: an email
subscription stays ``PendingConfirmation`` (SNS waits for its owner to click a link, which no simulated person does),
so it gets nothing; an SMS subscription is confirmed at once and counts each message it would have sent in its
``delivered``. ``Publish`` with ``PhoneNumber`` counts in :attr:`SnsService.sms_published`. Other protocols (http,
https, application, firehose) are refused as not simulated. Each topic counts its publishes and deliveries in
CloudWatch's ``AWS/SNS`` metrics (:mod:`lambdasim.aws.sns.metrics`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError
from lambdasim.aws.sns import filter_policy
from lambdasim.aws.sns.metrics import TopicMetrics
from lambdasim.core.outcome import iso_timestamp

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

MESSAGE_LIMIT_BYTES = 262_144
"""SNS's message size limit: 256 KB (262,144 bytes)."""

PROTOCOLS = ("sqs", "lambda", "email", "email-json", "sms")
UNDELIVERED = ("email", "email-json", "sms")
"""Protocols whose messages are counted, not delivered anywhere."""
PENDING = ("email", "email-json")
"""Protocols whose subscriptions wait for a confirmation (which never comes in a simulation)."""
SMS_ENDPOINT = re.compile(r"\+?[0-9]+([/. -][0-9]+)*")
"""A phone number SNS takes as an SMS endpoint: digits with single separators (``+12/34-567.890``), as recorded."""
PHONE_NUMBER = re.compile(r"\+?[1-9][0-9]{1,14}")
"""A phone number ``Publish`` takes (E.164)."""
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
AWS_PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")


class Subscription:
    """One subscription of a topic.

    Attributes:
        pending: Waiting for a confirmation (email protocols), so getting nothing.
        policy: The parsed ``FilterPolicy``, or ``None``.
        delivered / failed: Messages delivered (or, for email and SMS, counted) and failed; ``filtered``: messages
            its filter policy turned away; ``redriven``: failed messages sent to its dead-letter queue.
    """

    def __init__(self, arn: str, topic: Topic, protocol: str, endpoint: str, attributes: dict[str, str]) -> None:
        self.arn = arn
        self.topic = topic
        self.protocol = protocol
        self.endpoint = endpoint
        self.attributes = dict(attributes)
        self.pending = protocol in PENDING
        self.policy: dict[str, Any] | None = None
        self.delivered = 0
        self.failed = 0
        self.filtered = 0
        self.redriven = 0

    @property
    def raw(self) -> bool:
        """Whether ``RawMessageDelivery`` is on: the subscriber gets the bare message, not the envelope."""
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    @property
    def scope(self) -> str:
        return self.attributes.get("FilterPolicyScope", "MessageAttributes")

    def describe(self, owner: str) -> dict[str, str]:
        """As ``ListSubscriptions`` shows it."""
        return {
            "SubscriptionArn": "PendingConfirmation" if self.pending else self.arn,
            "Owner": owner,
            "Protocol": self.protocol,
            "Endpoint": self.endpoint,
            "TopicArn": self.topic.arn,
        }

    def get_attributes(self, account_id: str) -> dict[str, str]:
        """As ``GetSubscriptionAttributes`` shows them."""
        out = {
            "ConfirmationWasAuthenticated": "false" if self.pending else "true",
            "Endpoint": self.endpoint,
            "Owner": account_id,
            "PendingConfirmation": "true" if self.pending else "false",
            "Protocol": self.protocol,
            "RawMessageDelivery": "true" if self.raw else "false",
            "SubscriptionArn": self.arn,
            "SubscriptionPrincipal": f"arn:aws:iam::{account_id}:root",
            "TopicArn": self.topic.arn,
        }
        for key in ("FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn"):
            if key in self.attributes:
                out[key] = self.attributes[key]
        if "FilterPolicy" in self.attributes:
            out["FilterPolicyScope"] = self.scope
        return out


class Topic:
    """One topic and its subscriptions."""

    def __init__(self, services: Services, name: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.arn = f"arn:aws:sns:{services.region}:{services.account_id}:{name}"
        self.fifo = name.endswith(".fifo")
        self.attributes = dict(attributes)
        self.subscriptions: dict[str, Subscription] = {}
        self.metrics = TopicMetrics(float(services.sim.settings.metrics_period_s))
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
        self.sms_published = 0
        """Messages published straight to a phone number (``Publish`` with ``PhoneNumber``): counted, not sent."""

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
        """Subscribe ``endpoint`` (an SQS queue or Lambda function ARN, an email address, a phone number); idempotent
        for the same endpoint and attributes."""
        if protocol not in AWS_PROTOCOLS:
            raise ServiceError(
                "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: " + protocol
            )
        if protocol not in PROTOCOLS:
            raise ServiceError(
                "InvalidParameter",
                f"Invalid parameter: lambdasim does not simulate the {protocol} protocol, only {', '.join(PROTOCOLS)}",
            )
        if protocol == "sms":
            if not SMS_ENDPOINT.fullmatch(endpoint):
                raise ServiceError("InvalidParameter", f"Invalid SMS endpoint: {endpoint}")
        elif protocol in PENDING:
            if not EMAIL.fullmatch(endpoint):
                raise ServiceError("InvalidParameter", "Invalid parameter: Email address")
        else:
            service = endpoint.split(":")[2] if endpoint.count(":") >= 5 else ""
            if service != protocol:
                raise ServiceError("InvalidParameter", "Invalid parameter: Endpoint")
        sub = Subscription("", topic, protocol, endpoint, {})
        # The scope first: the policy is checked against it.
        for key, value in sorted(attributes.items(), key=lambda item: item[0] != "FilterPolicyScope"):
            problem = self.check_attribute(sub, key, value)
            if problem is not None:
                raise ServiceError("InvalidParameter", f"Invalid parameter: Attributes Reason: {problem}")
            sub.attributes[key] = value
        self._refresh_policy(sub)
        for existing in topic.subscriptions.values():
            if existing.protocol == protocol and existing.endpoint == endpoint:
                if existing.attributes != sub.attributes:
                    raise ServiceError(
                        "InvalidParameter",
                        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
                    )
                return existing
        sub.arn = f"{topic.arn}:{self._services.new_id()}"
        topic.subscriptions[sub.arn] = sub
        return sub

    def check_attribute(self, sub: Subscription, name: str, value: str) -> str | None:
        """What SNS says is wrong with setting subscription attribute ``name`` to ``value`` (``"FilterPolicy: ..."``,
        to follow ``Invalid parameter: `` or ``Invalid parameter: Attributes Reason: ``), or ``None``."""
        if name == "RawMessageDelivery":
            if value.lower() not in ("true", "false"):
                return f"RawMessageDelivery: Invalid value [{value}]. Must be true or false."
        elif name == "FilterPolicyScope":
            if value not in filter_policy.SCOPES:
                return f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            policy = sub.attributes.get("FilterPolicy")
            if policy:
                return self._policy_problem(policy, value)
        elif name == "FilterPolicy" and value:  # an empty string removes the policy
            return self._policy_problem(value, sub.attributes.get("FilterPolicyScope", "MessageAttributes"))
        elif name == "RedrivePolicy" and value:
            return self._redrive_problem(sub, value)
        return None

    @staticmethod
    def _policy_problem(text: str, scope: str) -> str | None:
        try:
            filter_policy.parse(text, scope)
        except filter_policy.FilterPolicyError as exc:
            return exc.reason if exc.nested else f"FilterPolicy: {exc.reason}"
        return None

    def _redrive_problem(self, sub: Subscription, text: str) -> str | None:
        try:
            policy = json.loads(text)
        except ValueError as exc:
            return f"RedrivePolicy: failed to parse JSON. {exc}"
        arn = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) != 6 or parts[2] != "sqs":
            return "RedrivePolicy: deadLetterTargetArn is an invalid arn"
        if sub.topic.fifo and not parts[5].endswith(".fifo"):
            return "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        return None

    def set_attribute(self, sub: Subscription, name: str, value: str) -> None:
        """``SetSubscriptionAttributes`` (the client checked the value with :meth:`check_attribute`)."""
        if name in ("FilterPolicy", "RedrivePolicy") and not value:
            sub.attributes.pop(name, None)
        else:
            sub.attributes[name] = value
        self._refresh_policy(sub)

    @staticmethod
    def _refresh_policy(sub: Subscription) -> None:
        text = sub.attributes.get("FilterPolicy")
        sub.policy = filter_policy.parse(text, sub.scope) if text else None

    def publish_sms(self, phone_number: str, message: str) -> str:
        """``Publish`` to a phone number: checked, counted, sent nowhere; return the ``MessageId``."""
        if not PHONE_NUMBER.fullmatch(phone_number):
            raise ServiceError(
                "InvalidParameter", f"Invalid parameter: PhoneNumber Reason: {phone_number} is not valid to publish to"
            )
        if len(message.encode()) > MESSAGE_LIMIT_BYTES:
            raise ServiceError("InvalidParameter", "Invalid parameter: Message too long")
        self.sms_published += 1
        return self._services.new_id()

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
        now = self._services.now
        counts = topic.metrics
        counts.count("NumberOfMessagesPublished", now)
        for sub in list(topic.subscriptions.values()):
            if sub.pending:
                continue
            if not self._wanted(sub, message, attributes):
                sub.filtered += 1
                counts.count("NumberOfNotificationsFilteredOut", now)
                continue
            if sub.protocol in UNDELIVERED:
                sub.delivered += 1
                counts.count("NumberOfNotificationsDelivered", now)
                continue
            try:
                self._deliver(sub, message_id, message, subject, attributes, group_id, dedup_id)
            except ServiceError:
                sub.failed += 1
                counts.count("NumberOfNotificationsFailed", now)
                self._redrive(sub, message_id, message, subject, attributes, group_id)
            else:
                sub.delivered += 1
                counts.count("NumberOfNotificationsDelivered", now)
        return message_id, sequence

    def _redrive(
        self,
        sub: Subscription,
        message_id: str,
        message: str,
        subject: str | None,
        attributes: dict[str, dict[str, Any]],
        group_id: str | None,
    ) -> None:
        """Send a message that could not be delivered to the subscription's dead-letter queue, if it has one (as
        SNS does, with the envelope as the body; a missing queue loses it)."""
        text = sub.attributes.get("RedrivePolicy")
        if not text:
            return
        queue = self._services.sqs.by_arn(json.loads(text)["deadLetterTargetArn"])
        if queue is None:
            return
        body = json.dumps(self._envelope(sub, message_id, message, subject, attributes, lambda_style=False))
        try:
            queue.send(body, {}, group_id=group_id, dedup_id=message_id if queue.fifo else None)
        except ServiceError:
            return
        sub.redriven += 1

    @staticmethod
    def _wanted(sub: Subscription, message: str, attributes: dict[str, dict[str, Any]]) -> bool:
        policy = sub.policy
        if policy is None:
            return True
        if sub.scope == "MessageBody":
            try:
                body = json.loads(message)
            except ValueError:
                return False
            return filter_policy.matches(policy, body)
        return filter_policy.matches(policy, filter_policy.attribute_values(attributes))

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
