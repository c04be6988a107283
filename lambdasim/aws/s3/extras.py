"""The S3 client's helpers that are not operations: ``get_waiter`` and ``generate_presigned_url``.

Waiters are botocore's four S3 waiters (``bucket_exists``, ``bucket_not_exists``, ``object_exists``,
``object_not_exists``: ``lambdasim.aws.s3._shapes.WAITERS``, generated from botocore's ``waiters-2.json``), run by
the loop of :mod:`lambdasim.aws.lambda_.waiters`: between polls the simulated clock advances by ``Delay`` (5 s by
default) from top-level code, exactly as ``sim.run(until=sim.now + Delay)`` would, so an object a workload puts at
t = 12 s is found by the poll at 15 s.

``generate_presigned_url`` returns the URL botocore builds by default (query-string authentication:
``AWSAccessKeyId``, ``Signature``, ``Expires``; virtual-hosted style on the global endpoint), expiring ``ExpiresIn``
seconds after the simulated now, and signed with AWS's documented example credential rather than a secret: byte for
byte the URL a botocore client with that credential gives at that time (tested), the same for the same request and
time, and never fetched [model].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Any

from lambdasim.aws.lambda_.waiters import WaiterSupport
from lambdasim.aws.paginators import xform_name
from lambdasim.aws.s3._base import S3Base
from lambdasim.aws.s3._shapes import WAITERS
from lambdasim.core._validators import check_range

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
"""The access key id in presigned URLs: AWS's documented example key (no real credential is involved)."""
_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example secret, for a deterministic signature


class ExtrasMixin(WaiterSupport, S3Base):
    """``get_waiter``, ``waiter_names`` and ``generate_presigned_url`` of ``sim.client("s3")``."""

    waiter_models = WAITERS
    waiter_service = "S3"

    def generate_presigned_url(  # boto3's argument names
        self,
        ClientMethod: str,  # noqa: N803
        Params: dict[str, Any] | None = None,  # noqa: N803
        ExpiresIn: int = 3600,  # noqa: N803
        HttpMethod: str | None = None,  # noqa: N803
    ) -> str:
        """A presigned URL for ``ClientMethod`` (``"get_object"``, ``"put_object"``, ...) with ``Params``, valid
        ``ExpiresIn`` seconds (an integer >= 1) from the simulated now. ``Params`` are checked as the operation checks
        them (botocore's validation); ``ValueError`` for a method the client does not have. The URL is botocore's
        for ``Bucket`` and ``Key``; parameters that botocore would send as headers (``ContentType``, ``Metadata``)
        are checked but not signed into it [model]."""
        names = {xform_name(op): op for op in self.operations}
        if ClientMethod not in names:
            raise ValueError(f"Client does not have method: {ClientMethod}")  # botocore's UnknownClientMethodError
        params = dict(Params or {})
        check_range("ExpiresIn", ExpiresIn, 1, integer=True)
        self._check_presign(names[ClientMethod], params)
        verb = HttpMethod or {"put_object": "PUT", "delete_object": "DELETE", "head_object": "HEAD"}.get(
            ClientMethod, "GET"
        )
        bucket = params.get("Bucket")
        # botocore presigns on the global endpoint, virtual-hosted style, whatever the region.
        host = "s3.amazonaws.com" if bucket is None else f"{bucket}.s3.amazonaws.com"
        path = "/" + urllib.parse.quote(str(params.get("Key", "")), safe="/~")
        expires = str(int(self._sim.start.timestamp() + self._sim.now + ExpiresIn))
        # botocore's default for a presigned S3 URL: query-string authentication (HmacV1QueryAuth), its canonical
        # string "VERB\n<Content-MD5>\n<Content-Type>\nExpires\n/bucket/key".
        resource = f"/{bucket}{path}" if bucket is not None else path
        to_sign = f"{verb}\n\n\n{expires}\n{resource}"
        digest = hmac.new(_SECRET.encode(), to_sign.encode(), hashlib.sha1).digest()
        signature = urllib.parse.quote(base64.b64encode(digest).decode(), safe="-_.~")
        return f"https://{host}{path}?AWSAccessKeyId={ACCESS_KEY_ID}&Signature={signature}&Expires={expires}"

    def _check_presign(self, operation: str, params: dict[str, Any]) -> None:
        """botocore validates a presigned request's parameters as it would the call's."""
        from lambdasim.aws._shapes import validate_input

        shape = self.operations[operation][0]
        if shape is not None:
            validate_input(params, self.input_shapes, shape)
