"""The base of ``sim.client("s3")``: its model, error words, botocore's S3 checks, and the look-ups and bodiless
errors its operations share."""

from __future__ import annotations

import http
import re
import urllib.parse
from typing import Any, ClassVar

from lambdasim.aws._service_client import ServiceClient
from lambdasim.aws.account import ServiceError
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.aws.s3._shapes import OPERATIONS, SHAPES
from lambdasim.aws.s3.backend import Bucket, S3Object

# botocore's S3 customizations (botocore.handlers) check these before its model does, in these words.
VALID_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")
VALID_S3_ARN = re.compile(
    r"^arn:(aws).*:(s3|s3-object-lambda):[a-z\-0-9]*:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-.]{1,63}$|"
    r"^arn:(aws).*:s3-outposts:[a-z\-0-9]+:[0-9]{12}:outpost[/:][a-zA-Z0-9\-]{1,63}[/:]accesspoint[/:]"
    r"[a-zA-Z0-9\-]{1,63}$"
)
NOT_SIMULATED: dict[str, tuple[str, ...]] = {
    "GetObject": ("PartNumber", "VersionId"),
    "HeadObject": ("Range", "PartNumber", "VersionId"),
    "PutObject": ("WriteOffsetBytes",),
    "DeleteObject": ("VersionId", "MFA", "IfMatch", "IfMatchLastModifiedTime", "IfMatchSize"),
}
"""Members botocore accepts whose effect lambdasim does not simulate, by operation: refused, not ignored."""


class S3Base(ServiceClient):
    """What the S3 client's operations share."""

    service_name = "s3"
    invalid_parameter = ("InvalidArgument", None)
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
        "PreconditionFailed",
        "InvalidRequest",
        "MalformedXML",
    )

    paginators: ClassVar[dict[str, dict[str, str]]] = {
        "ListBuckets": {
            "input_token": "ContinuationToken",
            "output_token": "ContinuationToken",
            "limit_key": "MaxBuckets",
            "result_key": "Buckets",
        },
        "ListObjectsV2": {
            "input_token": "ContinuationToken",
            "output_token": "NextContinuationToken",
            "limit_key": "MaxKeys",
            "result_key": "Contents",
        },
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

    @staticmethod
    def _body(params: dict[str, Any]) -> bytes:
        """A request's ``Body`` (bytes, str or a readable file) as bytes."""
        body = params.get("Body", b"")
        if hasattr(body, "read"):
            body = body.read()
        return body.encode() if isinstance(body, str) else bytes(body)

    def _bucket(self, name: str, op: str) -> Bucket:
        with self._client_errors(op):
            return self._services.s3.bucket(name)

    def _object(self, bucket: Bucket, key: str, op: str) -> S3Object:
        with self._client_errors(op):
            return self._services.s3.get(bucket, key)

    def _bucket_metadata(self, region: str) -> dict[str, Any]:
        meta = self._metadata()
        meta["HTTPHeaders"]["x-amz-bucket-region"] = region
        return meta

    def _bare(self, status: int, op: str) -> Exception:
        """The error of a response without a body (a HEAD's, a 304), as botocore builds it from the status alone:
        a plain ``ClientError`` (no modelled class has a numeric code), ``Error.Code`` ``"404"``."""
        shaped = self._fail(ServiceError(str(status), http.HTTPStatus(status).phrase, status), op)
        return ClientError(shaped.response, op)


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
    source = params.get("CopySource")
    if method == "copy_object" and isinstance(source, dict):
        # botocore's handle_copy_source_param: {"Bucket", "Key"[, "VersionId"]} becomes the quoted "bucket/key".
        if "Bucket" not in source or "Key" not in source:
            raise ParamValidationError("Missing required parameter in CopySource: Bucket and Key")
        text = f"{source['Bucket']}/{urllib.parse.quote(source['Key'], safe='/~')}"
        if "VersionId" in source:
            text += f"?versionId={source['VersionId']}"
        params["CopySource"] = text
    metadata = params.get("Metadata")
    if method in ("put_object", "copy_object") and isinstance(metadata, dict):
        for key, value in metadata.items():
            if isinstance(key, str) and isinstance(value, str) and not (key.isascii() and value.isascii()):
                raise ParamValidationError(
                    f'Non ascii characters found in S3 metadata for key "{key}", value: "{value}".  \nS3 metadata '
                    "can only contain ASCII characters. "
                )
