"""``sim.client("lambda")``: the Lambda API on the simulated clock, in boto3's shapes and AWS's error words."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import simpy

from lambdasim.arn import FUNCTION_NAME_PATTERN, LATEST, FunctionRef, function_arn, parse_function_name
from lambdasim.behaviour import Behaviour
from lambdasim.clients._params import Member, validate
from lambdasim.clients._stream import StreamingBody
from lambdasim.clients.base import BaseClient
from lambdasim.dist import Distribution, as_distribution
from lambdasim.engine import FunctionState
from lambdasim.errors import ClientError
from lambdasim.handler import ErrorInfo, describe
from lambdasim.rules import (
    DEFAULT_MAXIMUM_EVENT_AGE_S,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    MAX_MAXIMUM_EVENT_AGE_S,
)

if TYPE_CHECKING:
    from lambdasim.simulation import Simulation

MAX_TIMEOUT_S = 900
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
MIN_UNRESERVED = 100
ARCHITECTURES = ("x86_64", "arm64")
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
S = Member("string")
_FN = Member("string", required=True, min=1)
_QUAL = Member("string", min=1)
_DURATION = Member("any")

CREATE_FUNCTION = {
    "FunctionName": _FN,
    "Runtime": S,
    "Role": S,
    "Handler": Member("any"),
    "Code": Member("structure"),
    "Description": S,
    "Timeout": Member("integer", min=1),
    "MemorySize": Member("integer", min=128),
    "Publish": Member("boolean"),
    "VpcConfig": Member("structure"),
    "PackageType": S,
    "DeadLetterConfig": Member("structure"),
    "Environment": Member("structure"),
    "KMSKeyArn": S,
    "TracingConfig": Member("structure"),
    "Tags": Member("map"),
    "Layers": Member("list"),
    "FileSystemConfigs": Member("list"),
    "ImageConfig": Member("structure"),
    "CodeSigningConfigArn": S,
    "Architectures": Member("list", min=1),
    "EphemeralStorage": Member("structure"),
    "SnapStart": Member("structure"),
    "LoggingConfig": Member("structure"),
    "Duration": _DURATION,
    "InitDuration": _DURATION,
}
UPDATE_FUNCTION_CONFIGURATION = {
    "FunctionName": _FN,
    "Role": S,
    "Handler": Member("any"),
    "Description": S,
    "Timeout": Member("integer", min=1),
    "MemorySize": Member("integer", min=128),
    "VpcConfig": Member("structure"),
    "Environment": Member("structure"),
    "Runtime": S,
    "DeadLetterConfig": Member("structure"),
    "KMSKeyArn": S,
    "TracingConfig": Member("structure"),
    "RevisionId": S,
    "Layers": Member("list"),
    "FileSystemConfigs": Member("list"),
    "ImageConfig": Member("structure"),
    "EphemeralStorage": Member("structure"),
    "SnapStart": Member("structure"),
    "LoggingConfig": Member("structure"),
    # lambdasim's own keywords (Architectures is in UpdateFunctionCode on AWS; accepted here too).
    "Architectures": Member("list", min=1),
    "Duration": _DURATION,
    "InitDuration": _DURATION,
}
INVOKE = {
    "FunctionName": _FN,
    "InvocationType": S,
    "LogType": S,
    "ClientContext": S,
    "Payload": Member("blob"),
    "Qualifier": _QUAL,
}
EVENT_INVOKE_CONFIG = {
    "FunctionName": _FN,
    "Qualifier": _QUAL,
    "MaximumRetryAttempts": Member("integer", min=0),
    "MaximumEventAgeInSeconds": Member("integer", min=60),
    "DestinationConfig": Member("structure"),
}


class FunctionRecord:
    """The control-plane side of a function: its configuration as AWS reports it, and its runtime state."""

    def __init__(self, config: dict[str, Any], state: FunctionState) -> None:
        self.config = config
        self.state = state
        self.event_invoke_config: dict[str, Any] | None = None
        self.tags: dict[str, str] = {}


class LambdaClient(BaseClient):
    """The simulated Lambda service. Every method takes and returns what boto3's Lambda client does."""

    service_name = "lambda"
    error_codes = (
        "ResourceNotFoundException",
        "ResourceConflictException",
        "InvalidParameterValueException",
        "InvalidRequestContentException",
        "RequestTooLargeException",
        "TooManyRequestsException",
        "ServiceException",
        "ValidationException",
    )

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._functions: dict[str, FunctionRecord] = sim._functions
        sim.engine.model_invoker = self._invoke_in_model

    # -- helpers ----------------------------------------------------------------------------------------------

    def _arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._sim.region, self._sim.account_id, name, qualifier)

    def _ref(self, op: str, value: str, qualifier: str | None = None) -> FunctionRef:
        ref = parse_function_name(value)
        if ref is None:
            raise self._validation(
                op,
                [(value, "functionName", f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}")],
            )
        if qualifier is not None and ref.qualifier is not None and qualifier != ref.qualifier:
            raise self._error(
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
                op,
            )
        return FunctionRef(ref.name, qualifier or ref.qualifier, ref.account, ref.region)

    def _record(self, op: str, value: str, qualifier: str | None = None) -> tuple[FunctionRecord, str]:
        """The function named by ``value`` and its effective qualifier; ``ResourceNotFoundException`` if none."""
        ref = self._ref(op, value, qualifier)
        rec = self._functions.get(ref.name)
        qual = ref.qualifier or LATEST
        wrong_place = (ref.account not in (None, self._sim.account_id)) or (ref.region not in (None, self._sim.region))
        if rec is None or wrong_place or qual != LATEST:
            raise self._error(
                "ResourceNotFoundException",
                f"Function not found: {self._arn(ref.name, ref.qualifier)}",
                op,
                404,
                Type="User",
            )
        return rec, qual

    def _validation(self, op: str, problems: list[tuple[Any, str, str]]) -> ClientError:
        n = len(problems)
        parts = "; ".join(f"Value '{v}' at '{field}' failed to satisfy constraint: {c}" for v, field, c in problems)
        noun = "error" if n == 1 else "errors"
        return self._error("ValidationException", f"{n} validation {noun} detected: {parts}", op)

    def _check_limits(self, op: str, params: Mapping[str, Any]) -> None:
        problems: list[tuple[Any, str, str]] = []
        if "Timeout" in params and params["Timeout"] > MAX_TIMEOUT_S:
            problems.append(
                (params["Timeout"], "timeout", f"Member must have value less than or equal to {MAX_TIMEOUT_S}")
            )
        if "MemorySize" in params and params["MemorySize"] > MAX_MEMORY_MB:
            problems.append(
                (params["MemorySize"], "memorySize", f"Member must have value less than or equal to {MAX_MEMORY_MB}")
            )
        archs = params.get("Architectures")
        if archs is not None:
            if len(archs) > 1:
                problems.append(
                    (
                        f"[{', '.join(map(str, archs))}]",
                        "architectures",
                        "Member must have length less than or equal to 1",
                    )
                )
            elif archs[0] not in ARCHITECTURES:
                problems.append(
                    (
                        f"[{archs[0]}]",
                        "architectures",
                        "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]",
                    )
                )
        if problems:
            raise self._validation(op, problems)

    def _distribution(self, op: str, name: str, value: Any) -> Distribution:
        try:
            return as_distribution(name, value)
        except (TypeError, ValueError) as exc:
            raise self._error("InvalidParameterValueException", str(exc), op) from None

    def _handler(self, op: str, value: Any) -> object:
        if value is None or isinstance(value, (str, Behaviour)) or callable(value):
            return value
        raise self._error(
            "InvalidParameterValueException",
            f"Handler must be a callable (event, context), an async def handler, a "
            f"'module.function' string or a lambdasim.Behaviour, got {value!r}",
            op,
        )

    def _configuration(self, rec: FunctionRecord) -> dict[str, Any]:
        return dict(rec.config)

    # -- functions --------------------------------------------------------------------------------------------

    def create_function(self, **params: Any) -> dict[str, Any]:
        """Create a function. ``Handler`` may be a callable; ``Duration``/``InitDuration`` take seconds or a
        :mod:`lambdasim.dist` distribution. ``Role`` and ``Code`` are optional here."""
        op = "CreateFunction"
        validate(params, CREATE_FUNCTION)
        self._check_limits(op, params)
        ref = self._ref(op, params["FunctionName"])
        name = ref.name
        if ref.qualifier is not None:
            raise self._error(
                "InvalidParameterValueException",
                "Unsupported function name: a qualifier is not allowed when creating a function.",
                op,
            )
        if name in self._functions:
            raise self._error("ResourceConflictException", f"Function already exist: {name}", op, 409, Type="User")
        handler = self._handler(op, params.get("Handler"))
        if isinstance(handler, Behaviour) and "Duration" in params:
            raise self._error(
                "InvalidParameterValueException",
                "Duration is given twice: once by the Behaviour passed as Handler and once as "
                "Duration. Give it in one place.",
                op,
            )
        duration = self._distribution(op, "Duration", params.get("Duration", 0.0))
        init = self._distribution(
            op, "InitDuration", params.get("InitDuration", self._sim.settings.default_init_duration_s)
        )
        timeout = params.get("Timeout", 3)
        memory = params.get("MemorySize", 128)
        arn = self._arn(name)
        state = FunctionState(
            self._sim.engine,
            name,
            arn,
            handler=handler,
            duration=duration,
            init_duration=init,
            timeout_s=timeout,
            memory_mb=memory,
        )
        code_sha = base64.b64encode(hashlib.sha256(name.encode()).digest()).decode()
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": arn,
            "Runtime": params.get("Runtime", "python3.12"),
            "Role": params.get("Role", f"arn:aws:iam::{self._sim.account_id}:role/lambdasim"),
            "Handler": describe(handler),
            "CodeSize": 0,
            "Description": params.get("Description", ""),
            "Timeout": timeout,
            "MemorySize": memory,
            "LastModified": self._sim.last_modified(),
            "CodeSha256": code_sha,
            "Version": LATEST,
            "TracingConfig": params.get("TracingConfig", {"Mode": "PassThrough"}),
            "RevisionId": self._sim.new_request_id(),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": params.get("PackageType", "Zip"),
            "Architectures": list(params.get("Architectures", ["x86_64"])),
            "EphemeralStorage": params.get("EphemeralStorage", {"Size": 512}),
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
        }
        if "Environment" in params:
            config["Environment"] = {"Variables": dict(params["Environment"].get("Variables", {}))}
        if "DeadLetterConfig" in params:
            config["DeadLetterConfig"] = dict(params["DeadLetterConfig"])
            state.dead_letter_arn = params["DeadLetterConfig"].get("TargetArn") or None
        rec = FunctionRecord(config, state)
        rec.tags = dict(params.get("Tags", {}))
        self._functions[name] = rec
        self._sim.engine.add(state)
        return {**self._configuration(rec), "ResponseMetadata": self._metadata(201)}

    def get_function_configuration(self, **params: Any) -> dict[str, Any]:
        """The function's configuration."""
        validate(params, {"FunctionName": _FN, "Qualifier": _QUAL})
        rec, _ = self._record("GetFunctionConfiguration", params["FunctionName"], params.get("Qualifier"))
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    def get_function(self, **params: Any) -> dict[str, Any]:
        """Configuration, code location, tags and reserved concurrency, as ``GetFunction`` returns them."""
        validate(params, {"FunctionName": _FN, "Qualifier": _QUAL})
        rec, _ = self._record("GetFunction", params["FunctionName"], params.get("Qualifier"))
        out: dict[str, Any] = {
            "Configuration": self._configuration(rec),
            "Code": {
                "RepositoryType": "S3",
                "Location": f"https://lambdasim.local/{self._sim.region}/{rec.state.name}.zip",
            },
        }
        if rec.tags:
            out["Tags"] = dict(rec.tags)
        if rec.state.reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": rec.state.reserved}
        out["ResponseMetadata"] = self._metadata()
        return out

    def list_functions(self, **params: Any) -> dict[str, Any]:
        """Functions in name order, ``MaxItems`` (1..10000, default 50) at a time, paged with ``Marker``."""
        op = "ListFunctions"
        validate(params, {"MasterRegion": S, "FunctionVersion": S, "Marker": S, "MaxItems": Member("integer", min=1)})
        limit = params.get("MaxItems", 50)
        if limit > 10000:
            raise self._validation(op, [(limit, "maxItems", "Member must have value less than or equal to 10000")])
        names = sorted(self._functions)
        start = 0
        if "Marker" in params:
            try:
                start = int(base64.b64decode(params["Marker"]).decode())
            except ValueError:
                raise self._error("InvalidParameterValueException", "Invalid marker", op) from None
        page = names[start : start + limit]
        out: dict[str, Any] = {"Functions": [self._configuration(self._functions[n]) for n in page]}
        if start + limit < len(names):
            out["NextMarker"] = base64.b64encode(str(start + limit).encode()).decode()
        out["ResponseMetadata"] = self._metadata()
        return out

    def delete_function(self, **params: Any) -> dict[str, Any]:
        """Delete the function; its queued events are dropped when a poller next reaches them."""
        validate(params, {"FunctionName": _FN, "Qualifier": _QUAL})
        rec, _ = self._record("DeleteFunction", params["FunctionName"], params.get("Qualifier"))
        del self._functions[rec.state.name]
        self._sim.engine.remove(rec.state.name)
        return {"ResponseMetadata": self._metadata(204)}

    def update_function_configuration(self, **params: Any) -> dict[str, Any]:
        """Change settings; attempts that start from now on use them."""
        op = "UpdateFunctionConfiguration"
        validate(params, UPDATE_FUNCTION_CONFIGURATION)
        self._check_limits(op, params)
        rec, _ = self._record(op, params["FunctionName"])
        state = rec.state
        handler = self._handler(op, params["Handler"]) if "Handler" in params else state.handler
        if isinstance(handler, Behaviour) and "Duration" in params:
            raise self._error(
                "InvalidParameterValueException",
                "Duration is given twice: by the Behaviour passed as Handler and as Duration.",
                op,
            )
        duration = self._distribution(op, "Duration", params["Duration"]) if "Duration" in params else state.duration
        if "InitDuration" in params:
            state.set_init_duration(self._distribution(op, "InitDuration", params["InitDuration"]))
        if "Handler" in params or "Duration" in params:
            state.set_handler(handler, duration)
            rec.config["Handler"] = describe(handler)
        if "Timeout" in params:
            state.timeout_s = float(params["Timeout"])
        if "MemorySize" in params:
            state.memory_mb = params["MemorySize"]
        for key in ("Timeout", "MemorySize", "Description", "Role", "Runtime", "TracingConfig", "EphemeralStorage"):
            if key in params:
                rec.config[key] = params[key]
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        if "Environment" in params:
            rec.config["Environment"] = {"Variables": dict(params["Environment"].get("Variables", {}))}
        if "DeadLetterConfig" in params:
            rec.config["DeadLetterConfig"] = dict(params["DeadLetterConfig"])
            state.dead_letter_arn = params["DeadLetterConfig"].get("TargetArn") or None
        rec.config["LastModified"] = self._sim.last_modified()
        rec.config["RevisionId"] = self._sim.new_request_id()
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    def update_function_code(self, **params: Any) -> dict[str, Any]:
        """Accepts ``Architectures`` (as AWS does) and the code arguments, which the simulation ignores."""
        op = "UpdateFunctionCode"
        validate(
            params,
            {
                "FunctionName": _FN,
                "ZipFile": Member("blob"),
                "S3Bucket": S,
                "S3Key": S,
                "S3ObjectVersion": S,
                "ImageUri": S,
                "Publish": Member("boolean"),
                "DryRun": Member("boolean"),
                "RevisionId": S,
                "Architectures": Member("list", min=1),
                "SourceKMSKeyArn": S,
            },
        )
        self._check_limits(op, params)
        rec, _ = self._record(op, params["FunctionName"])
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        rec.config["LastModified"] = self._sim.last_modified()
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    # -- concurrency ------------------------------------------------------------------------------------------

    def put_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """Reserve concurrency (0 blocks the function); at least 100 must stay unreserved in the account."""
        op = "PutFunctionConcurrency"
        validate(params, {"FunctionName": _FN, "ReservedConcurrentExecutions": Member("integer", True, 0)})
        rec, _ = self._record(op, params["FunctionName"])
        n = params["ReservedConcurrentExecutions"]
        engine = self._sim.engine
        if engine.concurrency_limit - engine.reserved_total(excluding=rec.state) - n < MIN_UNRESERVED:
            raise self._error(
                "InvalidParameterValueException",
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].",
                op,
            )
        engine.set_reserved(rec.state, n)
        return {"ReservedConcurrentExecutions": n, "ResponseMetadata": self._metadata()}

    def get_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """``{"ReservedConcurrentExecutions": n}``, or no key when none is reserved."""
        validate(params, {"FunctionName": _FN})
        rec, _ = self._record("GetFunctionConcurrency", params["FunctionName"])
        out: dict[str, Any] = {}
        if rec.state.reserved is not None:
            out["ReservedConcurrentExecutions"] = rec.state.reserved
        out["ResponseMetadata"] = self._metadata()
        return out

    def delete_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """Return the function to the unreserved pool."""
        validate(params, {"FunctionName": _FN})
        rec, _ = self._record("DeleteFunctionConcurrency", params["FunctionName"])
        self._sim.engine.set_reserved(rec.state, None)
        return {"ResponseMetadata": self._metadata(204)}

    def get_account_settings(self, **params: Any) -> dict[str, Any]:
        """The simulated account's limits and usage."""
        validate(params, {})
        engine = self._sim.engine
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": engine.concurrency_limit,
                "UnreservedConcurrentExecutions": engine.concurrency_limit - engine.reserved_total(),
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(self._functions)},
            "ResponseMetadata": self._metadata(),
        }

    # -- event invoke configuration ---------------------------------------------------------------------------

    def _eic_response(self, rec: FunctionRecord) -> dict[str, Any]:
        cfg = rec.event_invoke_config
        assert cfg is not None
        out = {k: v for k, v in cfg.items() if k != "DestinationConfig"}
        dest = cfg.get("DestinationConfig", {})
        out["DestinationConfig"] = {
            "OnSuccess": dict(dest.get("OnSuccess", {})),
            "OnFailure": dict(dest.get("OnFailure", {})),
        }
        out["FunctionArn"] = self._arn(rec.state.name, LATEST)
        return out

    def _eic_check(self, op: str, rec: FunctionRecord, params: Mapping[str, Any]) -> None:
        if not any(k in params for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")):
            raise self._error(
                "InvalidParameterValueException",
                "You must specify at least one of error handling or destination setting.",
                op,
            )
        problems: list[tuple[Any, str, str]] = []
        retries = params.get("MaximumRetryAttempts")
        if retries is not None and retries > 2:
            problems.append((retries, "maximumRetryAttempts", "Member must have value less than or equal to 2"))
        age = params.get("MaximumEventAgeInSeconds")
        if age is not None and age > MAX_MAXIMUM_EVENT_AGE_S:
            problems.append(
                (
                    age,
                    "maximumEventAgeInSeconds",
                    f"Member must have value less than or equal to {MAX_MAXIMUM_EVENT_AGE_S}",
                )
            )
        if problems:
            raise self._validation(op, problems)
        for side in ("OnSuccess", "OnFailure"):
            target = params.get("DestinationConfig", {}).get(side, {}).get("Destination")
            if target is not None:
                ref = parse_function_name(target) if target.startswith("arn:aws:lambda:") else None
                if ref is not None and ref.name == rec.state.name:
                    raise self._error(
                        "InvalidParameterValueException",
                        "You can't specify the function as a destination for itself.",
                        op,
                    )

    def _eic_apply(self, rec: FunctionRecord) -> None:
        """Events decide with the config in force at each decision, so a change mid-run applies from now on."""
        cfg = rec.event_invoke_config or {}
        rec.state.max_retry_attempts = cfg.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
        rec.state.max_event_age_s = float(cfg.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_S))
        destinations = cfg.get("DestinationConfig", {})
        rec.state.on_success = destinations.get("OnSuccess", {}).get("Destination")
        rec.state.on_failure = destinations.get("OnFailure", {}).get("Destination")

    def put_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Set retries, maximum age and destinations, replacing any existing config."""
        op = "PutFunctionEventInvokeConfig"
        validate(params, EVENT_INVOKE_CONFIG)
        rec, _ = self._record(op, params["FunctionName"], params.get("Qualifier"))
        self._eic_check(op, rec, params)
        cfg: dict[str, Any] = {"LastModified": self._sim.epoch_now()}
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if key in params:
                cfg[key] = params[key]
        rec.event_invoke_config = cfg
        self._eic_apply(rec)
        return {**self._eic_response(rec), "ResponseMetadata": self._metadata()}

    def update_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Merge the fields given into the existing config (``OnSuccess`` and ``OnFailure`` separately)."""
        op = "UpdateFunctionEventInvokeConfig"
        validate(params, EVENT_INVOKE_CONFIG)
        rec, qual = self._record(op, params["FunctionName"], params.get("Qualifier"))
        self._eic_check(op, rec, params)
        if rec.event_invoke_config is None:
            raise self._no_eic(op, rec, qual)
        cfg = rec.event_invoke_config
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if key in params:
                cfg[key] = params[key]
        if "DestinationConfig" in params:
            merged = dict(cfg.get("DestinationConfig", {}))
            merged.update(params["DestinationConfig"])
            cfg["DestinationConfig"] = merged
        cfg["LastModified"] = self._sim.epoch_now()
        self._eic_apply(rec)
        return {**self._eic_response(rec), "ResponseMetadata": self._metadata()}

    def _no_eic(self, op: str, rec: FunctionRecord, qual: str) -> ClientError:
        return self._error(
            "ResourceNotFoundException",
            f"The function {self._arn(rec.state.name, qual)} doesn't have an EventInvokeConfig",
            op,
            404,
            Type="User",
        )

    def get_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """The function's event invoke config."""
        op = "GetFunctionEventInvokeConfig"
        validate(params, {"FunctionName": _FN, "Qualifier": _QUAL})
        rec, qual = self._record(op, params["FunctionName"], params.get("Qualifier"))
        if rec.event_invoke_config is None:
            raise self._no_eic(op, rec, qual)
        return {**self._eic_response(rec), "ResponseMetadata": self._metadata()}

    def delete_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Remove the config; defaults (2 retries, 6 h) apply from now on."""
        op = "DeleteFunctionEventInvokeConfig"
        validate(params, {"FunctionName": _FN, "Qualifier": _QUAL})
        rec, qual = self._record(op, params["FunctionName"], params.get("Qualifier"))
        if rec.event_invoke_config is None:
            raise self._no_eic(op, rec, qual)
        rec.event_invoke_config = None
        self._eic_apply(rec)
        return {"ResponseMetadata": self._metadata(204)}

    def list_function_event_invoke_configs(self, **params: Any) -> dict[str, Any]:
        """The function's configs (one per qualifier)."""
        op = "ListFunctionEventInvokeConfigs"
        validate(params, {"FunctionName": _FN, "Marker": S, "MaxItems": Member("integer", min=1)})
        limit = params.get("MaxItems", 50)
        if limit > 50:
            raise self._validation(op, [(limit, "maxItems", "Member must have value less than or equal to 50")])
        rec, _ = self._record(op, params["FunctionName"])
        configs = [self._eic_response(rec)] if rec.event_invoke_config is not None else []
        return {"FunctionEventInvokeConfigs": configs, "ResponseMetadata": self._metadata()}

    # -- invoke -----------------------------------------------------------------------------------------------

    def _payload(self, op: str, payload: Any, limit: int) -> tuple[Any, int]:
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
        if not raw.strip():
            return {}, len(raw)
        try:
            return json.loads(raw), len(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._error(
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
                op,
                400,
                Type="User",
            ) from None

    def _prepare_invoke(self, params: Mapping[str, Any]) -> tuple[FunctionRecord, str, Any]:
        op = "Invoke"
        validate(params, INVOKE)
        kind = params.get("InvocationType", "RequestResponse")
        if kind not in INVOCATION_TYPES:
            raise self._validation(
                op, [(kind, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")]
            )
        log_type = params.get("LogType", "None")
        if log_type not in ("None", "Tail"):
            raise self._validation(op, [(log_type, "logType", "Member must satisfy enum value set: [None, Tail]")])
        rec, _ = self._record(op, params["FunctionName"], params.get("Qualifier"))
        settings = self._sim.settings
        limit = settings.async_payload_limit_bytes if kind == "Event" else settings.sync_payload_limit_bytes
        event, _size = self._payload(op, params.get("Payload"), limit)
        return rec, kind, event

    def invoke(self, **params: Any) -> dict[str, Any]:
        """Invoke a function. ``Event`` answers 202 at once; ``RequestResponse`` from top-level code advances the
        simulated clock until the response is ready (inside a handler, ``await context.invoke(...)`` instead);
        ``DryRun`` answers 204."""
        rec, kind, event = self._prepare_invoke(params)
        sim = self._sim
        if kind == "DryRun":
            return {"StatusCode": 204, "Payload": StreamingBody(b""), "ResponseMetadata": self._metadata(204)}
        seq = sim.engine.next_seq()
        rid = sim.engine.request_id(seq)
        if kind == "Event":
            sim.engine.enqueue(rec.state, event, seq)
            return {"StatusCode": 202, "Payload": StreamingBody(b""), "ResponseMetadata": self._metadata(202, rid)}
        if sim.running:
            raise RuntimeError(
                "a RequestResponse invoke cannot advance the clock from inside the simulation; in an async def "
                "handler use `await context.invoke(...)`"
            )
        done = sim.engine.invoke_sync(rec.state, event, seq)
        if not isinstance(done, simpy.Event):
            raise self._throttled(done.value)
        started = sim.now
        sim.advance_until(done)
        error, response = cast("tuple[ErrorInfo | None, Any]", done.value)
        return self._sync_response(rec, rid, error, response, sim.now - started, params.get("LogType") == "Tail")

    def _throttled(self, reason: str) -> ClientError:
        return self._error("TooManyRequestsException", "Rate Exceeded.", "Invoke", 429, Reason=reason, Type="User")

    def _sync_response(
        self, rec: FunctionRecord, rid: str, error: ErrorInfo | None, response: Any, elapsed: float, tail: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": LATEST}
        if error is None:
            body = json.dumps(response).encode()
        else:
            error_type, message, stack = error
            out["FunctionError"] = "Unhandled"
            body = json.dumps(
                {"errorMessage": message, "errorType": error_type, "requestId": rid, "stackTrace": stack}
            ).encode()
        if tail:
            out["LogResult"] = base64.b64encode(self._log_tail(rec, rid, elapsed).encode()).decode()
        out["Payload"] = StreamingBody(body)
        out["ResponseMetadata"] = self._metadata(200, rid, **{"x-amz-executed-version": LATEST})
        return out

    def _log_tail(self, rec: FunctionRecord, rid: str, elapsed: float) -> str:
        ms = elapsed * 1000
        return (
            f"START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\n"
            f"REPORT RequestId: {rid}\tDuration: {ms:.2f} ms\tBilled Duration: {math.ceil(ms)} ms\t"
            f"Memory Size: {rec.state.memory_mb} MB\tMax Memory Used: {rec.state.memory_mb} MB\t\n"
        )

    def _invoke_in_model(self, **params: Any) -> simpy.Event:
        """``await context.invoke(...)``: an event that succeeds with the response dict (or fails with the error)."""
        env = self._sim.env
        result = env.event()
        try:
            rec, kind, event = self._prepare_invoke(params)
        except ClientError as exc:
            return result.fail(exc)
        engine = self._sim.engine
        if kind == "DryRun":
            return result.succeed(
                {"StatusCode": 204, "Payload": StreamingBody(b""), "ResponseMetadata": self._metadata(204)}
            )
        seq = engine.next_seq()
        rid = engine.request_id(seq)
        if kind == "Event":
            engine.enqueue(rec.state, event, seq)
            return result.succeed(
                {"StatusCode": 202, "Payload": StreamingBody(b""), "ResponseMetadata": self._metadata(202, rid)}
            )
        done = engine.invoke_sync(rec.state, event, seq)
        if not isinstance(done, simpy.Event):
            return result.fail(self._throttled(done.value))
        started = env.now
        tail = params.get("LogType") == "Tail"

        def respond(ev: simpy.Event) -> None:
            error, response = cast("tuple[ErrorInfo | None, Any]", ev.value)
            result.succeed(self._sync_response(rec, rid, error, response, env.now - started, tail))

        done.callbacks.append(respond)
        return result


ClientFactory = Callable[["Simulation"], BaseClient]
