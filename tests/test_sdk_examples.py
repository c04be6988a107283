"""Programs in the style of AWS's published Python SDK examples (``tests/sdk_examples``) run unchanged under
``lambdasim.mock_aws`` (botocore's clients and boto3's resources) and give the same results as with the native
clients (``sim.client(...)``, ``lambdasim.resource(sim, ...)``) on a simulation of the same seed."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

import lambdasim as ls
from tests.helpers import zip_modules, zip_package
from tests.sdk_examples import cloudwatch_metrics, lambda_basics, s3_objects, sns_topics, sqs_queues
from tests.sdk_examples.custom_waiter import QueueDrainedWaiter

EXAMPLES = Path(__file__).with_name("sdk_examples")


@pytest.fixture(autouse=True)
def _deployed_code_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The scenario deploys lambda_handler_basic.py in a zip; where the zip's own code is not imported (a function
    # without code), the handler module is found on sys.path.
    monkeypatch.syspath_prepend(str(EXAMPLES))


def test_the_lambda_scenario_runs_unchanged_and_as_with_the_native_client(mock_aws: ls.Simulation) -> None:
    mocked = lambda_basics.run_scenario(boto3.client("lambda"))
    native = lambda_basics.run_scenario(ls.Simulation(seed=mock_aws.seed).client("lambda"))
    assert mocked == native
    assert mocked["before"] is None and mocked["after"] is None
    assert mocked["increment"]["Payload"] == 42
    assert mocked["bad action"]["FunctionError"] == "Unhandled"
    assert mocked["bad action"]["Payload"]["errorType"] == "ValueError"
    assert mocked["calculator"] == [9.0, 3.0, 18.0, 2.0]
    assert mocked["listed"] == ["doc-example-extra-1", "doc-example-extra-2", "doc-example-lambda"]
    assert mocked["missing"] == ("ResourceNotFoundException", 404)


def test_resource_based_sqs_code_runs_unchanged_and_as_with_the_native_resource(mock_aws: ls.Simulation) -> None:
    mocked = sqs_queues.usage_demo(boto3.resource("sqs"))
    native = sqs_queues.usage_demo(ls.resource(ls.Simulation(seed=mock_aws.seed), "sqs"))
    assert mocked == native
    assert mocked["received"][0] == (0, "Half a league, half a league,")
    assert [n for n, _ in mocked["received"]] == [0, 1, 2, 3]
    assert mocked["missing"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert mocked["attributes"] == {"MaximumMessageSize": "1024", "ApproximateNumberOfMessages": "0"}
    assert mocked["left"] == []


def test_resource_based_sns_fan_out_runs_unchanged_and_as_with_the_native_resource(mock_aws: ls.Simulation) -> None:
    mocked = sns_topics.usage_demo(boto3.resource("sns"), boto3.resource("sqs"))
    other = ls.Simulation(seed=mock_aws.seed)
    native = sns_topics.usage_demo(ls.resource(other, "sns"), ls.resource(other, "sqs"))
    assert mocked == native
    queues = [k for k in mocked if k.startswith("https://")]
    assert len(queues) == 2
    for url in queues:
        assert mocked[url] == [("Notification", f"message {i}", "cheerful") for i in range(3)]
    assert mocked["published"] == 3 and mocked["left"] == []


def drain_setup(sqs: Any, lam: Any) -> str:
    """A queue of 100 messages and a consumer taking them one at a time, one simulated second each."""
    url = str(sqs.create_queue(QueueName="backlog", Attributes={"VisibilityTimeout": "60"})["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_function(
        FunctionName="consumer",
        Runtime="python3.12",
        Role=lambda_basics.ROLE_ARN,
        Handler="tests.sample_handlers.sleeper",
        Code={"ZipFile": zip_modules("tests.sample_handlers")},
        Timeout=30,
    )
    lam.put_function_concurrency(FunctionName="consumer", ReservedConcurrentExecutions=1)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="consumer", BatchSize=1)
    for i in range(0, 100, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in range(i, i + 10)]
        )
    return url


def drained(sqs: Any, url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return bool(attributes[names[0]] == attributes[names[1]] == "0")


def test_a_custom_waiter_polls_on_the_simulated_clock(mock_aws: ls.Simulation) -> None:
    """botocore's ``create_waiter_with_client`` waits while a Lambda consumer drains a queue in simulated time."""
    sqs = boto3.client("sqs")
    url = drain_setup(sqs, boto3.client("lambda"))
    wall = time.perf_counter()
    QueueDrainedWaiter(sqs).wait(url)
    assert time.perf_counter() - wall < 10  # simulated minutes, not wall-clock ones
    assert drained(sqs, url)
    # The same run stepped second by second through the native clients: the queue drains at t_drained, and the
    # waiter (a poll at 0 s, then one every 15 s) returns at the first poll after it.
    other = ls.Simulation(seed=mock_aws.seed)
    native_sqs = other.client("sqs")
    native_url = drain_setup(native_sqs, other.client("lambda"))
    while not drained(native_sqs, native_url):
        other.run(until=other.now + 1.0)
    t_drained = other.now
    assert t_drained > 100  # 100 one-second batches, one at a time
    assert mock_aws.now == 15 * math.ceil(t_drained / 15)


