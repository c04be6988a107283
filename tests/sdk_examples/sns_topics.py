"""SNS with the boto3 resource, in the style of AWS's SDK examples (``sns_basics.py``): a topic fanning out
to queues."""

from __future__ import annotations

import json
from typing import Any


class SnsWrapper:
    """Encapsulates SNS topic and subscription functions."""

    def __init__(self, sns_resource: Any) -> None:
        self.sns_resource = sns_resource

    def create_topic(self, name: str) -> Any:
        return self.sns_resource.create_topic(Name=name)

    def list_topics(self) -> list[str]:
        return [t.arn for t in self.sns_resource.topics.all()]

    @staticmethod
    def subscribe(topic: Any, protocol: str, endpoint: str) -> Any:
        return topic.subscribe(Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True)

    @staticmethod
    def publish_message(topic: Any, message: str, attributes: dict[str, str]) -> str:
        att_dict = {key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()}
        return str(topic.publish(Message=message, MessageAttributes=att_dict)["MessageId"])


def usage_demo(sns: Any, sqs: Any) -> dict[str, Any]:
    """A topic, two queues subscribed to it, three messages; what each queue got."""
    wrapper = SnsWrapper(sns)
    topic = wrapper.create_topic("demo-basics-topic")
    queues = [sqs.create_queue(QueueName=f"demo-basics-queue-{i}") for i in (1, 2)]
    subscriptions = [wrapper.subscribe(topic, "sqs", q.attributes["QueueArn"]) for q in queues]
    ids = [wrapper.publish_message(topic, f"message {i}", {"mood": "cheerful"}) for i in range(3)]
    seen: dict[str, Any] = {"topics": wrapper.list_topics(), "published": len(set(ids))}
    for q in queues:
        bodies = [json.loads(m.body) for m in q.receive_messages(MaxNumberOfMessages=10)]
        seen[q.url] = sorted((b["Type"], b["Message"], b["MessageAttributes"]["mood"]["Value"]) for b in bodies)
    seen["subscriptions"] = sorted(s.arn == t.arn for s in topic.subscriptions.all() for t in subscriptions)
    for sub in subscriptions:
        sub.delete()
    topic.delete()
    seen["left"] = wrapper.list_topics()
    return seen
