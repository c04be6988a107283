"""The listing operations of ``sim.client("s3")``: ``list_buckets`` (``Prefix``, ``BucketRegion``, ``MaxBuckets``
and continuation tokens), ``list_objects`` (v1: ``Marker``) and ``list_objects_v2`` (``Prefix``, ``Delimiter``,
``StartAfter``, ``MaxKeys``, continuation tokens), keys in UTF-8 binary order, as S3 lists them."""

from __future__ import annotations

import urllib.parse
from typing import Any

from lambdasim.aws._service_client import decode_token, encode_token, utc
from lambdasim.aws.account import ServiceError
from lambdasim.aws.s3._base import S3Base
from lambdasim.aws.s3.backend import Bucket


class ListingMixin(S3Base):
    """The listing operations of the S3 client."""

    def list_buckets(self, **params: Any) -> dict[str, Any]:
        """Every bucket, in name order; ``MaxBuckets`` (1 to 10,000) a page with a ``ContinuationToken`` to the next."""
        op = self._call("list_buckets", params)
        prefix = params.get("Prefix", "")
        region = params.get("BucketRegion")
        buckets = [
            {"Name": b.name, "CreationDate": utc(self._services.epoch(b.created_at)), "BucketRegion": b.region}
            for name, b in sorted(self._services.s3.buckets.items())
            if name.startswith(prefix) and region in (None, b.region)
        ]
        size = params.get("MaxBuckets", 10_000)
        if not 1 <= size <= 10_000:
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Argument max-buckets must be an integer between 1 and 10000",
                    error_extra={"ArgumentName": "max-buckets"},
                ),
                op,
            )
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
        out: dict[str, Any] = {"Buckets": buckets[start : start + size], "Owner": {"ID": self._sim.account_id}}
        if start + size < len(buckets):
            out["ContinuationToken"] = encode_token(start + size)
        if "Prefix" in params:
            out["Prefix"] = prefix
        out["ResponseMetadata"] = self._metadata()
        return out

    def list_objects(self, **params: Any) -> dict[str, Any]:
        """Keys in UTF-8 binary order after ``Marker``, up to ``MaxKeys`` (default 1000) a page (ListObjects v1:
        ``NextMarker`` only with a ``Delimiter``, as S3 gives it; else the last key is the next marker)."""
        op = self._call("list_objects", params)
        bucket = self._bucket(params["Bucket"], op)
        prefix = params.get("Prefix", "")
        delimiter = params.get("Delimiter")
        max_keys = self._max_keys(params, op)
        marker = params.get("Marker", "")
        keys = sorted((k for k in bucket.objects if k.startswith(prefix)), key=lambda k: k.encode())
        keys = [k for k in keys if k.encode() > marker.encode()]
        contents, prefixes, position = self._walk(bucket, keys, 0, prefix, delimiter, max_keys)
        owner = {"DisplayName": "lambdasim", "ID": self._sim.account_id}
        for item in contents:
            item["Owner"] = owner
        truncated = position < len(keys)
        out: dict[str, Any] = {"IsTruncated": truncated, "Marker": marker}
        if truncated and delimiter:
            last = max([c["Key"] for c in contents] + prefixes, key=lambda k: k.encode())
            out["NextMarker"] = last
        if contents:
            out["Contents"] = contents
        out["Name"] = bucket.name
        out["Prefix"] = prefix
        if delimiter:
            out["Delimiter"] = delimiter
        out["MaxKeys"] = max_keys
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if params.get("EncodingType") == "url":
            _url_encoded(out, ("Delimiter", "Marker", "NextMarker"))
        out["ResponseMetadata"] = self._metadata()
        return out

    def _max_keys(self, params: dict[str, Any], op: str) -> int:
        max_keys = int(params.get("MaxKeys", 1000))
        if max_keys < 0:
            raise self._fail(
                ServiceError(
                    "InvalidArgument",
                    "Argument maxKeys must be an integer between 0 and 2147483647",
                    error_extra={"ArgumentName": "maxKeys"},
                ),
                op,
            )
        return max_keys

    def _walk(
        self, bucket: Bucket, keys: list[str], start: int, prefix: str, delimiter: str | None, max_keys: int
    ) -> tuple[list[dict[str, Any]], list[str], int]:
        """One page of a listing from ``keys[start]``: its objects, its common prefixes, where the next starts."""
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
        return contents, prefixes, position

    def list_objects_v2(self, **params: Any) -> dict[str, Any]:
        """Keys in UTF-8 binary order, up to ``MaxKeys`` (default 1000) a page."""
        op = self._call("list_objects_v2", params)
        bucket = self._bucket(params["Bucket"], op)
        prefix = params.get("Prefix", "")
        delimiter = params.get("Delimiter")
        max_keys = self._max_keys(params, op)
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
        contents, prefixes, position = self._walk(bucket, keys, start, prefix, delimiter, max_keys)
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
        if params.get("EncodingType") == "url":
            _url_encoded(out, ("Delimiter", "Prefix", "StartAfter"))
        out["ResponseMetadata"] = self._metadata()
        return out


def _url_encoded(out: dict[str, Any], top_level: tuple[str, ...]) -> None:
    """``EncodingType="url"``: the key names of a listing URL-encoded, and ``EncodingType`` answered [doc: S3 API
    reference, ListObjectsV2 "EncodingType"]. Which elements are encoded is what botocore decodes (its
    ``decode_list_object(_v2)`` handlers, which set ``url`` on every boto3 listing): the keys and common prefixes,
    and ``top_level``. Spaces as ``+``, as S3 encodes them and botocore's ``unquote_plus`` reads them [model]."""
    for name in top_level:
        if name in out:
            out[name] = urllib.parse.quote_plus(out[name], safe="/")
    for item in out.get("Contents", ()):
        item["Key"] = urllib.parse.quote_plus(item["Key"], safe="/")
    for item in out.get("CommonPrefixes", ()):
        item["Prefix"] = urllib.parse.quote_plus(item["Prefix"], safe="/")
    out["EncodingType"] = "url"
