"""Function code from a deployment package: the handler named by ``Handler`` imported from the ``.zip``.

A Python function created with ``Code={"ZipFile": ...}`` (or from S3) runs the code in its package, as the Lambda
Python runtime does: the handler ``"module.function"`` (or ``"pkg/module.function"``) is imported from the package
when the version is first invoked, never from the caller's ``sys.path``. Each :class:`CodeHandler` (one per function
version: ``$LATEST`` and every published version, whose code stays frozen when ``$LATEST`` changes) imports the
package into a namespace of its own, ``_lambdasim_code_<sha>_<n>``, through an import hook that reads straight from
the zip's bytes: nothing is extracted, and two packages with a ``lambda_function.py`` each never see one another.

Inside the package, ``import helper`` and ``from pkg import mod`` find the package's own top-level modules first
(as ``/var/task`` comes first on the runtime's ``sys.path``), then anything installed where the simulation runs
(``boto3``, ``json``...), as the runtime's own libraries would be. ``importlib.import_module("helper")`` is not
redirected: it looks on the caller's ``sys.path``. Module-level code runs once per version, on its first invoke
(lambdasim does not re-run it per execution environment) [model]; tracebacks name the files as
``/var/task/<path in the zip>``, as on AWS.

Import failures are what the runtime reports (awslambdaric's ``_get_handler``): ``Runtime.MalformedHandlerName``,
``Runtime.BuiltInModuleConflict``, ``Runtime.ImportModuleError`` ("Unable to import module 'm': No module named
'm'"), ``Runtime.UserCodeSyntaxError``, ``Runtime.HandlerNotFound`` ("Handler 'f' missing on module 'm'"); another
exception raised while importing is reported as itself. They are function errors of the invocation, never crashes.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import io
import itertools
import linecache
import sys
import time
import types
import weakref
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from lambdasim.core.handler import ErrorInfo, error_info, exit_error, is_async

__all__ = ["RUNTIME_ROOT", "CodeHandler", "UnzipError", "ZipCode"]

RUNTIME_ROOT = "/var/task"
"""Where the runtime unpacks the package: the directory tracebacks name."""

_PREFIX = "_lambdasim_code_"
_counter = itertools.count(1)


class UnzipError(ValueError):
    """The bytes are not a zip archive the runtime could unpack."""


class ZipCode:
    """A deployment package: its bytes' ``CodeSha256`` and ``CodeSize`` as AWS reports them, and its files."""

    __slots__ = ("files", "sha256", "size")

    def __init__(self, data: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
            raise UnzipError(str(exc)) from None
        self.files: dict[str, bytes] = files
        self.sha256 = base64.b64encode(hashlib.sha256(data).digest()).decode()
        self.size = len(data)

    def top_level(self) -> frozenset[str]:
        """The importable names at the package's root: modules ``x.py`` and directories holding Python files."""
        names: set[str] = set()
        for path in self.files:
            first, sep, _ = path.partition("/")
            if sep:
                if path.endswith(".py"):
                    names.add(first)
            elif first.endswith(".py"):
                names.add(first[:-3])
        return frozenset(names)


class _Namespace:
    """One version's imported copy of a package: ``root`` is its ``sys.modules`` prefix."""

    def __init__(self, code: ZipCode, root: str) -> None:
        self.code = code
        self.root = root
        self.tops = code.top_level()
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        """The package's ``__import__``: absolute imports of its own top-level names go to its namespace."""
        if level == 0:
            top = name.partition(".")[0]
            if top in self.tops:
                module = builtins.__import__(f"{self.root}.{name}", globals, locals, fromlist or (), 0)
                return module if fromlist else sys.modules[f"{self.root}.{top}"]
        return builtins.__import__(name, globals, locals, fromlist or (), level)

    def spec(self, fullname: str) -> importlib.machinery.ModuleSpec | None:
        rest = fullname[len(self.root) + 1 :] if fullname != self.root else ""
        if not rest:
            return importlib.machinery.ModuleSpec(fullname, _Loader(self, None), is_package=True)
        rel = rest.replace(".", "/")
        files = self.code.files
        if f"{rel}/__init__.py" in files:
            path = f"{rel}/__init__.py"
            spec = importlib.machinery.ModuleSpec(fullname, _Loader(self, path), origin=_origin(path), is_package=True)
        elif f"{rel}.py" in files:
            path = f"{rel}.py"
            spec = importlib.machinery.ModuleSpec(fullname, _Loader(self, path), origin=_origin(path))
        elif any(p.startswith(rel + "/") for p in files):  # a directory without __init__.py: a namespace package
            spec = importlib.machinery.ModuleSpec(fullname, _Loader(self, None), is_package=True)
        else:
            return None
        spec.has_location = spec.origin is not None
        if spec.submodule_search_locations is not None:
            spec.submodule_search_locations.append(_origin(rel))
        return spec

    def forget(self) -> None:
        """Drop the namespace's modules (its CodeHandler is gone)."""
        _NAMESPACES.pop(self.root, None)
        for name in [n for n in sys.modules if n == self.root or n.startswith(self.root + ".")]:
            del sys.modules[name]


def _origin(path: str) -> str:
    return f"{RUNTIME_ROOT}/{path}"


class _Loader(importlib.abc.Loader):
    """Runs a module's source from the zip, with the package's ``__import__``."""

    def __init__(self, namespace: _Namespace, path: str | None) -> None:
        self._ns = namespace
        self._path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # the default module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = self._ns.builtins
        if self._path is None:
            return  # the namespace root or a namespace package: nothing to run
        source = self.get_source(module.__name__)
        filename = _origin(self._path)
        # The traceback module reads source lines through linecache: this version's text under its /var/task name.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> str:
        assert self._path is not None
        return self._ns.code.files[self._path].decode("utf-8")


class _Finder(importlib.abc.MetaPathFinder):
    """Finds modules under the namespaces of the packages in use (and nothing else)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX):
            return None
        ns = _NAMESPACES.get(fullname.partition(".")[0])
        return None if ns is None else ns.spec(fullname)


_NAMESPACES: dict[str, _Namespace] = {}
_FINDER = _Finder()


def _install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


class CodeHandler:
    """The handler ``handler`` of package ``code`` for one function version, imported on first use.

    ``cpu_time_scale`` (``None``: off): a plain handler's simulated duration is the CPU time its call took here,
    times this factor, instead of a draw from the function's ``Duration`` (not deterministic: it depends on the
    machine) [model]. An ``async def`` handler's duration is the time it awaits, as always.
    """

    __slots__ = ("__weakref__", "_resolved", "code", "cpu_time_scale", "handler")

    def __init__(self, code: ZipCode, handler: str, cpu_time_scale: float | None = None) -> None:
        self.code = code
        self.handler = handler
        self.cpu_time_scale = cpu_time_scale
        self._resolved: tuple[Callable[..., Any] | None, ErrorInfo | None] | None = None

    def fresh(self) -> CodeHandler:
        """The same code and handler in a namespace of its own (a published version's frozen copy)."""
        return CodeHandler(self.code, self.handler, self.cpu_time_scale)

    def resolve(self) -> tuple[Callable[..., Any] | None, ErrorInfo | None]:
        """The handler callable, or the runtime's error; imported once, then remembered."""
        if self._resolved is None:
            self._resolved = self._load()
        return self._resolved

    def _load(self) -> tuple[Callable[..., Any] | None, ErrorInfo | None]:
        modname, sep, fname = self.handler.rpartition(".")
        if not sep:
            return None, (
                "Runtime.MalformedHandlerName",
                f"Bad handler '{self.handler}': not enough values to unpack (expected 2, got 1)",
                [],
            )
        if modname.split(".")[0] in sys.builtin_module_names:
            return None, (
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {modname} as a handler module",
                [],
            )
        root = f"{_PREFIX}{hashlib.sha256(self.code.sha256.encode()).hexdigest()[:12]}_{next(_counter)}"
        namespace = _NAMESPACES[root] = _Namespace(self.code, root)
        weakref.finalize(self, namespace.forget)
        _install()
        try:
            module = importlib.import_module(f"{root}.{modname.replace('/', '.')}")
        except ImportError as exc:
            message = str(exc).replace(f"{root}.", "")
            return None, ("Runtime.ImportModuleError", f"Unable to import module '{modname}': {message}", [])
        except SyntaxError as exc:
            trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
            return None, ("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", trace)
        except SystemExit as exc:  # the runtime process exits
            return None, exit_error(exc)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # whatever module-level code raises: reported as itself, as the runtime does
            return None, error_info(exc)
        fn = getattr(module, fname, None)
        if fn is None:
            return None, ("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'", [])
        if self.cpu_time_scale is not None and not is_async(fn):
            return _measured(fn, self.cpu_time_scale), None
        return fn, None


def _measured(fn: Callable[..., Any], scale: float) -> Callable[..., Any]:
    """``fn`` as an ``async def`` handler that takes ``scale`` times the CPU time of its call in simulated time."""

    async def handler(event: Any, context: Any) -> Any:
        started = time.process_time()
        try:
            response = fn(event, context)
        except BaseException:
            await context.sleep((time.process_time() - started) * scale)
            raise
        await context.sleep((time.process_time() - started) * scale)
        return response

    return handler
