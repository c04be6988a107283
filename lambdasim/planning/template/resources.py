"""One reader per resource type (:data:`READERS`), each turning a template resource into lambdasim's configuration
objects (:class:`~lambdasim.planning.model.Function`, :class:`~lambdasim.planning.sources.Queue`, ...), gathered in
:class:`Parts`.

Readers run in two rounds: first the resources others name (functions, queues, topics, buckets, streams), then those
that name them (versions, aliases, event invoke configs, mappings, subscriptions, permissions, rules). A property's
value is checked by the configuration class it goes to, and its error names the property.

How a template's settings map [model]:

- ``AWS::Lambda::Function``: ``Timeout``, ``MemorySize``, ``ReservedConcurrentExecutions``, ``Architectures``,
  ``Runtime``, ``DeadLetterConfig.TargetArn``. Code, handler, role, environment and layers change nothing simulated.
- ``AWS::Lambda::Version`` and ``AWS::Lambda::Alias``: lambdasim's :class:`Function` has one alias, on version 1,
  optionally weighted to a version 2 (``RoutingConfig``), with the alias's ``ProvisionedConcurrencyConfig``.
  Versions are numbered per function in template order; both run the function's one behaviour.
- ``AWS::Lambda::EventInvokeConfig``: the function's :class:`EventInvoke`, which lambdasim applies to the function
  and its alias alike; two configurations of one function that differ are refused.
- ``AWS::Lambda::Permission``: lambdasim grants S3, SNS and EventBridge what they need itself (IAM is not enforced):
  read only to check it names a function of the template.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdasim.core._validators import short_repr
from lambdasim.core.behaviour import Behaviour
from lambdasim.planning.model import EventInvoke, Function
from lambdasim.planning.rules import Rule, RuleTarget
from lambdasim.planning.sources import S3_EVENTS, Bucket, EventSourceMapping, Notification, Queue
from lambdasim.planning.template import streams
from lambdasim.planning.template.properties import ANY, Props, to_integer, to_json_object
from lambdasim.planning.template.stack import Stack, function_name_of
from lambdasim.planning.topics import Subscription, Topic

__all__ = ["INERT_TYPES", "Parts", "read", "readers"]


@dataclass
class FunctionParts:
    """What the template says of one function, gathered before its :class:`Function` is made."""

    lid: str
    kwargs: dict[str, Any]
    versions: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    event_invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Parts:
    """Everything read from the template, by kind."""

    functions: dict[str, FunctionParts] = field(default_factory=dict)  # by function name
    queues: list[Queue] = field(default_factory=list)
    mappings: list[EventSourceMapping] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    topics: dict[str, tuple[dict[str, Any], list[Subscription]]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    streams: list[Any] = field(default_factory=list)
    stream_mappings: list[Any] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    """``"LogicalId (Type)"`` of resources, and ``"LogicalId.Property"`` of settings, lambdasim does not model."""
    inert: list[str] = field(default_factory=list)
    """``"LogicalId (Type)"`` of resources that change nothing simulated (IAM, policies, log groups)."""


def construct(cls: type, kwargs: dict[str, Any], props: Props, names: dict[str, str]) -> Any:
    """``cls(**kwargs)``; a validator's ``"<field> must ..."`` becomes an error naming the property ``names[field]``."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        message = " ".join(str(exc).split())
        first = message.split(" ", 1)[0]
        if first in names:
            raise props.error(names[first], message.split(" ", 1)[1]) from None
        raise props.error("", message) from None


