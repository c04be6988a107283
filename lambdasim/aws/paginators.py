"""boto3-style paginators: ``client.get_paginator("list_functions").paginate(...)``, as botocore's.

A :class:`Paginator` is built from botocore's paginator configuration of an operation (``input_token``,
``output_token``, ``limit_key``, ``result_key``). Its :class:`PageIterator` yields the raw response pages and
honours ``PaginationConfig={"MaxItems", "PageSize", "StartingToken"}``; when ``MaxItems`` stops it mid-way it
offers a ``resume_token`` (botocore's format: base64 JSON, with ``boto_truncate_amount`` when a page was cut),
which :meth:`PageIterator.build_full_result` returns as ``NextToken``. Only single-token, single-result-key
configurations are supported: every Lambda paginator is one.

>>> import lambdasim as ls
>>> lam = ls.Simulation(seed=1).client("lambda")
>>> for n in range(3):
...     _ = lam.create_function(FunctionName=f"f{n}")
>>> pages = lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
>>> [len(page["Functions"]) for page in pages]
[2, 1]
>>> pages.build_full_result()["Functions"][2]["FunctionName"]
'f2'
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Method = Callable[..., dict[str, Any]]


class OperationNotPageableError(Exception):
    """Raised by ``get_paginator`` for an operation without a paginator (botocore's message)."""

    def __init__(self, operation_name: str) -> None:
        self.operation_name = operation_name
        super().__init__(f"Operation cannot be paginated: {operation_name}")


class PaginationError(Exception):
    """A paging argument botocore would refuse (for example a malformed ``StartingToken``)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Error during pagination: {message}")


def xform_name(operation: str) -> str:
    """``ListFunctionEventInvokeConfigs`` -> ``list_function_event_invoke_configs`` (boto3's method names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def encode_token(token: Mapping[str, Any]) -> str:
    """botocore's ``TokenEncoder`` for JSON-able tokens."""
    return base64.b64encode(json.dumps(dict(token)).encode("utf-8")).decode("utf-8")


def decode_token(token: str) -> dict[str, Any]:
    """botocore's ``TokenDecoder``."""
    try:
        decoded = json.loads(base64.b64decode(token.encode("utf-8")).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise PaginationError(f"Bad starting token: {token}") from None
    if not isinstance(decoded, dict):
        raise PaginationError(f"Bad starting token: {token}")
    return decoded


class Paginator:
    """Creates :class:`PageIterator` objects for one operation of one client."""

    def __init__(self, method: Method, config: Mapping[str, str]) -> None:
        self._method = method
        self._input_token = config["input_token"]
        self._output_token = config["output_token"]
        self._limit_key = config.get("limit_key")
        self._result_key = config["result_key"]

    @property
    def result_keys(self) -> list[str]:
        return [self._result_key]

    def paginate(self, **kwargs: Any) -> PageIterator:
        """An iterable of response pages. ``PaginationConfig`` takes ``MaxItems`` (total items over all pages),
        ``PageSize`` (items per request, sent as the operation's ``MaxItems``) and ``StartingToken``."""
        paging = dict(kwargs.pop("PaginationConfig", None) or {})
        unknown = set(paging) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise PaginationError(f"unknown PaginationConfig keys {sorted(unknown)}")
        max_items = paging.get("MaxItems")
        page_size = paging.get("PageSize")
        if page_size is not None and self._limit_key is None:
            raise PaginationError(
                "PageSize parameter is not supported for the pagination interface for this operation."
            )
        return PageIterator(
            self._method,
            self._input_token,
            self._output_token,
            self._limit_key,
            self._result_key,
            None if max_items is None else int(max_items),
            paging.get("StartingToken"),
            None if page_size is None else int(page_size),
            kwargs,
        )


class PageIterator:
    """Iterating gives one response dict per service call (botocore's ``PageIterator``)."""

    def __init__(
        self,
        method: Method,
        input_token: str,
        output_token: str,
        limit_key: str | None,
        result_key: str,
        max_items: int | None,
        starting_token: str | None,
        page_size: int | None,
        op_kwargs: dict[str, Any],
    ) -> None:
        self._method = method
        self._input_token = input_token
        self._output_token = output_token
        self._limit_key = limit_key
        self._result_key = result_key
        self._max_items = max_items
        self._starting_token = starting_token
        self._page_size = page_size
        self._op_kwargs = op_kwargs
        self.resume_token: str | None = None

    @property
    def result_keys(self) -> list[str]:
        return [self._result_key]

    def _start(self) -> tuple[dict[str, Any], int]:
        kwargs = dict(self._op_kwargs)
        skip = 0
        if self._starting_token is not None:
            token = decode_token(self._starting_token)
            skip = int(token.pop("boto_truncate_amount", 0))
            if set(token) != {self._input_token}:
                raise PaginationError(f"Bad starting token: {self._starting_token}")
            if token[self._input_token] is not None:
                kwargs[self._input_token] = token[self._input_token]
        if self._page_size is not None and self._limit_key is not None:
            kwargs[self._limit_key] = self._page_size
        return kwargs, skip

    def __iter__(self) -> Iterator[dict[str, Any]]:
        kwargs, skip = self._start()
        self.resume_token = None
        total = 0
        previous: str | None = kwargs.get(self._input_token)
        while True:
            response = self._method(**kwargs)
            items = list(response.get(self._result_key) or [])
            if skip:  # resuming inside a page that MaxItems cut last time
                items = items[skip:]
            response[self._result_key] = items
            next_marker = response.get(self._output_token) or None
            if self._max_items is not None and total + len(items) > self._max_items:
                keep = self._max_items - total
                response[self._result_key] = items[:keep]
                response.pop(self._output_token, None)
                marker = kwargs.get(self._input_token)
                self.resume_token = encode_token({self._input_token: marker, "boto_truncate_amount": keep + skip})
                yield response
                return
            skip = 0
            total += len(items)
            yield response
            if next_marker is None:
                return
            if self._max_items is not None and total == self._max_items:
                self.resume_token = encode_token({self._input_token: next_marker})
                return
            if next_marker == previous:
                raise PaginationError(f"The same next token was received twice: {{'{self._input_token}': ...}}")
            kwargs[self._input_token] = previous = next_marker

    def build_full_result(self) -> dict[str, Any]:
        """Every page's result items in one list; ``NextToken`` if ``MaxItems`` stopped early."""
        items: list[Any] = []
        for page in self:
            items.extend(page[self._result_key])
        out: dict[str, Any] = {self._result_key: items}
        if self.resume_token is not None:
            out["NextToken"] = self.resume_token
        return out

    def search(self, expression: str) -> Iterator[Any]:
        """Apply a JMESPath ``expression`` to each page, yielding list results item by item (needs ``jmespath``,
        ``pip install lambdasim[paginate]``)."""
        try:
            import jmespath  # type: ignore[import-untyped,unused-ignore]
        except ImportError:  # pragma: no cover - jmespath comes with boto3 and with the test extra
            raise ImportError("PageIterator.search needs jmespath: pip install 'lambdasim[paginate]'") from None
        compiled = jmespath.compile(expression)
        for page in self:
            result = compiled.search(page)
            if isinstance(result, list):
                yield from result
            else:
                yield result
