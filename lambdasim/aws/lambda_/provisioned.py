"""Provisioned concurrency: ``Put``/``Get``/``Delete``/``ListProvisionedConcurrencyConfig(s)``.

The runtime side (pre-initialised environments, allocation on the simulated clock, spill-over, metrics) is
:mod:`lambdasim.core.provisioned`. The errors and messages follow AWS's as LocalStack records them
(``localstack/services/lambda_/provider.py``): ``$LATEST`` is refused, a config must fit in the function's reserved
concurrency or leave 100 unreserved in the account, and an alias and the version it points at cannot both have one.
"""

from __future__ import annotations

from typing import Any

from lambdasim.aws.arn import LATEST
from lambdasim.aws.errors import ClientError
from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.aws.lambda_.backend import LambdaError

NOT_PUBLISHED = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
NOT_A_VERSION = "The function resource provided must be an alias or a published version."
NOT_FOUND = "No Provisioned Concurrency Config found for this function"

__all__ = ["ProvisionedConcurrencyMixin"]


class ProvisionedConcurrencyMixin(LambdaBase):
    """``put_``/``get_``/``delete_provisioned_concurrency_config`` and ``list_provisioned_concurrency_configs``."""

    def _provisioned_record(self, op: str, params: dict[str, Any], latest_message: str) -> tuple[FunctionRecord, str]:
        """The function and the version or alias qualifier of a provisioned-concurrency request."""
        ref = self._ref(op, params["FunctionName"], params.get("Qualifier"))
        qualifier = ref.qualifier
        if qualifier == LATEST:
            raise self._invalid(op, latest_message)
        rec = self._lookup(ref)
        assert qualifier is not None  # the model requires Qualifier
        if rec is not None and qualifier in rec.aliases:
            return rec, qualifier
        if rec is None or qualifier not in rec.versions:
            if (
                not qualifier.isdigit()
            ):  # an alias, even of a missing function (test_provisioned_concurrency_exceptions)
                raise self._not_found(op, f"Cannot find alias arn: {self._arn(ref.name, qualifier)}")
            raise self._not_found(op, f"Function not found: {self._arn(ref.name, qualifier)}")
        return rec, qualifier

    def _provisioned_conflict(self, op: str, rec: FunctionRecord, qualifier: str) -> ClientError | None:
        """An alias and the version it points at cannot both have provisioned concurrency."""
        configs = rec.state.provisioned
        alias = rec.aliases.get(qualifier)
        if alias is not None:
            if alias.function_version in configs:
                return self._fail(
                    "ResourceConflictException",
                    "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
                    op,
                    409,
                )
            return None
        for other in rec.aliases.values():
            if other.function_version == qualifier and other.name in configs:
                return self._fail(
                    "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias", op, 409
                )
        return None

    def put_provisioned_concurrency_config(self, **params: Any) -> dict[str, Any]:
        """Ask for ``ProvisionedConcurrentExecutions`` pre-initialised environments on a version or alias.

        Answers ``IN_PROGRESS`` with nothing allocated; the environments are ready ``Settings.provisioned_allocation_s``
        later (status ``READY``).
        """
        op = "PutProvisionedConcurrencyConfig"
        self._begin(op, params)
        rec, qualifier = self._provisioned_record(op, params, NOT_PUBLISHED)
        conflict = self._provisioned_conflict(op, rec, qualifier)
        if conflict is not None:
            raise conflict
        try:
            pool = self._backend.put_provisioned_concurrency(
                rec,
                qualifier,
                params["ProvisionedConcurrentExecutions"],
            )
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {**pool.describe(), "ResponseMetadata": self._metadata(202)}

    def get_provisioned_concurrency_config(self, **params: Any) -> dict[str, Any]:
        """The config of a version or alias, with how much is allocated and available now."""
        op = "GetProvisionedConcurrencyConfig"
        self._begin(op, params)
        rec, qualifier = self._provisioned_record(op, params, NOT_A_VERSION)
        pool = rec.state.provisioned.get(qualifier)
        if pool is None:
            raise self._fail("ProvisionedConcurrencyConfigNotFoundException", NOT_FOUND, op, 404)
        return {**pool.describe(), "ResponseMetadata": self._metadata()}

    def delete_provisioned_concurrency_config(self, **params: Any) -> dict[str, Any]:
        """Remove the config of a version or alias (its environments go at once; running invocations finish)."""
        op = "DeleteProvisionedConcurrencyConfig"
        self._begin(op, params)
        rec, qualifier = self._provisioned_record(op, params, NOT_A_VERSION)
        self._backend.delete_provisioned_concurrency(rec, qualifier)
        return {"ResponseMetadata": self._metadata(204)}

    def list_provisioned_concurrency_configs(self, **params: Any) -> dict[str, Any]:
        """Every config of the function, ``MaxItems`` (1..50, default 50) at a time, paged with ``Marker``."""
        op = "ListProvisionedConcurrencyConfigs"
        self._begin(op, params)
        rec = self._unqualified(op, params["FunctionName"])
        items = [
            {"FunctionArn": self._arn(rec.name, qualifier), **pool.describe()}
            for qualifier, pool in rec.state.provisioned.items()
        ]
        page = self._page(op, items, params)
        out: dict[str, Any] = {"ProvisionedConcurrencyConfigs": page.pop("page"), **page}
        out["ResponseMetadata"] = self._metadata()
        return out
