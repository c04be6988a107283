"""Progress bars for long runs and sweeps: tqdm when installed, shown only where someone is watching.

``progress=None`` (the default everywhere) shows a bar in a Jupyter notebook (a widget when ipywidgets is installed,
text otherwise, through ``tqdm.auto``) or on an interactive terminal, and stays quiet in scripts, logs, CI and tests.
``True`` asks for a bar (an ``ImportError`` if tqdm is missing: ``pip install 'lambdasim[progress]'``); ``False``
turns it off. The environment variable ``LAMBDASIM_PROGRESS=0`` turns the default off everywhere (what
``python -m lambdasim.notebooks`` sets, so that executed notebooks do not fill with progress-bar lines).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

from lambdasim.core._optional import available, require

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.core.results import Results

PROGRESS_STEPS = 100
"""A run with a progress bar advances the clock in this many steps (the results do not depend on them)."""


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel."""
    return "ipykernel.zmqshell" in sys.modules


QUIET_VARIABLE = "LAMBDASIM_PROGRESS"
"""Set to ``0``, ``off``, ``false`` or ``no``: no progress bars unless asked for with ``progress=True``."""


def quiet() -> bool:
    """Whether the environment turns default progress bars off."""
    return os.environ.get(QUIET_VARIABLE, "").strip().lower() in ("0", "off", "false", "no")


def interactive() -> bool:
    """Whether someone is watching: a notebook, or a terminal on stderr (and the environment does not say quiet)."""
    if quiet():
        return False
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


def run_with_progress(sim: Simulation, until: float | None, bar: Any | None) -> Results:
    """Run ``sim`` to absolute time ``until`` (s; ``None``: until nothing is left to do) and return its results.

    With a ``bar``, the clock advances in :data:`PROGRESS_STEPS` equal steps and the bar by the simulated seconds of
    each; the caller closes the bar. Stepping changes nothing in the results.
    """
    if bar is None or until is None:
        return sim.run(until=until)
    for k in range(1, PROGRESS_STEPS + 1):
        before = sim.now
        sim.run(until=until * k / PROGRESS_STEPS if k < PROGRESS_STEPS else until)
        bar.update(sim.now - before)
    return sim.results()
