"""The Model's SNS topics, EventBridge rules, dead-letter queues that are queues of the model, weighted aliases and
runtimes: what a template states, expressible on the Pythonic door."""

from __future__ import annotations

import json

import pytest

import lambdasim as ls
from lambdasim.planning.model import Function, FunctionRefusedError, Model
from lambdasim.planning.rules import PutEvents, Rule, RuleTarget
from lambdasim.planning.sources import EventSourceMapping, Queue, SendMessages
from lambdasim.planning.topics import PublishMessages, Subscription, Topic

F = Function(name="f", behaviour=ls.Behaviour(duration=0.1))


def test_a_topic_fans_out_to_a_function_and_a_queue() -> None:
    model = Model(
        functions=[F],
        queues=[Queue(name="audit")],
        topics=[Topic(name="t", subscriptions=[Subscription(function="f"), Subscription(queue="audit")])],
        workloads=[PublishMessages(topic="t", rate=10.0, stop_s=100)],
    )
    sim = model.build(seed=1)
    results = sim.run()
    published = results.queues["audit"]["sent"]
    assert 800 < published < 1200  # Poisson(1000)
    assert results.functions["f"]["async_events_received"] == published
    body = json.loads(
        sim.client("sqs").receive_message(QueueUrl=sim.client("sqs").get_queue_url(QueueName="audit")["QueueUrl"])[
            "Messages"
        ][0]["Body"]
    )
    assert body["Type"] == "Notification" and body["TopicArn"].endswith(":t")  # SNS's envelope, not raw


def test_a_filter_policy_and_raw_delivery() -> None:
    model = Model(
        functions=[F],
        queues=[Queue(name="raw")],
        topics=[
            Topic(
                name="t",
                subscriptions=[
                    Subscription(function="f", filter_policy={"kind": ["x"]}, filter_policy_scope="MessageBody"),
                    Subscription(queue="raw", raw_message_delivery=True),
                ],
            )
        ],
        workloads=[PublishMessages(topic="t", rate=5.0, stop_s=20, message={"kind": "y"})],
    )
    sim = model.build(seed=2)
    results = sim.run()
    assert results.functions["f"]["async_events_received"] == 0  # the policy matches kind x only
    url = sim.client("sqs").get_queue_url(QueueName="raw")["QueueUrl"]
    assert json.loads(sim.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"]) == {"kind": "y"}


def test_a_rule_with_a_pattern_delivers_matching_events_to_each_target() -> None:
    model = Model(
        functions=[F],
        queues=[Queue(name="q")],
        topics=[Topic(name="t", subscriptions=[Subscription(queue="q")])],
        rules=[
            Rule(
                name="placed",
                pattern={"source": ["shop"], "detail": {"n": [{"numeric": ["<", 50]}]}},
                targets=[RuleTarget(function="f", input_path="$.detail"), RuleTarget(topic="t")],
            )
        ],
        workloads=[PutEvents(source="shop", detail_type="Placed", rate=1.0, stop_s=200)],
    )
    sim = model.build(seed=3)
    results = sim.run()
    put = sim.services.events.bus("default").events
    matched = min(put, 50)  # details are {"n": 0}, {"n": 1}, ...: the first 50 match
    assert put > 150
    assert results.functions["f"]["async_events_received"] == matched
    assert results.queues["q"]["sent"] == matched


def test_a_disabled_rule_fires_nothing_and_a_schedule_on_another_bus_is_refused() -> None:
    model = Model(
        functions=[F],
        rules=[Rule(name="r", schedule="rate(1 minute)", enabled=False, targets=[RuleTarget(function="f")])],
        horizon_s=600,
    )
    assert model.run(seed=1).functions["f"]["async_events_received"] == 0
    with pytest.raises(ValueError, match="a scheduled rule must be on the default bus, got bus 'orders'"):
        Rule(name="r", schedule="rate(1 minute)", bus="orders")
    with pytest.raises(ValueError, match="schedule: "):
        Rule(name="r", schedule="rate(0 minutes)")
    with pytest.raises(ValueError, match="needs a schedule, a pattern or both"):
        Rule(name="r")
    with pytest.raises(ValueError, match="exactly one of function, queue or topic"):
        RuleTarget(function="f", queue="q")


def test_the_model_checks_what_topics_and_rules_name() -> None:
    with pytest.raises(ValueError, match=r"topic 't' subscribes queue 'nope', which is not among queues \[\]"):
        Model(functions=[F], topics=[Topic(name="t", subscriptions=[Subscription(queue="nope")])])
    with pytest.raises(ValueError, match=r"topic 't''s subscription names function 'g'"):
        Model(functions=[F], topics=[Topic(name="t", subscriptions=[Subscription(function="g")])])
    with pytest.raises(ValueError, match=r"rule 'r' targets topic 'x', which is not among topics \[\]"):
        Model(functions=[F], rules=[Rule(name="r", pattern={"a": [1]}, targets=[RuleTarget(topic="x")])])
    with pytest.raises(ValueError, match=r"publishes to topic 'x', which is not among topics \[\]"):
        Model(functions=[F], workloads=[PublishMessages(topic="x", rate=1.0, stop_s=1)])
    with pytest.raises(ValueError, match="raw_message_delivery is for queue subscriptions"):
        Subscription(function="f", raw_message_delivery=True)
    with pytest.raises(ValueError, match="filter_policy_scope must be one of"):
        Subscription(queue="q", filter_policy_scope="Body")


def test_a_dead_letter_queue_of_the_model_keeps_its_own_settings() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.1, error_rate=1.0), timeout_s=5)],
        # The source queue comes first; the dead-letter queue it names is created before it.
        queues=[
            Queue(name="jobs", visibility_timeout_s=5, max_receive_count=2, dead_letter_queue="parked"),
            Queue(name="parked", retention_s=1209600, visibility_timeout_s=77),
        ],
        event_source_mappings=[EventSourceMapping(queue="jobs", function="f", batch_size=1)],
        workloads=[SendMessages(queue="jobs", rate=1.0, stop_s=30)],
    )
    sim = model.build(seed=4)
    sqs = sim.client("sqs")
    url = sqs.get_queue_url(QueueName="parked")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["MessageRetentionPeriod"], attrs["VisibilityTimeout"]) == ("1209600", "77")
    results = sim.run()
    jobs, parked = results.queues["jobs"], results.queues["parked"]
    assert jobs["moved_to_dead_letter"] == parked["visible"] == jobs["sent"] > 0  # every message fails twice
    with pytest.raises(ValueError, match="queue 'jobs' names itself as its dead-letter queue"):
        Model(functions=[F], queues=[Queue(name="jobs", max_receive_count=2, dead_letter_queue="jobs")])


