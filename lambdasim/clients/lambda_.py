"""``sim.client("lambda")``: the Lambda API on the simulated clock, in boto3's shapes and AWS's error words.

Every request is checked as botocore checks it (``ParamValidationError``) and then against the service model's
constraints (``ValidationException``); see :mod:`lambdasim.clients._lambda_model` for the few documented
extensions (a callable ``Handler``, ``Duration``, ``InitDuration``). The operations are grouped by topic:

- here: functions (create, get, list, update, delete), reserved concurrency, account settings, paginators;
- :mod:`~lambdasim.clients.lambda_invoke`: ``invoke``;
- :mod:`~lambdasim.clients.lambda_eic`: event invoke configs;
- :mod:`~lambdasim.clients.lambda_versions`: versions and aliases;
- :mod:`~lambdasim.clients.lambda_provisioned`: provisioned concurrency;
- :mod:`~lambdasim.clients.lambda_tags`: tags (``tag_resource``, ``untag_resource``, ``list_tags``);
- :mod:`~lambdasim.clients.lambda_waiters`: waiters (``get_waiter``, ``waiter_names``), on the simulated clock.

Names, partial and full ARNs and ``name:qualifier`` are accepted wherever AWS accepts them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lambdasim.arn import LATEST, service_of
from lambdasim.behaviour import Behaviour
from lambdasim.clients._lambda_base import FunctionRecord
from lambdasim.clients._lambda_model import PAGINATORS
from lambdasim.clients.lambda_eic import EventInvokeConfigMixin
from lambdasim.clients.lambda_invoke import InvokeMixin
from lambdasim.clients.lambda_provisioned import ProvisionedConcurrencyMixin
from lambdasim.clients.lambda_tags import TagsMixin
from lambdasim.clients.lambda_versions import VersionsMixin, listed
from lambdasim.clients.lambda_waiters import WaitersMixin
from lambdasim.clients.paginators import OperationNotPageableError, Paginator, xform_name
from lambdasim.dist import Distribution, as_distribution
from lambdasim.engine import FunctionState
from lambdasim.handler import describe, is_handler
from lambdasim.provisioned import unconfigure
from lambdasim.rules import MIN_UNRESERVED_CONCURRENCY

if TYPE_CHECKING:
    from lambdasim.simulation import Simulation

__all__ = ["FunctionRecord", "LambdaClient"]

DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
_PAGEABLE = {xform_name(op): op for op in PAGINATORS}


class LambdaClient(
    EventInvokeConfigMixin, VersionsMixin, InvokeMixin, ProvisionedConcurrencyMixin, TagsMixin, WaitersMixin
):
    """The simulated Lambda service. Every method takes and returns what boto3's Lambda client does."""

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        sim.engine.model_invoker = self._invoke_in_model

    # -- paginators -------------------------------------------------------------------------------------------

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works (``operation_name`` as the method is named)."""
        return operation_name in _PAGEABLE

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for ``list_functions``, ``list_versions_by_function``, ``list_aliases`` or
        ``list_function_event_invoke_configs``, as boto3's."""
        if operation_name not in _PAGEABLE:
            raise OperationNotPageableError(operation_name)
        return Paginator(getattr(self, operation_name), PAGINATORS[_PAGEABLE[operation_name]])

    # -- helpers ----------------------------------------------------------------------------------------------

    def _distribution(self, op: str, name: str, value: Any) -> Distribution:
        try:
            return as_distribution(name, value)
        except (TypeError, ValueError) as exc:
            raise self._invalid(op, str(exc)) from None

    def _handler(self, op: str, value: Any) -> object:
        if is_handler(value):
            return value
        raise self._invalid(
            op,
            f"Handler must be a callable (event, context), an async def handler, a "
            f"'module.function' string or a lambdasim.Behaviour, got {value!r}",
        )

    def _configuration(self, rec: FunctionRecord, qualifier: str | None = None) -> dict[str, Any]:
        """``FunctionConfiguration`` of ``$LATEST`` (unqualified ARN), ``$LATEST`` explicitly, a version, or the
        version an alias points at (with the alias's ARN)."""
        if qualifier is None:
            return copy.deepcopy(rec.config)
        alias = rec.aliases.get(qualifier)
        version = alias.function_version if alias is not None else qualifier
        config = rec.config if version == LATEST else rec.versions[version].config
        return {**copy.deepcopy(config), "FunctionArn": self._arn(rec.name, qualifier)}

    def _changed(self, rec: FunctionRecord) -> None:
        """``$LATEST`` changed: a new revision (so the next ``publish_version`` publishes a new version)."""
        rec.revision += 1
        rec.config["LastModified"] = self._sim.last_modified()
        rec.config["RevisionId"] = self._sim.new_request_id()

    # -- functions --------------------------------------------------------------------------------------------

    def create_function(self, **params: Any) -> dict[str, Any]:
        """Create a function. ``Handler`` may be a callable; ``Duration``/``InitDuration`` take seconds or a
        :mod:`lambdasim.dist` distribution. ``Role`` and ``Code`` are optional here. ``Publish=True`` also
        publishes version 1."""
        op = "CreateFunction"
        self._begin(op, params)
        if "DeadLetterConfig" in params:
            self._dead_letter_arn(op, params["DeadLetterConfig"])  # refused before anything changes
        ref = self._ref(op, params["FunctionName"])
        name = ref.name
        if ref.qualifier is not None:
            raise self._invalid(op, "Unsupported function name: a qualifier is not allowed when creating a function.")
        tags = self._new_tags(op, params.get("Tags", {}))
        if name in self._functions:
            raise self._fail("ResourceConflictException", f"Function already exist: {name}", op, 409)
        handler = self._handler(op, params.get("Handler"))
        if isinstance(handler, Behaviour) and "Duration" in params:
            raise self._invalid(
                op,
                "Duration is given twice: once by the Behaviour passed as Handler and once as Duration. Give it in "
                "one place.",
            )
        duration = self._distribution(op, "Duration", params.get("Duration", 0.0))
        init = self._distribution(
            op, "InitDuration", params.get("InitDuration", self._sim.settings.default_init_duration_s)
        )
        timeout = params.get("Timeout", DEFAULT_TIMEOUT_S)
        memory = params.get("MemorySize", DEFAULT_MEMORY_MB)
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
        code = params.get("Code", {}).get("ZipFile", name.encode())
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": arn,
            "Runtime": params.get("Runtime", "python3.12"),
            "Role": params.get("Role", f"arn:aws:iam::{self._sim.account_id}:role/lambdasim"),
            "Handler": describe(handler),
            "CodeSize": len(code) if isinstance(code, (bytes, bytearray)) else 0,
            "Description": params.get("Description", ""),
            "Timeout": timeout,
            "MemorySize": memory,
            "LastModified": self._sim.last_modified(),
            "CodeSha256": _sha256(code),
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
        _echo(config, params)
        if "DeadLetterConfig" in params:
            state.latest.version.dead_letter_arn = self._dead_letter_arn(op, params["DeadLetterConfig"])
        rec = FunctionRecord(config, state)
        rec.tags = tags
        self._functions[name] = rec
        self._sim.engine.add(state)
        out = self._configuration(rec)
        if params.get("Publish"):
            version = self._publish(rec)
            out = {**copy.deepcopy(rec.versions[version].config), "FunctionArn": arn}
        return {**out, "ResponseMetadata": self._metadata(201)}

    def get_function_configuration(self, **params: Any) -> dict[str, Any]:
        """The configuration of ``$LATEST``, a version, or the version an alias points at."""
        op = "GetFunctionConfiguration"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
        return {**self._configuration(rec, qualifier), "ResponseMetadata": self._metadata()}

    def get_function(self, **params: Any) -> dict[str, Any]:
        """Configuration, code location, tags and reserved concurrency, as ``GetFunction`` returns them."""
        op = "GetFunction"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
        out: dict[str, Any] = {
            "Configuration": self._configuration(rec, qualifier),
            "Code": {"RepositoryType": "S3", "Location": f"https://lambdasim.local/{self._sim.region}/{rec.name}.zip"},
        }
        if rec.tags:
            out["Tags"] = dict(rec.tags)
        if rec.state.reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": rec.state.reserved}
        out["ResponseMetadata"] = self._metadata()
        return out

    def list_functions(self, **params: Any) -> dict[str, Any]:
        """Functions in name order (``FunctionVersion="ALL"``: every version too), ``MaxItems`` (1..10000,
        default 50) at a time, paged with ``Marker``."""
        op = "ListFunctions"
        self._begin(op, params)
        items = []
        for name in sorted(self._functions):
            rec = self._functions[name]
            if params.get("FunctionVersion") == "ALL":
                items.append(listed(self._configuration(rec, LATEST)))
                items.extend(listed(self._configuration(rec, v)) for v in rec.versions)
            else:
                items.append(listed(self._configuration(rec)))
        page = self._page(op, items, params)
        return {"Functions": page.pop("page"), **page, "ResponseMetadata": self._metadata()}

    def delete_function(self, **params: Any) -> dict[str, Any]:
        """Delete the function (its queued events are dropped when a poller next reaches them), or with a
        version ``Qualifier`` only that version (not if an alias points at it; events already queued for it still
        run its snapshot). Deleting a version that does not exist is not an error, as on AWS."""
        op = "DeleteFunction"
        self._begin(op, params)
        ref = self._ref(op, params["FunctionName"], params.get("Qualifier"))
        if ref.qualifier == LATEST:
            raise self._invalid(op, "$LATEST version cannot be deleted without deleting the function.")
        rec = self._lookup(ref)
        if rec is None:
            raise self._not_found(op, f"Function not found: {self._arn(ref.name)}")
        if ref.qualifier is None:
            del self._functions[rec.name]
            self._sim.engine.remove(rec.name)
            self._sim.retire(rec.state, rec.config)
        elif ref.qualifier in rec.versions:
            self._delete_version(op, rec, ref.qualifier)
        return {"StatusCode": 204, "ResponseMetadata": self._metadata(204)}

    def _delete_version(self, op: str, rec: FunctionRecord, version: str) -> None:
        users = sorted(n for n, a in rec.aliases.items() if a.function_version == version or version in a.weights)
        if users:
            raise self._fail(
                "ResourceConflictException",
                f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]",
                op,
                409,
            )
        del rec.versions[version]
        rec.event_invoke_configs.pop(version, None)
        rec.targets.pop(version, None)
        if version in rec.state.provisioned:  # its provisioned concurrency config goes with it, as an alias's does
            unconfigure(self._sim.engine, rec.state, version)

    def update_function_configuration(self, **params: Any) -> dict[str, Any]:
        """Change ``$LATEST``'s settings; attempts that start from now on use them. Published versions keep
        theirs."""
        op = "UpdateFunctionConfiguration"
        self._begin(op, params)
        if "DeadLetterConfig" in params:
            self._dead_letter_arn(op, params["DeadLetterConfig"])  # refused before anything changes
        rec = self._function(op, params["FunctionName"], None)
        if params.get("RevisionId") and params["RevisionId"] != rec.config["RevisionId"]:
            raise self._precondition_failed(op)
        latest = rec.state.latest.version
        handler = self._handler(op, params["Handler"]) if "Handler" in params else latest.handler
        if isinstance(handler, Behaviour) and "Duration" in params:
            raise self._invalid(op, "Duration is given twice: by the Behaviour passed as Handler and as Duration.")
        duration = self._distribution(op, "Duration", params["Duration"]) if "Duration" in params else latest.duration
        if "InitDuration" in params:
            rec.state.set_init_duration(self._distribution(op, "InitDuration", params["InitDuration"]))
        if "Handler" in params or "Duration" in params:
            rec.state.set_handler(handler, duration)
            rec.config["Handler"] = describe(handler)
        if "Timeout" in params:
            latest.timeout_s = float(params["Timeout"])
        if "MemorySize" in params:
            latest.memory_mb = params["MemorySize"]
        for key in ("Timeout", "MemorySize", "Description", "Role", "Runtime", "TracingConfig", "EphemeralStorage"):
            if key in params:
                rec.config[key] = copy.deepcopy(params[key])
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        _echo(rec.config, params)
        if "DeadLetterConfig" in params:
            latest.dead_letter_arn = self._dead_letter_arn(op, params["DeadLetterConfig"])
        self._changed(rec)
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    def _dead_letter_arn(self, op: str, config: Mapping[str, Any]) -> str | None:
        """A dead-letter queue is an SQS queue or an SNS topic [doc]; an empty ``TargetArn`` removes it."""
        arn = config.get("TargetArn") or None
        if arn is not None and service_of(arn) not in ("sqs", "sns"):
            # [model] AWS's wording for an ARN of another service is not recorded; its prefix is as AWS's
            # "Invalid dead letter queue ARN: ARNs must start with 'arn:'".
            raise self._invalid(
                op, f"Invalid dead letter queue ARN: {arn} is not the ARN of an Amazon SQS queue or Amazon SNS topic"
            )
        return arn

    def update_function_code(self, **params: Any) -> dict[str, Any]:
        """Accepts ``Architectures`` (as AWS does) and the code arguments (the simulation runs ``Handler``, so code
        only changes ``CodeSha256``/``CodeSize``); ``Publish=True`` publishes a version."""
        op = "UpdateFunctionCode"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        if params.get("RevisionId") and params["RevisionId"] != rec.config["RevisionId"]:
            raise self._precondition_failed(op)
        if params.get("DryRun"):
            return {**self._configuration(rec), "ResponseMetadata": self._metadata()}
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        code = params.get("ZipFile") or params.get("ImageUri") or params.get("S3Key")
        if code is not None:
            data = code.read() if hasattr(code, "read") else code
            raw = data.encode() if isinstance(data, str) else bytes(data)
            rec.config["CodeSha256"] = _sha256(raw)
            rec.config["CodeSize"] = len(raw)
        self._changed(rec)
        if params.get("Publish"):
            version = self._publish(rec)
            return {**self._configuration(rec, version), "ResponseMetadata": self._metadata()}
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    # -- concurrency and account ------------------------------------------------------------------------------

    def put_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """Reserve concurrency for the function, shared by all its versions (0 blocks it); at least 100 must stay
        unreserved in the account."""
        op = "PutFunctionConcurrency"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"], latest_in_message=True)
        n = params["ReservedConcurrentExecutions"]
        engine = self._sim.engine
        if engine.concurrency_limit - engine.reserved_total(excluding=rec.state) - n < MIN_UNRESERVED_CONCURRENCY:
            raise self._invalid(
                op,
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED_CONCURRENCY}].",
            )
        engine.set_reserved(rec.state, n)
        return {"ReservedConcurrentExecutions": n, "ResponseMetadata": self._metadata()}

    def get_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """``{"ReservedConcurrentExecutions": n}``, or no key when none is reserved."""
        op = "GetFunctionConcurrency"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"], latest_in_message=True)
        out: dict[str, Any] = {}
        if rec.state.reserved is not None:
            out["ReservedConcurrentExecutions"] = rec.state.reserved
        out["ResponseMetadata"] = self._metadata()
        return out

    def delete_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """Return the function to the unreserved pool."""
        op = "DeleteFunctionConcurrency"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"], latest_in_message=True)
        self._sim.engine.set_reserved(rec.state, None)
        return {"ResponseMetadata": self._metadata(204)}

    def get_account_settings(self, **params: Any) -> dict[str, Any]:
        """The simulated account's limits (its concurrency and what is left unreserved) and usage."""
        self._begin("GetAccountSettings", params)
        engine = self._sim.engine
        code_size = sum(rec.config.get("CodeSize", 0) for rec in self._functions.values())
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": engine.concurrency_limit,
                "UnreservedConcurrentExecutions": engine.concurrency_limit - engine.reserved_total(),
            },
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(self._functions)},
            "ResponseMetadata": self._metadata(),
        }


