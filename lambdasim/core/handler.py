"""What runs inside an attempt: the Lambda context object and the adapters for the kinds of handler.

Kinds of handler (``Handler=`` on ``create_function``):

- a plain callable ``(event, context)``: called when its attempt starts; its return value (or exception) takes
  effect when the function's ``Duration`` has elapsed;
- an ``async def`` handler: its duration is the simulated time it awaits (``await context.sleep(s)``,
  ``await context.invoke(...)``);
- an importable ``"module.function"`` string: imported on first use, like the Lambda runtime does; an import
  failure is a function error (``Runtime.ImportModuleError``), not a crash;
- a handler in a deployment package (``Code={"ZipFile": ...}``): imported from the package,
  :mod:`lambdasim.core.code`;
- a :class:`~lambdasim.core.behaviour.Behaviour`: declarative duration and error rate;
- ``None``: returns ``null`` after ``Duration``.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import inspect
import io
import json
import os
import traceback
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

from lambdasim.core.behaviour import Behaviour
from lambdasim.core.billing import billed_ms_of

if TYPE_CHECKING:
    import simpy

    from lambdasim.core.engine import Engine
    from lambdasim.core.target import Target

ErrorInfo = tuple[str, str, list[str]]
"""A function error: ``(errorType, errorMessage, stackTrace)``."""


class Wait:
    """An awaitable of an ``async def`` handler: what ``context.sleep`` and ``context.invoke`` hand to ``await``.

    A sleep holds only its length (``delay``): the engine starts its timer when it is awaited, and not at all when
    it would outlive the function's timeout, so nothing is left on the clock after the attempt ends. An invoke holds
    the SimPy event of its response. Like an asyncio future, a ``Wait`` can be awaited more than once: the first
    await waits; later ones give the same result (or raise the same error) at once.
    """

    __slots__ = ("_done", "_error", "_value", "delay", "event")

    def __init__(self, event: simpy.Event | None = None, delay: float = 0.0) -> None:
        self.event = event
        self.delay = delay
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def __await__(self) -> Generator[Wait, Any, Any]:
        if not self._done:
            try:
                self._value = yield self
            except Exception as exc:  # a failed invoke: remembered for a second await
                self._done = True
                self._error = exc
                raise
            self._done = True
        if self._error is not None:
            raise self._error
        return self._value


class Context:
    """The ``context`` argument of a handler, on the simulated clock (names as in the Python Lambda runtime); made by
    :func:`new_context`."""

    __slots__ = (
        "_deadline",
        "_engine",
        "_log_stream",
        "aws_request_id",
        "client_context",
        "function_name",
        "function_version",
        "identity",
        "invoked_function_arn",
        "memory_limit_in_mb",
    )
    _log_stream: str | None  # set by the engine only while function logs are kept (read through getattr)
    # Set by new_context, which makes every context: the class has no __init__ of its own (see new_context).
    _engine: Engine
    _deadline: float
    aws_request_id: str
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    client_context: Any
    identity: Any

    # The log names, written out only when read: most handlers never read them.
    @property
    def log_group_name(self) -> str:
        """``/aws/lambda/<function name>``."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """The execution environment's log stream (``YYYY/MM/DD/[<version>]<32 hex digits>``) while function logs
        are kept (a logs client exists); otherwise ``<function name>/[<version>]<request id without dashes>``, as no
        stream is written."""
        stream: str | None = getattr(self, "_log_stream", None)  # set only while logs are kept: no cost otherwise
        if stream is not None:
            return stream
        return f"{self.function_name}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout, on the simulated clock."""
        return max(0, round((self._deadline - self._engine.env.now) * 1000))

    def sleep(self, seconds: float) -> Wait:
        """Await ``seconds`` of simulated time (``async def`` handlers only)."""
        if type(seconds) is float:  # the common case first: no conversion
            if seconds >= 0.0:  # also refuses nan
                return Wait(None, seconds)  # inf is allowed: the attempt times out
        elif isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number >= 0, got {seconds!r} ({type(seconds).__name__})")
        if not seconds >= 0:  # also refuses nan
            raise ValueError(f"seconds must be a number >= 0, got {seconds!r}")
        return Wait(None, float(seconds))

    def invoke(self, **kwargs: Any) -> Wait:
        """Invoke another simulated function, as ``lambda_client.invoke(**kwargs)``; await the response."""
        return Wait(self._engine.invoke_from_model(**kwargs))


