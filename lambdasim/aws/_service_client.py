"""What the clients of the simulated destination services share: their errors and paging tokens.

Services that moved from the query protocol (SQS, CloudWatch) answer with a query-compatible error: ``Error.Code``
is the old query code (``AWS.SimpleQueueService.NonExistentQueue``) and ``Error.QueryErrorCode`` the botocore shape
(``QueueDoesNotExist``), whose class ``client.exceptions.QueueDoesNotExist`` catches it, as in boto3. For SNS
(query) the code is the shape's error code and ``client.exceptions.<Shape>`` is mapped onto it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from lambdasim.aws._client import BaseClient
from lambdasim.aws._params import Member, validate
from lambdasim.aws.account import ServiceError
from lambdasim.aws.errors import ClientError, ClientExceptions, error_class
from lambdasim.aws.paginators import OperationNotPageableError, Paginator, xform_name

if TYPE_CHECKING:
    from lambdasim.aws.account import Services
    from lambdasim.aws.simulation import Simulation


class ServiceExceptions(ClientExceptions):
    """``client.exceptions`` whose botocore shape names map onto the error classes the client raises."""

    def __init__(self, codes: tuple[str, ...], aliases: dict[str, str]) -> None:
        self._aliases = aliases
        super().__init__(codes)
        for shape, key in aliases.items():
            setattr(self, shape, error_class(key))

    def __getattr__(self, name: str) -> type[Exception]:
        if name.startswith("_"):
            raise AttributeError(name)
        return error_class(self._aliases.get(name, name))


class ServiceClient(BaseClient):
    """A boto3-shaped client of one simulated destination service."""

    aliases: ClassVar[dict[str, str]] = {}
    """``{botocore shape name: the key of the class raised}`` where the two differ."""

    operations: ClassVar[Mapping[str, tuple[str, Mapping[str, Member]]]] = {}
    """Each operation by method name (``"send_message"``): its botocore name (``"SendMessage"``) and input members."""

    paginators: ClassVar[dict[str, dict[str, str]]] = {}
    """botocore's paginator configuration of each pageable operation (single result key: the first of botocore's)."""

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.exceptions = ServiceExceptions(self.error_codes, self.aliases)
        self._services: Services = sim.services

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works (``operation_name`` as the method is named)."""
        return any(xform_name(op) == operation_name for op in self.paginators)

    def get_paginator(self, operation_name: str) -> Paginator:
        """A boto3-style paginator of a listing operation (``client.get_paginator("list_queues")``)."""
        for op, config in self.paginators.items():
            if xform_name(op) == operation_name:
                return Paginator(getattr(self, operation_name), config)
        raise OperationNotPageableError(operation_name)

    def _call(self, method: str, params: dict[str, Any]) -> str:
        """Check ``params`` of ``method`` as botocore does before sending them; return the operation's name."""
        operation, members = self.operations[method]
        validate(params, members)
        return operation

    def _fail(self, exc: ServiceError, operation: str) -> ClientError:
        """The botocore-shaped error for a :class:`~lambdasim.aws.account.ServiceError`."""
        base = self._error(exc.code, exc.message, operation, exc.status)
        error = base.response["Error"]
        if exc.shape is not None:
            error["QueryErrorCode"] = exc.shape
            error["Type"] = "Sender"
        error.update(exc.error_extra)
        return error_class(exc.shape or exc.code)(base.response, operation)

    @contextlib.contextmanager
    def _client_errors(self, operation: str) -> Iterator[None]:
        """Inside, what the simulated service refuses (a ``ServiceError``) raises ``operation``'s ``ClientError``."""
        try:
            yield
        except ServiceError as exc:
            raise self._fail(exc, operation) from None

    def _invalid(self, code: str, message: str, operation: str, shape: str | None = None) -> ClientError:
        return self._fail(ServiceError(code, message, shape=shape), operation)


def encode_token(position: int) -> str:
    """An opaque paging token for a position in a sorted listing."""
    return base64.b64encode(f"lambdasim:{position}".encode()).decode()


def decode_token(token: str) -> int | None:
    """The position of a token from :func:`encode_token`, or ``None`` if it is not one."""
    try:
        text = base64.b64decode(token.encode(), validate=True).decode()
    except ValueError:
        return None
    prefix, _, number = text.partition(":")
    if prefix != "lambdasim" or not number.isdigit():
        return None
    return int(number)


def as_epoch(value: Any) -> float | None:
    """A boto3 timestamp argument (``datetime``, ISO 8601 string or epoch seconds) as Unix time, or ``None``."""
    if isinstance(value, _dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=_dt.UTC)
        return moment.timestamp()
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.UTC)
        return moment.timestamp()
    return None


def utc(epoch_s: float) -> _dt.datetime:
    """A timezone-aware UTC ``datetime``, as boto3 returns timestamps."""
    return _dt.datetime.fromtimestamp(epoch_s, tz=_dt.UTC)
