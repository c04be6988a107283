"""One CloudFormation stack as lambdasim reads it: parameters with their overrides, conditions, the resources that
exist, their physical names, and what ``Ref`` and ``Fn::GetAtt`` of each return.

Physical names [model]: a resource's name property when the template gives one (``FunctionName``, ``QueueName``,
``TopicName``, ``BucketName``, ``Name``, ``TableName``); otherwise the logical id (CloudFormation would generate
``<stack>-<LogicalId>-<random suffix>``; the logical id keeps results readable and runs reproducible), lowercased
for a bucket, with ``.fifo`` added for a FIFO queue or topic, as CloudFormation adds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdasim.core._validators import short_repr
from lambdasim.planning.template.intrinsics import ACCOUNT, REGION, Resolver, TemplateError, references
from lambdasim.planning.template.loader import line_of

__all__ = ["NAME_PROPERTY", "WORKLOAD_TARGETS", "Stack", "parameter_values"]

NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Events::Rule": "Name",
    "AWS::Kinesis::Stream": "Name",
    "AWS::DynamoDB::Table": "TableName",
}
"""The property that names a resource of each type (absent: the name is generated)."""

WORKLOAD_TARGETS = ("function", "queue", "topic", "bucket", "stream")
"""The fields by which a workload names a resource of the template: a logical id there means the resource's name."""

SECTIONS = (
    "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
    "Transform", "Resources", "Outputs", "Globals",
)  # fmt: skip

_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")


def _is_list_type(kind: str) -> bool:
    return kind in ("CommaDelimitedList", "List<Number>") or kind.startswith("List<")


def parameter_values(section: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Each parameter's value: the override, else its ``Default``, checked against its ``Type``, ``AllowedValues``,
    ``AllowedPattern``, ``MinLength``/``MaxLength`` and ``MinValue``/``MaxValue``; a list type as a list."""
    section = section if section is not None else {}
    if not isinstance(section, dict):
        raise TemplateError("Parameters", f"must be a mapping of parameters, got {short_repr(section)}")
    for name in overrides:
        if name not in section:
            raise TemplateError(
                "Parameters", f"parameter {name!r} is given but not declared; the template's are {sorted(section)}"
            )
    out: dict[str, Any] = {}
    for name, spec in section.items():
        where = f"Parameters.{name}"
        line = line_of(section, name) or line_of(spec)
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            raise TemplateError(where, "must be a mapping with a Type", line)
        kind = spec["Type"]
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(where, "has no Default: give its value in parameters (--parameter Name=Value)", line)
        if kind.startswith("AWS::SSM::Parameter::Value<") and name not in overrides:
            raise TemplateError(
                where,
                f"its value is read from SSM Parameter Store ({short_repr(value)}), which the simulation does not "
                "have: give the value in parameters",
                line,
            )
        out[name] = _check_parameter(where, line, spec, kind, value)
    return out


def _check_parameter(where: str, line: int, spec: dict[str, Any], kind: str, value: Any) -> Any:
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, list) and _is_list_type(kind):
        items = [str(v) for v in value]
    elif isinstance(value, (str, int, float)):
        items = [s.strip() for s in str(value).split(",")] if _is_list_type(kind) else [str(value)]
    else:
        raise TemplateError(where, f"value must be a string or number, got {short_repr(value)}", line)
    numeric = kind in ("Number", "List<Number>")
    allowed = spec.get("AllowedValues")
    pattern = spec.get("AllowedPattern")
    for item in items:
        if numeric and not _NUMBER.match(item):
            raise TemplateError(where, f"Type {kind}: {short_repr(item)} is not a number", line)
        if isinstance(allowed, list) and item not in [str(a) for a in allowed]:
            raise TemplateError(where, f"{short_repr(item)} is not among AllowedValues {allowed}", line)
        if isinstance(pattern, str) and not re.fullmatch(pattern, item):
            raise TemplateError(where, f"{short_repr(item)} does not match AllowedPattern {pattern!r}", line)
        length, bounds = len(item), (("MinLength", 1), ("MaxLength", -1))
        for key, sign in bounds:
            if key in spec and sign * (length - int(spec[key])) < 0:
                raise TemplateError(where, f"{short_repr(item)} breaks {key} {spec[key]}", line)
        if numeric:
            for key, sign in (("MinValue", 1), ("MaxValue", -1)):
                if key in spec and sign * (float(item) - float(spec[key])) < 0:
                    raise TemplateError(where, f"{item} breaks {key} {spec[key]}", line)
    if _is_list_type(kind):
        return items
    return value if isinstance(value, (int, float)) and numeric else items[0]


def check_shape(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``Resources`` section, after checking the template's sections and each resource's ``Type``."""
    for key in template:
        if key not in SECTIONS:
            raise TemplateError(
                key, f"unknown template section; sections are {', '.join(SECTIONS)}", line_of(template, key)
            )
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Resources", "a template needs a Resources section with at least one resource")
    for lid, res in resources.items():
        where = f"Resources.{lid}"
        if not re.fullmatch(r"[A-Za-z0-9]+", lid):
            raise TemplateError(where, "a logical id must be alphanumeric (A-Z, a-z, 0-9)", line_of(resources, lid))
        if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
            raise TemplateError(
                where, "must be a mapping with a Type (such as AWS::SQS::Queue)", line_of(resources, lid)
            )
        props = res.get("Properties", {})
        if not isinstance(props, dict):
            raise TemplateError(
                f"{where}.Properties", f"must be a mapping, got {short_repr(props)}", line_of(res, "Properties")
            )
    for section in ("Conditions", "Mappings"):
        if not isinstance(template.get(section, {}), dict):
            raise TemplateError(section, "must be a mapping", line_of(template))
    return resources


def check_cycles(resources: Mapping[str, Any]) -> None:
    """Refuse resources that depend on each other in a circle (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``),
    as CloudFormation does: ``Circular dependency between resources: [A, B]``."""
    graph: dict[str, set[str]] = {}
    for lid, res in resources.items():
        deps = references(res.get("Properties", {}))
        depends = res.get("DependsOn", [])
        deps |= {depends} if isinstance(depends, str) else {d for d in depends if isinstance(d, str)}
        graph[lid] = {d for d in deps if d in resources}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :]
                raise TemplateError(
                    f"Resources.{cycle[0]}",
                    f"Circular dependency between resources: [{', '.join(sorted(cycle))}]",
                    line_of(resources, cycle[0]),
                )
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for lid in resources:
        if lid not in state:
            visit(lid)


