"""EventBridge ``InputTransformer`` (``InputPathsMap`` + ``InputTemplate``) on a rule's targets: EventBridge's
documented examples word for word, what each kind of target receives, the predefined variables, and what
``PutTargets`` refuses, with AWS's and botocore's messages.

Sources: the EventBridge User Guide, "Amazon EventBridge input transformation" (the EC2 event and the example table),
the API reference of ``InputTransformer`` (its three examples), the input transformer tutorial (the SNS message), and
for what the documentation leaves open, LocalStack's snapshot tests recorded against AWS
(``tests/aws/services/events/test_events_inputs.snapshot.json``: a path that matches nothing, the predefined
variables in a string, ``<aws.events.event>``, the two ``PutTargets`` messages).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.errors import ParamValidationError
from lambdasim.aws.events.backend import JsonPath
from tests.outcome_helpers import drain, queue

ACCOUNT = "123456789012"
EXAMPLE_REGION = "us-east-2"  # the documented rule ARN is arn:aws:events:us-east-2:123456789012:rule/example
EC2_TIME = dt.datetime(2015, 11, 11, 21, 29, 54, tzinfo=dt.UTC)
EC2_DETAIL = {"instance-id": "i-0123456789", "state": "RUNNING"}
EC2_RESOURCES = ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]
# The User Guide's Input Path, word for word.
GUIDE_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}


class Rig:
    """A simulation with rule ``example`` (default bus, ``aws.ec2`` events) and one target of each kind: an SQS
    queue, a Lambda function that keeps its events, and an SNS topic whose queue subscriber shows its messages."""

    def __init__(self, region: str = EXAMPLE_REGION, seed: int = 1, **rule: Any) -> None:
        self.sim = ls.Simulation(seed=seed, region=region)
        self.events = self.sim.client("events")
        self.queue_url, self.queue_arn = queue(self.sim, "target")
        self.fanout_url, fanout_arn = queue(self.sim, "fanout")
        sns = self.sim.client("sns")
        self.topic_arn = sns.create_topic(Name="topic")["TopicArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=fanout_arn)
        self.seen: list[Any] = []
        self.function_arn = self.sim.client("lambda").create_function(
            FunctionName="handler", Duration=0.1, Handler=lambda event, context: self.seen.append(event)
        )["FunctionArn"]
        if not rule:
            rule = {"EventPattern": json.dumps({"source": ["aws.ec2"]})}
        self.rule_arn = self.events.put_rule(Name="example", **rule)["RuleArn"]

    def target(self, kind: str, input_: dict[str, Any]) -> dict[str, Any]:
        arn = {"sqs": self.queue_arn, "lambda": self.function_arn, "sns": self.topic_arn}[kind]
        return {"Id": kind, "Arn": arn, **input_}

    def transform(self, template: str, paths: dict[str, str] | None = None, kinds: tuple[str, ...] = ()) -> None:
        """Give the rule's targets of ``kinds`` (default: all three) this ``InputTransformer``."""
        spec: dict[str, Any] = {"InputTemplate": template}
        if paths is not None:
            spec["InputPathsMap"] = paths
        targets = [self.target(kind, {"InputTransformer": spec}) for kind in kinds or ("sqs", "lambda", "sns")]
        self.events.put_targets(Rule="example", Targets=targets)

    def put(self, detail: dict[str, Any] | None = None, **entry: Any) -> str:
        """Put the User Guide's EC2 event (or one with this ``detail``); return its id."""
        out = self.events.put_events(
            Entries=[
                {
                    "Source": "aws.ec2",
                    "DetailType": "EC2 Instance State-change Notification",
                    "Detail": json.dumps(EC2_DETAIL if detail is None else detail),
                    "Resources": EC2_RESOURCES,
                    "Time": EC2_TIME,
                    **entry,
                }
            ]
        )
        assert out["FailedEntryCount"] == 0
        return str(out["Entries"][0]["EventId"])

    def bodies(self) -> list[str]:
        """The raw bodies the queue target received."""
        return [m["Body"] for m in drain(self.sim, self.queue_url)]

    def messages(self) -> list[str]:
        """The messages the topic target received (from the notifications its subscriber got)."""
        return [json.loads(m["Body"])["Message"] for m in drain(self.sim, self.fanout_url)]

    def counts(self) -> tuple[int, int, int]:
        rule = self.sim.services.events.bus(None).rules["example"]
        return rule.matched, rule.invocations, rule.failed_invocations


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


