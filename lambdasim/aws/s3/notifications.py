"""S3 event notifications: a bucket's ``NotificationConfiguration`` and the event records it sends.

``put_bucket_notification_configuration`` replaces the bucket's configuration after S3's checks, each an
``InvalidArgument`` (400):

- [doc] every event name is one of S3's (botocore's ``Event`` enum); filter rules are ``prefix``/``suffix`` (any
  case), at most one of each; two configurations whose event types overlap and whose filters overlap are refused
  ("Configurations overlap. Configurations on the same bucket cannot share a common event type.");
- [doc] the destination check ("Unable to validate the following destination configurations"): the function must
  exist and its resource policy (``add_permission``) must let ``s3.amazonaws.com`` invoke it for this bucket; the
  queue or topic must exist and its ``Policy`` must let ``s3.amazonaws.com`` send to it. ``SkipDestinationValidation``
  skips it. [model] The per-destination details (``ArgumentName1``, ``ArgumentValue1``...) are lambdasim's words.
- [doc] S3 sends an ``s3:TestEvent`` message to each new queue and topic destination.

``put_object`` and ``delete_object`` then send the S3 event record ([doc] ``eventVersion`` 2.1, ``eventName`` without
the ``s3:`` prefix, the key URL-encoded, ``size`` and ``eTag`` for created objects, a ``sequencer`` that grows with
each event of a key) to each matching destination: a function as an asynchronous invoke, a queue as a message, a
topic as a publication. [model] Delivery is at the instant of the request (AWS: "typically within seconds"); a
destination deleted since the configuration was put is skipped and counted in ``failed_deliveries``.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import urllib.parse
import weakref
from typing import Any

from lambdasim.aws.account import ServiceError, Services
from lambdasim.aws.s3._shapes import SHAPES
from lambdasim.aws.s3.backend import Bucket, S3Object

__all__ = ["EVENTS", "BucketNotifications", "notifications", "put_configuration"]

EVENTS: tuple[str, ...] = tuple(SHAPES["Event"]["enum"])
"""S3's event types: botocore's ``Event`` enum, as generated into :mod:`lambdasim.aws.s3._shapes`."""
KINDS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "TopicArn"),
)
S3_PRINCIPAL = "s3.amazonaws.com"
UNVALIDATED = "Unable to validate the following destination configurations"


def _invalid(message: str, **extra: str) -> ServiceError:
    return ServiceError("InvalidArgument", message, error_extra=extra)


def _malformed() -> ServiceError:
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


class BucketNotifications:
    """A bucket's stored configuration (as ``get_bucket_notification_configuration`` answers it) and counters."""

    def __init__(self) -> None:
        self.config: dict[str, list[dict[str, Any]]] = {}
        self.sequence = 0
        self.sent = 0
        self.failed_deliveries = 0


_BY_BUCKET: weakref.WeakKeyDictionary[Bucket, BucketNotifications] = weakref.WeakKeyDictionary()


def notifications(bucket: Bucket) -> BucketNotifications:
    """The notification state of ``bucket`` (made on first use)."""
    found = _BY_BUCKET.get(bucket)
    if found is None:
        found = BucketNotifications()
        _BY_BUCKET[bucket] = found
    return found


def _rules(config: dict[str, Any]) -> tuple[str, str]:
    """``(prefix, suffix)`` of a configuration's key filter (``""`` when absent)."""
    rules = config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    prefix = suffix = ""
    seen: set[str] = set()
    for rule in rules:
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("Name"), str)
            or not isinstance(rule.get("Value"), str)
        ):
            raise _malformed()
        name = rule["Name"].lower()
        if name not in ("prefix", "suffix"):
            raise _invalid(
                "FilterRule name must be either prefix or suffix",
                ArgumentName="FilterRule.Name",
                ArgumentValue=rule["Name"],
            )
        if name in seen:
            raise _invalid(
                f"Cannot specify more than one {name} rule in a filter.",
                ArgumentName="FilterRule.Name",
                ArgumentValue=rule["Name"],
            )
        seen.add(name)
        if name == "prefix":
            prefix = rule["Value"]
        else:
            suffix = rule["Value"]
    return prefix, suffix


