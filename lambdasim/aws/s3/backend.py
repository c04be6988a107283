"""Simulated S3: buckets of objects in memory, stamped with the simulated clock, and multipart uploads in progress
(no versioning)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from lambdasim.aws.account import ServiceError

if TYPE_CHECKING:
    from lambdasim.aws.account import Services

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def etag_of(data: bytes) -> str:
    """S3's ETag of bytes stored in one piece: their MD5 in hex, quoted."""
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


class S3Object:
    """One object: its bytes and metadata. ``last_modified`` is simulated seconds."""

    __slots__ = ("body", "content_type", "etag", "last_modified", "metadata")

    def __init__(
        self, body: bytes, content_type: str, metadata: dict[str, str], now: float, etag: str | None = None
    ) -> None:
        self.body = body
        self.content_type = content_type
        self.metadata = metadata
        self.etag = etag_of(body) if etag is None else etag  # a multipart upload's is made of its parts'
        self.last_modified = now


class Bucket:
    """One bucket: objects by key."""

    def __init__(self, name: str, region: str, now: float) -> None:
        self.name = name
        self.region = region
        self.arn = f"arn:aws:s3:::{name}"
        self.created_at = now
        self.objects: dict[str, S3Object] = {}


class Upload:
    """One multipart upload in progress: where it goes and the parts received (by number: ETag, bytes, time)."""

    __slots__ = ("bucket", "content_type", "initiated", "key", "metadata", "parts", "upload_id")

    def __init__(
        self, upload_id: str, bucket: str, key: str, content_type: str, metadata: dict[str, str], now: float
    ) -> None:
        self.upload_id = upload_id
        self.bucket = bucket
        self.key = key
        self.content_type = content_type
        self.metadata = metadata
        self.initiated = now
        self.parts: dict[int, tuple[str, bytes, float]] = {}


class S3Service:
    """The account's buckets."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.buckets: dict[str, Bucket] = {}
        self.uploads: dict[str, Upload] = {}  # multipart uploads in progress, by id
        self.started_uploads = 0

    def create(self, name: str, region: str) -> Bucket:
        """Create bucket ``name`` in ``region`` (re-creating your own in us-east-1 answers the existing one)."""
        if not BUCKET_NAME.match(name) or ".." in name:
            raise ServiceError(
                "InvalidBucketName", "The specified bucket is not valid.", error_extra={"BucketName": name}
            )
        existing = self.buckets.get(name)
        if existing is not None:
            # us-east-1 answers 200 to re-creating your own bucket (a legacy rule); elsewhere it is an error.
            if region == "us-east-1" and existing.region == "us-east-1":
                return existing
            raise ServiceError(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409,
                error_extra={"BucketName": name},
            )
        bucket = Bucket(name, region, self._services.now)
        self.buckets[name] = bucket
        return bucket

    def bucket(self, name: str) -> Bucket:
        """Bucket ``name`` (``NoSuchBucket`` if there is none)."""
        found = self.buckets.get(name)
        if found is None:
            raise ServiceError(
                "NoSuchBucket", "The specified bucket does not exist", 404, error_extra={"BucketName": name}
            )
        return found

    def by_arn(self, arn: str) -> Bucket | None:
        """The bucket an ARN (``arn:aws:s3:::NAME``) names, or ``None``."""
        if not arn.startswith("arn:aws:s3:::"):
            return None
        return self.buckets.get(arn[len("arn:aws:s3:::") :])

    def delete(self, name: str) -> None:
        """Delete an empty bucket (``BucketNotEmpty`` otherwise)."""
        bucket = self.bucket(name)
        if bucket.objects:
            raise ServiceError(
                "BucketNotEmpty", "The bucket you tried to delete is not empty", 409, error_extra={"BucketName": name}
            )
        del self.buckets[name]

    def put(
        self,
        bucket: Bucket,
        key: str,
        body: bytes,
        content_type: str = "binary/octet-stream",
        metadata: dict[str, str] | None = None,
        etag: str | None = None,
    ) -> S3Object:
        """Store ``body`` at ``key`` (1 to 1024 bytes of UTF-8), replacing what was there (``etag``: S3's, when it
        is not the body's MD5)."""
        if not key or len(key.encode()) > 1024:
            raise ServiceError("KeyTooLongError", "Your key is too long", error_extra={"Key": key})
        obj = S3Object(body, content_type, dict(metadata or {}), self._services.now, etag)
        bucket.objects[key] = obj
        return obj

    def get(self, bucket: Bucket, key: str) -> S3Object:
        """The object at ``key`` (``NoSuchKey`` if there is none)."""
        obj = bucket.objects.get(key)
        if obj is None:
            raise ServiceError("NoSuchKey", "The specified key does not exist.", 404, error_extra={"Key": key})
        return obj
