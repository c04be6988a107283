"""lambdasim: AWS Lambda asynchronous invocation on a simulated clock, exactly and fast.

Two doors into one model: boto3-shaped clients (``Simulation(...).client("lambda")``) and a Pythonic model for
capacity planning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdasim.aws.cloudwatch.client import CloudWatchClient
from lambdasim.aws.dynamodb.client import DynamoDbClient
from lambdasim.aws.dynamodbstreams.client import DynamoDbStreamsClient
from lambdasim.aws.errors import ClientError, ParamValidationError, WaiterError
from lambdasim.aws.events.client import EventsClient
from lambdasim.aws.iam.client import IamClient
from lambdasim.aws.kinesis.client import KinesisClient
from lambdasim.aws.lambda_.client import LambdaClient
from lambdasim.aws.logs.client import LogsClient
from lambdasim.aws.not_simulated import NotSimulatedWarning
from lambdasim.aws.s3.client import S3Client
from lambdasim.aws.simulation import Simulation, register_client
from lambdasim.aws.sns.client import SnsClient
from lambdasim.aws.sqs.client import SqsClient
from lambdasim.core import dist
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.outcome import Outcome, Sink
from lambdasim.core.results import Results
from lambdasim.core.rules import Condition, ThrottleReason
from lambdasim.core.settings import Settings
from lambdasim.core.sinks import CollectingSink, Worker

if TYPE_CHECKING:  # imported on first use (module __getattr__ below); typed here for checkers
    from lambdasim.planning.streams import PutRecords, Stream, StreamEventSourceMapping

register_client("lambda", LambdaClient)
register_client("sqs", SqsClient)
register_client("sns", SnsClient)
register_client("events", EventsClient)
register_client("s3", S3Client)
register_client("cloudwatch", CloudWatchClient)
register_client("kinesis", KinesisClient)
register_client("dynamodb", DynamoDbClient)
register_client("dynamodbstreams", DynamoDbStreamsClient)
register_client("logs", LogsClient)
register_client("iam", IamClient)

__version__ = "0.1.0"

__all__ = [
    "Behaviour",
    "ClientError",
    "CollectingSink",
    "Condition",
    "NotSimulatedWarning",
    "Outcome",
    "ParamValidationError",
    "PutRecords",
    "Results",
    "Settings",
    "Simulation",
    "Sink",
    "Stream",
    "StreamEventSourceMapping",
    "ThrottleReason",
    "WaiterError",
    "Worker",
    "__version__",
    "calibrate",
    "dist",
    "from_template",
    "mock_aws",
    "register_client",
    "resource",
]


_STREAM_NAMES = ("PutRecords", "Stream", "StreamEventSourceMapping")


def __getattr__(name: str) -> object:
    # lambdasim.calibrate is a planning tool: imported on first use, so that `import lambdasim` stays light.
    if name == "calibrate":
        import importlib

        return importlib.import_module("lambdasim.calibrate")
    # mock_aws answers botocore's own clients: botocore is imported only when it is first asked for.
    if name == "mock_aws":
        from lambdasim.aws.mock import mock_aws

        return mock_aws
    if name == "resource":
        from lambdasim.aws.resources import resource

        return resource
    if name == "from_template":  # a planning tool too (it imports the SAM translator only for SAM templates)
        from lambdasim.planning.template import from_template

        return from_template
    if name in _STREAM_NAMES:  # the Pythonic door's streams, imported on first use like calibrate
        from lambdasim.planning import streams

        return getattr(streams, name)
    raise AttributeError(f"module 'lambdasim' has no attribute {name!r}")
