"""A custom waiter, in the style of AWS's SDK examples (``custom_waiter.py``): botocore's ``WaiterModel`` and
``create_waiter_with_client``, polling an SQS queue until its backlog is drained by a Lambda consumer."""

from __future__ import annotations

from enum import Enum
from typing import Any

import botocore.waiter


class WaitState(Enum):
    SUCCESS = "success"
    FAILURE = "failure"


class CustomWaiter:
    """A waiter on one operation, polling ``argument`` (a JMESPath expression) until it matches an acceptor."""

    def __init__(
        self,
        name: str,
        operation: str,
        argument: str,
        acceptors: dict[Any, WaitState],
        client: Any,
        delay: int = 10,
        max_tries: int = 60,
        matcher: str = "path",
    ) -> None:
        self.name = name
        self.operation = operation
        self.argument = argument
        self.client = client
        self.waiter_model = botocore.waiter.WaiterModel(
            {
                "version": 2,
                "waiters": {
                    name: {
                        "delay": delay,
                        "operation": operation,
                        "maxAttempts": max_tries,
                        "acceptors": [
                            {"state": state.value, "matcher": matcher, "argument": argument, "expected": expected}
                            for expected, state in acceptors.items()
                        ],
                    }
                },
            }
        )
        self.waiter = botocore.waiter.create_waiter_with_client(self.name, self.waiter_model, self.client)

    def _wait(self, **kwargs: Any) -> None:
        self.waiter.wait(**kwargs)


class QueueDrainedWaiter(CustomWaiter):
    """Waits until an SQS queue has no visible and no in-flight messages."""

    def __init__(self, client: Any) -> None:
        super().__init__(
            "QueueDrained",
            "GetQueueAttributes",
            "Attributes.ApproximateNumberOfMessages == '0' && Attributes.ApproximateNumberOfMessagesNotVisible == '0'",
            {True: WaitState.SUCCESS},
            client,
            delay=15,
            max_tries=40,
        )

    def wait(self, queue_url: str) -> None:
        self._wait(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