# -- the User Guide's examples, word for word ------------------------------------------------------------------

# (description, template, output) as the User Guide's table gives them, for its EC2 event and Input Path.
GUIDE_EXAMPLES = [
    ("Simple string", '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    (
        "String with escaped quotes",
        '"instance \\"<instance>\\" is in <state>"',
        '"instance \\"i-0123456789\\" is in RUNNING"',
    ),
    (
        "Simple JSON",
        '{\n  "instance" : <instance>,\n  "state": <state>\n}',
        '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}',
    ),
    (
        "JSON with strings and variables",
        '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in '
        '<state>"\n}',
        '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is '
        'in RUNNING"\n}',
    ),
    (
        "JSON with a mix of variables and static information",
        '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}\n',
        '{\n  "instance" : "i-0123456789",\n  "state": [\n    9,\n    "RUNNING",\n    true\n  ],\n  "Transformed" : '
        '"Yes"\n}',
    ),
    ("Including reserved variables in a string", '"<aws.events.rule-name> triggered"', '"example triggered"'),
]


@pytest.mark.parametrize(("template", "output"), [e[1:] for e in GUIDE_EXAMPLES], ids=[e[0] for e in GUIDE_EXAMPLES])
def test_the_user_guide_examples(template: str, output: str) -> None:
    rig = Rig()
    rig.transform(template, GUIDE_PATHS)
    rig.put()
    rig.sim.run()
    expected = json.loads(output)
    (body,) = rig.bodies()
    (message,) = rig.messages()
    if isinstance(expected, str):
        # A string template: the queue and the topic get the JSON string itself, quotes and escapes as shown.
        assert body == message == output
    else:
        assert json.loads(body) == json.loads(message) == expected
    assert rig.seen == [expected]  # the function's event is the JSON value: a str, or a dict
    assert rig.counts() == (1, 3, 0)


def test_the_user_guide_example_with_reserved_variables_in_json() -> None:
    rig = Rig()
    whole = rig.target("lambda", {})  # the function gets the original event, to compare with
    rig.events.put_targets(
        Rule="example",
        Targets=[
            whole,
            rig.target(
                "sqs",
                {
                    "InputTransformer": {
                        "InputPathsMap": GUIDE_PATHS,
                        "InputTemplate": '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : '
                        '<aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : '
                        "<aws.events.event.json>\n}",
                    }
                },
            ),
        ],
    )
    event_id = rig.put()
    rig.sim.run()
    (body,) = rig.bodies()
    (original,) = rig.seen
    assert original["id"] == event_id and original["time"] == "2015-11-11T21:29:54Z"
    assert json.loads(body) == {
        "instance": "i-0123456789",
        "state": "RUNNING",
        "ruleArn": "arn:aws:events:us-east-2:123456789012:rule/example",
        "ruleName": "example",
        "originalEvent": original,  # "... // commented for brevity" in the guide
    }


def test_the_user_guide_cloudwatch_log_group_example() -> None:
    # The guide's output for this row was printed wrongly (unquoted timestamp, unbalanced quotes, ")" for "}":
    # awsdocs/amazon-eventbridge-user-guide issue #25, fixed in the guide); by the rules of the other rows the
    # timestamp string outside quotes gets quotes and the escaped quotes stay escaped.
    rig = Rig()
    rig.transform(
        '{\n  "timestamp" : <timestamp>,\n  "message": "instance \\"<instance>\\" is in <state>"\n}', GUIDE_PATHS
    )
    rig.put()
    rig.sim.run()
    (body,) = rig.bodies()
    assert json.loads(body) == {"timestamp": "2015-11-11T21:29:54Z", "message": 'instance "i-0123456789" is in RUNNING'}


# -- the API reference's examples ------------------------------------------------------------------------------

API_PATHS = {"instance": "$.detail.instance", "status": "$.detail.status"}
API_DETAIL = {"instance": "i-0123456789", "status": "RUNNING"}


