"""The Lambda service of the simulated account: the one control plane every door shares.

As moto splits a service's backend from its responses, this module holds Lambda's state and rules and
:mod:`lambdasim.aws.lambda_.client` only checks requests (botocore's validation), calls the backend and shapes
the responses. The boto3-shaped client, the Pythonic model (:mod:`lambdasim.planning.model`), workloads
(:meth:`LambdaBackend.targeter`), the other services (S3 notifications, SNS and EventBridge targets:
:meth:`LambdaBackend.invoke_async`) and ``await context.invoke(...)`` all reach functions through it.

A function's control-plane state is a :class:`FunctionRecord`: ``$LATEST``'s configuration as AWS reports it, the
published versions (configuration snapshot plus the engine's :class:`~lambdasim.core.target.FunctionVersion`),
aliases, one event invoke configuration per qualifier, and the engine :class:`~lambdasim.core.target.Target` of
every (qualifier, version) invoked so far. Changing a qualifier's configuration updates its targets in place, so
events already queued decide with the new settings from then on.

Refusals are :class:`LambdaError` (a :class:`~lambdasim.aws.account.ServiceError` with Lambda's code, message and
HTTP status); the client lays them out as botocore's ``ClientError`` for the operation that was called.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from lambdasim.aws._shapes import validation_message
from lambdasim.aws.account import ServiceError
from lambdasim.aws.arn import (
    FUNCTION_NAME_PATTERN,
    LATEST,
    NAME_MAX,
    FunctionRef,
    function_arn,
    parse_function_name,
    service_of,
)
from lambdasim.aws.lambda_.packages import CodeProfile, PackageError, handler_for, read_package
from lambdasim.aws.lambda_.runtimes import runtime_problem
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.code import CodeHandler, ZipCode
from lambdasim.core.dist import Distribution, as_distribution, stream
from lambdasim.core.engine import FunctionState
from lambdasim.core.handler import AttemptLog, ClientContext, describe, is_handler
from lambdasim.core.provisioned import ProvisionedConcurrency, configure, unconfigure
from lambdasim.core.rules import DEFAULT_MAXIMUM_EVENT_AGE_S, DEFAULT_MAXIMUM_RETRY_ATTEMPTS, MIN_UNRESERVED_CONCURRENCY
from lambdasim.core.target import FunctionVersion, Target

if TYPE_CHECKING:
    import simpy

    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.faults import ServiceFault
    from lambdasim.core.rules import ThrottleReason

__all__ = [
    "UNQUALIFIED",
    "AliasRecord",
    "FunctionRecord",
    "LambdaBackend",
    "LambdaError",
    "VersionRecord",
]

UNQUALIFIED = ""  # the targets key of an unqualified invoke (it shares $LATEST's event invoke config)
OVER_RESERVED = (
    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
)
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
ERROR_HANDLING = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds")
SIDES = ("OnSuccess", "OnFailure")
# Destination services Lambda accepts per side (S3 takes failed events only).
_SERVICES = {"OnSuccess": ("sqs", "sns", "lambda", "events"), "OnFailure": ("sqs", "sns", "lambda", "events", "s3")}


class LambdaError(ServiceError):
    """Lambda refused a request: ``ResourceNotFoundException`` (404), ``InvalidParameterValueException`` (400), ...

    The client turns it into botocore's ``ClientError`` for the operation called, in Lambda's recorded layout;
    ``typed=False`` for the few errors AWS was recorded sending without a ``Type``.
    """

    def __init__(self, code: str, message: str, status: int = 400, *, typed: bool = True, bare: bool = False) -> None:
        super().__init__(code, message, status)
        self.typed = typed
        self.bare = bare  # no message at all: Error.Message is None and no "message" key, as AWS's 403s

    @classmethod
    def not_found(cls, message: str) -> LambdaError:
        return cls("ResourceNotFoundException", message, 404)

    @classmethod
    def invalid(cls, message: str) -> LambdaError:
        return cls("InvalidParameterValueException", message, 400)

    @classmethod
    def conflict(cls, message: str) -> LambdaError:
        return cls("ResourceConflictException", message, 409)


class VersionRecord:
    """A published version: its configuration as AWS reports it, and the code snapshot the engine runs."""

    __slots__ = ("code", "config", "revision")

    def __init__(self, config: dict[str, Any], code: FunctionVersion, revision: int) -> None:
        self.config = config
        self.code = code
        self.revision = revision  # the $LATEST revision it was published from


class AliasRecord:
    """An alias: the version it points at, and the optional second version with its share of invocations."""

    __slots__ = ("description", "function_version", "name", "revision_id", "weights")

    def __init__(self, name: str, function_version: str, description: str, weights: dict[str, float]) -> None:
        self.name = name
        self.function_version = function_version
        self.description = description
        self.weights = weights  # AdditionalVersionWeights: at most one {version: share in [0, 1]}
        self.revision_id = ""


class FunctionRecord:
    """The control-plane side of a function (see the module docstring)."""

    def __init__(self, config: dict[str, Any], state: FunctionState) -> None:
        self.config = config
        self.state = state
        self.tags: dict[str, str] = {}
        self.versions: dict[str, VersionRecord] = {}
        self.next_version = 1
        self.revision = 0  # bumped by every change of $LATEST's code or configuration
        self.aliases: dict[str, AliasRecord] = {}
        self.event_invoke_configs: dict[str, dict[str, Any]] = {}  # qualifier -> stored config, in put order
        self.package: ZipCode | None = None  # $LATEST's deployment package, when one was given as a zip
        latest = state.latest.version
        explicit = Target(state, latest, LATEST, f"{state.arn}:{LATEST}", f"{state.arn}:{LATEST}")
        self.targets: dict[str, dict[str, Target]] = {
            UNQUALIFIED: {LATEST: state.latest},
            LATEST: {LATEST: explicit},
        }
        self._route: Callable[[], float] | None = None

    @property
    def name(self) -> str:
        return self.state.name

    def code(self, version: str) -> FunctionVersion:
        """The engine snapshot of ``version`` (``$LATEST`` or a published number)."""
        return self.state.latest.version if version == LATEST else self.versions[version].code

    def route(self) -> float:
        """A uniform draw in [0, 1) from the function's seeded ``"routing"`` stream (weighted aliases)."""
        if self._route is None:
            rng = self.state.engine.generator(self.state.name, "routing")
            self._route = stream(rng.random)
        return self._route()

    def has(self, qualifier: str | None) -> bool:
        """Whether ``qualifier`` (``None``: unqualified) names ``$LATEST``, a published version or an alias."""
        return qualifier in (None, LATEST) or qualifier in self.versions or qualifier in self.aliases


