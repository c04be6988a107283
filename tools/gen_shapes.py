"""Generate ``lambdasim/aws/<service>/_shapes.py`` from botocore's service models.

The simulation validates requests as botocore and AWS do, without importing botocore at runtime: this script copies
the input shapes of the operations lambdasim implements for each service (member names, required members, types and
min/max/enum/pattern constraints) into a small Python module per service; for Lambda also its paginator and waiter
configurations and the service's error codes.

Run it after adding an operation or upgrading botocore (botocore is a test dependency)::

    python tools/gen_shapes.py            # every service
    python tools/gen_shapes.py sqs events # some

``tests/test_conformance.py`` (Lambda) and ``tests/test_service_shapes.py`` (the others) fail when a committed module
and the installed botocore disagree.
"""

from __future__ import annotations

import json
import pprint
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple


class Service(NamedTuple):
    """One generated module: botocore's service name, its title, the operations implemented, what else to copy."""

    name: str
    title: str
    package: str  # lambdasim/aws/<package>/_shapes.py
    operations: tuple[str, ...]
    extras: bool = False  # PAGINATORS, WAITERS and ERROR_CODES too (Lambda's client reads them)
    waiters: bool = False  # WAITERS too: botocore's waiters of the implemented operations (S3's)


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "lambda",
            "Lambda",
            "lambda_",
            (
                "AddPermission",
                "CreateAlias",
                "CreateEventSourceMapping",
                "CreateFunction",
                "DeleteAlias",
                "DeleteEventSourceMapping",
                "DeleteFunction",
                "DeleteFunctionConcurrency",
                "DeleteFunctionEventInvokeConfig",
                "DeleteProvisionedConcurrencyConfig",
                "GetAccountSettings",
                "GetAlias",
                "GetEventSourceMapping",
                "GetFunction",
                "GetFunctionConcurrency",
                "GetFunctionConfiguration",
                "GetFunctionEventInvokeConfig",
                "GetPolicy",
                "GetProvisionedConcurrencyConfig",
                "Invoke",
                "InvokeAsync",
                "ListAliases",
                "ListEventSourceMappings",
                "ListFunctionEventInvokeConfigs",
                "ListFunctions",
                "ListProvisionedConcurrencyConfigs",
                "ListTags",
                "ListVersionsByFunction",
                "PublishVersion",
                "PutFunctionConcurrency",
                "PutFunctionEventInvokeConfig",
                "PutProvisionedConcurrencyConfig",
                "RemovePermission",
                "TagResource",
                "UntagResource",
                "UpdateAlias",
                "UpdateEventSourceMapping",
                "UpdateFunctionCode",
                "UpdateFunctionConfiguration",
                "UpdateFunctionEventInvokeConfig",
            ),
            extras=True,
        ),
        Service(
            "sqs",
            "SQS",
            "sqs",
            (
                "ChangeMessageVisibility",
                "CreateQueue",
                "DeleteMessage",
                "DeleteMessageBatch",
                "DeleteQueue",
                "GetQueueAttributes",
                "GetQueueUrl",
                "ListDeadLetterSourceQueues",
                "ListQueues",
                "PurgeQueue",
                "ReceiveMessage",
                "SendMessage",
                "SendMessageBatch",
                "SetQueueAttributes",
            ),
        ),
        Service(
            "sns",
            "SNS",
            "sns",
            (
                "CreateTopic",
                "DeleteTopic",
                "GetSubscriptionAttributes",
                "GetTopicAttributes",
                "ListSubscriptions",
                "ListSubscriptionsByTopic",
                "ListTopics",
                "Publish",
                "SetSubscriptionAttributes",
                "Subscribe",
                "Unsubscribe",
            ),
        ),
        Service(
            "events",
            "EventBridge",
            "events",
            (
                "CreateEventBus",
                "DeleteEventBus",
                "DeleteRule",
                "DescribeEventBus",
                "DescribeRule",
                "DisableRule",
                "EnableRule",
                "ListEventBuses",
                "ListRules",
                "ListTargetsByRule",
                "PutEvents",
                "PutRule",
                "PutTargets",
                "RemoveTargets",
            ),
        ),
        Service(
            "s3",
            "S3",
            "s3",
            (
                "AbortMultipartUpload",
                "CompleteMultipartUpload",
                "CopyObject",
                "CreateBucket",
                "CreateMultipartUpload",
                "DeleteBucket",
                "DeleteObject",
                "DeleteObjects",
                "GetBucketLocation",
                "GetBucketNotificationConfiguration",
                "GetObject",
                "HeadBucket",
                "HeadObject",
                "ListBuckets",
                "ListObjects",
                "ListObjectsV2",
                "ListParts",
                "PutBucketNotificationConfiguration",
                "PutObject",
                "UploadPart",
            ),
            waiters=True,
        ),
        Service(
            "cloudwatch",
            "CloudWatch",
            "cloudwatch",
            (
                "DeleteAlarms",
                "DescribeAlarmHistory",
                "DescribeAlarms",
                "DescribeAlarmsForMetric",
                "DisableAlarmActions",
                "EnableAlarmActions",
                "GetMetricData",
                "GetMetricStatistics",
                "ListMetrics",
                "PutMetricAlarm",
                "PutMetricData",
                "SetAlarmState",
            ),
        ),
        Service(
            "logs",
            "CloudWatch Logs",
            "logs",
            (
                "CreateLogGroup",
                "DeleteLogGroup",
                "DescribeLogGroups",
                "DescribeLogStreams",
                "FilterLogEvents",
                "GetLogEvents",
                "PutRetentionPolicy",
            ),
        ),
        Service(
            "iam",
            "IAM",
            "iam",
            (
                "AttachRolePolicy",
                "CreateRole",
                "DeleteRole",
                "DeleteRolePolicy",
                "DetachRolePolicy",
                "GetRole",
                "GetRolePolicy",
                "ListAttachedRolePolicies",
                "ListRolePolicies",
                "ListRoles",
                "PutRolePolicy",
            ),
        ),
        Service(
            "kinesis",
            "Kinesis",
            "kinesis",
            (
                "CreateStream",
                "DecreaseStreamRetentionPeriod",
                "DeleteStream",
                "DescribeStream",
                "DescribeStreamSummary",
                "GetRecords",
                "GetShardIterator",
                "IncreaseStreamRetentionPeriod",
                "ListShards",
                "ListStreams",
                "PutRecord",
                "PutRecords",
            ),
        ),
        Service(
            "dynamodb",
            "DynamoDB",
            "dynamodb",
            (
                "CreateTable",
                "DeleteItem",
                "DeleteTable",
                "DescribeTable",
                "GetItem",
                "ListTables",
                "PutItem",
                "UpdateItem",
                "UpdateTable",
            ),
        ),
        Service(
            "dynamodbstreams",
            "DynamoDB Streams",
            "dynamodbstreams",
            ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"),
        ),
    )
}
KEPT = ("min", "max", "enum", "pattern")
NOQA = "# ruff: noqa: E501 (botocore's patterns are long strings)"
LINE_LENGTH = 120  # pyproject.toml's [tool.ruff]
PACKAGE = Path(__file__).resolve().parent.parent / "lambdasim" / "aws"
SUPPORTED = ("structure", "list", "map", "string", "integer", "long", "boolean", "blob", "timestamp", "double", "float")


