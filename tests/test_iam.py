"""Minimal IAM: roles, their managed and inline policies, and Lambda's check of an execution role."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

import lambdasim as ls

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def iam_of(sim: ls.Simulation | None = None) -> Any:
    return (sim or ls.Simulation(seed=1)).client("iam")


def error(exc: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_and_delete_a_role() -> None:
    iam = iam_of()
    created = iam.create_role(
        RoleName="demo", AssumeRolePolicyDocument=json.dumps(TRUST), Description="d", Tags=[{"Key": "k", "Value": "v"}]
    )["Role"]
    assert created["Arn"] == "arn:aws:iam::123456789012:role/demo"
    assert created["Path"] == "/" and created["MaxSessionDuration"] == 3600 and created["Description"] == "d"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["CreateDate"] == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert created["AssumeRolePolicyDocument"] == TRUST  # decoded, as boto3 gives it
    got = iam.get_role(RoleName="demo")["Role"]
    assert got == {**created, "RoleLastUsed": {}}
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    svc = iam.create_role(
        RoleName="svc", Path="/service/", AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=boundary
    )["Role"]
    assert svc["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["demo", "svc"]
    assert [r["Arn"] for r in iam.list_roles(PathPrefix="/service/")["Roles"]] == [
        "arn:aws:iam::123456789012:role/service/svc"
    ]
    page = iam.list_roles(MaxItems=1)
    assert page["IsTruncated"] and [r["RoleName"] for r in iam.list_roles(Marker=page["Marker"])["Roles"]] == ["svc"]
    assert "Tags" not in iam.list_roles()["Roles"][0]  # ListRoles leaves tags out
    paged = [
        r["RoleName"]
        for p in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1})
        for r in p["Roles"]
    ]
    assert paged == ["demo", "svc"]
    iam.delete_role(RoleName="svc")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.get_role(RoleName="svc")
    assert error(exc) == ("NoSuchEntity", "The role with name svc cannot be found.", 404)
    assert exc.value.response["Error"]["Type"] == "Sender"


def test_role_errors() -> None:
    iam = iam_of()
    iam.create_role(RoleName="demo", AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as exc:
        iam.create_role(RoleName="DEMO", AssumeRolePolicyDocument=json.dumps(TRUST))
    assert error(exc) == ("EntityAlreadyExists", "Role with name DEMO already exists.", 409)
    for bad in ("{not json", "[]", '"text"'):
        with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as exc:
            iam.create_role(RoleName="other", AssumeRolePolicyDocument=bad)
        assert error(exc) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)
    with pytest.raises(iam.exceptions.ClientError) as exc:
        iam.create_role(RoleName="bad name", AssumeRolePolicyDocument="{}")
    assert error(exc)[0] == "ValidationError"
    assert "at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern" in error(exc)[1]
    with pytest.raises(ls.ParamValidationError):
        iam.create_role(RoleName="x")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.delete_role(RoleName="nope")


def test_managed_policies() -> None:
    iam = iam_of()
    iam.create_role(RoleName="demo", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="demo", PolicyArn=BASIC)
    iam.attach_role_policy(RoleName="demo", PolicyArn=BASIC)  # again: no change
    iam.attach_role_policy(RoleName="demo", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    listed = iam.list_attached_role_policies(RoleName="demo")
    assert listed["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC},
        {"PolicyName": "AmazonSQSFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSQSFullAccess"},
    ]
    assert listed["IsTruncated"] is False
    assert len(iam.list_attached_role_policies(RoleName="demo", PathPrefix="/service-role/")["AttachedPolicies"]) == 1
    mine = "arn:aws:iam::123456789012:policy/mine"
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.attach_role_policy(RoleName="demo", PolicyArn=mine)
    assert error(exc) == ("NoSuchEntity", f"Policy {mine} does not exist or is not attachable.", 404)
    with pytest.raises(iam.exceptions.DeleteConflictException) as exc:
        iam.delete_role(RoleName="demo")
    assert error(exc) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_role_policy(RoleName="demo", PolicyArn=BASIC)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.detach_role_policy(RoleName="demo", PolicyArn=BASIC)
    assert error(exc) == ("NoSuchEntity", f"Policy {BASIC} was not found.", 404)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_role_policy(RoleName="nobody", PolicyArn=BASIC)


def test_inline_policies() -> None:
    iam = iam_of()
    iam.create_role(RoleName="demo", AssumeRolePolicyDocument=json.dumps(TRUST))
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="demo", PolicyName="queues", PolicyDocument=json.dumps(policy))
    got = iam.get_role_policy(RoleName="demo", PolicyName="queues")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("demo", "queues", policy)
    assert iam.list_role_policies(RoleName="demo")["PolicyNames"] == ["queues"]
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName="demo", PolicyName="bad", PolicyDocument="{")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.get_role_policy(RoleName="demo", PolicyName="other")
    assert error(exc) == ("NoSuchEntity", "The role policy with name other cannot be found.", 404)
    with pytest.raises(iam.exceptions.DeleteConflictException) as exc:
        iam.delete_role(RoleName="demo")
    assert error(exc)[1] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName="demo", PolicyName="queues")
    iam.delete_role(RoleName="demo")
    assert iam.list_roles()["Roles"] == []


def test_lambda_checks_the_execution_role_once_iam_is_used() -> None:
    sim = ls.Simulation(seed=1)
    lam, iam = sim.client("lambda"), sim.client("iam")
    lam.create_function(FunctionName="before", Role="arn:aws:iam::123456789012:role/anything")  # IAM not used yet
    role = iam.create_role(RoleName="ok", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(FunctionName="f", Role=role)
    lam.create_function(FunctionName="g", Role="arn:aws:iam::999999999999:role/elsewhere")  # another account's
    untrusting = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    ec2 = iam.create_role(RoleName="ec2", AssumeRolePolicyDocument=json.dumps(untrusting))["Role"]["Arn"]
    for arn in ("arn:aws:iam::123456789012:role/missing", ec2):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            lam.create_function(FunctionName="h", Role=arn)
        assert error(exc) == (
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
            400,
        )
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.update_function_configuration(FunctionName="f", Role=arn)
    assert lam.get_function_configuration(FunctionName="f")["Role"] == role
