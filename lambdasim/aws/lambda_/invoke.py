"""``Invoke``: from top-level code, from inside the model (``await context.invoke(...)``), on any qualifier.

An invoke names ``$LATEST`` (unqualified or explicitly), a version or an alias. It runs that version's code
snapshot; an alias runs the version it routes the invocation to, under the alias's event invoke config. The
invocation record's ``functionArn`` is the qualified ARN invoked (``...:$LATEST`` when unqualified),
``responseContext.executedVersion`` and the synchronous ``ExecutedVersion`` the version that ran.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, cast

import simpy

from lambdasim.aws._stream import StreamingBody
from lambdasim.aws.errors import ClientError
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.core.faults import SERVICE_EXCEPTION_MESSAGE, ServiceFault
from lambdasim.core.handler import ErrorInfo
from lambdasim.core.rules import ThrottleReason
from lambdasim.core.target import Target

# The members of an invoke whose checks are remembered (see InvokeMixin._checked): the strings, and the Payload.
_REMEMBERED = frozenset({"FunctionName", "InvocationType", "Qualifier", "LogType", "Payload"})
_ABSENT = object()  # a member not given (None given is a type error, checked in full)


# What json.loads parses with, called without its wrappers (see _parse).
_DECODER = json.JSONDecoder()
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
                data = b""
            elif hasattr(payload, "read"):
                data = payload.read()
            else:
                data = payload
            raw = data.encode() if isinstance(data, str) else bytes(data)
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
        try:
            return _parse(raw), len(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._error(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
                op,
                400,
                Type="User",
            ) from None

    def _prepare_invoke(self, params: Mapping[str, Any]) -> tuple[FunctionRecord, Target, str, Any]:
        op = "Invoke"
        found = None
        memo = self._invoke_memo
        get = params.get
        payload = get("Payload")
        ptype = type(payload)
        if (
            memo is not None
            and _REMEMBERED.issuperset(params)
            and (ptype is bytes or ptype is str or (payload is None and "Payload" not in params))
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
            rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
            kind = params.get("InvocationType", "RequestResponse")
            settings = self._sim.settings
            limit = settings.async_payload_limit_bytes if kind == "Event" else settings.sync_payload_limit_bytes
            self._remember(params, (rec, qualifier, kind, limit))
        else:
            rec, qualifier, kind, limit = found
        if type(payload) is bytes and 0 < len(payload) <= limit:
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
        sim = self._sim
        if kind == "DryRun":
            return self._no_payload(204)
        seq = sim.engine.next_seq()
        rid = sim.engine.request_id(seq)
        if kind == "Event":
            sim.engine.enqueue(rec.state, event, seq, target)
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
        if sim.running:
            raise RuntimeError(
                "a RequestResponse invoke cannot advance the clock from inside the simulation; in an async def "
                "handler use `await context.invoke(...)`"
            )
        # A plain handler runs right here, inside the model: a RequestResponse invoke it makes must not advance
        # the clock under the caller either.
        sim.running = True
        try:
            done = sim.engine.invoke_sync(rec.state, event, seq, target)
        finally:
            sim.running = False
        if not isinstance(done, simpy.Event):
            raise self._refused(done)
        started = sim.now
        sim.advance_until(done)
        error, response = cast("tuple[ErrorInfo | None, Any]", done.value)
        tail = params.get("LogType") == "Tail"
        return self._sync_response(target, rid, error, response, sim.now - started, tail)

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
        self, target: Target, rid: str, error: ErrorInfo | None, response: Any, elapsed: float, tail: bool
    ) -> dict[str, Any]:
        version = target.version.version
        out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": version}
        if error is None:
            body = b"null" if response is None else json.dumps(response).encode()
        else:
            error_type, message, stack = error
            out["FunctionError"] = "Unhandled"
            body = json.dumps(
                {"errorMessage": message, "errorType": error_type, "requestId": rid, "stackTrace": stack}
            ).encode()
        if tail:
            out["LogResult"] = base64.b64encode(self._log_tail(target, rid, elapsed).encode()).decode()
        out["Payload"] = StreamingBody(body)
        out["ResponseMetadata"] = {  # self._metadata(200, rid, **{"x-amz-executed-version": version}), inline
            "RequestId": rid,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": rid, "x-amz-executed-version": version},
            "RetryAttempts": 0,
        }
        return out

    def _log_tail(self, target: Target, rid: str, elapsed: float) -> str:
        ms = elapsed * 1000
        memory = target.version.memory_mb
        return (
            f"START RequestId: {rid} Version: {target.version.version}\nEND RequestId: {rid}\n"
            f"REPORT RequestId: {rid}\tDuration: {ms:.2f} ms\tBilled Duration: {math.ceil(ms)} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: {memory} MB\t\n"
        )

    def _invoke_in_model(self, **params: Any) -> simpy.Event:
        """``await context.invoke(...)``: an event that succeeds with the response dict (or fails with the error)."""
        env = self._sim.env
        result = env.event()
        try:
            rec, target, kind, event = self._prepare_invoke(params)
        except ClientError as exc:
            return result.fail(exc)
        engine = self._sim.engine
        if kind == "DryRun":
            return result.succeed(self._no_payload(204))
        seq = engine.next_seq()
        rid = engine.request_id(seq)
        if kind == "Event":
            engine.enqueue(rec.state, event, seq, target)
            return result.succeed(self._no_payload(202, rid))
        done = engine.invoke_sync(rec.state, event, seq, target)
        if not isinstance(done, simpy.Event):
            return result.fail(self._refused(done))
        started = env.now
        tail = params.get("LogType") == "Tail"

        def respond(ev: simpy.Event) -> None:
            error, response = cast("tuple[ErrorInfo | None, Any]", ev.value)
            result.succeed(self._sync_response(target, rid, error, response, env.now - started, tail))

        done.callbacks.append(respond)
        return result