def _arn_name(props: Props, name: str, arn: Any, service: str) -> str:
    """The resource name at the end of an ARN of ``service`` (``arn:aws:sqs:...:jobs`` is ``jobs``)."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
        raise props.error(name, f"must be an ARN of {service} (arn:aws:{service}:...), got {short_repr(arn)}")
    return parts[-1] if service != "events" else parts[5].split("/")[-1]


def _function(props: Props, parts: Parts, name: str, value: Any) -> str:
    """A function of the template named by ``value`` (a name or ARN, with its qualifier if any)."""
    if not isinstance(value, str) or not value:
        raise props.error(name, f"must name a function, got {short_repr(value)}")
    target = function_name_of(value)
    if target.partition(":")[0] not in parts.functions:
        raise props.error(
            name, f"names function {target!r}, which is not among the template's functions {sorted(parts.functions)}"
        )
    return target


# -- functions --------------------------------------------------------------------------------------------------

FUNCTION_INERT = frozenset(
    {
        "FunctionName", "Code", "Handler", "Role", "Environment", "Tags", "Description", "Layers", "VpcConfig",
        "KmsKeyArn", "TracingConfig", "LoggingConfig", "PackageType", "ImageConfig", "FileSystemConfigs",
        "CodeSigningConfigArn", "RuntimeManagementConfig", "EphemeralStorage",
    }
)  # fmt: skip
FUNCTION_FIELDS = {
    "timeout_s": "Timeout",
    "memory_mb": "MemorySize",
    "reserved_concurrency": "ReservedConcurrentExecutions",
    "architecture": "Architectures",
    "runtime": "Runtime",
    "dead_letter_arn": "DeadLetterConfig",
}


def read_function(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::Function``."""
    p = Props(stack, lid, FUNCTION_INERT)
    name = stack.name(lid)
    kwargs: dict[str, Any] = {"name": name}
    kwargs["timeout_s"] = p.integer("Timeout", 3)
    kwargs["memory_mb"] = p.integer("MemorySize", 128)
    kwargs["reserved_concurrency"] = p.integer("ReservedConcurrentExecutions")
    architectures = p.listing("Architectures") or ["x86_64"]
    if len(architectures) != 1:
        raise p.error("Architectures", f"must hold exactly one architecture, got {short_repr(architectures)}")
    kwargs["architecture"] = architectures[0]
    kwargs["runtime"] = p.string("Runtime")
    dead_letter = p.mapping("DeadLetterConfig")
    if dead_letter is not None and dead_letter.get("TargetArn") is not None:
        kwargs["dead_letter_arn"] = dead_letter["TargetArn"]
    construct(Function, {**kwargs, "behaviour": Behaviour()}, p, {"name": "FunctionName", **FUNCTION_FIELDS})
    if name in parts.functions:
        raise p.error("FunctionName", f"function name {name!r} is also {parts.functions[name].lid}'s")
    parts.functions[name] = FunctionParts(lid, kwargs)
    return p


