"""Request validation driven by a service model's shapes, in botocore's and AWS's words.

Two passes, as on the real path of a boto3 call:

- :func:`validate_input` is botocore's client-side ``ParamValidator``: unknown or missing members, wrong types,
  values below ``min`` (value or length). It raises ``ParamValidationError`` with botocore's report, line for line.
- :func:`constraint_violations` is the service's model validation: what botocore leaves to the server (``max``,
  ``enum``, ``pattern``). It returns the problems; :func:`validation_message` words them as AWS's
  ``ValidationException``: ``1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy
  constraint: Member must have value less than or equal to 2``. A member of the n-th structure of a list is at
  ``list.n.member.name`` (``targets.1.member.inputTransformer``), as AWS's services print it.

Shapes are plain dicts as ``tools/gen_shapes.py`` writes them: ``{"type": ..., "min"/"max"/"enum"/"pattern":
..., "members": {name: shape}, "required": [...], "member": shape, "key": shape, "value": shape}``. The type
``"any"`` is lambdasim's own, for extensions (a callable ``Handler``): botocore-side it accepts anything,
server-side string constraints apply only when the value is a string.
"""

from __future__ import annotations

import decimal
import email.utils
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lambdasim.aws.errors import ParamValidationError

Shapes = Mapping[str, Mapping[str, Any]]
Problem = tuple[str, str, str]
"""One server-side violation: ``(value as AWS prints it, camelCase path, constraint)``."""

_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (float, decimal.Decimal, int),
    "float": (float, decimal.Decimal, int),
}
_CONTAINER_TYPES: dict[str, tuple[type, ...]] = {"structure": (dict,), "map": (dict,), "list": (list, tuple)}
_VALIDATED = ("required", "min")  # botocore checks list items one by one only if their shape has these


# -- botocore's client side ---------------------------------------------------------------------------------------


def validate_input(params: Mapping[str, Any], shapes: Shapes, shape_name: str) -> None:
    """Raise ``ParamValidationError`` with every problem botocore's ``ParamValidator`` would report."""
    errors: list[str] = []
    _validate(params, shapes, shape_name, errors, "")
    if errors:
        raise ParamValidationError("\n".join(errors))


def _name(name: str) -> str:
    return "input" if not name else name.removeprefix(".")


def _type_error(value: Any, valid: list[str], errors: list[str], name: str) -> None:
    kinds = ", ".join(valid)
    line = f"Invalid type for parameter {_name(name)}, value: {value}, type: {type(value)}, valid types: {kinds}"
    errors.append(line)


def _type_ok(value: Any, types: tuple[type, ...], errors: list[str], name: str) -> bool:
    if isinstance(value, types):
        return True
    _type_error(value, [str(t) for t in types], errors, name)
    return False


def _min(size: Any, shape: Mapping[str, Any], what: str, errors: list[str], name: str) -> None:
    """botocore's range check: ``what`` is ``"value"`` (numbers) or ``"length"`` (strings, lists)."""
    if "min" in shape and size < shape["min"]:
        errors.append(f"Invalid {what} for parameter {_name(name)}, value: {size}, valid min {what}: {shape['min']}")


def _validate(value: Any, shapes: Shapes, shape_name: str, errors: list[str], name: str) -> None:
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "any":
        return
    if kind == "structure":
        if not _type_ok(value, _CONTAINER_TYPES[kind], errors, name):
            return
        members = shape["members"]
        if shape.get("union") and len(value) != 1:
            # botocore's words for a tagged union (its "Must set ... for tagged union" lacks a space, as here).
            if value:
                errors.append(
                    f"Invalid number of parameters set for tagged union structure {_name(name)}. Can only set one "
                    f"of the following keys: {', '.join(members)}."
                )
            else:
                errors.append(
                    f"Must set one of the following keys for tagged unionstructure {_name(name)}: {', '.join(members)}."
                )
        for required in shape.get("required", ()):
            if required not in value:
                errors.append(f'Missing required parameter in {_name(name)}: "{required}"')
        for key in value:
            if key not in members:
                errors.append(f'Unknown parameter in {_name(name)}: "{key}", must be one of: {", ".join(members)}')
        for key in value:
            if key in members:
                _validate(value[key], shapes, members[key], errors, f"{name}.{key}")
    elif kind == "list":
        if not _type_ok(value, _CONTAINER_TYPES[kind], errors, name):
            return
        _min(len(value), shape, "length", errors, name)
        item = shapes[shape["member"]]
        if item["type"] in _SCALAR_TYPES and not any(k in item for k in _VALIDATED):
            for i, element in enumerate(value):
                _type_ok(element, _SCALAR_TYPES[item["type"]], errors, f"{name}[{i}]")
            return
        for i, element in enumerate(value):
            _validate(element, shapes, shape["member"], errors, f"{name}[{i}]")
    elif kind == "map":
        if not _type_ok(value, _CONTAINER_TYPES[kind], errors, name):
            return
        for key, element in value.items():
            _validate(key, shapes, shape["key"], errors, f"{name} (key: {key})")
            _validate(element, shapes, shape["value"], errors, f"{name}.{key}")
    elif kind == "string":
        if _type_ok(value, _SCALAR_TYPES[kind], errors, name):
            _min(len(value), shape, "length", errors, name)
    elif kind in ("integer", "long", "double", "float"):
        if isinstance(value, bool):
            # botocore would send ``true``, which no number member takes: refused here, in botocore's words. [model]
            _type_error(value, [str(t) for t in _SCALAR_TYPES[kind]], errors, name)
        elif _type_ok(value, _SCALAR_TYPES[kind], errors, name):
            _min(value, shape, "value", errors, name)
    elif kind == "boolean":
        _type_ok(value, _SCALAR_TYPES[kind], errors, name)
    elif kind == "blob":
        if not (isinstance(value, (bytes, bytearray, str)) or hasattr(value, "read")):
            _type_error(value, [str(bytes), str(bytearray), "file-like object"], errors, name)
    elif kind == "timestamp":
        if as_epoch(value) is None:
            _type_error(value, [str(datetime), "timestamp-string"], errors, name)
    else:  # pragma: no cover - a shape type the generator would have to learn first
        raise ValueError(f"shape {shape_name!r} has unsupported type {kind!r}")


