"""Scenario files: a whole model in TOML, mapped onto the same frozen attrs configuration as the Python API.

A scenario file names functions (with their behaviour, event invoke configuration, destinations and reserved
concurrency), workloads, faults, settings, the account's concurrency, the horizon, the seed and the number of
replications. Keys are the attribute names of :class:`~lambdasim.planning.model.Function`,
:class:`~lambdasim.planning.model.EventInvoke`, :class:`~lambdasim.Behaviour`, :class:`~lambdasim.Settings`,
:class:`~lambdasim.planning.model.Model` and of the workload and fault classes, so whatever those classes accept, a file
accepts, with the same validation::

    name = "orders"
    seed = 7
    horizon_s = 600

    [[functions]]
    name = "orders"
    timeout_s = 30
    reserved_concurrency = 20
    behaviour = { duration = { lognormal = { median = 0.2, spread = 1.5 } }, error_rate = 0.02 }
    event_invoke = { maximum_retry_attempts = 2, on_failure = "arn:aws:sqs:us-east-1:123456789012:failed" }

    [[workloads]]
    type = "poisson"        # lambdasim.workload.Poisson; every workload class maps by its snake_case name
    function = "orders"
    rate_per_s = 10
    stop_s = 600

Distributions are a number of seconds or a one-key table naming a :mod:`lambdasim.core.dist` class in snake_case
(``{ exponential = { mean_s = 0.5 } }``; ``lognormal`` and ``log_normal`` both name ``LogNormal``). The same
one-key form builds a workload's rate profile (``rate = { daily_cycle = { mean_per_s = 5 } }``). A key naming a
class's constructor builds through it: ``csv = "trace.csv"`` in a ``replay`` workload calls ``Replay.from_csv``, with
the path relative to the scenario file. ``[[faults]]`` tables map onto :mod:`lambdasim.core.faults` (``outage``,
``fault_schedule``) as ``[[workloads]]`` map onto :mod:`lambdasim.planning.workload`.
The SQS queues, SNS topics, S3 buckets and EventBridge buses that destinations and dead-letter queues name are
created before the run; a Lambda destination must be one of the scenario's functions.

Errors never show a traceback: :class:`ScenarioError` names the file, the field as a dotted path
(``functions[0].timeout_s``) and the valid values, quoting at most the offending value. Only regular files of at
most 1 MiB are read (never a device or a FIFO). A file that imports code (a ``"module.function"`` behaviour) or
reads a file outside its own folder is refused unless ``allow_code=True`` (``--allow-code``): what it imports is in
:attr:`Scenario.imports`.

>>> scenario = loads('''
... name = "tiny"
... horizon_s = 60
... [[functions]]
... name = "f"
... behaviour = { duration = 0.5 }
... [[workloads]]
... type = "burst"
... function = "f"
... at_s = 1
... count = 10
... ''')
>>> scenario.run().functions["f"]["outcomes"]["Success"]
10
>>> loads('[[functions]]\\nname = "f"\\ntimeout_s = 1000\\n', source="bad.toml")
Traceback (most recent call last):
...
lambdasim.planning.scenario.ScenarioError: bad.toml: functions[0].timeout_s: must be in [1, 900], got 1000
"""

from __future__ import annotations

import collections.abc
import contextvars
import difflib
import importlib
import inspect
import math
import re
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.core import dist
from lambdasim.core._validators import short_repr
from lambdasim.core.behaviour import Behaviour
from lambdasim.core.limits import MAX_PAYLOAD_DEPTH, text_depth
from lambdasim.planning.files import MAX_SCENARIO_BYTES, UnreadableFileError, read_text
from lambdasim.planning.model import Function, FunctionRefusedError, Model

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.results import Results

__all__ = ["DEFAULT_SEED", "Scenario", "ScenarioError", "from_dict", "kinds", "load", "loads"]

DEFAULT_SEED = 0
"""The seed of a scenario file that names none."""

MAX_REPLICATIONS = 100_000

KIND_MODULES = {
    "workloads": (
        "lambdasim.planning.workload",
        "lambdasim.planning.sources",
        "lambdasim.planning.topics",
        "lambdasim.planning.rules",
        "lambdasim.planning.streams",
    ),
    "faults": ("lambdasim.core.faults",),
}
"""The ``[[workloads]]`` and ``[[faults]]`` arrays: ``type = "..."`` names a class of these modules."""

