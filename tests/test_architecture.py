"""The package's layers import one way: core <- aws <- planning <- testing / cli (docs/explanation/architecture.md).

Every import counts, including those under ``TYPE_CHECKING`` and inside functions: a type-only upward import is
still a dependency of the design. The top-level modules (``lambdasim/model.py`` and the others) are the public
faces, re-exporting from the layers; they are outside the layering, and nothing inside the layers imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lambdasim

PACKAGE = Path(lambdasim.__file__).parent
LAYERS = {"core": 0, "aws": 1, "planning": 2, "testing": 3, "cli": 3}
PUBLIC_FACES = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "cli", "__main__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every lambdasim import in ``path``, absolute, wherever it appears."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("lambdasim")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lambdasim"):
            assert node.level == 0, f"{path}: relative import"
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _graph() -> dict[str, list[tuple[int, str]]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_layers_import_only_downwards() -> None:
    upward = []
    for module, imports in _graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        for line, target in imports:
            target_layer = _layer(target)
            if target_layer is not None and LAYERS[target_layer] > LAYERS[layer]:
                upward.append(f"{module}:{line} imports {target}")
    assert upward == []


def test_layers_do_not_import_the_public_faces() -> None:
    """Inside the layers, modules import each other by their homes, never through ``lambdasim.model`` and the like
    (which would hide an upward import behind a re-export)."""
    through_faces = []
    for module, imports in _graph().items():
        if _layer(module) is None:
            continue
        for line, target in imports:
            parts = target.split(".")
            if len(parts) >= 2 and parts[1] in PUBLIC_FACES:
                through_faces.append(f"{module}:{line} imports {target}")
    assert through_faces == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The test above would fail on an upward import: shown on a file written for the purpose."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lambdasim.planning.model import Model\n"
    )
    assert _imports(bad) == [(3, "lambdasim.planning.model.Model")]
    assert LAYERS[_layer("lambdasim.planning.model.Model") or ""] > LAYERS["core"]


def test_the_core_runs_without_the_layers_above() -> None:
    """Importing lambdasim.core's modules loads nothing from aws, planning or testing (checked in a fresh
    interpreter, where the package's own __init__ is bypassed by loading the core modules from their files)."""
    import subprocess
    import sys

    code = (
        "import importlib.util, sys, types, pathlib\n"
        f"root = pathlib.Path({str(PACKAGE)!r})\n"
        "pkg = types.ModuleType('lambdasim'); pkg.__path__ = [str(root)]; sys.modules['lambdasim'] = pkg\n"
        "import lambdasim.core.engine, lambdasim.core.results, lambdasim.core.cost, lambdasim.core.sinks\n"
        "import lambdasim.core.faults\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('lambdasim.') and m.count('.') >= 1}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "['core']", out.stdout + out.stderr
