"""``sim.client("sqs")``: the SQS API on the simulated clock, in boto3's shapes and SQS's error words.

Operations: ``create_queue`` (standard and FIFO), ``get_queue_url``, ``get_queue_attributes``,
``set_queue_attributes``, ``send_message``, ``send_message_batch``, ``receive_message``, ``delete_message``,
``delete_message_batch``, ``change_message_visibility``, ``purge_queue``, ``list_queues``,
``list_dead_letter_source_queues``, ``delete_queue``. Queue attributes include ``RedrivePolicy`` and
``RedriveAllowPolicy`` (dead-letter queues); messages moved to a dead-letter queue carry the
``DeadLetterQueueSourceArn`` system attribute. See :mod:`lambdasim.aws.sqs.backend` for what the queues model.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, decode_token, encode_token
from lambdasim.aws.account import ServiceError
from lambdasim.aws.errors import ClientError
from lambdasim.aws.sqs._shapes import OPERATIONS, SHAPES
from lambdasim.aws.sqs.backend import (
    READ_ONLY,
    SETTABLE,
    Message,
    Queue,
    check_attributes,
    md5_of_attributes,
    with_booleans_lowered,
)
from lambdasim.aws.sqs.long_poll import wait_for_message

DATA_TYPES = ("String", "Number", "Binary")
MAX_BATCH = 10


class SqsClient(ServiceClient):
    """The simulated SQS service. Every method takes and returns what boto3's SQS client does."""

    service_name = "sqs"
    operations = OPERATIONS
    input_shapes = SHAPES
    error_codes = (
        "QueueDoesNotExist",
        "QueueNameExists",
        "QueueDeletedRecently",
        "ReceiptHandleIsInvalid",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "InvalidParameterValue",
        "MissingParameter",
        "PurgeQueueInProgress",
        "MessageNotInflight",
        "InvalidMessageContents",
        "EmptyBatchRequest",
        "TooManyEntriesInBatchRequest",
        "BatchEntryIdsNotDistinct",
        "InvalidBatchEntryId",
    )

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListQueues": {
            "input_token": "NextToken",
            "limit_key": "MaxResults",
            "output_token": "NextToken",
            "result_key": "QueueUrls",
        },
        "ListDeadLetterSourceQueues": {
            "input_token": "NextToken",
            "limit_key": "MaxResults",
            "output_token": "NextToken",
            "result_key": "queueUrls",
        },
    }

    # -- helpers ----------------------------------------------------------------------------------------------

    def _queue(self, url: str, op: str) -> Queue:
        queue = self._services.sqs.by_url(url)
        if queue is None:
            raise self._invalid(
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist.",
                op,
                shape="QueueDoesNotExist",
            )
        return queue

    def _range(self, op: str, name: str, value: int | None, low: int, high: int, reason: str) -> None:
        if value is not None and not low <= value <= high:
            raise self._invalid(
                "InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}", op
            )

    def _check_message_attributes(self, op: str, attributes: dict[str, Any]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, attr in attributes.items():
            if not isinstance(attr, dict) or "DataType" not in attr:
                raise self._invalid(
                    "InvalidParameterValue",
                    f"The message attribute '{name}' must contain non-empty message attribute type.",
                    op,
                )
            data_type = attr["DataType"]
            if data_type.split(".", 1)[0] not in DATA_TYPES:
                raise self._invalid(
                    "InvalidParameterValue",
                    f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
                    "supported type prefixes: Binary, Number, String.",
                    op,
                )
            if data_type.startswith("Binary"):
                if not attr.get("BinaryValue"):
                    raise self._invalid(
                        "InvalidParameterValue",
                        f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'.",
                        op,
                    )
            elif not attr.get("StringValue"):
                raise self._invalid(
                    "InvalidParameterValue",
                    f"Message (user) attribute '{name}' must contain a non-empty value of type "
                    f"'{data_type.split('.', 1)[0]}'.",
                    op,
                )
            elif data_type.startswith("Number"):
                try:
                    float(attr["StringValue"])
                except ValueError:
                    raise self._invalid(
                        "InvalidParameterValue",
                        f"Can't cast the value of message (user) attribute '{name}' to a number.",
                        op,
                    ) from None
            out[name] = {k: v for k, v in attr.items() if k in ("DataType", "StringValue", "BinaryValue")}
        return out

    def _send(self, op: str, queue: Queue, entry: dict[str, Any]) -> Message:
        self._range(op, "DelaySeconds", entry.get("DelaySeconds"), 0, 900, "Must be >= 0 and <= 900, if provided.")
        if queue.fifo and entry.get("DelaySeconds"):
            raise self._invalid(
                "InvalidParameterValue",
                f"Value {entry['DelaySeconds']} for parameter DelaySeconds is invalid. Reason: The request include "
                "parameter that is not valid for this queue type.",
                op,
            )
        body = entry["MessageBody"]
        if not body:
            raise self._invalid("MissingParameter", "The request must contain the parameter MessageBody.", op)
        attributes = self._check_message_attributes(op, entry.get("MessageAttributes", {}))
        with self._client_errors(op):
            return queue.send(
                body,
                attributes,
                delay_s=entry.get("DelaySeconds"),
                group_id=entry.get("MessageGroupId"),
                dedup_id=entry.get("MessageDeduplicationId"),
            )

    # -- queues -----------------------------------------------------------------------------------------------

    def create_queue(self, **params: Any) -> dict[str, Any]:
        """Create a queue (a name ending ``.fifo`` with ``FifoQueue="true"`` makes a FIFO queue); idempotent."""
        op = self._call("create_queue", params)
        with self._client_errors(op):
            queue = self._services.sqs.create(params["QueueName"], dict(params.get("Attributes", {})))
        return {"QueueUrl": queue.url, "ResponseMetadata": self._metadata()}

    def get_queue_url(self, **params: Any) -> dict[str, Any]:
        """The URL of a queue by name."""
        op = self._call("get_queue_url", params)
        owner = params.get("QueueOwnerAWSAccountId")
        queue = self._services.sqs.by_name(params["QueueName"])
        if queue is None or owner not in (None, self._sim.account_id):
            raise self._invalid(
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist.",
                op,
                shape="QueueDoesNotExist",
            )
        return {"QueueUrl": queue.url, "ResponseMetadata": self._metadata()}

    def get_queue_attributes(self, **params: Any) -> dict[str, Any]:
        """The attributes named (``All`` for every one); no ``Attributes`` key when none are asked for."""
        op = self._call("get_queue_attributes", params)
        queue = self._queue(params["QueueUrl"], op)
        names = list(params.get("AttributeNames", []))
        values = queue.attribute_values()
        out: dict[str, Any] = {}
        if names:
            for name in names:
                if name != "All" and name not in (*SETTABLE, *READ_ONLY):
                    raise self._invalid("InvalidAttributeName", f"Unknown Attribute {name}.", op)
            wanted = values if "All" in names else {n: values[n] for n in names if n in values}
            if wanted:
                out["Attributes"] = wanted
        out["ResponseMetadata"] = self._metadata()
        return out

    def set_queue_attributes(self, **params: Any) -> dict[str, Any]:
        """Change attributes (``FifoQueue`` cannot change: a FIFO queue takes ``"true"`` again; ``RedrivePolicy=""``
        removes the redrive policy)."""
        op = self._call("set_queue_attributes", params)
        queue = self._queue(params["QueueUrl"], op)
        attributes = with_booleans_lowered(dict(params["Attributes"]))
        with self._client_errors(op):
            check_attributes(attributes, creating_fifo=queue.fifo)
        if "FifoQueue" in attributes:
            # As recorded on AWS: a standard queue has no such attribute; a FIFO queue takes "true" (no change) and
            # refuses "false".
            if not queue.fifo:
                raise self._invalid("InvalidAttributeName", "Unknown Attribute FifoQueue.", op)
            if attributes.pop("FifoQueue") != "true":
                raise self._invalid(
                    "InvalidAttributeValue",
                    "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                    op,
                )
        with self._client_errors(op):
            attributes = self._services.sqs.normalize(attributes, queue.name, fifo=queue.fifo)
        queue.configure(attributes)
        return {"ResponseMetadata": self._metadata()}

    def list_queues(self, **params: Any) -> dict[str, Any]:
        """Queue URLs in name order, optionally by prefix; paged with ``MaxResults`` (1..1000) and ``NextToken``."""
        op = self._call("list_queues", params)
        prefix = params.get("QueueNamePrefix", "")
        names = sorted(n for n in self._services.sqs.queues if n.startswith(prefix))
        urls, token = self._page(op, params, [self._services.sqs.queues[n].url for n in names])
        out: dict[str, Any] = {}
        if urls:
            out["QueueUrls"] = urls
        if token is not None:
            out["NextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def list_dead_letter_source_queues(self, **params: Any) -> dict[str, Any]:
        """URLs of the queues whose ``RedrivePolicy`` names this queue, in name order; paged as ``list_queues``.

        ``queueUrls`` is always there (botocore marks it required), empty when no queue names this one.
        """
        op = self._call("list_dead_letter_source_queues", params)
        queue = self._queue(params["QueueUrl"], op)
        sources = [source.url for source in self._services.sqs.dead_letter_sources(queue)]
        urls, token = self._page(op, params, sources)
        out: dict[str, Any] = {"queueUrls": urls}
        if token is not None:
            out["NextToken"] = token
        out["ResponseMetadata"] = self._metadata()
        return out

    def _page(self, op: str, params: dict[str, Any], items: list[str]) -> tuple[list[str], str | None]:
        """One page of ``items`` by ``MaxResults`` (1..1000; at most 1000 without it) and ``NextToken``."""
        limit = params.get("MaxResults")
        self._range(op, "MaxResults", limit, 1, 1000, "Must be between 1 and 1000, if provided.")
        start = 0
        if "NextToken" in params:
            if limit is None:
                raise self._invalid(
                    "InvalidParameterValue",
                    "MaxResults is a mandatory parameter when you provide a value for NextToken.",
                    op,
                )
            position = decode_token(params["NextToken"])
            if position is None:
                raise self._invalid("InvalidParameterValue", "Invalid NextToken value.", op)
            start = position
        end = min(len(items), start + (1000 if limit is None else limit))
        token = encode_token(end) if limit is not None and end < len(items) else None
        return items[start:end], token

    def delete_queue(self, **params: Any) -> dict[str, Any]:
        """Delete the queue and its messages (a queue of that name can be created again after 60 s)."""
        op = self._call("delete_queue", params)
        queue = self._queue(params["QueueUrl"], op)
        self._services.sqs.delete(queue)
        return {"ResponseMetadata": self._metadata()}

    def purge_queue(self, **params: Any) -> dict[str, Any]:
        """Delete every message (once per 60 simulated seconds)."""
        op = self._call("purge_queue", params)
        queue = self._queue(params["QueueUrl"], op)
        with self._client_errors(op):
            queue.purge()
        return {"ResponseMetadata": self._metadata()}

    # -- messages ---------------------------------------------------------------------------------------------

    def send_message(self, **params: Any) -> dict[str, Any]:
        """Send one message."""
        op = self._call("send_message", params)
        queue = self._queue(params["QueueUrl"], op)
        msg = self._send(op, queue, params)
        out: dict[str, Any] = {"MD5OfMessageBody": msg.md5_body}
        if msg.md5_attributes is not None:
            out["MD5OfMessageAttributes"] = msg.md5_attributes
        out["MessageId"] = msg.message_id
        if msg.sequence_number is not None:
            out["SequenceNumber"] = msg.sequence_number
        out["ResponseMetadata"] = self._metadata()
        return out

    def _batch(self, op: str, entries: list[Any]) -> None:
        if not entries:
            raise self._invalid(
                "AWS.SimpleQueueService.EmptyBatchRequest",
                "There should be at least one SendMessageBatchRequestEntry in the request.",
                op,
                shape="EmptyBatchRequest",
            )
        if len(entries) > MAX_BATCH:
            raise self._invalid(
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
                op,
                shape="TooManyEntriesInBatchRequest",
            )
        ids = [e.get("Id") for e in entries]
        for entry_id in ids:
            if (
                not isinstance(entry_id, str)
                or not entry_id
                or len(entry_id) > 80
                or not all(c.isalnum() or c in "-_" for c in entry_id)
            ):
                raise self._invalid(
                    "AWS.SimpleQueueService.InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at "
                    "most 80 letters long.",
                    op,
                    shape="InvalidBatchEntryId",
                )
        for entry_id in ids:
            if ids.count(entry_id) > 1:
                raise self._invalid(
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                    f"Id {entry_id} repeated.",
                    op,
                    shape="BatchEntryIdsNotDistinct",
                )

    def send_message_batch(self, **params: Any) -> dict[str, Any]:
        """Send up to 10 messages; each entry succeeds or fails on its own."""
        op = self._call("send_message_batch", params)
        queue = self._queue(params["QueueUrl"], op)
        entries = list(params["Entries"])
        self._batch(op, entries)
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                msg = self._send(op, queue, entry)
            except ClientError as exc:  # one entry's error: reported for that entry, the others still go
                error = exc.response["Error"]
                failed.append(
                    {"Id": entry["Id"], "SenderFault": True, "Code": error["Code"], "Message": error["Message"]}
                )
                continue
            ok: dict[str, Any] = {"Id": entry["Id"], "MessageId": msg.message_id, "MD5OfMessageBody": msg.md5_body}
            if msg.md5_attributes is not None:
                ok["MD5OfMessageAttributes"] = msg.md5_attributes
            if msg.sequence_number is not None:
                ok["SequenceNumber"] = msg.sequence_number
            successful.append(ok)
        return {"Successful": successful, "Failed": failed, "ResponseMetadata": self._metadata()}

    def receive_message(self, **params: Any) -> dict[str, Any]:
        """Up to ``MaxNumberOfMessages`` (1..10) visible messages; no ``Messages`` key when none are visible.

        ``WaitTimeSeconds`` (0..20; default: the queue's ``ReceiveMessageWaitTimeSeconds``) is a long poll: from
        top-level code, with nothing to receive, the simulated clock advances until a message can be received or the
        wait is over (:mod:`lambdasim.aws.sqs.long_poll`); inside the simulation the receive answers at once.
        """
        op = self._call("receive_message", params)
        queue = self._queue(params["QueueUrl"], op)
        count = params.get("MaxNumberOfMessages")
        self._range(op, "MaxNumberOfMessages", count, 1, 10, "Must be between 1 and 10, if provided.")
        visibility = params.get("VisibilityTimeout")
        self._range(op, "VisibilityTimeout", visibility, 0, 43200, "Must be >= 0 and <= 43200, if provided.")
        self._range(op, "WaitTimeSeconds", params.get("WaitTimeSeconds"), 0, 20, "Must be >= 0 and <= 20, if provided.")
        system = {*params.get("AttributeNames", []), *params.get("MessageSystemAttributeNames", [])}
        names = list(params.get("MessageAttributeNames", []))
        taken = queue.receive(count or 1, visibility)
        wait = params.get("WaitTimeSeconds")
        if wait is None:
            wait = int(queue.attributes["ReceiveMessageWaitTimeSeconds"])
        if not taken and wait > 0 and not self._sim.running:
            deadline = self._sim.now + wait
            while not taken and self._sim.now < deadline:
                wait_for_message(self._sim, queue, deadline)
                queue = self._queue(params["QueueUrl"], op)  # [model] deleted meanwhile: QueueDoesNotExist
                taken = queue.receive(count or 1, visibility)
        messages = [self._message(queue, msg, system, names) for msg in taken]
        out: dict[str, Any] = {}
        if messages:
            out["Messages"] = messages
        out["ResponseMetadata"] = self._metadata()
        return out

    def _message(self, queue: Queue, msg: Message, system: set[str], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MessageId": msg.message_id,
            "ReceiptHandle": msg.receipt,
            "MD5OfBody": msg.md5_body,
            "Body": msg.body,
        }
        if system:
            available = {
                "SenderId": msg.sender_id,
                "SentTimestamp": str(round(self._services.epoch(msg.sent_at) * 1000)),
                "ApproximateReceiveCount": str(msg.receive_count),
                "ApproximateFirstReceiveTimestamp": str(
                    round(self._services.epoch(msg.first_receive_at or msg.sent_at) * 1000)
                ),
            }
            if msg.dead_letter_source_arn is not None:
                available["DeadLetterQueueSourceArn"] = msg.dead_letter_source_arn
            if queue.fifo:
                available["SequenceNumber"] = msg.sequence_number or ""
                available["MessageDeduplicationId"] = msg.dedup_id or ""
                available["MessageGroupId"] = msg.group_id or ""
            attributes = available if "All" in system else {k: v for k, v in available.items() if k in system}
            if attributes:
                out["Attributes"] = attributes
        if names and msg.attributes:
            wanted = {
                name: dict(attr)
                for name, attr in msg.attributes.items()
                if any(_wanted(pattern, name) for pattern in names)
            }
            if wanted:
                out["MD5OfMessageAttributes"] = md5_of_attributes(wanted)
                out["MessageAttributes"] = wanted
        return out

    def delete_message(self, **params: Any) -> dict[str, Any]:
        """Delete a received message by its receipt handle."""
        op = self._call("delete_message", params)
        queue = self._queue(params["QueueUrl"], op)
        with self._client_errors(op):
            queue.delete(params["ReceiptHandle"])
        return {"ResponseMetadata": self._metadata()}

    def delete_message_batch(self, **params: Any) -> dict[str, Any]:
        """Delete up to 10 received messages; each entry succeeds or fails on its own."""
        op = self._call("delete_message_batch", params)
        queue = self._queue(params["QueueUrl"], op)
        entries = list(params["Entries"])
        self._batch(op, entries)
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                queue.delete(entry.get("ReceiptHandle", ""))
            except ServiceError as exc:
                failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
            else:
                successful.append({"Id": entry["Id"]})
        return {"Successful": successful, "Failed": failed, "ResponseMetadata": self._metadata()}

    def change_message_visibility(self, **params: Any) -> dict[str, Any]:
        """Make a received message visible again after ``VisibilityTimeout`` seconds (0..43200)."""
        op = self._call("change_message_visibility", params)
        queue = self._queue(params["QueueUrl"], op)
        timeout = params["VisibilityTimeout"]
        self._range(op, "VisibilityTimeout", timeout, 0, 43200, "Must be >= 0 and <= 43200, if provided.")
        with self._client_errors(op):
            queue.change_visibility(params["ReceiptHandle"], timeout)
        return {"ResponseMetadata": self._metadata()}


def _wanted(pattern: str, name: str) -> bool:
    if pattern in ("All", ".*"):
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return pattern == name
