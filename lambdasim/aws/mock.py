"""``lambdasim.mock_aws(sim)``: genuine boto3 clients whose calls a simulation answers, on its simulated clock.

Inside ``with lambdasim.mock_aws(sim):`` (or on a function decorated with it, as moto's ``mock_aws``), every
botocore client and boto3 resource created by any code (``boto3.client``, ``boto3.Session().client``,
``boto3.resource``, ``botocore.session.get_session().create_client``) is botocore's own, built from botocore's
model: its parameter validation, exceptions, paginators, waiters, resources and ``Stubber`` are botocore's. Only the
HTTP exchange is replaced, through botocore's documented event system, as its ``Stubber`` does:

- ``before-parameter-build`` (registered last, after botocore's own handlers such as idempotency tokens): the
  call's parameters are kept in the request context;
- ``before-call`` (registered last, so that a ``Stubber`` attached to a client answers first): after botocore has
  validated and serialised the request, the native client of the service (``sim.client(service)``) answers with
  those parameters, and its answer is handed back as botocore's ``(http_response, parsed)``: a success as botocore
  parses it (streaming payloads as ``botocore.response.StreamingBody``, timestamps as ``datetime``), an error as
  botocore's parsed error, from which botocore raises its own modelled exception (``client.exceptions.X``, a
  ``botocore.exceptions.ClientError``) with the same ``Error`` and ``ResponseMetadata``. No HTTP request is made.

botocore's retries run as its endpoint runs them: each attempt is announced on ``before-send`` (botocore's
adaptive rate limiter takes its token there), its answer goes to ``needs-retry``, and the delay the retry handler
returns (legacy, standard or adaptive mode) is waited on the simulated clock (``sim.run(until=now + delay)``), as
are waiters' delays and the adaptive mode's token bucket. botocore draws its jitter from Python's ``random``; inside
``mock_aws`` it draws from a stream seeded by the simulation's seed, so retry times repeat run for run. [model]

The hooks are registered on each client's own event system (``client.meta.events``, as a ``Stubber`` registers
its own) when the client is made: while a mock is active, botocore's ``Session.create_client`` (where
``boto3.client``, ``boto3.Session().client`` and ``boto3.resource`` make theirs) registers them on every new client,
whatever session makes it, one made before the mock included. ``boto3.DEFAULT_SESSION`` is set aside on entry (and
restored on exit) so that ``boto3.client`` makes a fresh one that reads the fake credentials and region. A client
created before entering is not answered by the simulation; one created inside and used after exiting goes to AWS.
Entering also sets fake credentials and ``AWS_DEFAULT_REGION`` to the simulation's region (both restored on exit),
so nothing needs configuring.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import io
import itertools
import json
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast
from urllib.parse import quote

try:
    import botocore.retries.bucket
    import botocore.session
    import botocore.waiter
    from botocore import xform_name
    from botocore.awsrequest import AWSResponse, create_request_object
    from botocore.model import OperationModel, Shape
    from botocore.response import StreamingBody
    from botocore.utils import parse_timestamp
    from dateutil.tz import tzutc
except ImportError as _exc:  # pragma: no cover - exercised by tests that hide botocore
    raise ImportError(
        "lambdasim.mock_aws answers botocore's own clients, so it needs boto3: pip install 'lambdasim[boto3]'"
    ) from _exc

from lambdasim.aws._stream import StreamingBody as _SimulatedBody
from lambdasim.aws.errors import ClientError

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["mock_aws"]

F = TypeVar("F", bound=Callable[..., Any])

_PARAMS = "lambdasim.api_params"
"""The request context's key for the call's parameters, kept at ``before-parameter-build``."""

_GLOBAL_SERVICES = frozenset({"s3", "iam"})
"""Services whose clients may be of any region: S3's buckets are listed from any region, IAM is global. [doc]"""

_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "lambdasim-testing", "AWS_SECRET_ACCESS_KEY": "lambdasim-testing"}
_HIDDEN = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
"""Variables hidden while a mock is active: a real session token beside fake keys would mislead a reader."""

_INVOCATIONS = itertools.count(1)

_ACTIVE: list[mock_aws] = []
"""The mocks entered and not yet exited, innermost last: the innermost answers."""

