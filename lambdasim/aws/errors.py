"""Errors raised by the boto3-shaped clients, in botocore's layout.

``ClientError.response`` is ``{"Error": {"Code", "Message"}, "ResponseMetadata": {"HTTPStatusCode", ...}}`` and
``str(error)`` reads as botocore's: ``An error occurred (Code) when calling the Op operation: Message``.

When botocore is installed (it is optional), :class:`ClientError`, every ``client.exceptions.<Code>`` class and
:class:`ParamValidationError` are subclasses of botocore's own ``botocore.exceptions.ClientError`` and
``ParamValidationError``, so code written for boto3 (``except botocore.exceptions.ClientError``,
``pytest.raises(ClientError)``) catches them; botocore's ``__init__`` then builds the message and attributes. Without
botocore they stand alone, with the same attributes and messages.

>>> err = client_error("ResourceNotFoundException", "Function not found: f", "Invoke", 404)
>>> isinstance(err, ClientError), err.operation_name, err.response["Error"]["Code"]
(True, 'Invoke', 'ResourceNotFoundException')
>>> str(err)
'An error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found: f'
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any


def _botocore_exceptions() -> ModuleType | None:
    """``botocore.exceptions``, or ``None`` when botocore cannot be imported."""
    try:
        return importlib.import_module("botocore.exceptions")
    except ImportError:
        return None


class _StandaloneClientError(Exception):
    """``botocore.exceptions.ClientError`` as botocore 1.43 defines it, for when botocore is not installed."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} operation{retry_info}: {error_message}"
    )

    def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
        error = error_response.get("Error", {})
        metadata = error_response.get("ResponseMetadata", {})
        retry_info = ""
        if metadata.get("MaxAttemptsReached", False) and "RetryAttempts" in metadata:
            retry_info = f" (reached max retries: {metadata['RetryAttempts']})"
        super().__init__(
            self.MSG_TEMPLATE.format(
                error_code=error.get("Code", "Unknown"),
                error_message=error.get("Message", "Unknown"),
                operation_name=operation_name,
                retry_info=retry_info,
            )
        )
        self.response = error_response
        self.operation_name = operation_name


class _StandaloneParamValidationError(Exception):
    """``botocore.exceptions.ParamValidationError`` (a ``BotoCoreError``), for when botocore is not installed."""

    fmt = "Parameter validation failed:\n{report}"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.fmt.format(**kwargs))
        self.kwargs = kwargs


_BOTOCORE = _botocore_exceptions()

if TYPE_CHECKING:  # mypy sees the standalone shapes; at run time botocore's classes when it is installed
    _ClientErrorBase = _StandaloneClientError
    _ParamValidationErrorBase = _StandaloneParamValidationError
else:
    _ClientErrorBase = _StandaloneClientError if _BOTOCORE is None else _BOTOCORE.ClientError
    _ParamValidationErrorBase = _StandaloneParamValidationError if _BOTOCORE is None else _BOTOCORE.ParamValidationError


class ClientError(_ClientErrorBase):
    """An AWS service error: a ``botocore.exceptions.ClientError`` when botocore is installed, else shaped like one.

    ``.response`` is botocore's error response, ``.operation_name`` the operation's name (``"Invoke"``).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # The per-code classes are made at run time; rebuild through error_class so a pickled error (a result sent
        # back from a worker process) keeps its code class, as botocore's own __reduce__ would not.
        return _rebuild_client_error, (type(self).__name__, self.response, self.operation_name)


def _rebuild_client_error(code: str, response: dict[str, Any], operation_name: str) -> ClientError:
    cls = ClientError if code == "ClientError" else error_class(code)
    return cls(response, operation_name)


class ParamValidationError(_ParamValidationErrorBase, ValueError):
    """Client-side parameter validation failure: a ``botocore.exceptions.ParamValidationError`` when botocore is
    installed, else shaped like one (``str(error)`` is ``Parameter validation failed:`` and the report,
    ``.kwargs["report"]`` the report). It is a ``ValueError`` too.
    """

    def __init__(self, report: str | None = None, **kwargs: Any) -> None:
        # botocore raises it as ParamValidationError(report=...); lambdasim passes the report positionally.
        if report is not None:
            kwargs["report"] = report
        super().__init__(**kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_param_validation_error, (self.kwargs,)


def _rebuild_param_validation_error(kwargs: dict[str, Any]) -> ParamValidationError:
    return ParamValidationError(**kwargs)


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
    botocore_exceptions = _botocore_exceptions()  # looked up again here: tests simulate its absence
    if botocore_exceptions is None:
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
