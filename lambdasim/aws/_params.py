"""Client-side parameter checks in botocore's words (``ParamValidationError``), before any service call.

Each operation declares its members as ``name: Member``. Like botocore, the client checks names, required members,
types and minimums; maximums, patterns and enums are the service's to reject (``ValidationException``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from lambdasim.aws.errors import ParamValidationError

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "list": (list, tuple),
    "structure": (dict,),
    "map": (dict,),
    "blob": (bytes, bytearray, str),
    "any": (object,),
}


@frozen
class Member:
    """One input member: botocore shape type, whether required, and a client-side minimum (value or length)."""

    type: str
    required: bool = False
    min: int | None = None


def validate(params: Mapping[str, Any], members: Mapping[str, Member]) -> None:
    """Raise ``ParamValidationError`` listing every problem, as botocore does."""
    errors: list[str] = []
    for name, member in members.items():
        if member.required and name not in params:
            errors.append(f'Missing required parameter in input: "{name}"')
    # botocore's order: missing members, then unknown names, then the known members' values.
    for name in params:
        if name not in members:
            errors.append(f'Unknown parameter in input: "{name}", must be one of: {", ".join(members)}')
    for name, value in params.items():
        if name in members:
            errors.extend(_check(name, value, members[name]))
    if errors:
        raise ParamValidationError("\n".join(errors))


def _check(name: str, value: Any, member: Member) -> list[str]:
    if member.type == "any":
        return []
    if member.type == "blob" and hasattr(value, "read"):
        return []
    types = _PY_TYPES[member.type]
    wrong_bool = member.type == "integer" and isinstance(value, bool)
    if wrong_bool or not isinstance(value, types):
        # botocore's wording exactly (``str(value)``, and "file-like object" for blobs).
        names = [str(bytes), str(bytearray), "file-like object"] if member.type == "blob" else [str(t) for t in types]
        valid = ", ".join(names)
        return [f"Invalid type for parameter {name}, value: {value}, type: {type(value)}, valid types: {valid}"]
    if member.min is not None:
        checked: Any = value  # isinstance() above narrowed it to object
        if member.type == "integer":
            if checked < member.min:
                return [f"Invalid value for parameter {name}, value: {checked}, valid min value: {member.min}"]
        elif len(checked) < member.min:
            return [f"Invalid length for parameter {name}, value: {len(checked)}, valid min length: {member.min}"]
    return []