def test_the_api_reference_plain_text_template() -> None:
    # "InputTemplate": "<instance> is in state <status>": text, not JSON.
    rig = Rig()
    rig.transform("<instance> is in state <status>", API_PATHS)
    rig.put(API_DETAIL)
    rig.sim.run()
    assert rig.bodies() == ["i-0123456789 is in state RUNNING"]
    assert rig.messages() == ["i-0123456789 is in state RUNNING"]
    # Lambda's Invoke takes only JSON: the function is not invoked, and the rule counts a failed invocation.
    assert rig.seen == []
    assert rig.counts() == (1, 2, 1)


def test_the_api_reference_template_with_quote_marks() -> None:
    # "InputTemplate": "<instance> is in state \"<status>\"": the quotes are the template's.
    rig = Rig()
    rig.transform('<instance> is in state "<status>"', API_PATHS, kinds=("sqs",))
    rig.put(API_DETAIL)
    rig.sim.run()
    assert rig.bodies() == ['i-0123456789 is in state "RUNNING"']


def test_the_api_reference_json_template_with_variables_in_quotes_or_out() -> None:
    # '{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}'
    rig = Rig()
    rig.transform('{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}', API_PATHS)
    rig.put(API_DETAIL)
    rig.sim.run()
    expected = {"myInstance": "i-0123456789", "myStatus": 'i-0123456789 is in state "RUNNING"'}
    (body,) = rig.bodies()
    assert json.loads(body) == expected
    assert rig.seen == [expected]


def test_the_tutorial_sns_message_keeps_the_quotes_of_a_string_template() -> None:
    # The tutorial's template "This event was of <type> type." gives the SNS message, quotes included,
    # "This event was of customerCreated type."
    rig = Rig(EventPattern=json.dumps({"detail-type": ["customerCreated"]}))
    rig.transform('"This event was of <type> type."', {"type": "$.detail-type"}, kinds=("sns",))
    rig.put(DetailType="customerCreated")
    assert rig.messages() == ['"This event was of customerCreated type."']


# -- values: what fills a placeholder ----------------------------------------------------------------------------


def test_a_path_that_matches_nothing_gives_an_empty_string() -> None:
    # As recorded against AWS: empty in a string, "" for an unquoted placeholder of a JSON template.
    rig = Rig()
    paths = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.notinmessage"}
    rig.transform('"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"', paths)
    rig.put()
    assert rig.bodies() == [
        '"Event of EC2 Instance State-change Notification type, at time 2015-11-11T21:29:54Z, info extracted from '
        'detail "'
    ]
    rig.transform('{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}', paths, ("lambda",))
    rig.put()
    rig.sim.run()
    assert rig.seen == [
        "Event of EC2 Instance State-change Notification type, at time 2015-11-11T21:29:54Z, info extracted from "
        "detail ",
        {"detailType": "EC2 Instance State-change Notification", "time": "2015-11-11T21:29:54Z", "command": ""},
    ]


def test_numbers_booleans_null_objects_and_arrays_go_in_as_json() -> None:
    detail = {"count": 3, "ratio": 0.5, "ok": True, "gone": None, "tags": ["a", "b"], "owner": {"name": "x"}}
    paths = {k: f"$.detail.{k}" for k in detail} | {"first": "$.resources[0]", "all": "$.resources"}
    rig = Rig()
    rig.transform(
        '{"count": <count>, "ratio": <ratio>, "ok": <ok>, "gone": <gone>, "tags": <tags>, "owner": <owner>, '
        '"first": <first>, "all": <all>, "text": "<count> x <ratio> <ok> <gone>"}',
        paths,
        kinds=("lambda",),
    )
    rig.put(detail)
    rig.sim.run()
    assert rig.seen == [
        {**detail, "first": EC2_RESOURCES[0], "all": EC2_RESOURCES, "text": "3 x 0.5 true null"},
    ]