def read_version(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::Version``: numbered per function in template order."""
    p = Props(stack, lid, frozenset({"Description", "CodeSha256", "RuntimePolicy"}))
    function = _function(p, parts, "FunctionName", p.get("FunctionName"))
    if p.has("ProvisionedConcurrencyConfig"):
        raise p.error(
            "ProvisionedConcurrencyConfig",
            "lambdasim sets provisioned concurrency on a function's alias (Function.provisioned_concurrency): give "
            "it in the alias that points at this version",
        )
    parts.functions[function].versions.append(lid)
    return p


def read_alias(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::Alias``: the function's one alias, on version 1, optionally weighted to version 2."""
    p = Props(stack, lid, frozenset({"Description"}))
    function = _function(p, parts, "FunctionName", p.get("FunctionName"))
    f = parts.functions[function]
    if f.aliases:
        raise p.error(
            "Name", f"lambdasim's Function has one alias; function {function!r} has another in {f.aliases[0]}"
        )
    f.aliases.append(lid)
    alias = p.string("Name")
    version = p.string("FunctionVersion")
    if version != "1":
        raise p.error(
            "FunctionVersion",
            f"lambdasim's alias points at the function's first version ('1'), got {short_repr(version)}",
        )
    f.kwargs["alias"] = alias
    routing = p.mapping("RoutingConfig")
    if routing is not None:
        weights = routing.get("AdditionalVersionWeights", [])
        if not isinstance(weights, list) or len(weights) != 1 or not isinstance(weights[0], dict):
            raise p.error("RoutingConfig", f"must route to exactly one other version, got {short_repr(weights)}")
        other = str(weights[0].get("FunctionVersion"))
        if other != "2":
            raise p.error(
                "RoutingConfig", f"lambdasim routes an alias from version '1' to version '2', got {short_repr(other)}"
            )
        weight = weights[0].get("FunctionWeight")
        if isinstance(weight, str):
            try:
                weight = float(weight)
            except ValueError:
                raise p.error("RoutingConfig", f"FunctionWeight must be a number, got {short_repr(weight)}") from None
        f.kwargs["alias_routing"] = weight
    provisioned = p.mapping("ProvisionedConcurrencyConfig")
    if provisioned is not None:
        f.kwargs["provisioned_concurrency"] = to_integer(
            provisioned.get("ProvisionedConcurrentExecutions"),
            None,
            lambda problem: p.error("ProvisionedConcurrencyConfig", f"ProvisionedConcurrentExecutions {problem}"),
        )
    construct(
        Function,
        {**f.kwargs, "behaviour": Behaviour()},
        p,
        {"alias": "Name", "alias_routing": "RoutingConfig", "provisioned_concurrency": "ProvisionedConcurrencyConfig"},
    )
    return p


def read_event_invoke_config(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::EventInvokeConfig``."""
    p = Props(stack, lid)
    function = _function(p, parts, "FunctionName", p.get("FunctionName"))
    p.string("Qualifier")
    kwargs: dict[str, Any] = {}
    retries = p.integer("MaximumRetryAttempts")
    if retries is not None:
        kwargs["maximum_retry_attempts"] = retries
    age = p.integer("MaximumEventAgeInSeconds")
    if age is not None:
        kwargs["maximum_event_age_s"] = age
    destinations = p.mapping("DestinationConfig") or {}
    for side, key in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        entry = destinations.get(side)
        if entry is not None:
            if not isinstance(entry, dict) or not isinstance(entry.get("Destination"), str):
                raise p.error("DestinationConfig", f"{side} must be {{Destination: <ARN>}}, got {short_repr(entry)}")
            kwargs[key] = entry["Destination"]
    construct(
        EventInvoke,
        kwargs,
        p,
        {
            "maximum_retry_attempts": "MaximumRetryAttempts",
            "maximum_event_age_s": "MaximumEventAgeInSeconds",
            "on_success": "DestinationConfig",
            "on_failure": "DestinationConfig",
        },
    )
    parts.functions[function.partition(":")[0]].event_invokes.append((lid, kwargs))
    return p


ESM_INERT = frozenset({"Tags", "KmsKeyArn", "MetricsConfig", "FunctionName", "EventSourceArn"})


def read_event_source_mapping(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::EventSourceMapping``: SQS here; Kinesis and DynamoDB streams in :mod:`.streams`."""
    p = Props(stack, lid, ESM_INERT)
    arn = p.get("EventSourceArn")
    service = arn.split(":")[2] if isinstance(arn, str) and arn.count(":") >= 5 else None
    function = _function(p, parts, "FunctionName", p.get("FunctionName"))
    if service in ("kinesis", "dynamodb"):
        streams.read_mapping(p, parts, function, arn)
        return p
    if service != "sqs":
        parts.unmodelled.append(f"{lid} ({stack.type(lid)} of {short_repr(arn)})")
        p.inert = ANY
        return p
    queue = _arn_name(p, "EventSourceArn", arn, "sqs")
    kwargs: dict[str, Any] = {"queue": queue, "function": function}
    kwargs["batch_size"] = p.integer("BatchSize", 10)
    kwargs["batching_window_s"] = p.integer("MaximumBatchingWindowInSeconds", 0)
    scaling = p.mapping("ScalingConfig")
    if scaling is not None and "MaximumConcurrency" in scaling:
        kwargs["maximum_concurrency"] = to_integer(
            scaling["MaximumConcurrency"],
            None,
            lambda problem: p.error("ScalingConfig", f"MaximumConcurrency {problem}"),
        )
    types = p.listing("FunctionResponseTypes") or []
    if any(t != "ReportBatchItemFailures" for t in types):
        raise p.error("FunctionResponseTypes", f"must be ['ReportBatchItemFailures'] or empty, got {short_repr(types)}")
    kwargs["report_batch_item_failures"] = bool(types)
    kwargs["filters"] = filters(p)
    kwargs["enabled"] = p.boolean("Enabled", True)
    _check_visibility(p, parts, queue, function)
    parts.mappings.append(
        construct(
            EventSourceMapping,
            kwargs,
            p,
            {
                "batch_size": "BatchSize",
                "batching_window_s": "MaximumBatchingWindowInSeconds",
                "maximum_concurrency": "ScalingConfig",
                "filters": "FilterCriteria",
                "mapping": "EventSourceArn",
            },
        )
    )
    return p


def _check_visibility(p: Props, parts: Parts, queue: str, function: str) -> None:
    """Lambda refuses a mapping whose queue's visibility timeout is under the function's timeout (message as
    recorded by LocalStack on AWS: ``InvalidParameterValueException``)."""
    queues = {q.name: q for q in parts.queues}
    timeout = parts.functions[function.partition(":")[0]].kwargs["timeout_s"]
    if queue in queues and queues[queue].visibility_timeout_s < timeout:
        raise p.error(
            "EventSourceArn",
            f"InvalidParameterValueException: Queue visibility timeout: {queues[queue].visibility_timeout_s} seconds "
            f"is less than Function timeout: {timeout} seconds (the queue's VisibilityTimeout must be at least the "
            "function's Timeout; AWS advises six times it)",
        )


def filters(p: Props) -> list[dict[str, Any]]:
    """``FilterCriteria.Filters[].Pattern`` as event patterns."""
    criteria = p.mapping("FilterCriteria")
    if criteria is None:
        return []
    items = criteria.get("Filters", [])
    if not isinstance(items, list):
        raise p.error("FilterCriteria", f"Filters must be a list, got {short_repr(items)}")
    out = []
    for item in items:
        pattern = item.get("Pattern") if isinstance(item, dict) else None
        parsed = to_json_object(pattern, lambda problem: p.error("FilterCriteria", f"Pattern {problem}"))
        if parsed is None:
            raise p.error("FilterCriteria", f"each filter needs a Pattern, got {short_repr(item)}")
        out.append(parsed)
    return out


def read_permission(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Lambda::Permission``: lambdasim grants what S3, SNS and EventBridge need itself (IAM is not enforced);
    the permission must name a function of the template."""
    p = Props(stack, lid, ANY)
    _function(p, parts, "FunctionName", p.get("FunctionName"))
    return p


# -- queues, topics, buckets -----------------------------------------------------------------------------------

QUEUE_INERT = frozenset(
    {
        "QueueName", "FifoQueue", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "Tags",
        "RedriveAllowPolicy", "ReceiveMessageWaitTimeSeconds",
    }
)  # fmt: skip


def read_queue(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::SQS::Queue``: FIFO, visibility timeout, delay, retention, redrive policy."""
    p = Props(stack, lid, QUEUE_INERT)
    name = stack.name(lid)
    fifo = p.boolean("FifoQueue", False)
    if fifo != name.endswith(".fifo"):
        raise p.error("QueueName", f"a FIFO queue's name ends in '.fifo' and only a FIFO queue's does, got {name!r}")
    kwargs: dict[str, Any] = {"name": name}
    kwargs["visibility_timeout_s"] = p.integer("VisibilityTimeout", 30)
    kwargs["delay_s"] = p.integer("DelaySeconds", 0)
    kwargs["retention_s"] = p.integer("MessageRetentionPeriod", 345600)
    kwargs["content_based_deduplication"] = p.boolean("ContentBasedDeduplication", False)
    redrive = p.json("RedrivePolicy")
    if redrive is not None:
        target = redrive.get("deadLetterTargetArn")
        kwargs["dead_letter_queue"] = _arn_name(p, "RedrivePolicy", target, "sqs")
        kwargs["max_receive_count"] = to_integer(
            redrive.get("maxReceiveCount"), None, lambda problem: p.error("RedrivePolicy", f"maxReceiveCount {problem}")
        )
        if kwargs["max_receive_count"] is None:
            raise p.error("RedrivePolicy", "needs maxReceiveCount")
    parts.queues.append(
        construct(
            Queue,
            kwargs,
            p,
            {
                "name": "QueueName",
                "visibility_timeout_s": "VisibilityTimeout",
                "delay_s": "DelaySeconds",
                "retention_s": "MessageRetentionPeriod",
                "max_receive_count": "RedrivePolicy",
                "dead_letter_queue": "RedrivePolicy",
                "content_based_deduplication": "ContentBasedDeduplication",
                "queue": "QueueName",
            },
        )
    )
    return p


TOPIC_INERT = frozenset(
    {
        "TopicName", "FifoTopic", "DisplayName", "KmsMasterKeyId", "Tags", "TracingConfig", "SignatureVersion",
        "DeliveryStatusLogging", "DataProtectionPolicy", "ArchivePolicy",
    }
)  # fmt: skip


def read_topic(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::SNS::Topic``, with its inline ``Subscription`` list."""
    p = Props(stack, lid, TOPIC_INERT)
    name = stack.name(lid)
    fifo = p.boolean("FifoTopic", False)
    if fifo != name.endswith(".fifo"):
        raise p.error("TopicName", f"a FIFO topic's name ends in '.fifo' and only a FIFO topic's does, got {name!r}")
    kwargs = {"name": name, "content_based_deduplication": p.boolean("ContentBasedDeduplication", False)}
    construct(Topic, kwargs, p, {"name": "TopicName", "content_based_deduplication": "ContentBasedDeduplication"})
    subscriptions: list[Subscription] = []
    parts.topics[name] = (kwargs, subscriptions)
    for i, entry in enumerate(p.listing("Subscription") or []):
        if not isinstance(entry, dict):
            raise p.error("Subscription", f"[{i}] must be {{Protocol, Endpoint}}, got {short_repr(entry)}")
        sub = _subscription(p, parts, "Subscription", entry.get("Protocol"), entry.get("Endpoint"), {})
        if sub is None:
            parts.unmodelled.append(f"{lid}.Subscription[{i}] (protocol {entry.get('Protocol')})")
        else:
            subscriptions.append(sub)
    return p


def _subscription(
    p: Props, parts: Parts, prop: str, protocol: Any, endpoint: Any, extra: dict[str, Any]
) -> Subscription | None:
    if protocol == "lambda":
        target = {"function": _function(p, parts, prop, endpoint)}
    elif protocol == "sqs":
        target = {"queue": _arn_name(p, prop, endpoint, "sqs")}
    else:
        return None
    sub: Subscription = construct(Subscription, {**target, **extra}, p, {})
    return sub


def read_subscription(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::SNS::Subscription`` (protocols ``lambda`` and ``sqs``)."""
    p = Props(stack, lid, frozenset({"Region", "DeliveryPolicy", "TopicArn", "Protocol", "Endpoint"}))
    topic = _arn_name(p, "TopicArn", p.get("TopicArn"), "sns")
    if topic not in parts.topics:
        raise p.error(
            "TopicArn", f"names topic {topic!r}, which is not among the template's topics {sorted(parts.topics)}"
        )
    extra: dict[str, Any] = {}
    extra["raw_message_delivery"] = p.boolean("RawMessageDelivery", False)
    policy = p.json("FilterPolicy")
    if policy is not None:
        extra["filter_policy"] = policy
        extra["filter_policy_scope"] = p.string("FilterPolicyScope", "MessageAttributes")
    sub = _subscription(p, parts, "Endpoint", p.get("Protocol"), p.get("Endpoint"), extra)
    if sub is None:
        parts.unmodelled.append(f"{lid} ({stack.type(lid)} with protocol {short_repr(p.get('Protocol'))})")
        p.inert = ANY
    else:
        parts.topics[topic][1].append(sub)
    return p


def _events(p: Props, value: Any) -> tuple[str, ...]:
    if not isinstance(value, str) or value not in S3_EVENTS:
        raise p.error("NotificationConfiguration", f"Event must be one of {list(S3_EVENTS)}, got {short_repr(value)}")
    return (value,)


def _key_filter(p: Props, entry: dict[str, Any]) -> dict[str, str]:
    rules = (((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")) or []
    out = {}
    for rule in rules:
        name = str(rule.get("Name", "")).lower() if isinstance(rule, dict) else ""
        if name not in ("prefix", "suffix") or not isinstance(rule.get("Value"), str):
            raise p.error(
                "NotificationConfiguration",
                f"a key filter rule is {{Name: prefix|suffix, Value}}, got {short_repr(rule)}",
            )
        out[name] = rule["Value"]
    return out


def read_bucket(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::S3::Bucket``: notifications to functions and queues."""
    p = Props(stack, lid, ANY)
    name = stack.name(lid)
    config = p.mapping("NotificationConfiguration") or {}
    notifications: list[Notification] = []
    for entry in config.get("LambdaConfigurations", []) or []:
        function = _function(p, parts, "NotificationConfiguration", entry.get("Function"))
        notifications.append(
            construct(
                Notification,
                {"function": function, "events": _events(p, entry.get("Event")), **_key_filter(p, entry)},
                p,
                {},
            )
        )
    for entry in config.get("QueueConfigurations", []) or []:
        queue = _arn_name(p, "NotificationConfiguration", entry.get("Queue"), "sqs")
        notifications.append(
            construct(
                Notification, {"queue": queue, "events": _events(p, entry.get("Event")), **_key_filter(p, entry)}, p, {}
            )
        )
    for key in config:
        if key not in ("LambdaConfigurations", "QueueConfigurations"):
            parts.unmodelled.append(f"{lid}.NotificationConfiguration.{key}")
    parts.buckets.append(construct(Bucket, {"name": name, "notifications": notifications}, p, {"name": "BucketName"}))
    return p


# -- EventBridge -----------------------------------------------------------------------------------------------


def read_rule(stack: Stack, lid: str, parts: Parts) -> Props:
    """``AWS::Events::Rule``: schedule, pattern, state, bus and targets (functions, queues, topics)."""
    p = Props(stack, lid, frozenset({"Name", "Description", "RoleArn"}))
    kwargs: dict[str, Any] = {"name": stack.name(lid)}
    kwargs["schedule"] = p.string("ScheduleExpression")
    kwargs["pattern"] = p.json("EventPattern")
    state = p.string("State", "ENABLED")
    if state not in ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
        raise p.error(
            "State", f"must be ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, got {state!r}"
        )
    kwargs["enabled"] = state != "DISABLED"
    bus = p.string("EventBusName", "default") or "default"
    kwargs["bus"] = bus.split("/")[-1] if bus.startswith("arn:") else bus
    targets: list[RuleTarget] = []
    for i, entry in enumerate(p.listing("Targets") or []):
        target = _rule_target(p, parts, i, entry)
        if target is None:
            parts.unmodelled.append(
                f"{lid}.Targets[{i}] ({short_repr(entry.get('Arn') if isinstance(entry, dict) else entry)})"
            )
        else:
            targets.append(target)
    kwargs["targets"] = targets
    parts.rules.append(
        construct(
            Rule,
            kwargs,
            p,
            {"name": "Name", "schedule": "ScheduleExpression", "pattern": "EventPattern", "rule": "Targets"},
        )
    )
    return p


def _rule_target(p: Props, parts: Parts, i: int, entry: Any) -> RuleTarget | None:
    where = f"Targets[{i}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("Arn"), str):
        raise p.error("Targets", f"[{i}] must be a mapping with an Arn, got {short_repr(entry)}")
    for key in entry:
        if key in ("RetryPolicy", "DeadLetterConfig"):
            parts.unmodelled.append(f"{p.lid}.{where}.{key}")
    arn = entry["Arn"]
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    kwargs: dict[str, Any] = {}
    if service == "lambda":
        kwargs["function"] = _function(p, parts, "Targets", arn)
    elif service == "sqs":
        kwargs["queue"] = _arn_name(p, "Targets", arn, "sqs")
    elif service == "sns":
        kwargs["topic"] = _arn_name(p, "Targets", arn, "sns")
    else:
        return None
    if "Input" in entry:  # JSON text, as EventBridge takes it
        if not isinstance(entry["Input"], str):
            raise p.error("Targets", f"[{i}].Input must be JSON text, got {short_repr(entry['Input'])}")
        try:
            kwargs["input"] = json.loads(entry["Input"])
        except ValueError as exc:
            raise p.error("Targets", f"[{i}].Input must be JSON text, got invalid JSON ({exc})") from None
    if "InputPath" in entry:
        kwargs["input_path"] = entry["InputPath"]
    if "InputTransformer" in entry:
        kwargs["input_transformer"] = entry["InputTransformer"]
    group = (entry.get("SqsParameters") or {}).get("MessageGroupId")
    if group is not None:
        kwargs["message_group_id"] = group
    result: RuleTarget = construct(RuleTarget, kwargs, p, {})
    return result


# -- the table -------------------------------------------------------------------------------------------------

Reader = Callable[[Stack, str, Parts], Props]


def readers() -> tuple[dict[str, Reader], ...]:
    """The readers, by resource type, in rounds: a round reads what the next one names."""
    return (
        {
            "AWS::Lambda::Function": read_function,
            "AWS::SQS::Queue": read_queue,
            "AWS::SNS::Topic": read_topic,
            "AWS::S3::Bucket": lambda stack, lid, parts: Props(stack, lid, ANY),  # read in the last round
            **streams.readers(),
        },
        {
            "AWS::Lambda::Version": read_version,
            "AWS::SNS::Subscription": read_subscription,
            "AWS::Lambda::Permission": read_permission,
        },
        {
            "AWS::Lambda::Alias": read_alias,
            "AWS::Lambda::EventInvokeConfig": read_event_invoke_config,
            "AWS::Lambda::EventSourceMapping": read_event_source_mapping,
            "AWS::S3::Bucket": read_bucket,
            "AWS::Events::Rule": read_rule,
        },
    )


INERT_TYPES = (
    "AWS::IAM::",
    "AWS::Logs::LogGroup",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::LayerVersionPermission",
    "AWS::CloudFormation::WaitConditionHandle",
)
"""Types that change nothing lambdasim simulates (it does not enforce IAM or resource policies)."""


def read(stack: Stack) -> Parts:
    """Read every resource of ``stack`` that exists (its condition holds) into :class:`Parts`."""
    parts = Parts()
    rounds = readers()
    known = {kind for round_ in rounds for kind in round_}
    for round_ in rounds:
        for lid in stack.resources:
            kind = stack.type(lid)
            reader = round_.get(kind)
            if reader is not None:
                props = reader(stack, lid, parts)
                if round_ is rounds[-1] or kind not in rounds[-1]:
                    parts.unmodelled.extend(f"{lid}.{prop}" for prop in props.unread())
    for lid in stack.resources:
        kind = stack.type(lid)
        if kind not in known:
            if kind.startswith(INERT_TYPES):
                parts.inert.append(f"{lid} ({kind})")
            else:
                parts.unmodelled.append(f"{lid} ({kind})")
    return parts
