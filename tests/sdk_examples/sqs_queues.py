"""SQS with the boto3 resource, in the style of AWS's SDK examples (``queue_wrapper.py``, ``message_wrapper.py``)."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


def create_queue(sqs: Any, name: str, attributes: dict[str, str] | None = None) -> Any:
    queue = sqs.create_queue(QueueName=name, Attributes=attributes or {})
    logger.info("Created queue '%s' with URL=%s", name, queue.url)
    return queue


def get_queue(sqs: Any, name: str) -> Any:
    try:
        return sqs.get_queue_by_name(QueueName=name)
    except ClientError:
        logger.exception("Couldn't get queue named %s.", name)
        raise


def send_messages(queue: Any, messages: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [
        {"Id": str(ind), "MessageBody": msg["body"], "MessageAttributes": msg["attributes"]}
        for ind, msg in enumerate(messages)
    ]
    return dict(queue.send_messages(Entries=entries))


def receive_messages(queue: Any, max_number: int, wait_time: int) -> list[Any]:
    return list(
        queue.receive_messages(MessageAttributeNames=["All"], MaxNumberOfMessages=max_number, WaitTimeSeconds=wait_time)
    )


def delete_messages(queue: Any, messages: list[Any]) -> dict[str, Any]:
    return dict(
        queue.delete_messages(
            Entries=[{"Id": str(ind), "ReceiptHandle": msg.receipt_handle} for ind, msg in enumerate(messages)]
        )
    )


def usage_demo(sqs: Any) -> dict[str, Any]:
    """Make queues, send a batch, read it back, delete it; return what the demo prints."""
    seen: dict[str, Any] = {}
    queue = create_queue(sqs, "sqs-usage-demo-message-wrapper", {"MaximumMessageSize": str(1024), "DelaySeconds": "0"})
    create_queue(sqs, "sqs-usage-demo-other")
    seen["queues"] = sorted(q.url for q in sqs.queues.all())
    seen["by name"] = get_queue(sqs, "sqs-usage-demo-message-wrapper").url
    try:
        get_queue(sqs, "sqs-usage-demo-missing")
    except ClientError as err:
        seen["missing"] = err.response["Error"]["Code"]
    lines = [
        "Half a league, half a league,",
        "Half a league onward,",
        "All in the valley of Death",
        "Rode the six hundred.",
    ]
    sent = send_messages(
        queue,
        [
            {"body": line, "attributes": {"line": {"StringValue": str(i), "DataType": "String"}}}
            for i, line in enumerate(lines)
        ],
    )
    seen["sent"] = sorted(entry["Id"] for entry in sent["Successful"])
    received: list[Any] = []
    while batch := receive_messages(queue, 10, 1):
        received.extend(batch)
        delete_messages(queue, batch)
    seen["received"] = sorted((int(m.message_attributes["line"]["StringValue"]), m.body) for m in received)
    queue.load()
    seen["attributes"] = {k: queue.attributes[k] for k in ("MaximumMessageSize", "ApproximateNumberOfMessages")}
    for q in list(sqs.queues.all()):
        q.delete()
    seen["left"] = list(sqs.queues.all())
    return seen
