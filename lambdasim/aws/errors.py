"""Errors raised by the boto3-shaped clients, in botocore's layout.

``ClientError.response`` is ``{"Error": {"Code", "Message"}, "ResponseMetadata": {"HTTPStatusCode", ...}}`` and
``str(error)`` reads as botocore's: ``An error occurred (Code) when calling the Op operation: Message``.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any


class ClientError(Exception):
    """An AWS service error, shaped like ``botocore.exceptions.ClientError``."""

    def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
        self.response = error_response
        self.operation_name = operation_name
        err = error_response.get("Error", {})
        super().__init__(
            f"An error occurred ({err.get('Code', 'Unknown')}) when calling the {operation_name} "
            f"operation: {err.get('Message', 'Unknown')}"
        )


class ParamValidationError(ValueError):
    """Client-side parameter validation failure, shaped like ``botocore.exceptions.ParamValidationError``."""

    def __init__(self, report: str) -> None:
        self.kwargs = {"report": report}
        super().__init__(f"Parameter validation failed:\n{report}")


class WaiterError(Exception):
    """A waiter reached a failure state or ran out of attempts, shaped like ``botocore.exceptions.WaiterError``:
    ``str(error)`` is ``Waiter <Name> failed: <reason>``, ``.kwargs`` holds ``name`` and ``reason``, and
    ``.last_response`` is the last response polled (an error response is its ``ClientError.response``).

    Raise it with :func:`waiter_error`, which also makes it a ``botocore.exceptions.WaiterError`` when botocore is
    installed, so that either ``except`` clause catches it.
    """

    fmt = "Waiter {name} failed: {reason}"

    def __init__(self, name: str, reason: str, last_response: dict[str, Any]) -> None:
        self.kwargs = {"name": name, "reason": reason}
        self.last_response = last_response
        super().__init__(self.fmt.format(name=name, reason=reason))


@cache
def _waiter_error_class() -> type[WaiterError]:
    """:class:`WaiterError`, joined with botocore's own class when botocore can be imported (it is optional)."""
    try:
        botocore_exceptions = importlib.import_module("botocore.exceptions")
    except ImportError:
        return WaiterError
    theirs = botocore_exceptions.WaiterError
    # botocore's __init__ runs (it sets the same message, .kwargs and .last_response as ours).
    joined: type[WaiterError] = type("WaiterError", (theirs, WaiterError), {"__module__": __name__})
    return joined


def waiter_error(name: str, reason: str, last_response: dict[str, Any]) -> WaiterError:
    """The exception a botocore waiter raises: a :class:`WaiterError`, and a ``botocore.exceptions.WaiterError``
    too if botocore is installed."""
    return _waiter_error_class()(name=name, reason=reason, last_response=last_response)


_CLASSES: dict[str, type[ClientError]] = {}


def error_class(code: str) -> type[ClientError]:
    """The ``ClientError`` subclass for an error code (one class per code, shared by every client)."""
    cls = _CLASSES.get(code)
    if cls is None:
        cls = type(code, (ClientError,), {"__module__": "lambdasim.aws.errors"})
        _CLASSES[code] = cls
    return cls


def client_error(
    code: str,
    message: str,
    operation: str,
    status: int = 400,
    *,
    request_id: str = "",
    extra: dict[str, Any] | None = None,
) -> ClientError:
    """Build the exception botocore would raise for ``code`` from ``operation``."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id, "HTTPHeaders": {}, "RetryAttempts": 0},
        "message": message,
    }
    if extra:
        response.update(extra)
    return error_class(code)(response, operation)


class ClientExceptions:
    """``client.exceptions``: attribute access gives the class for any error code, as boto3's does."""

    ClientError = ClientError  # boto3 offers client.exceptions.ClientError too

    def __init__(self, codes: tuple[str, ...]) -> None:
        self._codes = codes
        for code in codes:
            setattr(self, code, error_class(code))

    def __getattr__(self, name: str) -> type[Exception]:
        if name.startswith("_"):
            raise AttributeError(name)
        return error_class(name)
