"""Where an asynchronous event ended, and the typed extension point for whoever consumes it.

An :class:`Outcome` is built only when a :class:`Sink` listens, so runs without sinks pay nothing for it.
:meth:`Outcome.record` gives the AWS invocation record (version 1.0) of spec section 4.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol, runtime_checkable

from attrs import frozen

from lambdasim.core.handler import ErrorInfo
from lambdasim.core.rules import Condition


def iso_timestamp(epoch_s: float) -> str:
    """ISO 8601 in UTC with milliseconds, as Lambda stamps its records: ``2026-01-01T00:03:00.123Z``."""
    ms = round(epoch_s * 1000)
    moment = _dt.datetime.fromtimestamp(ms // 1000, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


@frozen(kw_only=True)
class Outcome:
    """The end of one asynchronous event (one copy, if the queue duplicated it).

    Attributes:
        request_id: The request id shared by every attempt.
        function_name: The function's name.
        function_arn: The qualified ARN the event was invoked on.
        condition: How it ended.
        approximate_invoke_count: Attempts that ran.
        request_payload: The original event.
        response: The last attempt's return value (on success).
        error: The last function error ``(errorType, errorMessage, stackTrace)``, if any.
        status_code: HTTP status of the last try: 200 when an attempt ran, 429 throttled, 5xx service error.
        enqueued_at: Simulated time of the ``Invoke`` call (s).
        finished_at: Simulated time of the outcome (s).
        epoch_s: Unix time of simulated time 0, for timestamps.
        executed_version: The version that ran (``responseContext.executedVersion``): ``"$LATEST"`` or a number.
    """

    request_id: str
    function_name: str
    function_arn: str
    condition: Condition
    approximate_invoke_count: int
    request_payload: Any
    response: Any = None
    error: ErrorInfo | None = None
    status_code: int = 200
    enqueued_at: float = 0.0
    finished_at: float = 0.0
    epoch_s: float = 0.0
    executed_version: str = "$LATEST"

    @property
    def age(self) -> float:
        """Seconds from ``Invoke`` to this outcome."""
        return self.finished_at - self.enqueued_at

    @property
    def timestamp(self) -> str:
        """ISO 8601 time of the outcome."""
        return iso_timestamp(self.epoch_s + self.finished_at)

    @property
    def error_payload(self) -> dict[str, Any] | None:
        """The function error as the Python runtime reports it, or ``None``."""
        if self.error is None:
            return None
        error_type, message, stack = self.error
        return {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": self.request_id,
            "stackTrace": list(stack),
        }

    def record(self) -> dict[str, Any]:
        """The invocation record sent to destinations (spec section 4)."""
        rec: dict[str, Any] = {
            "version": "1.0",
            "timestamp": self.timestamp,
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": self.function_arn,
                "condition": self.condition.value,
                "approximateInvokeCount": self.approximate_invoke_count,
            },
            "requestPayload": self.request_payload,
        }
        if self.condition is Condition.ZERO_RESERVED_CONCURRENCY or self.approximate_invoke_count == 0:
            # No attempt ran (reserved concurrency 0, or aged out after throttles only): there is no response.
            return rec
        # The status of the last attempt that ran: 200, function error or not (a later throttle is not a response).
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": self.executed_version}
        if self.condition is Condition.SUCCESS:
            rec["responseContext"] = response_context
            rec["responsePayload"] = self.response
            return rec
        if self.error is not None:
            response_context["functionError"] = "Unhandled"
        rec["responseContext"] = response_context
        rec["responsePayload"] = self.error_payload
        return rec


@runtime_checkable
class Sink(Protocol):
    """Anything that consumes outcomes: a destination, a dead-letter queue, a user's downstream model.

    ``deliver`` is called at the simulated time of the outcome. It must not raise for ordinary input; an exception
    from a user's sink is counted (the function's ``sink_errors``), never a crash of the run.
    """

    def deliver(self, outcome: Outcome) -> None:
        """Consume one outcome."""
