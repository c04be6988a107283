"""Optional dependencies, imported when first needed, with an error that says how to install them."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise ``ImportError`` naming the lambdasim extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"this needs {module.split('.', maxsplit=1)[0]!r}, which is not installed: pip install 'lambdasim[{extra}]'"
        ) from exc


def available(module: str) -> bool:
    """Whether ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _deprecated(old: str, new: str) -> None:
    """Warn that ``old`` is a deprecated spelling of ``new`` (pointing at the caller's caller)."""
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)