SCENARIO_KEYS = ("name", "description", "seed", "replications", "faults")
"""Top-level keys that are not :class:`~lambdasim.planning.model.Model` attributes."""

_TOML_TYPES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "an array",
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used: ``str(error)`` is ``"<file>: <field path>: <what is wrong>"``.

    Attributes:
        source: The file (or ``"<string>"``).
        path: The field as a dotted path such as ``functions[0].timeout_s`` (empty for the whole file).
        problem: What is wrong, with the valid values.
    """

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


class _ProblemError(Exception):
    """Raised while converting; :func:`loads` adds the file name."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem


# -- the registry of ``type = "..."`` classes -------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def kinds(array: str) -> dict[str, type]:
    """The classes ``type = "..."`` can name in the ``[[workloads]]`` or ``[[faults]]`` array, by snake_case name.

    Every attrs class of the array's module with an ``attach(sim)`` method counts, so classes added to
    :mod:`lambdasim.planning.workload` or :mod:`lambdasim.core.faults` are usable in files without changes here.

    >>> sorted(kinds("workloads"))[:2]
    ['burst', 'poisson']
    """
    found: dict[str, type] = {}
    for module_name in KIND_MODULES[array]:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and attrs.has(obj)
                and callable(getattr(obj, "attach", None))
            ):
                found[_snake(name)] = obj
    return found


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _implementations(base: type) -> dict[str, type]:
    """Public attrs classes of ``base``'s module that are (or implement) ``base``, by snake_case name.

    ``base`` is a class (:class:`~lambdasim.core.dist.Distribution`) or a runtime-checkable ``Protocol`` (a workload's
    rate profile); workloads and faults themselves (classes with ``attach``) are left to ``type = "..."``.
    """
    module = sys.modules.get(base.__module__)
    found: dict[str, type] = {}
    for name, obj in vars(module).items() if module is not None else ():
        if not (isinstance(obj, type) and obj is not base and not name.startswith("_") and attrs.has(obj)):
            continue
        if obj.__module__ != base.__module__ or callable(getattr(obj, "attach", None)):
            continue
        try:
            fits = issubclass(obj, base)
        except TypeError:  # a Protocol with data members cannot be checked on classes
            fits = False
        if fits:
            found[_snake(name)] = obj
    return found


