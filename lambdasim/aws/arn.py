"""Function names, ARNs and qualifiers, in every form Lambda accepts. Pure string rules."""

from __future__ import annotations

import functools
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

    Remembered for names of up to :data:`_REMEMBERED_MAX` characters (a ``FunctionRef`` is immutable): an event source
    mapping or a script names the same function at every invoke, and three regular expressions and an object per
    invoke were about a twentieth of an SQS message's cost.
    """
    if type(value) is str and len(value) <= _REMEMBERED_MAX:  # (anything else fails in _parse, as it did)
        return _parse_remembered(value)
    return _parse(value)


# Longer than any valid FunctionName (a full ARN with a qualifier is at most 140 characters): a longer string is parsed
# each time, so that hostile names cannot fill the memory.
_REMEMBERED_MAX = 256


def _parse(value: str) -> FunctionRef | None:
    for pattern in (_FULL, _PARTIAL, _PLAIN):
        m = pattern.match(value)
        if m:
            groups = m.groupdict()
            return FunctionRef(groups["name"], groups.get("qualifier"), groups.get("account"), groups.get("region"))
    return None


_parse_remembered = functools.lru_cache(maxsize=1024)(_parse)


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
