"""A function's resource-based policy: ``add_permission``, ``remove_permission``, ``get_policy``.

The policy is stored per function and qualifier, as Lambda keeps it, and answered in Lambda's JSON layout (``Version``
2012-10-17, ``Id`` ``default``, one statement per ``StatementId``). lambdasim does not enforce IAM: the policy matters
where an AWS service checks it, as S3 does when a notification configuration names a function
(:func:`allows_invoke`).
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from lambdasim.aws.lambda_._base import FunctionRecord, LambdaBase

__all__ = ["PermissionsMixin", "allows_invoke"]

_POLICIES: weakref.WeakKeyDictionary[FunctionRecord, dict[str, tuple[list[dict[str, Any]], str]]] = (
    weakref.WeakKeyDictionary()
)
"""Function record -> qualifier ("" unqualified) -> (statements, revision id)."""
NOT_FOUND = "The resource you requested does not exist."
SID_TAKEN = (
    "The statement id ({sid}) provided already exists. Please choose another statement id or delete the existing "
    "statement."
)


def _principal(principal: str) -> Any:
    if principal == "*":
        return "*"
    if principal.isdigit() and len(principal) == 12:
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    return {"AWS": principal}


def statements(rec: FunctionRecord, qualifier: str | None) -> list[dict[str, Any]]:
    """The statements of the policy of ``rec`` at ``qualifier`` (``None``: unqualified)."""
    return _POLICIES.get(rec, {}).get(qualifier or "", ([], ""))[0]


def allows_invoke(rec: FunctionRecord, qualifier: str | None, service: str, source_arn: str, account: str) -> bool:
    """Whether the policy lets ``service`` (``"s3.amazonaws.com"``) invoke the function for ``source_arn``.

    A statement allows it when its principal is the service (or ``*``), its action is ``lambda:InvokeFunction``,
    ``lambda:*`` or ``*``, and its conditions, if any, name this source ARN (``*`` and ``?`` wildcards, as
    ``ArnLike``) and account.
    """
    for st in statements(rec, qualifier):
        principal = st["Principal"]
        if principal != "*" and principal.get("Service") != service:
            continue
        if st["Action"] not in ("lambda:InvokeFunction", "lambda:*", "*"):
            continue
        cond = st.get("Condition", {})
        like = cond.get("ArnLike", {}).get("AWS:SourceArn")
        if like is not None and not _arn_like(like, source_arn):
            continue
        owner = cond.get("StringEquals", {}).get("AWS:SourceAccount")
        if owner is not None and owner != account:
            continue
        return True
    return False


def _arn_like(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


class PermissionsMixin(LambdaBase):
    """The resource-based policy operations of the Lambda client."""

    def add_permission(self, **params: Any) -> dict[str, Any]:
        """Add a statement to the function's policy (201, ``{"Statement": <JSON>}``)."""
        op = "AddPermission"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
        policies = _POLICIES.setdefault(rec, {})
        current, revision = policies.get(qualifier or "", ([], ""))
        self._revision(op, params, revision)
        sid = params["StatementId"]
        if any(st["Sid"] == sid for st in current):
            raise self._fail("ResourceConflictException", SID_TAKEN.format(sid=sid), op, 409)
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": _principal(params["Principal"]),
            "Action": params["Action"],
            "Resource": self._arn(rec.name, qualifier),
        }
        condition: dict[str, Any] = {}
        if "SourceAccount" in params:
            condition["StringEquals"] = {"AWS:SourceAccount": params["SourceAccount"]}
        if "SourceArn" in params:
            condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
        if condition:
            statement["Condition"] = condition
        policies[qualifier or ""] = ([*current, statement], self._sim.services.new_id())
        return {"Statement": json.dumps(statement, separators=(",", ":")), "ResponseMetadata": self._metadata(201)}

    def remove_permission(self, **params: Any) -> dict[str, Any]:
        """Remove a statement by its id (204)."""
        op = "RemovePermission"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
        policies = _POLICIES.setdefault(rec, {})
        current, revision = policies.get(qualifier or "", ([], ""))
        self._revision(op, params, revision)
        sid = params["StatementId"]
        kept = [st for st in current if st["Sid"] != sid]
        if len(kept) == len(current):
            raise self._not_found(op, f"Statement {sid} is not found in resource policy.")
        if kept:
            policies[qualifier or ""] = (kept, self._sim.services.new_id())
        else:
            policies.pop(qualifier or "", None)
        return {"ResponseMetadata": self._metadata(204)}

    def get_policy(self, **params: Any) -> dict[str, Any]:
        """The function's policy as a JSON string, and its ``RevisionId``."""
        op = "GetPolicy"
        self._begin(op, params)
        rec, qualifier = self._resolve(op, params["FunctionName"], params.get("Qualifier"))
        found = _POLICIES.get(rec, {}).get(qualifier or "")
        if found is None:
            raise self._not_found(op, NOT_FOUND)
        current, revision = found
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": current}
        return {
            "Policy": json.dumps(policy, separators=(",", ":")),
            "RevisionId": revision,
            "ResponseMetadata": self._metadata(),
        }

    def _revision(self, op: str, params: dict[str, Any], revision: str) -> None:
        if "RevisionId" in params and params["RevisionId"] != revision:
            raise self._precondition_failed(op)
