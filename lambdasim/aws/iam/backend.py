"""Simulated IAM, minimal: roles with their trust policy, attached managed policies and inline policies.

Nothing is enforced on the simulated calls: roles exist so that programs that create them before a function run
unchanged, and so that Lambda can check the execution role as AWS does (:meth:`IamService.lambda_role_problem`).
Managed policies are AWS's own (``arn:aws:iam::aws:policy/...``): any such ARN is taken to exist [model: the
account's own managed policies (``CreatePolicy``) are not simulated, so attaching one is refused as not found].
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from lambdasim.aws.account import ServiceError

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

__all__ = ["IamService", "Role"]

AWS_MANAGED = "arn:aws:iam::aws:policy/"
INVALID_JSON = "This policy contains invalid Json"
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
"""Lambda's ``InvalidParameterValueException`` for an execution role it cannot assume [doc]."""


def _error(code: str, message: str, status: int) -> ServiceError:
    return ServiceError(code, message, status, error_extra={"Type": "Sender"})


def parse_policy(document: str) -> dict[str, Any]:
    """A policy document as a JSON object (``MalformedPolicyDocument`` if it is not one)."""
    try:
        policy = json.loads(document)
    except ValueError:
        raise _error("MalformedPolicyDocument", INVALID_JSON, 400) from None
    if not isinstance(policy, dict):
        raise _error("MalformedPolicyDocument", INVALID_JSON, 400)
    return policy


class Role:
    """One role: what ``GetRole`` reports, its attached managed policies and its inline policies."""

    def __init__(
        self, name: str, path: str, role_id: str, arn: str, created: _dt.datetime, trust: dict[str, Any]
    ) -> None:
        self.name = name
        self.path = path
        self.role_id = role_id
        self.arn = arn
        self.created = created
        self.trust = trust
        self.description: str | None = None
        self.max_session_duration = 3600
        self.boundary: str | None = None  # PermissionsBoundary: reported, not enforced (nothing is)
        self.tags: list[dict[str, str]] = []
        self.attached: dict[str, str] = {}  # policy ARN -> policy name, in attach order
        self.inline: dict[str, dict[str, Any]] = {}  # policy name -> document


class IamService:
    """The account's roles (IAM is global: one per simulation)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.roles: dict[str, Role] = {}
        self.used = False  # a role was created: from then on Lambda checks execution roles of this account

    def create_role(self, name: str, path: str, trust_document: str) -> Role:
        trust = parse_policy(trust_document)
        if name.lower() in (n.lower() for n in self.roles):  # role names are unique case-insensitively [doc]
            raise _error("EntityAlreadyExists", f"Role with name {name} already exists.", 409)
        account = self._services.account_id
        digest = hashlib.sha256(f"{account}:{name}:{len(self.roles)}".encode()).hexdigest().upper()
        role_id = "AROA" + "".join(c for c in digest if c.isalnum())[:17]
        now = _dt.datetime.fromtimestamp(self._services.epoch(), tz=_dt.UTC).replace(microsecond=0)
        role = Role(name, path, role_id, f"arn:aws:iam::{account}:role{path}{name}", now, trust)
        self.roles[name] = role
        self.used = True
        return role

    def role(self, name: str) -> Role:
        found = self.roles.get(name)
        if found is None:
            raise _error("NoSuchEntity", f"The role with name {name} cannot be found.", 404)
        return found

    def delete_role(self, name: str) -> None:
        role = self.role(name)
        if role.attached:
            raise _error("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
        if role.inline:
            raise _error("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
        del self.roles[name]

    def attach(self, role: Role, policy_arn: str) -> None:
        name = policy_arn.rsplit("/", 1)[-1]
        if not policy_arn.startswith(AWS_MANAGED) or not name:
            raise _error("NoSuchEntity", f"Policy {policy_arn} does not exist or is not attachable.", 404)
        role.attached.setdefault(policy_arn, name)

    def detach(self, role: Role, policy_arn: str) -> None:
        if policy_arn not in role.attached:
            raise _error("NoSuchEntity", f"Policy {policy_arn} was not found.", 404)
        del role.attached[policy_arn]

    def inline_policy(self, role: Role, name: str) -> dict[str, Any]:
        found = role.inline.get(name)
        if found is None:
            raise _error("NoSuchEntity", f"The role policy with name {name} cannot be found.", 404)
        return found

    # -- Lambda's check of an execution role ------------------------------------------------------------------

    def lambda_role_problem(self, role_arn: str) -> str | None:
        """Why Lambda could not assume ``role_arn``, or ``None``.

        Checked only once IAM is in use (a role was created in this simulation) and only for roles of the
        simulated account [model]: programs that never touch IAM create functions with any role ARN, as before.
        A role of the account must then exist and trust ``lambda.amazonaws.com`` with ``sts:AssumeRole``."""
        prefix = f"arn:aws:iam::{self._services.account_id}:role/"
        if not self.used or not role_arn.startswith(prefix):
            return None
        role = self.roles.get(role_arn.rsplit("/", 1)[-1])
        if role is None or role.arn != role_arn or not _trusts_lambda(role.trust):
            return CANNOT_ASSUME
        return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusts_lambda(trust: dict[str, Any]) -> bool:
    """Whether a trust policy lets ``lambda.amazonaws.com`` call ``sts:AssumeRole`` (an ``Allow`` statement)."""
    for statement in _listed(trust.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = _listed(statement.get("Action", []))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        if principal == "*" or (
            isinstance(principal, dict) and "lambda.amazonaws.com" in _listed(principal.get("Service", []))
        ):
            return True
    return False
