"""``sim.client("iam")``: minimal IAM in boto3's shapes: roles (``create_role``, ``get_role``, ``list_roles``,
``delete_role``), their managed policies (``attach_role_policy``, ``detach_role_policy``,
``list_attached_role_policies``) and inline policies (``put_role_policy``, ``get_role_policy``,
``list_role_policies``, ``delete_role_policy``). Policy documents come back as dicts, as boto3 decodes them.

Once a role has been created, Lambda checks the execution role of functions created in the simulated account (see
:meth:`lambdasim.aws.iam.backend.IamService.lambda_role_problem`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, decode_token, encode_token
from lambdasim.aws.iam._shapes import OPERATIONS, SHAPES
from lambdasim.aws.iam.backend import Role, parse_policy


class IamClient(ServiceClient):
    """The simulated IAM service (roles only). Every method takes and returns what boto3's IAM client does."""

    service_name = "iam"
    invalid_parameter = ("InvalidInput", None)
    operations = OPERATIONS
    input_shapes = SHAPES
    validation_error = "ValidationError"
    error_codes = ("NoSuchEntity", "EntityAlreadyExists", "MalformedPolicyDocument", "DeleteConflict", "InvalidInput")
    aliases: ClassVar[dict[str, str]] = {
        "NoSuchEntityException": "NoSuchEntity",
        "EntityAlreadyExistsException": "EntityAlreadyExists",
        "MalformedPolicyDocumentException": "MalformedPolicyDocument",
        "DeleteConflictException": "DeleteConflict",
        "InvalidInputException": "InvalidInput",
    }
    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListRoles": {
            "input_token": "Marker",
            "output_token": "Marker",
            "limit_key": "MaxItems",
            "result_key": "Roles",
        },
        "ListAttachedRolePolicies": {
            "input_token": "Marker",
            "output_token": "Marker",
            "limit_key": "MaxItems",
            "result_key": "AttachedPolicies",
        },
        "ListRolePolicies": {
            "input_token": "Marker",
            "output_token": "Marker",
            "limit_key": "MaxItems",
            "result_key": "PolicyNames",
        },
    }

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self._iam = self._services.iam

    # -- helpers ----------------------------------------------------------------------------------------------

    def _role(self, op: str, name: str) -> Role:
        with self._client_errors(op):
            return self._iam.role(name)

    def _page(self, op: str, items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
        """``MaxItems`` (1 to 1000, default 100) from ``Marker``: ``IsTruncated`` and the next ``Marker``."""
        start = 0
        if params.get("Marker") is not None:
            position = decode_token(params["Marker"])
            if position is None:
                raise self._invalid("InvalidInput", "Invalid Marker.", op)  # [model] AWS's words not recorded
            start = position
        end = start + params.get("MaxItems", 100)
        out: dict[str, Any] = {key: items[start:end], "IsTruncated": end < len(items)}
        if end < len(items):
            out["Marker"] = encode_token(end)
        out["ResponseMetadata"] = self._metadata()
        return out

    @staticmethod
    def _describe(role: Role, *, listing: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Path": role.path,
            "RoleName": role.name,
            "RoleId": role.role_id,
            "Arn": role.arn,
            "CreateDate": role.created,
            "AssumeRolePolicyDocument": role.trust,
        }
        if role.description is not None:
            out["Description"] = role.description
        out["MaxSessionDuration"] = role.max_session_duration
        if role.boundary is not None and not listing:
            out["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": role.boundary}
        if role.tags and not listing:
            out["Tags"] = [dict(t) for t in role.tags]
        return out

    # -- roles ------------------------------------------------------------------------------------------------

    def create_role(self, **params: Any) -> dict[str, Any]:
        """Create a role trusting whom ``AssumeRolePolicyDocument`` (JSON) names."""
        op = self._call("create_role", params)
        path = params.get("Path", "/")
        with self._client_errors(op):
            role = self._iam.create_role(params["RoleName"], path, params["AssumeRolePolicyDocument"])
        role.description = params.get("Description")
        role.max_session_duration = params.get("MaxSessionDuration", 3600)
        role.boundary = params.get("PermissionsBoundary")
        role.tags = [dict(t) for t in params.get("Tags", [])]
        return {"Role": self._describe(role), "ResponseMetadata": self._metadata()}

    def get_role(self, **params: Any) -> dict[str, Any]:
        """The role, as ``CreateRole`` answered it, with ``RoleLastUsed`` (empty: nothing assumes it here)."""
        op = self._call("get_role", params)
        role = self._role(op, params["RoleName"])
        return {"Role": {**self._describe(role), "RoleLastUsed": {}}, "ResponseMetadata": self._metadata()}

    def list_roles(self, **params: Any) -> dict[str, Any]:
        """Roles in name order (only those under ``PathPrefix`` if given), ``MaxItems`` at a time."""
        op = self._call("list_roles", params)
        prefix = params.get("PathPrefix", "/")
        roles = [self._describe(r, listing=True) for r in sorted(self._iam.roles.values(), key=lambda r: r.name)]
        return self._page(op, [r for r in roles if r["Path"].startswith(prefix)], params, "Roles")

    def delete_role(self, **params: Any) -> dict[str, Any]:
        """Delete a role without policies (``DeleteConflict`` otherwise)."""
        op = self._call("delete_role", params)
        with self._client_errors(op):
            self._iam.delete_role(params["RoleName"])
        return {"ResponseMetadata": self._metadata()}

    # -- managed policies -------------------------------------------------------------------------------------

    def attach_role_policy(self, **params: Any) -> dict[str, Any]:
        """Attach an AWS managed policy (``arn:aws:iam::aws:policy/...``); attaching it again changes nothing."""
        op = self._call("attach_role_policy", params)
        role = self._role(op, params["RoleName"])
        with self._client_errors(op):
            self._iam.attach(role, params["PolicyArn"])
        return {"ResponseMetadata": self._metadata()}

    def detach_role_policy(self, **params: Any) -> dict[str, Any]:
        op = self._call("detach_role_policy", params)
        role = self._role(op, params["RoleName"])
        with self._client_errors(op):
            self._iam.detach(role, params["PolicyArn"])
        return {"ResponseMetadata": self._metadata()}

    def list_attached_role_policies(self, **params: Any) -> dict[str, Any]:
        """The role's managed policies in the order attached (``PathPrefix``: of the policy ARN's path)."""
        op = self._call("list_attached_role_policies", params)
        role = self._role(op, params["RoleName"])
        prefix = params.get("PathPrefix", "/")
        items = [
            {"PolicyName": name, "PolicyArn": arn}
            for arn, name in role.attached.items()
            if ("/" + arn.split(":policy/", 1)[-1]).startswith(prefix)
        ]
        return self._page(op, items, params, "AttachedPolicies")

    # -- inline policies --------------------------------------------------------------------------------------

    def put_role_policy(self, **params: Any) -> dict[str, Any]:
        """Add or replace the inline policy ``PolicyName`` (``PolicyDocument``: JSON)."""
        op = self._call("put_role_policy", params)
        role = self._role(op, params["RoleName"])
        with self._client_errors(op):
            document = parse_policy(params["PolicyDocument"])
        role.inline[params["PolicyName"]] = document
        return {"ResponseMetadata": self._metadata()}

    def get_role_policy(self, **params: Any) -> dict[str, Any]:
        op = self._call("get_role_policy", params)
        role = self._role(op, params["RoleName"])
        with self._client_errors(op):
            document = self._iam.inline_policy(role, params["PolicyName"])
        return {
            "RoleName": role.name,
            "PolicyName": params["PolicyName"],
            "PolicyDocument": document,
            "ResponseMetadata": self._metadata(),
        }

    def list_role_policies(self, **params: Any) -> dict[str, Any]:
        """The names of the role's inline policies, in name order."""
        op = self._call("list_role_policies", params)
        role = self._role(op, params["RoleName"])
        return self._page(op, sorted(role.inline), params, "PolicyNames")

    def delete_role_policy(self, **params: Any) -> dict[str, Any]:
        op = self._call("delete_role_policy", params)
        role = self._role(op, params["RoleName"])
        with self._client_errors(op):
            self._iam.inline_policy(role, params["PolicyName"])
        del role.inline[params["PolicyName"]]
        return {"ResponseMetadata": self._metadata()}
