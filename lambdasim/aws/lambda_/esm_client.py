"""``create/get/update/delete/list_event_source_mappings`` for SQS queues and Kinesis and DynamoDB streams, validated
as botocore and Lambda do.

Requests are checked against botocore's model first (``ParamValidationError``, then ``ValidationException`` for the
model's ranges: ``BatchSize`` 1-10,000, ``MaximumBatchingWindowInSeconds`` 0-300, ``MaximumConcurrency`` 2-1,000),
then against Lambda's rules for SQS sources, each an ``InvalidParameterValueException``:

- [doc] a batch size over 10 needs a batching window of at least 1 s (message as AWS words it);
- [doc] a FIFO queue takes batches of at most 10 and no batching window ("Streams and SQS standard queues");
  [model] the wording of these two messages is lambdasim's;
- [doc] the function's timeout must not exceed the queue's visibility timeout (message as AWS words it);
- [model] lambdasim simulates SQS, Kinesis and DynamoDB stream sources: other sources, and settings that do not
  apply to a source (stream settings on a queue, ``ScalingConfig`` on a stream), are refused by name.

Stream sources (:mod:`lambdasim.aws.lambda_.stream_esm`) need ``StartingPosition`` (``AT_TIMESTAMP`` with
``StartingPositionTimestamp``, Kinesis only); an unknown stream is ``Stream not found: <arn>`` [rec];
``MaximumRecordAgeInSeconds`` is -1 or 60-604,800 [doc]; the on-failure destination is an SQS queue, SNS topic or S3
bucket, and a stream takes no on-success destination [doc] (lambdasim's wording of these messages is [model]).

A second mapping of the same queue and function is a ``ResourceConflictException`` (message as AWS words it); an
unknown UUID a ``ResourceNotFoundException``. The behaviour of a mapping is :mod:`lambdasim.aws.lambda_.esm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdasim.aws._service_client import as_epoch
from lambdasim.aws.account import ServiceError
from lambdasim.aws.arn import LATEST, parse_function_name
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.aws.lambda_.esm import EventSourceMapping, check_filters, esm_service
from lambdasim.aws.lambda_.stream_esm import StreamMapping
from lambdasim.aws.sqs.backend import Queue

__all__ = ["EventSourceMappingMixin"]

NOT_FOUND = "The resource you requested does not exist."
NO_QUEUE = (
    "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error "
    "Message: The specified queue does not exist or you do not have access to it."
)
WINDOW_NEEDED = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
STREAM_ONLY = (
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
)
"""Settings of stream, Kafka, MQ and DocumentDB sources, which an SQS mapping does not take."""
NOT_FOR_STREAMS = (
    "ScalingConfig",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
    "ProvisionedPollerConfig",
)
"""Settings of SQS, Kafka, MQ and DocumentDB sources, which a stream mapping does not take."""
STREAM_SETTINGS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
    "Enabled",
)
STREAM_DEFAULTS: dict[str, Any] = {
    "BatchSize": 100,
    "MaximumBatchingWindowInSeconds": 0,
    "ParallelizationFactor": 1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "MaximumRetryAttempts": -1,
    "TumblingWindowInSeconds": 0,
}
"""[doc] A stream mapping's defaults (services-kinesis-parameters.html)."""
SETTINGS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ScalingConfig",
    "FunctionResponseTypes",
    "FilterCriteria",
    "Enabled",
)


