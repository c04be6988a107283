"""Versions and aliases: ``PublishVersion``, ``ListVersionsByFunction`` and the five alias operations.

A published version freezes ``$LATEST``'s code and configuration (handler, ``Duration``, ``InitDuration``, timeout,
memory, dead-letter queue); versions are numbered ``"1"``, ``"2"``, ... and publishing again without a change in
between returns the last version, as AWS does. An alias points at a version and may send a share of invocations
to one more (``RoutingConfig.AdditionalVersionWeights``); which version an invocation runs is drawn from the
function's seeded ``"routing"`` stream, so a run is repeatable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdasim.aws.arn import LATEST
from lambdasim.aws.lambda_._base import AliasRecord, FunctionRecord, LambdaBase
from lambdasim.aws.lambda_.backend import LambdaError

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
        version = self._backend.publish_version(rec, params.get("Description"))
        return {**rec.versions[version].config, "ResponseMetadata": self._metadata(201)}

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
        try:
            alias = self._backend.create_alias(
                rec, name, version, params.get("Description", ""), params.get("RoutingConfig")
            )
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
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
        try:
            self._backend.update_alias(
                alias,
                rec,
                params.get("FunctionVersion"),
                params.get("Description"),
                params.get("RoutingConfig"),
                routing_given="RoutingConfig" in params,
            )
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
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
            # AWS's words differ by operation (recorded: test_notfound_and_invalid_routingconfigs for GetAlias,
            # test_non_existent_alias_update for UpdateAlias).
            words = "Alias not found" if op == "UpdateAlias" else "Cannot find alias arn"
            raise self._not_found(op, f"{words}: {self._arn(rec.name, params['Name'])}")
        return rec, alias

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
