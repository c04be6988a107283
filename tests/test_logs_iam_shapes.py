"""The CloudWatch Logs and IAM clients against botocore's own service models (as ``tests/test_service_shapes.py``
checks the other services'): the committed ``_shapes.py`` is what ``tools/gen_shapes.py`` makes from the installed
botocore, each client serves exactly its model's operations, client-side validation reads as botocore's, and the
responses of every operation validate against botocore's output shapes."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.validate import ParamValidator

import lambdasim as ls
from lambdasim.aws._service_client import ServiceClient
from lambdasim.aws.paginators import xform_name
from tests.helpers import zip_package

SERVICES = ("logs", "iam")
SESSION = botocore.session.get_session()
MODELS = {service: SESSION.get_service_model(service) for service in SERVICES}


def generated(service: str) -> ModuleType:
    return importlib.import_module(f"lambdasim.aws.{service}._shapes")


def generator() -> Any:
    path = Path(__file__).resolve().parent.parent / "tools" / "gen_shapes.py"
    spec = importlib.util.spec_from_file_location("gen_shapes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client_of(service: str, sim: ls.Simulation | None = None) -> ServiceClient:
    client = (sim or ls.Simulation(seed=1)).client(service)
    assert isinstance(client, ServiceClient)
    return client


OPERATIONS = [(service, op) for service in SERVICES for op in generated(service).OPERATIONS]


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_model_is_what_the_generator_makes(service: str) -> None:
    built = generator().build(service)
    module = generated(service)
    assert built["OPERATIONS"] == module.OPERATIONS
    assert built["SHAPES"] == module.SHAPES


@pytest.mark.parametrize("service", SERVICES)
def test_the_client_serves_exactly_the_operations_of_its_model(service: str) -> None:
    cls = type(client_of(service))
    public = {name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))}
    assert public - {"can_paginate", "get_paginator"} == {xform_name(op) for op in cls.operations}
    for op, (input_shape, output_shape, _) in cls.operations.items():
        model = MODELS[service].operation_model(op)
        assert model.input_shape is not None and model.input_shape.name == input_shape
        assert (model.output_shape.name if model.output_shape is not None else None) == output_shape
    paginators = SESSION.get_paginator_model(service)
    for op, config in cls.paginators.items():
        theirs = paginators.get_paginator(op)
        assert config["input_token"] == theirs["input_token"] and config["result_key"] in str(theirs["result_key"])


def sample(shape: Shape) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {name: sample(shape.members[name]) for name in shape.required_members}
    if kind == "string":
        return "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return shape.metadata.get("min", 1)
    if kind == "list":
        return [sample(shape.member) for _ in range(shape.metadata.get("min", 0))]
    return {"map": {}, "boolean": True, "blob": b"", "double": 0.5, "timestamp": 0}[kind]


@pytest.mark.parametrize(("service", "op"), OPERATIONS)
def test_param_validation_reports_are_botocores(service: str, op: str) -> None:
    shape = MODELS[service].operation_model(op).input_shape
    valid = sample(shape)
    cases: list[dict[str, Any]] = [{**valid, "Bogus": 1}]
    if shape.required_members:
        cases.append({})
    for name, member in shape.members.items():
        cases.append({**valid, name: object() if member.type_name != "blob" else 5})
    for params in cases:
        expected = str(ParamValidator().validate(params, shape).generate_report())
        with pytest.raises(ls.ParamValidationError) as exc:
            getattr(client_of(service), xform_name(op))(**params)
        assert str(exc.value.kwargs["report"]) == expected, params


def _check_output(service: str, op: str, response: dict[str, Any]) -> None:
    """Every key of the response is a member of botocore's output shape, with a value of its type."""
    shape = MODELS[service].operation_model(op).output_shape
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if shape is None:
        assert body == {}
        return
    _conforms(body, shape, op)


def _conforms(value: Any, shape: Shape, where: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert key in shape.members, f"{where}.{key}"
            member = shape.members[key]
            if member.name == "policyDocumentType":  # boto3 decodes IAM policy documents (botocore's handler)
                assert isinstance(item, dict), f"{where}.{key}"
                continue
            _conforms(item, member, f"{where}.{key}")
    elif kind == "list":
        assert isinstance(value, list), where
        for item in value:
            _conforms(item, shape.member, where)
    elif kind == "map":
        assert isinstance(value, dict), where
    elif kind == "string":
        assert isinstance(value, str), where
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where
    elif kind == "timestamp":
        assert hasattr(value, "tzinfo") and value.tzinfo is not None, where


def test_every_operations_response_has_botocores_output_shape() -> None:
    sim = ls.Simulation(seed=1)
    iam, logs, lam = sim.client("iam"), sim.client("logs"), sim.client("lambda")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"}]}
    calls: list[tuple[str, str, Any]] = [
        ("iam", "CreateRole", lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))),
        ("iam", "GetRole", lambda: iam.get_role(RoleName="r")),
        ("iam", "ListRoles", iam.list_roles),
        (
            "iam",
            "AttachRolePolicy",
            lambda: iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/P"),
        ),
        ("iam", "ListAttachedRolePolicies", lambda: iam.list_attached_role_policies(RoleName="r")),
        (
            "iam",
            "DetachRolePolicy",
            lambda: iam.detach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/P"),
        ),
        ("iam", "PutRolePolicy", lambda: iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument="{}")),
        ("iam", "GetRolePolicy", lambda: iam.get_role_policy(RoleName="r", PolicyName="p")),
        ("iam", "ListRolePolicies", lambda: iam.list_role_policies(RoleName="r")),
        ("iam", "DeleteRolePolicy", lambda: iam.delete_role_policy(RoleName="r", PolicyName="p")),
        ("iam", "DeleteRole", lambda: iam.delete_role(RoleName="r")),
        ("logs", "CreateLogGroup", lambda: logs.create_log_group(logGroupName="g")),
        ("logs", "PutRetentionPolicy", lambda: logs.put_retention_policy(logGroupName="g", retentionInDays=7)),
        ("logs", "DescribeLogGroups", logs.describe_log_groups),
        ("logs", "DescribeLogStreams", lambda: logs.describe_log_streams(logGroupName="/aws/lambda/f")),
        ("logs", "FilterLogEvents", lambda: logs.filter_log_events(logGroupName="/aws/lambda/f")),
        ("logs", "DeleteLogGroup", lambda: logs.delete_log_group(logGroupName="g")),
    ]
    lam.create_function(FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package()})
    lam.invoke(FunctionName="f", Payload=b"{}")
    seen = set()
    for service, op, call in calls:
        _check_output(service, op, call())
        seen.add((service, op))
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/f")["logStreams"][0]["logStreamName"]
    _check_output("logs", "GetLogEvents", logs.get_log_events(logGroupName="/aws/lambda/f", logStreamName=stream))
    seen.add(("logs", "GetLogEvents"))
    assert seen == set(OPERATIONS)


@pytest.mark.parametrize("service", SERVICES)
def test_client_exceptions_are_the_models_errors(service: str) -> None:
    client = client_of(service)
    model = MODELS[service]
    for code in client.error_codes:
        shapes = [s for s in model.error_shapes if s.metadata.get("error", {}).get("code", s.name) == code]
        assert shapes, code  # every code the client raises is one of the model's errors
        for shape in shapes:
            assert getattr(client.exceptions, shape.name) is getattr(client.exceptions, code)