def as_epoch(value: Any) -> float | None:
    """A boto3 timestamp argument as Unix time, or ``None`` if botocore would refuse it: a ``datetime`` (naive is
    UTC), epoch seconds (a number, or anything ``float()`` reads, as botocore reads them), or an ISO 8601 or RFC 822
    string. (botocore parses other strings with dateutil, which also reads a few looser forms such as
    ``"Jan 1 2026"``: lambdasim does not.)"""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            pass
        else:
            return seconds if math.isfinite(seconds) else None
        if isinstance(value, bytes):
            value = value.decode("ascii", errors="replace")
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# -- the service's model validation ---------------------------------------------------------------------------------


def constraint_violations(
    params: Mapping[str, Any], shapes: Shapes, shape_name: str, *, not_null: bool = True
) -> list[Problem]:
    """The ``max``/``enum``/``pattern`` violations of ``params`` (already past :func:`validate_input`).

    ``not_null``: whether the constraints of a list item, map key or map value end with ``Member must not be null``,
    as Lambda's do; botocore's models do not say which services print it (EventBridge's messages do not).
    """
    problems: list[Problem] = []
    _check_structure(params, shapes, shapes[shape_name], problems, "", not_null)
    return problems


def validation_message(problems: list[Problem]) -> str:
    """AWS's ``ValidationException`` message for ``problems`` (at least one)."""
    n = len(problems)
    noun = "error" if n == 1 else "errors"
    parts = "; ".join(f"Value '{value}' at '{path}' failed to satisfy constraint: {c}" for value, path, c in problems)
    return f"{n} validation {noun} detected: {parts}"


def aws_repr(value: Any, shapes: Shapes | None = None, shape_name: str | None = None) -> str:
    """A value as the Java service prints it: ``[a, b]`` for lists, ``{k=v}`` for maps, ``true`` for booleans, and,
    given its shape, a double as Java's ``Double.toString`` does (``{2=2.0}``, as recorded for a routing config)."""
    shape = shapes[shape_name] if shapes is not None and shape_name is not None else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if shape is not None and shape["type"] in ("double", "float") and isinstance(value, (int, float)):
        try:
            return repr(float(value))
        except OverflowError:  # an integer beyond any double: Java reads it as infinity
            return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, (list, tuple)):
        member = shape["member"] if shape is not None else None
        return "[" + ", ".join(aws_repr(v, shapes, member) for v in value) + "]"
    if isinstance(value, Mapping):
        key, item = (shape["key"], shape["value"]) if shape is not None and shape["type"] == "map" else (None, None)
        return (
            "{" + ", ".join(f"{aws_repr(k, shapes, key)}={aws_repr(v, shapes, item)}" for k, v in value.items()) + "}"
        )
    return str(value)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _check_structure(
    value: Mapping[str, Any], shapes: Shapes, shape: Mapping[str, Any], problems: list[Problem], path: str, nn: bool
) -> None:
    for member, member_shape in shape["members"].items():
        if member in value and value[member] is not None:
            child = f"{path}.{_camel(member)}" if path else _camel(member)
            _check(value[member], shapes, member_shape, problems, child, nn)


