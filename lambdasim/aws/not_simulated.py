"""Request members lambdasim accepts but does not simulate: the declared tables, the warning, the refusal.

Every client accepts every member botocore's model gives an operation (never ``Unknown parameter``). A member whose
value changes nothing lambdasim does or answers is *ignored*: the first call of a client that gives it emits one
:class:`NotSimulatedWarning` naming the operation and the members (``CreateFunction: Layers, SnapStart are
accepted but not simulated by lambdasim``), once per client per (operation, member). A member that, ignored, would
give a misleading answer (a filter not applied, an execution model lambdasim does not have) is *refused* with the
service's error code for an invalid parameter and a message saying it is not simulated by lambdasim. [model]

A member stored and echoed back in the service's answers (Lambda's ``VpcConfig``, ``KMSKeyArn``, ``TracingConfig``,
``EphemeralStorage``...) counts as simulated, except where the simulation models what the member changes and does
not apply it: ``Layers`` (their code is not put on the handler's path), ``SnapStart`` (cold starts are not
shortened) and ``LoggingConfig`` (the lines go to ``/aws/lambda/<name>`` in text). Members refused by a service's
own checks (S3's ranges and versions, CloudWatch's composite and anomaly alarms, SNS's protocols...) are in those
clients. ``tests/test_not_simulated.py`` checks every member named here is in botocore's input shape of the
operation. The check costs one dictionary look-up and one ``frozenset.isdisjoint`` per call.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["IGNORED", "REFUSED", "NotSimulated", "NotSimulatedWarning", "refusal_message"]


class NotSimulatedWarning(UserWarning):
    """A request gave members lambdasim accepts but does not simulate (they change nothing in the run)."""


def _t(**ops: str) -> dict[str, frozenset[str]]:
    return {op: frozenset(members.split()) for op, members in ops.items()}


_S3_IGNORED_WRITE = (
    "ACL CacheControl ContentDisposition ContentEncoding ContentLanguage Expires GrantFullControl GrantRead "
    "GrantReadACP GrantWriteACP ServerSideEncryption SSECustomerAlgorithm SSECustomerKey SSECustomerKeyMD5 "
    "SSEKMSKeyId SSEKMSEncryptionContext BucketKeyEnabled RequestPayer Tagging ObjectLockMode "
    "ObjectLockRetainUntilDate ObjectLockLegalHoldStatus ExpectedBucketOwner"
)
_S3_IGNORED_READ = (
    "ResponseCacheControl ResponseContentDisposition ResponseContentEncoding ResponseContentLanguage "
    "ResponseContentType ResponseExpires SSECustomerAlgorithm SSECustomerKey SSECustomerKeyMD5 RequestPayer "
    "ExpectedBucketOwner"
)
# Not ``ChecksumMode`` nor ``ChecksumAlgorithm``: boto3 sets the first on every GetObject by default
# (``response_checksum_validation``) and s3transfer the second on every upload, so a warning would go to every boto3
# program; lambdasim answers without checksums, and botocore then checks none.

IGNORED: dict[str, dict[str, frozenset[str]]] = {
    "lambda": _t(
        AddPermission="EventSourceToken PrincipalOrgID FunctionUrlAuthType InvokedViaFunctionUrl",
        CreateEventSourceMapping="KMSKeyArn MetricsConfig LoggingConfig Tags",
        UpdateEventSourceMapping="KMSKeyArn MetricsConfig LoggingConfig",
        CreateFunction="CodeSigningConfigArn Layers SnapStart LoggingConfig",
        UpdateFunctionConfiguration="Layers SnapStart LoggingConfig",
        UpdateFunctionCode="SourceKMSKeyArn",
        ListFunctions="MasterRegion",
    ),
    "sqs": _t(
        CreateQueue="tags",
        ReceiveMessage="ReceiveRequestAttemptId",
        SendMessage="MessageSystemAttributes",
    ),
    "sns": _t(CreateTopic="Tags"),
    "events": _t(
        CreateEventBus="EventSourceName KmsKeyIdentifier LogConfig Tags",
        DeleteRule="Force",
        RemoveTargets="Force",
        PutEvents="EndpointId",
        PutRule="RoleArn Tags",
    ),
    "s3": _t(
        CopyObject=f"{_S3_IGNORED_WRITE} TaggingDirective CopySourceSSECustomerAlgorithm "
        "CopySourceSSECustomerKey CopySourceSSECustomerKeyMD5 ExpectedSourceBucketOwner",
        CreateBucket="ACL GrantFullControl GrantRead GrantReadACP GrantWrite GrantWriteACP ObjectLockEnabledForBucket "
        "ObjectOwnership BucketNamespace",
        DeleteBucket="ExpectedBucketOwner",
        DeleteObject="RequestPayer BypassGovernanceRetention ExpectedBucketOwner",
        DeleteObjects="RequestPayer BypassGovernanceRetention ExpectedBucketOwner",
        GetBucketNotificationConfiguration="ExpectedBucketOwner",
        GetObject=_S3_IGNORED_READ,
        HeadBucket="ExpectedBucketOwner",
        HeadObject=_S3_IGNORED_READ,
        ListObjects="RequestPayer ExpectedBucketOwner OptionalObjectAttributes",
        ListObjectsV2="FetchOwner RequestPayer ExpectedBucketOwner OptionalObjectAttributes",
        PutBucketNotificationConfiguration="ExpectedBucketOwner",
        PutObject=f"{_S3_IGNORED_WRITE} ContentMD5 ChecksumCRC32 ChecksumCRC32C ChecksumCRC64NVME ChecksumSHA1 "
        "ChecksumSHA256 ChecksumSHA512 ChecksumMD5 ChecksumXXHASH64 ChecksumXXHASH3 ChecksumXXHASH128",
    ),
    "cloudwatch": _t(
        GetMetricData="MaxDatapoints LabelOptions",
        ListMetrics="IncludeLinkedAccounts OwningAccount",
        PutMetricAlarm="Tags EvaluateLowSampleCountPercentile",
        PutMetricData="StrictEntityValidation",
    ),
    "logs": _t(
        DescribeLogGroups="includeLinkedAccounts",
        FilterLogEvents="interleaved unmask",
        GetLogEvents="unmask",
    ),
    "iam": {},
    "kinesis": _t(
        CreateStream="Tags WarmThroughputMiBps",
        DeleteStream="EnforceConsumerDeletion",  # no enhanced fan-out consumers are simulated
        PutRecord="SequenceNumberForOrdering",  # a shard's records are kept in the order they are put anyway
    ),
    "dynamodb": _t(
        CreateTable="SSESpecification Tags TableClass WarmThroughput ResourcePolicy OnDemandThroughput "
        "GlobalTableSettingsReplicationMode",
        UpdateTable="SSESpecification TableClass MultiRegionConsistency OnDemandThroughput WarmThroughput "
        "GlobalTableSettingsReplicationMode",
        GetItem="ConsistentRead ReturnConsumedCapacity",  # every read is consistent here
        PutItem="ReturnConsumedCapacity ReturnItemCollectionMetrics ReturnValuesOnConditionCheckFailure",
        UpdateItem="ReturnConsumedCapacity ReturnItemCollectionMetrics ReturnValuesOnConditionCheckFailure",
        DeleteItem="ReturnConsumedCapacity ReturnItemCollectionMetrics ReturnValuesOnConditionCheckFailure",
    ),
    "dynamodbstreams": {},
}
"""Accepted, ignored, warned about once: ``{service: {operation: members}}``."""

REFUSED: dict[str, dict[str, frozenset[str]]] = {
    "lambda": _t(
        # Lambda Managed Instances, durable functions and tenant isolation change how functions run and scale.
        CreateFunction="CapacityProviderConfig PublishTo DurableConfig TenancyConfig",
        UpdateFunctionConfiguration="CapacityProviderConfig DurableConfig",
        UpdateFunctionCode="PublishTo",
        PublishVersion="PublishTo",
        Invoke="DurableExecutionName TenantId",
    ),
    "sqs": {},
    "sns": _t(CreateTopic="DataProtectionPolicy"),  # a policy that would deny or mask publishes
    "events": _t(CreateEventBus="DeadLetterConfig"),  # where undeliverable events would go
    "s3": {},  # S3's own refusals (NotImplemented): lambdasim.aws.s3._base.NOT_SIMULATED
    "cloudwatch": _t(DescribeAlarmHistory="AlarmContributorId", ListMetrics="RecentlyActive"),  # filters
    "logs": {},
    "iam": {},
    # A stream named by its id, a larger record limit, a shard filter: lambdasim names streams by name or ARN, keeps
    # Kinesis's 1 MiB limit and lists every shard, so ignoring them would answer another question.
    "kinesis": _t(
        CreateStream="MaxRecordSizeInKiB",
        **dict.fromkeys(
            (
                "DecreaseStreamRetentionPeriod",
                "DeleteStream",
                "DescribeStream",
                "DescribeStreamSummary",
                "GetRecords",
                "GetShardIterator",
                "IncreaseStreamRetentionPeriod",
                "PutRecord",
                "PutRecords",
            ),
            "StreamId",
        ),
        ListShards="ShardFilter StreamId",
    ),
    "dynamodb": _t(GetItem="AttributesToGet ProjectionExpression"),  # the answer would hold every attribute
    "dynamodbstreams": _t(DescribeStream="ShardFilter"),
}
"""Refused with the service's invalid-parameter error: ``{service: {operation: members}}``."""