def _event_matches(pattern: str, event: str) -> bool:
    """Whether configured event type ``pattern`` (``s3:ObjectCreated:*``) covers ``event``
    (``s3:ObjectCreated:Put``)."""
    if pattern.endswith(":*"):
        return event.startswith(pattern[:-1])
    return pattern == event


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    events = any(_event_matches(x, y) or _event_matches(y, x) for x in a["Events"] for y in b["Events"])
    if not events:
        return False
    (pa, sa), (pb, sb) = _rules(a), _rules(b)
    prefixes = pa.startswith(pb) or pb.startswith(pa)
    suffixes = sa.endswith(sb) or sb.endswith(sa)
    return prefixes and suffixes


def _policy_allows(policy: str | None, action: str, source_arn: str) -> bool:
    """Whether a queue's or topic's JSON ``Policy`` lets S3 perform ``action`` for bucket ``source_arn``."""
    if not policy:
        return False
    try:
        doc = json.loads(policy)
    except ValueError:
        return False
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    service = action.split(":", maxsplit=1)[0]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else principal
        services = services if isinstance(services, list) else [services]
        if S3_PRINCIPAL not in services and "*" not in services:
            continue
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(a in (action, f"{service}:*", "*") for a in actions):
            continue
        like = st.get("Condition", {}).get("ArnLike", {}).get("aws:SourceArn") or st.get("Condition", {}).get(
            "ArnEquals", {}
        ).get("aws:SourceArn")
        if like is not None and not fnmatch.fnmatchcase(source_arn, like):
            continue
        return True
    return False


def _destination_problem(services: Services, bucket: Bucket, kind: str, arn: str) -> str | None:
    """Why S3 could not validate a destination, or ``None``."""
    if kind == "LambdaFunctionConfigurations":
        from lambdasim.aws.lambda_.backend import LambdaError
        from lambdasim.aws.lambda_.lookup import resolve_record
        from lambdasim.aws.lambda_.permissions import allows_invoke

        try:
            rec, qualifier = resolve_record(services.sim, arn)
        except LambdaError:
            return "The destination function does not exist"
        if not allows_invoke(rec, qualifier, S3_PRINCIPAL, bucket.arn, services.account_id):
            return f"Not authorized to invoke function [{arn}]"
        return None
    if kind == "QueueConfigurations":
        queue = services.sqs.by_arn(arn)
        if queue is None:
            return "The destination queue does not exist"
        if not _policy_allows(queue.attributes.get("Policy"), "sqs:SendMessage", bucket.arn):
            return "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
        return None
    topic = services.sns.by_arn(arn)
    if topic is None:
        return "The destination topic does not exist"
    if not _policy_allows(topic.attributes.get("Policy"), "sns:Publish", bucket.arn):
        return "Permissions on the destination topic do not allow S3 to publish notifications from this bucket"
    return None