_JITTER: weakref.WeakKeyDictionary[Simulation, Any] = weakref.WeakKeyDictionary()
"""Each simulation's stream of botocore's retry jitter (a ``random`` state), continued across mocks."""


class mock_aws:  # noqa: N801 - named as moto's mock_aws, which it replaces
    """Answer every botocore client created inside with ``sim``: a context manager and a decorator.

    >>> import boto3, lambdasim as ls
    >>> sim = ls.Simulation(seed=1)
    >>> with ls.mock_aws(sim):
    ...     sqs = boto3.client("sqs")
    ...     url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    >>> url
    'https://sqs.us-east-1.amazonaws.com/123456789012/jobs'
    >>> sim.client("sqs").list_queues()["QueueUrls"]
    ['https://sqs.us-east-1.amazonaws.com/123456789012/jobs']

    Args:
        sim: The :class:`~lambdasim.Simulation` whose services answer.
        time_sleep: Also make ``time.sleep(s)``, called by the program in the thread that entered, wait ``s`` on
            the simulated clock (a program that sleeps to let asynchronous work happen then sees it done). Off by
            default: it replaces the ``time`` module's ``sleep`` for the whole process while active; code that did
            ``from time import sleep`` keeps the real one, and other threads and handlers sleep on the wall clock.
    """

    def __init__(self, sim: Simulation, *, time_sleep: bool = False) -> None:
        from lambdasim.aws.simulation import Simulation

        if not isinstance(sim, Simulation):
            hint = (
                " (a LambdaSim's simulation is its .sim)" if isinstance(getattr(sim, "sim", None), Simulation) else ""
            )
            raise TypeError(f"mock_aws takes a lambdasim.Simulation, got {sim!r} ({type(sim).__name__}){hint}")
        if not isinstance(time_sleep, bool):
            raise TypeError(f"time_sleep must be True or False, got {time_sleep!r}")
        self.sim = sim
        self.time_sleep = time_sleep
        self._saved: list[tuple[dict[str, str | None], Any, Callable[..., None]]] = []

    # -- context manager and decorator ----------------------------------------------------------------------

    def __enter__(self) -> Simulation:
        self.start()
        return self.sim

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        if not callable(func) or inspect.isclass(func):
            raise TypeError(f"mock_aws(sim) decorates a function or method, got {func!r}")
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return cast("F", run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return cast("F", run)

    def start(self) -> None:
        """Activate the mock (what entering the ``with`` block does)."""
        environment: dict[str, str | None] = {}
        for name, value in {**_FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": self.sim.region}.items():
            environment[name] = os.environ.get(name)
            os.environ[name] = value
        for name in _HIDDEN:
            environment[name] = os.environ.pop(name, None)
        self._saved.append((environment, _set_default_session(None), time.sleep))
        if not _ACTIVE:
            _install()
        _ACTIVE.append(self)
        if self.time_sleep:
            time.sleep = self._program_sleep(threading.get_ident(), time.sleep)

    def stop(self) -> None:
        """Deactivate the mock, restoring what :meth:`start` changed."""
        if not self._saved:
            raise RuntimeError("mock_aws.stop() was called without a start()")
        _ACTIVE.remove(self)
        if not _ACTIVE:
            _uninstall()
        environment, default_session, sleep = self._saved.pop()
        time.sleep = sleep
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _set_default_session(default_session)

    # -- answering ----------------------------------------------------------------------------------------------

    def _answer_call(
        self, model: OperationModel, request_dict: dict[str, Any], emitter: Any, context: dict[str, Any]
    ) -> tuple[AWSResponse, dict[str, Any]]:
        """Answer one botocore call, with botocore's retries, as its endpoint's ``_send_request`` would."""
        api_params: dict[str, Any] = context.pop(_PARAMS, {})
        method = self._native_method(model, context)
        service_id = model.service_model.service_id.hyphenize()
        attempts = 1
        while True:
            _retries_context(context, attempts)
            if emitter is not None:
                # botocore's adaptive rate limiter takes its token here; an answer given here is not used.
                emitter.emit(f"before-send.{service_id}.{model.name}", request=_prepared(request_dict))
            response = self._respond(method, api_params, model, request_dict)
            if emitter is None:
                break
            delay = self._needs_retry(emitter, service_id, model, request_dict, response, attempts)
            if delay is None or delay is False:
                break
            self.sleep(float(delay))
            attempts += 1
            for value in api_params.values():  # a file-like Body is sent again from its start, as botocore does
                if hasattr(value, "seek") and hasattr(value, "read"):
                    value.seek(0)
        response[1].setdefault("ResponseMetadata", {})["RetryAttempts"] = attempts - 1
        return response

    def _native_method(self, model: OperationModel, context: dict[str, Any]) -> Callable[..., dict[str, Any]]:
        service = model.service_model.service_name
        region = context.get("client_region")
        if service not in _GLOBAL_SERVICES and region is not None and region != self.sim.region:
            raise ValueError(
                f"a {service} client of region {region!r} called {model.name}, but the simulated account is in "
                f"{self.sim.region!r}: create the client with region_name={self.sim.region!r}, or the Simulation "
                f"with region={region!r}"
            )
        try:
            native = self.sim.client(service)
        except ValueError as exc:
            raise NotImplementedError(f"{service} {model.name} is not simulated by lambdasim: {exc}") from None
        method = getattr(native, xform_name(model.name), None)
        if method is None:
            raise NotImplementedError(f"{service} {model.name} is not simulated by lambdasim")
        return cast("Callable[..., dict[str, Any]]", method)

    def _respond(
        self,
        method: Callable[..., dict[str, Any]],
        api_params: dict[str, Any],
        model: OperationModel,
        request_dict: dict[str, Any],
    ) -> tuple[AWSResponse, dict[str, Any]]:
        try:
            out = method(**api_params)
        except ClientError as exc:
            parsed = {**exc.response, "Error": dict(exc.response["Error"])}
            metadata = parsed["ResponseMetadata"] = dict(parsed.get("ResponseMetadata", {}))
        else:
            parsed = _parsed(out, model.output_shape, streaming=model.has_streaming_output)
            metadata = parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "HTTPHeaders": {}})
        status = int(metadata.get("HTTPStatusCode", 200))
        return AWSResponse(request_dict.get("url"), status, metadata.get("HTTPHeaders", {}), None), parsed

    def _needs_retry(
        self,
        emitter: Any,
        service_id: str,
        model: OperationModel,
        request_dict: dict[str, Any],
        response: tuple[AWSResponse, dict[str, Any]],
        attempts: int,
    ) -> Any:
        """``needs-retry`` as botocore's endpoint emits it; botocore's jitter drawn from the simulation's stream."""

        def emit() -> Any:
            replies = emitter.emit(
                f"needs-retry.{service_id}.{model.name}",
                response=response,
                endpoint=None,  # no endpoint is involved; botocore's retry handlers do not read it
                operation=model,
                attempts=attempts,
                caught_exception=None,
                request_dict=request_dict,
            )
            return next((reply[1] for reply in replies if reply[1] is not None), None)

        if response[0].status_code < 300:  # no retry handler draws jitter for a success
            return emit()
        outside = random.getstate()
        state = _JITTER.get(self.sim)
        random.setstate(state if state is not None else random.Random(f"lambdasim-jitter-{self.sim.seed}").getstate())
        try:
            return emit()
        finally:
            _JITTER[self.sim] = random.getstate()
            random.setstate(outside)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the simulated clock (botocore's backoff, waiter delay or token bucket)."""
        if seconds <= 0:
            return
        sim = self.sim
        if sim.running or sim.env.stepping:
            raise RuntimeError(
                f"botocore asked to wait {seconds:g} s (a retry's backoff, a waiter's delay) from inside the "
                "simulation (a handler, a sink or a workload callback), where the simulated clock cannot be advanced; "
                "configure the client with retries={'max_attempts': 1} there, or call from outside the model"
            )
        sim.run(until=sim.now + seconds)

    def _program_sleep(self, thread: int, real: Callable[..., None]) -> Callable[..., None]:
        """``time.sleep`` for ``time_sleep=True``: the simulated clock for the program's thread, outside the model."""

        def sleep(seconds: float) -> None:
            sim = self.sim
            if threading.get_ident() != thread or sim.running or sim.env.stepping or seconds < 0:
                real(seconds)  # a negative length: the real sleep's own ValueError
            else:
                self.sleep(seconds)

        return sleep

    def epoch_time(self) -> float:
        """The simulated now as Unix time (what botocore's clocks read inside the mock)."""
        return self.sim.start.timestamp() + self.sim.now


# -- botocore's parsed shapes -------------------------------------------------------------------------------------


def _parsed(out: dict[str, Any], shape: Shape | None, *, streaming: bool) -> dict[str, Any]:
    """The native client's answer as botocore's parser gives it: the streaming payload as botocore's
    ``StreamingBody``, timestamps as ``datetime`` in ``tzutc()``, blobs as bytes."""
    parsed = dict(out)
    if shape is None or not _needs_conversion(shape):
        return parsed
    payload = shape.serialization.get("payload") if streaming else None
    for name, member in shape.members.items():
        if name in parsed:
            parsed[name] = _streaming_body(parsed[name]) if name == payload else _convert(parsed[name], member)
    return parsed


def _streaming_body(value: Any) -> StreamingBody:
    if isinstance(value, StreamingBody):
        return value
    data = value._data if isinstance(value, _SimulatedBody) else value.read() if hasattr(value, "read") else value
    if isinstance(data, str):
        data = data.encode()
    return StreamingBody(io.BytesIO(data), len(data))


_POLICY_DOCUMENT: Final = "policyDocumentType"
"""The shape of IAM's policy documents (botocore's ``_decode_policy_types`` looks them up by this name)."""

_CONVERTED: weakref.WeakKeyDictionary[Shape, bool] = weakref.WeakKeyDictionary()
"""Per shape of a client's model, whether :func:`_has_converted`; weak, so a client's model is not kept alive."""


def _needs_conversion(shape: Shape) -> bool:
    """Whether anything in ``shape`` is parsed into another Python type than the native client gives
    (timestamps, blobs); botocore's model keeps its shapes, so this is worked out once per shape of a client."""
    known = _CONVERTED.get(shape)
    if known is None:
        known = _CONVERTED[shape] = _has_converted(shape, set())
    return known


def _has_converted(shape: Shape, seen: set[str]) -> bool:
    if shape.name in seen:
        return False
    seen.add(shape.name)
    kind = shape.type_name
    if kind in ("timestamp", "blob") or shape.name == _POLICY_DOCUMENT:
        return True
    if kind == "structure":
        return any(_has_converted(m, seen) for m in shape.members.values())
    if kind == "list":
        return _has_converted(shape.member, seen)
    if kind == "map":
        return _has_converted(shape.value, seen)
    return False


def _convert(value: Any, shape: Shape) -> Any:
    kind = shape.type_name
    if value is None or not _needs_conversion(shape):
        return value
    if kind == "timestamp":
        moment = value if isinstance(value, _dt.datetime) else parse_timestamp(value)
        return moment.replace(tzinfo=tzutc()) if moment.tzinfo is None else moment.astimezone(tzutc())
    if shape.name == _POLICY_DOCUMENT:
        # IAM sends policy documents URL-encoded and botocore's after-call handler (json_decode_policies) decodes
        # them into dicts: the native client's dict goes back to the wire form that handler expects.
        return quote(json.dumps(value)) if isinstance(value, dict) else value
    if kind == "blob":
        if isinstance(value, _SimulatedBody):
            return value._data
        return value.encode() if isinstance(value, str) else value
    if kind == "structure":
        members = shape.members
        return {k: _convert(v, members[k]) if k in members else v for k, v in value.items()}
    if kind == "list":
        return [_convert(v, shape.member) for v in value]
    if kind == "map":
        return {k: _convert(v, shape.value) for k, v in value.items()}
    return value


# -- the endpoint's bookkeeping ----------------------------------------------------------------------------------


def _retries_context(context: dict[str, Any], attempt: int) -> None:
    """``context["retries"]`` as botocore's endpoint keeps it (``Endpoint._update_retries_context``)."""
    retries = context.setdefault("retries", {})
    retries["attempt"] = attempt
    if "invocation-id" not in retries:
        # a header botocore would send (amz-sdk-invocation-id); numbered, not drawn: nothing is sent
        retries["invocation-id"] = str(uuid.UUID(int=next(_INVOCATIONS), version=4))


def _prepared(request_dict: dict[str, Any]) -> Any:
    """The request botocore would send (unsigned: nothing is sent), for ``before-send`` handlers."""
    return create_request_object(request_dict).prepare()


# -- the hooks ------------------------------------------------------------------------------------------------------


def _current() -> mock_aws | None:
    return _ACTIVE[-1] if _ACTIVE else None


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """``before-parameter-build``: keep the call's parameters for :func:`_answer`."""
    if _ACTIVE:
        context[_PARAMS] = params


def _answer(
    model: OperationModel, params: dict[str, Any], request_signer: Any, context: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """``before-call``: the simulation's answer, or ``None`` outside any mock (the call then goes out as usual)."""
    mock = _current()
    if mock is None or _PARAMS not in context:
        return None
    # The client's event emitter: botocore gives it to the request signer (RequestSigner's only event source).
    emitter = getattr(request_signer, "_event_emitter", None)
    # One call at a time: s3transfer (upload_file, download_file) calls from a pool of threads, and the simulation's
    # state is not made for concurrent changes. Reentrant: a handler run by the call may call boto3 in turn.
    with _ANSWERING:
        return mock._answer_call(model, params, emitter, context)


_ANSWERING: Final = threading.RLock()


_HOOKS: tuple[tuple[str, Callable[..., Any], str], ...] = (
    ("before-parameter-build", _keep_params, "lambdasim-mock-aws-params"),
    ("before-call", _answer, "lambdasim-mock-aws-answer"),
)

_REAL_CREATE_CLIENT = botocore.session.Session.create_client


def _hook(client: Any) -> Any:
    """Register the hooks on a new client's event system, last (after botocore's own handlers and any
    ``Stubber``), once (by ``unique_id``)."""
    for event, handler, unique_id in _HOOKS:
        client.meta.events.register_last(event, handler, unique_id=unique_id)
    return client


@functools.wraps(_REAL_CREATE_CLIENT)
def _create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``botocore.session.Session.create_client`` while a mock is active: every client it makes, from a session
    made before or inside the mock (``boto3.client`` and ``boto3.resource`` come here too), is hooked.

    A logs client makes the simulation's own at once: functions' logs are kept from the moment a logs client exists
    (they cost memory otherwise), and a program that creates its logs client before invoking expects to read them.
    """
    client = _hook(_REAL_CREATE_CLIENT(self, *args, **kwargs))
    mock = _current()
    if mock is not None and client.meta.service_model.service_name == "logs":
        mock.sim.client("logs")
    return client


class _SimulatedTime:
    """The ``time`` module as botocore's waiters and token bucket see it inside a mock: the simulated clock."""

    def sleep(self, seconds: float) -> None:
        mock = _current()
        if mock is None:
            time.sleep(seconds)
        else:
            mock.sleep(seconds)

    def time(self) -> float:
        mock = _current()
        return time.time() if mock is None else mock.epoch_time()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


_SIMULATED_TIME = _SimulatedTime()
_TIMED_MODULES = (botocore.waiter, botocore.retries.bucket)
_REAL_ACQUIRE = botocore.retries.bucket.TokenBucket._acquire


def _simulated_acquire(self: Any, amount: float, block: bool) -> bool:
    """``TokenBucket._acquire`` waiting on its clock (the simulated one) instead of a condition variable."""
    self._refill()
    if amount <= self._current_capacity:
        self._current_capacity -= amount
        return True
    if not block:
        return bool(_REAL_ACQUIRE(self, amount, block))  # raises CapacityNotAvailableError
    while (wait := self._sleep_amount(amount)) > 0:
        self._clock.sleep(wait)
        self._refill()
    self._current_capacity -= amount
    return True


def _install() -> None:
    botocore.session.Session.create_client = _create_client
    for module in _TIMED_MODULES:
        module.time = _SIMULATED_TIME
    botocore.retries.bucket.TokenBucket._acquire = _simulated_acquire


def _uninstall() -> None:
    botocore.session.Session.create_client = _REAL_CREATE_CLIENT
    for module in _TIMED_MODULES:
        module.time = time
    botocore.retries.bucket.TokenBucket._acquire = _REAL_ACQUIRE


def _set_default_session(session: Any) -> Any:
    """Set ``boto3.DEFAULT_SESSION`` (if boto3 is installed); return the one it replaced."""
    try:
        import boto3
    except ImportError:  # botocore alone: no default session to set aside
        return None
    previous = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = session
    return previous