def _lookup(known: dict[str, type], key: str) -> type | None:
    """``known[key]``, also accepting the name without underscores (``lognormal`` for ``log_normal``)."""
    if key in known:
        return known[key]
    squashed = {_squash(k): cls for k, cls in known.items()}
    return squashed.get(_squash(key))


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` naming the choice closest to a misspelt ``word``, or ``""`` if none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _names(known: dict[str, type]) -> str:
    return ", ".join(k if _squash(k) == k else f"{k} (or {_squash(k)})" for k in sorted(known))


_BASE_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("lambdasim_scenario_dir", default=None)
"""The directory of the file being read: relative paths in it (``csv = "trace.csv"``) are relative to it."""

_CODE: contextvars.ContextVar[tuple[bool | None, list[str]] | None] = contextvars.ContextVar(
    "lambdasim_code", default=None
)
"""While a file is read: whether it may import code (``None``: only to report what it imports, see :func:`load`),
and what it imports (``"<field>: <what>"``)."""


def _imports(path: str, what: str, *, reads: bool = False) -> None:
    """The file imports code (at ``path``), or ``reads`` a file outside its folder: allowed only with ``allow_code``.
    Reading a scenario to report what it imports refuses the outside file still (it would be read now)."""
    state = _CODE.get()
    allowed = state is None or state[0] is True or (state[0] is None and not reads)
    if state is not None:
        state[1].append(f"{path}: {what}")
    if not allowed:
        raise _ProblemError(
            path,
            f"{what}: a scenario file that imports code or reads files outside its folder runs only with "
            "--allow-code (allow_code=True); see what a file imports with `lambdasim validate`",
        )


# -- conversion -------------------------------------------------------------------------------------------------


def _toml_type(value: object) -> str:
    for tp, name in _TOML_TYPES.items():
        if type(value) is tp:
            return name
    return type(value).__name__


def _got(value: object) -> str:
    return f"got {short_repr(value)} ({_toml_type(value)})"


def _hints(cls: type) -> dict[str, Any]:
    """The resolved annotation of each attrs field of ``cls`` (``Any`` where it cannot be resolved)."""
    module = sys.modules.get(cls.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    try:
        return typing.get_type_hints(cls, globalns=namespace)
    except Exception:  # an annotation only importable under TYPE_CHECKING: resolve what can be resolved
        out: dict[str, Any] = {}
        for f in attrs.fields(cls):
            try:
                out[f.name] = eval(f.type, namespace) if isinstance(f.type, str) else f.type
            except Exception:
                out[f.name] = Any
        return out


def _key(f: attrs.Attribute[Any]) -> str:
    return f.alias or f.name


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _unknown(path: str, key: str, valid: list[str]) -> _ProblemError:
    if path and key in _top_level_keys():
        # TOML puts every key after a [table] header into that table: a classic slip.
        return _ProblemError(
            _join(path, key),
            f"unknown key here; {key!r} is a top-level key: write it above the first [table] or [[array]] header",
        )
    hint = _did_you_mean(key, valid)
    return _ProblemError(_join(path, key), f"unknown key; {hint}valid keys: {', '.join(valid)}")


def _top_level_keys() -> list[str]:
    return list(dict.fromkeys([*SCENARIO_KEYS, *_model_keys()]))


_LEADING_NAME = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?) (?P<rest>.+)$", re.DOTALL)


def _blame(path: str, exc: Exception, names: Mapping[str, str]) -> _ProblemError:
    """Turn a validator's ``"<field> must be ..."`` into a problem at ``path.<key>``."""
    message = str(exc)
    match = _LEADING_NAME.match(message)
    if match:
        name = match["name"]
        base = name.split("[", 1)[0]
        if base in names:
            return _ProblemError(_join(path, names[base] + name[len(base) :]), match["rest"])
    return _ProblemError(path, message)


def _build(cls: type, value: object, path: str, overrides: Mapping[str, Callable[[object, str], object]] = {}) -> Any:
    """``cls(**table)`` with each value converted by the field's annotation; unknown and missing keys refused.

    A key ``k`` that is no field but names a constructor ``cls.from_k(value, **rest)`` (``csv = "trace.csv"`` for
    ``Replay.from_csv``) builds through that constructor instead.
    """
    if not isinstance(value, dict):
        raise _ProblemError(path, f"must be a table of {cls.__name__} settings, {_got(value)}")
    fields = [f for f in attrs.fields(cls) if f.init]
    by_key = {_key(f): f for f in fields}
    valid = list(by_key)
    constructors = [k for k in value if k not in by_key and callable(getattr(cls, f"from_{k}", None))]
    if constructors:
        return _construct(cls, constructors[0], value, path)
    for key in value:
        if key not in by_key:
            raise _unknown(path, key, valid + [c[5:] for c in dir(cls) if c.startswith("from_")])
    missing = [k for k, f in by_key.items() if f.default is attrs.NOTHING and k not in value]
    if missing:
        raise _ProblemError(path, f"missing required key {missing[0]!r} (keys: {', '.join(valid)})")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        here = _join(path, key)
        convert = overrides.get(key)
        if convert is not None:
            kwargs[key] = convert(item, here)
        else:
            kwargs[key] = _convert(hints.get(by_key[key].name, Any), item, here, owner=cls)
    names = {f.name: _key(f) for f in fields} | {_key(f): _key(f) for f in fields}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise _blame(path, exc, names) from None


def _construct(cls: type, key: str, value: dict[str, Any], path: str) -> Any:
    """``cls.from_<key>(value[key], **rest)``: a named constructor such as ``Replay.from_csv``."""
    make = getattr(cls, f"from_{key}")
    params = list(inspect.signature(make).parameters.values())
    accepted = [p.name for p in params[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    rest = {k: v for k, v in value.items() if k != key}
    for k in rest:
        if k not in accepted:
            raise _unknown(path, k, [key, *accepted])
    first = value[key]
    if isinstance(first, str) and key in ("csv", "json", "file", "path"):
        base = _BASE_DIR.get()
        folder = (base if base is not None else Path.cwd()).resolve()
        resolved = (folder / first).resolve()
        if not resolved.is_relative_to(folder):
            _imports(_join(path, key), f"reads {first!r}, outside the scenario's folder {str(folder)!r}", reads=True)
        first = str(base / first) if base is not None and not Path(first).is_absolute() else first
    try:
        return make(first, **rest)
    except OSError as exc:
        reason = exc.reason if isinstance(exc, UnreadableFileError) else (exc.strerror or type(exc).__name__)
        raise _ProblemError(_join(path, key), f"cannot read {first}: {reason}") from None
    except (TypeError, ValueError) as exc:
        raise _blame(path, exc, {k: k for k in [key, *accepted]}) from None


def _choice(base: type, value: object, path: str) -> object:
    """A one-key table naming an implementation of ``base``: ``{ lognormal = { median = 0.2, spread = 1.5 } }``."""
    known = _implementations(base)
    if not isinstance(value, dict) or len(value) != 1:
        got = f"got keys {list(value)!r}" if isinstance(value, dict) else _got(value)
        raise _ProblemError(path, f"must be a table with one key naming one of: {_names(known)}; {got}")
    ((name, params),) = value.items()
    cls = _lookup(known, name)
    if cls is None:
        hint = _did_you_mean(name, [*known, *map(_squash, known)])
        raise _ProblemError(_join(path, name), f"unknown {base.__name__}; {hint}valid: {_names(known)}")
    return _build(cls, params, _join(path, name))


def _distribution(value: object, path: str) -> object:
    if isinstance(value, dict):
        return _choice(dist.Distribution, value, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _ProblemError(
            path,
            f"must be seconds (a number >= 0) or a distribution table such as "
            f"{{ lognormal = {{ median = 0.2, spread = 1.5 }} }}, {_got(value)}",
        )
    return value


def _is_union(tp: object) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_protocol(tp: object) -> bool:
    return isinstance(tp, type) and bool(getattr(tp, "_is_protocol", False))


def _protocols_of(owner: type | None) -> list[type]:
    """The runtime-checkable protocols declared in ``owner``'s module (a workload's ``RateProfile``)."""
    module = sys.modules.get(owner.__module__) if owner is not None else None
    if module is None:
        return []
    return [
        obj
        for obj in vars(module).values()
        if _is_protocol(obj)
        and obj.__module__.startswith("lambdasim.")  # declared or imported there (SendMessages' RateProfile)
        and getattr(obj, "_is_runtime_protocol", False)
        and _implementations(obj)
    ]


def _untyped(value: object, path: str, owner: type | None) -> object:
    """A field without a usable annotation: a one-key table naming an implementation of a protocol of the owner's
    module builds it (``rate = { piecewise = {...} }``); anything else, JSON payloads included, is kept as is."""
    keyed = path.rsplit(".", 1)[-1].startswith(("payload", "response", "body"))
    if isinstance(value, dict) and len(value) == 1 and not keyed:
        ((name, _params),) = value.items()
        protocols = _protocols_of(owner)
        for proto in protocols:
            if _lookup(_implementations(proto), name) is not None:
                return _choice(proto, value, path)
        for proto in protocols:  # a near miss is a typo, not a payload: say what was meant
            known = _implementations(proto)
            if difflib.get_close_matches(name, [*known, *map(_squash, known)], n=1, cutoff=0.8):
                return _choice(proto, value, path)
    return value


def _convert(tp: Any, value: object, path: str, owner: type | None = None) -> object:
    """Check and convert one TOML value against the annotation ``tp`` of a field of ``owner``."""
    if tp is Any or tp is object:
        return _untyped(value, path, owner)
    if _is_union(tp):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value, path, owner)
        if isinstance(value, dict) and all(isinstance(a, type) and attrs.has(a) for a in options):
            return _build(_pick(options, value, path), value, path)  # an SQS or a stream event source mapping
        return value  # several types: the class's own validator decides
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, dist.Distribution):
        return _distribution(value, path)
    if _is_protocol(tp):
        return _choice(tp, value, path) if _implementations(tp) else value
    if isinstance(tp, type) and attrs.has(tp):
        return _build(tp, value, path)
    if origin in (tuple, list, collections.abc.Sequence):
        return _sequence(tp, value, path, owner)
    if origin in (dict, collections.abc.Mapping) or tp in (dict, Mapping):
        if not isinstance(value, dict):
            raise _ProblemError(path, f"must be a table, {_got(value)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _ProblemError(path, f"must be true or false, {_got(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _ProblemError(path, f"must be an integer, {_got(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _ProblemError(path, f"must be a number, {_got(value)}")
        if isinstance(value, float) and math.isnan(value):
            raise _ProblemError(path, "must be a number, got nan")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _ProblemError(path, f"must be a string, {_got(value)}")
        return value
    return value


def _pick(options: list[type], value: dict[str, Any], path: str) -> type:
    """The one attrs class of ``options`` whose required keys the table has (its other keys are then checked by
    building it, with a did-you-mean for a typo)."""
    fits = [
        cls
        for cls in options
        if all(_key(f) in value for f in attrs.fields(cls) if f.init and f.default is attrs.NOTHING)
    ]
    if len(fits) == 1:
        return fits[0]
    needs = "; ".join(
        f"{cls.__name__} needs "
        + ", ".join(_key(f) for f in attrs.fields(cls) if f.init and f.default is attrs.NOTHING)
        for cls in options
    )
    raise _ProblemError(path, f"matches {'none' if not fits else 'more than one'} of the kinds it can be: {needs}")


def _sequence(tp: Any, value: object, path: str, owner: type | None = None) -> object:
    if not isinstance(value, list):
        raise _ProblemError(path, f"must be an array, {_got(value)}")
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and args and args[-1] is not Ellipsis:
        if len(value) != len(args):
            raise _ProblemError(path, f"must be an array of {len(args)} values, got {len(value)}: {value!r}")
        return [_convert(a, v, _join(path, i), owner) for i, (a, v) in enumerate(zip(args, value, strict=True))]
    item_type = args[0] if args else Any
    return [_convert(item_type, v, _join(path, i), owner) for i, v in enumerate(value)]


def _kind(array: str, value: object, path: str) -> object:
    if not isinstance(value, dict):
        raise _ProblemError(path, f"must be a table with a type key, {_got(value)}")
    known = kinds(array)
    kind = value.get("type")
    if kind is None:
        raise _ProblemError(_join(path, "type"), f"missing; valid types: {', '.join(sorted(known))}")
    if not isinstance(kind, str):
        raise _ProblemError(_join(path, "type"), f"must be a string, {_got(kind)}")
    if kind not in known:
        hint = _did_you_mean(kind, list(known))
        raise _ProblemError(
            _join(path, "type"), f"unknown type {kind!r}; {hint}valid types: {', '.join(sorted(known))}"
        )
    params = {k: v for k, v in value.items() if k != "type"}
    return _build(known[kind], params, path)


def _behaviour(value: object, path: str) -> object:
    if isinstance(value, str):
        _imports(path, f"imports the handler {short_repr(value)}")
        return value  # an importable "module.function" handler
    return _build(Behaviour, value, path)


_OVERRIDES: dict[type, dict[str, Callable[[object, str], object]]] = {Function: {"behaviour": _behaviour}}


def _function(value: object, path: str) -> Function:
    result: Function = _build(Function, value, path, _OVERRIDES[Function])
    return result


# -- the scenario -----------------------------------------------------------------------------------------------


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _text(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, got {value!r}")


@frozen(kw_only=True)
class Scenario:
    """A model with a name, a seed and a number of replications, usually read from a TOML file.

    Attributes:
        model: The :class:`~lambdasim.planning.model.Model` (functions, workloads and faults, settings, horizon).
        name: A short name for reports.
        description: What the scenario shows.
        seed: The seed (an integer >= 0): of the run itself, or the root of the replications' seeds (:meth:`seeds`).
        replications: Independent runs, 1 to 100,000.
        source: Where it was read from (used in error messages).
        imports: What the file imports or reads from outside its folder, as ``"<field>: <what>"`` lines
            (read with ``allow_code=True``; otherwise such a file is refused).
    """

    model: Model = field(validator=attrs.validators.instance_of(Model))
    name: str = field(default="scenario", validator=_text)
    description: str = field(default="", validator=_text)
    seed: int = field(default=DEFAULT_SEED)
    replications: int = field(default=1)
    source: str = field(default="<scenario>", validator=_text)
    imports: tuple[str, ...] = field(default=(), converter=_strings)

    @seed.validator
    def _check_seed(self, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"seed must be an integer >= 0, got {value!r}")

    @replications.validator
    def _check_replications(self, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPLICATIONS:
            raise ValueError(f"replications must be an integer in [1, {MAX_REPLICATIONS}], got {value!r}")

    def seeds(self, seed: int | None = None, replications: int | None = None) -> list[int]:
        """The seed of each replication (defaults: the scenario's seed and replications).

        One replication runs with ``seed`` itself; several run with the seeds
        :func:`lambdasim.planning.experiment.replication_seeds` spawns from it, the same as
        ``lambdasim.experiment.replicate(model, n, seed=seed)``. Any replication reruns alone with its own seed.
        """
        root = self.seed if seed is None else seed
        n = self.replications if replications is None else replications
        if n == 1:
            return [root]
        from lambdasim.planning.experiment import replication_seeds

        return replication_seeds(root, n)

    def destinations(self) -> list[str]:
        """Every ARN the functions send outcomes to (on-success and on-failure destinations, dead-letter queues)."""
        arns: list[str] = []
        for _path, arn in _targets(self.model):
            if arn not in arns:
                arns.append(arn)
        return arns

    def build(self, seed: int | None = None, *, trace: bool = False) -> Simulation:
        """A simulation at time 0 with the queues and topics, functions, workloads and faults in place."""
        model = attrs.evolve(self.model, trace=trace) if trace != self.model.trace else self.model
        run_seed = self.seed if seed is None else seed
        try:
            sim = model.build(run_seed)
        except (ClientError, ParamValidationError, TypeError, ValueError) as exc:
            raise ScenarioError(self.source, self._culprit(run_seed), _client_message(exc)) from None
        self._create_targets(sim)
        return sim

    def run(self, seed: int | None = None, *, trace: bool = False) -> Results:
        """Build and run one replication to the horizon (``seed`` defaults to the scenario's)."""
        return self.build(seed, trace=trace).run(until=self.model.horizon_s)

    def _create_targets(self, sim: Simulation) -> None:
        """Create the queues, topics, buckets and event buses the destinations name (functions exist already)."""
        for arn in self.destinations():
            service, name = arn.split(":")[2], arn.split(":", 5)[5]
            try:
                if service == "sqs":
                    attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
                    sim.client("sqs").create_queue(QueueName=name, Attributes=attributes)
                elif service == "sns":
                    attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
                    sim.client("sns").create_topic(Name=name, Attributes=attributes)
                elif service == "s3":
                    sim.client("s3").create_bucket(Bucket=name)
                elif service == "events" and name != "event-bus/default":
                    sim.client("events").create_event_bus(Name=name.removeprefix("event-bus/"))
            except ClientError as exc:
                raise ScenarioError(self.source, "functions", f"cannot create {arn}: {_client_message(exc)}") from None

    def _culprit(self, seed: int) -> str:
        """Which part of the model the simulation refused: each function is created alone, in order."""
        from lambdasim.aws.simulation import Simulation

        sim = Simulation(seed=seed, settings=self.model.settings, concurrency_limit=self.model.concurrency_limit)
        for i, f in enumerate(self.model.functions):
            try:
                f.create(sim)
            except FunctionRefusedError as exc:
                return f"functions[{i}].{exc.field}" if exc.field else f"functions[{i}]"
            except Exception:
                return f"functions[{i}]"
        for i, w in enumerate(self.model.workloads):
            try:
                w.attach(sim)
            except Exception:
                return f"workloads[{i}]"
        return ""

    def describe(self, seed: int | None = None, replications: int | None = None) -> str:
        """A few lines on what the scenario holds (with the seed and replications a run overrides, if any)."""
        m = self.model
        horizon = "until idle" if m.horizon_s is None else f"{m.horizon_s:g} s"
        lines = [
            f"scenario {self.name!r} ({self.source})",
            f"  {len(m.functions)} function(s): {', '.join(f.name for f in m.functions)}",
            f"  {len(m.workloads)} workload(s) and fault(s): "
            + (", ".join(type(w).__name__ for w in m.workloads) or "none"),
            f"  horizon {horizon}, account concurrency {m.concurrency_limit}, "
            f"seed {self.seed if seed is None else seed}, "
            f"{self.replications if replications is None else replications} replication(s)",
        ]
        if self.description:
            lines.insert(1, f"  {self.description}")
        return "\n".join(lines)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _client_message(exc: BaseException) -> str:
    """``"Code: Message"`` for a service error (the operation is the field path's job), else the message."""
    if isinstance(exc, FunctionRefusedError):
        return _one_line(f"{exc.code}: {exc.message}")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return _one_line(f"{error.get('Code', 'Error')}: {error.get('Message', '')}")
    return _one_line(exc)


def _targets(model: Model) -> list[tuple[str, str]]:
    """``(field path, ARN)`` of every destination and dead-letter queue of ``model``'s functions."""
    out: list[tuple[str, str]] = []
    for i, f in enumerate(model.functions):
        if f.dead_letter_arn:
            out.append((f"functions[{i}].dead_letter_arn", f.dead_letter_arn))
        if f.event_invoke is not None:
            for side in ("on_success", "on_failure"):
                arn = getattr(f.event_invoke, side)
                if arn:
                    out.append((f"functions[{i}].event_invoke.{side}", arn))
    return out


SIMULATED_REGION = "us-east-1"
SIMULATED_ACCOUNT = "123456789012"
"""Where a scenario's simulation lives (the :class:`~lambdasim.Simulation` defaults): its ARNs must say so."""


def _check_targets(model: Model) -> None:
    """Destinations must be in the simulated account and region, and a Lambda destination must be a function of the
    scenario; otherwise every delivery would fail, which is never what a scenario file means."""
    names = [f.name for f in model.functions]
    for path, arn in _targets(model):
        _arn, _partition, service, region, account, resource = arn.split(":", 5)
        if service != "s3" and (region, account) != (SIMULATED_REGION, SIMULATED_ACCOUNT):
            raise _ProblemError(
                path,
                f"must be in the simulated account {SIMULATED_ACCOUNT} and region {SIMULATED_REGION}, "
                f"as in 'arn:aws:{service}:{SIMULATED_REGION}:{SIMULATED_ACCOUNT}:...', got {arn!r}",
            )
        if service == "lambda":
            target = resource.removeprefix("function:").split(":", 1)[0]
            if target not in names:
                raise _ProblemError(
                    path, f"names function {target!r}, which is not among functions: {', '.join(names)}"
                )


# -- reading files ----------------------------------------------------------------------------------------------


def _model_keys() -> dict[str, attrs.Attribute[Any]]:
    return {_key(f): f for f in attrs.fields(Model) if f.init and f.name != "trace"}


def _from_dict(data: dict[str, Any], source: str) -> Scenario:
    model_fields = _model_keys()
    valid = _top_level_keys()
    for key in data:
        if key not in valid:
            raise _unknown("", key, valid)
    if "functions" not in data:
        raise _ProblemError("functions", "missing: a scenario needs at least one [[functions]] table")
    functions = _sequence_of(data["functions"], "functions", _function)
    names = [f.name for f in functions]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _ProblemError(f"functions[{i}].name", f"duplicate function name {name!r}")
    workloads = _sequence_of(data.get("workloads", []), "workloads", lambda v, p: _kind("workloads", v, p))
    faults = _sequence_of(data.get("faults", []), "faults", lambda v, p: _kind("faults", v, p))
    for array, items in (("workloads", workloads), ("faults", faults)):
        for i, item in enumerate(items):
            target = getattr(item, "function", None)
            if target is not None and target.partition(":")[0] not in names:  # "name" or "name:qualifier"
                raise _ProblemError(f"{array}[{i}].function", f"no function {target!r}; functions: {', '.join(names)}")
    hints = _hints(Model)
    kwargs: dict[str, Any] = {"functions": functions, "workloads": [*workloads, *faults]}
    for key, f in model_fields.items():
        if key in data and key not in kwargs:
            kwargs[key] = _convert(hints.get(f.name, Any), data[key], key)
    try:
        model = Model(**kwargs)
    except (TypeError, ValueError) as exc:
        raise _blame("", exc, {f.name: _key(f) for f in attrs.fields(Model)}) from None
    _check_targets(model)
    scenario_kwargs: dict[str, Any] = {}
    for key, tp in (("name", str), ("description", str), ("seed", int), ("replications", int)):
        if key in data:
            scenario_kwargs[key] = _convert(tp, data[key], key)
    try:
        return Scenario(model=model, source=source, **scenario_kwargs)
    except (TypeError, ValueError) as exc:
        raise _blame("", exc, {"seed": "seed", "replications": "replications"}) from None


def _sequence_of(value: object, path: str, convert: Callable[[object, str], Any]) -> list[Any]:
    if not isinstance(value, list):
        raise _ProblemError(path, f"must be an array of tables ([[{path}]]), {_got(value)}")
    return [convert(item, _join(path, i)) for i, item in enumerate(value)]


def loads(
    text: str, source: str = "<string>", *, base_dir: str | Path | None = None, allow_code: bool | None = False
) -> Scenario:
    """Read a scenario from TOML text; ``source`` names it in errors and ``base_dir`` anchors its relative paths
    (default: the current directory). A scenario that imports code (a ``"module.function"`` behaviour) or reads a
    file outside ``base_dir`` needs ``allow_code=True``: a scenario file is code then. Raises
    :class:`ScenarioError`. ``allow_code=None`` reads the scenario only to report what it imports
    (:attr:`Scenario.imports`): its handlers are listed, not refused (reading imports nothing), but a file outside
    its folder is still refused."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError(source, "", f"is {len(text):,} characters; the limit is {MAX_SCENARIO_BYTES:,}")
    return from_dict(parse_toml(text, source), source, base_dir=base_dir, allow_code=allow_code)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """The TOML ``text`` as a dict; :class:`ScenarioError` naming ``source`` for invalid or too deeply nested TOML."""
    # Refused before parsing, whatever the interpreter's recursion limit is (tomllib recurses per level): brackets
    # and braces outside strings, counted without parsing (a scenario needs a few levels).
    if text_depth(text) > MAX_PAYLOAD_DEPTH:
        raise ScenarioError(source, "", "invalid TOML: arrays or tables nested too deeply to read")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(source, "", "invalid TOML: arrays or tables nested too deeply to read") from None


def read_file(path: str | Path, kind: str = "scenario file") -> str:
    """The text of the file at ``path`` (a regular file of at most 1 MiB of UTF-8, never a device or a FIFO);
    :class:`ScenarioError` saying why it cannot be read, ``kind`` naming what it should have been."""
    try:
        return read_text(Path(path), MAX_SCENARIO_BYTES)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", f"is a directory, not a {kind}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), "", f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except UnreadableFileError as exc:
        raise ScenarioError(str(path), "", exc.reason) from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot be read: {exc.strerror or type(exc).__name__}") from None


def from_dict(
    data: Mapping[str, Any],
    source: str = "<dict>",
    *,
    base_dir: str | Path | None = None,
    allow_code: bool | None = False,
) -> Scenario:
    """Read a scenario from the dict a TOML parser returns (the same keys as a file; ``allow_code`` as in
    :func:`loads`)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(source, "", f"must be a table of scenario settings, {_got(data)}")
    token = _BASE_DIR.set(None if base_dir is None else Path(base_dir))
    imported: list[str] = []
    code = _CODE.set((allow_code, imported))
    try:
        scenario = _from_dict(dict(data), source)
    except _ProblemError as problem:
        raise ScenarioError(source, problem.path, problem.problem) from None
    except RecursionError:
        raise ScenarioError(source, "", "values nested too deeply to read") from None
    finally:
        _CODE.reset(code)
        _BASE_DIR.reset(token)
    return attrs.evolve(scenario, imports=tuple(imported))


def load(path: str | Path, *, allow_code: bool | None = False) -> Scenario:
    """Read a scenario file (``allow_code`` as in :func:`loads`). Raises :class:`ScenarioError` (never a bare
    ``OSError`` or parser traceback); only regular files of at most 1 MiB are read, never a device or a FIFO."""
    text = read_file(path)
    return loads(text, source=str(path), base_dir=Path(path).parent, allow_code=allow_code)
