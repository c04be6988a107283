"""What every part of the boto3-shaped Lambda client shares: request checks, AWS's error layouts, and thin
delegations to the Lambda backend (:mod:`lambdasim.aws.lambda_.backend`) that turn its refusals into the
``ClientError`` of the operation called.

The state (functions, versions, aliases, event invoke configs, targets) lives in the backend, shared by every door;
nothing here stores any.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lambdasim.aws._client import BaseClient
from lambdasim.aws._shapes import Problem, constraint_violations, validate_input, validation_message
from lambdasim.aws.arn import FunctionRef
from lambdasim.aws.errors import ClientError
from lambdasim.aws.lambda_._model import ERROR_CODES, SHAPES, input_shape
from lambdasim.aws.lambda_.backend import AliasRecord, FunctionRecord, LambdaBackend, LambdaError, VersionRecord
from lambdasim.aws.not_simulated import NotSimulated, refusal_message

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.target import Target

__all__ = ["AliasRecord", "FunctionRecord", "LambdaBase", "VersionRecord"]

PRECONDITION_FAILED = (
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve "
    "the latest Revision Id"
)


class LambdaBase(BaseClient):
    """Helpers of the Lambda client; the operations live in :class:`~lambdasim.aws.lambda_.client.LambdaClient` and
    its mixins."""

    service_name = "lambda"
    error_codes = (*ERROR_CODES, "RequestEntityTooLargeException", "ValidationException")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._backend: LambdaBackend = sim.services.lambda_
        self._functions: dict[str, FunctionRecord] = self._backend.functions
        self._not_simulated = NotSimulated("lambda")
        self._watched = self._not_simulated.watched

    # -- requests and errors ----------------------------------------------------------------------------------

    def _begin(self, op: str, params: Mapping[str, Any]) -> None:
        """Check a request as botocore (``ParamValidationError``) and then AWS's model (``ValidationException``)."""
        shape = input_shape(op)
        validate_input(params, SHAPES, shape)
        problems = constraint_violations(params, SHAPES, shape)
        if problems:
            raise self._validation(op, problems)
        watched = self._watched.get(op)
        if watched is not None and not watched.isdisjoint(params):
            refused = self._not_simulated.check(op, params)
            if refused:
                raise self._invalid(op, refusal_message(op, refused))

    def _error(self, code: str, message: str, operation: str, status: int = 400, **extra: Any) -> ClientError:
        """botocore's ``ClientError`` with the headers Lambda's REST-JSON errors carry (recorded in LocalStack's
        test_function_revisions_permissions: content-type, x-amzn-errortype, x-amzn-requestid)."""
        error = super()._error(code, message, operation, status, **extra)
        metadata = error.response["ResponseMetadata"]
        metadata["HTTPHeaders"] = {
            "content-type": "application/json",
            "x-amzn-errortype": code,
            "x-amzn-requestid": metadata["RequestId"],
        }
        return error

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

    # -- names, qualifiers, functions: the backend's, with its refusals laid out for ``op`` --------------------

    def _backend_error(self, op: str, error: LambdaError) -> ClientError:
        out = self._fail(error.code, error.message, op, error.status)
        if not error.typed:
            out.response.pop("Type", None)
        if error.bare:
            out.response.pop("message", None)
            out.response["Error"]["Message"] = None
        return out

    def _arn(self, name: str, qualifier: str | None = None) -> str:
        return self._backend.arn(name, qualifier)

    def _ref(self, op: str, value: str, qualifier: str | None = None) -> FunctionRef:
        """Parse a name, ``name:qualifier``, partial or full ARN; merge it with ``Qualifier``."""
        try:
            return self._backend.ref(value, qualifier)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None

    def _lookup(self, ref: FunctionRef) -> FunctionRecord | None:
        return self._backend.lookup(ref)

    @staticmethod
    def _exists(rec: FunctionRecord, qualifier: str | None) -> bool:
        return rec.has(qualifier)

    def _function(self, op: str, value: str, qualifier: str | None = None) -> FunctionRecord:
        """The function named by ``value`` (any qualifier in it is ignored); ``Function not found: <arn>``."""
        try:
            return self._backend.function(value, qualifier)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None

    def _resolve(
        self, op: str, value: str, qualifier: str | None = None, *, unqualified_as: str | None = None
    ) -> tuple[FunctionRecord, str | None]:
        """The function and qualifier (``None``: unqualified); ``Function not found: <arn>`` if either is missing."""
        try:
            return self._backend.resolve(value, qualifier, unqualified_as=unqualified_as)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None

    def _unqualified(self, op: str, value: str, *, latest_in_message: bool = False) -> FunctionRecord:
        """A function for a function-level operation (no qualifier allowed, as AWS's concurrency operations)."""
        try:
            return self._backend.unqualified(value, latest_in_message=latest_in_message)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None

    @staticmethod
    def _eic_key(qualifier: str | None) -> str:
        """The qualifier whose event invoke config applies: an unqualified invoke uses ``$LATEST``'s."""
        return qualifier if qualifier else "$LATEST"

    def _target(self, rec: FunctionRecord, qualifier: str | None) -> Target:
        return self._backend.target(rec, qualifier)

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
