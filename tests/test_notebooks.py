"""The notebooks: thin, outputs cleared, and they run end to end (executed with nbclient; slow, so in CI)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def code_cells(path: Path) -> list[str]:
    book = nbformat.read(path, as_version=4)
    return [c.source for c in book.cells if c.cell_type == "code"]


def test_the_four_stories_are_there() -> None:
    assert IDS == [
        "01-sizing-reserved-concurrency",
        "02-downstream-outage",
        "03-cost-memory-concurrency",
        "04-sqs-or-direct-invoke",
        "05-risk-and-assumptions",
        "06-streams",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_are_cleared_and_the_notebook_is_valid(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert book.metadata["kernelspec"]["name"] == "python3"
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebooks_are_thin_no_model_code(path: Path) -> None:
    """Notebooks compose the library; functions, classes and lambdas belong in lambdasim, tested there."""
    cells = code_cells(path)
    parameters = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "one cell tagged 'parameters' holds the knobs"
    for source in cells:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), source


CONCLUSIONS = {
    "01": "least functions[orders].reserved_concurrency",
    "02": "discarded after their retries (RetriesExhausted",
    "03": "cheapest setting",
    "04": "settings that lose no job",
    "05": "at 90% confidence the share of days that meet it is at least",
    "06": "smallest setting that keeps the iterator age under",
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_end_to_end_and_quietly(path: Path) -> None:
    """Executed as ``python -m lambdasim.notebooks`` does (the documented command), in under a minute or two."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from lambdasim.notebooks import execute

    began = time.perf_counter()
    book = execute(path)
    elapsed = time.perf_counter() - began
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error"] == []
    # No progress bars in an executed notebook: nothing on stderr, no tqdm widgets.
    assert [o.get("text", "")[:80] for o in outputs if o.get("name") == "stderr"] == []
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert CONCLUSIONS[path.stem[:2]] in text
    assert elapsed < 300, f"{path.stem} took {elapsed:.0f} s: keep the notebooks fast"
