"""lambdasim: AWS Lambda asynchronous invocation on a simulated clock, exactly and fast.

Two doors into one model: boto3-shaped clients (``Simulation(...).client("lambda")``) and a Pythonic model for
capacity planning.
"""

from __future__ import annotations

from lambdasim import dist
from lambdasim.behaviour import Behaviour
from lambdasim.clients.lambda_ import LambdaClient
from lambdasim.errors import ClientError, ParamValidationError
from lambdasim.outcome import Outcome, Sink
from lambdasim.results import Results
from lambdasim.rules import Condition, ThrottleReason
from lambdasim.settings import Settings
from lambdasim.simulation import Simulation, register_client

register_client("lambda", LambdaClient)

__version__ = "0.1.0"

__all__ = [
    "Behaviour",
    "ClientError",
    "Condition",
    "Outcome",
    "ParamValidationError",
    "Results",
    "Settings",
    "Simulation",
    "Sink",
    "ThrottleReason",
    "__version__",
    "dist",
]
