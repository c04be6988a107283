"""``sim.client("s3")``: the S3 API on the simulated clock, in boto3's shapes and S3's error words.

Operations: ``create_bucket``, ``head_bucket``, ``get_bucket_location``, ``list_buckets`` (``MaxBuckets`` and
continuation tokens), ``delete_bucket``, ``put_object``, ``get_object`` (with one byte ``Range``), ``head_object``,
``copy_object``, ``delete_object``, ``delete_objects``, ``list_objects`` (``Marker``) and ``list_objects_v2``
(``Prefix``, ``Delimiter``, ``StartAfter``, ``MaxKeys``, continuation tokens), ``put_bucket_notification_configuration``
and ``get_bucket_notification_configuration`` (event notifications to functions, queues and topics, fired by puts,
copies, multipart uploads and deletes: :mod:`lambdasim.aws.s3.notifications`), and multipart uploads
(:mod:`lambdasim.aws.s3.multipart`, what boto3's ``upload_file`` sends for large files). Reads and writes take S3's
conditional headers (:mod:`lambdasim.aws.s3.conditions`). ``get_paginator`` serves ``list_buckets`` and
``list_objects_v2``; ``get_waiter`` botocore's four S3 waiters, on the simulated clock (:mod:`lambdasim.aws.s3.extras`,
with ``generate_presigned_url``). Versions and ACLs are not simulated.

A ``HEAD`` has no body, so its errors reach boto3 as botocore makes them from the status alone: ``Error.Code`` is
``"404"`` and ``Error.Message`` ``"Not Found"`` (and ``"304"`` / ``"Not Modified"``, ``"412"`` / ``"Precondition
Failed"``).

Requests are checked against botocore's S3 model (:mod:`lambdasim.aws.s3._shapes`), so every member boto3 takes is
accepted. Those that would change what S3 answers but are not simulated (:data:`NOT_SIMULATED`: versions, parts and
ranges of a HEAD)
are refused with S3's ``NotImplemented`` (HTTP 501) naming the member, rather than ignored; the others (ACLs and
grants, checksums, encryption, caching headers, tagging, object lock, the ``Response*`` overrides, ``FetchOwner``...)
are accepted, have no effect and are named once in a :class:`~lambdasim.NotSimulatedWarning`
(:mod:`lambdasim.aws.not_simulated`). ``StorageClass`` is stored and answered; ``EncodingType="url"`` (which boto3
sends on every listing) encodes the listed keys. [model]
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Final

from lambdasim.aws._service_client import utc
from lambdasim.aws._stream import StreamingBody
from lambdasim.aws.account import ServiceError
from lambdasim.aws.s3 import notifications
from lambdasim.aws.s3._base import NOT_SIMULATED, S3Base
from lambdasim.aws.s3.backend import Bucket, S3Object
from lambdasim.aws.s3.conditions import etag_matches, read_outcome
from lambdasim.aws.s3.extras import ExtrasMixin
from lambdasim.aws.s3.listing import ListingMixin
from lambdasim.aws.s3.multipart import MultipartMixin

__all__ = ["NOT_SIMULATED", "S3Client"]


class S3Client(ListingMixin, MultipartMixin, ExtrasMixin, S3Base):
    """The simulated S3 service. Every method takes and returns what boto3's S3 client does."""

    # -- buckets ----------------------------------------------------------------------------------------------

    def create_bucket(self, **params: Any) -> dict[str, Any]:
        """Create a bucket in the simulation's region (``LocationConstraint`` as S3 requires it)."""
        op = self._call("create_bucket", params)
        region = self._sim.region
        constraint = params.get("CreateBucketConfiguration", {}).get("LocationConstraint")
        if region == "us-east-1" and constraint == "us-east-1":
            raise self._fail(
                ServiceError(
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                    error_extra={"LocationConstraint": constraint},
                ),
                op,
            )
        if region != "us-east-1" and constraint is None:
            raise self._fail(
                ServiceError(
                    "IllegalLocationConstraintException",
                    "The unspecified location constraint is incompatible for the region specific endpoint this "
                    "request was sent to.",
                ),
                op,
            )
        if constraint is not None and region not in (constraint, "us-east-1"):
            raise self._fail(
                ServiceError(
                    "IllegalLocationConstraintException",
                    f"The {constraint} location constraint is incompatible for the region specific endpoint this "
                    "request was sent to.",
                ),
                op,
            )
        with self._client_errors(op):
            bucket = self._services.s3.create(params["Bucket"], constraint or region)
        location = f"/{bucket.name}" if region == "us-east-1" else f"http://{bucket.name}.s3.amazonaws.com/"
        return {"Location": location, "BucketArn": bucket.arn, "ResponseMetadata": self._metadata()}

    def head_bucket(self, **params: Any) -> dict[str, Any]:
        """Whether the bucket exists: its region, or a bodiless 404 (``Error.Code`` ``"404"``)."""
        op = self._call("head_bucket", params)
        bucket = self._services.s3.buckets.get(params["Bucket"])
        if bucket is None:
            raise self._bare(404, op)
        return {
            "BucketArn": bucket.arn,
            "BucketRegion": bucket.region,
            "AccessPointAlias": False,
            "ResponseMetadata": self._bucket_metadata(bucket.region),
        }

    def get_bucket_location(self, **params: Any) -> dict[str, Any]:
        """The bucket's region as S3 names it: ``LocationConstraint`` ``None`` for us-east-1 (S3's legacy answer)."""
        op = self._call("get_bucket_location", params)
        bucket = self._bucket(params["Bucket"], op)
        constraint = None if bucket.region == "us-east-1" else bucket.region
        return {"LocationConstraint": constraint, "ResponseMetadata": self._bucket_metadata(bucket.region)}

    def delete_bucket(self, **params: Any) -> dict[str, Any]:
        """Delete an empty bucket."""
        op = self._call("delete_bucket", params)
        with self._client_errors(op):
            self._services.s3.delete(params["Bucket"])
        return {"ResponseMetadata": self._metadata(204)}

    # -- objects ----------------------------------------------------------------------------------------------

    def put_object(self, **params: Any) -> dict[str, Any]:
        """Store an object (``Body``: bytes, str or a readable file)."""
        op = self._call("put_object", params)
        bucket = self._bucket(params["Bucket"], op)
        self._check_write(bucket, params["Key"], params, op)
        with self._client_errors(op):
            obj = self._services.s3.put(
                bucket,
                params["Key"],
                self._body(params),
                params.get("ContentType", "binary/octet-stream"),
                params.get("Metadata"),
            )
        notifications.notify(self._services, bucket, "s3:ObjectCreated:Put", params["Key"], obj)
        return {"ETag": obj.etag, "ResponseMetadata": self._metadata()}

    def _check_write(self, bucket: Bucket, key: str, params: dict[str, Any], op: str) -> None:
        """A conditional write's preconditions (``IfNoneMatch="*"``, ``IfMatch=etag``)."""
        existing = bucket.objects.get(key)
        none_match = params.get("IfNoneMatch")
        if none_match is not None:
            if none_match != "*":
                raise self._fail(
                    ServiceError(
                        "NotImplemented",
                        "A header you provided implies functionality that is not implemented",
                        501,
                        error_extra={"Header": "If-None-Match"},
                    ),
                    op,
                )
            if existing is not None:
                raise self._precondition("If-None-Match", op)
        match = params.get("IfMatch")
        if match is not None:
            if existing is None:
                raise self._fail(
                    ServiceError("NoSuchKey", "The specified key does not exist.", 404, error_extra={"Key": key}), op
                )
            if not etag_matches(match, existing.etag):
                raise self._precondition("If-Match", op)

    def _precondition(self, condition: str, op: str) -> Exception:
        return self._fail(
            ServiceError(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
                error_extra={"Condition": condition},
            ),
            op,
        )

    def _check_read(self, obj: S3Object, params: dict[str, Any], op: str, *, head: bool) -> None:
        """A conditional read's outcome: 412 or 304 (bodiless for a HEAD and for any 304)."""
        outcome = read_outcome(params, obj.etag, int(self._services.epoch(obj.last_modified)))
        if outcome is None:
            return
        status, condition = outcome
        if head or status == 304:
            raise self._bare(status, op)
        raise self._precondition(condition, op)

    def _head(self, obj: S3Object) -> dict[str, Any]:
        return {
            "AcceptRanges": "bytes",
            "LastModified": utc(int(self._services.epoch(obj.last_modified))),
            "ContentLength": len(obj.body),
            "ETag": obj.etag,
            "ContentType": obj.content_type,
            "Metadata": dict(obj.metadata),
        }

    def get_object(self, **params: Any) -> dict[str, Any]:
        """An object's bytes (``Body`` is a stream, as in boto3) and metadata."""
        op = self._call("get_object", params)
        obj = self._object(self._bucket(params["Bucket"], op), params["Key"], op)
        self._check_read(obj, params, op, head=False)
        head = self._head(obj)
        span = byte_range(params.get("Range"), len(obj.body))
        if span is None:
            return {"Body": StreamingBody(obj.body), **head, "ResponseMetadata": self._metadata()}
        if not span:
            raise self._fail(
                ServiceError(
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    416,
                    error_extra={"ActualObjectSize": str(len(obj.body)), "RangeRequested": params["Range"]},
                ),
                op,
            )
        first, last = span[0], span[1]
        head["ContentLength"] = last - first + 1
        head["ContentRange"] = f"bytes {first}-{last}/{len(obj.body)}"
        return {"Body": StreamingBody(obj.body[first : last + 1]), **head, "ResponseMetadata": self._metadata(206)}

    def head_object(self, **params: Any) -> dict[str, Any]:
        """An object's metadata (a missing bucket or key is a bodiless 404: ``Error.Code`` ``"404"``)."""
        op = self._call("head_object", params)
        bucket = self._services.s3.buckets.get(params["Bucket"])
        obj = None if bucket is None else bucket.objects.get(params["Key"])
        if obj is None:
            raise self._bare(404, op)
        self._check_read(obj, params, op, head=True)
        return {**self._head(obj), "ResponseMetadata": self._metadata()}

    def delete_object(self, **params: Any) -> dict[str, Any]:
        """Delete an object (a missing key succeeds, as on S3)."""
        op = self._call("delete_object", params)
        bucket = self._bucket(params["Bucket"], op)
        if bucket.objects.pop(params["Key"], None) is not None:
            notifications.notify(self._services, bucket, "s3:ObjectRemoved:Delete", params["Key"], None)
        return {"ResponseMetadata": self._metadata(204)}

    def copy_object(self, **params: Any) -> dict[str, Any]:
        """Copy ``CopySource`` (``"bucket/key"`` or ``{"Bucket", "Key"}``) to ``Bucket``/``Key``, with its metadata
        (``MetadataDirective`` ``COPY``) or the request's (``REPLACE``); fires ``s3:ObjectCreated:Copy``."""
        op = self._call("copy_object", params)
        source_bucket, source_key = self._copy_source(params["CopySource"], op)
        bucket = self._bucket(params["Bucket"], op)
        source = self._object(self._bucket(source_bucket, op), source_key, op)
        outcome = read_outcome(params, source.etag, int(self._services.epoch(source.last_modified)), "CopySourceIf")
        if outcome is not None:  # S3 answers a failed source condition with 412, whichever it was
            raise self._precondition(outcome[1].replace("If-", "x-amz-copy-source-If-"), op)
        self._check_write(bucket, params["Key"], params, op)
        directive = params.get("MetadataDirective", "COPY")
        if directive not in ("COPY", "REPLACE"):
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Unknown metadata directive.",
                    error_extra={"ArgumentName": "x-amz-metadata-directive", "ArgumentValue": directive},
                ),
                op,
            )
        same = (source_bucket, source_key) == (params["Bucket"], params["Key"])
        if same and directive == "COPY" and not any(k in params for k in ("StorageClass", "WebsiteRedirectLocation")):
            raise self._fail(
                ServiceError(
                    "InvalidRequest",
                    "This copy request is illegal because it is trying to copy an object to itself without changing "
                    "the object's metadata, storage class, website redirect location or encryption attributes.",
                ),
                op,
            )
        if directive == "REPLACE":
            content_type = params.get("ContentType", "binary/octet-stream")
            metadata = dict(params.get("Metadata", {}))
        else:
            content_type, metadata = source.content_type, dict(source.metadata)
        with self._client_errors(op):
            obj = self._services.s3.put(bucket, params["Key"], source.body, content_type, metadata)
        notifications.notify(self._services, bucket, "s3:ObjectCreated:Copy", params["Key"], obj)
        result = {"ETag": obj.etag, "LastModified": utc(int(self._services.epoch(obj.last_modified)))}
        return {"CopyObjectResult": result, "ResponseMetadata": self._metadata()}

    def _copy_source(self, source: Any, op: str) -> tuple[str, str]:
        """``(bucket, key)`` of a ``CopySource`` (botocore turned a dict into ``bucket/key``)."""
        text = urllib.parse.unquote(str(source).lstrip("/"))
        path, _, query = text.partition("?")
        bucket, _, key = path.partition("/")
        if not bucket or not key:
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Invalid copy source object key",
                    error_extra={"ArgumentName": "x-amz-copy-source"},
                ),
                op,
            )
        if query:
            message = (
                "A header you provided implies functionality that is not implemented: lambdasim does not simulate "
                f"{query} in CopySource on {op}"
            )
            raise self._fail(ServiceError("NotImplemented", message, 501), op)
        return bucket, key

    def delete_objects(self, **params: Any) -> dict[str, Any]:
        """Delete up to 1,000 keys in one request: each deleted key (a missing one too, as S3 answers) is in
        ``Deleted`` unless ``Quiet``; a key that cannot be deleted is in ``Errors`` with its code."""
        op = self._call("delete_objects", params)
        if "MFA" in params:
            message = (
                "A header you provided implies functionality that is not implemented: lambdasim does not simulate "
                "MFA on DeleteObjects"
            )
            raise self._fail(ServiceError("NotImplemented", message, 501), op)
        bucket = self._bucket(params["Bucket"], op)
        objects = params["Delete"]["Objects"]
        if not 1 <= len(objects) <= 1000:
            raise self._fail(
                ServiceError(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ),
                op,
            )
        quiet = params["Delete"].get("Quiet", False)
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in objects:
            key = item["Key"]
            conditions = [k for k in ("ETag", "LastModifiedTime", "Size") if k in item]
            if item.get("VersionId", "null") != "null" or conditions:
                errors.append(
                    {
                        "Key": key,
                        "VersionId": item.get("VersionId", ""),
                        "Code": "NotImplemented",
                        "Message": f"lambdasim does not simulate {', '.join(conditions) or 'VersionId'} on "
                        "DeleteObjects",
                    }
                )
                continue
            if bucket.objects.pop(key, None) is not None:
                notifications.notify(self._services, bucket, "s3:ObjectRemoved:Delete", key, None)
            if not quiet:
                deleted.append({"Key": key, **({"VersionId": "null"} if "VersionId" in item else {})})
        out: dict[str, Any] = {}
        if deleted:
            out["Deleted"] = deleted
        if errors:
            out["Errors"] = errors
        out["ResponseMetadata"] = self._metadata()
        return out

    # -- event notifications ----------------------------------------------------------------------------------

    def put_bucket_notification_configuration(self, **params: Any) -> dict[str, Any]:
        """Replace the bucket's event notifications (to functions, queues and topics), checked as S3 checks them
        (:mod:`lambdasim.aws.s3.notifications`)."""
        op = self._call("put_bucket_notification_configuration", params)
        bucket = self._bucket(params["Bucket"], op)
        with self._client_errors(op):
            notifications.put_configuration(
                self._services,
                bucket,
                params["NotificationConfiguration"],
                skip_validation=params.get("SkipDestinationValidation", False),
            )
        return {"ResponseMetadata": self._metadata()}

    def get_bucket_notification_configuration(self, **params: Any) -> dict[str, Any]:
        """The bucket's event notifications, as put."""
        op = self._call("get_bucket_notification_configuration", params)
        bucket = self._bucket(params["Bucket"], op)
        config = notifications.notifications(bucket).config
        return {**{k: [dict(e) for e in v] for k, v in config.items()}, "ResponseMetadata": self._metadata()}


_RANGE: Final = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | tuple[()] | None:
    """The bytes a ``Range`` header asks for, as S3 reads it [doc]: ``(first, last)`` inclusive; ``()`` when the
    range is not satisfiable (416); ``None`` for the whole object: no header, or one S3 ignores (not one range of
    ``bytes=first-last``, ``bytes=first-`` or ``bytes=-suffix``; S3 serves one range per request)."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    start, end = match.group(1), match.group(2)
    if start == "":  # the last `end` bytes
        suffix = int(end)
        return (max(0, size - suffix), size - 1) if suffix > 0 and size > 0 else ()
    first = int(start)
    last = size - 1 if end == "" else min(int(end), size - 1)
    if end != "" and int(end) < first:
        return None  # an invalid range is ignored (RFC 9110), as S3 does
    return (first, last) if first < size else ()
