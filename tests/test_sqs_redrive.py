"""SQS dead-letter queues: ``RedrivePolicy`` and ``RedriveAllowPolicy`` with SQS's validation and messages, the move
on the simulated clock, the counts of both queues, ``ListDeadLetterSourceQueues``, and a Lambda on-failure
destination queue behind which a dead-letter queue catches the records a consumer cannot handle."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy

import lambdasim as ls
from lambdasim.aws.sqs._shapes import OPERATIONS, SHAPES
from lambdasim.aws.sqs.client import SqsClient
from tests.outcome_helpers import ACCOUNT, REGION, START

PREFIX = f"arn:aws:sqs:{REGION}:{ACCOUNT}:"


@pytest.fixture
def sim() -> ls.Simulation:
    return ls.Simulation(seed=11)


@pytest.fixture
def sqs(sim: ls.Simulation) -> Any:
    return sim.client("sqs")


def create(sqs: Any, name: str, **attributes: str) -> str:
    attrs = dict(attributes)
    if name.endswith(".fifo"):
        attrs["FifoQueue"] = "true"
    return str(sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])


def policy(target: str, count: Any = 3) -> str:
    return json.dumps({"deadLetterTargetArn": PREFIX + target, "maxReceiveCount": count})


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return (int(got[names[0]]), int(got[names[1]]), int(got[names[2]]))


def error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ls.ClientError) as err:
        call()
    return dict(err.value.response["Error"])


def epoch_ms(t: float) -> str:
    return str(round((START.timestamp() + t) * 1000))


def at(sim: ls.Simulation, times: list[float], action: Callable[[], Any]) -> None:
    """Run ``action`` at each simulated time of ``times`` from a SimPy process, as a consumer script would."""

    def process() -> Generator[simpy.Event, Any, None]:
        for t in times:
            yield sim.env.timeout(t - sim.now)
            action()

    sim.env.process(process())


# -- the policy attributes ----------------------------------------------------------------------------------------


def test_a_redrive_policy_is_stored_in_sqss_compact_form_and_can_be_removed(sqs: Any) -> None:
    create(sqs, "dlq")
    raw = json.dumps({"maxReceiveCount": "5", "deadLetterTargetArn": PREFIX + "dlq"}, indent=2)
    url = create(sqs, "src", RedrivePolicy=raw)
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    # SQS answers with the two keys in its own order and maxReceiveCount as a number, whatever was sent.
    assert got == {"RedrivePolicy": f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":5}}'}
    assert "RedrivePolicy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # Creating again with the same policy, however spelt, is idempotent; a different one is not.
    assert create(sqs, "src", RedrivePolicy=policy("dlq", 5)) == url
    with pytest.raises(sqs.exceptions.QueueNameExists):
        create(sqs, "src", RedrivePolicy=policy("dlq", 6))
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (
        sqs.list_dead_letter_source_queues(QueueUrl=sqs.get_queue_url(QueueName="dlq")["QueueUrl"])["queueUrls"] == []
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{}", "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        ('{"maxReceiveCount":5}', "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."),
        # An attribute spelt with a capital is missing: SQS names maxReceiveCount first.
        (
            f'{{"MaxReceiveCount":"4","DeadLetterTargetArn":"{PREFIX}dlq"}}',
            "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
        ),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":-36}}',
            "Invalid value for maxReceiveCount: -36, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":4023}}',
            "Invalid value for maxReceiveCount: 4023, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":"0"}}',
            "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.",
        ),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":"many"}}',
            "Invalid value for maxReceiveCount: many, valid values are from 1 to 1000 both inclusive.",
        ),
        ('{"deadLetterTargetArn":"dlq","maxReceiveCount":5}', "Dead-letter target ARN should be fully qualified ARN."),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}dlq","maxReceiveCount":5,"dummyField":"dummy value"}}',
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].",
        ),
        (
            f'{{"deadLetterTargetArn":"arn:aws:sns:{REGION}:{ACCOUNT}:MyTopic","maxReceiveCount":5}}',
            "Only SQS queues are valid resources for deadLetterTargetArn.",
        ),
        (
            f'{{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq","maxReceiveCount":5}}',
            "Dead-letter target must be in same region as the source.",
        ),
        (
            f'{{"deadLetterTargetArn":"arn:aws:sqs:{REGION}:210987654321:dlq","maxReceiveCount":5}}',
            "Dead-letter target owner should be same as the source.",
        ),
        # The type is read from the name, before existence: SQS's order (and its double full stop).
        (
            f'{{"deadLetterTargetArn":"{PREFIX}MyDlq.fifo","maxReceiveCount":5}}',
            "Dead-letter queue must be same type of queue as the source..",
        ),
        (
            f'{{"deadLetterTargetArn":"{PREFIX}MyUnknownQueue","maxReceiveCount":5}}',
            "Dead letter target does not exist.",
        ),
    ],
)
def test_a_bad_redrive_policy_is_refused_with_sqss_reason(sqs: Any, raw: str, reason: str) -> None:
    create(sqs, "dlq")
    expected = {
        "Code": "InvalidParameterValue",
        "Message": f"Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}",
    }
    assert error(lambda: sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": raw})) == expected
    assert "src" not in sim_queues(sqs)
    url = create(sqs, "other")
    assert error(lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": raw})) == expected
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def sim_queues(sqs: Any) -> list[str]:
    return [u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])]


@pytest.mark.parametrize("raw", [" ", "[]", "4", "not json"])
def test_a_redrive_policy_that_is_not_a_json_map_is_refused(sqs: Any, raw: str) -> None:
    assert error(lambda: sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": raw})) == {
        "Code": "InvalidParameterValue",
        "Message": "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
    }


def test_fifo_queues_take_fifo_dead_letter_queues_only(sqs: Any) -> None:
    create(sqs, "dlq.fifo")
    create(sqs, "dlq")
    assert create(sqs, "src.fifo", RedrivePolicy=policy("dlq.fifo"))
    raw = policy("dlq")
    assert error(lambda: create(sqs, "other.fifo", RedrivePolicy=raw))["Message"] == (
        f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue "
        "as the source.."
    )


UNSUPPORTED = (
    "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow policy, "
    "as it\u2019s in an unsupported format."
)
CANT = "for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy."
ELEVEN = [f"{PREFIX}x{n}" for n in range(1, 12)]


@pytest.mark.parametrize(
    ("policy_value", "message"),
    [
        ("badjson", UNSUPPORTED),
        ("[]", UNSUPPORTED),
        ("{}", UNSUPPORTED),
        ('{"redrivePermission":"dummy"}', UNSUPPORTED),
        ('{"redrivePermission":"allowAll","dummy":"value"}', UNSUPPORTED),
        ('{"redrivePermission":"byQueue","sourceQueueArns":"arn:aws:sqs"}', UNSUPPORTED),
        ('{"redrivePermission":"byQueue","sourceQueueArns":[{"dummy":"value"}]}', UNSUPPORTED),
        (
            '{"redrivePermission":"byQueue"}',
            'Value {"redrivePermission":"byQueue"} '
            + CANT
            + " When you specify the byQueue permission type, you must also specify one or more sourceQueueArns "
            "values.",
        ),
        (
            '{"redrivePermission":"byQueue","sourceQueueArns":[]}',
            'Value {"redrivePermission":"byQueue","sourceQueueArns":[]} '
            + CANT
            + " When you specify the byQueue permission type, you must also specify one or more sourceQueueArns "
            "values.",
        ),
        (
            json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ELEVEN}, separators=(",", ":")),
            "Value "
            + json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ELEVEN}, separators=(",", ":"))
            + " "
            + CANT
            + " The maximum number of source queue ARNs you can specify is 10.",
        ),
        (
            f'{{"redrivePermission":"denyAll","sourceQueueArns":["{PREFIX}x7"]}}',
            f'Value {{"redrivePermission":"denyAll","sourceQueueArns":["{PREFIX}x7"]}} '
            + CANT
            + " To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
    ],
)
def test_a_bad_redrive_allow_policy_is_refused_with_sqss_reason(sqs: Any, policy_value: str, message: str) -> None:
    assert error(lambda: create(sqs, "dlq", RedriveAllowPolicy=policy_value)) == {
        "Code": "InvalidParameterValue",
        "Message": message,
    }


def test_the_redrive_allow_policy_decides_which_queues_may_name_a_dead_letter_queue(sqs: Any) -> None:
    allowed = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [PREFIX + "a", PREFIX + "b"]})
    byqueue = create(sqs, "by-queue", RedriveAllowPolicy=allowed)
    create(sqs, "deny", RedriveAllowPolicy='{"redrivePermission":"denyAll"}')
    create(sqs, "allow", RedriveAllowPolicy='{"redrivePermission":"allowAll"}')
    stored = sqs.get_queue_attributes(QueueUrl=byqueue, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert stored == {"RedriveAllowPolicy": json.dumps(json.loads(allowed), separators=(",", ":"))}
    # A source named by the byQueue list may use it (even in the CreateQueue that creates the source) ...
    create(sqs, "a", RedrivePolicy=policy("by-queue"))
    create(sqs, "c", RedrivePolicy=policy("allow"))
    # ... any other is refused, as is every source of a denyAll queue.
    for source, target in (("c", "by-queue"), ("a", "deny")):
        raw = policy(target)
        url = sqs.get_queue_url(QueueName=source)["QueueUrl"]
        got = error(functools.partial(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedrivePolicy": raw}))
        assert got["Code"] == "InvalidParameterValue"
        assert got["Message"].startswith(f"Value {raw} for parameter RedrivePolicy is invalid. Reason: ")
        assert PREFIX + source in got["Message"] and PREFIX + target in got["Message"]
    # [model] the allow policy is checked when a source names the queue: denying later does not stop "a".
    sqs.set_queue_attributes(QueueUrl=byqueue, Attributes={"RedriveAllowPolicy": '{"redrivePermission":"denyAll"}'})
    a = sqs.get_queue_url(QueueName="a")["QueueUrl"]
    sqs.send_message(QueueUrl=a, MessageBody="x")
    for _ in range(3):
        sqs.receive_message(QueueUrl=a, VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=a)
    assert counts(sqs, byqueue) == (1, 0, 0)
    # An empty RedriveAllowPolicy removes it: allowAll again.
    sqs.set_queue_attributes(QueueUrl=byqueue, Attributes={"RedriveAllowPolicy": ""})
    create(sqs, "d", RedrivePolicy=policy("by-queue"))


# -- the move on the simulated clock -------------------------------------------------------------------------------


def test_a_message_moves_on_the_receive_that_would_exceed_max_receive_count(sim: ls.Simulation, sqs: Any) -> None:
    dlq = create(sqs, "dlq")
    src = create(sqs, "src", VisibilityTimeout="30", RedrivePolicy=policy("dlq", 3))
    attrs = {"kind": {"DataType": "String", "StringValue": "order"}}
    at(sim, [2.0], lambda: sqs.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=attrs))
    log: list[tuple[float, str, int]] = []

    def poll() -> None:  # a consumer that fails on every message: receives, never deletes
        got = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        log.extend((sim.now, m["Body"], int(m["Attributes"]["ApproximateReceiveCount"])) for m in got)

    at(sim, [float(t) for t in range(0, 200, 10)], poll)
    moved: list[float] = []
    at(sim, [t + 0.5 for t in range(0, 200, 10)], lambda: moved.append(sim.now) if counts(sqs, dlq)[0] else None)
    sim.run(until=99)
    assert counts(sqs, src) == (0, 1, 0)
    sim.run(until=100)  # the run stops before the poll at 100 s
    # Received at 10, 40 and 70 (each time the 30 s visibility timeout ran out); the receive at 100 moves it.
    assert log == [(10.0, "poison", 1), (40.0, "poison", 2), (70.0, "poison", 3)]
    assert counts(sqs, src) == (1, 0, 0) and counts(sqs, dlq) == (0, 0, 0)  # visible again, not yet moved
    sim.run(until=200)
    assert len(log) == 3 and moved[0] == 100.5
    assert counts(sqs, src) == (0, 0, 0) and counts(sqs, dlq) == (1, 0, 0)
    (msg,) = sqs.receive_message(
        QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"], VisibilityTimeout=60
    )["Messages"]
    assert msg["Body"] == "poison" and msg["MessageAttributes"] == attrs
    # Same id; sent and first received when it was, in the source; the count goes on across queues.
    assert msg["Attributes"] == {
        "SenderId": ACCOUNT,
        "SentTimestamp": epoch_ms(2.0),
        "ApproximateReceiveCount": "4",
        "ApproximateFirstReceiveTimestamp": epoch_ms(10.0),
        "DeadLetterQueueSourceArn": PREFIX + "src",
    }
    assert counts(sqs, dlq) == (0, 1, 0)
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=msg["ReceiptHandle"])
    assert counts(sqs, dlq) == (0, 0, 0)


def test_the_moving_receive_goes_on_to_the_next_messages_and_keeps_the_message_id(sqs: Any) -> None:
    dlq = create(sqs, "dlq")
    src = create(sqs, "src", RedrivePolicy=policy("dlq", 1))
    ids = [sqs.send_message(QueueUrl=src, MessageBody=f"m{n}")["MessageId"] for n in range(4)]
    first = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=2, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in first] == ["m0", "m1"]
    # m0 and m1 have been received once (maxReceiveCount): this receive moves them and delivers m2 and m3.
    second = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in second] == ["m2", "m3"]
    assert counts(sqs, src) == (0, 2, 0) and counts(sqs, dlq) == (2, 0, 0)
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["MessageId"] for m in moved] == ids[:2]
    # The source's old receipt handles are stale now: deleting with one is accepted and changes nothing.
    sqs.delete_message(QueueUrl=src, ReceiptHandle=first[0]["ReceiptHandle"])
    assert counts(sqs, dlq) == (0, 2, 0)


def test_a_deleted_message_never_moves(sim: ls.Simulation, sqs: Any) -> None:
    dlq = create(sqs, "dlq")
    src = create(sqs, "src", RedrivePolicy=policy("dlq", 1))
    sqs.send_message(QueueUrl=src, MessageBody="ok")
    (msg,) = sqs.receive_message(QueueUrl=src)["Messages"]
    sqs.delete_message(QueueUrl=src, ReceiptHandle=msg["ReceiptHandle"])
    sim.run(until=60)
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    assert counts(sqs, dlq) == (0, 0, 0)


def test_a_fifo_dead_letter_queue_restarts_retention_and_sequence(sim: ls.Simulation, sqs: Any) -> None:
    dlq = create(sqs, "dlq.fifo", MessageRetentionPeriod="60")
    src = create(sqs, "src.fifo", ContentBasedDeduplication="true", RedrivePolicy=policy("dlq.fifo", 1))
    sent = sqs.send_message(QueueUrl=src, MessageBody="a", MessageGroupId="g")
    sqs.send_message(QueueUrl=src, MessageBody="b", MessageGroupId="g")
    (a,) = sqs.receive_message(QueueUrl=src, VisibilityTimeout=5)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # the group waits for "a"
    sim.run(until=50)
    # "a" moves; its group is free, so "b" is delivered by the same receive.
    (b,) = sqs.receive_message(QueueUrl=src, AttributeNames=["All"])["Messages"]
    assert (a["Body"], b["Body"]) == ("a", "b")
    sim.run(until=100)  # 100 s after "a" was sent, 50 s after the move: a FIFO dead-letter queue still has it
    (moved,) = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Attributes"]["MessageGroupId"] == "g"
    assert moved["Attributes"]["MessageDeduplicationId"] == sent["MessageId"]
    assert moved["Attributes"]["SequenceNumber"] == f"{1:020d}"  # the dead-letter queue's own sequence
    assert moved["Attributes"]["SentTimestamp"] == epoch_ms(0.0)
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == PREFIX + "src.fifo"
    sim.run(until=110)  # 60 s after the move: retention is over
    assert counts(sqs, dlq) == (0, 0, 0)


def test_a_standard_dead_letter_queue_keeps_the_original_enqueue_time(sim: ls.Simulation, sqs: Any) -> None:
    dlq = create(sqs, "dlq", MessageRetentionPeriod="100")
    src = create(sqs, "src", RedrivePolicy=policy("dlq", 1))
    sqs.send_message(QueueUrl=src, MessageBody="old")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=30)
    sim.run(until=20)
    sqs.send_message(QueueUrl=dlq, MessageBody="direct")  # sent straight to the dead-letter queue at 20 s
    sim.run(until=40)
    sqs.receive_message(QueueUrl=src)  # moves "old" (sent at 0 s) behind "direct"
    assert counts(sqs, dlq) == (2, 0, 0)
    sim.run(until=100)  # "old" expires 100 s after it was sent, though a younger message is ahead of it
    got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["direct"]
    sim.run(until=120)
    assert counts(sqs, dlq) == (0, 0, 0)


def test_a_deleted_dead_letter_queue_leaves_messages_in_the_source(sim: ls.Simulation, sqs: Any) -> None:
    """[model] AWS publishes nothing: the message stays and is delivered until a queue with that ARN exists."""
    dlq = create(sqs, "dlq")
    src = create(sqs, "src", RedrivePolicy=policy("dlq", 1))
    sqs.send_message(QueueUrl=src, MessageBody="x")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
    sqs.delete_queue(QueueUrl=dlq)
    assert "RedrivePolicy" in sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]
    for count in (2, 3):
        (msg,) = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=0)[
            "Messages"
        ]
        assert msg["Attributes"]["ApproximateReceiveCount"] == str(count)
    sim.run(until=60)
    again = create(sqs, "dlq")  # the same ARN: the policy applies again
    assert sqs.list_dead_letter_source_queues(QueueUrl=again)["queueUrls"] == [src]
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    assert counts(sqs, again) == (1, 0, 0)


def test_queues_without_a_policy_never_move_messages(sqs: Any) -> None:
    src = create(sqs, "plain")
    sqs.send_message(QueueUrl=src, MessageBody="x")
    seen = [
        sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=0)["Messages"][
            0
        ]["Attributes"]["ApproximateReceiveCount"]
        for _ in range(1001)
    ]
    assert seen == [str(n) for n in range(1, 1002)]


# -- ListDeadLetterSourceQueues ------------------------------------------------------------------------------------


def test_list_dead_letter_source_queues_pages_like_list_queues(sqs: Any) -> None:
    dlq = create(sqs, "dlq")
    create(sqs, "unrelated")
    sources = [create(sqs, f"src{n}", RedrivePolicy=policy("dlq")) for n in (3, 0, 4, 1, 2)]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == sorted(sources)
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    assert page["queueUrls"] == sorted(sources)[:2] and "NextToken" in page
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=10, NextToken=page["NextToken"])
    assert rest["queueUrls"] == sorted(sources)[2:] and "NextToken" not in rest
    assert sqs.can_paginate("list_dead_letter_source_queues")
    pages = sqs.get_paginator("list_dead_letter_source_queues").paginate(QueueUrl=dlq, PaginationConfig={"PageSize": 2})
    assert [len(p["queueUrls"]) for p in pages] == [2, 2, 1]
    assert error(lambda: sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=0))["Message"] == (
        "Value 0 for parameter MaxResults is invalid. Reason: Must be between 1 and 1000, if provided."
    )
    assert error(lambda: sqs.list_dead_letter_source_queues(QueueUrl=dlq, NextToken=page["NextToken"]))["Message"] == (
        "MaxResults is a mandatory parameter when you provide a value for NextToken."
    )
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.list_dead_letter_source_queues(QueueUrl=dlq.replace("dlq", "nope"))


def test_the_new_shapes_are_botocores() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("sqs")
    operation = "ListDeadLetterSourceQueues"
    shape = model.operation_model(operation).input_shape
    ours = SHAPES[OPERATIONS[operation][0]]
    assert {n: SHAPES[s]["type"] for n, s in ours["members"].items()} == {
        n: s.type_name for n, s in shape.members.items()
    }
    assert ours["required"] == shape.required_members
    output = model.operation_model(operation).output_shape
    assert "queueUrls" in output.members and "queueUrls" in output.required_members
    paginator = botocore_session.get_session().get_paginator_model("sqs").get_paginator(operation)
    assert SqsClient.paginators[operation] == paginator
    enum = model.shape_for("MessageSystemAttributeName").enum
    assert "DeadLetterQueueSourceArn" in enum
    queue_attributes = model.shape_for("QueueAttributeName").enum
    assert {"RedrivePolicy", "RedriveAllowPolicy"} <= set(queue_attributes)


# -- end to end: a Lambda on-failure destination queue with a dead-letter queue -----------------------------------


def failing(event: Any, context: Any) -> None:
    raise ValueError("payment declined")


def run_destination_with_redrive(seed: int) -> tuple[list[tuple[float, int]], list[dict[str, Any]], Any]:
    sim = ls.Simulation(seed=seed)
    lam, sqs = sim.client("lambda"), sim.client("sqs")
    dead = create(sqs, "failed-dlq")
    failed = create(sqs, "failed", VisibilityTimeout="10", RedrivePolicy=policy("failed-dlq", 2))
    lam.create_function(FunctionName="orders", Handler=failing, Duration=0.2)
    lam.put_function_event_invoke_config(
        FunctionName="orders",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": PREFIX + "failed"}},
    )
    for n in range(2):
        payload = json.dumps({"n": n})
        at(
            sim,
            [n * 7.0],
            functools.partial(lam.invoke, FunctionName="orders", InvocationType="Event", Payload=payload),
        )
    received: list[tuple[float, int]] = []

    def poll() -> None:  # a consumer that cannot handle the records: receives every 5 s, never deletes
        for msg in sqs.receive_message(QueueUrl=failed, MaxNumberOfMessages=10).get("Messages", []):
            received.append((sim.now, json.loads(msg["Body"])["requestPayload"]["n"]))

    at(sim, [5.0 * k for k in range(13)], poll)
    results = sim.run(until=61)
    dead_letters = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    return received, dead_letters, results


def test_an_on_failure_destination_queue_with_a_redrive_policy_end_to_end() -> None:
    received, dead_letters, results = run_destination_with_redrive(seed=3)
    # Records land at 0.2 s and 7.2 s; each is received when visible (5, 15 and 10, 20 s) and moves on the third try.
    assert received == [(5.0, 0), (10.0, 1), (15.0, 0), (20.0, 1)]
    records = [json.loads(m["Body"]) for m in dead_letters]
    assert [r["requestPayload"] for r in records] == [{"n": 0}, {"n": 1}]
    assert {r["requestContext"]["condition"] for r in records} == {"RetriesExhausted"}
    assert [m["Attributes"]["SentTimestamp"] for m in dead_letters] == [epoch_ms(0.2), epoch_ms(7.2)]
    assert [m["Attributes"]["ApproximateFirstReceiveTimestamp"] for m in dead_letters] == [
        epoch_ms(5.0),
        epoch_ms(10.0),
    ]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in dead_letters} == {"3"}
    assert {m["Attributes"]["DeadLetterQueueSourceArn"] for m in dead_letters} == {PREFIX + "failed"}
    assert results.destinations["on_failure"][PREFIX + "failed"]["delivered"] == 2


def test_the_redrive_is_deterministic() -> None:
    first = run_destination_with_redrive(seed=5)
    second = run_destination_with_redrive(seed=5)
    assert first[0] == second[0]
    assert [(m["MessageId"], m["Body"], m["Attributes"]) for m in first[1]] == [
        (m["MessageId"], m["Body"], m["Attributes"]) for m in second[1]
    ]
    assert first[2].to_dict() == second[2].to_dict()
