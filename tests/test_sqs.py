"""The SQS client on the simulated clock: queues, messages, visibility, FIFO rules, errors in botocore's layout, and
conformance of every operation with botocore's service model."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

import lambdasim as ls
from tests.outcome_helpers import drain


@pytest.fixture
def sim() -> ls.Simulation:
    return ls.Simulation(seed=11)


@pytest.fixture
def sqs(sim: ls.Simulation) -> Any:
    return sim.client("sqs")


def test_create_get_url_and_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url == "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attrs
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert list(one) == ["QueueArn"]


def test_create_queue_is_idempotent_unless_attributes_differ(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    assert sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "10"})["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as err:
        sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "20"})
    assert err.value.response["Error"]["Code"] == "QueueAlreadyExists"


def test_fifo_queues_need_the_suffix_and_the_attribute(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true" and attrs["ContentBasedDeduplication"] == "false"
    for name, attributes in (("bad.fifo", {}), ("bad", {"FifoQueue": "true"})):
        with pytest.raises(ls.ClientError) as err:
            sqs.create_queue(QueueName=name, Attributes=attributes)
        assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ls.ClientError, match="Unknown Attribute Colour"):
        sqs.create_queue(QueueName="x", Attributes={"Colour": "red"})
    with pytest.raises(ls.ClientError, match="VisibilityTimeout"):
        sqs.create_queue(QueueName="x", Attributes={"VisibilityTimeout": "50000"})


def test_a_missing_queue_is_reported_as_boto3_sees_it(sqs: Any) -> None:
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as err:
        sqs.get_queue_url(QueueName="nope")
    error = err.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["QueryErrorCode"] == "QueueDoesNotExist"
    assert error["Message"] == "The specified queue does not exist."
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.operation_name == "GetQueueUrl"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/nope", MessageBody="x")


def test_send_receive_delete(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    attrs = {"kind": {"DataType": "String", "StringValue": "order"}, "n": {"DataType": "Number", "StringValue": "3"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    assert "MD5OfMessageAttributes" in sent
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
    (msg,) = got
    assert msg["Body"] == "hello" and msg["MessageId"] == sent["MessageId"]
    assert msg["MessageAttributes"] == attrs
    assert msg["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert msg["Attributes"]["ApproximateReceiveCount"] == "1"
    assert msg["Attributes"]["SentTimestamp"] == str(int(ls.Simulation(seed=0).start.timestamp() * 1000))
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="nonsense")


def test_message_attribute_names_select_by_name_and_prefix(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    attrs = {name: {"DataType": "String", "StringValue": "v"} for name in ("a.one", "a.two", "b")}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    (msg,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["a.*"])["Messages"]
    assert sorted(msg["MessageAttributes"]) == ["a.one", "a.two"]


def test_visibility_timeout_runs_on_the_simulated_clock(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    sim.run(until=29.9)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sim.run(until=30)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=5)
    (msg,) = again["Messages"]
    assert msg["MessageId"] == first["MessageId"] and msg["ReceiptHandle"] != first["ReceiptHandle"]
    assert msg["Attributes"] == {"ApproximateReceiveCount": "2"}
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_delay_and_retention(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=10)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert counts["Attributes"] == {"ApproximateNumberOfMessagesDelayed": "1"}
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sim.run(until=10)
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["Body"] == "later"
    sim.run(until=60)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # retained 60 s only


def test_receive_checks_its_ranges(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ls.ClientError) as err:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert err.value.response["Error"] == {
        "Code": "InvalidParameterValue",
        "Message": "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, "
        "if provided.",
    }
    with pytest.raises(ls.ClientError, match="WaitTimeSeconds"):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    with pytest.raises(ls.ParamValidationError, match="MaxNumberOfMessages"):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages="3")
    with pytest.raises(ls.ParamValidationError, match='Missing required parameter in input: "MessageBody"'):
        sqs.send_message(QueueUrl=url)


def test_receive_returns_at_most_max_number_of_messages_in_order(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first + second] == [str(n) for n in range(15)]


def test_fifo_order_groups_and_deduplication(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ls.ClientError, match="MessageGroupId"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="1")
    with pytest.raises(ls.ClientError, match="ContentBasedDeduplication"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)
        for body, group in (("a1", "a"), ("b1", "b"), ("a2", "a"))
    ]
    assert [s["SequenceNumber"] for s in sent] == sorted(s["SequenceNumber"] for s in sent)
    duplicate = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="a", MessageDeduplicationId="a1")
    assert duplicate["MessageId"] == sent[0]["MessageId"]
    (a1,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    # Group a is blocked while a1 is in flight; b is not.
    (b1,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert (a1["Body"], b1["Body"]) == ("a1", "b1")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=a1["ReceiptHandle"])
    (a2,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert a2["Body"] == "a2" and a2["Attributes"]["MessageGroupId"] == "a"
    sim.run(until=301)  # the deduplication window is over
    again = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="a", MessageDeduplicationId="a1")
    assert again["MessageId"] != sent[0]["MessageId"]


def test_purge_and_its_60_second_rule(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as err:
        sqs.purge_queue(QueueUrl=url)
    assert err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    sim.run(until=60)
    sqs.purge_queue(QueueUrl=url)


def test_list_delete_and_recreate(sim: ls.Simulation, sqs: Any) -> None:
    urls = [sqs.create_queue(QueueName=f"q{n}")["QueueUrl"] for n in range(5)]
    sqs.create_queue(QueueName="other")
    assert sqs.list_queues(QueueNamePrefix="q")["QueueUrls"] == urls
    page = sqs.list_queues(QueueNamePrefix="q", MaxResults=2)
    assert page["QueueUrls"] == urls[:2]
    rest = sqs.list_queues(QueueNamePrefix="q", MaxResults=10, NextToken=page["NextToken"])
    assert rest["QueueUrls"] == urls[2:] and "NextToken" not in rest
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")
    sqs.delete_queue(QueueUrl=urls[0])
    with pytest.raises(sqs.exceptions.QueueDeletedRecently):
        sqs.create_queue(QueueName="q0")
    sim.run(until=60)
    assert sqs.create_queue(QueueName="q0")["QueueUrl"] == urls[0]


def test_batches(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "2", "DelaySeconds": 1000}],
    )
    assert [e["Id"] for e in out["Successful"]] == ["a"]
    assert out["Failed"][0]["Id"] == "b" and out["Failed"][0]["SenderFault"] is True
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}] * 2)
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": "1"} for n in range(11)])
    (msg,) = sqs.receive_message(QueueUrl=url)["Messages"]
    deleted = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": msg["ReceiptHandle"]}, {"Id": "y", "ReceiptHandle": "bad"}]
    )
    assert [e["Id"] for e in deleted["Successful"]] == ["x"]
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_a_lambda_destination_queue_is_the_clients_queue(sim: ls.Simulation, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="records")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=0.1)
    lam.put_function_event_invoke_config(FunctionName="f", DestinationConfig={"OnSuccess": {"Destination": arn}})
    for n in range(3):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"n": n}))
    sim.run()
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert counts == {"ApproximateNumberOfMessages": "3"}
    records = [json.loads(m["Body"]) for m in drain(sim, url)]
    assert [r["requestPayload"] for r in records] == [{"n": 0}, {"n": 1}, {"n": 2}]


# -- conformance with botocore's model -------------------------------------------------------------------------


def botocore_model(service: str) -> Any:
    botocore_session = pytest.importorskip("botocore.session")
    return botocore_session.get_session().get_service_model(service)


def test_responses_use_only_botocores_output_members(sim: ls.Simulation, sqs: Any) -> None:
    model = botocore_model("sqs")
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attrs = {"a": {"DataType": "String", "StringValue": "v"}}
    calls = {
        "GetQueueUrl": sqs.get_queue_url(QueueName="q.fifo"),
        "GetQueueAttributes": sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
        "SendMessage": sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", MessageAttributes=attrs
        ),
        "ReceiveMessage": sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"]),
        "ListQueues": sqs.list_queues(MaxResults=1),
    }
    for operation, response in calls.items():
        output = model.operation_model(operation).output_shape
        assert set(response) - {"ResponseMetadata"} <= set(output.members), operation
    message_shape = model.operation_model("ReceiveMessage").output_shape.members["Messages"].member
    (message,) = calls["ReceiveMessage"]["Messages"]
    assert set(message) <= set(message_shape.members)
    system = set(model.shape_for("MessageSystemAttributeName").enum)
    assert set(message["Attributes"]) <= system
    queue_attributes = set(model.shape_for("QueueAttributeName").enum)
    assert set(calls["GetQueueAttributes"]["Attributes"]) <= queue_attributes


def test_list_queues_has_boto3s_paginator(sqs: Any) -> None:
    urls = [sqs.create_queue(QueueName=f"q{n:02d}")["QueueUrl"] for n in range(7)]
    assert sqs.can_paginate("list_queues") and not sqs.can_paginate("send_message")
    pages = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 3})
    assert [len(page["QueueUrls"]) for page in pages] == [3, 3, 1]
    assert sqs.get_paginator("list_queues").paginate().build_full_result()["QueueUrls"] == urls


@pytest.mark.parametrize("spelling", ["true", "True", "TRUE"])
def test_boolean_attributes_take_any_case_and_read_back_lowercase(spelling: str) -> None:
    # AWS's own SDK examples create FIFO queues with str(True); AWS answers "true".
    sqs = ls.Simulation(seed=1).client("sqs")
    url = sqs.create_queue(
        QueueName="q.fifo", Attributes={"FifoQueue": spelling, "ContentBasedDeduplication": spelling}
    )["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["FifoQueue"], attrs["ContentBasedDeduplication"]) == ("true", "true")
    false = {"true": "false", "True": "False", "TRUE": "FALSE"}[spelling]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": false})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ContentBasedDeduplication"])["Attributes"]
    assert attrs == {"ContentBasedDeduplication": "false"}
    # The same queue again, spelled differently: the same attributes, so the same queue.
    assert sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "True"})["QueueUrl"] == url


@pytest.mark.parametrize("value", ["yes", "1", "", "t"])
@pytest.mark.parametrize("name", ["FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"])
def test_other_boolean_spellings_are_refused(name: str, value: str) -> None:
    sqs = ls.Simulation(seed=1).client("sqs")
    attributes = {"FifoQueue": "true", name: value}
    with pytest.raises(ls.ClientError) as exc:
        sqs.create_queue(QueueName="q.fifo", Attributes=attributes)
    error = exc.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


def test_fifo_queue_type_cannot_change_as_recorded() -> None:
    sqs = ls.Simulation(seed=1).client("sqs")
    standard = sqs.create_queue(QueueName="std")["QueueUrl"]
    fifo = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ls.ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=standard, Attributes={"FifoQueue": "true"})
    assert exc.value.response["Error"]["Code"] == "InvalidAttributeName"
    assert exc.value.response["Error"]["Message"] == "Unknown Attribute FifoQueue."
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "True"})  # the same type: accepted
    with pytest.raises(ls.ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "false"})
    assert (exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
    )
    assert sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["FifoQueue"])["Attributes"] == {"FifoQueue": "true"}
