"""CloudFormation's intrinsic functions, conditions and pseudo parameters, resolved against one stack.

Supported: ``Ref`` (parameters, pseudo parameters, resources), ``Fn::GetAtt``, ``Fn::Sub`` (string, and
``[string, {variables}]``), ``Fn::Join``, ``Fn::If``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``,
``Fn::GetAZs``, ``Fn::Base64``, ``Fn::Length`` and ``Fn::ToJsonString``; in ``Conditions``: ``Fn::Equals``,
``Fn::And``, ``Fn::Or``, ``Fn::Not`` and ``Condition``. ``AWS::NoValue`` removes the property or list item it
stands for. ``Fn::ImportValue`` reads another stack's outputs, which a simulation of one template does not have: it is
an error naming where it is used (give the value as a parameter instead). Anything else named ``Fn::...`` is an
unknown intrinsic, an error.

The pseudo parameters are the simulated account's (:data:`PSEUDO`): region ``us-east-1``, account
``123456789012``, partition ``aws``, the stack name given (default ``lambdasim``).

>>> r = Resolver(parameters={"Env": "prod"}, stack_name="shop")
>>> r.resolve({"Fn::Sub": "${AWS::StackName}-${Env}-orders"}, "Resources.Q.Properties.QueueName")
'shop-prod-orders'
>>> r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "x")
'b'
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from lambdasim.core._validators import short_repr
from lambdasim.planning.template.loader import line_of

__all__ = ["ACCOUNT", "NO_VALUE", "PSEUDO", "REGION", "Resolver", "TemplateError"]

REGION = "us-east-1"
ACCOUNT = "123456789012"
"""Where the simulated stack lives: the :class:`~lambdasim.Simulation` defaults, so its ARNs match the simulation's."""

AZS = tuple(f"{REGION}{c}" for c in "abcdef")
"""``Fn::GetAZs``: us-east-1's six Availability Zones [doc: AWS Regions and Availability Zones]."""


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
"""What ``Ref: AWS::NoValue`` resolves to: the property or item holding it is removed."""


class TemplateError(ValueError):
    """A template that cannot be simulated as written.

    ``str(error)`` is ``"<source>: <where> (line N): <problem>"``.

    Attributes:
        where: The place as a dotted path (``Resources.Worker.Properties.Timeout``), or ``""`` for the template.
        problem: What is wrong.
        line: The line of the mapping holding it (0: unknown, as in a JSON template).
        source: The file (or ``"<template>"``).
    """

    def __init__(self, where: str, problem: str, line: int = 0, source: str = "<template>") -> None:
        self.where = where
        self.problem = problem
        self.line = line
        self.source = source
        place = where + (f" (line {line})" if line else "")
        super().__init__(f"{source}: {place}: {problem}" if place else f"{source}: {problem}")

    def located(self, source: str) -> TemplateError:
        """The same error, naming ``source``."""
        return TemplateError(self.where, self.problem, self.line, source)


def pseudo_parameters(stack_name: str) -> dict[str, Any]:
    """The pseudo parameters of a stack called ``stack_name`` in the simulated account."""
    return {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name}/lambdasim",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }


PSEUDO = tuple(pseudo_parameters("lambdasim"))

_SUB = re.compile(r"\$\{([^}]*)\}")


