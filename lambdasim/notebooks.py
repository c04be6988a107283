"""Run the notebooks: ``python -m lambdasim.notebooks`` executes every notebook in ``notebooks/`` (or the paths
given) top to bottom with nbclient, as CI does, and reports each one's time; ``--inplace`` keeps the outputs.

Needs the ``notebooks`` extra (``pip install ".[notebooks]"``: nbclient, nbformat, ipykernel, pandas, tqdm).
Executed notebooks stay quiet: progress bars are off (``LAMBDASIM_PROGRESS=0``) and figures render with Agg.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lambdasim.core._optional import require
from lambdasim.planning._progress import QUIET_VARIABLE

__all__ = ["execute", "main"]

TIMEOUT_S = 900
"""Longest a cell may run."""


def execute(path: str | Path, *, inplace: bool = False, timeout_s: int = TIMEOUT_S) -> Any:
    """Execute the notebook at ``path`` in a fresh ``python3`` kernel started in its folder; return the executed
    notebook (``nbformat.NotebookNode``). Raises ``nbclient.exceptions.CellExecutionError`` on the first error."""
    nbformat = require("nbformat", "notebooks")
    nbclient = require("nbclient", "notebooks")
    path = Path(path)
    book = nbformat.read(path, as_version=4)
    saved = {k: os.environ.get(k) for k in (QUIET_VARIABLE, "MPLBACKEND", "PYTHONPATH")}
    root = str(Path(__file__).resolve().parent.parent)
    try:
        # The kernel inherits these: quiet progress, headless figures, and this lambdasim on its path.
        os.environ[QUIET_VARIABLE] = "0"
        os.environ["MPLBACKEND"] = "Agg"
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, saved["PYTHONPATH"]]))
        client = nbclient.NotebookClient(
            book, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if inplace:
        nbformat.write(book, path)
    return book


def main(argv: Sequence[str] | None = None) -> int:
    """The command: execute each notebook, print its time; exit 1 on the first failure."""
    parser = argparse.ArgumentParser(prog="python -m lambdasim.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/)")
    parser.add_argument("--inplace", action="store_true", help="write the executed notebooks back")
    args = parser.parse_args(argv)
    paths: list[Path] = []
    for given in args.paths or ["notebooks"]:
        p = Path(given)
        paths.extend(sorted(p.glob("*.ipynb")) if p.is_dir() else [p])
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 2
    for p in paths:
        began = time.perf_counter()
        try:
            execute(p, inplace=args.inplace)
        except ImportError as exc:
            print(f"lambdasim: error: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # a cell's error, with the cell's traceback in the message
            print(f"{p}: FAILED\n{exc}", file=sys.stderr)
            return 1
        print(f"{p}: ok in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
