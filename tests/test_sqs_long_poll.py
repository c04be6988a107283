"""SQS long polling on the simulated clock: a top-level receive waits in simulated time until a message can be
received or the wait is over; inside the simulation it answers at once (lambdasim.aws.sqs.long_poll)."""

from __future__ import annotations

from typing import Any

import pytest

import lambdasim as ls


@pytest.fixture
def sim() -> ls.Simulation:
    return ls.Simulation(seed=3)


@pytest.fixture
def sqs(sim: ls.Simulation) -> Any:
    return sim.client("sqs")


def _send_at(sim: ls.Simulation, sqs: Any, url: str, at: float, body: str, **extra: Any) -> None:
    """A message sent by a scheduled event at simulated time ``at``."""
    sim.env.timeout(at - sim.now).callbacks.append(lambda _e: sqs.send_message(QueueUrl=url, MessageBody=body, **extra))


def test_long_poll_returns_when_a_message_is_sent(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    _send_at(sim, sqs, url, 7.0, "hello")
    out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert sim.now == 7.0
    assert [m["Body"] for m in out["Messages"]] == ["hello"]
    sim.run()  # nothing of the wait is left on the clock: the run ends where the model does
    assert sim.now == 7.0


def test_long_poll_on_an_empty_queue_returns_empty_at_the_deadline(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert "Messages" not in out
    assert sim.now == 20.0
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # a short poll takes no time
    assert sim.now == 20.0


def test_message_after_the_deadline_is_not_waited_for(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    _send_at(sim, sqs, url, 25.0, "late")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert sim.now == 20.0
    out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert sim.now == 25.0 and out["Messages"][0]["Body"] == "late"


def test_queue_attribute_is_the_default_wait_and_zero_overrides_it(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs", Attributes={"ReceiveMessageWaitTimeSeconds": "5"})["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert sim.now == 0.0
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert sim.now == 5.0


def test_delayed_and_in_flight_messages_become_visible_during_the_wait(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=4)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, VisibilityTimeout=3)["Messages"][0]["Body"] == (
        "delayed"
    )
    assert sim.now == 4.0
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)  # in flight until 4 + 3
    assert sim.now == 7.0 and again["Messages"][0]["Body"] == "delayed"


def test_a_delayed_send_during_the_wait_is_received_when_visible(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    _send_at(sim, sqs, url, 2.0, "later", DelaySeconds=6)
    out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert sim.now == 8.0 and out["Messages"][0]["Body"] == "later"


def test_fifo_group_in_flight_blocks_until_its_message_returns(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=str(i))
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=6)["Messages"][0]
    assert first["Body"] == "m0"
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)  # the group waits for m0 to come back
    assert sim.now == 6.0 and again["Messages"][0]["Body"] == "m0"


def test_queue_deleted_during_the_wait(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sim.env.timeout(3).callbacks.append(lambda _e: sqs.delete_queue(QueueUrl=url))
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    assert sim.now == 20.0


def test_inside_a_handler_a_long_poll_answers_at_once(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="jobs", Attributes={"ReceiveMessageWaitTimeSeconds": "20"})["QueueUrl"]
    seen: list[tuple[float, bool]] = []

    def handler(event: Any, context: Any) -> None:
        out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        seen.append((sim.now, "Messages" in out))

    lam = sim.client("lambda")
    lam.create_function(FunctionName="reader", Handler=handler, Duration=1.0)
    lam.invoke(FunctionName="reader", InvocationType="Event", Payload=b"{}")
    sim.run()
    assert len(seen) == 1 and seen[0][1] is False
    assert seen[0][0] < 1.0  # answered at the handler's start, not 20 s later


def test_an_sdk_style_consumer_loop_under_mock_aws_advances_the_clock() -> None:
    boto3 = pytest.importorskip("boto3")
    from lambdasim.aws.mock import mock_aws

    sim = ls.Simulation(seed=3)
    with mock_aws(sim):
        queue = boto3.resource("sqs").create_queue(QueueName="work")
        for at in (7.0, 30.0, 31.0):
            _send_at(sim, sim.client("sqs"), queue.url, at, f"job@{at:g}")
        received: list[tuple[float, str]] = []
        polls: list[float] = []
        while True:
            msgs = queue.receive_messages(WaitTimeSeconds=20, MaxNumberOfMessages=10)
            polls.append(sim.now)
            for msg in msgs:
                received.append((sim.now, msg.body))
                msg.delete()
            if sim.now >= 60:
                break
    assert received == [(7.0, "job@7"), (30.0, "job@30"), (31.0, "job@31")]
    assert polls == [7.0, 27.0, 30.0, 31.0, 51.0, 71.0]
