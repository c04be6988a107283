"""The five event invoke configuration operations, per qualifier, with AWS's recorded behaviour (spec section 3).

A config belongs to ``$LATEST`` (also what an unqualified invoke uses), a version or an alias; a config on
``$LATEST`` does not carry over to versions published later, and an invoke through an alias uses the alias's.
Responses are ``{"LastModified": <the simulated clock>, "FunctionArn": <qualified ARN>,
"MaximumRetryAttempts"?, "MaximumEventAgeInSeconds"?, "DestinationConfig": {"OnSuccess": {...},
"OnFailure": {...}}}``: ``DestinationConfig`` is always there, a field never set is left out. AWS sends
``LastModified`` as epoch seconds; boto3 parses that timestamp into a UTC ``datetime``, and so do we, since users'
code is written against boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase
from lambdasim.aws.lambda_.backend import ERROR_HANDLING, SIDES, LambdaError

_SETTINGS = (*ERROR_HANDLING, "DestinationConfig")


class EventInvokeConfigMixin(LambdaBase):
    """``put``/``update``/``get``/``list``/``delete_function_event_invoke_config(s)``."""

    def put_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Set retries, maximum age and destinations of a qualifier, replacing its whole config."""
        op = "PutFunctionEventInvokeConfig"
        self._begin(op, params)
        self._require_a_setting(op, params)
        rec, key = self._config_owner(op, params)
        try:
            self._backend.put_event_invoke_config(rec, key, params)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {**self._config_response(rec, key), "ResponseMetadata": self._metadata()}

    def update_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Merge the fields given into the qualifier's existing config.

        lambdasim's choice where AWS documents none (spec section 8): ``OnSuccess`` and ``OnFailure`` merge
        separately. ``DestinationConfig={"OnFailure": {...}}`` replaces the on-failure destination and keeps the
        on-success one; pass a side as ``{}`` to remove it. Retries and maximum age are replaced when given.
        """
        op = "UpdateFunctionEventInvokeConfig"
        self._begin(op, params)
        self._require_a_setting(op, params)
        rec, key = self._config_owner(op, params)
        if key not in rec.event_invoke_configs:
            raise self._no_config(op, rec.name, key)
        try:
            self._backend.update_event_invoke_config(rec, key, params)
        except LambdaError as exc:
            raise self._backend_error(op, exc) from None
        return {**self._config_response(rec, key), "ResponseMetadata": self._metadata()}

    def get_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """The config of a qualifier (``$LATEST`` unless the name or ``Qualifier`` gives one)."""
        op = "GetFunctionEventInvokeConfig"
        self._begin(op, params)
        rec, key = self._existing_config(op, params)
        return {**self._config_response(rec, key), "ResponseMetadata": self._metadata()}

    def delete_function_event_invoke_config(self, **params: Any) -> dict[str, Any]:
        """Remove a qualifier's config: AWS's defaults (2 retries, 6 h, no destinations) apply from now on."""
        op = "DeleteFunctionEventInvokeConfig"
        self._begin(op, params)
        rec, key = self._existing_config(op, params)
        self._backend.delete_event_invoke_config(rec, key)
        return {"ResponseMetadata": self._metadata(204)}

    def list_function_event_invoke_configs(self, **params: Any) -> dict[str, Any]:
        """Every qualifier's config of the function, in the order they were first put; ``MaxItems`` (1..50,
        default 50) at a time, paged with ``Marker``/``NextMarker``."""
        op = "ListFunctionEventInvokeConfigs"
        self._begin(op, params)
        ref = self._ref(op, params["FunctionName"])
        rec = self._lookup(ref)
        if rec is None:
            raise self._not_found(op, "The function doesn't exist.")
        configs = [self._config_response(rec, key) for key in rec.event_invoke_configs]
        page = self._page(op, configs, params)
        out: dict[str, Any] = {"FunctionEventInvokeConfigs": page.pop("page"), **page}
        out["ResponseMetadata"] = self._metadata()
        return out

    # -- helpers ----------------------------------------------------------------------------------------------

    def _require_a_setting(self, op: str, params: Mapping[str, Any]) -> None:
        if not any(k in params for k in _SETTINGS):
            raise self._invalid(op, "You must specify at least one of error handling or destination setting.")

    def _config_owner(self, op: str, params: Mapping[str, Any]) -> tuple[FunctionRecord, str]:
        """The function and qualifier a config is put on; ``The function doesn't exist.`` if either is missing."""
        ref = self._ref(op, params["FunctionName"], params.get("Qualifier"))
        rec = self._lookup(ref)
        if rec is None or not self._exists(rec, ref.qualifier):
            raise self._not_found(op, "The function doesn't exist.")
        return rec, self._eic_key(ref.qualifier)

    def _existing_config(self, op: str, params: Mapping[str, Any]) -> tuple[FunctionRecord, str]:
        """For get and delete: a missing function, qualifier or config all read "doesn't have an
        EventInvokeConfig", as recorded on AWS."""
        ref = self._ref(op, params["FunctionName"], params.get("Qualifier"))
        key = self._eic_key(ref.qualifier)
        rec = self._lookup(ref)
        if rec is None or key not in rec.event_invoke_configs:
            raise self._no_config(op, ref.name, key)
        return rec, key

    def _no_config(self, op: str, name: str, key: str) -> Exception:
        return self._not_found(op, f"The function {self._arn(name, key)} doesn't have an EventInvokeConfig")

    def _config_response(self, rec: FunctionRecord, key: str) -> dict[str, Any]:
        cfg = rec.event_invoke_configs[key]
        out: dict[str, Any] = {"LastModified": cfg["LastModified"], "FunctionArn": self._arn(rec.name, key)}
        for setting in ERROR_HANDLING:
            if setting in cfg:
                out[setting] = cfg[setting]
        dest = cfg["DestinationConfig"]
        out["DestinationConfig"] = {side: dict(dest.get(side, {})) for side in SIDES}
        return out
