"""Progress bars for long runs and sweeps: tqdm when installed, shown only where someone is watching.

``progress=None`` (the default everywhere) shows a bar in a Jupyter notebook (a widget when ipywidgets is installed,
text otherwise, through ``tqdm.auto``) or on an interactive terminal, and stays quiet in scripts, logs, CI and tests.
``True`` asks for a bar (an ``ImportError`` if tqdm is missing: ``pip install 'lambdasim[progress]'``); ``False``
turns it off.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from lambdasim._optional import available, require


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel."""
    return "ipykernel.zmqshell" in sys.modules


def interactive() -> bool:
    """Whether someone is watching: a notebook, or a terminal on stderr."""
    if in_notebook():
        return True
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def progress_bar(total: float, *, progress: bool | None, desc: str, unit: str = "run") -> Any | None:
    """A tqdm bar over ``total`` steps, or ``None`` when none is wanted (see the module docstring)."""
    if progress is False or (progress is None and not (interactive() and available("tqdm"))):
        return None
    require("tqdm", "progress")
    with warnings.catch_warnings():
        # tqdm.auto warns when a notebook lacks ipywidgets, then falls back to a text bar, which is fine.
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False)