def new_context(engine: Engine, target: Target, request_id: str, deadline: float, client_context: Any) -> Context:
    """The context of an attempt on ``target`` (what was invoked, the ARN as the caller named it, and the version
    that runs), timing out at simulated time ``deadline``; ``client_context`` is Invoke's (``None`` unless a caller
    sends one, as on AWS).

    What an ``__init__`` would do: the class has none, so that making one (once per attempt) is a call of the class
    without a Python ``__init__``, measurably cheaper on CPython 3.11.
    """
    ctx = Context()
    version = target.version
    ctx._engine = engine
    ctx._deadline = deadline
    ctx.aws_request_id = request_id
    ctx.function_name = target.function.name
    ctx.function_version = version.version
    ctx.invoked_function_arn = target.invoked_arn
    # A string, as the Python runtime gives it (recorded: LocalStack's test_invocation_with_qualifier).
    ctx.memory_limit_in_mb = str(version.memory_mb)
    # The mobile SDK's client context and Cognito identity: None unless a caller sends them, as on AWS.
    ctx.client_context = client_context
    ctx.identity = None
    return ctx


class MobileClient:
    """``context.client_context.client``: the calling app, as the Python runtime reads it from the client context."""

    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    """``context.client_context``: Invoke's ``ClientContext`` (base64 of a JSON object), as the Python runtime
    gives it: ``client`` (a :class:`MobileClient` or ``None``), ``custom`` and ``env`` (dicts or ``None``)."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, document: Mapping[str, Any]) -> None:
        client = document.get("client")
        self.client = MobileClient(client) if isinstance(client, Mapping) else None
        self.custom = document.get("custom")
        self.env = document.get("env")

    @classmethod
    def decode(cls, value: str) -> ClientContext:
        """From Invoke's ``ClientContext``; ``ValueError`` naming the problem if it is not base64 of a JSON object."""
        try:
            document = json.loads(base64.b64decode(value, validate=True))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"ClientContext must be base64 of a JSON object: {exc}") from None
        if not isinstance(document, dict):
            raise ValueError(f"ClientContext must be base64 of a JSON object, got {type(document).__name__}")
        return cls(document)


class AttemptLog:
    """What an attempt logs: what the handler printed to standard output, and the init phase it waited for (``Init
    Duration``); filled for a synchronous invoke with ``LogType=Tail`` and, while function logs are kept, for every
    attempt. With a ``clock``, each write is marked with the simulated time it was made at (``marks``: its offset in
    ``output`` and the time), so that log events carry it."""

    __slots__ = ("clock", "cold", "init_s", "marks", "output", "stream_name")

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.output = io.StringIO()
        self.stream_name: str | None = None  # the environment's log stream, while function logs are kept
        self.cold = False  # ran in a new environment: the REPORT line gives its Init Duration
        self.init_s = 0.0
        self.clock = clock
        self.marks: list[tuple[int, float]] = []

    def capture(self) -> contextlib.redirect_stdout[Any]:
        """A context manager sending ``print()`` inside it to this log."""
        return contextlib.redirect_stdout(self.output if self.clock is None else _Marked(self))


class _Marked:
    """Standard output for a log with a clock: each write marked with its offset and the simulated time."""

    __slots__ = ("_log",)

    def __init__(self, log: AttemptLog) -> None:
        self._log = log

    def write(self, text: str) -> int:
        log = self._log
        assert log.clock is not None
        log.marks.append((log.output.tell(), log.clock()))
        return log.output.write(text)

    def flush(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:  # the rest of a text stream (isatty, writable...), as the StringIO's
        return getattr(self._log.output, name)


def runtime_error_log(error: ErrorInfo) -> str:
    """The Python runtime's log record of a function error: ``[ERROR] Type: message`` and the traceback, each
    line's indentation in no-break spaces (recorded: LocalStack's test_invocation_type_event_error)."""
    error_type, message, stack = error
    lines = [f"[ERROR] {error_type}: {message}"]
    if stack:
        lines.append("Traceback (most recent call last):")
        for line in "".join(stack).splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines) + "\n"


def log_lines(
    request_id: str,
    version: str,
    memory_mb: int,
    output: str,
    error: ErrorInfo | None,
    duration_ms: float,
    init_ms: float | None,
) -> list[str]:
    """The lines the Python runtime and Lambda log for one attempt, each ending in a newline but the printed output's
    last (as printed): ``START``, what the handler printed, the runtime's ``[ERROR]`` record of an exception,
    ``END`` and ``REPORT`` (with ``Init Duration`` after a cold start: ``init_ms`` not ``None``), as recorded in
    LocalStack's test_invocation_with_logs. ``Max Memory Used`` is the memory size: lambdasim does not model memory
    use. ``LogResult`` (its last 4 KB) and the function's CloudWatch log stream (one event per line) both come from
    here."""
    lines = [f"START RequestId: {request_id} Version: {version}\n", *output.splitlines(True)]
    if error is not None and error[2]:
        lines.append(runtime_error_log(error))
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms_of(duration_ms)} "
        f"ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {memory_mb} MB\t"
    )
    if init_ms is not None:
        report += f"Init Duration: {init_ms:.2f} ms\t"
    lines += [f"END RequestId: {request_id}\n", report + "\n"]
    return lines


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def error_info(exc: BaseException) -> ErrorInfo:
    """The Python runtime's view of an exception raised by a handler.

    The stack trace starts at the handler, as the Lambda runtime's does: lambdasim's own frames that called it
    are left out. An exception whose ``__str__`` itself raises gets the message the ``traceback`` module prints
    for it, rather than breaking the run.
    """
    message = safe_str(exc)
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        while frames and frames[0].filename.startswith(_PACKAGE_DIR):
            frames = traceback.StackSummary.from_list(frames[1:])
        stack = traceback.format_list(frames)
    except Exception:  # a frame that cannot be rendered: no stack rather than no outcome
        stack = []
    return (type(exc).__name__, message, stack)