def refusal_message(operation: str, members: list[str]) -> str:
    """The message of a refusal: ``CreateFunction: DurableConfig is not simulated by lambdasim``."""
    verb = "is" if len(members) == 1 else "are"
    return f"{operation}: {', '.join(members)} {verb} not simulated by lambdasim"


class NotSimulated:
    """One client's check of its requests against its service's tables, and the warnings it has given."""

    __slots__ = ("_ignored", "_refused", "_warned", "watched")

    def __init__(self, service: str) -> None:
        self._ignored = IGNORED[service]
        self._refused = REFUSED[service]
        self._warned: set[tuple[str, str]] = set()
        self.watched: dict[str, frozenset[str]] = {
            op: self._ignored.get(op, frozenset()) | self._refused.get(op, frozenset())
            for op in {*self._ignored, *self._refused}
        }
        """Every member of either table, by operation: what the hot path tests ``params`` against."""

    def check(self, operation: str, params: Mapping[str, Any]) -> list[str]:
        """The refused members ``params`` gives (in request order; the caller raises); warn about the ignored ones
        not warned about yet. Called only when ``params`` gives a member of :attr:`watched`."""
        refused = self._refused.get(operation, frozenset())
        out = [m for m in params if m in refused]
        if out:
            return out
        ignored = self._ignored.get(operation, frozenset())
        new = [m for m in params if m in ignored and (operation, m) not in self._warned]
        if new:
            self._warned.update((operation, m) for m in new)
            verb = "is" if len(new) == 1 else "are"
            message = f"{operation}: {', '.join(new)} {verb} accepted but not simulated by lambdasim"
            warnings.warn(message, NotSimulatedWarning, stacklevel=_caller_level())
        return []


_PLUMBING = ("lambdasim.aws.", "botocore.", "boto3.", "s3transfer.")


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside lambdasim's clients and boto3's machinery (under
    :func:`~lambdasim.mock_aws` the call goes through botocore): the warning points at the call's author."""
    frame = sys._getframe(2)  # the frame of check()'s caller, stacklevel 2 of warnings.warn in check()
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(_PLUMBING):
        frame = frame.f_back
        level += 1
    return level
