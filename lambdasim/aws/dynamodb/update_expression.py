"""DynamoDB's ``UpdateExpression`` on top-level attributes: ``SET`` (with ``+``/``-``, ``if_not_exists`` and
``list_append``), ``REMOVE``, ``ADD`` (numbers and sets) and ``DELETE`` (from sets), applied to an item in
DynamoDB's attribute-value format.

As DynamoDB evaluates it [doc]
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html): every
operand is read from the item as it was before the update; each clause keyword appears at most once; two actions
on the same attribute are refused; the key's attributes cannot be changed; numbers are decimal with 38 significant
digits. Nested document paths (``a.b``, ``a[0]``) are refused as not simulated by lambdasim [model].
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Final

__all__ = ["UpdateExpressionError", "apply_update"]

Item = dict[str, dict[str, Any]]

_NUMBERS: Final = Context(prec=38)
_TOKEN: Final = re.compile(
    r"\s*(?:(?P<name>#?[A-Za-z_][A-Za-z0-9_\-]*)|(?P<value>:[A-Za-z0-9_]+)|(?P<index>[0-9]+)|(?P<op>[=+\-,()\.\[\]]))"
)
_CLAUSES: Final = ("SET", "REMOVE", "ADD", "DELETE")
_SETS: Final = ("SS", "NS", "BS")


class UpdateExpressionError(ValueError):
    """An update expression DynamoDB refuses (``ValidationException``), or one lambdasim does not simulate."""


def apply_update(
    item: Item, expression: str, names: dict[str, str], values: dict[str, Any], key_names: tuple[str, ...]
) -> Item:
    """The item after ``expression``; ``item`` (the item before) is not changed."""
    actions = _parse(expression, names, values)
    seen: set[str] = set()
    for _verb, name, _operand in actions:
        if name in key_names:
            raise UpdateExpressionError(
                f"One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part "
                "of the key"
            )
        if name in seen:
            raise UpdateExpressionError(
                "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one "
                f"of these paths; path one: [{name}], path two: [{name}]"
            )
        seen.add(name)
    new = dict(item)
    for verb, name, operand in actions:
        if verb == "SET":
            new[name] = operand(item)
        elif verb == "REMOVE":
            new.pop(name, None)
        elif verb == "ADD":
            new[name] = _add(item.get(name), operand(item))
        else:  # DELETE
            remaining = _delete(item.get(name), operand(item))
            if remaining is None:
                new.pop(name, None)
            else:
                new[name] = remaining
    return new


# -- parsing ------------------------------------------------------------------------------------------------------

Operand = Callable[[Item], dict[str, Any]]


class _Tokens:
    def __init__(self, expression: str) -> None:
        self.items: list[tuple[str, str]] = []
        pos = 0
        text = expression.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                near = text[pos : pos + 10].strip()
                raise UpdateExpressionError(
                    f'Invalid UpdateExpression: Syntax error; token: "{near[:1]}", near: "{near}"'
                )
            kind = match.lastgroup or "op"
            self.items.append((kind, match.group(kind)))
            pos = match.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.i] if self.i < len(self.items) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise UpdateExpressionError('Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ""')
        self.i += 1
        return token

    def expect(self, symbol: str) -> None:
        _kind, text = self.take()
        if text != symbol:
            raise UpdateExpressionError(f'Invalid UpdateExpression: Syntax error; token: "{text}", near: "{text}"')


def _parse(expression: str, names: dict[str, str], values: dict[str, Any]) -> list[tuple[str, str, Operand]]:
    if not expression.strip():
        raise UpdateExpressionError("Invalid UpdateExpression: The expression can not be empty;")
    tokens = _Tokens(expression)
    actions: list[tuple[str, str, Operand]] = []
    used: set[str] = set()

    def clause_keyword() -> str:
        kind, text = tokens.take()
        verb = text.upper()
        if kind != "name" or verb not in _CLAUSES:
            raise UpdateExpressionError(f'Invalid UpdateExpression: Syntax error; token: "{text}", near: "{text}"')
        if verb in used:
            raise UpdateExpressionError(
                f'Invalid UpdateExpression: The "{verb}" section can only be used once in an update expression;'
            )
        used.add(verb)
        return verb

    def path() -> str:
        kind, text = tokens.take()
        if kind != "name" or text.upper() in _CLAUSES:
            raise UpdateExpressionError(f'Invalid UpdateExpression: Syntax error; token: "{text}", near: "{text}"')
        nxt = tokens.peek()
        if nxt is not None and nxt[1] in (".", "["):
            raise UpdateExpressionError(
                f"UpdateExpression: nested attribute paths ({text}{nxt[1]}) are not simulated by lambdasim: "
                "top-level attributes only"
            )
        if text.startswith("#"):
            if text not in names:
                raise UpdateExpressionError(
                    "Invalid UpdateExpression: An expression attribute name used in the document path is not "
                    f"defined; attribute name: {text}"
                )
            return names[text]
        return text

    def value() -> dict[str, Any]:
        kind, text = tokens.take()
        if kind != "value":
            raise UpdateExpressionError(f'Invalid UpdateExpression: Syntax error; token: "{text}", near: "{text}"')
        if text not in values:
            raise UpdateExpressionError(
                "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
                f"attribute value: {text}"
            )
        return dict(values[text])

    def operand() -> Operand:
        token = tokens.peek()
        if token is not None and token[0] == "value":
            return _constant(value())
        if token is not None and token[0] == "name" and token[1] in ("if_not_exists", "list_append"):
            function = tokens.take()[1]
            tokens.expect("(")
            if function == "if_not_exists":
                name = path()
                tokens.expect(",")
                fallback = operand()
                tokens.expect(")")
                return lambda item: item[name] if name in item else fallback(item)
            first = operand()
            tokens.expect(",")
            second = operand()
            tokens.expect(")")
            return lambda item: _list_append(first(item), second(item))
        name = path()

        def read(item: Item) -> dict[str, Any]:
            if name not in item:
                raise UpdateExpressionError(
                    "The provided expression refers to an attribute that does not exist in the item"
                )
            return item[name]

        return read

    def set_value() -> Operand:
        left = operand()
        token = tokens.peek()
        if token is None or token[1] not in ("+", "-"):
            return left
        sign = tokens.take()[1]
        right = operand()
        return lambda item: _arithmetic(sign, left(item), right(item))

    verb = clause_keyword()
    while True:
        if verb == "SET":
            name = path()
            tokens.expect("=")
            actions.append((verb, name, set_value()))
        elif verb == "REMOVE":
            name = path()
            actions.append((verb, name, _constant({})))
        else:
            name = path()
            actions.append((verb, name, _constant(value())))
        token = tokens.peek()
        if token is None:
            return actions
        if token[1] == ",":
            tokens.take()
            continue
        verb = clause_keyword()


def _constant(value: dict[str, Any]) -> Operand:
    return lambda item: value


# -- evaluation ---------------------------------------------------------------------------------------------------


def _type(value: dict[str, Any]) -> str:
    return next(iter(value))


def _number(value: dict[str, Any], operator: str) -> Decimal:
    if _type(value) != "N":
        raise UpdateExpressionError(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: "
            f"{operator}, operand type: {_type(value)}"
        )
    try:
        return Decimal(str(value["N"]))
    except InvalidOperation:
        raise UpdateExpressionError(f"The parameter cannot be converted to a numeric value: {value['N']}") from None


def _as_number(d: Decimal) -> dict[str, str]:
    text = format(d.normalize(_NUMBERS), "f")
    return {"N": text}


def _arithmetic(sign: str, left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    a, b = _number(left, sign), _number(right, sign)
    return _as_number(_NUMBERS.add(a, b) if sign == "+" else _NUMBERS.subtract(a, b))


def _list_append(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    for part in (first, second):
        if _type(part) != "L":
            raise UpdateExpressionError(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: "
                f"list_append, operand type: {_type(part)}"
            )
    return {"L": list(first["L"]) + list(second["L"])}


def _add(current: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
    kind = _type(change)
    if kind not in ("N", *_SETS):
        raise UpdateExpressionError(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand "
            f"type: {kind}"
        )
    if current is None:
        return dict(change)
    if _type(current) != kind:
        raise UpdateExpressionError("An operand in the update expression has an incorrect data type")
    if kind == "N":
        return _as_number(_NUMBERS.add(_number(current, "ADD"), _number(change, "ADD")))
    merged = list(current[kind])
    merged += [v for v in change[kind] if v not in merged]
    return {kind: merged}


def _delete(current: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any] | None:
    kind = _type(change)
    if kind not in _SETS:
        raise UpdateExpressionError(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand "
            f"type: {kind}"
        )
    if current is None:
        return None
    if _type(current) != kind:
        raise UpdateExpressionError("An operand in the update expression has an incorrect data type")
    kept = [v for v in current[kind] if v not in change[kind]]
    return {kind: kept} if kept else None
