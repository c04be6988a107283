"""S3 with the boto3 resource, in the style of AWS's SDK examples (``object_wrapper.py``): objects put, read and
deleted, and a bucket that notifies a Lambda function of each new object."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class ObjectWrapper:
    """Encapsulates one S3 object."""

    def __init__(self, s3_object: Any) -> None:
        self.object = s3_object
        self.key = self.object.key

    def put(self, data: bytes | str) -> dict[str, Any]:
        return dict(self.object.put(Body=data))

    def get(self) -> bytes:
        return bytes(self.object.get()["Body"].read())

    def delete(self) -> None:
        self.object.delete()


def usage_demo(s3: Any, lambda_client: Any, function_arn: str) -> dict[str, Any]:
    """A bucket notifying ``function_arn`` of new objects under ``uploads/``; three objects put and read back."""
    bucket = s3.create_bucket(Bucket="doc-example-bucket-notified")
    lambda_client.add_permission(
        FunctionName=function_arn,
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket.name}",
    )
    bucket.Notification().put(
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        }
    )
    seen: dict[str, Any] = {}
    wrappers = [ObjectWrapper(bucket.Object(key)) for key in ("uploads/a.json", "uploads/b.json", "other/c.json")]
    seen["etags"] = [w.put(json.dumps({"key": w.key}))["ETag"] for w in wrappers]
    seen["read"] = [json.loads(w.get()) for w in wrappers]
    listed = s3.meta.client.list_objects_v2(Bucket=bucket.name, Prefix="uploads/")
    seen["listed"] = [item["Key"] for item in listed["Contents"]]
    seen["size"] = wrappers[0].object.content_length
    wrappers[2].delete()
    try:
        wrappers[2].get()
    except ClientError as err:
        seen["deleted"] = err.response["Error"]["Code"]
    return seen