def test_a_value_holding_quotes_is_not_escaped() -> None:
    # "EventBridge doesn't escape values extracted by Input Path": inside a JSON string, the value's quotes end the
    # string, so the result is not JSON; a queue gets the text as it is, a function's Invoke refuses it.
    rig = Rig()
    rig.transform('{"note": "<note>"}', {"note": "$.detail.note"}, kinds=("sqs", "lambda"))
    rig.put({"note": 'say "hi"'})
    rig.sim.run()
    assert rig.bodies() == ['{"note": "say "hi""}']
    assert rig.seen == []
    assert rig.counts() == (1, 1, 1)


def test_a_wildcard_path_gives_the_list_of_matches() -> None:
    rig = Rig()
    rig.transform('{"ids": <ids>}', {"ids": "$.detail.items[*].id"}, kinds=("lambda",))
    rig.put({"items": [{"id": "a"}, {"id": "b"}, {"other": 1}]})
    rig.sim.run()
    assert rig.seen == [{"ids": ["a", "b"]}]


def test_predefined_variables_in_a_string() -> None:
    # As recorded against AWS; the ingestion time is when EventBridge received the event, not the event's time.
    rig = Rig()
    rig.sim.run(until=90.0)
    rig.transform(
        '"Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> '
        '<aws.events.event.ingestion-time>"',
        kinds=("sqs",),
    )
    rig.put()
    assert rig.bodies() == [
        '"Message containing all pre defined variables arn:aws:events:us-east-2:123456789012:rule/example example '
        '2026-01-01T00:01:30Z"'
    ]


def test_the_event_variable_is_the_event_without_detail() -> None:
    # As recorded against AWS: no detail, detail-type as detailType, in this order; .json is the whole event.
    rig = Rig()
    rig.transform('{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}', kinds=("sqs",))
    event_id = rig.put()
    (body,) = rig.bodies()
    received = json.loads(body)
    assert list(received["originalEvent"].items()) == [
        ("id", event_id),
        ("account", ACCOUNT),
        ("detailType", "EC2 Instance State-change Notification"),
        ("time", "2015-11-11T21:29:54Z"),
        ("source", "aws.ec2"),
        ("region", EXAMPLE_REGION),
        ("resources", EC2_RESOURCES),
        ("version", "0"),
    ]
    assert received["originalEventJson"] == {
        "version": "0",
        "id": event_id,
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": "2015-11-11T21:29:54Z",
        "region": EXAMPLE_REGION,
        "resources": EC2_RESOURCES,
        "detail": EC2_DETAIL,
    }


# -- where it applies --------------------------------------------------------------------------------------------


def test_a_scheduled_rule_transforms_each_firing() -> None:
    rig = Rig(ScheduleExpression="rate(1 hour)")
    rig.transform(
        '{"rule": <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>, "kind": <kind>, "of": <of>}',
        {"kind": "$.detail-type", "of": "$.resources[0]"},
        kinds=("lambda", "sqs"),
    )
    rig.sim.run(until=2 * 3600.0 + 1.0)
    expected = [
        {"rule": "example", "at": at, "kind": "Scheduled Event", "of": rig.rule_arn}
        for at in ("2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z")
    ]
    assert rig.seen == expected
    assert [json.loads(b) for b in rig.bodies()] == expected


def test_a_custom_bus_rule_and_a_fifo_queue() -> None:
    rig = Rig()
    rig.events.create_event_bus(Name="shop")
    rig.events.put_rule(Name="orders", EventBusName="shop", EventPattern=json.dumps({"source": ["shop"]}))
    url, arn = queue(rig.sim, "orders.fifo", FifoQueue="true", ContentBasedDeduplication="false")
    rig.events.put_targets(
        Rule="orders",
        EventBusName="shop",
        Targets=[
            {
                "Id": "q",
                "Arn": arn,
                "SqsParameters": {"MessageGroupId": "g"},
                "InputTransformer": {
                    "InputPathsMap": {"amount": "$.detail.amount"},
                    "InputTemplate": '{"amount": <amount>, "rule": <aws.events.rule-arn>}',
                },
            }
        ],
    )
    rig.events.put_events(
        Entries=[{"Source": "shop", "DetailType": "Order", "Detail": '{"amount": 120}', "EventBusName": "shop"}]
    )
    assert [json.loads(m["Body"]) for m in drain(rig.sim, url)] == [
        {"amount": 120, "rule": "arn:aws:events:us-east-2:123456789012:rule/shop/orders"}
    ]


