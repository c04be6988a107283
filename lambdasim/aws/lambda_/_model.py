"""The Lambda model lambdasim validates against: botocore's shapes plus lambdasim's documented extensions.

Everything here is botocore's (:mod:`lambdasim.aws.lambda_._shapes`, generated) except what :data:`EXTENSIONS`
lists, each with its reason. ``tests/test_conformance.py`` checks that the two differ by exactly these.
"""

from __future__ import annotations

import copy
from typing import Any

from lambdasim.aws.lambda_._shapes import ERROR_CODES, OPERATIONS, PAGINATORS
from lambdasim.aws.lambda_._shapes import SHAPES as BOTOCORE_SHAPES

__all__ = ["ERROR_CODES", "EXTENSIONS", "OPERATIONS", "PAGINATORS", "SHAPES", "input_shape"]

EXTENSIONS: dict[str, str] = {
    "CreateFunctionRequest.Duration": (
        "lambdasim: seconds per invocation of a plain handler, a number or a lambdasim.dist distribution"
    ),
    "CreateFunctionRequest.InitDuration": "lambdasim: cold-start init time, a number or a distribution",
    "CreateFunctionRequest.Handler": (
        "lambdasim: also a callable (event, context), an async def handler or a lambdasim.Behaviour; "
        "a string keeps the model's constraints"
    ),
    "CreateFunctionRequest.required": (
        "lambdasim: Role and Code are optional (a default role; without Code, Handler names a callable, a Behaviour "
        "or a module importable where the simulation runs)"
    ),
    "UpdateFunctionConfigurationRequest.Duration": "lambdasim: as on CreateFunction",
    "UpdateFunctionConfigurationRequest.InitDuration": "lambdasim: as on CreateFunction",
    "UpdateFunctionConfigurationRequest.Handler": "lambdasim: as on CreateFunction",
    "UpdateFunctionConfigurationRequest.Architectures": (
        "lambdasim: accepted here as well as on UpdateFunctionCode, where AWS takes it"
    ),
    "Runtime.enum": (
        "not checked as a model constraint: AWS refuses a deprecated or unknown runtime with an "
        "InvalidParameterValueException of its own (lambdasim.aws.lambda_.runtimes)"
    ),
    "MemorySize.max": "10240 MB, AWS's limit for functions (the model's 32768 is for capacity providers)",
    "Timeout.max": "900 s, AWS's limit (the model gives no maximum)",
}

_DURATION = "LambdasimDuration"
_HANDLER = "LambdasimHandler"


def _extend(shapes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = copy.deepcopy(shapes)
    out[_DURATION] = {"type": "any"}
    out[_HANDLER] = {**out["Handler"], "type": "any"}
    for request in ("CreateFunctionRequest", "UpdateFunctionConfigurationRequest"):
        members = out[request]["members"]
        members["Handler"] = _HANDLER
        members["Duration"] = _DURATION
        members["InitDuration"] = _DURATION
    out["UpdateFunctionConfigurationRequest"]["members"]["Architectures"] = "ArchitecturesList"
    out["CreateFunctionRequest"]["required"] = ["FunctionName"]
    out["Runtime"].pop("enum", None)
    out["MemorySize"]["max"] = 10240
    out["Timeout"]["max"] = 900
    return out


SHAPES: dict[str, dict[str, Any]] = _extend(BOTOCORE_SHAPES)
"""botocore's input shapes with :data:`EXTENSIONS` applied."""


def input_shape(operation: str) -> str:
    """The input shape name of ``operation`` (for example ``"PutFunctionEventInvokeConfigRequest"``)."""
    name = OPERATIONS[operation][0]
    assert name is not None
    return name
