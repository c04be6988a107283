"""Versions and aliases: ``PublishVersion``, ``ListVersionsByFunction`` and the five alias operations.

A published version freezes ``$LATEST``'s code and configuration (handler, ``Duration``, ``InitDuration``, timeout,
memory, dead-letter queue); versions are numbered ``"1"``, ``"2"``, ... and publishing again without a change in
between returns the last version, as AWS does. An alias points at a version and may send a share of invocations
to one more (``RoutingConfig.AdditionalVersionWeights``); which version an invocation runs is drawn from the
function's seeded ``"routing"`` stream, so a run is repeatable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from lambdasim.aws.arn import LATEST
from lambdasim.aws.lambda_._base import AliasRecord, FunctionRecord, LambdaBase

# Fields AWS leaves out of list responses (ListVersionsByFunction, ListFunctions).
_NOT_LISTED = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)


def listed(config: Mapping[str, Any]) -> dict[str, Any]:
    """A function configuration as list operations show it."""
    return {k: v for k, v in config.items() if k not in _NOT_LISTED}


class VersionsMixin(LambdaBase):
    """``publish_version``, ``list_versions_by_function`` and ``create``/``get``/``update``/``list``/
    ``delete_alias(es)``."""

    # -- versions ---------------------------------------------------------------------------------------------

    def publish_version(self, **params: Any) -> dict[str, Any]:
        """Publish ``$LATEST`` as the next version (or return the last one if nothing changed since)."""
        op = "PublishVersion"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        # Empty strings count as not given (AWS's own example publishes with CodeSha256="").
        if params.get("RevisionId") and params["RevisionId"] != rec.config["RevisionId"]:
            raise self._precondition_failed(op)
        code_sha = params.get("CodeSha256")
        if code_sha and code_sha != rec.config["CodeSha256"]:
            raise self._invalid(
                op,
                f"CodeSHA256 ({code_sha}) is different from current CodeSHA256 in $LATEST "
                f"({rec.config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.",
            )
        version = self._publish(rec, params.get("Description"))
        return {**rec.versions[version].config, "ResponseMetadata": self._metadata(201)}

    def _publish(self, rec: FunctionRecord, description: str | None = None) -> str:
        """Snapshot ``$LATEST`` as a new version and return its number; reuse the last if ``$LATEST`` did not
        change since it was published."""
        last = self._backend.unchanged_since_last_version(rec)
        if last is not None:
            return last
        version = str(rec.next_version)
        config = copy.deepcopy(rec.config)
        config.update(
            FunctionArn=self._arn(rec.name, version),
            Version=version,
            RevisionId=self._sim.new_request_id(),
            LastUpdateStatus="Successful",
            State="Active",
        )
        if description:
            config["Description"] = description
        return self._backend.publish_version(rec, config)

    def list_versions_by_function(self, **params: Any) -> dict[str, Any]:
        """``$LATEST`` then every published version, ``MaxItems`` (default 50) at a time."""
        op = "ListVersionsByFunction"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        latest = {**rec.config, "FunctionArn": self._arn(rec.name, LATEST)}
        items = [listed(latest)] + [listed(v.config) for v in rec.versions.values()]
        page = self._page(op, items, params)
        return {"Versions": page.pop("page"), **page, "ResponseMetadata": self._metadata()}

    # -- aliases ----------------------------------------------------------------------------------------------

    def create_alias(self, **params: Any) -> dict[str, Any]:
        """Create an alias of a version (``$LATEST`` or a number), optionally weighted to a second version."""
        op = "CreateAlias"
        self._begin(op, params)
        name, version = params["Name"], params["FunctionVersion"]
        rec = self._function(op, params["FunctionName"], version)
        self._check_version(op, rec, version)
        if name in rec.aliases:
            raise self._fail("ResourceConflictException", f"Alias already exists: {self._arn(rec.name, name)}", op, 409)
        weights = self._weights(op, rec, version, params.get("RoutingConfig"))
        alias = AliasRecord(name, version, params.get("Description", ""), weights)
        alias.revision_id = self._sim.new_request_id()
        rec.aliases[name] = alias
        return {**self._alias_response(rec, alias), "ResponseMetadata": self._metadata(201)}

    def get_alias(self, **params: Any) -> dict[str, Any]:
        """The alias's version, description, routing and revision."""
        op = "GetAlias"
        self._begin(op, params)
        rec, alias = self._alias(op, params)
        return {**self._alias_response(rec, alias), "ResponseMetadata": self._metadata()}

    def update_alias(self, **params: Any) -> dict[str, Any]:
        """Point the alias elsewhere or change its routing; invocations from now on follow it (events already
        queued run the version they were routed to, under the alias's event invoke config)."""
        op = "UpdateAlias"
        self._begin(op, params)
        rec, alias = self._alias(op, params)
        if params.get("RevisionId") and params["RevisionId"] != alias.revision_id:
            raise self._precondition_failed(op)
        version = params.get("FunctionVersion", alias.function_version)
        if "FunctionVersion" in params:
            self._check_version(op, rec, version)
        if "RoutingConfig" in params:
            weights = self._weights(op, rec, version, params["RoutingConfig"])
        else:
            weights = alias.weights
            if weights:
                self._check_weights(op, rec, version, weights)
        alias.function_version = version
        alias.weights = weights
        if "Description" in params:
            alias.description = params["Description"]
        alias.revision_id = self._sim.new_request_id()
        return {**self._alias_response(rec, alias), "ResponseMetadata": self._metadata()}

    def list_aliases(self, **params: Any) -> dict[str, Any]:
        """The function's aliases in name order (only those of ``FunctionVersion`` if given)."""
        op = "ListAliases"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        wanted = params.get("FunctionVersion")
        items = [
            self._alias_response(rec, rec.aliases[name])
            for name in sorted(rec.aliases)
            if wanted is None or rec.aliases[name].function_version == wanted
        ]
        page = self._page(op, items, params)
        return {"Aliases": page.pop("page"), **page, "ResponseMetadata": self._metadata()}

    def delete_alias(self, **params: Any) -> dict[str, Any]:
        """Delete an alias and its event invoke config (deleting one that does not exist is not an error)."""
        op = "DeleteAlias"
        self._begin(op, params)
        rec = self._function(op, params["FunctionName"], None)
        name = params["Name"]
        self._backend.delete_alias(rec, name)
        return {"ResponseMetadata": self._metadata(204)}

    # -- helpers ----------------------------------------------------------------------------------------------

    def _alias(self, op: str, params: Mapping[str, Any]) -> tuple[FunctionRecord, AliasRecord]:
        rec = self._function(op, params["FunctionName"], None)
        alias = rec.aliases.get(params["Name"])
        if alias is None:
            raise self._not_found(op, f"Cannot find alias arn: {self._arn(rec.name, params['Name'])}")
        return rec, alias

    def _check_version(self, op: str, rec: FunctionRecord, version: str) -> None:
        if version != LATEST and version not in rec.versions:
            raise self._not_found(op, f"Function not found: {self._arn(rec.name, version)}")

    def _weights(
        self, op: str, rec: FunctionRecord, version: str, routing: Mapping[str, Any] | None
    ) -> dict[str, float]:
        weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
        if weights:
            self._check_weights(op, rec, version, weights)
        return {k: float(v) for k, v in weights.items()}

    def _check_weights(self, op: str, rec: FunctionRecord, version: str, weights: Mapping[str, float]) -> None:
        """AWS's routing rules, in the order its errors were recorded (ranges and key patterns were checked as
        model constraints before)."""
        if len(weights) > 1:
            raise self._invalid(op, "Number of items in AdditionalVersionWeights cannot be greater than 1")
        (extra,) = weights
        if extra == version:
            raise self._invalid(
                op,
                f"Invalid function version {version}. Function version {version} is already included in routing "
                "configuration.",
            )
        if version == LATEST:
            error = self._invalid(op, "$LATEST is not supported for an alias pointing to more than 1 version")
            error.response.pop("Type", None)  # recorded without it
            raise error
        self._check_version(op, rec, extra)

    def _alias_response(self, rec: FunctionRecord, alias: AliasRecord) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AliasArn": self._arn(rec.name, alias.name),
            "Name": alias.name,
            "FunctionVersion": alias.function_version,
            "Description": alias.description,
        }
        if alias.weights:
            out["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
        out["RevisionId"] = alias.revision_id
        return out
