"""S3's head, list v1, copy and batch-delete operations, the conditional request matrix, notifications fired by copies
and deletes, the list_buckets paginator, waiters on the simulated clock and presigned URLs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any
from unittest import mock

import pytest

import lambdasim as ls

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def sim() -> ls.Simulation:
    sim = ls.Simulation(seed=1)
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="bkt")
    sim.run(until=100)
    s3.put_object(Bucket="bkt", Key="k", Body=b"data", ContentType="text/plain", Metadata={"a": "1"})
    sim.run(until=200)
    return sim


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as exc:
        call(**params)
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_head_bucket_and_head_object_answer_without_a_body(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    head = s3.head_bucket(Bucket="bkt")
    assert head["BucketRegion"] == "us-east-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert error(s3.head_bucket, Bucket="nope") == ("404", "Not Found", 404)
    assert error(s3.head_object, Bucket="bkt", Key="nope") == ("404", "Not Found", 404)
    assert error(s3.head_object, Bucket="nope", Key="k") == ("404", "Not Found", 404)


ETAG = '"8d777f385d3dfec8815d20f7496026dc"'  # md5(b"data")
BEFORE = START + dt.timedelta(seconds=50)  # the object was put at 100 s
AFTER = START + dt.timedelta(seconds=150)


@pytest.mark.parametrize(
    ("conditions", "get", "head"),
    [
        ({"IfMatch": ETAG}, None, None),
        ({"IfMatch": "8d777f385d3dfec8815d20f7496026dc"}, None, None),  # quotes optional
        ({"IfMatch": "*"}, None, None),
        ({"IfMatch": '"other"'}, ("PreconditionFailed", 412), ("412", 412)),
        ({"IfNoneMatch": ETAG}, ("304", 304), ("304", 304)),
        ({"IfNoneMatch": '"other"'}, None, None),
        ({"IfModifiedSince": BEFORE}, None, None),
        ({"IfModifiedSince": AFTER}, ("304", 304), ("304", 304)),
        ({"IfUnmodifiedSince": AFTER}, None, None),
        ({"IfUnmodifiedSince": BEFORE}, ("PreconditionFailed", 412), ("412", 412)),
        ({"IfMatch": ETAG, "IfUnmodifiedSince": BEFORE}, None, None),  # If-Match true wins
        ({"IfNoneMatch": '"other"', "IfModifiedSince": AFTER}, None, None),  # If-None-Match false wins
        ({"IfMatch": '"other"', "IfNoneMatch": ETAG}, ("PreconditionFailed", 412), ("412", 412)),  # 412 first
    ],
)
def test_conditional_reads(
    sim: ls.Simulation, conditions: dict[str, Any], get: tuple[str, int] | None, head: tuple[str, int] | None
) -> None:
    s3 = sim.client("s3")
    for call, expected in ((s3.get_object, get), (s3.head_object, head)):
        if expected is None:
            assert call(Bucket="bkt", Key="k", **conditions)["ETag"] == ETAG
        else:
            code, _, status = error(call, Bucket="bkt", Key="k", **conditions)
            assert (code, status) == expected
    if get is not None and get[0] == "PreconditionFailed":
        with pytest.raises(ls.ClientError) as exc:
            s3.get_object(Bucket="bkt", Key="k", **conditions)
        assert exc.value.response["Error"]["Message"] == "At least one of the pre-conditions you specified did not hold"
        assert exc.value.response["Error"]["Condition"].startswith("If-")


def test_conditional_writes(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    assert error(s3.put_object, Bucket="bkt", Key="k", Body=b"x", IfNoneMatch="*")[::2] == ("PreconditionFailed", 412)
    s3.put_object(Bucket="bkt", Key="new", Body=b"x", IfNoneMatch="*")
    assert error(s3.put_object, Bucket="bkt", Key="k", Body=b"x", IfMatch='"other"')[::2] == ("PreconditionFailed", 412)
    assert error(s3.put_object, Bucket="bkt", Key="none", Body=b"x", IfMatch=ETAG)[::2] == ("NoSuchKey", 404)
    s3.put_object(Bucket="bkt", Key="k", Body=b"v2", IfMatch=ETAG)
    assert s3.get_object(Bucket="bkt", Key="k")["Body"].read() == b"v2"
    assert error(s3.put_object, Bucket="bkt", Key="k", Body=b"x", IfNoneMatch=ETAG)[::2] == ("NotImplemented", 501)


def notified(sim: ls.Simulation) -> str:
    """A queue receiving every object event of ``bkt``; returns its URL."""
    sqs, s3 = sim.client("sqs"), sim.client("s3")
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage"},
        ]
    }
    url = sqs.create_queue(QueueName="events", Attributes={"Policy": json.dumps(policy)})["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket="bkt",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": "arn:aws:sqs:us-east-1:123456789012:events",
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                }
            ]
        },
    )
    sqs.purge_queue(QueueUrl=url)  # the test event
    return url


def events(sim: ls.Simulation, url: str) -> list[tuple[str, str]]:
    """The object events in the queue, taken off it."""
    sqs = sim.client("sqs")
    out = []
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        for r in json.loads(m["Body"])["Records"]:
            out.append((r["eventName"], r["s3"]["object"]["key"]))
    return sorted(out)


def test_copy_object_copies_metadata_and_fires_object_created_copy(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    url = notified(sim)
    s3.create_bucket(Bucket="other")
    result = s3.copy_object(Bucket="bkt", Key="copy", CopySource={"Bucket": "bkt", "Key": "k"})
    assert result["CopyObjectResult"]["ETag"] == ETAG
    copy = s3.get_object(Bucket="bkt", Key="copy")
    assert (copy["Body"].read(), copy["ContentType"], copy["Metadata"]) == (b"data", "text/plain", {"a": "1"})
    s3.copy_object(Bucket="other", Key="x", CopySource="bkt/k", MetadataDirective="REPLACE", Metadata={"b": "2"})
    replaced = s3.head_object(Bucket="other", Key="x")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("binary/octet-stream", {"b": "2"})
    assert events(sim, url) == [("ObjectCreated:Copy", "copy")]
    assert error(s3.copy_object, Bucket="bkt", Key="k", CopySource="bkt/k")[0] == "InvalidRequest"
    assert error(s3.copy_object, Bucket="bkt", Key="y", CopySource="bkt/nope")[::2] == ("NoSuchKey", 404)
    code, _, status = error(s3.copy_object, Bucket="bkt", Key="y", CopySource="bkt/k", CopySourceIfMatch='"other"')
    assert (code, status) == ("PreconditionFailed", 412)
    assert error(s3.copy_object, Bucket="bkt", Key="y", CopySource="bkt/k?versionId=3")[::2] == ("NotImplemented", 501)


def test_delete_objects_reports_each_key_and_fires_object_removed(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    url = notified(sim)
    s3.put_object(Bucket="bkt", Key="k2", Body=b"x")
    events(sim, url)
    out = s3.delete_objects(
        Bucket="bkt", Delete={"Objects": [{"Key": "k"}, {"Key": "missing"}, {"Key": "k2", "VersionId": "v7"}]}
    )
    assert out["Deleted"] == [{"Key": "k"}, {"Key": "missing"}]
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("k2", "NotImplemented")]
    assert events(sim, url) == [("ObjectRemoved:Delete", "k")]  # a missing key and a refused one fire nothing
    quiet = s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "k2"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket="bkt")["KeyCount"] == 0
    assert error(s3.delete_objects, Bucket="bkt", Delete={"Objects": []})[0] == "MalformedXML"


def test_list_objects_v1_pages_by_marker(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    for key in ("a/1", "a/2", "b", "c"):
        s3.put_object(Bucket="bkt", Key=key, Body=b"x")
    first = s3.list_objects(Bucket="bkt", MaxKeys=2)
    assert [c["Key"] for c in first["Contents"]] == ["a/1", "a/2"]
    assert first["IsTruncated"] and first["Marker"] == "" and "NextMarker" not in first
    assert first["Contents"][0]["Owner"]["ID"] == "123456789012"
    second = s3.list_objects(Bucket="bkt", MaxKeys=2, Marker="a/2")
    assert [c["Key"] for c in second["Contents"]] == ["b", "c"]
    grouped = s3.list_objects(Bucket="bkt", Delimiter="/", MaxKeys=2)
    assert grouped["CommonPrefixes"] == [{"Prefix": "a/"}]
    assert grouped["NextMarker"] == "b"


def test_list_buckets_paginator(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    for n in range(4):
        s3.create_bucket(Bucket=f"more-{n}")
    pages = s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 2})
    assert [[b["Name"] for b in p["Buckets"]] for p in pages] == [["bkt", "more-0"], ["more-1", "more-2"], ["more-3"]]
    assert [b["Name"] for b in s3.list_buckets(Prefix="more-", MaxBuckets=10)["Buckets"]][-1] == "more-3"


def test_waiters_poll_on_the_simulated_clock(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    s3.get_waiter("bucket_exists").wait(Bucket="bkt")
    assert sim.now == 200
    # A process that puts the object at 212 s: the waiter's polls (every 5 s) find it at 215 s.
    sim.env.process(_put_later(sim, 12))
    s3.get_waiter("object_exists").wait(Bucket="bkt", Key="later")
    assert sim.now == 215
    with pytest.raises(ls.WaiterError, match="Max attempts exceeded"):
        s3.get_waiter("object_exists").wait(Bucket="bkt", Key="never", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert sim.now == 217
    s3.get_waiter("object_not_exists").wait(Bucket="bkt", Key="never")
    assert sorted(s3.waiter_names) == ["bucket_exists", "bucket_not_exists", "object_exists", "object_not_exists"]


def _put_later(sim: ls.Simulation, delay_s: float) -> Any:
    yield sim.env.timeout(delay_s)
    sim.client("s3").put_object(Bucket="bkt", Key="later", Body=b"x")


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
@pytest.mark.parametrize("method", ["get_object", "put_object"])
def test_presigned_urls_are_botocores_byte_for_byte_at_the_simulated_time(region: str, method: str) -> None:
    import botocore.auth
    import botocore.session

    from lambdasim.aws.s3.extras import _SECRET, ACCESS_KEY_ID

    sim = ls.Simulation(seed=1, region=region)
    sim.run(until=200)
    params = {"Bucket": "bkt", "Key": "reports/a b+c.txt"}
    ours = sim.client("s3").generate_presigned_url(method, Params=params, ExpiresIn=600)
    real = botocore.session.get_session().create_client(
        "s3", region_name=region, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=_SECRET
    )
    with mock.patch.object(botocore.auth.time, "time", return_value=START.timestamp() + 200):
        theirs = real.generate_presigned_url(method, Params=params, ExpiresIn=600)
    assert ours == theirs
    assert ours.endswith(f"&Expires={int(START.timestamp()) + 800}")


def test_presigned_url_errors(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    assert s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}) == (
        s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=3600)
    )
    with pytest.raises(ValueError, match="Client does not have method: get_thing"):
        s3.generate_presigned_url("get_thing", Params={})
    with pytest.raises(ls.ParamValidationError):
        s3.generate_presigned_url("get_object", Params={"Bucket": "bkt"})
    with pytest.raises(ValueError, match="ExpiresIn"):
        s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=0)


# -- ranges and multipart uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-1", b"da", "bytes 0-1/4"),
        ("bytes=1-", b"ata", "bytes 1-3/4"),
        ("bytes=2-100", b"ta", "bytes 2-3/4"),  # the end is cut to the object
        ("bytes=-3", b"ata", "bytes 1-3/4"),  # the last three bytes
        ("bytes=-10", b"data", "bytes 0-3/4"),
    ],
)
def test_a_ranged_get_returns_206_with_the_bytes_and_their_content_range(
    sim: ls.Simulation, header: str, body: bytes, content_range: str
) -> None:
    out = sim.client("s3").get_object(Bucket="bkt", Key="k", Range=header)
    assert out["Body"].read() == body
    assert (out["ContentRange"], out["ContentLength"]) == (content_range, len(body))
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 206


@pytest.mark.parametrize("header", ["bytes=0-1,2-3", "items=0-1", "bytes=3-1", "bytes=-"])
def test_a_range_s3_ignores_returns_the_whole_object(sim: ls.Simulation, header: str) -> None:
    out = sim.client("s3").get_object(Bucket="bkt", Key="k", Range=header)
    assert out["Body"].read() == b"data" and "ContentRange" not in out
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("header", ["bytes=4-", "bytes=10-20", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(sim: ls.Simulation, header: str) -> None:
    assert error(sim.client("s3").get_object, Bucket="bkt", Key="k", Range=header) == (
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
    )


MIB = 1024 * 1024


def test_a_multipart_upload_joins_its_parts_with_s3s_etag_and_fires_its_event(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    url = notified(sim)
    sim.run(until=300)
    upload = s3.create_multipart_upload(Bucket="bkt", Key="big", ContentType="video/mp4", Metadata={"m": "1"})
    uid = upload["UploadId"]
    parts = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"c" * 10]
    etags = []
    for n, data in reversed(list(enumerate(parts, start=1))):  # parts may arrive in any order
        etags.insert(0, s3.upload_part(Bucket="bkt", Key="big", UploadId=uid, PartNumber=n, Body=data)["ETag"])
    listed = s3.list_parts(Bucket="bkt", Key="big", UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2] and listed["IsTruncated"]
    assert [p["Size"] for p in listed["Parts"]] == [5 * MIB, 5 * MIB]
    assert "big" not in [o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]]  # not an object yet
    done = s3.complete_multipart_upload(
        Bucket="bkt",
        Key="big",
        UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    digest = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in etags), usedforsecurity=False).hexdigest()
    assert done["ETag"] == f'"{digest}-3"'
    got = s3.get_object(Bucket="bkt", Key="big")
    assert got["Body"].read() == b"".join(parts)
    assert (got["ETag"], got["ContentType"], got["Metadata"]) == (done["ETag"], "video/mp4", {"m": "1"})
    sim.run(until=301)
    assert events(sim, url) == [("ObjectCreated:CompleteMultipartUpload", "big")]
    # The upload is gone once completed.
    assert error(s3.list_parts, Bucket="bkt", Key="big", UploadId=uid)[::2] == ("NoSuchUpload", 404)


def test_multipart_uploads_are_refused_in_s3s_words(sim: ls.Simulation) -> None:
    s3 = sim.client("s3")
    uid = s3.create_multipart_upload(Bucket="bkt", Key="big")["UploadId"]
    small = s3.upload_part(Bucket="bkt", Key="big", UploadId=uid, PartNumber=1, Body=b"x")["ETag"]
    last = s3.upload_part(Bucket="bkt", Key="big", UploadId=uid, PartNumber=2, Body=b"y")["ETag"]

    def complete(*parts: tuple[int, str]) -> tuple[str, str, int]:
        listed = {"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}
        return error(s3.complete_multipart_upload, Bucket="bkt", Key="big", UploadId=uid, MultipartUpload=listed)

    assert complete((1, small), (2, last)) == (
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        400,
    )
    assert complete((2, last), (1, small))[0] == "InvalidPartOrder"
    assert complete((1, last))[0] == "InvalidPart"  # the ETag is another part's
    assert complete((3, last))[0] == "InvalidPart"
    assert complete()[0] == "MalformedXML"
    assert error(s3.upload_part, Bucket="bkt", Key="big", UploadId=uid, PartNumber=10_001, Body=b"")[:2] == (
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
    )
    assert error(s3.upload_part, Bucket="bkt", Key="other", UploadId=uid, PartNumber=1, Body=b"")[::2] == (
        "NoSuchUpload",
        404,
    )
    # A single part may be small: it is the last one.
    uid2 = s3.create_multipart_upload(Bucket="bkt", Key="one")["UploadId"]
    etag = s3.upload_part(Bucket="bkt", Key="one", UploadId=uid2, PartNumber=1, Body=b"z")["ETag"]
    s3.complete_multipart_upload(
        Bucket="bkt", Key="one", UploadId=uid2, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.get_object(Bucket="bkt", Key="one")["Body"].read() == b"z"
    assert s3.abort_multipart_upload(Bucket="bkt", Key="big", UploadId=uid)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error(s3.abort_multipart_upload, Bucket="bkt", Key="big", UploadId=uid)[0] == "NoSuchUpload"
    assert "big" not in [o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]]