class EventSourceMappingMixin(LambdaBase):
    """The event source mapping operations of the Lambda client."""

    def create_event_source_mapping(self, **params: Any) -> dict[str, Any]:
        """Map an SQS queue (``EventSourceArn``) to a function: its pollers start at the next step of the clock."""
        op = "CreateEventSourceMapping"
        self._begin(op, params)
        arn = params.get("EventSourceArn")
        if isinstance(arn, str) and arn.startswith(("arn:aws:kinesis:", "arn:aws:dynamodb:")):
            return self._create_stream_mapping(op, arn, params)
        self._sqs_only(op, params)
        if not isinstance(arn, str) or not arn.startswith("arn:aws:sqs:"):
            raise self._invalid(
                op,
                f"lambdasim simulates SQS, Kinesis and DynamoDB stream event sources; EventSourceArn {arn!r} is none "
                "of them.",
            )
        queue = self._sim.services.sqs.by_arn(arn)
        if queue is None:
            raise self._invalid(op, NO_QUEUE)
        rec, qualifier = self._resolve(op, params["FunctionName"])
        function_arn = self._arn(rec.name, qualifier)
        config = {
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0,
            **{k: params[k] for k in SETTINGS if k in params},
        }
        self._check(op, config, fifo=queue.fifo, timeout=self._timeout(rec, qualifier), queue=queue)
        service = esm_service(self._sim)
        for other in service.for_queue(queue.arn):
            if other.function_arn == function_arn and other.state != "Deleting":
                raise self._fail(
                    "ResourceConflictException",
                    f'The event source arn (" {queue.arn} ") and function (" {rec.name} ") provided mapping already '
                    f"exists. Please update or delete the existing mapping with UUID {other.uuid}",
                    op,
                    409,
                )
        uuid = service.new_uuid()
        mapping = EventSourceMapping(service, uuid, queue, function_arn, function_arn, config)
        service.mappings[uuid] = mapping
        service.history.append(mapping)
        mapping.settle("Enabled" if mapping.enabled else "Disabled")
        return {**mapping.describe(), "ResponseMetadata": self._metadata(202)}

    def get_event_source_mapping(self, **params: Any) -> dict[str, Any]:
        """A mapping's configuration and ``State``."""
        op = "GetEventSourceMapping"
        self._begin(op, params)
        return {**self._mapping(op, params["UUID"]).describe(), "ResponseMetadata": self._metadata()}

    def update_event_source_mapping(self, **params: Any) -> dict[str, Any]:
        """Change a mapping's settings (new batches use them at once), its function, or enable/disable it."""
        op = "UpdateEventSourceMapping"
        self._begin(op, params)
        found = self._mapping(op, params["UUID"])
        if found.state == "Deleting":
            raise self._fail(
                "ResourceInUseException",
                f"Cannot update the event source mapping because it is in use. UUID {found.uuid}",
                op,
            )
        if isinstance(found, StreamMapping):
            return self._update_stream_mapping(op, found, params)
        mapping = found
        self._sqs_only(op, params)
        function_arn = mapping.function_arn
        if "FunctionName" in params:
            rec, qualifier = self._resolve(op, params["FunctionName"])
            function_arn = self._arn(rec.name, qualifier)
        rec, qualifier = self._resolve(op, function_arn)
        current = {
            "BatchSize": mapping.batch_size,
            "MaximumBatchingWindowInSeconds": mapping.window_s,
            "ScalingConfig": {} if mapping.max_concurrency is None else {"MaximumConcurrency": mapping.max_concurrency},
        }
        changes = {k: params[k] for k in SETTINGS if k in params}
        self._check(
            op,
            {**current, **changes},
            fifo=mapping.queue.fifo,
            timeout=self._timeout(rec, qualifier),
            queue=mapping.queue,
        )
        was = mapping.enabled
        mapping.configure(changes)
        mapping.function_arn = mapping.function_name = function_arn
        if mapping.enabled != was:
            mapping.state = "Enabling" if mapping.enabled else "Disabling"
        else:
            mapping.state = "Updating"
        mapping.settle("Enabled" if mapping.enabled else "Disabled")
        return {**mapping.describe(), "ResponseMetadata": self._metadata(202)}

    def delete_event_source_mapping(self, **params: Any) -> dict[str, Any]:
        """Delete a mapping: it answers ``Deleting`` and is gone at the next step of the clock."""
        op = "DeleteEventSourceMapping"
        self._begin(op, params)
        mapping = self._mapping(op, params["UUID"])
        mapping.state = "Deleting"
        mapping.settle("Deleted")
        return {**mapping.describe(), "ResponseMetadata": self._metadata(202)}

    def list_event_source_mappings(self, **params: Any) -> dict[str, Any]:
        """Mappings, optionally of one queue (``EventSourceArn``) and/or one function (``FunctionName``)."""
        op = "ListEventSourceMappings"
        self._begin(op, params)
        items = list(esm_service(self._sim).mappings.values())
        if "EventSourceArn" in params:
            items = [m for m in items if _source_arn(m) == params["EventSourceArn"]]
        if "FunctionName" in params:
            ref = self._ref(op, params["FunctionName"])
            items = [m for m in items if _same_function(m.function_arn, ref.name, ref.qualifier)]
        page = self._page(op, items, params, default=100)
        out: dict[str, Any] = {}
        if "NextMarker" in page:
            out["NextMarker"] = page["NextMarker"]
        out["EventSourceMappings"] = [m.describe() for m in page["page"]]
        out["ResponseMetadata"] = self._metadata()
        return out

    # -- helpers ------------------------------------------------------------------------------------------------

    def _mapping(self, op: str, uuid: str) -> EventSourceMapping | StreamMapping:
        found = esm_service(self._sim).mappings.get(uuid)
        if found is None:
            raise self._not_found(op, NOT_FOUND)
        return found

    # -- streams ------------------------------------------------------------------------------------------------

    def _create_stream_mapping(self, op: str, arn: str, params: dict[str, Any]) -> dict[str, Any]:
        services = self._sim.services
        kinesis = arn.startswith("arn:aws:kinesis:")
        source = services.kinesis.by_arn(arn) if kinesis else services.dynamodb.by_stream_arn(arn)
        self._stream_only(op, params, "an Amazon Kinesis" if kinesis else "an Amazon DynamoDB Streams")
        if source is None:
            raise self._invalid(op, f"Stream not found: {arn}")
        position = params.get("StartingPosition")
        if position is None:
            raise self._invalid(op, "StartingPosition is required for Kinesis and DynamoDB Streams event sources.")
        if position == "AT_TIMESTAMP" and not kinesis:
            raise self._invalid(op, "AT_TIMESTAMP is not supported for an Amazon DynamoDB Streams event source.")
        stamp = params.get("StartingPositionTimestamp")
        if (position == "AT_TIMESTAMP") != (stamp is not None):
            raise self._invalid(
                op, "StartingPositionTimestamp must be given exactly when StartingPosition is AT_TIMESTAMP."
            )
        rec, qualifier = self._resolve(op, params["FunctionName"])
        function_arn = self._arn(rec.name, qualifier)
        config: dict[str, Any] = {
            **STREAM_DEFAULTS,
            **{k: params[k] for k in STREAM_SETTINGS if k in params},
            "StartingPosition": position,
        }
        if stamp is not None:
            config["StartingPositionTimestamp"] = as_epoch(stamp)
        self._check_stream(op, config)
        service = esm_service(self._sim)
        for other in service.mappings.values():
            if _source_arn(other) == arn and other.function_arn == function_arn and other.state != "Deleting":
                raise self._fail(
                    "ResourceConflictException",
                    f'The event source arn (" {arn} ") and function (" {rec.name} ") provided mapping already '
                    f"exists. Please update or delete the existing mapping with UUID {other.uuid}",
                    op,
                    409,
                )
        uuid = service.new_uuid()
        mapping = StreamMapping(service, uuid, source, function_arn, config)
        service.mappings[uuid] = mapping
        service.history.append(mapping)
        mapping.settle("Enabled" if mapping.enabled else "Disabled")
        return {**mapping.describe(), "ResponseMetadata": self._metadata(202)}

    def _update_stream_mapping(self, op: str, mapping: StreamMapping, params: dict[str, Any]) -> dict[str, Any]:
        self._stream_only(op, params, "a stream")
        function_arn = mapping.function_arn
        if "FunctionName" in params:
            rec, qualifier = self._resolve(op, params["FunctionName"])
            function_arn = self._arn(rec.name, qualifier)
        changes = {k: params[k] for k in STREAM_SETTINGS if k in params}
        current = {
            "BatchSize": mapping.batch_size,
            "MaximumBatchingWindowInSeconds": mapping.window_s,
            "MaximumRecordAgeInSeconds": mapping.max_age_s,
            "TumblingWindowInSeconds": mapping.tumbling_s,
        }
        self._check_stream(op, {**current, **changes})
        was = mapping.enabled
        mapping.configure(changes)
        mapping.function_arn = mapping.function_name = function_arn
        mapping.state = ("Enabling" if mapping.enabled else "Disabling") if mapping.enabled != was else "Updating"
        mapping.settle("Enabled" if mapping.enabled else "Disabled")
        return {**mapping.describe(), "ResponseMetadata": self._metadata(202)}

    def _stream_only(self, op: str, params: Mapping[str, Any], source: str) -> None:
        for name in NOT_FOR_STREAMS:
            if name in params:
                raise self._invalid(op, f"Unsupported {name} parameter for {source} event source.")

    def _check_stream(self, op: str, config: dict[str, Any]) -> None:
        age = config.get("MaximumRecordAgeInSeconds", -1)
        if age != -1 and not 60 <= age <= 604800:
            raise self._invalid(
                op, f"MaximumRecordAgeInSeconds {age} is invalid: it must be -1 (infinite) or 60 to 604800 seconds."
            )
        destinations = config.get("DestinationConfig") or {}
        if destinations.get("OnSuccess"):
            raise self._invalid(op, "Unsupported DestinationConfig parameter OnSuccess for a stream event source.")
        target = (destinations.get("OnFailure") or {}).get("Destination")
        if target is not None and not str(target).startswith(("arn:aws:sqs:", "arn:aws:sns:", "arn:aws:s3:::")):
            raise self._invalid(
                op,
                f"Unsupported DestinationConfig OnFailure destination {target}: a stream's failed batches go to an "
                "Amazon SQS queue, Amazon SNS topic or Amazon S3 bucket.",
            )
        if "FilterCriteria" in config:
            try:
                check_filters(config["FilterCriteria"])
            except ServiceError as exc:
                raise self._invalid(op, exc.message) from None

    def _sqs_only(self, op: str, params: Mapping[str, Any]) -> None:
        for name in STREAM_ONLY:
            if name in params:
                raise self._invalid(op, f"Unsupported {name} parameter for an Amazon SQS event source.")

    def _timeout(self, rec: FunctionRecord, qualifier: str | None) -> int:
        """The timeout (s) of the version a qualifier names (an alias: the version it points at)."""
        if qualifier in (None, LATEST):
            return int(rec.config["Timeout"])
        alias = rec.aliases.get(qualifier or "")
        version = alias.function_version if alias is not None else qualifier
        if version == LATEST:
            return int(rec.config["Timeout"])
        return int(rec.versions[version or ""].config["Timeout"])

    def _check(self, op: str, config: dict[str, Any], *, fifo: bool, timeout: int, queue: Queue) -> None:
        batch = config["BatchSize"]
        window = config["MaximumBatchingWindowInSeconds"]
        if fifo and batch > 10:
            raise self._invalid(op, f"BatchSize {batch} is over 10, the most a FIFO queue's mapping takes.")
        if fifo and window:
            raise self._invalid(op, "MaximumBatchingWindowInSeconds is not supported for FIFO queues.")
        if batch > 10 and not window:
            raise self._invalid(op, WINDOW_NEEDED)
        visibility = int(queue.attributes["VisibilityTimeout"])
        if timeout > visibility:
            raise self._invalid(
                op, f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
            )
        if "FilterCriteria" in config:
            try:
                check_filters(config["FilterCriteria"])
            except ServiceError as exc:
                raise self._invalid(op, exc.message) from None


def _source_arn(mapping: EventSourceMapping | StreamMapping) -> str:
    return mapping.source_arn if isinstance(mapping, StreamMapping) else mapping.queue.arn


def _same_function(arn: str, name: str, qualifier: str | None) -> bool:
    ref = parse_function_name(arn)
    return ref is not None and ref.name == name and (qualifier is None or ref.qualifier == qualifier)
