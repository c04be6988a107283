"""``sim.client("sns")``: the SNS API on the simulated clock, in boto3's shapes and SNS's error words.

Operations: ``create_topic``, ``get_topic_attributes``, ``list_topics``, ``delete_topic``, ``subscribe`` (``sqs``,
``lambda``, ``email``, ``email-json`` and ``sms`` protocols), ``unsubscribe``, ``list_subscriptions``,
``list_subscriptions_by_topic``, ``get_subscription_attributes``, ``set_subscription_attributes`` (filter policies,
raw delivery, redrive), ``publish`` (to a topic, or to a ``PhoneNumber``). See :mod:`lambdasim.aws.sns.backend` for
what the topics model.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, decode_token, encode_token
from lambdasim.aws.account import ServiceError
from lambdasim.aws.sns._shapes import OPERATIONS, SHAPES
from lambdasim.aws.sns.backend import SUBSCRIPTION_ATTRIBUTES, Subscription, Topic

PAGE = 100


class SnsClient(ServiceClient):
    """The simulated SNS service. Every method takes and returns what boto3's SNS client does."""

    service_name = "sns"
    invalid_parameter = ("InvalidParameter", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    error_codes = ("InvalidParameter", "NotFound", "ParameterValueInvalid", "AuthorizationError")
    aliases: ClassVar[dict[str, str]] = {
        "InvalidParameterException": "InvalidParameter",
        "NotFoundException": "NotFound",
        "InvalidParameterValueException": "ParameterValueInvalid",
        "AuthorizationErrorException": "AuthorizationError",
    }

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListSubscriptions": {"input_token": "NextToken", "output_token": "NextToken", "result_key": "Subscriptions"},
        "ListSubscriptionsByTopic": {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "result_key": "Subscriptions",
        },
        "ListTopics": {"input_token": "NextToken", "output_token": "NextToken", "result_key": "Topics"},
    }

    def _topic(self, arn: str, op: str) -> Topic:
        topic = self._services.sns.by_arn(arn)
        if topic is None:
            raise self._fail(ServiceError("NotFound", "Topic does not exist", 404, error_extra={"Type": "Sender"}), op)
        return topic

    def _page(self, items: list[dict[str, Any]], token: str | None, key: str, op: str) -> dict[str, Any]:
        start = 0
        if token is not None:
            position = decode_token(token)
            if position is None:
                raise self._fail(ServiceError("InvalidParameter", "Invalid parameter: NextToken"), op)
            start = position
        out: dict[str, Any] = {key: items[start : start + PAGE]}
        if start + PAGE < len(items):
            out["NextToken"] = encode_token(start + PAGE)
        out["ResponseMetadata"] = self._metadata()
        return out

    # -- topics -----------------------------------------------------------------------------------------------

    def create_topic(self, **params: Any) -> dict[str, Any]:
        """Create a topic (``Name`` ending ``.fifo`` with ``FifoTopic="true"`` for FIFO); idempotent."""
        op = self._call("create_topic", params)
        with self._client_errors(op):
            topic = self._services.sns.create(params["Name"], dict(params.get("Attributes", {})))
        return {"TopicArn": topic.arn, "ResponseMetadata": self._metadata()}

    def get_topic_attributes(self, **params: Any) -> dict[str, Any]:
        """The topic's attributes, with subscription counts."""
        op = self._call("get_topic_attributes", params)
        topic = self._topic(params["TopicArn"], op)
        attributes = {
            "TopicArn": topic.arn,
            "Owner": self._sim.account_id,
            "DisplayName": "",
            "SubscriptionsConfirmed": str(sum(not s.pending for s in topic.subscriptions.values())),
            "SubscriptionsPending": str(sum(s.pending for s in topic.subscriptions.values())),
            "SubscriptionsDeleted": "0",
            **topic.attributes,
        }
        if topic.fifo:
            attributes.setdefault("ContentBasedDeduplication", "false")
        return {"Attributes": attributes, "ResponseMetadata": self._metadata()}

    def list_topics(self, **params: Any) -> dict[str, Any]:
        """Topic ARNs, 100 at a time."""
        op = self._call("list_topics", params)
        items = [{"TopicArn": arn} for arn in sorted(self._services.sns.topics)]
        return self._page(items, params.get("NextToken"), "Topics", op)

    def delete_topic(self, **params: Any) -> dict[str, Any]:
        """Delete a topic and its subscriptions (deleting a missing topic succeeds, as on AWS)."""
        self._call("delete_topic", params)
        topic = self._services.sns.by_arn(params["TopicArn"])
        if topic is not None:
            self._services.sns.delete(topic)
        return {"ResponseMetadata": self._metadata()}

    # -- subscriptions ----------------------------------------------------------------------------------------

    def subscribe(self, **params: Any) -> dict[str, Any]:
        """Subscribe an SQS queue or Lambda function (confirmed at once, as for these protocols on AWS)."""
        op = self._call("subscribe", params)
        topic = self._topic(params["TopicArn"], op)
        if "Endpoint" not in params:
            raise self._fail(ServiceError("InvalidParameter", "Invalid parameter: Endpoint"), op)
        attributes = dict(params.get("Attributes", {}))
        for key in attributes:
            if key not in SUBSCRIPTION_ATTRIBUTES:
                raise self._fail(
                    ServiceError("InvalidParameter", f"Invalid parameter: Attributes Reason: Unknown attribute {key}"),
                    op,
                )
        with self._client_errors(op):
            sub = self._services.sns.subscribe(topic, params["Protocol"], params["Endpoint"], attributes)
        # An email subscription waits for its owner's confirmation: SNS answers "pending confirmation" unless asked
        # for the ARN.
        arn = "pending confirmation" if sub.pending and not params.get("ReturnSubscriptionArn") else sub.arn
        return {"SubscriptionArn": arn, "ResponseMetadata": self._metadata()}

    def _subscription(self, arn: str, op: str) -> Subscription:
        sub = self._services.sns.subscription(arn)
        if sub is None:
            raise self._fail(ServiceError("NotFound", "Subscription does not exist", 404), op)
        return sub

    def get_subscription_attributes(self, **params: Any) -> dict[str, Any]:
        """A subscription's attributes (its filter policy, raw delivery, confirmation, ...)."""
        op = self._call("get_subscription_attributes", params)
        sub = self._subscription(params["SubscriptionArn"], op)
        return {"Attributes": sub.get_attributes(self._sim.account_id), "ResponseMetadata": self._metadata()}

    def set_subscription_attributes(self, **params: Any) -> dict[str, Any]:
        """Set one subscription attribute: ``FilterPolicy`` (checked and then applied to every later publish),
        ``FilterPolicyScope``, ``RawMessageDelivery``, ``RedrivePolicy``, ``DeliveryPolicy``,
        ``SubscriptionRoleArn`` or ``ReplayPolicy``."""
        op = self._call("set_subscription_attributes", params)
        name = params["AttributeName"]
        if name not in SUBSCRIPTION_ATTRIBUTES:
            raise self._fail(ServiceError("InvalidParameter", "Invalid parameter: AttributeName"), op)
        sub = self._subscription(params["SubscriptionArn"], op)
        value = params.get("AttributeValue", "")
        sns = self._services.sns
        problem = sns.check_attribute(sub, name, value)
        if problem is not None:
            raise self._fail(ServiceError("InvalidParameter", f"Invalid parameter: {problem}"), op)
        sns.set_attribute(sub, name, value)
        return {"ResponseMetadata": self._metadata()}

    def unsubscribe(self, **params: Any) -> dict[str, Any]:
        """Remove a subscription."""
        op = self._call("unsubscribe", params)
        sub = self._services.sns.subscription(params["SubscriptionArn"])
        if sub is None:
            raise self._fail(ServiceError("NotFound", "Subscription does not exist", 404), op)
        del sub.topic.subscriptions[sub.arn]
        return {"ResponseMetadata": self._metadata()}

    def list_subscriptions(self, **params: Any) -> dict[str, Any]:
        """Every subscription, 100 at a time."""
        op = self._call("list_subscriptions", params)
        owner = self._sim.account_id
        items = [
            sub.describe(owner)
            for arn in sorted(self._services.sns.topics)
            for sub in self._services.sns.topics[arn].subscriptions.values()
        ]
        return self._page(items, params.get("NextToken"), "Subscriptions", op)

    def list_subscriptions_by_topic(self, **params: Any) -> dict[str, Any]:
        """The topic's subscriptions, 100 at a time."""
        op = self._call("list_subscriptions_by_topic", params)
        topic = self._topic(params["TopicArn"], op)
        owner = self._sim.account_id
        items = [sub.describe(owner) for sub in topic.subscriptions.values()]
        return self._page(items, params.get("NextToken"), "Subscriptions", op)

    # -- publishing -------------------------------------------------------------------------------------------

    def publish(self, **params: Any) -> dict[str, Any]:
        """Publish to a topic (subscribers get it at the same simulated time), or to a ``PhoneNumber`` (counted in
        ``SnsService.sms_published``, sent nowhere)."""
        op = self._call("publish", params)
        arn = params.get("TopicArn", params.get("TargetArn"))
        if arn is None and "PhoneNumber" in params:
            with self._client_errors(op):
                message_id = self._services.sns.publish_sms(params["PhoneNumber"], params["Message"])
            return {"MessageId": message_id, "ResponseMetadata": self._metadata()}
        if arn is None:
            raise self._fail(
                ServiceError(
                    "InvalidParameter",
                    "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
                ),
                op,
            )
        topic = self._topic(arn, op)
        message = params["Message"]
        if params.get("MessageStructure") == "json":
            try:
                structure = json.loads(message)
            except ValueError:
                structure = None
            if not isinstance(structure, dict) or "default" not in structure:
                raise self._fail(
                    ServiceError(
                        "InvalidParameter",
                        "Invalid parameter: Message Structure - No default entry in JSON message body",
                    ),
                    op,
                )
            message = structure.get("sqs", structure["default"])
        attributes: dict[str, dict[str, Any]] = {}
        for name, attr in params.get("MessageAttributes", {}).items():
            if (
                not isinstance(attr, dict)
                or "DataType" not in attr
                or not (attr.get("StringValue") or attr.get("BinaryValue"))
            ):
                raise self._fail(
                    ServiceError(
                        "ParameterValueInvalid",
                        f"The message attribute '{name}' must contain non-empty message attribute value.",
                    ),
                    op,
                )
            attributes[name] = dict(attr)
        with self._client_errors(op):
            message_id, sequence = self._services.sns.publish(
                topic,
                message,
                subject=params.get("Subject"),
                attributes=attributes,
                group_id=params.get("MessageGroupId"),
                dedup_id=params.get("MessageDeduplicationId"),
            )
        out: dict[str, Any] = {"MessageId": message_id}
        if sequence is not None:
            out["SequenceNumber"] = sequence
        out["ResponseMetadata"] = self._metadata()
        return out
