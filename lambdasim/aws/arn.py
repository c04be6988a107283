"""Function names, ARNs and qualifiers, in every form Lambda accepts. Pure string rules."""

from __future__ import annotations

import re

from attrs import frozen

LATEST = "$LATEST"

# Lambda's FunctionName pattern (botocore model, Invoke/GetFunction): name, partial ARN or full ARN,
# optionally with a qualifier.
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
# "function:" is optional in both ARN forms, as in the model's pattern: AWS reads
# "arn:aws:lambda:REGION:ACCOUNT:function" as the function named "function" (recorded: LocalStack's
# test_function_name_and_qualifier_validation[incomplete_arn-*]).
_FULL = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"(function:)?(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_PARTIAL = re.compile(
    r"^(?P<account>\d{12}):(function:)?(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$"
)
_PLAIN = re.compile(r"^(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$")
NAME_MAX = 64


@frozen
class FunctionRef:
    """A parsed ``FunctionName``: the bare name, and the qualifier and account/region if the caller gave them."""

    name: str
    qualifier: str | None = None
    account: str | None = None
    region: str | None = None


def parse_function_name(value: str) -> FunctionRef | None:
    """Parse a name, ``name:qualifier``, partial ARN or full ARN; ``None`` if it is none of them.

    A name longer than :data:`NAME_MAX` parses (no function can have it, so looking it up finds none, as AWS
    answers); creating a function checks the length.
    """
    for pattern in (_FULL, _PARTIAL, _PLAIN):
        m = pattern.match(value)
        if m:
            groups = m.groupdict()
            return FunctionRef(groups["name"], groups.get("qualifier"), groups.get("account"), groups.get("region"))
    return None


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    """``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``."""
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def service_of(arn: str) -> str | None:
    """The service part of an ARN (``sqs``, ``sns``, ``lambda``, ``events``, ``s3``), or ``None``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[2]