def _echo(config: dict[str, Any], params: dict[str, Any]) -> None:
    """Settings the simulation does not act on, reported back as AWS reports them."""
    if "Environment" in params:
        config["Environment"] = {"Variables": dict(params["Environment"].get("Variables", {}))}
    if "DeadLetterConfig" in params:
        config["DeadLetterConfig"] = dict(params["DeadLetterConfig"])
    if "KMSKeyArn" in params:
        config["KMSKeyArn"] = params["KMSKeyArn"]
    if "Layers" in params:
        config["Layers"] = [{"Arn": arn, "CodeSize": 0} for arn in params["Layers"]]
    if "FileSystemConfigs" in params:
        config["FileSystemConfigs"] = copy.deepcopy(params["FileSystemConfigs"])
    if "VpcConfig" in params:
        vpc = params["VpcConfig"]
        config["VpcConfig"] = {
            "SubnetIds": list(vpc.get("SubnetIds", [])),
            "SecurityGroupIds": list(vpc.get("SecurityGroupIds", [])),
            "VpcId": "",
            "Ipv6AllowedForDualStack": bool(vpc.get("Ipv6AllowedForDualStack", False)),
        }
    if "ImageConfig" in params:
        config["ImageConfigResponse"] = {"ImageConfig": copy.deepcopy(params["ImageConfig"])}
    if "LoggingConfig" in params:
        config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **params["LoggingConfig"]}
    if "SnapStart" in params:
        config["SnapStart"] = {"ApplyOn": params["SnapStart"].get("ApplyOn", "None"), "OptimizationStatus": "Off"}


def _sha256(code: Any) -> str:
    """``CodeSha256``: base64 of the SHA-256 of the deployment package (here: whatever stands for the code)."""
    raw = code if isinstance(code, (bytes, bytearray)) else str(code).encode()
    return base64.b64encode(hashlib.sha256(raw).digest()).decode()
