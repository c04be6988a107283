"""``Invoke``: from top-level code, from inside the model (``await context.invoke(...)``), on any qualifier.

An invoke names ``$LATEST`` (unqualified or explicitly), a version or an alias. It runs that version's code
snapshot; an alias runs the version it routes the invocation to, under the alias's event invoke config. The
invocation record's ``functionArn`` is the qualified ARN invoked (``...:$LATEST`` when unqualified),
``responseContext.executedVersion`` and the synchronous ``ExecutedVersion`` the version that ran.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

import simpy

from lambdasim.aws._stream import StreamingBody
from lambdasim.aws.arn import LATEST
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.core._validators import short_repr
from lambdasim.core.faults import SERVICE_EXCEPTION_MESSAGE, ServiceFault
from lambdasim.core.handler import AttemptLog, ClientContext, ErrorInfo, log_lines
from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, text_depth
from lambdasim.core.rules import ThrottleReason
from lambdasim.core.target import Target

# The members of an invoke whose checks are remembered (see InvokeMixin._checked): the strings, and the Payload.
_REMEMBERED = frozenset({"FunctionName", "InvocationType", "Qualifier", "LogType", "Payload"})
_ABSENT = object()  # a member not given (None given is a type error, checked in full)


def _non_standard(token: str) -> Any:
    """Lambda's JSON parser (Jackson) refuses ``NaN``, ``Infinity`` and ``-Infinity``, which Python's json.loads
    takes: the invoke is refused in its words, not passed on to the handler."""
    raise ValueError(f"Non-standard token '{token}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")


# What json.loads parses with, called without its wrappers (see _parse); NaN and the infinities refused as Lambda does.
_DECODER = json.JSONDecoder(parse_constant=_non_standard)
_decode = _DECODER.decode
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]  # set in __init__
_NOT_UTF8_FIRST = frozenset({0x00, 0xEF, 0xFE, 0xFF})  # first bytes of the BOMs and of UTF-16/32 text


def _invoke_key(params: Mapping[str, Any]) -> tuple[Any, ...]:
    get = params.get
    return (get("FunctionName"), get("InvocationType", _ABSENT), get("Qualifier", _ABSENT), get("LogType", _ABSENT))


def _parse(raw: bytes) -> Any:
    """``json.loads(raw)`` for non-empty bytes, with its result and errors, in fewer steps.

    json.loads decodes the bytes in the encoding ``json.detect_encoding`` names (UTF-8 unless a BOM or a zero in
    the first two bytes says otherwise), then parses the text from its first non-blank character and refuses
    anything but blanks after the value. Text that starts with the value and ends with it is parsed by the
    scanner alone; anything else goes through the decoder, which says what is wrong in json.loads's words.
    """
    if raw[0] not in _NOT_UTF8_FIRST and (len(raw) == 1 or raw[1]):
        text = raw.decode("utf-8", "surrogatepass")
    else:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _decode(text)
    return value if end == len(text) else _decode(text)


class InvokeMixin(LambdaBase):
    """``invoke`` and the engine's ``context.invoke`` hook."""

    # Invokes checked and resolved before, by their strings (_invoke_key): the function and qualifier they
    # resolved to (see _checked). Per client, made on first use.
    _invoke_memo: dict[tuple[Any, ...], tuple[FunctionRecord, str | None, str, int]] | None = None

    def _remember(self, params: Mapping[str, Any], found: tuple[FunctionRecord, str | None, str, int]) -> None:
        """Remember an invoke that passed ``_begin`` and ``_resolve`` (its strings are hashable: they passed)."""
        if _REMEMBERED.issuperset(params):
            if self._invoke_memo is None:
                self._invoke_memo = {}
            self._invoke_memo[_invoke_key(params)] = found

    def _payload(self, op: str, payload: Any, limit: int) -> tuple[Any, int]:
        if type(payload) is bytes:  # the common case first: no copy
            raw = payload
        else:
            if payload is None:
                data: Any = b""
            elif hasattr(payload, "read"):
                data = payload.read()
                if not isinstance(data, (bytes, bytearray, str)):
                    # botocore sends what read() gives as the body; anything else cannot be sent.
                    raise ParamValidationError(
                        f"Invalid type for parameter Payload, value: {short_repr(payload)}, type: {type(payload)}, "
                        f"valid types: {bytes}, {bytearray}, file-like object (its read() gave {type(data).__name__})"
                    )
            else:
                data = payload
            try:
                raw = data.encode() if isinstance(data, str) else bytes(data)
            except UnicodeEncodeError as exc:  # a lone surrogate: not text that can go on the wire
                raise self._unparsable(op, f"Invalid UTF-8 start byte: {exc.reason}") from None
        if len(raw) > limit:
            raise self._error(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                op,
                413,
                Type="User",
            )
        if not raw or raw.isspace():
            return {}, len(raw)
        if text_depth(raw) > MAX_PAYLOAD_DEPTH:
            raise self._unparsable(op, f"nested more than {MAX_PAYLOAD_DEPTH} levels deep (lambdasim's limit)")
        try:
            return _parse(raw), len(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise self._unparsable(op, str(exc)) from None

    def _unparsable(self, op: str, why: str) -> ClientError:
        return self._error(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {why}",
            op,
            400,
            Type="User",
        )

    def _prepare_invoke(self, params: Mapping[str, Any]) -> tuple[FunctionRecord, Target, str, Any]:
        op = "Invoke"
        found = None
        memo = self._invoke_memo
        get = params.get
        payload = get("Payload")
        ptype = type(payload)
        if (
            memo is not None
            and (ptype is bytes or ptype is str or (payload is None and "Payload" not in params))
            and _REMEMBERED.issuperset(params)
        ):
            # Checked and resolved before (_remember)? Both checks are pure functions of the strings and of the
            # Payload's type (botocore's blob: bytes, bytearray, str or a file-like object), so their outcome is
            # remembered; what can change, that the function and qualifier still exist, is checked each time.
            try:
                found = memo.get(
                    (
                        get("FunctionName"),
                        get("InvocationType", _ABSENT),
                        get("Qualifier", _ABSENT),
                        get("LogType", _ABSENT),
                    )
                )
            except TypeError:  # an unhashable value: checked in full, and refused
                found = None
            if found is not None:
                rec = found[0]
                qualifier = found[1]
                if self._functions.get(rec.state.name) is not rec or (
                    qualifier is not None and not self._exists(rec, qualifier)
                ):
                    found = None
        if found is None:
            self._begin(op, params)
            # Recorded in 2025: an unqualified invoke of a missing function names ``:$LATEST`` (test_invoke_exceptions).
            rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"), unqualified_as=LATEST)
            kind = params.get("InvocationType", "RequestResponse")
            settings = self._sim.settings
            limit = settings.async_payload_limit_bytes if kind == "Event" else settings.sync_payload_limit_bytes
            self._remember(params, (rec, qualifier, kind, limit))
        else:
            rec, qualifier, kind, limit = found
        # A short payload cannot be nested deeper than MAX_PAYLOAD_DEPTH (a level takes a character): parsed at once.
        if type(payload) is bytes and 0 < len(payload) <= MAX_PAYLOAD_DEPTH and len(payload) <= limit:
            try:
                event = _parse(payload)
            except (ValueError, UnicodeDecodeError):  # blank (no event) or not JSON (an error): as _payload says
                event = self._payload(op, payload, limit)[0]
        else:
            event = self._payload(op, payload, limit)[0]
        target = rec.state.latest if qualifier is None or kind == "DryRun" else self._target(rec, qualifier)
        return rec, target, kind, event

    def invoke(self, **params: Any) -> dict[str, Any]:
        """Invoke a function. ``Event`` answers 202 at once; ``RequestResponse`` from top-level code advances the
        simulated clock until the response is ready (inside a handler, ``await context.invoke(...)`` instead);
        ``DryRun`` answers 204."""
        rec, target, kind, event = self._prepare_invoke(params)
        if kind == "Event":  # the common case first
            # self._backend.invoke_async(rec, target, event), inline: queue it, answer with its request id.
            rid = self._backend.engine.accept(rec.state, event, target)
            return {  # self._no_payload(202, rid), inline
                "StatusCode": 202,
                "Payload": StreamingBody(b""),
                "ResponseMetadata": {
                    "RequestId": rid,
                    "HTTPStatusCode": 202,
                    "HTTPHeaders": {"x-amzn-requestid": rid},
                    "RetryAttempts": 0,
                },
            }
        if kind == "DryRun":
            return self._no_payload(204)
        sim = self._sim
        if sim.running:
            raise RuntimeError(
                "a RequestResponse invoke cannot advance the clock from inside the simulation; in an async def "
                "handler use `await context.invoke(...)`"
            )
        # A plain handler runs right here, inside the model: a RequestResponse invoke it makes must not advance
        # the clock under the caller either.
        client_context = self._client_context(params)
        log = AttemptLog() if params.get("LogType") == "Tail" else None
        sim.running = True
        try:
            rid, done = self._backend.invoke_sync(rec, target, event, log, client_context)
        finally:
            sim.running = False
        if not isinstance(done, simpy.Event):
            raise self._refused(done)
        started = sim.now
        sim.advance_until(done)
        error, response = cast("tuple[ErrorInfo | None, Any]", done.value)
        return self._sync_response(target, rid, error, response, sim.now - started, log)

    def invoke_async(self, **params: Any) -> dict[str, Any]:
        """The deprecated ``InvokeAsync``: an ``Event`` invoke of ``InvokeArgs`` (a JSON document, as bytes, a string or
        a file-like object), queued as ``invoke(InvocationType="Event")`` queues it; answers ``{"Status": 202}``."""
        op = "InvokeAsync"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], unqualified_as=LATEST)
        event, _size = self._payload(op, params["InvokeArgs"], self._sim.settings.async_payload_limit_bytes)
        request_id = self._backend.invoke_async(rec, self._target(rec, qualifier), event)
        return {"Status": 202, "ResponseMetadata": self._metadata(202, request_id)}

    def _client_context(self, params: Mapping[str, Any]) -> ClientContext | None:
        """Invoke's ``ClientContext`` decoded for ``context.client_context``; a value that is not base64 of a JSON
        object is refused as ``InvalidRequestContentException`` [model] (the runtime could not read it either)."""
        if "ClientContext" not in params:
            return None
        try:
            return ClientContext.decode(params["ClientContext"])
        except ValueError as exc:
            raise self._error("InvalidRequestContentException", str(exc), "Invoke", 400, Type="User") from None

    def _no_payload(self, status: int, request_id: str | None = None) -> dict[str, Any]:
        """The response of a ``DryRun`` (204) or an accepted ``Event`` invoke (202): no payload."""
        rid = request_id or self._sim.new_request_id()
        return {
            "StatusCode": status,
            "Payload": StreamingBody(b""),
            "ResponseMetadata": {  # self._metadata(status, rid), inline
                "RequestId": rid,
                "HTTPStatusCode": status,
                "HTTPHeaders": {"x-amzn-requestid": rid},
                "RetryAttempts": 0,
            },
        }

    def _refused(self, why: ThrottleReason | ServiceFault) -> ClientError:
        """A synchronous invoke Lambda refused at once: HTTP 429 with its ``Reason``, or HTTP 500."""
        if isinstance(why, ServiceFault):
            return self._error(why.value, SERVICE_EXCEPTION_MESSAGE, "Invoke", 500, Type="Service")
        return self._throttled(why.value)

    def _throttled(self, reason: str) -> ClientError:
        return self._error("TooManyRequestsException", "Rate Exceeded.", "Invoke", 429, Reason=reason, Type="User")

    def _sync_response(
        self,
        target: Target,
        rid: str,
        error: ErrorInfo | None,
        response: Any,
        elapsed: float,
        log: AttemptLog | None,
    ) -> dict[str, Any]:
        version = target.version.version
        out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": version}
        if error is None:
            body = b"null" if response is None else json.dumps(response).encode()
        else:
            out["FunctionError"] = "Unhandled"
            body = json.dumps(error_payload(error, rid)).encode()
        if log is not None:
            out["LogResult"] = log_result(target, rid, error, elapsed, log)
        out["Payload"] = StreamingBody(body)
        headers = {"content-type": "application/json", "x-amz-executed-version": version}
        if error is not None:
            headers["x-amz-function-error"] = "Unhandled"
        out["ResponseMetadata"] = self._metadata(200, rid, **headers)
        return out

    def _invoke_from_handler(self, **params: Any) -> simpy.Event:
        """``await context.invoke(...)``: an event that succeeds with the response dict (or fails with the error)."""
        env = self._sim.env
        result = env.event()
        try:
            rec, target, kind, event = self._prepare_invoke(params)
        except ClientError as exc:
            return result.fail(exc)
        if kind == "DryRun":
            return result.succeed(self._no_payload(204))
        if kind == "Event":
            return result.succeed(self._no_payload(202, self._backend.invoke_async(rec, target, event)))
        log = AttemptLog() if params.get("LogType") == "Tail" else None
        try:
            client_context = self._client_context(params)
        except ClientError as exc:
            return result.fail(exc)
        rid, done = self._backend.invoke_sync(rec, target, event, log, client_context)
        if not isinstance(done, simpy.Event):
            return result.fail(self._refused(done))
        started = env.now

        def respond(ev: simpy.Event) -> None:
            error, response = cast("tuple[ErrorInfo | None, Any]", ev.value)
            result.succeed(self._sync_response(target, rid, error, response, env.now - started, log))

        done.callbacks.append(respond)
        return result


