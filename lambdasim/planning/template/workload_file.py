"""Workload files for templates: a scenario file without the infrastructure, which the template gives.

The format is the scenario file's (:mod:`lambdasim.planning.scenario`), with the same keys and validation, minus
``[[functions]]`` and the other resources, plus two tables:

- ``[behaviours.<LogicalId or function name>]``: what each function does (a :class:`~lambdasim.Behaviour` table, or
  an importable ``"module.function"`` handler, which needs ``allow_code``);
- ``[parameters]``: values of the template's ``Parameters``.

::

    name = "orders at peak"
    seed = 7
    horizon_s = 600

    [parameters]
    Stage = "prod"

    [behaviours.Worker]
    duration = { lognormal = { median = 0.2, spread = 1.5 } }
    error_rate = 0.02

    [[workloads]]
    type = "send_messages"
    queue = "Jobs"            # a logical id or the queue's name
    rate = 50
    stop_s = 600

A behaviours file (``--behaviours``) holds only ``[<LogicalId>]`` tables of behaviours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from lambdasim.planning import scenario as _scenario
from lambdasim.planning.model import Model
from lambdasim.planning.scenario import Scenario, ScenarioError
from lambdasim.planning.template.stack import WORKLOAD_TARGETS

__all__ = ["TEMPLATE_KEYS", "WorkloadFile", "load_behaviours", "load_workload", "scenario"]

TEMPLATE_KEYS = ("functions", "queues", "event_source_mappings", "buckets", "topics", "rules", "streams", "trace")
"""Model keys a workload file may not give: the template gives them."""


@attrs.frozen
class WorkloadFile:
    """A workload file, read: the model settings, workloads and faults, behaviours and parameters it gives."""

    source: str
    settings: dict[str, Any]
    workloads: tuple[Any, ...]
    behaviours: dict[str, Any]
    parameters: dict[str, Any]
    scenario: dict[str, Any]
    imports: tuple[str, ...] = ()


def _load(path: str | Path, source: str) -> dict[str, Any]:
    """A workload file's TOML, read and parsed as scenario files are."""
    return _scenario.parse_toml(_scenario.read_file(path, "workload file"), source)


