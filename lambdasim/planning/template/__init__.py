"""Your own infrastructure as the scenario: a SAM or CloudFormation template read into a
:class:`~lambdasim.planning.model.Model`.

:func:`from_template` reads a template (YAML with CloudFormation's short-form tags, or JSON), expands SAM with AWS's
own translator, resolves parameters (defaults and overrides), conditions, mappings and intrinsic functions, and maps
each resource lambdasim simulates onto its configuration classes (:mod:`.resources` has the readers). Function code
is not run: each function gets a :class:`~lambdasim.Behaviour` (or handler) from ``behaviours``, by logical id or
function name. Resources lambdasim does not model are listed in one :class:`TemplateWarning`; anything the template
states that cannot be resolved or simulated as written is a :class:`TemplateError` naming the logical id and
property.

>>> import lambdasim as ls
>>> template = '''
... Resources:
...   Jobs:
...     Type: AWS::SQS::Queue
...     Properties: {VisibilityTimeout: 60}
...   Worker:
...     Type: AWS::Lambda::Function
...     Properties: {Runtime: python3.12, Handler: app.handler, Code: {ZipFile: "..."}, Timeout: 10}
...   Mapping:
...     Type: AWS::Lambda::EventSourceMapping
...     Properties: {EventSourceArn: !GetAtt Jobs.Arn, FunctionName: !Ref Worker, BatchSize: 5}
... '''
>>> model = from_template(template, behaviours={"Worker": ls.Behaviour(duration=0.2)})
>>> model.function("Worker").timeout_s, model.event_source_mappings[0].batch_size
(10, 5)
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs

from lambdasim.aws.account import ServiceError
from lambdasim.aws.errors import ClientError
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.handler import is_handler
from lambdasim.planning.files import MAX_SCENARIO_BYTES, UnreadableFileError, read_text
from lambdasim.planning.model import EventInvoke, Function, FunctionRefusedError, Model, Workload
from lambdasim.planning.template import resources as _resources
from lambdasim.planning.template import sam as _sam
from lambdasim.planning.template.intrinsics import TemplateError
from lambdasim.planning.template.loader import TemplateSyntaxError, loads
from lambdasim.planning.template.resources import FUNCTION_FIELDS, Parts
from lambdasim.planning.template.stack import NAME_PROPERTY, WORKLOAD_TARGETS, Stack, parameter_values
from lambdasim.planning.topics import Topic

__all__ = ["Template", "TemplateError", "TemplateWarning", "from_template", "read_template"]

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
"""File suffixes the command line reads as templates (anything else is a scenario file)."""


class TemplateWarning(UserWarning):
    """What a template holds that lambdasim does not simulate: resources (by logical id and type) and settings."""


@dataclass(frozen=True)
class Template:
    """A template read into a model, with what was left out.

    Attributes:
        model: The model.
        source: The file (or ``"<template>"``).
        function_ids: Each function's logical id, by function name.
        unmodelled: ``"LogicalId (Type)"`` of resources, and ``"LogicalId.Property"`` of settings, not simulated.
        inert: ``"LogicalId (Type)"`` of resources that change nothing simulated (IAM, policies, log groups).
        without_behaviour: Functions given no behaviour (only with ``require_behaviours=False``; they were given
            an empty :class:`~lambdasim.Behaviour`).
        sam: Whether the template was expanded by the SAM transform.
        names: Each simulated resource's name, by logical id.
    """

    model: Model
    source: str
    function_ids: dict[str, str]
    unmodelled: tuple[str, ...] = ()
    inert: tuple[str, ...] = ()
    without_behaviour: tuple[str, ...] = ()
    sam: bool = False
    names: dict[str, str] = dataclasses.field(default_factory=dict)

    def warning(self) -> str | None:
        """The one message listing what is not simulated, or ``None``."""
        if not self.unmodelled:
            return None
        text = f"{self.source}: not simulated (lambdasim does not model them): {', '.join(self.unmodelled)}"
        if self.inert:
            text += f"; read for their names only (IAM and resource policies are not enforced): {', '.join(self.inert)}"
        return text


def _text(template: str | os.PathLike[str]) -> tuple[str, str]:
    """``(text, source)`` of a path or of the template's text itself."""
    if isinstance(template, str) and ("\n" in template or template.lstrip().startswith("{")):
        return template, "<template>"
    if not isinstance(template, (str, os.PathLike)):
        raise TypeError(f"template must be a path or the template's text, got {type(template).__name__}")
    path = Path(template)
    try:
        return read_text(path, MAX_SCENARIO_BYTES), str(path)
    except FileNotFoundError:
        raise TemplateError("", "no such file", source=str(path)) from None
    except IsADirectoryError:
        raise TemplateError("", "is a directory, not a template", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise TemplateError("", f"not UTF-8 text (byte {exc.start}: {exc.reason})", source=str(path)) from None
    except UnreadableFileError as exc:
        raise TemplateError("", exc.reason, source=str(path)) from None
    except OSError as exc:
        raise TemplateError("", f"cannot be read: {exc.strerror or type(exc).__name__}", source=str(path)) from None


def read_template(
    template: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    workloads: Sequence[Workload] = (),
    behaviours: Mapping[str, Any] | None = None,
    *,
    stack_name: str = "lambdasim",
    require_behaviours: bool = True,
    **model_settings: Any,
) -> Template:
    """Read a template into a :class:`Template` (the model and what was left out); see :func:`from_template`."""
    text, source = _text(template)
    try:
        return _read(
            text,
            source,
            dict(parameters or {}),
            workloads,
            dict(behaviours or {}),
            stack_name,
            require_behaviours,
            model_settings,
        )
    except TemplateError as exc:
        raise exc.located(source) from None
    except TemplateSyntaxError as exc:
        message = str(exc)
        raise TemplateError("", message.removeprefix(f"{source}: "), source=source) from None
    except RecursionError:
        raise TemplateError("", "values nested too deeply to read", source=source) from None


def _read(
    text: str,
    source: str,
    parameters: dict[str, Any],
    workloads: Sequence[Workload],
    behaviours: dict[str, Any],
    stack_name: str,
    require_behaviours: bool,
    model_settings: dict[str, Any],
) -> Template:
    data = loads(text, source)
    sam = _sam.is_sam(data)
    if sam:
        data = _sam.expand(data, parameter_values(data.get("Parameters"), parameters))
    elif "Globals" in data:
        raise TemplateError("Globals", f"is a SAM section: the template needs Transform: {_sam.SAM_TRANSFORM}")
    elif data.get("Transform") is not None:
        raise TemplateError("Transform", f"lambdasim expands only {_sam.SAM_TRANSFORM}, got {data['Transform']!r}")
    stack = Stack(data, parameters, stack_name)
    parts = _resources.read(stack)
    function_ids = {name: f.lid for name, f in parts.functions.items()}
    # A function whose condition is false is not created; its behaviour may still be given (the same behaviours
    # serve every stage), but nothing else that is no function.
    absent = {
        lid for lid, res in stack.all.items() if lid not in stack.resources and res["Type"] == "AWS::Lambda::Function"
    }
    chosen, missing = _behaviours({k: v for k, v in behaviours.items() if k not in absent}, function_ids)
    if missing and require_behaviours:
        listed = ", ".join(f"{lid} ({name})" if lid != name else name for name, lid in missing)
        raise TemplateError(
            "Resources",
            f"functions without a behaviour: {listed}. lambdasim does not run function code: give each a "
            "lambdasim.Behaviour (duration, error rate, ...) in behaviours, by logical id or function name "
            "(a [behaviours.<LogicalId>] table in a workload file)",
        )
    names = {lid: stack.name(lid) for lid in stack.resources if stack.type(lid) in NAME_PROPERTY}
    workloads = [_renamed(w, names) for w in workloads]
    model = _model(stack, parts, chosen, workloads, model_settings)
    _check_build(model, function_ids)
    return Template(
        model=model,
        source=source,
        function_ids=function_ids,
        unmodelled=tuple(parts.unmodelled),
        inert=tuple(parts.inert),
        without_behaviour=tuple(name for name, _lid in missing),
        sam=sam,
        names=names,
    )


def _renamed(workload: Any, names: dict[str, str]) -> Any:
    """``workload`` with a logical id in a field naming a resource (``WORKLOAD_TARGETS``) replaced by the resource's
    name (a workload may name a resource either way)."""
    if not attrs.has(type(workload)):
        return workload
    physical = set(names.values())
    changes = {}
    for key in WORKLOAD_TARGETS:
        value = getattr(workload, key, None)
        if not isinstance(value, str):
            continue
        base, sep, qualifier = value.partition(":") if key == "function" else (value, "", "")
        if base in names and base not in physical:
            changes[key] = names[base] + sep + qualifier
    return attrs.evolve(workload, **changes) if changes else workload


def _behaviours(given: dict[str, Any], function_ids: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Each function's behaviour by name, and the ``(name, logical id)`` of functions without one."""
    by_lid = {lid: name for name, lid in function_ids.items()}
    for key, value in given.items():
        if key not in function_ids and key not in by_lid:
            listed = ", ".join(f"{lid} ({name})" if lid != name else name for name, lid in function_ids.items())
            raise TemplateError("behaviours", f"{key!r} is no function of the template; functions: {listed}")
        if not is_handler(value):
            raise TemplateError(
                f"behaviours.{key}",
                f"must be a lambdasim.Behaviour, a handler callable or a 'module.function' string, got {value!r}",
            )
    chosen: dict[str, Any] = {}
    missing = []
    for name, lid in function_ids.items():
        if lid in given and name in given and lid != name:
            raise TemplateError("behaviours", f"function {lid} is given twice: as {lid!r} and as its name {name!r}")
        value = given.get(lid, given.get(name))
        if value is None:
            missing.append((name, lid))
            value = Behaviour()
        chosen[name] = value
    return chosen, missing


def _model(
    stack: Stack, parts: Parts, behaviours: dict[str, Any], workloads: Sequence[Workload], settings: dict[str, Any]
) -> Model:
    functions = []
    for name, f in parts.functions.items():
        kwargs = dict(f.kwargs)
        configs = {tuple(sorted(k.items())): lid for lid, k in f.event_invokes}
        if len(configs) > 1:
            raise TemplateError(
                f"Resources.{f.event_invokes[1][0]}",
                f"function {name!r} has event invoke configurations that differ "
                f"({', '.join(lid for lid, _ in f.event_invokes)}); lambdasim's Function applies one to the function "
                "and its alias alike",
                stack.line(f.event_invokes[1][0]),
            )
        if f.event_invokes:
            kwargs["event_invoke"] = EventInvoke(**f.event_invokes[0][1])
        if kwargs.get("alias_routing") is not None and len(f.versions) < 2:
            raise TemplateError(
                f"Resources.{f.aliases[0]}.Properties.RoutingConfig",
                f"routes to version 2 of {name!r}, which the template does not publish",
                stack.line(f.aliases[0]),
            )
        if "alias" in kwargs and not f.versions:
            raise TemplateError(
                f"Resources.{f.aliases[0]}.Properties.FunctionVersion",
                f"names version 1 of {name!r}, which the template does not publish (no AWS::Lambda::Version)",
                stack.line(f.aliases[0]),
            )
        functions.append(Function(behaviour=behaviours[name], **kwargs))
    topics = [Topic(**kwargs, subscriptions=subs) for kwargs, subs in parts.topics.values()]
    try:
        return Model(
            functions=functions,
            queues=parts.queues,
            streams=parts.streams,
            event_source_mappings=[*parts.mappings, *parts.stream_mappings],
            buckets=parts.buckets,
            topics=topics,
            rules=parts.rules,
            workloads=workloads,
            **settings,
        )
    except (TypeError, ValueError) as exc:
        raise TemplateError("Resources", " ".join(str(exc).split())) from None


def _check_build(model: Model, function_ids: dict[str, str]) -> None:
    """Create everything once, as CloudFormation would, so that what Lambda, SQS, SNS, S3 or EventBridge refuse is
    found now, naming the resource."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.build(seed=0)
    except FunctionRefusedError as exc:
        lid = function_ids.get(exc.function, exc.function)
        prop = {**FUNCTION_FIELDS, "event_invoke": "EventInvokeConfig", "alias": "Alias"}.get(exc.field or "", "")
        where = f"Resources.{lid}" + (f".Properties.{prop}" if prop else "")
        raise TemplateError(where, f"{exc.code}: {exc.message}") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise TemplateError("Resources", f"{error.get('Code')}: {error.get('Message')}") from None
    except ServiceError as exc:
        raise TemplateError("Resources", f"{exc.code}: {exc.message}") from None


def from_template(
    template: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    workloads: Sequence[Workload] = (),
    behaviours: Mapping[str, Any] | None = None,
    *,
    stack_name: str = "lambdasim",
    **model_settings: Any,
) -> Model:
    """A :class:`~lambdasim.planning.model.Model` of a SAM or CloudFormation template.

    Args:
        template: A path to the template (YAML or JSON), or its text.
        parameters: Values of the template's ``Parameters`` (overriding their defaults).
        workloads: What drives the model (:mod:`lambdasim.workload`, :class:`~lambdasim.sources.SendMessages`, ...).
        behaviours: What each function does (its code is not run): a :class:`~lambdasim.Behaviour`, a handler
            callable or ``"module.function"``, by logical id or function name. Every function needs one.
        stack_name: ``AWS::StackName``.
        model_settings: Further :class:`~lambdasim.planning.model.Model` settings (``horizon_s``,
            ``concurrency_limit``, ``settings``, ...).

    Warns :class:`TemplateWarning` once, listing the resources and settings lambdasim does not simulate. Raises
    :class:`TemplateError` (a ``ValueError``) naming the logical id and property of what cannot be read or resolved.
    """
    result = read_template(template, parameters, workloads, behaviours, stack_name=stack_name, **model_settings)
    message = result.warning()
    if message is not None:
        warnings.warn(message, TemplateWarning, stacklevel=2)
    return result.model
