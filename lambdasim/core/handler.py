"""What runs inside an attempt: the Lambda context object and the adapters for the kinds of handler.

Kinds of handler (``Handler=`` on ``create_function``):

- a plain callable ``(event, context)``: called when its attempt starts; its return value (or exception) takes
  effect when the function's ``Duration`` has elapsed;
- an ``async def`` handler: its duration is the simulated time it awaits (``await context.sleep(s)``,
  ``await context.invoke(...)``);
- an importable ``"module.function"`` string: imported on first use, like the Lambda runtime does; an import
  failure is a function error (``Runtime.ImportModuleError``), not a crash;
- a :class:`~lambdasim.core.behaviour.Behaviour`: declarative duration and error rate;
- ``None``: returns ``null`` after ``Duration``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import traceback
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from simpy.events import Timeout

from lambdasim.core.behaviour import Behaviour
from lambdasim.core.clock import timeout

if TYPE_CHECKING:
    import simpy

    from lambdasim.core.engine import Engine
    from lambdasim.core.target import Target

ErrorInfo = tuple[str, str, list[str]]
"""A function error: ``(errorType, errorMessage, stackTrace)``."""


class Wait:
    """An awaitable over one SimPy event: what ``context.sleep`` and ``context.invoke`` hand to ``await``."""

    __slots__ = ("event",)

    def __init__(self, event: simpy.Event) -> None:
        self.event = event

    def __await__(self) -> Generator[simpy.Event, Any, Any]:
        return (yield self.event)


class Sleep(Timeout):
    """What ``context.sleep`` hands to ``await``: the SimPy timeout itself, awaitable (no wrapper per sleep)."""

    def __await__(self) -> Generator[simpy.Event, Any, Any]:
        return (yield self)


class Context:
    """The ``context`` argument of a handler, on the simulated clock (names as in the Python Lambda runtime)."""

    __slots__ = (
        "_deadline",
        "_engine",
        "aws_request_id",
        "function_name",
        "function_version",
        "invoked_function_arn",
        "memory_limit_in_mb",
    )

    def __init__(self, engine: Engine, target: Target, request_id: str, deadline: float) -> None:
        # ``target``: what was invoked (the ARN as the caller named it) and the version that runs.
        name = target.function.name
        version = target.version.version
        self._engine = engine
        self._deadline = deadline
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = version
        self.invoked_function_arn = target.invoked_arn
        self.memory_limit_in_mb = target.version.memory_mb

    # The log names, written out only when read: most handlers never read them.
    @property
    def log_group_name(self) -> str:
        """``/aws/lambda/<function name>``."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """``<function name>/[<version>]<request id without dashes>``."""
        return f"{self.function_name}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout, on the simulated clock."""
        return max(0, round((self._deadline - self._engine.env.now) * 1000))

    def sleep(self, seconds: float) -> Sleep:
        """Await ``seconds`` of simulated time (``async def`` handlers only)."""
        if type(seconds) is not float and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))):
            raise TypeError(f"seconds must be a number >= 0, got {seconds!r} ({type(seconds).__name__})")
        if not seconds >= 0:  # also refuses nan
            raise ValueError(f"seconds must be a number >= 0, got {seconds!r}")
        return timeout(self._engine.env, seconds, Sleep)

    def invoke(self, **kwargs: Any) -> Wait:
        """Invoke another simulated function, as ``lambda_client.invoke(**kwargs)``; await the response."""
        return Wait(self._engine.invoke_from_model(**kwargs))


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def error_info(exc: BaseException) -> ErrorInfo:
    """The Python runtime's view of an exception raised by a handler.

    The stack trace starts at the handler, as the Lambda runtime's does: lambdasim's own frames that called it
    are left out.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename.startswith(_PACKAGE_DIR):
        frames = traceback.StackSummary.from_list(frames[1:])
    return (type(exc).__name__, str(exc), traceback.format_list(frames))


def timeout_error(timeout_s: float) -> ErrorInfo:
    """The error of an attempt that ran past its timeout."""
    return ("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds", [])


JSON_SCALARS = frozenset({str, int, float, bool})
"""Types whose values ``json.dumps`` always writes: a response of one of them needs no trial serialisation."""


def check_response(value: Any) -> ErrorInfo | None:
    """``None`` if ``value`` can be the response payload; else the runtime's marshal error."""
    if value is None or type(value) in JSON_SCALARS:
        return None  # json.dumps takes it as it is: no need to write it out
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        return ("Runtime.MarshalError", f"Unable to marshal response: {exc}", [])
    return None


def resolve(handler: str) -> tuple[Callable[..., Any] | None, ErrorInfo | None]:
    """Import ``"module.function"`` as the Lambda Python runtime would; return the callable or the error."""
    module_name, _, attr = handler.rpartition(".")
    if not module_name:
        return None, (
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
            [],
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the runtime reports every import failure the same way
        return None, ("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", [])
    fn = getattr(module, attr, None)
    if fn is None:
        return None, ("Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'", [])
    return fn, None


def is_handler(value: object) -> bool:
    """Whether ``value`` is one of the kinds of handler above (``None`` included)."""
    return value is None or isinstance(value, (str, Behaviour)) or callable(value)


def describe(handler: object) -> str:
    """The ``Handler`` string shown in function configurations."""
    if handler is None:
        return "lambdasim.none"
    if isinstance(handler, str):
        return handler
    if isinstance(handler, Behaviour):
        return "lambdasim.Behaviour"
    module = getattr(handler, "__module__", None) or "handler"
    name = getattr(handler, "__qualname__", None) or type(handler).__name__
    return f"{module}.{name}"


def is_async(handler: object) -> bool:
    """Whether ``handler`` is an ``async def`` function (or a callable object whose ``__call__`` is)."""
    call = type(handler).__call__ if callable(handler) and not inspect.isfunction(handler) else None
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)
