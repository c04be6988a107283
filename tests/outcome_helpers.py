"""Builders shared by the destination, dead-letter, metrics and statistics tests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import lambdasim as ls

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ACCOUNT = "123456789012"
REGION = "us-east-1"


def iso(t: float) -> str:
    """The ISO 8601 stamp (milliseconds, Z) of simulated time ``t`` from the default start, computed independently."""
    moment = START + dt.timedelta(milliseconds=round(t * 1000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def function_arn(name: str, qualifier: str | None = "$LATEST") -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def ok(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}


def fail(event: Any, context: Any) -> None:
    raise RuntimeError("always fails")


def queue(sim: ls.Simulation, name: str, **attributes: str) -> tuple[str, str]:
    """Create an SQS queue; return ``(url, arn)``."""
    sqs = sim.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(sim: ls.Simulation, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every message visible in a queue now (received and deleted), oldest first."""
    sqs = sim.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
        if not got:
            return out
        for msg in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        out.extend(got)


def bodies(sim: ls.Simulation, url: str) -> list[Any]:
    return [json.loads(m["Body"]) for m in drain(sim, url)]


def collector(sim: ls.Simulation, name: str = "collector") -> list[Any]:
    """Create a function that keeps the events it is invoked with; return that list."""
    seen: list[Any] = []

    def handler(event: Any, context: Any) -> None:
        seen.append(event)

    sim.client("lambda").create_function(FunctionName=name, Handler=handler, Duration=0.25)
    return seen


def send(sim: ls.Simulation, payload: Any, name: str = "f") -> str:
    resp = sim.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload))
    assert resp["StatusCode"] == 202
    return str(resp["ResponseMetadata"]["RequestId"])


def total(results: ls.Results, function: str, metric: str) -> float:
    """A metric's ``Sum`` over the whole run."""
    return sum(v for _t, v in results.metric(function, metric, "Sum"))


Fetch = Callable[[ls.Simulation], list[Any]]
