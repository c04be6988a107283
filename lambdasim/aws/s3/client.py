"""``sim.client("s3")``: the S3 API on the simulated clock, in boto3's shapes and S3's error words.

Operations: ``create_bucket``, ``list_buckets``, ``delete_bucket``, ``put_object``, ``get_object``, ``head_object``,
``delete_object``, ``list_objects_v2`` (``Prefix``, ``Delimiter``, ``StartAfter``, ``MaxKeys``, continuation tokens),
``put_bucket_notification_configuration`` and ``get_bucket_notification_configuration`` (event notifications to
functions, queues and topics: :mod:`lambdasim.aws.s3.notifications`).
Ranges, versions, multipart uploads and ACLs are not simulated.

Requests are checked against botocore's S3 model (:mod:`lambdasim.aws.s3._shapes`), so every member boto3 takes is
accepted. Those that would change what S3 answers but are not simulated (:data:`NOT_SIMULATED`: ranges, versions,
conditional requests) are refused with S3's ``NotImplemented`` (HTTP 501) naming the member, rather than ignored;
the others (ACLs and grants, checksums, encryption, storage class, caching headers, tagging, object lock, the
``Response*`` overrides, ``EncodingType``, ``FetchOwner``...) are accepted and have no effect. [model]
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient, decode_token, encode_token, utc
from lambdasim.aws._stream import StreamingBody
from lambdasim.aws.account import ServiceError
from lambdasim.aws.errors import ParamValidationError
from lambdasim.aws.s3 import notifications
from lambdasim.aws.s3._shapes import OPERATIONS, SHAPES
from lambdasim.aws.s3.backend import Bucket, S3Object

# botocore's S3 customizations (botocore.handlers) check these before its model does, in these words.
VALID_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")
VALID_S3_ARN = re.compile(
    r"^arn:(aws).*:(s3|s3-object-lambda):[a-z\-0-9]*:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-.]{1,63}$|"
    r"^arn:(aws).*:s3-outposts:[a-z\-0-9]+:[0-9]{12}:outpost[/:][a-zA-Z0-9\-]{1,63}[/:]accesspoint[/:]"
    r"[a-zA-Z0-9\-]{1,63}$"
)
_READ = ("Range", "PartNumber", "VersionId", "IfMatch", "IfNoneMatch", "IfModifiedSince", "IfUnmodifiedSince")
NOT_SIMULATED: dict[str, tuple[str, ...]] = {
    "GetObject": _READ,
    "HeadObject": _READ,
    "PutObject": ("IfMatch", "IfNoneMatch", "WriteOffsetBytes"),
    "DeleteObject": ("VersionId", "MFA", "IfMatch", "IfMatchLastModifiedTime", "IfMatchSize"),
}
"""Members botocore accepts whose effect lambdasim does not simulate, by operation: refused, not ignored."""


class S3Client(ServiceClient):
    """The simulated S3 service. Every method takes and returns what boto3's S3 client does."""

    service_name = "s3"
    operations = OPERATIONS
    input_shapes = SHAPES
    error_codes = (
        "NoSuchBucket",
        "NoSuchKey",
        "BucketAlreadyOwnedByYou",
        "BucketAlreadyExists",
        "BucketNotEmpty",
        "InvalidBucketName",
        "InvalidLocationConstraint",
        "IllegalLocationConstraintException",
        "InvalidArgument",
        "NotImplemented",
    )

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListObjectsV2": {
            "input_token": "ContinuationToken",
            "output_token": "NextContinuationToken",
            "limit_key": "MaxKeys",
            "result_key": "Contents",
        }
    }

    def _call(self, method: str, params: dict[str, Any]) -> str:
        _botocore_handlers(method, params)
        op = super()._call(method, params)
        for member in NOT_SIMULATED.get(op, ()):
            if member in params:
                # S3's code and message for functionality it does not implement; lambdasim names the member.
                message = (
                    f"A header you provided implies functionality that is not implemented: lambdasim does not "
                    f"simulate {member} on {op}"
                )
                raise self._fail(ServiceError("NotImplemented", message, 501), op)
        return op

    def _bucket(self, name: str, op: str) -> Bucket:
        with self._client_errors(op):
            return self._services.s3.bucket(name)

    def _object(self, bucket: Bucket, key: str, op: str) -> S3Object:
        with self._client_errors(op):
            return self._services.s3.get(bucket, key)

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

    def list_buckets(self, **params: Any) -> dict[str, Any]:
        """Every bucket, in name order."""
        self._call("list_buckets", params)
        prefix = params.get("Prefix", "")
        buckets = [
            {"Name": b.name, "CreationDate": utc(self._services.epoch(b.created_at)), "BucketRegion": b.region}
            for name, b in sorted(self._services.s3.buckets.items())
            if name.startswith(prefix)
        ]
        return {
            "Buckets": buckets,
            "Owner": {"ID": self._sim.account_id},
            "ResponseMetadata": self._metadata(),
        }

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
        body = params.get("Body", b"")
        if hasattr(body, "read"):
            body = body.read()
        data = body.encode() if isinstance(body, str) else bytes(body)
        with self._client_errors(op):
            obj = self._services.s3.put(
                bucket, params["Key"], data, params.get("ContentType", "binary/octet-stream"), params.get("Metadata")
            )
        notifications.notify(self._services, bucket, "s3:ObjectCreated:Put", params["Key"], obj)
        return {"ETag": obj.etag, "ResponseMetadata": self._metadata()}

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
        return {"Body": StreamingBody(obj.body), **self._head(obj), "ResponseMetadata": self._metadata()}

    def head_object(self, **params: Any) -> dict[str, Any]:
        """An object's metadata."""
        op = self._call("head_object", params)
        obj = self._object(self._bucket(params["Bucket"], op), params["Key"], op)
        return {**self._head(obj), "ResponseMetadata": self._metadata()}

    def delete_object(self, **params: Any) -> dict[str, Any]:
        """Delete an object (a missing key succeeds, as on S3)."""
        op = self._call("delete_object", params)
        bucket = self._bucket(params["Bucket"], op)
        if bucket.objects.pop(params["Key"], None) is not None:
            notifications.notify(self._services, bucket, "s3:ObjectRemoved:Delete", params["Key"], None)
        return {"ResponseMetadata": self._metadata(204)}

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

    def list_objects_v2(self, **params: Any) -> dict[str, Any]:
        """Keys in UTF-8 binary order, up to ``MaxKeys`` (default 1000) a page."""
        op = self._call("list_objects_v2", params)
        bucket = self._bucket(params["Bucket"], op)
        prefix = params.get("Prefix", "")
        delimiter = params.get("Delimiter")
        max_keys = params.get("MaxKeys", 1000)
        if max_keys < 0:
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Argument maxKeys must be an integer between 0 and 2147483647",
                    error_extra={"ArgumentName": "maxKeys"},
                ),
                op,
            )
        keys = sorted((k for k in bucket.objects if k.startswith(prefix)), key=lambda k: k.encode())
        start_after = params.get("StartAfter")
        if start_after is not None:
            keys = [k for k in keys if k.encode() > start_after.encode()]
        start = 0
        if "ContinuationToken" in params:
            position = decode_token(params["ContinuationToken"])
            if position is None:
                raise self._fail(
                    ServiceError(
                        "InvalidArgument",
                        "The continuation token provided is incorrect",
                        error_extra={"ArgumentName": "continuation-token"},
                    ),
                    op,
                )
            start = position
        contents: list[dict[str, Any]] = []
        prefixes: list[str] = []
        position = start
        while position < len(keys) and len(contents) + len(prefixes) < max_keys:
            key = keys[position]
            position += 1
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if common not in prefixes:
                        prefixes.append(common)
                    while position < len(keys) and keys[position].startswith(common):
                        position += 1
                    continue
            obj = bucket.objects[key]
            contents.append(
                {
                    "Key": key,
                    "LastModified": utc(int(self._services.epoch(obj.last_modified))),
                    "ETag": obj.etag,
                    "Size": len(obj.body),
                    "StorageClass": "STANDARD",
                }
            )
        truncated = position < len(keys)
        out: dict[str, Any] = {"IsTruncated": truncated}
        if contents:
            out["Contents"] = contents
        out["Name"] = bucket.name
        out["Prefix"] = prefix
        if delimiter:
            out["Delimiter"] = delimiter
        out["MaxKeys"] = max_keys
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        out["KeyCount"] = len(contents) + len(prefixes)
        if "ContinuationToken" in params:
            out["ContinuationToken"] = params["ContinuationToken"]
        if truncated:
            out["NextContinuationToken"] = encode_token(position)
        if start_after is not None:
            out["StartAfter"] = start_after
        out["ResponseMetadata"] = self._metadata()
        return out


def _botocore_handlers(method: str, params: dict[str, Any]) -> None:
    """botocore's S3 checks that run before its model's (``validate_bucket_name``, ``validate_ascii_metadata``), in
    its words. A value of the wrong type is left to the model's check (botocore's handlers would fail on it with a
    ``TypeError`` or ``AttributeError``)."""
    bucket = params.get("Bucket")
    if isinstance(bucket, str) and not VALID_BUCKET.search(bucket) and not VALID_S3_ARN.search(bucket):
        raise ParamValidationError(
            f'Invalid bucket name "{bucket}": Bucket name must match the regex "{VALID_BUCKET.pattern}" or be an ARN '
            f'matching the regex "{VALID_S3_ARN.pattern}"'
        )
    metadata = params.get("Metadata")
    if method == "put_object" and isinstance(metadata, dict):
        for key, value in metadata.items():
            if isinstance(key, str) and isinstance(value, str) and not (key.isascii() and value.isascii()):
                raise ParamValidationError(
                    f'Non ascii characters found in S3 metadata for key "{key}", value: "{value}".  \nS3 metadata '
                    "can only contain ASCII characters. "
                )
