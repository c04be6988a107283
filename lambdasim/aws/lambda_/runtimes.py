"""Which ``Runtime`` values Lambda accepts on ``CreateFunction`` and ``UpdateFunctionConfiguration``.

AWS checks the runtime itself rather than by the model's enum (botocore lists every runtime there ever was): a
deprecated one is refused with its own message, anything else not current with the list of current runtimes
(recorded in January 2026, LocalStack's ``test_lambda_api.py::TestLambdaFunction::test_create_lambda_exceptions``
and ``TestRuntimeValidation::test_create_deprecated_function_runtime_with_validation_enabled``).
"""

from __future__ import annotations

from lambdasim.aws.lambda_._shapes import SHAPES

__all__ = ["DEPRECATED", "SUPPORTED", "runtime_problem"]

# Runtimes past their block-function-create date [doc] (https://docs.aws.amazon.com/lambda/latest/dg/
# lambda-runtimes.html, "Deprecated runtimes"); the eight of them LocalStack's recordings cover answer as below.
DEPRECATED = frozenset(
    {
        "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
        "nodejs14.x", "java8", "python2.7", "python3.6", "python3.7", "dotnetcore1.0", "dotnetcore2.0",
        "dotnetcore2.1", "dotnetcore3.1", "go1.x", "ruby2.5", "ruby2.7", "provided",
    }
)  # fmt: skip
# The current runtimes in the order AWS's message listed them (a Java set's order, recorded in January 2026)...
_RECORDED = (
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x", "nodejs22.x", "java25",
    "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2", "python3.8", "python3.9", "java17",
    "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6", "nodejs18.x", "provided.al2", "java8.al2",
)  # fmt: skip
# ... then those botocore's model added since, in the model's order.
SUPPORTED: tuple[str, ...] = _RECORDED + tuple(
    r for r in SHAPES["Runtime"].get("enum", ()) if r not in DEPRECATED and r not in _RECORDED
)


def runtime_problem(runtime: str) -> str | None:
    """AWS's ``InvalidParameterValueException`` message for ``runtime``, or ``None`` if Lambda accepts it."""
    if runtime in SUPPORTED or runtime.startswith("arn:"):
        return None
    if runtime in DEPRECATED:
        return (
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions."
        )
    return (
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{', '.join(SUPPORTED)}] or be a valid ARN"
    )