def test_targets_keep_what_was_put_and_list_it_back() -> None:
    rig = Rig()
    spec = {"InputPathsMap": {"state": "$.detail.state"}, "InputTemplate": '"<state>"'}
    rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", {"InputTransformer": spec})])
    spec["InputTemplate"] = '"changed <state>"'  # the caller's dict is theirs
    listed = rig.events.list_targets_by_rule(Rule="example")["Targets"]
    assert listed == [{"Id": "sqs", "Arn": rig.queue_arn, "InputTransformer": {**spec, "InputTemplate": '"<state>"'}}]
    rig.put()
    assert rig.bodies() == ['"RUNNING"']
    # Replacing the target by Id replaces what it receives; removing it forgets it.
    rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", {"InputPath": "$.detail.state"})])
    rig.put()
    assert rig.bodies() == ['"RUNNING"']
    rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", {})])
    rig.put()
    assert json.loads(rig.bodies()[0])["detail"] == EC2_DETAIL
    rig.events.remove_targets(Rule="example", Ids=["sqs"])
    assert rig.sim.services.events.bus(None).rules["example"].inputs == {}


def test_the_same_seed_gives_the_same_deliveries() -> None:
    def run() -> list[str]:
        rig = Rig(seed=7)
        rig.transform('{"e": <aws.events.event.json>, "r": <aws.events.rule-arn>}', kinds=("sqs",))
        rig.put()
        rig.put({"instance-id": "i-2", "state": "STOPPED"})
        return rig.bodies()

    first = run()
    assert len(first) == 2 and first == run()


# -- what PutTargets refuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs",
    [
        {"Input": "{}", "InputPath": "$.detail"},
        {"InputPath": "$.detail", "InputTransformer": {"InputTemplate": '"x"'}},
        {"Input": "{}", "InputTransformer": {"InputTemplate": '"x"'}},
        {"Input": "{}", "InputPath": "$", "InputTransformer": {"InputTemplate": '"x"'}},
    ],
)
def test_input_inputpath_and_inputtransformer_are_mutually_exclusive(inputs: dict[str, Any]) -> None:
    rig = Rig()
    with pytest.raises(rig.events.exceptions.ValidationException) as excinfo:
        rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", inputs)])
    assert error_of(excinfo) == (
        "ValidationException",
        "Only one of Input, InputPath, or InputTransformer must be provided for target sqs.",
    )


def test_a_placeholder_must_be_defined_or_predefined() -> None:
    rig = Rig()
    with pytest.raises(rig.events.exceptions.ValidationException) as excinfo:
        rig.transform('"<state> and <notdefinedkey>"', {"state": "$.detail.state"}, kinds=("sqs",))
    assert error_of(excinfo) == (
        "ValidationException",
        "InputTemplate for target sqs contains invalid placeholder notdefinedkey.",
    )


@pytest.mark.parametrize("path", ["detail.state", "", "$.", "$..state", "$.detail['state']", '$["detail"]', "$[-1]"])
def test_paths_eventbridge_refuses(path: str) -> None:
    rig = Rig()
    for inputs in ({"InputPath": path}, {"InputTransformer": {"InputPathsMap": {"v": path}, "InputTemplate": "<v>"}}):
        with pytest.raises(rig.events.exceptions.ValidationException) as excinfo:
            rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", inputs)])
        assert error_of(excinfo) == ("ValidationException", "InputPath for target sqs is invalid.")


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("$", "whole"),
        ("$.detail", EC2_DETAIL),
        ("$.detail.instance-id", "i-0123456789"),
        ("$.resources[0]", EC2_RESOURCES[0]),
        ("$.resources[5]", None),
        ("$.detail.*", ["i-0123456789", "RUNNING"]),
        ("$.a/b_c-d.e", None),
    ],
)
def test_paths_eventbridge_accepts(path: str, found: Any) -> None:
    rig = Rig()
    rig.events.put_targets(Rule="example", Targets=[rig.target("lambda", {"InputPath": path})])
    rig.put()
    rig.sim.run()
    (event,) = rig.seen
    if found == "whole":
        assert event["detail"] == EC2_DETAIL and event["source"] == "aws.ec2"
    else:
        assert event == found
    assert JsonPath(path).text == path


