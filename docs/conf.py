"""Sphinx configuration: MyST Markdown pages, reference pages from the docstrings (autodoc + napoleon).

Adding a page: write a Markdown file in ``tutorial/``, ``how-to/`` (or ``howto-*.md`` here), ``explanation/`` (or
``performance*.md`` here) or ``reference/``; the table of contents in ``index.md`` picks it up by glob. Examples
written as ``>>>`` sessions run as doctests in the test suite (``pytest`` collects ``docs/**/*.md``), and the build
runs with warnings as errors in ``tests/test_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document this tree's lambdasim, installed or not
sys.path.insert(0, str(HERE / "_ext"))

import lambdasim  # noqa: E402

project = "lambdasim"
author = "lambdasim developers"
copyright = "lambdasim developers"
release = version = lambdasim.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "lambdasim_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # attrs classes document fields in "Attributes:"; no duplicate attribute entries

html_theme = "alabaster"
html_title = f"lambdasim {release}"
html_static_path: list[str] = []