class Stack:
    """The resources of a (CloudFormation, already SAM-expanded) template that exist, with their names and the
    values of ``Ref``/``Fn::GetAtt`` to them.

    Args:
        template: The loaded template.
        parameters: Parameter overrides.
        stack_name: ``AWS::StackName``.
    """

    def __init__(self, template: dict[str, Any], parameters: Mapping[str, Any], stack_name: str) -> None:
        all_resources = check_shape(template)
        check_cycles(all_resources)
        values = parameter_values(template.get("Parameters"), parameters)
        self.resolver = Resolver(
            parameters=values,
            conditions=template.get("Conditions", {}),
            mappings=template.get("Mappings", {}),
            stack_name=stack_name,
            ref=self._ref,
            get_att=self._get_att,
            resources=frozenset(all_resources),
        )
        self.all = all_resources
        self.resources: dict[str, dict[str, Any]] = {}
        for lid, res in all_resources.items():
            condition = res.get("Condition")
            if condition is None or self.resolver.condition(condition, f"Resources.{lid}.Condition", line_of(res)):
                self.resources[lid] = res
        self._names: dict[str, str] = {}
        self._naming: list[str] = []
        self.versions: dict[str, str] = {}  # Version logical id -> its number, per function in template order
        counts: dict[str, int] = {}
        for lid, res in self.resources.items():
            if res["Type"] == "AWS::Lambda::Version":
                function = self.function_of(lid, "FunctionName")
                counts[function] = counts.get(function, 0) + 1
                self.versions[lid] = str(counts[function])

    # -- reading properties ------------------------------------------------------------------------------------

    def type(self, lid: str) -> str:
        """The resource's type."""
        return str(self.all[lid]["Type"])

    def line(self, lid: str, prop: str | None = None) -> int:
        """The line the resource starts on, or that of its property ``prop``."""
        if prop:
            props = self.all[lid].get("Properties")
            found = line_of(props, prop) if isinstance(props, dict) and prop in props else 0
            if found:
                return found
        return line_of(self.all, lid) or line_of(self.all[lid])

    def raw(self, lid: str) -> dict[str, Any]:
        """The resource's ``Properties`` as written."""
        props = self.all[lid].get("Properties", {})
        return props if isinstance(props, dict) else {}

    def prop(self, lid: str, name: str, default: Any = None) -> Any:
        """Property ``name`` of resource ``lid``, resolved (``default`` when absent or ``AWS::NoValue``)."""
        from lambdasim.planning.template.intrinsics import NO_VALUE

        props = self.raw(lid)
        if name not in props:
            return default
        value = self.resolver.resolve(props[name], f"Resources.{lid}.Properties.{name}", line_of(props, name))
        return default if value is NO_VALUE else value

    # -- names and references ----------------------------------------------------------------------------------

    def name(self, lid: str) -> str:
        """The physical name of resource ``lid``."""
        if lid in self._names:
            return self._names[lid]
        if lid in self._naming:
            chain = " -> ".join([*self._naming[self._naming.index(lid) :], lid])
            raise TemplateError(f"Resources.{lid}", f"circular reference: {chain}", self.line(lid))
        self._naming.append(lid)
        try:
            kind = self.type(lid)
            prop = NAME_PROPERTY.get(kind)
            given = self.prop(lid, prop) if prop else None
            if given is not None and not isinstance(given, str):
                raise TemplateError(
                    f"Resources.{lid}.Properties.{prop}", f"must be a string, got {short_repr(given)}", self.line(lid)
                )
            name = given if given is not None else self._generated(lid, kind)
        finally:
            self._naming.pop()
        self._names[lid] = name
        return name

    def _generated(self, lid: str, kind: str) -> str:
        if kind == "AWS::S3::Bucket":
            return lid.lower()
        fifo_property = {"AWS::SQS::Queue": "FifoQueue", "AWS::SNS::Topic": "FifoTopic"}.get(kind)
        if fifo_property and str(self.prop(lid, fifo_property, False)).lower() == "true":
            return f"{lid}.fifo"
        return lid

    def _active(self, lid: str, where: str, line: int) -> None:
        if lid not in self.resources:
            condition = self.all[lid].get("Condition")
            raise TemplateError(
                where, f"refers to resource {lid!r}, which is not created (its condition {condition!r} is false)", line
            )

    def function_of(self, lid: str, prop: str) -> str:
        """The function that property ``prop`` of ``lid`` names (by name, ARN, ``Ref`` or ``Fn::GetAtt``), as
        ``name`` or ``name:qualifier``."""
        resolved = self.prop(lid, prop)
        if not isinstance(resolved, str) or not resolved:
            raise TemplateError(
                f"Resources.{lid}.Properties.{prop}",
                f"must name a function, got {short_repr(resolved)}",
                self.line(lid),
            )
        return function_name_of(resolved)

    def _ref(self, lid: str, where: str, line: int) -> Any:
        self._active(lid, where, line)
        kind = self.type(lid)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.name(lid)}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.name(lid)}"
        if kind == "AWS::Lambda::Version":
            function = self.function_of(lid, "FunctionName")
            return f"{self._function_arn(function)}:{self.versions[lid]}"
        if kind == "AWS::Lambda::Alias":
            function = self.function_of(lid, "FunctionName")
            return f"{self._function_arn(function)}:{self.prop(lid, 'Name')}"
        if kind in NAME_PROPERTY:
            return self.name(lid)
        return lid  # [model] a physical id CloudFormation would generate: the logical id

    def _function_arn(self, function: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"

    def _get_att(self, lid: str, attribute: str, where: str, line: int) -> Any:
        self._active(lid, where, line)
        kind = self.type(lid)
        name = self.name(lid) if kind in NAME_PROPERTY else lid
        table: dict[str, dict[str, str]] = {
            "AWS::Lambda::Function": {"Arn": self._function_arn(name)} if kind == "AWS::Lambda::Function" else {},
            "AWS::SQS::Queue": {
                "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
                "QueueName": name,
                "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
            },
            "AWS::SNS::Topic": {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}", "TopicName": name},
            "AWS::S3::Bucket": {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
            },
            "AWS::Events::Rule": {"Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"},
            "AWS::Kinesis::Stream": {"Arn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"},
            "AWS::DynamoDB::Table": {
                "Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
                "StreamArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}/stream/2026-01-01T00:00:00.000",
            },
        }
        if kind == "AWS::Lambda::Version":
            function = self.function_of(lid, "FunctionName")
            arn = f"{self._function_arn(function)}:{self.versions[lid]}"
            table[kind] = {"Version": self.versions[lid], "FunctionArn": arn}
        if kind == "AWS::Lambda::Alias":
            table[kind] = {"AliasArn": str(self._ref(lid, where, line))}
        if kind in table:
            if attribute not in table[kind]:
                raise TemplateError(
                    where, f"Fn::GetAtt {lid}.{attribute}: {kind} has attributes {sorted(table[kind])}", line
                )
            return table[kind][attribute]
        # A type lambdasim does not model: an ARN-shaped stand-in for Arn, the logical id and attribute otherwise.
        if attribute == "Arn" or attribute.endswith("Arn"):
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "cloudformation"
            return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{lid}"
        return f"{lid}.{attribute}"


def function_name_of(value: str) -> str:
    """``name`` or ``name:qualifier`` from a function name, a (partial or full) function ARN."""
    parts = value.split(":")
    if value.startswith("arn:") and len(parts) >= 7:
        return ":".join(parts[6:8])
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
        return ":".join(parts[2:4])
    return value
