"""SNS subscription filter policies: checked as SNS checks them, matched as SNS matches them.

A policy is a JSON object. With ``FilterPolicyScope`` ``MessageAttributes`` (the default) each key names a message
attribute and maps to an array of conditions; with ``MessageBody`` keys may nest objects, matched against the JSON
message body. A message passes when every key matches (AND) and, for each key, at least one condition does (OR);
``"$or": [policy, policy, ...]`` ORs whole policies [doc: https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html].

Conditions: an exact string, number, ``true``/``false`` or ``null``; ``{"prefix": s}``, ``{"suffix": s}``,
``{"equals-ignore-case": s}``; ``{"anything-but": value | [values] | {"prefix": s}}``; ``{"numeric": [op, n, ...]}``
(``=``, or one or two bounds among ``>``, ``>=``, ``<``, ``<=``); ``{"exists": bool}``; ``{"cidr": "10.0.0.0/24"}``.

Attribute types, as SNS reads them: a ``String`` attribute matches strings (and ``cidr``), a ``Number`` attribute
matches numbers (exact or ``numeric``), a ``String.Array`` attribute matches if any element does; ``Binary``
attributes match nothing but ``exists``.

Errors are SNS's ``InvalidParameter``, in its words as recorded on AWS (LocalStack's snapshots): the message of
:class:`FilterPolicyError` is the reason (``Empty arrays are not allowed``); SNS also appends Jackson's location in
the policy text (``\\n at [Source: ...; line: 1, column: 10]``), which lambdasim leaves out [model].
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from lambdasim.aws._patterns import match_tree

MAX_KEYS = 5
MAX_COMBINATIONS = 150
"""SNS's limits: five keys per policy, and at most 150 combinations of values (the product over the keys of their
number of conditions, summed over the branches of ``$or``) [doc: filter policy constraints]."""

SCOPES = ("MessageAttributes", "MessageBody")
_NUMERIC_NAMES = {"=": "equals", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr")


class FilterPolicyError(ValueError):
    """A policy SNS refuses; ``nested``: the attribute scope's own error, which SNS words without ``FilterPolicy:``."""

    def __init__(self, reason: str, *, nested: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.nested = nested


def parse(text: str, scope: str) -> dict[str, Any]:
    """The policy ``text`` for ``scope``, checked; raises :class:`FilterPolicyError`."""
    try:
        policy = json.loads(text)
    except ValueError as exc:
        raise FilterPolicyError(f"failed to parse JSON. {exc}") from None
    if not isinstance(policy, dict):
        raise FilterPolicyError("Filter policy must be a JSON object")
    keys = _check(policy, scope)
    if keys > MAX_KEYS:
        raise FilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
    if _combinations(policy) > MAX_COMBINATIONS:
        raise FilterPolicyError("Filter policy is too complex")
    return policy


def _check(policy: dict[str, Any], scope: str) -> int:
    """Check a (sub)policy; return its number of leaf keys."""
    keys = 0
    for key, value in policy.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise FilterPolicyError("Value of $or must be an array of more than one pattern")
            for part in value:
                if not isinstance(part, dict):
                    raise FilterPolicyError("Value of $or must be an array of more than one pattern")
                keys = max(keys, _check(part, scope))
        elif isinstance(value, dict):
            keys += _check(value, scope)  # its syntax first, as SNS reports it
            if scope == "MessageAttributes":
                raise FilterPolicyError(
                    "Filter policy scope MessageAttributes does not support nested filter policy", nested=True
                )
        elif isinstance(value, list):
            if not value:
                raise FilterPolicyError("Empty arrays are not allowed")
            for condition in value:
                _check_condition(condition)
            keys += 1
        else:
            raise FilterPolicyError(f'"{key}" must be an object or an array')
    return keys


def _check_condition(condition: Any) -> None:
    if condition is None or isinstance(condition, (str, int, float, bool)):
        return
    if not isinstance(condition, dict):
        raise FilterPolicyError("Match value must be String, number, true, false, or null")
    if len(condition) != 1:
        raise FilterPolicyError("Only one key allowed in match expression")
    ((op, arg),) = condition.items()
    if op not in _OPERATORS:
        raise FilterPolicyError(f"Unrecognized match type {op}")
    if op in ("prefix", "suffix", "equals-ignore-case") and not isinstance(arg, str):
        raise FilterPolicyError(f"{op} match pattern must be a string")
    if op == "exists" and not isinstance(arg, bool):
        raise FilterPolicyError("exists match pattern must be either true or false.")
    if op == "cidr":
        _check_cidr(arg)
    if op == "numeric":
        _check_numeric(arg)
    if op == "anything-but":
        _check_anything_but(arg)


def _check_cidr(arg: Any) -> None:
    if not isinstance(arg, str):
        raise FilterPolicyError("prefix match pattern must be a string")  # SNS's words for it, as recorded
    address, slash, bits = arg.partition("/")
    if not slash or "/" in bits:
        raise FilterPolicyError("Malformed CIDR, one '/' required")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise FilterPolicyError(f"Nonstandard IP address: {address}") from None
    if not bits.isdigit():
        raise FilterPolicyError("Malformed CIDR, mask bits must be an integer")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_numeric(arg: Any) -> None:
    if not isinstance(arg, list) or not arg:
        raise FilterPolicyError("Invalid member in numeric match: ]")
    first = arg[0]
    if not isinstance(first, str):
        raise FilterPolicyError(f"Invalid member in numeric match: {json.dumps(first)}")
    if first not in _NUMERIC_NAMES:
        raise FilterPolicyError(f"Unrecognized numeric range operator: {first}")
    if len(arg) < 2 or not _is_number(arg[1]):
        raise FilterPolicyError(f"Value of {_NUMERIC_NAMES[first]} must be numeric")
    if len(arg) == 2:
        return
    if first in ("=", "<", "<="):
        raise FilterPolicyError("Too many elements in numeric expression")
    second = arg[2]
    if not isinstance(second, str):
        raise FilterPolicyError(f"Bad value in numeric range: {json.dumps(second)}")
    if second not in ("<", "<="):
        raise FilterPolicyError(f"Bad numeric range operator: {second}")
    if len(arg) < 4 or not _is_number(arg[3]):
        raise FilterPolicyError(f"Value of {second} must be numeric")
    if len(arg) > 4:
        raise FilterPolicyError("Too many terms in numeric range expression")
    if arg[1] >= arg[3]:
        raise FilterPolicyError("Bottom must be less than top")


def _check_anything_but(arg: Any) -> None:
    if isinstance(arg, dict):
        if len(arg) != 1:
            raise FilterPolicyError("Only one key allowed in match expression")
        ((op, value),) = arg.items()
        if op != "prefix":
            raise FilterPolicyError(f"Unsupported anything-but pattern: {op}")
        if not isinstance(value, str):
            raise FilterPolicyError("prefix match pattern must be a string")
        return
    values = arg if isinstance(arg, list) else [arg]
    if not values or not all(isinstance(v, str) or _is_number(v) for v in values):
        raise FilterPolicyError("Inside anything but list, start|null|boolean is not supported.")


def _combinations(policy: dict[str, Any]) -> int:
    total = 1
    for key, value in policy.items():
        if key == "$or":
            total *= sum(_combinations(part) for part in value)
        elif isinstance(value, dict):
            total *= _combinations(value)
        else:
            total *= len(value)
    return total


# -- matching ---------------------------------------------------------------------------------------------------------

_ABSENT: Any = object()


def attribute_values(attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Message attributes as the matcher reads them: a string, a number, a list (``String.Array``), or
    :data:`BINARY` for a binary attribute."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        kind = str(attr.get("DataType", ""))
        value = attr.get("StringValue")
        if kind.startswith("Number") and value is not None:
            try:
                out[name] = float(value)
            except ValueError:
                out[name] = value
        elif kind.startswith("String.Array") and value is not None:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            out[name] = parsed if isinstance(parsed, list) else [parsed]
        elif kind.startswith("Binary"):
            out[name] = BINARY
        else:
            out[name] = value
    return out


BINARY: Any = object()


def matches(policy: dict[str, Any], values: Any) -> bool:
    """Whether ``values`` (attribute values, or the parsed body) pass ``policy``."""
    return match_tree(policy, values, _any_condition, _ABSENT)


def _any_condition(spec: list[Any], value: Any) -> bool:
    """A leaf of a policy: a list of conditions, any of which the value meets."""
    return any(_condition(c, value) for c in spec)


def _condition(condition: Any, value: Any) -> bool:
    if isinstance(condition, dict) and "exists" in condition:
        return (value is not _ABSENT) is bool(condition["exists"])
    if value is _ABSENT or value is BINARY:
        return False
    if isinstance(value, list):
        return any(_one(condition, v) for v in value)
    return _one(condition, value)


def _same(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if _is_number(expected):
        return _is_number(value) and float(value) == float(expected)
    return isinstance(value, str) and value == expected


def _one(condition: Any, value: Any) -> bool:
    if not isinstance(condition, dict):
        return _same(condition, value)
    ((op, arg),) = condition.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == arg.lower()
    if op == "anything-but":
        if isinstance(arg, dict):
            return isinstance(value, str) and not value.startswith(arg["prefix"])
        banned = arg if isinstance(arg, list) else [arg]
        return not any(_same(b, value) for b in banned)
    if op == "numeric":
        if not _is_number(value):
            return False
        return all(_compare(float(value), arg[i], float(arg[i + 1])) for i in range(0, len(arg), 2))
    if op == "cidr":
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    return False


def _compare(value: float, op: str, bound: float) -> bool:
    if op == "=":
        return value == bound
    if op == "<":
        return value < bound
    if op == "<=":
        return value <= bound
    if op == ">":
        return value > bound
    return value >= bound