def _behaviours(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _scenario._ProblemError(path, f"must be a table of behaviours by logical id, {_scenario._got(value)}")
    return {key: _scenario._behaviour(item, _scenario._join(path, key)) for key, item in value.items()}


def _within(source: str, base_dir: Path, allow_code: bool | None, read: Any) -> tuple[Any, tuple[str, ...]]:
    """Run ``read()`` with the scenario reader's context (relative paths, code imports), errors as ScenarioError."""
    token = _scenario._BASE_DIR.set(base_dir)
    imported: list[str] = []
    code = _scenario._CODE.set((allow_code, imported))
    try:
        return read(), tuple(imported)
    except _scenario._ProblemError as problem:
        raise ScenarioError(source, problem.path, problem.problem) from None
    except RecursionError:
        raise ScenarioError(source, "", "values nested too deeply to read") from None
    finally:
        _scenario._CODE.reset(code)
        _scenario._BASE_DIR.reset(token)


def load_workload(
    path: str | Path, *, allow_code: bool | None = False, names: dict[str, str] | None = None
) -> WorkloadFile:
    """Read a workload file (see the module's description). Raises :class:`ScenarioError` naming the field.

    ``names``: resource names by logical id; a workload's ``function``, ``queue``, ``topic`` or ``bucket`` may give
    either."""
    source = str(path)
    data = _load(path, source)
    model_keys = {k: f for k, f in _scenario._model_keys().items() if k not in TEMPLATE_KEYS and k != "workloads"}
    valid = _valid_keys()

    def workload(array: str, value: object, where: str) -> object:
        if isinstance(value, dict) and names:
            value = {k: _renamed(k, v, names) for k, v in value.items()}
        return _scenario._kind(array, value, where)

    def read() -> WorkloadFile:
        _check_keys(data, valid)
        workloads = _scenario._sequence_of(
            data.get("workloads", []), "workloads", lambda v, p: workload("workloads", v, p)
        )
        faults = _scenario._sequence_of(data.get("faults", []), "faults", lambda v, p: workload("faults", v, p))
        hints = _scenario._hints(Model)
        settings = {
            k: _scenario._convert(hints.get(f.name, Any), data[k], k) for k, f in model_keys.items() if k in data
        }
        behaviours = _behaviours(data.get("behaviours", {}), "behaviours")
        meta = {}
        for key, tp in (("name", str), ("description", str), ("seed", int), ("replications", int)):
            if key in data:
                meta[key] = _scenario._convert(tp, data[key], key)
        return WorkloadFile(source, settings, (*workloads, *faults), behaviours, parameters(data, source), meta)

    result, imports = _within(source, Path(path).parent, allow_code, read)
    spec: WorkloadFile = attrs.evolve(result, imports=imports)
    return spec


def _valid_keys() -> list[str]:
    model_keys = [k for k in _scenario._model_keys() if k not in TEMPLATE_KEYS and k != "workloads"]
    return [*_scenario.SCENARIO_KEYS, "workloads", "behaviours", "parameters", *model_keys]


def _check_keys(data: dict[str, Any], valid: list[str]) -> None:
    for key in data:
        if key in TEMPLATE_KEYS:
            raise _scenario._ProblemError(key, "is given by the template; a workload file gives what drives it")
        if key not in valid:
            raise _scenario._unknown("", key, valid)


def parameters(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The ``[parameters]`` table of a workload file's data."""
    values = data.get("parameters", {})
    if not isinstance(values, dict):
        raise ScenarioError(source, "parameters", f"must be a table, {_scenario._got(values)}")
    return dict(values)


def _renamed(key: str, value: Any, names: dict[str, str]) -> Any:
    """A logical id in a workload's ``function``/``queue``/``topic``/``bucket``/``stream`` as the resource's name."""
    if key not in WORKLOAD_TARGETS or not isinstance(value, str):
        return value
    base, sep, qualifier = value.partition(":") if key == "function" else (value, "", "")
    if base in names and base not in names.values():
        return names[base] + sep + qualifier
    return value


def load_behaviours(path: str | Path, *, allow_code: bool | None = False) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Read a behaviours file: ``[<LogicalId or function name>]`` tables of behaviours."""
    source = str(path)
    data = _load(path, source)
    return _within(source, Path(path).parent, allow_code, lambda: _behaviours(data, ""))


def scenario(
    template: str | Path,
    workload: str | Path | None = None,
    *,
    behaviours: str | Path | None = None,
    parameters_given: dict[str, Any] | None = None,
    allow_code: bool | None = False,
    require_behaviours: bool = True,
) -> tuple[Scenario, Any]:
    """The :class:`Scenario` of a template driven by a workload file (and a behaviours file), and the
    :class:`~lambdasim.planning.template.Template` read. ``parameters_given`` override the workload file's
    ``[parameters]``; the workload file's model settings (horizon, concurrency limit, ...) apply to the model."""
    from lambdasim.planning.template import TemplateError, read_template

    data = _load(workload, str(workload)) if workload is not None else {}
    if workload is not None:  # the file's own mistakes first, before the template is read
        _within(str(workload), Path(workload).parent, allow_code, lambda: _check_keys(data, _valid_keys()))
    values = {**parameters(data, str(workload)), **(parameters_given or {})}
    chosen: dict[str, Any] = {}
    imports: list[str] = []
    if workload is not None:
        raw = data.get("behaviours", {})
        chosen, found = _within(
            str(workload), Path(workload).parent, allow_code, lambda: _behaviours(raw, "behaviours")
        )
        imports.extend(found)
    if behaviours is not None:
        more, more_imports = load_behaviours(behaviours, allow_code=allow_code)
        chosen.update(more)
        imports.extend(more_imports)
    read = read_template(template, values, (), chosen, require_behaviours=require_behaviours)
    spec = load_workload(workload, allow_code=allow_code, names=read.names) if workload is not None else None
    meta = dict(spec.scenario) if spec is not None else {}
    meta.setdefault("name", Path(template).stem)
    try:
        model = attrs.evolve(read.model, workloads=spec.workloads, **spec.settings) if spec is not None else read.model
    except (TypeError, ValueError) as exc:
        raise TemplateError("", " ".join(str(exc).split()), source=str(workload)) from None
    try:
        result = Scenario(model=model, source=str(template), imports=tuple(dict.fromkeys(imports)), **meta)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(str(workload), "", str(exc)) from None
    return result, read
