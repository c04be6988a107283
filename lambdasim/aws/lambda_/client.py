"""``sim.client("lambda")``: the Lambda API on the simulated clock, in boto3's shapes and AWS's error words.

Every request is checked as botocore checks it (``ParamValidationError``) and then against the service model's
constraints (``ValidationException``); see :mod:`lambdasim.aws.lambda_._model` for the few documented
extensions (a callable ``Handler``, ``Duration``, ``InitDuration``). The operations are grouped by topic:

- here: functions (create, get, list, update, delete), reserved concurrency, account settings, paginators;
- :mod:`~lambdasim.aws.lambda_.invoke`: ``invoke``;
- :mod:`~lambdasim.aws.lambda_.eic`: event invoke configs;
- :mod:`~lambdasim.aws.lambda_.versions`: versions and aliases;
- :mod:`~lambdasim.aws.lambda_.provisioned`: provisioned concurrency;
- :mod:`~lambdasim.aws.lambda_.tags`: tags (``tag_resource``, ``untag_resource``, ``list_tags``);
- :mod:`~lambdasim.aws.lambda_.waiters`: waiters (``get_waiter``, ``waiter_names``), on the simulated clock;
- :mod:`~lambdasim.aws.lambda_.esm_client`: SQS event source mappings;
- :mod:`~lambdasim.aws.lambda_.permissions`: the function's resource-based policy.

Names, partial and full ARNs and ``name:qualifier`` are accepted wherever AWS accepts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdasim.aws.arn import LATEST
from lambdasim.aws.lambda_._base import FunctionRecord
from lambdasim.aws.lambda_._model import PAGINATORS
from lambdasim.aws.lambda_.backend import LambdaError
from lambdasim.aws.lambda_.eic import EventInvokeConfigMixin
from lambdasim.aws.lambda_.esm_client import EventSourceMappingMixin
from lambdasim.aws.lambda_.invoke import InvokeMixin
from lambdasim.aws.lambda_.permissions import PermissionsMixin
from lambdasim.aws.lambda_.provisioned import ProvisionedConcurrencyMixin
from lambdasim.aws.lambda_.tags import TagsMixin
from lambdasim.aws.lambda_.versions import VersionsMixin, listed
from lambdasim.aws.lambda_.waiters import WaitersMixin
from lambdasim.aws.paginators import OperationNotPageableError, Paginator, xform_name

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation

__all__ = ["FunctionRecord", "LambdaClient"]

_PAGEABLE = {xform_name(op): op for op in PAGINATORS}


class LambdaClient(
    EventInvokeConfigMixin,
    VersionsMixin,
    InvokeMixin,
    ProvisionedConcurrencyMixin,
    TagsMixin,
    WaitersMixin,
    EventSourceMappingMixin,
    PermissionsMixin,
):
    """The simulated Lambda service. Every method takes and returns what boto3's Lambda client does."""

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        sim.engine.model_invoker = self._invoke_from_handler

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

    def _configuration(self, rec: FunctionRecord, qualifier: str | None = None) -> dict[str, Any]:
        return self._backend.configuration(rec, qualifier)

    # -- functions --------------------------------------------------------------------------------------------

    def create_function(self, **params: Any) -> dict[str, Any]:
        """Create a function. ``Handler`` may be a callable; ``Duration``/``InitDuration`` take seconds or a
        :mod:`lambdasim.core.dist` distribution. ``Role`` and ``Code`` are optional here. ``Publish=True`` also
        publishes version 1."""
        op = "CreateFunction"
        self._begin(op, params)
        tags = self._new_tags(op, params.get("Tags", {}))
        try:
            rec = self._backend.create_function(params, tags)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        out = self._configuration(rec)
        if params.get("Publish"):
            out = {**self._configuration(rec, next(reversed(rec.versions))), "FunctionArn": rec.config["FunctionArn"]}
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
        try:
            if ref.qualifier is None:
                self._backend.delete_function(rec)
            elif ref.qualifier in rec.versions:
                self._backend.delete_version(rec, ref.qualifier)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {"StatusCode": 204, "ResponseMetadata": self._metadata(204)}

    def update_function_configuration(self, **params: Any) -> dict[str, Any]:
        """Change ``$LATEST``'s settings; attempts that start from now on use them. Published versions keep
        theirs."""
        op = "UpdateFunctionConfiguration"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        if params.get("RevisionId") and params["RevisionId"] != rec.config["RevisionId"]:
            raise self._precondition_failed(op)
        try:
            self._backend.update_function_configuration(rec, params)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {**self._configuration(rec), "ResponseMetadata": self._metadata()}

    def update_function_code(self, **params: Any) -> dict[str, Any]:
        """New code for ``$LATEST`` (``ZipFile`` or ``S3Bucket``/``S3Key``: a Python function runs its handler from
        it from now on, :mod:`lambdasim.core.code`) and ``Architectures``; ``Publish=True`` publishes a version."""
        op = "UpdateFunctionCode"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        if params.get("RevisionId") and params["RevisionId"] != rec.config["RevisionId"]:
            raise self._precondition_failed(op)
        if params.get("DryRun"):
            return {**self._configuration(rec), "ResponseMetadata": self._metadata()}
        try:
            version = self._backend.update_function_code(rec, params)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {**self._configuration(rec, version), "ResponseMetadata": self._metadata()}

    # -- concurrency and account ------------------------------------------------------------------------------

    def put_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """Reserve concurrency for the function, shared by all its versions (0 blocks it); at least 100 must stay
        unreserved in the account."""
        op = "PutFunctionConcurrency"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"], latest_in_message=True)
        n = params["ReservedConcurrentExecutions"]
        try:
            self._backend.put_function_concurrency(rec, n)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {"ReservedConcurrentExecutions": n, "ResponseMetadata": self._metadata()}

    def get_function_concurrency(self, **params: Any) -> dict[str, Any]:
        """``{"ReservedConcurrentExecutions": n}``, or no key when none is reserved."""
        op = "GetFunctionConcurrency"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"])  # recorded without ":$LATEST", unlike Put
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
        self._backend.delete_function_concurrency(rec)
        return {"ResponseMetadata": self._metadata(204)}

    def get_account_settings(self, **params: Any) -> dict[str, Any]:
        """The simulated account's limits (its concurrency and what is left unreserved) and usage."""
        self._begin("GetAccountSettings", params)
        code_size = sum(rec.config.get("CodeSize", 0) for rec in self._functions.values())
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": self._sim.engine.concurrency_limit,
                "UnreservedConcurrentExecutions": self._backend.unreserved_concurrency(),
            },
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(self._functions)},
            "ResponseMetadata": self._metadata(),
        }