def test_the_fixture_is_lambda_sims_simulation(mock_aws: ls.Simulation, lambda_sim: Any) -> None:
    assert mock_aws is lambda_sim.sim
    boto3.client("lambda").create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role=lambda_basics.ROLE_ARN,
        Handler="index.handler",
        Code={"ZipFile": zip_package()},
    )
    assert "f" in lambda_sim.sim.services.lambda_.functions


def deploy_counter(lam: Any) -> str:
    """A function the S3 example's bucket notifies (its code: ``tests.sample_handlers.echo``)."""
    return str(
        lam.create_function(
            FunctionName="on-upload",
            Runtime="python3.12",
            Role=lambda_basics.ROLE_ARN,
            Handler="tests.sample_handlers.echo",
            Code={"ZipFile": zip_modules("tests.sample_handlers")},
        )["FunctionArn"]
    )


def test_resource_based_s3_code_runs_unchanged_and_as_with_the_native_resource(mock_aws: ls.Simulation) -> None:
    lam = boto3.client("lambda")
    mocked = s3_objects.usage_demo(boto3.resource("s3"), lam, deploy_counter(lam))
    other = ls.Simulation(seed=mock_aws.seed)
    native_lam = other.client("lambda")
    native = s3_objects.usage_demo(ls.resource(other, "s3"), native_lam, deploy_counter(native_lam))
    assert mocked == native
    assert mocked["read"] == [{"key": "uploads/a.json"}, {"key": "uploads/b.json"}, {"key": "other/c.json"}]
    assert mocked["listed"] == ["uploads/a.json", "uploads/b.json"]
    assert mocked["deleted"] == "NoSuchKey"
    # the two objects under uploads/ were notified to the function, as on AWS
    for sim in (mock_aws, other):
        sim.run(until=60)
        figures = sim.results().functions["on-upload"]
        assert figures["async_events_received"] == figures["invocations"] == 2


def test_cloudwatch_metric_statistics_through_the_resource(mock_aws: ls.Simulation) -> None:
    """Invokes spread over three minutes; the per-minute ``Invocations`` sums read through boto3's ``Metric``
    resource equal the native door's."""
    lam = boto3.client("lambda")
    deploy_counter(lam)
    for minute, count in enumerate([3, 0, 5]):
        mock_aws.run(until=60.0 * minute + 1)
        for _ in range(count):
            lam.invoke(FunctionName="on-upload", InvocationType="Event", Payload=b"{}")
    mock_aws.run(until=300)
    mocked = cloudwatch_metrics.invocations_per_minute(boto3.resource("cloudwatch"), "on-upload", mock_aws.start, 5)
    native = cloudwatch_metrics.invocations_per_minute(
        ls.resource(mock_aws, "cloudwatch"), "on-upload", mock_aws.start, 5
    )
    assert mocked == native
    start = mock_aws.start
    assert [(t - start).total_seconds() for t, _ in mocked] == [0.0, 120.0]  # no datapoint for the empty minute
    assert [total for _, total in mocked] == [3.0, 5.0]
