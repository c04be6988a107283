"""lambdasim's errors are botocore's when botocore is installed, and stand alone, shaped alike, when it is not."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

import lambdasim as ls
from lambdasim.aws import errors
from lambdasim.aws.errors import ClientError, ParamValidationError, client_error

ROOT = Path(__file__).resolve().parents[1]

RESPONSES: list[dict[str, Any]] = [
    {"Error": {"Code": "ResourceNotFoundException", "Message": "Function not found: f"}, "ResponseMetadata": {}},
    {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
     "ResponseMetadata": {"MaxAttemptsReached": True, "RetryAttempts": 2}},
    {"Error": {}, "ResponseMetadata": {"RetryAttempts": 0}},  # botocore's 'Unknown' fill-ins
    {},
]  # fmt: skip


def lambda_client() -> Any:
    return ls.Simulation(seed=1).client("lambda")


def test_client_errors_are_botocore_client_errors() -> None:
    lam = lambda_client()
    with pytest.raises(botocore.exceptions.ClientError) as info:
        lam.get_function(FunctionName="missing")
    err = info.value
    assert isinstance(err, ClientError)
    assert isinstance(err, lam.exceptions.ResourceNotFoundException)
    assert issubclass(lam.exceptions.ResourceNotFoundException, botocore.exceptions.ClientError)
    assert issubclass(lam.exceptions.ClientError, botocore.exceptions.ClientError)
    assert err.operation_name == "GetFunction"
    assert err.response["Error"]["Code"] == "ResourceNotFoundException"
    # botocore's own exception built from the same response reads the same
    theirs = botocore.exceptions.ClientError(err.response, "GetFunction")
    assert str(err) == str(theirs)
    assert err.args == theirs.args


def test_boto3_style_except_clauses_catch_them() -> None:
    lam = lambda_client()
    caught = []
    for clause in (lam.exceptions.ResourceNotFoundException, botocore.exceptions.ClientError, ClientError):
        try:
            lam.invoke(FunctionName="missing", Payload=b"{}")
        except clause as e:
            caught.append(type(e).__name__)
    assert caught == ["ResourceNotFoundException"] * 3
    with pytest.raises(lam.exceptions.ResourceConflictException):  # another code's class does not catch it
        try:
            lam.invoke(FunctionName="missing", Payload=b"{}")
        except lam.exceptions.ResourceNotFoundException:
            raise client_error("ResourceConflictException", "x", "Invoke", 409) from None


@pytest.mark.parametrize("service", ["lambda", "sqs", "sns", "events", "s3", "cloudwatch"])
def test_every_clients_exception_classes_are_botocore_client_errors(service: str) -> None:
    client = ls.Simulation(seed=1).client(service)
    for code in ("ResourceNotFoundException", "InvalidParameterValueException", "SomeCodeNoOneDeclared"):
        cls = getattr(client.exceptions, code)
        assert issubclass(cls, ClientError)
        assert issubclass(cls, botocore.exceptions.ClientError)
    # (a declared class may carry the wire code under its shape's name, as SNS's ParameterValueInvalid does)
    assert client.exceptions.SomeCodeNoOneDeclared.__name__ == "SomeCodeNoOneDeclared"


def test_param_validation_errors_are_botocores() -> None:
    lam = lambda_client()
    with pytest.raises(botocore.exceptions.ParamValidationError) as info:
        lam.invoke(FunctionName=1)
    err = info.value
    assert isinstance(err, ParamValidationError)
    assert isinstance(err, ValueError)  # the Pythonic side's ValueError as well
    theirs = botocore.exceptions.ParamValidationError(report=err.kwargs["report"])
    assert str(err) == str(theirs)
    assert err.kwargs == theirs.kwargs
    assert "Invalid type for parameter FunctionName" in err.kwargs["report"]
    # built as botocore builds it, with a keyword
    assert str(ParamValidationError(report="Missing x")) == str(ParamValidationError("Missing x"))


@pytest.mark.parametrize("response", RESPONSES)
def test_message_matches_botocore_for_every_response_shape(response: dict[str, Any]) -> None:
    ours = ClientError(response, "Invoke")
    theirs = botocore.exceptions.ClientError(response, "Invoke")
    standalone = errors._StandaloneClientError(response, "Invoke")
    assert str(ours) == str(theirs) == str(standalone)
    assert (standalone.response, standalone.operation_name) == (theirs.response, theirs.operation_name)


def test_standalone_param_validation_error_matches_botocores() -> None:
    standalone = errors._StandaloneParamValidationError(report="Missing required parameter")
    theirs = botocore.exceptions.ParamValidationError(report="Missing required parameter")
    assert str(standalone) == str(theirs)
    assert standalone.kwargs == theirs.kwargs


def test_errors_pickle_to_their_own_classes() -> None:
    err = client_error("ResourceNotFoundException", "Function not found: f", "Invoke", 404)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert (str(back), back.response, back.operation_name) == (str(err), err.response, err.operation_name)
    pve = pickle.loads(pickle.dumps(ParamValidationError("Missing x")))
    assert isinstance(pve, ParamValidationError)
    assert pve.kwargs == {"report": "Missing x"}


BLOCKED = """
import importlib.abc, json, sys

class NoBotocore(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("botocore", "boto3"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, NoBotocore())
import lambdasim as ls
from lambdasim.aws.errors import ClientError, ParamValidationError

lam = ls.Simulation(seed=1).client("lambda")
out = {"botocore_loaded": any(m.split(".")[0] == "botocore" for m in sys.modules),
       "mro": [c.__module__ + "." + c.__name__ for c in ClientError.__mro__]}
try:
    lam.get_function(FunctionName="missing")
except lam.exceptions.ResourceNotFoundException as e:
    out["client_error"] = [str(e), e.response, e.operation_name, isinstance(e, ClientError)]
try:
    lam.invoke(FunctionName=1)
except ParamValidationError as e:
    out["param"] = [str(e), e.kwargs, isinstance(e, ValueError)]
for i, response in enumerate(json.loads(sys.argv[1])):
    out[f"message{i}"] = str(ClientError(response, "Invoke"))
print(json.dumps(out))
"""


def test_without_botocore_the_errors_stand_alone_with_botocores_shape() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKED, json.dumps(RESPONSES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert not out["botocore_loaded"]
    assert out["mro"] == [
        "lambdasim.aws.errors.ClientError",
        "lambdasim.aws.errors._StandaloneClientError",
        "builtins.Exception",
        "builtins.BaseException",
        "builtins.object",
    ]
    message, response, operation, is_ours = out["client_error"]
    assert is_ours and operation == "GetFunction"
    assert message == str(botocore.exceptions.ClientError(response, "GetFunction"))
    message, kwargs, is_value_error = out["param"]
    assert is_value_error
    assert message == str(botocore.exceptions.ParamValidationError(**kwargs))
    for i, response in enumerate(RESPONSES):
        assert out[f"message{i}"] == str(botocore.exceptions.ClientError(response, "Invoke"))