def test_a_weighted_alias_routes_its_share_to_version_2() -> None:
    f = Function(name="f", behaviour=ls.Behaviour(duration=0.1), alias="live", alias_routing=0.3)
    from lambdasim.planning.workload import Poisson

    model = Model(functions=[f], workloads=[Poisson(function="f:live", rate_per_s=50, stop_s=100)])
    sim = model.build(seed=5)
    alias = sim.client("lambda").get_alias(FunctionName="f", Name="live")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.3}}
    versions = [v["Version"] for v in sim.client("lambda").list_versions_by_function(FunctionName="f")["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    with pytest.raises(ValueError, match=r"alias_routing=0\.3 needs an alias"):
        Function(name="f", alias_routing=0.3)
    with pytest.raises(ValueError, match=r"alias_routing must be in \(0, 1\)"):
        Function(name="f", alias="live", alias_routing=1.0)
    # A workload may invoke version 2 of a weighted alias's function.
    Model(functions=[f], workloads=[Poisson(function="f:2", rate_per_s=1, stop_s=1)])


def test_a_runtime_is_checked_as_create_function_checks_it() -> None:
    sim = Model(functions=[Function(name="f", behaviour=ls.Behaviour(), runtime="nodejs20.x")]).build(seed=0)
    assert sim.client("lambda").get_function_configuration(FunctionName="f")["Runtime"] == "nodejs20.x"
    with pytest.raises(FunctionRefusedError, match=r"function 'f', runtime: InvalidParameterValueException"):
        Model(functions=[Function(name="f", behaviour=ls.Behaviour(), runtime="python2.7")]).build(seed=0)


def test_topics_and_rules_in_a_scenario_file() -> None:
    from lambdasim.planning.scenario import loads

    scenario = loads(
        """
        horizon_s = 120
        [[functions]]
        name = "f"
        behaviour = { duration = 0.1 }
        [[topics]]
        name = "t"
        subscriptions = [{ function = "f" }]
        [[rules]]
        name = "tick"
        schedule = "rate(1 minute)"
        targets = [{ function = "f" }]
        [[workloads]]
        type = "publish_messages"
        topic = "t"
        rate = 1
        stop_s = 60
        """
    )
    results = scenario.run()
    assert results.functions["f"]["async_events_received"] > 40  # ~60 messages and two scheduled events


def test_only_a_dead_letter_queue_named_explicitly_may_be_a_queue_of_the_model() -> None:
    with pytest.raises(ValueError, match=r"unique names, got duplicates \['a-dlq'\]"):
        Model(functions=[F], queues=[Queue(name="a", max_receive_count=1), Queue(name="a-dlq")])
    Model(functions=[F], queues=[Queue(name="a", max_receive_count=1, dead_letter_queue="a-dlq"), Queue(name="a-dlq")])
