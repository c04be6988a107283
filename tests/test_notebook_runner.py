"""``python -m lambdasim.notebooks``: the one command that runs the notebooks, quietly."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdasim.notebooks import main
from lambdasim.planning import _progress


def test_quiet_environment_turns_default_progress_bars_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_progress, "in_notebook", lambda: True)  # as in a kernel, where bars show by default
    monkeypatch.delenv("LAMBDASIM_PROGRESS", raising=False)
    assert _progress.interactive()
    for value in ("0", "off", "False", "no"):
        monkeypatch.setenv("LAMBDASIM_PROGRESS", value)
        assert not _progress.interactive()
        assert _progress.progress_bar(10, progress=None, desc="x") is None
    monkeypatch.setenv("LAMBDASIM_PROGRESS", "1")
    assert _progress.interactive()


def test_no_notebooks_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert "no notebooks found" in capsys.readouterr().err


def test_a_notebook_runs_and_its_time_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbformat.v4.new_code_cell("import os\nprint(os.environ['LAMBDASIM_PROGRESS'])")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(book, path)
    assert main([str(path), "--inplace"]) == 0
    assert "tiny.ipynb: ok in" in capsys.readouterr().out
    assert nbformat.read(path, as_version=4).cells[0].outputs[0]["text"] == "0\n"
    book.cells = [nbformat.v4.new_code_cell("raise ValueError('broken')")]
    nbformat.write(book, path)
    assert main([str(path)]) == 1
    assert "FAILED" in capsys.readouterr().err