class LambdaBackend:
    """Lambda in one simulated account and region: functions by name, their versions, aliases, concurrency and
    event invoke configurations, and the engine state they run on."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self.engine = sim.engine
        self.region = sim.region
        self.account_id = sim.account_id
        self.functions: dict[str, FunctionRecord] = {}
        self.profiles: dict[str, CodeProfile] = {}  # what functions' code does in simulated time, by name

    # -- names and qualifiers ---------------------------------------------------------------------------------

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.region, self.account_id, name, qualifier)

    def ref(self, value: str, qualifier: str | None = None) -> FunctionRef:
        """Parse a name, ``name:qualifier``, partial or full ARN; merge it with a separate ``Qualifier``."""
        ref = parse_function_name(value)
        if ref is None:
            pattern = f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
            raise LambdaError("ValidationException", validation_message([(value, "functionName", pattern)]))
        if qualifier is not None and ref.qualifier is not None and qualifier != ref.qualifier:
            raise LambdaError.invalid(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        if ref.region is not None and ref.region != self.region:
            # Recorded for every function operation (test_get_function_wrong_region).
            raise LambdaError.not_found(
                f"Functions from '{ref.region}' are not reachable in this region ('{self.region}')"
            )
        return FunctionRef(ref.name, qualifier or ref.qualifier, ref.account, ref.region)

    def here(self, ref: FunctionRef) -> bool:
        """Whether an ARN's account and region, if given, are the simulated ones."""
        return ref.account in (None, self.account_id) and ref.region in (None, self.region)

    def lookup(self, ref: FunctionRef) -> FunctionRecord | None:
        return self.functions.get(ref.name) if self.here(ref) else None

    def function(self, value: str, qualifier: str | None = None) -> FunctionRecord:
        """The function named by ``value`` (a qualifier in it is ignored); ``Function not found: <arn>``."""
        ref = self.ref(value)
        rec = self.lookup(ref)
        if rec is None:
            suffix = ref.qualifier if qualifier is None else qualifier
            raise LambdaError.not_found(f"Function not found: {self.arn(ref.name, suffix)}")
        return rec

    def resolve(
        self, value: str, qualifier: str | None = None, *, unqualified_as: str | None = None
    ) -> tuple[FunctionRecord, str | None]:
        """The function and qualifier (``None``: unqualified); ``Function not found: <arn>`` if either is missing,
        the ARN qualified by ``unqualified_as`` when none was given (``Invoke`` names ``$LATEST``)."""
        ref = self.ref(value, qualifier)
        rec = self.lookup(ref)
        if rec is None or not rec.has(ref.qualifier):
            shown = ref.qualifier if ref.qualifier is not None else unqualified_as
            raise LambdaError.not_found(f"Function not found: {self.arn(ref.name, shown)}")
        return rec, ref.qualifier

    def unqualified(self, value: str, *, latest_in_message: bool = False) -> FunctionRecord:
        """A function for a function-level operation (no qualifier allowed, as AWS's concurrency operations)."""
        ref = self.ref(value)
        if ref.qualifier is not None:
            raise LambdaError.invalid(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN."
            )
        rec = self.lookup(ref)
        if rec is None:
            arn = self.arn(ref.name, LATEST if latest_in_message else None)
            raise LambdaError.not_found(f"Function not found: {arn}")
        return rec

    # -- targets: what invocations run on ---------------------------------------------------------------------

    def target(self, rec: FunctionRecord, qualifier: str | None) -> Target:
        """The target of an invoke on ``qualifier``; an alias with weights routes by the function's seeded
        ``"routing"`` stream."""
        if qualifier is None:
            return rec.state.latest
        alias = rec.aliases.get(qualifier)
        version = qualifier
        if alias is not None:
            version = alias.function_version
            for extra, weight in alias.weights.items():
                if rec.route() < weight:
                    version = extra
        found = rec.targets.get(qualifier, {}).get(version)
        return found if found is not None else self._new_target(rec, qualifier, version)

    def _new_target(self, rec: FunctionRecord, qualifier: str, version: str) -> Target:
        arn = self.arn(rec.name, qualifier)
        target = Target(rec.state, rec.code(version), qualifier, arn, arn)
        self._configure(target, rec.event_invoke_configs.get(qualifier or LATEST))
        rec.targets.setdefault(qualifier, {})[version] = target
        return target

    def targeter(self, function: str) -> Callable[[], Target] | None:
        """For ``name:qualifier`` (a version or an alias), a callable giving the target of each invoke, routed
        by the alias's weights as ``Invoke`` would; ``None`` for an unqualified name (the engine's default target).

        Raises ``ValueError`` naming the qualifiers that exist when the function, version or alias does not.
        """
        name, _, qualifier = function.partition(":")
        if not qualifier:
            return None
        rec = self.functions.get(name)
        if rec is None:
            raise ValueError(f"function {name!r} does not exist; create it first (functions: {sorted(self.functions)})")
        known = [LATEST, *rec.versions, *rec.aliases]
        if qualifier not in known:
            raise ValueError(f"function {name!r} has no version or alias {qualifier!r}; it has {known}")
        return partial(self.target, rec, qualifier)

    # -- event invoke configs ---------------------------------------------------------------------------------

    def put_event_invoke_config(self, rec: FunctionRecord, qualifier: str, params: Mapping[str, Any]) -> None:
        """Replace ``qualifier``'s config (``$LATEST``'s also serves unqualified invokes) with ``params``, the
        settings of ``PutFunctionEventInvokeConfig``, and push it to the qualifier's targets: queued events see it
        from now on."""
        self.check_destinations(rec, params.get("DestinationConfig"))
        config: dict[str, Any] = {k: params[k] for k in ERROR_HANDLING if k in params}
        config["DestinationConfig"] = destinations(params.get("DestinationConfig", {}))
        config["LastModified"] = self._sim.moment_now()
        rec.event_invoke_configs[qualifier] = config
        self._apply_event_invoke_config(rec, qualifier)

    def update_event_invoke_config(self, rec: FunctionRecord, qualifier: str, params: Mapping[str, Any]) -> None:
        """Merge ``params`` into the existing config: retries and age replaced when given; ``OnSuccess`` and
        ``OnFailure`` merge separately (a side given as ``{}`` is removed) [model]."""
        config = rec.event_invoke_configs[qualifier]
        self.check_destinations(rec, params.get("DestinationConfig"))
        for setting in ERROR_HANDLING:
            if setting in params:
                config[setting] = params[setting]
        if "DestinationConfig" in params:
            merged = dict(config["DestinationConfig"])
            merged.update(destinations(params["DestinationConfig"], only_given=True))
            config["DestinationConfig"] = merged
        config["LastModified"] = self._sim.moment_now()
        self._apply_event_invoke_config(rec, qualifier)

    def check_destinations(self, rec: FunctionRecord, config: Mapping[str, Any] | None) -> None:
        """AWS's checks beyond the model's pattern: a Lambda destination must exist and not be the function
        itself; other services must be ones Lambda delivers to."""
        if not config:
            return
        unsupported = False
        for side in SIDES:
            arn = config.get(side, {}).get("Destination")
            if not arn:
                continue
            service = service_of(arn)
            if service == "lambda":
                ref = parse_function_name(arn)
                if ref is None or self.lookup(ref) is None:
                    raise LambdaError.invalid(f"The destination ARN {arn} is invalid.")
                if ref.name == rec.name:
                    raise LambdaError.invalid("You can't specify the function as a destination for itself.")
            elif service not in _SERVICES[side]:
                unsupported = True
        if unsupported:
            parts = []
            for side in SIDES:
                arn = config.get(side, {}).get("Destination")
                parts.append(f"{side}(destination={arn})" if arn else "null")
            raise LambdaError.invalid(
                f"The provided destination config DestinationConfig(onSuccess={parts[0]}, onFailure={parts[1]}) "
                "is invalid."
            )

    def delete_event_invoke_config(self, rec: FunctionRecord, qualifier: str) -> None:
        del rec.event_invoke_configs[qualifier]
        self._apply_event_invoke_config(rec, qualifier)

    def _apply_event_invoke_config(self, rec: FunctionRecord, key: str) -> None:
        cfg = rec.event_invoke_configs.get(key)
        keys = (UNQUALIFIED, LATEST) if key == LATEST else (key,)
        for k in keys:
            for target in rec.targets.get(k, {}).values():
                self._configure(target, cfg)

    def _configure(self, target: Target, cfg: Mapping[str, Any] | None) -> None:
        cfg = cfg or {}
        target.max_retry_attempts = cfg.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
        max_age = float(cfg.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_S))
        if max_age != target.max_event_age_s:
            # Parked events were parked for tries that would not end them (lambdasim.core.backlog): no longer known.
            with self.engine.changing_pools(target.function):
                target.max_event_age_s = max_age
        destinations = cfg.get("DestinationConfig", {})
        target.on_success = destinations.get("OnSuccess", {}).get("Destination") or None
        target.on_failure = destinations.get("OnFailure", {}).get("Destination") or None

    # -- functions --------------------------------------------------------------------------------------------

    def create_function(self, spec: Mapping[str, Any], tags: Mapping[str, str] | None = None) -> FunctionRecord:
        """Create a function from ``spec``, the parameters of ``CreateFunction`` (checked against botocore's model
        by whoever took them: the client, the Pythonic model or a template), with its engine state; ``Publish``
        also publishes version 1. ``Handler`` may be a callable, an ``async def``, ``"module.function"`` or a
        :class:`~lambdasim.Behaviour`; ``Duration``/``InitDuration`` take seconds or a distribution."""
        dead_letter_arn = _dead_letter_arn(spec.get("DeadLetterConfig", {}))  # refused before anything changes
        ref = self.ref(spec["FunctionName"])
        if ref.account not in (None, self.account_id):
            # Recorded as a bare 403 with no message at all (test_function_arns, function_arn_other_account_exc).
            raise LambdaError("AccessDeniedException", "", 403, typed=False, bare=True)
        name = ref.name
        if ref.qualifier is not None:
            raise LambdaError.invalid("Unsupported function name: a qualifier is not allowed when creating a function.")
        if len(name) > NAME_MAX:
            # Code and constraint as recorded (test_function_name_and_qualifier_validation[function_name_too_long-
            # create_function]); the "1 validation error detected" preamble is [model], as AWS's other such messages.
            raise LambdaError.invalid(
                validation_message(
                    [(name, "functionName", f"Member must have length less than or equal to {NAME_MAX}")]
                )
            )
        if name in self.functions:  # (checked before the handler, as AWS answers the conflict first)
            raise LambdaError.conflict(f"Function already exist: {name}")
        check_runtime(spec)
        self.check_role(spec)
        given = spec.get("Handler")
        if not is_handler(given):
            raise LambdaError.invalid(
                f"Handler must be a callable (event, context), an async def handler, a "
                f"'module.function' string or a lambdasim.Behaviour, got {given!r}"
            )
        runtime = spec.get("Runtime", "python3.12")
        profile = self.profiles.get(name)
        try:
            package, raw = read_package(spec.get("Code", {}), self._sim.services)
            handler = handler_for(name, runtime, given, package, profile)
        except PackageError as exc:
            raise LambdaError.invalid(str(exc)) from None
        if isinstance(handler, Behaviour) and "Duration" in spec:
            raise LambdaError.invalid(
                "Duration is given twice: once by the Behaviour passed as Handler and once as Duration. Give it in "
                "one place."
            )
        default_duration: Any = 0.0
        default_init: Any = self._sim.settings.default_init_duration_s
        if profile is not None:
            default_duration = profile.duration if profile.duration is not None else default_duration
            default_init = profile.init_duration if profile.init_duration is not None else default_init
        duration = _distribution("Duration", spec.get("Duration", default_duration))
        init = _distribution("InitDuration", spec.get("InitDuration", default_init))
        timeout = spec.get("Timeout", DEFAULT_TIMEOUT_S)
        memory = spec.get("MemorySize", DEFAULT_MEMORY_MB)
        arn = self.arn(name)
        code = raw if raw is not None else name.encode()  # without code: the name stands for it in CodeSha256
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": arn,
            "Runtime": runtime,
            "Role": spec.get("Role", f"arn:aws:iam::{self.account_id}:role/lambdasim"),
            "Handler": describe(given),
            "CodeSize": len(code) if package is not None else 0,
            "Description": spec.get("Description", ""),
            "Timeout": timeout,
            "MemorySize": memory,
            "LastModified": self._sim.last_modified(),
            "CodeSha256": sha256(code),
            "Version": LATEST,
            "TracingConfig": spec.get("TracingConfig", {"Mode": "PassThrough"}),
            "RevisionId": self._sim.new_request_id(),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": spec.get("PackageType", "Zip"),
            "Architectures": list(spec.get("Architectures", ["x86_64"])),
            "EphemeralStorage": spec.get("EphemeralStorage", {"Size": 512}),
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
        }
        echo_settings(config, spec)
        state = FunctionState(
            self.engine,
            name,
            arn,
            handler=handler,
            duration=duration,
            init_duration=init,
            timeout_s=timeout,
            memory_mb=memory,
        )
        state.latest.version.dead_letter_arn = dead_letter_arn
        rec = FunctionRecord(config, state)
        rec.package = package
        rec.tags = dict(tags or {})
        self.functions[name] = rec
        self.engine.add(state)
        if spec.get("Publish"):
            self.publish_version(rec)
        return rec

    def check_role(self, params: Mapping[str, Any]) -> None:
        """AWS checks that Lambda can assume the execution role; here only once IAM is in use, for roles of the
        simulated account (:meth:`lambdasim.aws.iam.backend.IamService.lambda_role_problem`) [model]."""
        if "Role" in params:
            problem = self._sim.services.iam.lambda_role_problem(params["Role"])
            if problem is not None:
                raise LambdaError.invalid(problem)

    def update_function_configuration(self, rec: FunctionRecord, params: Mapping[str, Any]) -> None:
        """Change ``$LATEST``'s settings (``UpdateFunctionConfiguration``'s parameters); attempts that start from
        now on use them. Published versions keep theirs."""
        check_runtime(params)
        self.check_role(params)
        if "DeadLetterConfig" in params:
            _dead_letter_arn(params["DeadLetterConfig"])  # refused before anything changes
        latest = rec.state.latest.version
        handler = params.get("Handler", latest.handler)
        if "Handler" in params and not is_handler(handler):
            raise LambdaError.invalid(
                f"Handler must be a callable (event, context), an async def handler, a "
                f"'module.function' string or a lambdasim.Behaviour, got {handler!r}"
            )
        if "Handler" in params or "Runtime" in params:
            # A new handler name (or runtime) of a function with a package: imported from that package.
            name = params["Handler"] if "Handler" in params else rec.config["Handler"]
            runtime = params.get("Runtime", rec.config["Runtime"])
            if "Handler" in params or isinstance(latest.handler, CodeHandler):
                try:
                    handler = handler_for(rec.name, runtime, name, rec.package, self.profiles.get(rec.name))
                except PackageError as exc:
                    raise LambdaError.invalid(str(exc)) from None
        if isinstance(handler, Behaviour) and "Duration" in params:
            raise LambdaError.invalid("Duration is given twice: by the Behaviour passed as Handler and as Duration.")
        duration = _distribution("Duration", params["Duration"]) if "Duration" in params else latest.duration
        if "InitDuration" in params:
            rec.state.set_init_duration(_distribution("InitDuration", params["InitDuration"]))
        if "Handler" in params or "Duration" in params or handler is not latest.handler:
            rec.state.set_handler(handler, duration)
        if "Handler" in params:
            rec.config["Handler"] = describe(params["Handler"])
        if "Timeout" in params:
            latest.timeout_s = float(params["Timeout"])
        if "MemorySize" in params:
            latest.memory_mb = params["MemorySize"]
        for key in ("Timeout", "MemorySize", "Description", "Role", "Runtime", "TracingConfig", "EphemeralStorage"):
            if key in params:
                rec.config[key] = copy.deepcopy(params[key])
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        echo_settings(rec.config, params)
        if "DeadLetterConfig" in params:
            latest.dead_letter_arn = _dead_letter_arn(params["DeadLetterConfig"])
        self.changed(rec)

    def update_function_code(self, rec: FunctionRecord, params: Mapping[str, Any]) -> str | None:
        """``UpdateFunctionCode``: ``Architectures`` and the code (the simulation runs ``Handler``, so code only
        changes ``CodeSha256``/``CodeSize``); with ``Publish``, publishes a version and returns it (else ``None``).
        A ``DryRun`` changes nothing."""
        if params.get("DryRun"):
            return None
        try:
            package, raw = read_package(params, self._sim.services)
            handler = rec.state.latest.version.handler
            profile = self.profiles.get(rec.name)
            if package is not None and self._from_code(handler, profile):
                # The handler named by the configuration, from the new package (a callable given directly stays).
                handler = handler_for(rec.name, rec.config["Runtime"], rec.config["Handler"], package, profile)
        except PackageError as exc:
            raise LambdaError.invalid(str(exc)) from None
        if "Architectures" in params:
            rec.config["Architectures"] = list(params["Architectures"])
        if raw is not None:
            rec.config["CodeSha256"] = sha256(raw)
            rec.config["CodeSize"] = len(raw) if package is not None else 0
        if package is not None:
            rec.package = package
            if handler is not rec.state.latest.version.handler:
                rec.state.set_handler(handler, rec.state.latest.version.duration)
        self.changed(rec)
        return self.publish_version(rec) if params.get("Publish") else None

    @staticmethod
    def _from_code(handler: object, profile: CodeProfile | None) -> bool:
        """Whether ``$LATEST`` runs what its code and profile make of ``Handler`` (not a callable or Behaviour given
        directly as ``Handler``, which code and profiles leave alone)."""
        return isinstance(handler, (CodeHandler, str)) or (profile is not None and handler is profile.behaviour)

    def set_profile(self, name: str, profile: CodeProfile) -> None:
        """What function ``name``'s code does in simulated time (see :class:`CodeProfile`): for its creation, its
        code updates and, if it exists, its ``$LATEST`` from now on (published versions keep theirs)."""
        previous = self.profiles.get(name)
        self.profiles[name] = profile
        rec = self.functions.get(name)
        if rec is None:
            return
        latest = rec.state.latest.version
        handler = latest.handler
        unchanged = isinstance(handler, CodeHandler) and handler.cpu_time_scale == profile.cpu_time_scale
        if self._from_code(handler, previous) and not (unchanged and profile.behaviour is None):
            # (the same code keeps its imported modules unless how it runs changes)
            try:
                handler = handler_for(name, rec.config["Runtime"], rec.config["Handler"], rec.package, profile)
            except PackageError as exc:
                raise ValueError(str(exc)) from None
        duration = profile.duration if profile.duration is not None else latest.duration
        rec.state.set_handler(handler, duration)
        if profile.init_duration is not None:
            rec.state.set_init_duration(profile.init_duration)

    def changed(self, rec: FunctionRecord) -> None:
        """``$LATEST`` changed: a new revision (so the next ``publish_version`` publishes a new version)."""
        rec.revision += 1
        rec.config["LastModified"] = self._sim.last_modified()
        rec.config["RevisionId"] = self._sim.new_request_id()

    def delete_function(self, rec: FunctionRecord) -> None:
        """Delete the function: its queued events are dropped when a poller next reaches them."""
        del self.functions[rec.name]
        self.engine.remove(rec.name)
        self._sim.retire(rec.state, rec.config)  # its figures stay in later results: its events had outcomes

    def publish_version(self, rec: FunctionRecord, description: str | None = None) -> str:
        """Snapshot ``$LATEST`` as the next version and return its number; return the last one instead if
        ``$LATEST`` has not changed since it was published. The code snapshot shares ``$LATEST``'s samplers."""
        if rec.versions:
            last = next(reversed(rec.versions))
            if rec.versions[last].revision == rec.revision:
                return last
        version = str(rec.next_version)
        rec.next_version += 1
        config = copy.deepcopy(rec.config)
        config.update(
            FunctionArn=self.arn(rec.name, version),
            Version=version,
            RevisionId=self._sim.new_request_id(),
            LastUpdateStatus="Successful",
            State="Active",
        )
        if description:
            config["Description"] = description
        snapshot = rec.state.latest.version.publish(version)
        if isinstance(snapshot.handler, CodeHandler):
            snapshot.handler = snapshot.handler.fresh()  # its own modules: $LATEST's state is not the version's
        rec.versions[version] = VersionRecord(config, snapshot, rec.revision)
        # Publishing gives $LATEST a new RevisionId too (recorded: test_function_revisions_version_and_alias).
        rec.config["RevisionId"] = self._sim.new_request_id()
        return version

    # -- aliases ----------------------------------------------------------------------------------------------

    def create_alias(
        self,
        rec: FunctionRecord,
        name: str,
        version: str,
        description: str = "",
        routing: Mapping[str, Any] | None = None,
    ) -> AliasRecord:
        """Create alias ``name`` of ``version`` (``$LATEST`` or a number), optionally weighted to a second version
        (``RoutingConfig``)."""
        self.check_version(rec, version)
        if name in rec.aliases:
            raise LambdaError.conflict(f"Alias already exists: {self.arn(rec.name, name)}")
        alias = AliasRecord(name, version, description, self.weights(rec, version, routing))
        alias.revision_id = self._sim.new_request_id()
        rec.aliases[name] = alias
        return alias

    def update_alias(
        self,
        alias: AliasRecord,
        rec: FunctionRecord,
        version: str | None = None,
        description: str | None = None,
        routing: Mapping[str, Any] | None = None,
        *,
        routing_given: bool = False,
    ) -> None:
        """Point the alias elsewhere or change its routing: invocations from now on follow it."""
        target_version = alias.function_version if version is None else version
        if version is not None:
            self.check_version(rec, version)
        if routing_given:
            weights = self.weights(rec, target_version, routing)
        else:
            weights = alias.weights
            if weights:
                self._check_weights(rec, target_version, weights)
        alias.function_version = target_version
        alias.weights = weights
        if description is not None:
            alias.description = description
        alias.revision_id = self._sim.new_request_id()

    def check_version(self, rec: FunctionRecord, version: str) -> None:
        if version != LATEST and version not in rec.versions:
            raise LambdaError.not_found(f"Function not found: {self.arn(rec.name, version)}")

    def weights(self, rec: FunctionRecord, version: str, routing: Mapping[str, Any] | None) -> dict[str, float]:
        """``AdditionalVersionWeights`` of a ``RoutingConfig``, checked by AWS's routing rules."""
        weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
        if weights:
            self._check_weights(rec, version, weights)
        return {k: float(v) for k, v in weights.items()}

    def _check_weights(self, rec: FunctionRecord, version: str, weights: Mapping[str, float]) -> None:
        """AWS's routing rules, in the order its errors were recorded (ranges and key patterns were checked as
        model constraints before)."""
        if len(weights) > 1:
            raise LambdaError.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
        (extra,) = weights
        if extra == version:
            raise LambdaError.invalid(
                f"Invalid function version {version}. Function version {version} is already included in routing "
                "configuration."
            )
        if version == LATEST:
            raise LambdaError(
                "InvalidParameterValueException",
                "$LATEST is not supported for an alias pointing to more than 1 version",
                typed=False,  # recorded without a Type
            )
        self.check_version(rec, extra)

    def delete_version(self, rec: FunctionRecord, version: str) -> None:
        """Delete a published version (not if an alias points at it); events already queued still run its
        snapshot. Its provisioned concurrency config goes with it, as an alias's does."""
        users = sorted(n for n, a in rec.aliases.items() if a.function_version == version or version in a.weights)
        if users:
            raise LambdaError.conflict(
                f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]"
            )
        del rec.versions[version]
        rec.event_invoke_configs.pop(version, None)
        rec.targets.pop(version, None)
        if version in rec.state.provisioned:
            unconfigure(self.engine, rec.state, version)

    def delete_alias(self, rec: FunctionRecord, name: str) -> None:
        """Delete alias ``name`` (if it exists), its event invoke config and its provisioned concurrency."""
        if rec.aliases.pop(name, None) is not None:
            rec.event_invoke_configs.pop(name, None)
            rec.targets.pop(name, None)
            if name in rec.state.provisioned:
                unconfigure(self.engine, rec.state, name)

    # -- concurrency ------------------------------------------------------------------------------------------

    def unreserved_concurrency(self) -> int:
        """``UnreservedConcurrentExecutions``: the account's concurrency not carved out by reserved concurrency
        (or by provisioned concurrency of functions without reserved concurrency)."""
        return self.engine.concurrency_limit - self.engine.reserved_total()

    def put_function_concurrency(self, rec: FunctionRecord, n: int) -> None:
        """Reserve ``n`` for the function (0 blocks it); at least 100 must stay unreserved in the account."""
        engine = self.engine
        if engine.concurrency_limit - engine.reserved_total(excluding=rec.state) - n < MIN_UNRESERVED_CONCURRENCY:
            raise LambdaError(
                "InvalidParameterValueException",
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED_CONCURRENCY}].",
                typed=False,  # recorded without a Type (test_function_concurrency_limits)
            )
        provisioned = rec.state.provisioned_total
        if n < provisioned:
            # Recorded verbatim, leading and double spaces included (test_reserved_provisioned_overlap).
            raise LambdaError(
                "InvalidParameterValueException",
                f" ReservedConcurrentExecutions  {n} should not be lower than function's total provisioned "
                f"concurrency [{provisioned}].",
                typed=False,
            )
        engine.set_reserved(rec.state, n)

    def delete_function_concurrency(self, rec: FunctionRecord) -> None:
        self.engine.set_reserved(rec.state, None)

    def put_provisioned_concurrency(self, rec: FunctionRecord, qualifier: str, n: int) -> ProvisionedConcurrency:
        """Ask for ``n`` pre-initialised environments on ``qualifier``; ready ``provisioned_allocation_s`` later.

        Refused when the function's reserved concurrency cannot hold it, or when the account's unreserved
        concurrency would fall below its minimum.
        """
        fs = rec.state
        current = fs.provisioned.get(qualifier)
        others = fs.provisioned_total - (current.requested if current is not None else 0)
        if fs.reserved is not None and fs.reserved < others + n:
            raise LambdaError.invalid(OVER_RESERVED)
        engine = self.engine
        unreserved = engine.concurrency_limit - engine.reserved_total(excluding=fs) - others
        if fs.reserved is None and n > unreserved:
            raise LambdaError(
                "InvalidParameterValueException",
                f"Specified ConcurrentExecutions for function is greater than account's unreserved concurrency "
                f"[{unreserved}].",
                typed=False,  # recorded without a Type (test_provisioned_concurrency_limits), as the next
            )
        if fs.reserved is None and unreserved - n < MIN_UNRESERVED_CONCURRENCY:
            raise LambdaError(
                "InvalidParameterValueException",
                "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below "
                f"its minimum value of [{MIN_UNRESERVED_CONCURRENCY}].",
                typed=False,
            )
        return configure(engine, fs, qualifier, n, self._sim.last_modified())

    def delete_provisioned_concurrency(self, rec: FunctionRecord, qualifier: str) -> None:
        if qualifier in rec.state.provisioned:
            unconfigure(self.engine, rec.state, qualifier)

    # -- invocations ------------------------------------------------------------------------------------------

    def invoke_async(self, rec: FunctionRecord, target: Target, event: Any) -> str:
        """Accept an ``Event`` invoke of ``event`` on ``target``: queue it, return its request id."""
        return self.engine.accept(rec.state, event, target)

    def invoke_sync(
        self,
        rec: FunctionRecord,
        target: Target,
        event: Any,
        log: AttemptLog | None = None,
        client_context: ClientContext | None = None,
    ) -> tuple[str, simpy.Event | ThrottleReason | ServiceFault]:
        """Start a ``RequestResponse`` invoke: its request id, and the SimPy event that succeeds with
        ``(error, response)`` when it ends, or why Lambda refused it at once (a throttle or a service error).
        ``log`` (``LogType=Tail``) receives the handler's output."""
        engine = self.engine
        seq = engine.next_seq()
        return engine.request_id(seq), engine.invoke_sync(rec.state, event, seq, target, log, client_context)

    def configuration(self, rec: FunctionRecord, qualifier: str | None = None) -> dict[str, Any]:
        """``FunctionConfiguration`` of ``$LATEST`` (unqualified ARN), ``$LATEST`` explicitly, a version, or the
        version an alias points at (with the alias's ARN)."""
        if qualifier is None:
            return copy.deepcopy(rec.config)
        alias = rec.aliases.get(qualifier)
        version = alias.function_version if alias is not None else qualifier
        config = rec.config if version == LATEST else rec.versions[version].config
        return {**copy.deepcopy(config), "FunctionArn": self.arn(rec.name, qualifier)}


