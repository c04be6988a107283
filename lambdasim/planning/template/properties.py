"""Reading one resource's properties with CloudFormation's types: each read resolves its intrinsics, checks the
type (CloudFormation also takes ``"30"`` for an integer and ``"true"`` for a boolean) and names the property in
its error. Properties that are not read are sorted into those that change nothing in a simulation (``inert``) and
those lambdasim does not model, which :func:`lambdasim.planning.template.from_template` lists in its one warning.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from lambdasim.core._validators import short_repr
from lambdasim.planning.template.intrinsics import TemplateError

if TYPE_CHECKING:
    from lambdasim.planning.template.stack import Stack

__all__ = ["Props"]

_INTEGER = re.compile(r"^\s*-?\d+\s*$")
ANY = frozenset({"*"})
"""``inert=ANY``: no property of the type changes a simulation except those read."""


class Props:
    """The properties of resource ``lid`` of ``stack``; ``inert`` names those that change nothing simulated."""

    def __init__(self, stack: Stack, lid: str, inert: frozenset[str] = frozenset()) -> None:
        self.stack = stack
        self.lid = lid
        self.inert = inert
        self.read: set[str] = set()

    def where(self, name: str) -> str:
        """The property's dotted path (``Resources.Worker.Properties.Timeout``)."""
        return f"Resources.{self.lid}.Properties.{name}"

    def error(self, name: str, problem: str) -> TemplateError:
        """An error naming the property."""
        where = self.where(name) if name else f"Resources.{self.lid}"
        return TemplateError(where, problem, self.stack.line(self.lid, name))

    def get(self, name: str, default: Any = None) -> Any:
        """The property, resolved (``default`` when absent)."""
        self.read.add(name)
        return self.stack.prop(self.lid, name, default)

    def has(self, name: str) -> bool:
        """Whether the template gives the property."""
        self.read.add(name)
        return name in self.stack.raw(self.lid)

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer property."""
        return to_integer(self.get(name), default, lambda p: self.error(name, p))

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean property."""
        return to_boolean(self.get(name), default, lambda p: self.error(name, p))

    def string(self, name: str, default: str | None = None) -> str | None:
        """A string property (numbers are taken as their text, as CloudFormation does)."""
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(name, f"must be a string, got {short_repr(value)}")
        return str(value)

    def mapping(self, name: str) -> dict[str, Any] | None:
        """A mapping property (``None`` when absent)."""
        value = self.get(name)
        if value is not None and not isinstance(value, dict):
            raise self.error(name, f"must be a mapping, got {short_repr(value)}")
        return value

    def listing(self, name: str) -> list[Any] | None:
        """A list property (``None`` when absent)."""
        value = self.get(name)
        if value is not None and not isinstance(value, list):
            raise self.error(name, f"must be a list, got {short_repr(value)}")
        return value

    def json(self, name: str) -> dict[str, Any] | None:
        """A JSON object property, given as a mapping or as JSON text (``RedrivePolicy``, ``EventPattern``)."""
        value = self.get(name)
        return to_json_object(value, lambda p: self.error(name, p))

    def unread(self) -> list[str]:
        """The properties given but neither read nor inert: what lambdasim does not model of this resource."""
        if self.inert is ANY:
            return []
        return [p for p in self.stack.raw(self.lid) if p not in self.read and p not in self.inert]


def to_integer(value: Any, default: int | None, error: Any) -> int | None:
    """``value`` as an integer (``default`` for ``None``); ``error(problem)`` builds the exception."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise error(f"must be an integer, got {short_repr(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise error(f"must be an integer, got {short_repr(value)}")


def to_boolean(value: Any, default: bool, error: Any) -> bool:
    """``value`` as a boolean (``true``/``false`` text too)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise error(f"must be true or false, got {short_repr(value)}")


def to_json_object(value: Any, error: Any) -> dict[str, Any] | None:
    """A JSON object given as a mapping or as JSON text."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise error(f"must be a JSON object, got invalid JSON ({exc})") from None
        if isinstance(parsed, dict):
            return parsed
    raise error(f"must be a JSON object, got {short_repr(value)}")
