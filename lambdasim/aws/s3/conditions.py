"""S3's conditional requests: ``If-Match``, ``If-None-Match``, ``If-Modified-Since`` and ``If-Unmodified-Since`` on
reads (``GetObject``, ``HeadObject``, and the ``CopySourceIf*`` of ``CopyObject``) and writes (``PutObject``).

Reads follow RFC 7232 as S3 documents it [doc: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html]:
``If-Match`` false, or (without ``If-Match``) ``If-Unmodified-Since`` false, fails with 412 Precondition Failed;
otherwise ``If-None-Match`` true (the ETag matches), or (without ``If-None-Match``) ``If-Modified-Since`` false,
answers 304 Not Modified. ``If-Match: "etag"`` and ``If-Unmodified-Since`` false together succeed, as do
``If-None-Match`` false and ``If-Modified-Since`` true (S3's two documented combinations).

Writes [doc: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html]: ``If-None-Match: *``
fails with 412 when the key exists; ``If-Match: etag`` fails with 412 when the object's ETag differs and with 404
``NoSuchKey`` when there is no object.

Times compare at whole seconds (HTTP dates have no fraction; ``LastModified`` is reported to the second).
"""

from __future__ import annotations

from typing import Any

from lambdasim.aws._service_client import as_epoch


def _etags(header: str) -> list[str]:
    return [part.strip().strip('"') for part in header.split(",")]


def etag_matches(header: str, etag: str) -> bool:
    """Whether an ``If-Match`` / ``If-None-Match`` header names ``etag`` (quoted or not; ``*`` names any)."""
    bare = etag.strip('"')
    return any(tag in ("*", bare) for tag in _etags(header))


def read_outcome(params: dict[str, Any], etag: str, modified_s: int, prefix: str = "If") -> tuple[int, str] | None:
    """For a read of an object with ``etag`` last modified at Unix second ``modified_s``: ``None`` to serve it, or
    ``(412, condition)`` / ``(304, condition)`` with the header that failed (``If-Match``...). ``prefix``:
    ``"CopySourceIf"`` for ``CopyObject``'s source conditions."""
    match = params.get(f"{prefix}Match")
    none_match = params.get(f"{prefix}NoneMatch")
    since = params.get(f"{prefix}ModifiedSince")
    unmodified = params.get(f"{prefix}UnmodifiedSince")
    if match is not None:
        if not etag_matches(match, etag):
            return 412, "If-Match"
    elif unmodified is not None and modified_s > int(as_epoch(unmodified) or 0):
        return 412, "If-Unmodified-Since"
    if none_match is not None:
        if etag_matches(none_match, etag):
            return 304, "If-None-Match"
    elif since is not None and modified_s <= int(as_epoch(since) or 0):
        return 304, "If-Modified-Since"
    return None