def _check(value: Any, shapes: Shapes, shape_name: str, problems: list[Problem], path: str, nn: bool) -> None:
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        _check_structure(value, shapes, shape, problems, path, nn)
    elif kind == "list":
        item = shapes[shape["member"]]
        if "max" in shape and len(value) > shape["max"]:
            problems.append(
                (
                    aws_repr(value, shapes, shape_name),
                    path,
                    f"Member must have length less than or equal to {shape['max']}",
                )
            )
        elif item["type"] == "structure":  # each item's own members, at list.n.member.name
            for n, element in enumerate(value, 1):
                if element is not None:
                    _check_structure(element, shapes, item, problems, f"{path}.{n}.member", nn)
        elif any(_fails(v, shapes, shape["member"], nn) for v in value):
            constraint = f"Member must satisfy constraint: {_all(shapes, shape['member'], nn)}"
            problems.append((aws_repr(value, shapes, shape_name), path, constraint))
    elif kind == "map":
        if "max" in shape and len(value) > shape["max"]:
            problems.append(
                (
                    aws_repr(value, shapes, shape_name),
                    path,
                    f"Member must have length less than or equal to {shape['max']}",
                )
            )
        elif any(_fails(k, shapes, shape["key"], nn) for k in value):
            constraint = f"Map keys must satisfy constraint: {_all(shapes, shape['key'], False)}"  # keys: never null
            problems.append((aws_repr(value, shapes, shape_name), path, constraint))
        elif any(_fails(v, shapes, shape["value"], nn) for v in value.values()):
            constraint = f"Map value must satisfy constraint: {_all(shapes, shape['value'], nn)}"
            problems.append((aws_repr(value, shapes, shape_name), path, constraint))
    else:
        for failed in _scalar_failures(value, shape):
            problems.append((aws_repr(value, shapes, shape_name), path, failed))


def _scalar_failures(value: Any, shape: Mapping[str, Any]) -> list[str]:
    """The constraints ``value`` breaks, in AWS's words: a string's length and then its enum or pattern, each
    reported (AWS lists a name both too long and off the pattern twice, as LocalStack's
    test_function_name_and_qualifier_validation recorded)."""
    if shape["type"] in ("string", "any") and isinstance(value, str):
        out = []
        if "max" in shape and len(value) > shape["max"]:
            out.append(f"Member must have length less than or equal to {shape['max']}")
        elif "min" in shape and len(value) < shape["min"]:
            out.append(f"Member must have length greater than or equal to {shape['min']}")
        if "enum" in shape and value not in shape["enum"]:
            out.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
        elif "pattern" in shape and _regex(shape["pattern"]).fullmatch(value) is None:
            out.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
        return out
    failed = _scalar_failure(value, shape)
    return [] if failed is None else [failed]


def _scalar_failure(value: Any, shape: Mapping[str, Any]) -> str | None:
    """The first constraint ``value`` breaks, in AWS's words; ``None`` if it keeps them all."""
    kind = shape["type"]
    if kind in ("string", "any"):
        if not isinstance(value, str):
            return None  # "any": a lambdasim extension (a callable Handler) has no string constraints
        if "max" in shape and len(value) > shape["max"]:
            return f"Member must have length less than or equal to {shape['max']}"
        if "min" in shape and len(value) < shape["min"]:
            return f"Member must have length greater than or equal to {shape['min']}"
        if "enum" in shape and value not in shape["enum"]:
            return f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]"
        if "pattern" in shape and _regex(shape["pattern"]).fullmatch(value) is None:
            return f"Member must satisfy regular expression pattern: {shape['pattern']}"
    elif kind in ("integer", "long", "double", "float"):
        if value != value and ("max" in shape or "min" in shape):  # nan: AWS's JSON has none, and no range holds it
            bound = (
                "less than or equal to " + str(shape["max"])
                if "max" in shape
                else f"greater than or equal to {shape['min']}"
            )
            return f"Member must have value {bound}"
        if "max" in shape and value > shape["max"]:
            return f"Member must have value less than or equal to {shape['max']}"
        if "min" in shape and value < shape["min"]:
            return f"Member must have value greater than or equal to {shape['min']}"
    return None


def _fails(value: Any, shapes: Shapes, shape_name: str, nn: bool) -> bool:
    shape = shapes[shape_name]
    if value is None:
        return True
    if shape["type"] in ("structure", "list", "map"):
        nested: list[Problem] = []
        _check(value, shapes, shape_name, nested, "", nn)
        return bool(nested)
    return _scalar_failure(value, shape) is not None


def _all(shapes: Shapes, shape_name: str, not_null: bool) -> str:
    """Every constraint of a list item, map key or map value, as AWS lists them for a container."""
    shape = shapes[shape_name]
    what = "value" if shape["type"] in ("integer", "long", "double", "float") else "length"
    parts = []
    if "max" in shape:
        parts.append(f"Member must have {what} less than or equal to {shape['max']}")
    if "min" in shape:
        parts.append(f"Member must have {what} greater than or equal to {shape['min']}")
    if "pattern" in shape:
        parts.append(f"Member must satisfy regular expression pattern: {shape['pattern']}")
    if "enum" in shape:
        parts.append(f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
    if not_null:
        parts.append("Member must not be null")
    return "[" + ", ".join(parts) + "]"


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # AWS matches the whole value (Java's Pattern.matches), hence fullmatch. Java's Unicode classes, which Python's
    # re lacks, as their nearest equivalents (IAM's tag patterns): letters as \w (which also takes digits and "_"),
    # numbers as \d, separators as the space characters.
    for java, python in _UNICODE_CLASSES:
        pattern = pattern.replace(java, python)
    return re.compile(pattern)


_UNICODE_CLASSES = (
    ("\\p{L}", "\\w"),
    ("\\p{N}", "\\d"),
    ("\\p{Z}", " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"),
)