def destinations(config: Mapping[str, Any], *, only_given: bool = False) -> dict[str, dict[str, str]]:
    """``{"OnSuccess": {"Destination": arn} or {}, "OnFailure": ...}``; an empty ARN means no destination."""
    out: dict[str, dict[str, str]] = {}
    for side in SIDES:
        if only_given and side not in config:
            continue
        arn = config.get(side, {}).get("Destination")
        out[side] = {"Destination": arn} if arn else {}
    return out


def _dead_letter_arn(config: Mapping[str, Any]) -> str | None:
    """A dead-letter queue is an SQS queue or an SNS topic [doc]; an empty ``TargetArn`` removes it."""
    arn = config.get("TargetArn") or None
    if arn is not None and service_of(arn) not in ("sqs", "sns"):
        # [model] AWS's wording for an ARN of another service is not recorded; its prefix is as AWS's
        # "Invalid dead letter queue ARN: ARNs must start with 'arn:'".
        raise LambdaError.invalid(
            f"Invalid dead letter queue ARN: {arn} is not the ARN of an Amazon SQS queue or Amazon SNS topic"
        )
    return arn


def check_runtime(params: Mapping[str, Any]) -> None:
    """Lambda's own check of ``Runtime`` (see :mod:`lambdasim.aws.lambda_.runtimes`)."""
    problem = runtime_problem(params["Runtime"]) if "Runtime" in params else None
    if problem is not None:
        raise LambdaError.invalid(problem)


def _distribution(name: str, value: Any) -> Distribution:
    try:
        return as_distribution(name, value)
    except (TypeError, ValueError) as exc:
        raise LambdaError.invalid(str(exc)) from None


def echo_settings(config: dict[str, Any], params: Mapping[str, Any]) -> None:
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


def sha256(code: Any) -> str:
    """``CodeSha256``: base64 of the SHA-256 of the deployment package (here: whatever stands for the code)."""
    raw = code if isinstance(code, (bytes, bytearray)) else str(code).encode()
    return base64.b64encode(hashlib.sha256(raw).digest()).decode()
