"""Reading a CloudFormation or SAM template's text: JSON, or YAML with CloudFormation's short-form tags.

The short forms become the long forms CloudFormation itself reads (``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is
``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``, ``!Join``, ``!If``, ... are ``{"Fn::<name>": ...}``, ``!Condition C`` is
``{"Condition": "C"}``). Every mapping remembers the line it starts on, so later errors can say where
(:func:`line_of`). As CloudFormation does [doc: "CloudFormation doesn't support ... aliases" in the template
anatomy's YAML notes], YAML anchors and aliases and unknown ``!`` tags are refused, and dates stay text
(``AWSTemplateFormatVersion: 2010-09-09``). A key given twice in one mapping is an error, as in CloudFormation.

>>> template = loads("Resources:\\n  Q:\\n    Type: AWS::SQS::Queue\\n    Properties:\\n      Tag: !Ref Env\\n")
>>> template["Resources"]["Q"]["Properties"]
{'Tag': {'Ref': 'Env'}}
>>> line_of(template["Resources"]["Q"])
3
"""

from __future__ import annotations

import json
from typing import Any

from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, text_depth
from lambdasim.planning.files import MAX_SCENARIO_BYTES

__all__ = ["SHORT_FORMS", "Located", "TemplateSyntaxError", "line_of", "loads"]

SHORT_FORMS = (
    "Ref", "Condition", "GetAtt", "Sub", "Join", "If", "Select", "Split", "FindInMap", "Equals", "And", "Or", "Not",
    "GetAZs", "ImportValue", "Base64", "Cidr", "Transform", "Length", "ToJsonString",
)  # fmt: skip
"""The YAML tags CloudFormation reads: ``!Ref`` and ``!Condition`` as themselves, the rest as ``Fn::<name>``."""


class TemplateSyntaxError(ValueError):
    """A template whose text cannot be read; ``str(error)`` says where (line, column) and why."""


class Located(dict[str, Any]):
    """A mapping of the template that knows the line it starts on and the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int] | None = None


def line_of(value: object, key: str | None = None) -> int:
    """The line ``value`` (a mapping of a loaded template) starts on, or that of its ``key``; 0 when unknown (a
    key the SAM transform added has none)."""
    if not isinstance(value, Located):
        return 0
    if key is not None:
        return value.lines.get(key, 0) if value.lines is not None else 0
    return value.line


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise ImportError(
            "reading a YAML template needs PyYAML: pip install 'lambdasim[template]' (JSON templates need nothing)"
        ) from None
    return yaml


def _loader_class() -> type:
    yaml = _yaml()

    class Loader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        """PyYAML's safe loader with CloudFormation's tags, no aliases, dates as text, line numbers kept."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise TemplateSyntaxError(
                    f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not supported by "
                    "CloudFormation; repeat the value"
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Located:
            out = Located()
            out.line = node.start_mark.line + 1
            out.lines = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise TemplateSyntaxError(
                        f"line {key_node.start_mark.line + 1}: YAML merge keys (<<) are not supported by CloudFormation"
                    )
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    raise TemplateSyntaxError(
                        f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in the mapping that starts "
                        f"on line {out.line}"
                    )
                out.lines[key] = key_node.start_mark.line + 1
                out[key] = self.construct_object(value_node, deep=True)
            return out

    def short_form(loader: Any, suffix: str, node: Any) -> Located:
        if suffix not in SHORT_FORMS:
            raise TemplateSyntaxError(
                f"line {node.start_mark.line + 1}: unknown tag !{suffix}; CloudFormation's tags are "
                + ", ".join(f"!{t}" for t in SHORT_FORMS)
            )
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":  # !GetAtt Resource.Attribute (the attribute may itself hold dots)
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        out = Located({suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value})
        out.line = node.start_mark.line + 1
        return out

    Loader.add_multi_constructor("!", short_form)
    Loader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True))
    # Dates stay text: CloudFormation reads AWSTemplateFormatVersion: 2010-09-09 as the string.
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _json(text: str, source: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> Located:
        out = Located()
        for key, value in items:
            if key in out:
                raise TemplateSyntaxError(f"{source}: invalid JSON: key {key!r} appears twice in one object")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise TemplateSyntaxError(f"{source}: invalid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def loads(text: str, source: str = "<template>") -> Any:
    """The template in ``text`` (JSON or YAML) as plain data, mappings as :class:`Located` dicts.

    Raises :class:`TemplateSyntaxError` naming the line (and column) of the problem; YAML needs PyYAML
    (``pip install 'lambdasim[template]'``).
    """
    if len(text) > MAX_SCENARIO_BYTES:
        raise TemplateSyntaxError(f"{source}: is {len(text):,} characters; the limit is {MAX_SCENARIO_BYTES:,}")
    if text_depth(text) > MAX_PAYLOAD_DEPTH:
        raise TemplateSyntaxError(f"{source}: values nested too deeply to read")
    if text.lstrip().startswith("{"):
        data = _json(text, source)
    else:
        yaml = _yaml()
        try:
            data = yaml.load(text, Loader=_loader_class())  # a SafeLoader subclass
        except TemplateSyntaxError as exc:
            raise TemplateSyntaxError(f"{source}: {exc}") from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
            what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
            raise TemplateSyntaxError(f"{source}: invalid YAML: {where}{what}") from None
        except yaml.YAMLError as exc:
            raise TemplateSyntaxError(f"{source}: invalid YAML: {' '.join(str(exc).split())}") from None
        except RecursionError:
            raise TemplateSyntaxError(f"{source}: values nested too deeply to read") from None
    if not isinstance(data, dict):
        raise TemplateSyntaxError(
            f"{source}: a template is a mapping with a Resources section, got {type(data).__name__}"
        )
    return data
