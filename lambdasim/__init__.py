"""lambdasim: AWS Lambda asynchronous invocation on a simulated clock, exactly and fast.

Two doors into one model: boto3-shaped clients (``Simulation(...).client("lambda")``) and a Pythonic model for
capacity planning.
"""

from __future__ import annotations

from lambdasim import calibrate, dist
from lambdasim.behaviour import Behaviour
from lambdasim.clients.cloudwatch import CloudWatchClient
from lambdasim.clients.events import EventsClient
from lambdasim.clients.lambda_ import LambdaClient
from lambdasim.clients.s3 import S3Client
from lambdasim.clients.sns import SnsClient
from lambdasim.clients.sqs import SqsClient
from lambdasim.errors import ClientError, ParamValidationError, WaiterError
from lambdasim.outcome import Outcome, Sink
from lambdasim.results import Results
from lambdasim.rules import Condition, ThrottleReason
from lambdasim.settings import Settings
from lambdasim.simulation import Simulation, register_client
from lambdasim.sinks import CollectingSink, Worker

register_client("lambda", LambdaClient)
register_client("sqs", SqsClient)
register_client("sns", SnsClient)
register_client("events", EventsClient)
register_client("s3", S3Client)
register_client("cloudwatch", CloudWatchClient)

__version__ = "0.1.0"

__all__ = [
    "Behaviour",
    "ClientError",
    "CollectingSink",
    "Condition",
    "Outcome",
    "ParamValidationError",
    "Results",
    "Settings",
    "Simulation",
    "Sink",
    "ThrottleReason",
    "WaiterError",
    "Worker",
    "__version__",
    "calibrate",
    "dist",
    "register_client",
]
