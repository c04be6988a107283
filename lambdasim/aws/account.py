"""The simulated services: SQS queues, SNS topics, EventBridge buses, S3 buckets, CloudWatch's metrics and alarms,
CloudWatch Logs, IAM roles, Kinesis streams and DynamoDB tables.

They are plain in-memory objects on the simulated clock, shared by the boto3-shaped clients (``sim.client("sqs")``,
...) and by the destination and dead-letter code of the engine, so a queue a client created is the queue Lambda
delivers to. Errors are :class:`ServiceError` with AWS's code and message; each client turns them into its
botocore-shaped ``ClientError``, and the destination code into a counted delivery failure.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdasim.aws.cloudwatch.backend import CloudWatchService
    from lambdasim.aws.dynamodb.backend import DynamoDbService
    from lambdasim.aws.events.backend import EventBridgeService
    from lambdasim.aws.iam.backend import IamService
    from lambdasim.aws.kinesis.backend import KinesisService
    from lambdasim.aws.lambda_.backend import LambdaBackend
    from lambdasim.aws.logs.backend import LogsService
    from lambdasim.aws.s3.backend import S3Service
    from lambdasim.aws.simulation import Simulation
    from lambdasim.aws.sns.backend import SnsService
    from lambdasim.aws.sqs.backend import SqsService

__all__ = ["ServiceError", "Services"]

# Ids of messages, subscriptions, events and objects: UUID-shaped, seeded, distinct from request ids.
_ID_BASE = 1 << 46


class ServiceError(Exception):
    """A simulated service refused a request.

    Attributes:
        code: AWS's error code (``Error.Code`` in the botocore response).
        message: AWS's message.
        status: The HTTP status.
        shape: The botocore error shape when it differs from the code (SQS's query-compatible errors).
        extra: Further top-level keys of the error response, or keys of its ``Error`` part (``error_extra``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        shape: str | None = None,
        error_extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.shape = shape
        self.error_extra = error_extra or {}


class Services:
    """Every simulated service of one :class:`~lambdasim.aws.simulation.Simulation`."""

    def __init__(self, sim: Simulation) -> None:
        from lambdasim.aws.cloudwatch.backend import CloudWatchService
        from lambdasim.aws.events.backend import EventBridgeService
        from lambdasim.aws.iam.backend import IamService
        from lambdasim.aws.lambda_.backend import LambdaBackend
        from lambdasim.aws.logs.backend import LogsService
        from lambdasim.aws.s3.backend import S3Service
        from lambdasim.aws.sns.backend import SnsService
        from lambdasim.aws.sqs.backend import SqsService

        self.sim = sim
        self._ids = 0
        self.lambda_: LambdaBackend = LambdaBackend(sim)
        self.sqs: SqsService = SqsService(self)
        self.sns: SnsService = SnsService(self)
        self.events: EventBridgeService = EventBridgeService(self)
        self.s3: S3Service = S3Service(self)
        self.cloudwatch: CloudWatchService = CloudWatchService(self)
        self.logs: LogsService = LogsService(self)
        self.iam: IamService = IamService(self)
        # The Kinesis data streams and the DynamoDB tables, or ``None`` while nothing has used them (made on first
        # use: most runs have none). Plain attributes, not properties: results read them at every clock step.
        self.kinesis_in_use: KinesisService | None = None
        self.dynamodb_in_use: DynamoDbService | None = None

    @property
    def kinesis(self) -> KinesisService:
        """The Kinesis data streams (made on first use: most runs have none)."""
        if self.kinesis_in_use is None:
            from lambdasim.aws.kinesis.backend import KinesisService

            self.kinesis_in_use = KinesisService(self)
        return self.kinesis_in_use

    @property
    def dynamodb(self) -> DynamoDbService:
        """The DynamoDB tables (made on first use)."""
        if self.dynamodb_in_use is None:
            from lambdasim.aws.dynamodb.backend import DynamoDbService

            self.dynamodb_in_use = DynamoDbService(self)
        return self.dynamodb_in_use

    @property
    def region(self) -> str:
        """The simulation's region, as ARNs and URLs name it."""
        return self.sim.region

    @property
    def account_id(self) -> str:
        """The simulation's 12-digit account id."""
        return self.sim.account_id

    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return float(self.sim.env.now)

    def epoch(self, t: float | None = None) -> float:
        """Unix time of simulated time ``t`` (default: now)."""
        return self.sim.start.timestamp() + (self.now if t is None else t)

    def new_id(self) -> str:
        """A fresh UUID-shaped id, seeded like every id of the run."""
        self._ids += 1
        return self.sim.engine.request_id(_ID_BASE + self._ids)

    # -- Lambda as a target -----------------------------------------------------------------------------------

    def invoke_async(self, arn: str, payload: Any) -> str:
        """Invoke the function ``arn`` (a name or ARN, qualified or not) with ``InvocationType="Event"``, as the
        Lambda API would; return the request id.

        Raises :class:`ServiceError` where Lambda's ``Invoke`` refuses: an unknown function or qualifier, or a
        payload over the asynchronous limit.
        """
        data = json.dumps(payload)
        limit = self.sim.settings.async_payload_limit_bytes
        if len(data.encode()) > limit:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
            )
        backend = self.lambda_
        rec, qualifier = backend.resolve(arn)  # a LambdaError is a ServiceError with Lambda's code and message
        # A fresh copy, as the target would parse it from the wire: handlers never share objects.
        return backend.invoke_async(rec, backend.target(rec, qualifier), json.loads(data))
