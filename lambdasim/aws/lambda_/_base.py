"""What every part of the simulated Lambda API shares: function records, request checks, name and qualifier
resolution, the targets events run on, and AWS's error layouts.

A function's control-plane state is a :class:`FunctionRecord`: ``$LATEST``'s configuration as AWS reports it, the
published versions (configuration snapshot plus the engine's :class:`~lambdasim.core.target.FunctionVersion`), aliases,
one event invoke configuration per qualifier, and the engine :class:`~lambdasim.core.target.Target` of every
(qualifier, version) invoked so far. Changing a qualifier's configuration updates its targets in place, so events
already queued decide with the new settings from then on.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lambdasim.aws._client import BaseClient
from lambdasim.aws._shapes import Problem, constraint_violations, validate_input, validation_message
from lambdasim.aws.arn import FUNCTION_NAME_PATTERN, LATEST, FunctionRef, function_arn, parse_function_name
from lambdasim.aws.errors import ClientError
from lambdasim.aws.lambda_._model import ERROR_CODES, SHAPES, input_shape
from lambdasim.core.dist import stream
from lambdasim.core.rules import DEFAULT_MAXIMUM_EVENT_AGE_S, DEFAULT_MAXIMUM_RETRY_ATTEMPTS
from lambdasim.core.target import FunctionVersion, Target

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.engine import FunctionState

UNQUALIFIED = ""  # the targets key of an unqualified invoke (it shares $LATEST's event invoke config)
PRECONDITION_FAILED = (
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve "
    "the latest Revision Id"
)


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


class LambdaBase(BaseClient):
    """Helpers of the Lambda client; the operations live in :class:`~lambdasim.aws.lambda_.client.LambdaClient` and
    its mixins."""

    service_name = "lambda"
    error_codes = (*ERROR_CODES, "RequestEntityTooLargeException", "ValidationException")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._functions: dict[str, FunctionRecord] = sim._functions

    # -- requests and errors ----------------------------------------------------------------------------------

    def _begin(self, op: str, params: Mapping[str, Any]) -> None:
        """Check a request as botocore (``ParamValidationError``) and then AWS's model (``ValidationException``)."""
        shape = input_shape(op)
        validate_input(params, SHAPES, shape)
        problems = constraint_violations(params, SHAPES, shape)
        if problems:
            raise self._validation(op, problems)

    def _validation(self, op: str, problems: list[Problem]) -> ClientError:
        return self._fail("ValidationException", validation_message(problems), op)

    def _fail(self, code: str, message: str, op: str, status: int = 400, **extra: Any) -> ClientError:
        """A ``ClientError`` laid out as Lambda's recorded responses: ``ValidationException`` carries only
        ``Error``; ``ResourceNotFoundException`` adds ``Message`` and ``Type``; the others ``message`` and
        ``Type``."""
        if code == "ValidationException":
            error = self._error(code, message, op, status, **extra)
            error.response.pop("message", None)
            return error
        error = self._error(code, message, op, status, Type="User", **extra)
        if code == "ResourceNotFoundException":
            error.response.pop("message", None)
            error.response["Message"] = message
        return error

    def _not_found(self, op: str, message: str) -> ClientError:
        return self._fail("ResourceNotFoundException", message, op, 404)

    def _invalid(self, op: str, message: str) -> ClientError:
        return self._fail("InvalidParameterValueException", message, op)

    def _precondition_failed(self, op: str) -> ClientError:
        return self._fail("PreconditionFailedException", PRECONDITION_FAILED, op, 412)

    def _function(self, op: str, value: str, qualifier: str | None = None) -> FunctionRecord:
        """The function named by ``value`` (any qualifier in it is ignored); ``Function not found: <arn>``."""
        ref = self._ref(op, value)
        rec = self._lookup(ref)
        if rec is None:
            suffix = ref.qualifier if qualifier is None else qualifier
            raise self._not_found(op, f"Function not found: {self._arn(ref.name, suffix)}")
        return rec

    # -- names, qualifiers, functions -------------------------------------------------------------------------

    def _arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._sim.region, self._sim.account_id, name, qualifier)

    def _ref(self, op: str, value: str, qualifier: str | None = None) -> FunctionRef:
        """Parse a name, ``name:qualifier``, partial or full ARN; merge it with ``Qualifier``."""
        ref = parse_function_name(value)
        if ref is None:
            pattern = f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
            raise self._validation(op, [(value, "functionName", pattern)])
        if qualifier is not None and ref.qualifier is not None and qualifier != ref.qualifier:
            raise self._invalid(
                op, "The derived qualifier from the function name does not match the specified qualifier."
            )
        return FunctionRef(ref.name, qualifier or ref.qualifier, ref.account, ref.region)

    def _here(self, ref: FunctionRef) -> bool:
        """Whether an ARN's account and region, if given, are the simulated ones."""
        return ref.account in (None, self._sim.account_id) and ref.region in (None, self._sim.region)

    def _lookup(self, ref: FunctionRef) -> FunctionRecord | None:
        return self._functions.get(ref.name) if self._here(ref) else None

    def _exists(self, rec: FunctionRecord, qualifier: str | None) -> bool:
        return qualifier in (None, LATEST) or qualifier in rec.versions or qualifier in rec.aliases

    def _resolve(self, op: str, value: str, qualifier: str | None = None) -> tuple[FunctionRecord, str | None]:
        """The function and qualifier (``None``: unqualified); ``Function not found: <arn>`` if either is missing."""
        ref = self._ref(op, value, qualifier)
        rec = self._lookup(ref)
        if rec is None or not self._exists(rec, ref.qualifier):
            raise self._not_found(op, f"Function not found: {self._arn(ref.name, ref.qualifier)}")
        return rec, ref.qualifier

    def _unqualified(self, op: str, value: str, *, latest_in_message: bool = False) -> FunctionRecord:
        """A function for a function-level operation (no qualifier allowed, as AWS's concurrency operations)."""
        ref = self._ref(op, value)
        if ref.qualifier is not None:
            raise self._invalid(
                op,
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN.",
            )
        rec = self._lookup(ref)
        if rec is None:
            arn = self._arn(ref.name, LATEST if latest_in_message else None)
            raise self._not_found(op, f"Function not found: {arn}")
        return rec

    # -- targets: what invocations run on ---------------------------------------------------------------------

    @staticmethod
    def _eic_key(qualifier: str | None) -> str:
        """The qualifier whose event invoke config applies: an unqualified invoke uses ``$LATEST``'s."""
        return qualifier if qualifier else LATEST

    def _target(self, rec: FunctionRecord, qualifier: str | None) -> Target:
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
        arn = self._arn(rec.name, qualifier)
        target = Target(rec.state, rec.code(version), qualifier, arn, arn)
        self._configure(target, rec.event_invoke_configs.get(self._eic_key(qualifier)))
        rec.targets.setdefault(qualifier, {})[version] = target
        return target

    def _apply_event_invoke_config(self, rec: FunctionRecord, key: str) -> None:
        """Push the stored config of qualifier ``key`` to its targets: queued events see it from now on."""
        cfg = rec.event_invoke_configs.get(key)
        keys = (UNQUALIFIED, LATEST) if key == LATEST else (key,)
        for k in keys:
            for target in rec.targets.get(k, {}).values():
                self._configure(target, cfg)

    @staticmethod
    def _configure(target: Target, cfg: Mapping[str, Any] | None) -> None:
        cfg = cfg or {}
        target.max_retry_attempts = cfg.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
        max_age = float(cfg.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_S))
        if max_age != target.max_event_age_s:
            # Parked events were parked for tries that would not end them (lambdasim.core.backlog): no longer known.
            target.function.engine.unpark(target.function)
            target.max_event_age_s = max_age
        destinations = cfg.get("DestinationConfig", {})
        target.on_success = destinations.get("OnSuccess", {}).get("Destination") or None
        target.on_failure = destinations.get("OnFailure", {}).get("Destination") or None

    # -- lists ------------------------------------------------------------------------------------------------

    def _page(self, op: str, items: list[Any], params: Mapping[str, Any], default: int = 50) -> dict[str, Any]:
        """One page of ``items``: ``MaxItems`` of them from ``Marker``, and ``NextMarker`` if more remain.

        Markers are opaque to callers (as on AWS); here they encode the position in the list.
        """
        limit = params.get("MaxItems", default)
        start = 0
        if "Marker" in params:
            try:
                start = int(base64.b64decode(params["Marker"], validate=True).decode())
            except (ValueError, UnicodeDecodeError):
                raise self._invalid(op, f"Invalid marker: {params['Marker']}") from None
        out: dict[str, Any] = {"page": items[start : start + limit]}
        if start + limit < len(items):
            out["NextMarker"] = base64.b64encode(str(start + limit).encode()).decode()
        return out