def target(service: Service) -> Path:
    return PACKAGE / service.package / "_shapes.py"


def load(service: str, kind: str) -> dict[str, Any]:
    """botocore's model file ``kind`` (``service-2``, ``paginators-1``, ``waiters-2``) as its clients load it."""
    import botocore.loaders

    # Through JSON: plain dicts (the loader's are OrderedDicts), in the file's order.
    return dict(json.loads(json.dumps(botocore.loaders.Loader().load_service_model(service, kind))))


def collect(shapes: dict[str, Any], name: str, out: dict[str, dict[str, Any]]) -> None:
    """Copy shape ``name`` and every shape it refers to, without documentation."""
    if name in out:
        return
    src = shapes[name]
    if src["type"] not in SUPPORTED or any(k in src for k in ("document", "jsonvalue")):
        # lambdasim.aws._shapes validates these types only: teach it the new one first.
        raise SystemExit(f"shape {name} ({src['type']}) is of a kind lambdasim does not validate")
    kept: dict[str, Any] = {"type": src["type"]}
    kept.update({k: src[k] for k in KEPT if k in src})
    if src.get("union"):
        kept["union"] = True  # a tagged union: exactly one member set (botocore's check)
    out[name] = kept
    if src["type"] == "structure":
        kept["required"] = list(src.get("required", []))
        kept["members"] = {m: ref["shape"] for m, ref in src["members"].items()}
        for ref in src["members"].values():
            if ref.get("jsonvalue"):
                raise SystemExit(f"member of {name} is a JSON value, which lambdasim does not validate")
            collect(shapes, ref["shape"], out)
    elif src["type"] == "list":
        kept["member"] = src["member"]["shape"]
        collect(shapes, src["member"]["shape"], out)
    elif src["type"] == "map":
        kept["key"] = src["key"]["shape"]
        kept["value"] = src["value"]["shape"]
        collect(shapes, src["key"]["shape"], out)
        collect(shapes, src["value"]["shape"], out)


