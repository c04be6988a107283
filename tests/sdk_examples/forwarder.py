"""A handler that sends its event's body to an SQS queue with its own boto3 client, as deployed code does."""

from __future__ import annotations

from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> str:
    sqs = boto3.client("sqs")
    return str(sqs.send_message(QueueUrl=event["url"], MessageBody=event["body"])["MessageId"])
