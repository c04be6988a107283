"""Reading the files a user names (scenario files, replay traces) without hanging or running out of memory.

Only regular files are read: a FIFO would block on open, ``/dev/zero`` or ``/dev/urandom`` never end. A file is
read up to a size limit and refused past it, with the size in the message. Errors are ``OSError`` subclasses
with the path and the reason, so callers report them as they report a missing file.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d, "x.txt"); _ = p.write_text("hi")
...     read_text(p, 10)
'hi'
>>> try:
...     read_text("/dev/zero", 10)
... except UnreadableFileError as exc:
...     print(exc.reason)
is not a regular file (a character device); lambdasim reads only regular files
"""

from __future__ import annotations

import errno
import os
import stat
from os import PathLike
from pathlib import Path

MAX_SCENARIO_BYTES = 1_048_576
"""The largest scenario file: 1 MiB (a scenario is a page of settings; its traces live in CSV files)."""

MAX_TRACE_BYTES = 1 << 30
"""The largest replay CSV file: 1 GiB."""

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


class UnreadableFileError(OSError):
    """A path that is not a regular file, or a file over the size limit; ``str(error)`` says which."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def check_regular(path: str | PathLike[str], limit_bytes: int) -> Path:
    """``path`` as a ``Path`` if it is a regular file of at most ``limit_bytes``; else :class:`UnreadableFileError`
    (``FileNotFoundError`` and the like pass through). ``os.stat`` never blocks, even on a FIFO."""
    p = Path(path)
    mode = os.stat(p).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise UnreadableFileError(str(path), f"is not a regular file ({kind}); lambdasim reads only regular files")
    size = os.stat(p).st_size
    if size > limit_bytes:
        raise UnreadableFileError(str(path), f"is {size:,} bytes; the limit is {limit_bytes:,} bytes")
    return p


def read_text(path: str | PathLike[str], limit_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit_bytes`` (checked again while reading: it may grow)."""
    p = check_regular(path, limit_bytes)
    with p.open("rb") as f:
        data = f.read(limit_bytes + 1)
    if len(data) > limit_bytes:
        raise UnreadableFileError(str(path), f"is over the limit of {limit_bytes:,} bytes")
    return data.decode("utf-8")