LOG_RESULT_BYTES = 4096  # LogResult: the last 4 KB of the execution log [doc] (Invoke API reference)


def error_payload(error: ErrorInfo, rid: str) -> dict[str, Any]:
    """The payload of a function error as the recordings show it: the runtime's ``errorMessage``, ``errorType``,
    ``requestId`` and ``stackTrace`` for a handler's exception (test_lambda_handler_error); only type and message
    for what Lambda itself ends (``Sandbox.Timedout``, prefixed with the request id as recorded in
    test_lambda_invoke_with_timeout; ``Function.ResponseSizeTooLarge``, test_lambda_too_large_response)."""
    error_type, message, stack = error
    if error_type in ("Sandbox.Timedout", "Runtime.ExitError"):  # (test_lambda_handler_exit: the same layout)
        return {"errorMessage": f"RequestId: {rid} Error: {message}", "errorType": error_type}
    if error_type.startswith("Function."):
        return {"errorMessage": message, "errorType": error_type}
    return {"errorMessage": message, "errorType": error_type, "requestId": rid, "stackTrace": stack}


def log_result(target: Target, rid: str, error: ErrorInfo | None, elapsed: float, log: AttemptLog) -> str:
    """``LogResult``: base64 of the last 4 KB of the attempt's log lines, as its log stream holds them
    (:func:`lambdasim.core.handler.log_lines`)."""
    init_ms = log.init_s * 1000
    ms = max(0.0, elapsed * 1000 - init_ms)
    version = target.version
    lines = log_lines(
        rid, version.version, version.memory_mb, log.output.getvalue(), error, ms, init_ms if log.cold else None
    )
    tail = "".join(lines).encode()[-LOG_RESULT_BYTES:]
    return base64.b64encode(tail).decode()