def exit_error(err: SystemExit) -> ErrorInfo:
    """A handler called ``sys.exit``: the runtime process exits, which Lambda reports as ``Runtime.ExitError``.

    As the runtime reports it (recorded: LocalStack's test_lambda_handler_exit and
    test_lambda_runtime_wrapper_not_found); ``sys.exit("text")`` exits with status 1, as Python does. The response
    adds "RequestId: <id> Error: " in front.
    """
    status = 0 if err.code is None else err.code if isinstance(err.code, int) else 1
    if status == 0:
        return ("Runtime.ExitError", "Runtime exited without providing a reason", [])
    return ("Runtime.ExitError", f"Runtime exited with error: exit status {status}", [])


def timeout_error(timeout_s: float) -> ErrorInfo:
    """The error of an attempt that ran past its timeout."""
    return ("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds", [])


JSON_SCALARS = frozenset({str, int, float, bool})
"""Types whose values ``json.dumps`` always writes: a response of one of them needs no trial serialisation."""


def check_response(value: Any, limit_bytes: int | None = None) -> ErrorInfo | None:
    """``None`` if ``value`` can be the response payload; else the runtime's error.

    A value JSON cannot encode (an object, ``nan``, a cycle, nesting deeper than the interpreter can follow) is
    the runtime's ``Runtime.MarshalError``; a synchronous response over ``limit_bytes`` is Lambda's
    ``Function.ResponseSizeTooLarge`` (6 MB for ``RequestResponse`` [doc]).
    """
    if value is None or (type(value) in JSON_SCALARS and (limit_bytes is None or type(value) is not str)):
        return None  # json.dumps takes it as it is, and it is small: no need to write it out
    try:
        body = json.dumps(value)  # ASCII: its length is its size in bytes
    except RecursionError:
        return ("Runtime.MarshalError", "Unable to marshal response: maximum recursion depth exceeded", [])
    except Exception as exc:  # whatever a user's object raises while being encoded
        return ("Runtime.MarshalError", f"Unable to marshal response: {safe_str(exc)}", [])
    if limit_bytes is not None and len(body) > limit_bytes:
        return (
            "Function.ResponseSizeTooLarge",
            f"Response payload size exceeded maximum allowed payload size ({limit_bytes} bytes).",
            [],
        )
    return None


def safe_str(exc: BaseException) -> str:
    """``str(exc)``, or the ``traceback`` module's placeholder when the exception's ``__str__`` raises."""
    try:
        return str(exc)
    except Exception:
        return "<exception str() failed>"


_SCALARS = frozenset({str, int, float, bool, type(None)})


def fresh(payload: Any) -> Any:
    """A deep copy of a JSON event, as the runtime deserialises it afresh for every attempt.

    dicts, lists and immutable scalars (what ``json.loads`` gives, and what the API and workloads accept) are
    copied directly, several times faster than ``copy.deepcopy``; anything else goes through JSON, as on AWS
    (a tuple arrives as a list). Payload depth is bounded at the door
    (:data:`~lambdasim.core.limits.MAX_PAYLOAD_DEPTH`).
    """
    t = type(payload)
    if t is dict:
        for v in payload.values():
            if type(v) not in _SCALARS:
                return {k: v if type(v) in _SCALARS else fresh(v) for k, v in payload.items()}
        return payload.copy()  # flat (the common case): the same new dict, several times faster
    if t is list:
        for v in payload:
            if type(v) not in _SCALARS:
                return [v if type(v) in _SCALARS else fresh(v) for v in payload]
        return payload.copy()
    if t in _SCALARS:
        return payload
    return json.loads(json.dumps(payload))


RESPONSE_LIMIT_BYTES = 6_291_556
"""The largest synchronous response payload: 6 MB and 100 bytes, as AWS's error names it (recorded: LocalStack's
test_lambda_too_large_response)."""


def resolve(handler: Any) -> tuple[Callable[..., Any] | None, ErrorInfo | None]:
    """Import ``"module.function"`` as the Lambda Python runtime would; return the callable or the error.

    A handler from a deployment package (:class:`~lambdasim.core.code.CodeHandler`) imports from its package."""
    if type(handler) is not str:
        return handler.resolve()  # type: ignore[no-any-return]
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
