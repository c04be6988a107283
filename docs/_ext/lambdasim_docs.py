"""Sphinx helpers that build pages from the code, so they cannot go stale.

``settings-table``: every field of :class:`lambdasim.Settings` with its default, its documentation (the
``Attributes:`` section of the class docstring) and, for the settings AWS does not publish, the plausible range that
:mod:`lambdasim.assumptions` re-checks planning answers across. A field without documentation is a build warning, which
``sphinx-build -W`` turns into an error: every [model] assumption is documented.

Globs in ``index.md``'s tables of contents that match no page yet (a section still to be written) are dropped
before Sphinx reads them: Sphinx warns about empty globs and offers no way to silence it.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import attrs
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_ENTRY = re.compile(r"^    (\w+): (.*)$")


def attribute_docs(cls: type) -> dict[str, str]:
    """The ``Attributes:`` section of a Google-style class docstring, as ``{name: text}``."""
    doc = inspect.getdoc(cls) or ""
    lines = doc.splitlines()
    try:
        start = lines.index("Attributes:") + 1
    except ValueError:
        return {}
    out: dict[str, str] = {}
    current = None
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        m = _ENTRY.match(line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current and line.strip():
            out[current] += " " + line.strip()
    return out


def _inline(text: str) -> list[nodes.Node]:
    """Text with ``literal`` spans."""
    parts: list[nodes.Node] = []
    for i, piece in enumerate(text.split("``")):
        if piece:
            parts.append(nodes.literal(piece, piece) if i % 2 else nodes.Text(piece))
    return parts


def _row(*cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        para = nodes.paragraph()
        para.extend(content)
        entry += para
        row += entry
    return row


class SettingsTable(SphinxDirective):
    """A table of every ``lambdasim.Settings`` field: name, default, meaning."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from lambdasim.planning.assumptions import PLAUSIBLE
        from lambdasim.settings import Settings

        docs = attribute_docs(Settings)
        ranges = {a.setting: a for a in PLAUSIBLE}
        table = nodes.table(classes=["settings-table"])
        group = nodes.tgroup(cols=4)
        for width in (20, 12, 50, 18):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row(
            [nodes.Text("setting")],
            [nodes.Text("default")],
            [nodes.Text("what it models")],
            [nodes.Text("plausible range (AWS publishes none)")],
        )
        group += head
        body = nodes.tbody()
        for field in attrs.fields(Settings):
            text = docs.get(field.name)
            if not text:
                logger.warning(
                    "Settings.%s has no documentation in the Attributes section",
                    field.name,
                    location=self.get_location(),
                )
                text = ""
            default: Any = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            a = ranges.get(field.name)
            span = "" if a is None else " to ".join(repr(v) for v in a.values)
            body += _row(
                [nodes.literal(field.name, field.name)],
                [nodes.literal(repr(default), repr(default))],
                _inline(text),
                [nodes.literal(span, span)] if span else [],
            )
        group += body
        table += group
        return [table]


def drop_empty_globs(app: Sphinx, docname: str, source: list[str]) -> None:
    """Remove toctree glob lines of ``index`` that match no document."""
    if docname != "index":
        return
    srcdir = Path(app.srcdir)
    kept = []
    in_toctree = False
    for line in source[0].splitlines():
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif stripped.startswith("```"):
            in_toctree = False
        elif (
            in_toctree
            and stripped
            and not stripped.startswith(":")
            and any(c in stripped for c in "*?[")
            and not any(srcdir.glob(stripped + ".md"))
        ):
            continue
        kept.append(line)
    source[0] = "\n".join(kept) + "\n"


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("settings-table", SettingsTable)
    app.connect("source-read", drop_empty_globs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