def put_configuration(services: Services, bucket: Bucket, config: Any, *, skip_validation: bool = False) -> None:
    """Check ``NotificationConfiguration`` as S3 does and make it the bucket's (``ServiceError`` otherwise)."""
    if not isinstance(config, dict) or set(config) - {kind for kind, _ in KINDS} - {"EventBridgeConfiguration"}:
        raise _malformed()
    if "EventBridgeConfiguration" in config:
        # [model] Not simulated: refused by name rather than accepted and never delivered.
        raise _invalid(
            "lambdasim does not simulate S3 notifications to EventBridge (EventBridgeConfiguration)",
            ArgumentName="EventBridgeConfiguration",
        )
    stored: dict[str, list[dict[str, Any]]] = {}
    every: list[dict[str, Any]] = []
    for kind, arn_key in KINDS:
        items = config.get(kind, [])
        if not isinstance(items, list):
            raise _malformed()
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get(arn_key), str) or not item.get("Events"):
                raise _malformed()
            for event in item["Events"]:
                if event not in EVENTS:
                    raise _invalid(
                        "The event is not supported for notifications", ArgumentName="Event", ArgumentValue=event
                    )
            _rules(item)
            entry: dict[str, Any] = {"Id": item.get("Id") or services.new_id(), arn_key: item[arn_key]}
            entry["Events"] = list(item["Events"])
            if item.get("Filter"):
                entry["Filter"] = item["Filter"]
            stored.setdefault(kind, []).append(entry)
            every.append(entry)
    for i, a in enumerate(every):
        for b in every[i + 1 :]:
            if _overlap(a, b):
                raise _invalid(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                    ArgumentName="Event",
                    ArgumentValue="Configurations overlap.",
                )
    if not skip_validation:
        problems: dict[str, str] = {}
        n = 0
        for kind, arn_key in KINDS:
            for entry in stored.get(kind, []):
                why = _destination_problem(services, bucket, kind, entry[arn_key])
                if why is not None:
                    n += 1
                    problems[f"ArgumentName{n}"] = entry[arn_key]
                    problems[f"ArgumentValue{n}"] = why
        if problems:
            raise _invalid(UNVALIDATED, **problems)
    state = notifications(bucket)
    old = {
        e.get("QueueArn") or e.get("TopicArn")
        for k in ("QueueConfigurations", "TopicConfigurations")
        for e in state.config.get(k, [])
    }
    state.config = stored
    for kind, arn_key in KINDS[1:]:
        for entry in stored.get(kind, []):
            if entry[arn_key] not in old:
                _test_event(services, bucket, kind, entry[arn_key])


def _timestamp(services: Services) -> str:
    moment = _dt.datetime.fromtimestamp(services.epoch(), tz=_dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _test_event(services: Services, bucket: Bucket, kind: str, arn: str) -> None:
    message = json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": _timestamp(services),
            "Bucket": bucket.name,
            "RequestId": services.new_id(),
            "HostId": services.new_id(),
        }
    )
    _send(services, kind, arn, message)


def _send(services: Services, kind: str, arn: str, message: str) -> None:
    if kind == "QueueConfigurations":
        queue = services.sqs.by_arn(arn)
        if queue is None:
            raise ServiceError("NonExistentQueue", arn)
        queue.send(message, sender_id=S3_PRINCIPAL)
    else:
        topic = services.sns.by_arn(arn)
        if topic is None:
            raise ServiceError("NotFound", arn)
        services.sns.publish(topic, message, subject="Amazon S3 Notification")


def record(
    services: Services, bucket: Bucket, event: str, key: str, obj: S3Object | None, configuration_id: str, sequence: int
) -> dict[str, Any]:
    """The S3 event record of one object event (``event`` as ``ObjectCreated:Put``)."""
    s3_object: dict[str, Any] = {"key": urllib.parse.quote_plus(key, safe="/")}
    if obj is not None:
        s3_object["size"] = len(obj.body)
        s3_object["eTag"] = obj.etag.strip('"')
    s3_object["sequencer"] = f"{sequence:016X}"
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": _timestamp(services),
        "eventName": event,
        "userIdentity": {"principalId": f"AWS:{services.account_id}"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": services.new_id(), "x-amz-id-2": services.new_id()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": services.account_id},
                "arn": bucket.arn,
            },
            "object": s3_object,
        },
    }


def notify(services: Services, bucket: Bucket, event: str, key: str, obj: S3Object | None) -> None:
    """Send ``event`` (``s3:ObjectCreated:Put``, ``s3:ObjectRemoved:Delete``) on ``key`` to every matching
    destination of ``bucket``."""
    state = _BY_BUCKET.get(bucket)
    if state is None or not state.config:
        return
    state.sequence += 1
    for kind, arn_key in KINDS:
        for entry in state.config.get(kind, []):
            if not any(_event_matches(p, event) for p in entry["Events"]):
                continue
            prefix, suffix = _rules(entry)
            if not (key.startswith(prefix) and key.endswith(suffix)):
                continue
            payload = {
                "Records": [record(services, bucket, event[len("s3:") :], key, obj, entry["Id"], state.sequence)]
            }
            try:
                if kind == "LambdaFunctionConfigurations":
                    services.invoke_async(entry[arn_key], payload)
                else:
                    _send(services, kind, entry[arn_key], json.dumps(payload))
            except ServiceError:
                state.failed_deliveries += 1
            else:
                state.sent += 1
