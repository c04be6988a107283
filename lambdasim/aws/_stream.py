"""A readable payload stream shaped like ``botocore.response.StreamingBody``."""

from __future__ import annotations

import io
from collections.abc import Iterator


class StreamingBody:
    """``resp["Payload"].read()`` returns the bytes; ``iter_chunks`` and ``iter_lines`` work as in botocore."""

    __slots__ = ("_content_length", "_data", "_stream")

    def __init__(self, data: bytes) -> None:
        # The stream is opened on first use: most responses of Event invokes are never read.
        self._data = data
        self._stream: io.BytesIO | None = None
        self._content_length = len(data)

    @property
    def _raw(self) -> io.BytesIO:
        stream = self._stream
        if stream is None:
            stream = self._stream = io.BytesIO(self._data)
        return stream

    def read(self, amt: int | None = None) -> bytes:
        return self._raw.read() if amt is None else self._raw.read(amt)

    def readable(self) -> bool:
        return True

    def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def iter_lines(self, chunk_size: int = 1024, keepends: bool = False) -> Iterator[bytes]:
        yield from self.read().splitlines(keepends)

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_chunks()

    def close(self) -> None:
        self._raw.close()

    def __repr__(self) -> str:
        return f"<StreamingBody {self._content_length} bytes>"
