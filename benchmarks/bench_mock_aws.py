#!/usr/bin/env python
"""The cost per call of ``lambdasim.mock_aws`` (botocore's own client, answered at ``before-call``) against the
native client (``sim.client("lambda")``), in one process.

Each repetition makes a fresh simulation with one function, then times ``N`` asynchronous invokes
(``InvocationType="Event"``, a small JSON payload) through (a) the native client and (b) a ``boto3.client("lambda")``
created inside ``mock_aws``; the clock is not advanced, so both time the call alone (validation, the control
plane's acceptance of the event, the response). Repetitions alternate (a), (b) and (c); figures are medians of CPU time
(``time.process_time``) and the ratio is the median of the paired ratios. Every invoke must answer 202.

(c) is the floor: the same botocore client answered at ``before-call`` by a fixed response, which is what botocore's
own pipeline (parameter validation, serialisation, endpoint resolution, events) costs whoever answers.

The last line printed is the JSON ``{"calls": N, "native_us_per_call": ..., "mock_aws_us_per_call": ...,
"botocore_alone_us_per_call": ..., "ratio": ...}`` (``ratio``: mock_aws over native).

Usage::

    python benchmarks/bench_mock_aws.py                  # 10,000 invokes, 5 repetitions
    python benchmarks/bench_mock_aws.py --calls 500 --repetitions 1   # the smoke run
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from botocore.awsrequest import AWSResponse

import lambdasim as ls

PAYLOAD = json.dumps({"order": 1, "items": ["a", "b"]}).encode()


def _package() -> bytes:
    """The deployment package: ``index.handler`` returning nothing, imported from the zip as on AWS."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0)), HANDLER_SOURCE)
    return buffer.getvalue()


HANDLER_SOURCE = "def handler(event, context):\n    return None\n"
PACKAGE = _package()


def deploy(client: Any) -> None:
    client.create_function(
        FunctionName="bench",
        Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/bench",
        Handler="index.handler",
        Code={"ZipFile": PACKAGE},
    )


def timed(client: Any, calls: int) -> float:
    """CPU seconds for ``calls`` Event invokes through ``client``."""
    start = time.process_time()
    for _ in range(calls):
        status = client.invoke(FunctionName="bench", InvocationType="Event", Payload=PAYLOAD)["StatusCode"]
    elapsed = time.process_time() - start
    assert status == 202, status
    return elapsed


def native(calls: int) -> float:
    sim = ls.Simulation(seed=1)
    client = sim.client("lambda")
    deploy(client)
    return timed(client, calls)


def mocked(calls: int) -> float:
    sim = ls.Simulation(seed=1)
    with ls.mock_aws(sim):
        client = boto3.client("lambda")
        deploy(client)
        elapsed = timed(client, calls)
    assert len(sim.services.lambda_.functions) == 1
    return elapsed


def botocore_floor(calls: int) -> float:
    """botocore's own request pipeline alone: the same client, answered at before-call by a fixed response."""
    sim = ls.Simulation(seed=1)
    with ls.mock_aws(sim):
        client = boto3.client("lambda")
        deploy(client)
        canned = (AWSResponse("https://lambda", 202, {}, None), {"StatusCode": 202, "ResponseMetadata": {}})
        client.meta.events.register_first("before-call.lambda.Invoke", lambda **_: canned)
        return timed(client, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    native_s, mock_s, floor_s, ratios = [], [], [], []
    us = 1e6 / args.calls
    for _ in range(args.repetitions):
        a, b, c = native(args.calls), mocked(args.calls), botocore_floor(args.calls)
        native_s.append(a)
        mock_s.append(b)
        floor_s.append(c)
        ratios.append(b / a)
        print(f"  native {a * us:7.1f} us/call   mock_aws {b * us:7.1f} us/call   botocore alone {c * us:7.1f} us/call")
    print(
        json.dumps(
            {
                "calls": args.calls,
                "native_us_per_call": round(statistics.median(native_s) / args.calls * 1e6, 2),
                "mock_aws_us_per_call": round(statistics.median(mock_s) / args.calls * 1e6, 2),
                "botocore_alone_us_per_call": round(statistics.median(floor_s) / args.calls * 1e6, 2),
                "ratio": round(statistics.median(ratios), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
