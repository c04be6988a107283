"""``Invoke``: from top-level code, from inside the model (``await context.invoke(...)``), on any qualifier.

An invoke names ``$LATEST`` (unqualified or explicitly), a version or an alias. It runs that version's code
snapshot; an alias runs the version it routes the invocation to, under the alias's event invoke config. The
invocation record's ``functionArn`` is the qualified ARN invoked (``...:$LATEST`` when unqualified),
``responseContext.executedVersion`` and the synchronous ``ExecutedVersion`` the version that ran.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, cast

import simpy

from lambdasim.aws._stream import StreamingBody
from lambdasim.aws.arn import LATEST
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.core._validators import short_repr
from lambdasim.core.billing import billed_ms_of
from lambdasim.core.faults import SERVICE_EXCEPTION_MESSAGE, ServiceFault
from lambdasim.core.handler import AttemptLog, ClientContext, ErrorInfo, runtime_error_log
from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, text_depth
from lambdasim.core.rules import ThrottleReason
from lambdasim.core.target import Target


class InvokeMixin(LambdaBase):
    """``invoke`` and the engine's ``context.invoke`` hook."""

    def _payload(self, op: str, payload: Any, limit: int) -> tuple[Any, int]:
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
        if not raw.strip():
            return {}, len(raw)
        if text_depth(raw) > MAX_PAYLOAD_DEPTH:
            raise self._unparsable(op, f"nested more than {MAX_PAYLOAD_DEPTH} levels deep (lambdasim's limit)")
        try:
            return json.loads(raw), len(raw)
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
        self._begin(op, params)
        kind = params.get("InvocationType", "RequestResponse")
        # Recorded in 2025: an unqualified invoke of a missing function names ``:$LATEST`` (test_invoke_exceptions).
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"), unqualified_as=LATEST)
        settings = self._sim.settings
        limit = settings.async_payload_limit_bytes if kind == "Event" else settings.sync_payload_limit_bytes
        event, _size = self._payload(op, params.get("Payload"), limit)
        target = self._target(rec, qualifier) if kind != "DryRun" else rec.state.latest
        return rec, target, kind, event

    def invoke(self, **params: Any) -> dict[str, Any]:
        """Invoke a function. ``Event`` answers 202 at once; ``RequestResponse`` from top-level code advances the
        simulated clock until the response is ready (inside a handler, ``await context.invoke(...)`` instead);
        ``DryRun`` answers 204."""
        rec, target, kind, event = self._prepare_invoke(params)
        sim = self._sim
        if kind == "DryRun":
            return self._no_payload(204)
        if kind == "Event":
            return self._no_payload(202, self._backend.invoke_async(rec, target, event))
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
        return {
            "StatusCode": status,
            "Payload": StreamingBody(b""),
            "ResponseMetadata": self._metadata(status, request_id),
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
            body = json.dumps(response).encode()
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
    """``LogResult``: base64 of the tail of the attempt's log as the Python runtime writes it: ``START``, what the
    handler printed, the runtime's ``[ERROR]`` record of an exception, ``END`` and ``REPORT`` (with ``Init
    Duration`` after a cold start), as recorded in test_invocation_with_logs. ``Max Memory Used`` is the memory
    size: lambdasim does not model memory use."""
    init_ms = log.init_s * 1000
    ms = max(0.0, elapsed * 1000 - init_ms)
    memory = target.version.memory_mb
    text = f"START RequestId: {rid} Version: {target.version.version}\n" + log.output.getvalue()
    if error is not None and error[2]:
        text += runtime_error_log(error)
    text += (
        f"END RequestId: {rid}\n"
        f"REPORT RequestId: {rid}\tDuration: {ms:.2f} ms\tBilled Duration: {billed_ms_of(ms)} ms\t"
        f"Memory Size: {memory} MB\tMax Memory Used: {memory} MB\t"
    )
    if log.cold:
        text += f"Init Duration: {init_ms:.2f} ms\t"
    tail = (text + "\n").encode()[-LOG_RESULT_BYTES:]
    return base64.b64encode(tail).decode()
