"""S3 multipart uploads: ``create_multipart_upload``, ``upload_part``, ``complete_multipart_upload``,
``abort_multipart_upload`` and ``list_parts``, as S3 documents them [doc]
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html).

What boto3's ``upload_file`` and ``upload_fileobj`` send for a file above their ``multipart_threshold`` (8 MB). Parts
are numbered 1 to 10,000; every part but the last holds at least 5 MiB (checked when the upload completes, as S3
does); the completed object's ETag is the MD5 of the parts' MD5s followed by ``-<number of parts>``; completing fires
``s3:ObjectCreated:CompleteMultipartUpload``. Upload ids hash the bucket, key and a count of uploads, so runs repeat
[model]. Incomplete uploads are kept until aborted (no lifecycle rules) [model].
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from lambdasim.aws._service_client import utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.s3 import notifications
from lambdasim.aws.s3._base import S3Base
from lambdasim.aws.s3.backend import Bucket, Upload, etag_of

__all__ = ["MIN_PART_BYTES", "MultipartMixin"]

MIN_PART_BYTES: Final = 5 * 1024 * 1024
"""The least size of every part but the last [doc]."""
MAX_PARTS: Final = 10_000


class MultipartMixin(S3Base):
    """The multipart operations of ``sim.client("s3")``."""

    def _upload(self, params: dict[str, Any], op: str) -> tuple[Bucket, Upload]:
        """The bucket and the upload in progress a request names (``NoSuchBucket``, ``NoSuchUpload``)."""
        bucket = self._bucket(params["Bucket"], op)
        upload = self._services.s3.uploads.get(params["UploadId"])
        if upload is None or (upload.bucket, upload.key) != (params["Bucket"], params["Key"]):
            raise self._fail(
                ServiceError(
                    "NoSuchUpload",
                    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
                    "aborted or completed.",
                    404,
                    error_extra={"UploadId": params["UploadId"]},
                ),
                op,
            )
        return bucket, upload

    def create_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """Start an upload of ``Key`` in parts; its ``UploadId`` names it in the calls that follow."""
        op = self._call("create_multipart_upload", params)
        bucket = self._bucket(params["Bucket"], op)
        s3 = self._services.s3
        s3.started_uploads += 1
        upload_id = hashlib.sha256(f"{bucket.name}/{params['Key']}#{s3.started_uploads}".encode()).hexdigest()
        s3.uploads[upload_id] = Upload(
            upload_id,
            bucket.name,
            params["Key"],
            params.get("ContentType", "binary/octet-stream"),
            dict(params.get("Metadata", {})),
            self._services.now,
        )
        return {
            "Bucket": bucket.name,
            "Key": params["Key"],
            "UploadId": upload_id,
            "ResponseMetadata": self._metadata(),
        }

    def upload_part(self, **params: Any) -> dict[str, Any]:
        """Store part ``PartNumber`` (1 to 10,000) of an upload, replacing a part of the same number."""
        op = self._call("upload_part", params)
        number = params["PartNumber"]
        if not 1 <= number <= MAX_PARTS:
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Part number must be an integer between 1 and 10000, inclusive",
                    error_extra={"ArgumentName": "partNumber", "ArgumentValue": str(number)},
                ),
                op,
            )
        _bucket, upload = self._upload(params, op)
        data = self._body(params)
        etag = etag_of(data)
        upload.parts[number] = (etag, data, self._services.now)
        return {"ETag": etag, "ResponseMetadata": self._metadata()}

    def complete_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """Join the listed parts (in ascending order, each with its ETag) into the object."""
        op = self._call("complete_multipart_upload", params)
        bucket, upload = self._upload(params, op)
        listed = params.get("MultipartUpload", {}).get("Parts", [])
        if not listed:
            raise self._fail(
                ServiceError(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ),
                op,
            )
        numbers = [p.get("PartNumber") for p in listed]
        if any(n is None for n in numbers) or numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise self._fail(
                ServiceError(
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. The parts list must be specified in order by part "
                    "number.",
                ),
                op,
            )
        chosen: list[tuple[str, bytes]] = []
        for part in listed:
            got = upload.parts.get(part["PartNumber"])
            if got is None or part.get("ETag", "").strip('"') != got[0].strip('"'):
                raise self._fail(
                    ServiceError(
                        "InvalidPart",
                        "One or more of the specified parts could not be found.  The part may not have been "
                        "uploaded, or the specified entity tag may not match the part's entity tag.",
                        error_extra={"UploadId": upload.upload_id, "PartNumber": str(part["PartNumber"])},
                    ),
                    op,
                )
            chosen.append((got[0], got[1]))
        for (etag, data), part in zip(chosen[:-1], listed[:-1], strict=True):
            if len(data) < MIN_PART_BYTES:
                raise self._fail(
                    ServiceError(
                        "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed size",
                        error_extra={
                            "ProposedSize": str(len(data)),
                            "MinSizeAllowed": str(MIN_PART_BYTES),
                            "PartNumber": str(part["PartNumber"]),
                            "ETag": etag.strip('"'),
                        },
                    ),
                    op,
                )
        digests = b"".join(bytes.fromhex(etag.strip('"')) for etag, _ in chosen)
        etag = f'"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(chosen)}"'
        with self._client_errors(op):
            obj = self._services.s3.put(
                bucket,
                upload.key,
                b"".join(data for _, data in chosen),
                upload.content_type,
                upload.metadata,
                etag,
            )
        del self._services.s3.uploads[upload.upload_id]
        notifications.notify(self._services, bucket, "s3:ObjectCreated:CompleteMultipartUpload", upload.key, obj)
        return {
            "Location": f"https://{bucket.name}.s3.amazonaws.com/{upload.key}",
            "Bucket": bucket.name,
            "Key": upload.key,
            "ETag": obj.etag,
            "ResponseMetadata": self._metadata(),
        }

    def abort_multipart_upload(self, **params: Any) -> dict[str, Any]:
        """Drop an upload and its parts."""
        op = self._call("abort_multipart_upload", params)
        _bucket, upload = self._upload(params, op)
        del self._services.s3.uploads[upload.upload_id]
        return {"ResponseMetadata": self._metadata(204)}

    def list_parts(self, **params: Any) -> dict[str, Any]:
        """The parts received so far, by number (``MaxParts`` per page, 1,000 by default)."""
        op = self._call("list_parts", params)
        _bucket, upload = self._upload(params, op)
        after = int(params.get("PartNumberMarker") or 0)
        limit = params.get("MaxParts", 1000)
        numbers = sorted(n for n in upload.parts if n > after)
        page = numbers[:limit]
        out: dict[str, Any] = {
            "Bucket": upload.bucket,
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": after,
            "MaxParts": limit,
            "IsTruncated": len(numbers) > limit,
            "Parts": [
                {
                    "PartNumber": n,
                    "LastModified": utc(int(self._services.epoch(upload.parts[n][2]))),
                    "ETag": upload.parts[n][0],
                    "Size": len(upload.parts[n][1]),
                }
                for n in page
            ],
            "StorageClass": "STANDARD",
            "ResponseMetadata": self._metadata(),
        }
        if page:
            out["NextPartNumberMarker"] = page[-1]
        return out
