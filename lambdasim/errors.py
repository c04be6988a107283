"""Errors raised by the boto3-shaped clients, in botocore's layout.

``ClientError.response`` is ``{"Error": {"Code", "Message"}, "ResponseMetadata": {"HTTPStatusCode", ...}}`` and
``str(error)`` reads as botocore's: ``An error occurred (Code) when calling the Op operation: Message``.
"""

from __future__ import annotations

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


_CLASSES: dict[str, type[ClientError]] = {}


def error_class(code: str) -> type[ClientError]:
    """The ``ClientError`` subclass for an error code (one class per code, shared by every client)."""
    cls = _CLASSES.get(code)
    if cls is None:
        cls = type(code, (ClientError,), {"__module__": "lambdasim.errors"})
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
