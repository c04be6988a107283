"""A standard queue's visibility index gives exactly what a scan of the queue in send order gives.

Two simulations get the same random operations (sends with delays, receives of 1 to 10 messages with visibility
timeouts of 0 to 3 s, deletes, visibility changes to the same or another time, a redrive policy moving messages to a
dead-letter queue, purges, retention expiry); in one the queue scans its messages, in the other it uses its
:class:`~lambdasim.aws.sqs.visibility.VisibilityIndex`. Every answer must be the same.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dead"

operation = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 3)),
    st.tuples(st.just("receive"), st.integers(1, 10), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 9)),
    st.tuples(st.just("change"), st.integers(0, 9), st.integers(0, 3)),
    st.tuples(st.just("wait"), st.sampled_from([0.0, 0.5, 1.0, 2.0, 30.0])),
    st.tuples(st.just("purge")),
)


def play(ops: list[tuple[Any, ...]], *, scan: bool) -> list[Any]:
    sim = ls.Simulation(seed=1)
    sqs = sim.client("sqs")
    sqs.create_queue(QueueName="dead")
    policy = json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 3})
    url = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy, "MessageRetentionPeriod": "60"})[
        "QueueUrl"
    ]
    queue = sim.services.sqs.by_name("work")
    assert queue is not None and queue.index is not None
    if scan:
        queue.index = None  # the queue scans its messages in send order
    answers: list[Any] = []
    held: list[str] = []  # receipt handles received so far, newest last
    sent = 0
    for op in ops:
        kind = op[0]
        try:
            if kind == "send":
                sqs.send_message(QueueUrl=url, MessageBody=str(sent), DelaySeconds=op[1])
                sent += 1
            elif kind == "receive":
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=op[1], VisibilityTimeout=op[2])
                messages = got.get("Messages", [])
                answers.append([m["Body"] for m in messages])
                held.extend(m["ReceiptHandle"] for m in messages)
            elif kind == "delete" and held:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=held[-1 - op[1] % len(held)])
            elif kind == "change" and held:
                handle = held[-1 - op[1] % len(held)]
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=op[2])
            elif kind == "wait" and op[1] > 0:
                sim.run(until=sim.now + op[1])
            elif kind == "purge":
                sqs.purge_queue(QueueUrl=url)
        except ls.ClientError as exc:
            answers.append(exc.response["Error"]["Code"])
        answers.append(queue.any_visible(sim.now))
    answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])
    answers.append(sim.services.sqs.by_name("dead").counts())  # type: ignore[union-attr]
    return answers


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=80))
def test_the_index_answers_as_a_scan_in_send_order(ops: list[tuple[Any, ...]]) -> None:
    assert play(ops, scan=False) == play(ops, scan=True)


def test_a_message_whose_visibility_is_set_twice_to_one_time_is_received_once_per_receive() -> None:
    """Setting a message's visibility to the time it already has leaves two entries of it in the index; a receive
    must still give it once, and a message moving to the dead-letter queue must move once."""
    ops: list[tuple[Any, ...]] = [("send", 0), ("receive", 10, 2), ("change", 0, 2), ("wait", 2.0)]
    ops += [("receive", 10, 0), ("receive", 10, 0), ("receive", 10, 0), ("receive", 10, 0)]
    answers = play(ops, scan=False)
    assert answers == play(ops, scan=True)
    receives = [a for a in answers if isinstance(a, list)]
    assert receives == [["0"], ["0"], ["0"], [], []]  # the fourth receive would exceed maxReceiveCount 3: it moves
    assert answers[-1] == (1, 0, 0)