def build(name: str = "lambda") -> dict[str, Any]:
    """What the generated module of service ``name`` holds: ``OPERATIONS`` and ``SHAPES``; with ``extras``, also
    ``PAGINATORS``, ``WAITERS`` and ``ERROR_CODES``."""
    spec = SERVICES[name]
    service = load(name, "service-2")
    ops = service["operations"]
    shapes: dict[str, dict[str, Any]] = {}
    operations: dict[str, tuple[str | None, str | None, int]] = {}
    for op in spec.operations:
        model = ops[op]
        in_shape = model.get("input", {}).get("shape")
        out_shape = model.get("output", {}).get("shape")
        if in_shape:
            collect(service["shapes"], in_shape, shapes)
        operations[op] = (in_shape, out_shape, model.get("http", {}).get("responseCode", 200))
    data: dict[str, Any] = {
        "OPERATIONS": operations,
        "SHAPES": {shape: shapes[shape] for shape in sorted(shapes)},
        "API_VERSION": service["metadata"]["apiVersion"],
    }
    if spec.extras:
        paginators = load(name, "paginators-1")["pagination"]
        waiters = load(name, "waiters-2")
        if waiters["version"] != 2:  # lambdasim's waiters read version 2's acceptors, as botocore's WaiterModel does
            raise SystemExit(f"waiters-2.json is version {waiters['version']}, not 2")
        data["PAGINATORS"] = {op: dict(paginators[op]) for op in spec.operations if op in paginators}
        # Every waiter, as botocore's waiters-2.json has it (version 2): each polls an implemented operation.
        data["WAITERS"] = {w: dict(waiters["waiters"][w]) for w in sorted(waiters["waiters"])}
        data["ERROR_CODES"] = tuple(sorted(n for n, s in service["shapes"].items() if s.get("exception")))
    elif spec.waiters:
        waiters = load(name, "waiters-2")
        if waiters["version"] != 2:
            raise SystemExit(f"waiters-2.json is version {waiters['version']}, not 2")
        data["WAITERS"] = {
            w: dict(waiters["waiters"][w])
            for w in sorted(waiters["waiters"])
            if waiters["waiters"][w]["operation"] in spec.operations
        }
    return data


def render(name: str = "lambda") -> str:
    spec = SERVICES[name]
    data = build(name)
    # Insertion order kept: botocore lists a structure's members in model order ("must be one of: ...").
    fmt = lambda value: pprint.pformat(value, width=116, sort_dicts=False)  # noqa: E731
    doc = (
        f'"""Botocore\'s {spec.title} model, reduced to what lambdasim validates. GENERATED by tools/gen_shapes.py\n'
        f"from botocore {_version()} (API {data['API_VERSION']}): do not edit by hand.\n\n"
        "``OPERATIONS``: operation -> (input shape, output shape, HTTP status of success). ``SHAPES``: every input\n"
    )
    if spec.extras:
        doc += (
            "shape reachable from those operations. ``PAGINATORS``: botocore's paginator configuration. ``WAITERS``:\n"
            "botocore's waiter configuration (waiters-2.json, version 2). ``ERROR_CODES``: the service's modelled\n"
            'exceptions.\n"""\n\n'
        )
    elif spec.waiters:
        doc += (
            "shape reachable from those operations. ``WAITERS``: botocore's configuration of the waiters that poll\n"
            'those operations (waiters-2.json, version 2).\n"""\n\n'
        )
    else:
        doc += 'shape reachable from those operations.\n"""\n\n'
    body = (
        f"OPERATIONS: dict[str, tuple[str | None, str | None, int]] = {fmt(data['OPERATIONS'])}\n\n"
        f"SHAPES: dict[str, dict[str, Any]] = {fmt(data['SHAPES'])}\n"
    )
    if spec.extras:
        body += (
            f"\nPAGINATORS: dict[str, dict[str, str]] = {fmt(data['PAGINATORS'])}\n\n"
            f"WAITERS: dict[str, dict[str, Any]] = {fmt(data['WAITERS'])}\n\n"
            f"ERROR_CODES: tuple[str, ...] = {fmt(data['ERROR_CODES'])}\n"
        )
    elif spec.waiters:
        body += f"\nWAITERS: dict[str, dict[str, Any]] = {fmt(data['WAITERS'])}\n"
    return doc + NOQA + "\n\nfrom __future__ import annotations\n\nfrom typing import Any\n\n" + body


def _version() -> str:
    import botocore

    return str(botocore.__version__)


def main(argv: list[str]) -> int:
    names = argv or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        print(f"unknown service(s) {', '.join(unknown)}: choose from {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    for name in names:
        path = target(SERVICES[name])
        path.write_text(render(name))
        # Keep the committed file in the project's format, with the noqa only where a pattern is too long for a line.
        subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", str(path)], check=False)
        text = path.read_text()
        if max(len(line) for line in text.splitlines()) <= LINE_LENGTH:
            path.write_text(text.replace(NOQA + "\n\n", ""))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
