"""The documentation: it builds with warnings as errors, every example runs, every assumption is documented.

The examples themselves run as doctests: pytest collects every ``docs/**/*.md`` page (``--doctest-glob='*.md'``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import lambdasim as ls

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_four_kinds_of_page_are_there() -> None:
    for section in ("tutorial", "how-to", "explanation", "reference"):
        assert list((DOCS / section).glob("*.md")), section
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for pattern in ("tutorial/*", "how-to/*", "explanation/*", "reference/*"):
        assert f"\n{pattern}\n" in index


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_python_example_runs(page: Path) -> None:
    """A Python block is a doctest session (``>>>``), or the page is run by a test of its own."""
    text = page.read_text(encoding="utf-8")
    silent = [block for block in FENCE.findall(text) if ">>> " not in block]
    if silent:
        runners = [t for t in (ROOT / "tests").glob("test_*.py") if page.name in t.read_text(encoding="utf-8")]
        assert runners, f"{page.name}: python blocks without >>> prompts, and no test runs the page"


def test_every_settings_field_is_documented_for_the_assumptions_page() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from lambdasim_docs import attribute_docs
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    documented = attribute_docs(ls.Settings)
    fields = [a.name for a in attrs.fields(ls.Settings)]
    assert [f for f in fields if not documented.get(f)] == []
    assert "{settings-table}" in (DOCS / "explanation" / "assumptions.md").read_text(encoding="utf-8")


def test_reference_pages_cover_the_capacity_planning_modules() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    for module in (
        "planning.workload",
        "planning.model",
        "planning.experiment",
        "planning.capacity",
        "core.cost",
        "core.prices",
        "planning.plots",
        "planning.probe",
        "core.schedule",
    ):
        assert f".. automodule:: lambdasim.{module}\n" in text, module


def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assumptions = (out / "explanation" / "assumptions.html").read_text(encoding="utf-8")
    for field in attrs.fields(ls.Settings):
        assert field.name in assumptions, field.name
    assert (out / "reference" / "workload.html").exists()
    assert "VaryingPoisson" in (out / "reference" / "workload.html").read_text(encoding="utf-8")