def _text(value: Any) -> str | None:
    """A scalar as CloudFormation turns it into text (numbers and booleans too), else ``None``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


class Resolver:
    """Resolves intrinsic functions in template values.

    Args:
        parameters: The parameters' values (defaults and overrides applied).
        conditions: The template's ``Conditions`` section (evaluated when first used).
        mappings: The template's ``Mappings`` section.
        stack_name: ``AWS::StackName``.
        ref: The value of ``Ref`` to a resource, by logical id (``None``: no resources).
        get_att: The value of ``Fn::GetAtt`` of a resource, by logical id and attribute.
        resources: The logical ids of the resources (a ``Ref`` to anything else is an error).
    """

    def __init__(
        self,
        parameters: Mapping[str, Any] | None = None,
        conditions: Mapping[str, Any] | None = None,
        mappings: Mapping[str, Any] | None = None,
        stack_name: str = "lambdasim",
        ref: Callable[[str, str, int], Any] | None = None,
        get_att: Callable[[str, str, str, int], Any] | None = None,
        resources: frozenset[str] = frozenset(),
    ) -> None:
        self.parameters = dict(parameters or {})
        self.conditions = dict(conditions or {})
        self.mappings = dict(mappings or {})
        self.pseudo = pseudo_parameters(stack_name)
        self._resource_ref = ref
        self._resource_att = get_att
        self.resources = resources
        self._evaluated: dict[str, bool] = {}
        self._evaluating: list[str] = []

    # -- values ------------------------------------------------------------------------------------------------

    def resolve(self, value: Any, where: str, line: int = 0) -> Any:
        """``value`` with every intrinsic function resolved; ``NO_VALUE`` where ``AWS::NoValue`` removes it."""
        line = line_of(value) or line
        if isinstance(value, dict):
            name = _intrinsic(value)
            if name is not None:
                return self._call(name, value[name], where, line)
            out = {}
            for key, item in value.items():
                resolved = self.resolve(item, f"{where}.{key}", line_of(value, key) or line)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{i}]", line) for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _call(self, name: str, arg: Any, where: str, line: int) -> Any:
        here = f"{where}.{name}"
        method = _FUNCTIONS.get(name)
        if method is None:
            if name == "Fn::ImportValue":
                export = self.resolve(arg, here, line)
                raise TemplateError(
                    where,
                    f"Fn::ImportValue {short_repr(export)} reads another stack's exports, which a simulation of one "
                    "template does not have; give the value as a parameter instead",
                    line,
                )
            if name in ("Fn::Cidr", "Fn::Transform", "Fn::GetStackOutput"):
                raise TemplateError(
                    where, f"{name} is CloudFormation's, but lambdasim does not resolve it (it is read here)", line
                )
            if name in _CONDITION_ONLY:
                raise TemplateError(where, f"{name} is allowed only in the Conditions section and Fn::If", line)
            known = ", ".join(["Ref", *sorted(set(_FUNCTIONS) - {"Ref"}), "Fn::ImportValue"])
            raise TemplateError(where, f"unknown intrinsic function {name!r}; CloudFormation's are: {known}", line)
        return method(self, arg, here, line)

    def _string(self, value: Any, where: str, line: int, what: str) -> str:
        text = _text(self.resolve(value, where, line))
        if text is None:
            raise TemplateError(where, f"{what} must be a string, got {short_repr(value)}", line)
        return text

    def _list(self, value: Any, where: str, line: int, what: str) -> list[Any]:
        resolved = self.resolve(value, where, line)
        if not isinstance(resolved, list):
            raise TemplateError(where, f"{what} must be a list, got {short_repr(value)}", line)
        return resolved

    def _ref(self, arg: Any, where: str, line: int) -> Any:
        if not isinstance(arg, str):
            raise TemplateError(where, f"Ref takes a name (a string), got {short_repr(arg)}", line)
        if arg in self.parameters:
            return self.parameters[arg]
        if arg in self.pseudo:
            return self.pseudo[arg]
        if arg in self.resources and self._resource_ref is not None:
            return self._resource_ref(arg, where, line)
        raise TemplateError(
            where, f"Ref to {arg!r}, which is no parameter, pseudo parameter or resource of the template", line
        )

    def _get_att_fn(self, arg: Any, where: str, line: int) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(
                where, f"Fn::GetAtt takes [logical id, attribute] or 'LogicalId.Attribute', got {short_repr(arg)}", line
            )
        logical_id = arg[0]
        attribute = self._string(arg[1], where, line, "Fn::GetAtt's attribute")
        if not isinstance(logical_id, str) or logical_id not in self.resources or self._resource_att is None:
            raise TemplateError(
                where, f"Fn::GetAtt of {short_repr(logical_id)}, which is no resource of the template", line
            )
        return self._resource_att(logical_id, attribute, where, line)

    def _sub(self, arg: Any, where: str, line: int) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], dict):
                raise TemplateError(
                    where, f"Fn::Sub takes a string or [string, {{variables}}], got {short_repr(arg)}", line
                )
            arg, variables = arg[0], arg[1]
        if not isinstance(arg, str):
            raise TemplateError(where, f"Fn::Sub's template must be a string, got {short_repr(arg)}", line)

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is written as ${Literal}
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = self.resolve(variables[name], f"{where}.{name}", line)
            elif "." in name and name not in self.parameters and name not in self.pseudo:
                value = self._get_att_fn(name.split(".", 1), where, line)
            else:
                value = self._ref(name, where, line)
            text = _text(value)
            if text is None:
                raise TemplateError(where, f"Fn::Sub variable ${{{name}}} is not a string: {short_repr(value)}", line)
            return text

        return _SUB.sub(replace, arg)

    def _join(self, arg: Any, where: str, line: int) -> str:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(where, f"Fn::Join takes [delimiter, [values]], got {short_repr(arg)}", line)
        delimiter = self._string(arg[0], where, line, "Fn::Join's delimiter")
        values = self._list(arg[1], where, line, "Fn::Join's values")
        texts = [_text(v) for v in values]
        if any(t is None for t in texts):
            raise TemplateError(where, f"Fn::Join's values must be strings, got {short_repr(values)}", line)
        return delimiter.join(t for t in texts if t is not None)

    def _if(self, arg: Any, where: str, line: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
            raise TemplateError(where, f"Fn::If takes [condition name, if true, if false], got {short_repr(arg)}", line)
        chosen = arg[1] if self.condition(arg[0], where, line) else arg[2]
        return self.resolve(chosen, where, line)

    def _select(self, arg: Any, where: str, line: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(where, f"Fn::Select takes [index, [values]], got {short_repr(arg)}", line)
        index_text = self._string(arg[0], where, line, "Fn::Select's index")
        values = self._list(arg[1], where, line, "Fn::Select's values")
        if not index_text.isdigit() or int(index_text) >= len(values):
            raise TemplateError(
                where, f"Fn::Select's index must be in [0, {len(values) - 1}], got {short_repr(arg[0])}", line
            )
        return values[int(index_text)]

    def _split(self, arg: Any, where: str, line: int) -> list[str]:
        if not isinstance(arg, list) or len(arg) != 2:
            raise TemplateError(where, f"Fn::Split takes [delimiter, string], got {short_repr(arg)}", line)
        delimiter = self._string(arg[0], where, line, "Fn::Split's delimiter")
        if not delimiter:
            raise TemplateError(where, "Fn::Split's delimiter must not be empty", line)
        return self._string(arg[1], where, line, "Fn::Split's source").split(delimiter)

    def _find_in_map(self, arg: Any, where: str, line: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            raise TemplateError(
                where, f"Fn::FindInMap takes [map, top-level key, second-level key], got {short_repr(arg)}", line
            )
        keys = [self._string(a, where, line, "Fn::FindInMap's key") for a in arg]
        level: Any = self.mappings
        for depth, key in enumerate(keys):
            if not isinstance(level, dict) or key not in level:
                what = ("map", "top-level key", "second-level key")[depth]
                choices = sorted(level) if isinstance(level, dict) else []
                raise TemplateError(where, f"Fn::FindInMap: no {what} {key!r}; there are {choices}", line)
            level = level[key]
        return self.resolve(level, where, line)

    def _get_azs(self, arg: Any, where: str, line: int) -> list[str]:
        region = self._string(arg, where, line, "Fn::GetAZs's region") if arg != "" else ""
        if region not in ("", REGION):
            raise TemplateError(
                where, f"Fn::GetAZs of {region!r}: the simulated stack is in {REGION}, which alone is known", line
            )
        return list(AZS)

    def _base64(self, arg: Any, where: str, line: int) -> str:
        return base64.b64encode(self._string(arg, where, line, "Fn::Base64's value").encode()).decode()

    def _length(self, arg: Any, where: str, line: int) -> int:
        return len(self._list(arg, where, line, "Fn::Length's value"))

    def _to_json_string(self, arg: Any, where: str, line: int) -> str:
        return json.dumps(self.resolve(arg, where, line), separators=(",", ":"))

    # -- conditions --------------------------------------------------------------------------------------------

    def condition(self, name: str, where: str, line: int = 0) -> bool:
        """Whether condition ``name`` of the ``Conditions`` section holds (evaluated once, cycles refused)."""
        if name in self._evaluated:
            return self._evaluated[name]
        if name not in self.conditions:
            raise TemplateError(where, f"condition {name!r} is not among Conditions {sorted(self.conditions)}", line)
        if name in self._evaluating:
            chain = " -> ".join([*self._evaluating[self._evaluating.index(name) :], name])
            raise TemplateError(f"Conditions.{name}", f"circular condition: {chain}", line_of(self.conditions[name]))
        self._evaluating.append(name)
        try:
            value = self._truth(self.conditions[name], f"Conditions.{name}", line_of(self.conditions[name]))
        finally:
            self._evaluating.pop()
        self._evaluated[name] = value
        return value

    def _truth(self, value: Any, where: str, line: int) -> bool:
        line = line_of(value) or line
        name = _intrinsic(value) if isinstance(value, dict) else None
        if name is None and isinstance(value, dict) and list(value) == ["Condition"]:
            name = "Condition"
        arg = value[name] if name is not None else None
        here = f"{where}.{name}"
        if name == "Condition":
            if not isinstance(arg, str):
                raise TemplateError(where, f"Condition takes a condition name, got {short_repr(arg)}", line)
            return self.condition(arg, where, line)
        if name == "Fn::Equals":
            if not isinstance(arg, list) or len(arg) != 2:
                raise TemplateError(where, f"Fn::Equals takes [value, value], got {short_repr(arg)}", line)
            a, b = (self.resolve(v, here, line) for v in arg)
            return _text(a) == _text(b) if _text(a) is not None and _text(b) is not None else bool(a == b)
        if name in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
                raise TemplateError(where, f"{name} takes 2 to 10 conditions, got {short_repr(arg)}", line)
            results = (self._truth(v, f"{here}[{i}]", line) for i, v in enumerate(arg))
            return all(results) if name == "Fn::And" else any(results)
        if name == "Fn::Not":
            if not isinstance(arg, list) or len(arg) != 1:
                raise TemplateError(where, f"Fn::Not takes [condition], got {short_repr(arg)}", line)
            return not self._truth(arg[0], f"{here}[0]", line)
        resolved = self.resolve(value, where, line)
        if isinstance(resolved, bool):
            return resolved
        if resolved in ("true", "false"):
            return bool(resolved == "true")
        raise TemplateError(
            where,
            f"a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition, got {short_repr(value)}",
            line,
        )


_CONDITION_ONLY = frozenset({"Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"})

_FUNCTIONS: dict[str, Callable[[Resolver, Any, str, int], Any]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att_fn,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::If": Resolver._if,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::Base64": Resolver._base64,
    "Fn::Length": Resolver._length,
    "Fn::ToJsonString": Resolver._to_json_string,
}


def _intrinsic(value: dict[str, Any]) -> str | None:
    """The intrinsic function a mapping calls (``Ref`` or ``Fn::...``), or ``None`` for a plain mapping."""
    if len(value) != 1:
        return None
    (key,) = value
    return key if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")) else None


def references(value: Any) -> set[str]:
    """The names ``value`` refers to (``Ref``, ``Fn::GetAtt``, ``${...}`` in ``Fn::Sub``), as CloudFormation
    gathers a resource's dependencies."""
    out: set[str] = set()
    if isinstance(value, dict):
        name = _intrinsic(value)
        arg = value[name] if name is not None else None
        if name == "Ref" and isinstance(arg, str):
            out.add(arg)
        elif name == "Fn::GetAtt":
            if isinstance(arg, str):
                out.add(arg.split(".", 1)[0])
            elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                out.add(arg[0])
        elif name == "Fn::Sub":
            text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
            if isinstance(text, str):
                for match in _SUB.finditer(text):
                    var = match.group(1).strip()
                    if not var.startswith("!") and not (isinstance(variables, dict) and var in variables):
                        out.add(var.split(".", 1)[0])
            out |= references(variables)
        for item in value.values():
            out |= references(item)
    elif isinstance(value, list):
        for item in value:
            out |= references(item)
    return out