def test_input_paths_map_constraints() -> None:
    rig = Rig()
    field = "targets.1.member.inputTransformer"

    def refused(spec: dict[str, Any]) -> str:
        with pytest.raises(rig.events.exceptions.ValidationException) as excinfo:
            rig.events.put_targets(Rule="example", Targets=[rig.target("sqs", {"InputTransformer": spec})])
        code, message = error_of(excinfo)
        assert code == "ValidationException"
        return message

    # The predefined names cannot be defined: the key pattern has no dot.
    assert refused({"InputPathsMap": {"aws.events.rule-name": "$.x"}, "InputTemplate": '"x"'}) == (
        f"1 validation error detected: Value '{{aws.events.rule-name=$.x}}' at '{field}.inputPathsMap' failed to "
        "satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: "
        "[A-Za-z0-9\\_\\-]+]"
    )
    assert "Map keys must satisfy" in refused({"InputPathsMap": {"k" * 257: "$.x"}, "InputTemplate": '"x"'})
    assert refused({"InputPathsMap": {"k": "$." + "x" * 255}, "InputTemplate": '"x"'}).endswith(
        "failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or "
        "equal to 256, Member must have length greater than or equal to 0]"
    )
    assert refused({"InputPathsMap": {f"k{i}": "$.x" for i in range(101)}, "InputTemplate": '"x"'}).endswith(
        f"at '{field}.inputPathsMap' failed to satisfy constraint: Member must have length less than or equal to 100"
    )
    assert refused({"InputTemplate": '"' + "x" * 8191 + '"'}).endswith(
        f"at '{field}.inputTemplate' failed to satisfy constraint: Member must have length less than or equal to 8192"
    )
    # At the limits, accepted; keys may use letters, digits, "_" and "-".
    rig.events.put_targets(
        Rule="example",
        Targets=[
            rig.target(
                "sqs",
                {
                    "InputTransformer": {
                        "InputPathsMap": {f"k_{i}-x": "$.x" for i in range(99)} | {"k" * 256: "$." + "x" * 254},
                        "InputTemplate": '"' + "x" * 8190 + '"',
                    }
                },
            )
        ],
    )


def test_a_refused_put_changes_no_target() -> None:
    rig = Rig()
    rig.transform('"<state>"', {"state": "$.detail.state"}, kinds=("sqs",))
    good = rig.target("lambda", {"InputPath": "$.detail"})
    bad = {"Id": "bad", "Arn": rig.queue_arn, "InputTransformer": {"InputTemplate": "<nope>"}}
    with pytest.raises(rig.events.exceptions.ValidationException):
        rig.events.put_targets(Rule="example", Targets=[good, bad])
    assert [t["Id"] for t in rig.events.list_targets_by_rule(Rule="example")["Targets"]] == ["sqs"]


@pytest.mark.parametrize(
    "spec",
    [
        {"InputPathsMap": {"a": "$.a"}},
        {"InputTemplate": ""},
        {"InputTemplate": 5},
        {"InputTemplate": '"x"', "Template": "y"},
        {"InputTemplate": '"x"', "InputPathsMap": {"": "$.a", "k": 5}},
        {"InputTemplate": '"x"', "InputPathsMap": [("a", "$.a")]},
        "not a structure",
    ],
)
def test_botocore_checks_the_structure_first(spec: Any) -> None:
    botocore_session = pytest.importorskip("botocore.session")
    from botocore.validate import ParamValidator

    rig = Rig()
    params = {
        "Rule": "no-such-rule",
        "Targets": [rig.target("sqs", {}), rig.target("lambda", {"InputTransformer": spec})],
    }
    shape = botocore_session.get_session().get_service_model("events").operation_model("PutTargets").input_shape
    expected = ParamValidator().validate(params, shape).generate_report()
    assert expected  # botocore refuses it too
    with pytest.raises(ParamValidationError) as excinfo:  # before looking the rule up
        rig.events.put_targets(**params)
    assert excinfo.value.kwargs["report"] == expected
