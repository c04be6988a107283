"""``lambdasim.mock_aws``: botocore's own clients, answered by the simulation through botocore's event system.

Each test would fail if the behaviour broke: the client is botocore's (its validation runs first and the simulation
never sees a refused call), answers and errors are botocore's parsed shapes (checked against the output model with
botocore's own validator, and equal to the native client's), ``Stubber`` answers first, retries and waiters wait on
the simulated clock (attempt times equal botocore's backoff drawn from the simulation's jitter stream), and exiting
restores botocore, boto3 and the environment as they were.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import botocore.exceptions
import botocore.retries.bucket
import botocore.session
import botocore.waiter
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from botocore.validate import ParamValidator
from dateutil.tz import tzutc

import lambdasim as ls
from lambdasim.aws.mock import mock_aws
from tests.helpers import zip_modules

ROLE = "arn:aws:iam::123456789012:role/r"


def create(lam: Any, name: str = "f", handler: str = "tests.sample_handlers.echo", **extra: Any) -> dict[str, Any]:
    package = zip_modules(handler.rpartition(".")[0])  # the handler's module, imported from the zip as on AWS
    return dict(
        lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE, Handler=handler, Code={"ZipFile": package}, **extra
        )
    )


def conforms(client: Any, operation: str, parsed: dict[str, Any]) -> None:
    """botocore's own check of a response against the operation's output shape (as its Stubber validates)."""
    shape = client.meta.service_model.operation_model(operation).output_shape
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    if "Payload" in body:
        body["Payload"] = b""  # a StreamingBody stands for the blob botocore's validator expects
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()


# -- genuine botocore clients ---------------------------------------------------------------------------------------


def test_every_way_of_making_a_client_is_botocores_and_answered_by_the_simulation() -> None:
    sim = ls.Simulation(seed=1)
    made_before = boto3.Session(region_name="us-east-1")  # as a module-level session in the code under test
    with mock_aws(sim):
        clients = [
            boto3.client("sqs"),
            boto3.Session().client("sqs"),
            boto3.resource("sqs").meta.client,
            botocore.session.get_session().create_client("sqs"),
            made_before.client("sqs"),
        ]
        for n, client in enumerate(clients):
            assert isinstance(client, botocore.client.BaseClient)
            assert client.meta.region_name == sim.region
            client.create_queue(QueueName=f"q{n}")
    assert sorted(sim.services.sqs.queues) == ["q0", "q1", "q2", "q3", "q4"]


def test_answers_are_botocores_parsed_shapes_and_equal_the_native_clients() -> None:
    mocked, native = ls.Simulation(seed=5), ls.Simulation(seed=5)
    with mock_aws(mocked):
        lam = boto3.client("lambda")
        out = [create(lam)]
        out.append(dict(lam.get_function_configuration(FunctionName="f")))
        invoked = dict(lam.invoke(FunctionName="f", Payload=json.dumps({"a": 1})))
        listed = dict(lam.list_functions())
    for parsed, operation in zip(
        [*out, listed], ["CreateFunction", "GetFunctionConfiguration", "ListFunctions"], strict=True
    ):
        conforms(lam, operation, parsed)
    conforms(lam, "Invoke", invoked)
    assert isinstance(invoked["Payload"], botocore.response.StreamingBody)
    assert json.loads(invoked.pop("Payload").read()) == {"echo": {"a": 1}, "function": "f"}

    nl = native.client("lambda")
    expected = [create(nl), dict(nl.get_function_configuration(FunctionName="f"))]
    native_invoked = dict(nl.invoke(FunctionName="f", Payload=json.dumps({"a": 1})))
    native_invoked.pop("Payload")
    assert out == expected  # ResponseMetadata included: the same request ids, headers and status
    assert invoked == native_invoked
    assert listed == dict(nl.list_functions())


def test_botocore_validates_first_and_a_refused_call_never_reaches_the_simulation() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam = boto3.client("lambda")
        requests = sim._api_requests
        with pytest.raises(botocore.exceptions.ParamValidationError, match=r'Missing required parameter.*"Role"'):
            lam.create_function(FunctionName="f", Runtime="python3.12", Handler="a.b", Code={"ZipFile": b""})
        with pytest.raises(botocore.exceptions.ParamValidationError, match="Invalid type for parameter MemorySize"):
            create(lam, MemorySize="big")
        assert sim._api_requests == requests
        assert "f" not in sim.services.lambda_.functions


def test_errors_are_botocores_modelled_exceptions_with_the_native_error_response() -> None:
    mocked, native = ls.Simulation(seed=2), ls.Simulation(seed=2)
    with mock_aws(mocked):
        lam = boto3.client("lambda")
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
            lam.get_function(FunctionName="nope")
        sqs = boto3.client("sqs")
        with pytest.raises(sqs.exceptions.QueueDoesNotExist) as sqs_caught:
            sqs.get_queue_url(QueueName="nope")
    nl, ns = native.client("lambda"), native.client("sqs")
    with pytest.raises(botocore.exceptions.ClientError) as native_caught:
        nl.get_function(FunctionName="nope")
    with pytest.raises(botocore.exceptions.ClientError) as native_sqs:
        ns.get_queue_url(QueueName="nope")
    assert type(caught.value) is lam.exceptions.ResourceNotFoundException  # botocore's class, not lambdasim's
    assert isinstance(caught.value, botocore.exceptions.ClientError)
    assert caught.value.response == native_caught.value.response
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert str(caught.value) == str(native_caught.value)
    assert sqs_caught.value.response == native_sqs.value.response
    assert sqs_caught.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"


def test_resources_paginators_and_the_streaming_payload() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam = boto3.client("lambda")
        for n in range(5):
            create(lam, f"f{n}")
        pages = list(lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
        assert [len(p["Functions"]) for p in pages] == [2, 2, 1]
        assert [f["FunctionName"] for p in pages for f in p["Functions"]] == [f"f{n}" for n in range(5)]
        queue = boto3.resource("sqs").create_queue(QueueName="jobs")
        queue.send_message(MessageBody="hello")
        assert [m.body for m in queue.receive_messages()] == ["hello"]
        assert queue.attributes["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:jobs"


# -- Stubber ------------------------------------------------------------------------------------------------------


def test_a_stubber_attached_inside_mock_aws_answers_first_as_on_aws() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam = boto3.client("lambda")
        create(lam)
        requests = sim._api_requests
        with Stubber(lam) as stubber:
            stubber.add_response("get_account_settings", {"AccountLimit": {"ConcurrentExecutions": 7}})
            stubber.add_client_error("get_function", "ServiceException", "stubbed", 500)
            assert lam.get_account_settings()["AccountLimit"] == {"ConcurrentExecutions": 7}
            with pytest.raises(lam.exceptions.ServiceException, match="stubbed"):
                lam.get_function(FunctionName="f")
            with pytest.raises(botocore.exceptions.UnStubbedResponseError):
                lam.list_functions()
            stubber.assert_no_pending_responses()
        assert sim._api_requests == requests  # the stubbed calls never reached the simulation
        assert lam.get_function(FunctionName="f")["Configuration"]["FunctionName"] == "f"  # deactivated: simulated


# -- retries and waiters on the simulated clock ------------------------------------------------------------------


def throttled_attempt_times(mode: str, seed: int = 3) -> tuple[list[float], dict[str, Any]]:
    """A synchronous invoke throttled (429) while the function's only concurrency is busy until t = 11 s."""
    sim = ls.Simulation(seed=seed)
    with mock_aws(sim):
        lam = boto3.client("lambda", config=Config(retries={"mode": mode, "max_attempts": 10}))
        create(lam, handler="tests.sample_handlers.sleeper", Timeout=30)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=1)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"s": 10}))
        sim.run(until=1.0)
        times: list[float] = []
        lam.meta.events.register("before-send.lambda.Invoke", lambda **_: times.append(sim.now))
        response = dict(lam.invoke(FunctionName="f", Payload=json.dumps({"s": 1})))
        response["Payload"] = json.loads(response["Payload"].read())
    return times, response


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_botocores_retries_wait_their_backoff_on_the_simulated_clock(mode: str) -> None:
    outside = random.getstate()
    wall = time.perf_counter()
    times, response = throttled_attempt_times(mode)
    assert time.perf_counter() - wall < 5  # far less than the simulated seconds waited
    assert random.getstate() == outside  # botocore's jitter came from the simulation's own stream
    # botocore's backoff: rand * 2 ** (attempt - 1) (standard caps it at 20 s), rand from the seeded stream
    jitter = random.Random("lambdasim-jitter-3")
    expected = [1.0]
    for attempt in range(1, len(times)):
        expected.append(expected[-1] + jitter.random() * min(20, 2 ** (attempt - 1)))
    assert times == pytest.approx(expected, abs=1e-9)
    assert times[-2] < 11.0 <= times[-1]  # retried until the 10-s event released the concurrency
    assert response["StatusCode"] == 200 and response["Payload"] == {"slept": 1}
    assert response["ResponseMetadata"]["RetryAttempts"] == len(times) - 1


def test_adaptive_retries_wait_on_the_simulated_clock_and_repeat_run_for_run() -> None:
    times, response = throttled_attempt_times("adaptive")
    again, _ = throttled_attempt_times("adaptive")
    assert times == again
    assert times[0] == 1.0 and times[-2] < 11.0 <= times[-1]
    assert response["ResponseMetadata"]["RetryAttempts"] == len(times) - 1
    assert times != throttled_attempt_times("adaptive", seed=4)[0]  # another seed, other jitter


def test_retries_give_up_after_max_attempts_with_botocores_message() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam = boto3.client("lambda", config=Config(retries={"mode": "standard", "max_attempts": 3}))
        create(lam)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
        # botocore's max_attempts counts retries (total_max_attempts = 4)
        with pytest.raises(lam.exceptions.TooManyRequestsException, match=r"reached max retries: 3") as caught:
            lam.invoke(FunctionName="f", Payload=b"{}")
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert caught.value.response["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert 0 < sim.now <= 1 + 2 + 4  # three backoffs of at most 1, 2 and 4 s


def test_waiters_poll_on_the_simulated_clock() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam = boto3.client("lambda")
        create(lam)
        lam.get_waiter("function_active_v2").wait(FunctionName="f")
        lam.get_waiter("function_exists").wait(FunctionName="f")
        assert sim.now == 0.0  # satisfied on the first poll
        wall = time.perf_counter()
        with pytest.raises(botocore.exceptions.WaiterError, match="Max attempts exceeded"):
            lam.get_waiter("function_exists").wait(FunctionName="nope", WaiterConfig={"Delay": 30, "MaxAttempts": 4})
        assert time.perf_counter() - wall < 5
        assert sim.now == 3 * 30.0  # three waits between four polls


# -- scope: regions, credentials, undo ----------------------------------------------------------------------------


def test_needs_no_credentials_and_restores_the_environment_and_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    default = boto3.DEFAULT_SESSION
    create_client = botocore.session.Session.create_client
    sim = ls.Simulation(seed=1, region="eu-west-1")
    with mock_aws(sim) as entered:
        assert entered is sim
        assert boto3.client("sqs").meta.region_name == "eu-west-1"
        assert "AWS_SESSION_TOKEN" not in os.environ
        boto3.client("sqs").create_queue(QueueName="q")
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ
    assert os.environ["AWS_SESSION_TOKEN"] == "real-token"
    assert boto3.DEFAULT_SESSION is default
    assert botocore.session.Session.create_client is create_client
    assert botocore.retries.bucket.time is time
    assert botocore.waiter.time is time


def test_a_client_of_another_region_is_refused_with_the_remedy() -> None:
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        with pytest.raises(ValueError, match=r"region 'eu-west-1'.*region_name='us-east-1'.*region='eu-west-1'"):
            boto3.client("lambda", region_name="eu-west-1").list_functions()
        assert boto3.client("s3", region_name="eu-west-1").list_buckets()["Buckets"] == []  # S3 is global


def test_what_lambdasim_does_not_simulate_is_named() -> None:
    with mock_aws(ls.Simulation(seed=1)):
        with pytest.raises(NotImplementedError, match="lambda ListLayers is not simulated by lambdasim"):
            boto3.client("lambda").list_layers()
        with pytest.raises(NotImplementedError, match=r"stepfunctions ListStateMachines is not simulated.*'sqs'"):
            boto3.client("stepfunctions").list_state_machines()
        with pytest.raises(NotImplementedError, match="dynamodb Scan is not simulated by lambdasim"):
            boto3.client("dynamodb").scan(TableName="t")


def test_decorator_sync_and_async_and_nesting() -> None:
    outer, inner = ls.Simulation(seed=1), ls.Simulation(seed=2)

    @mock_aws(outer)
    def make(name: str) -> None:
        boto3.client("sqs").create_queue(QueueName=name)

    @mock_aws(inner)
    async def make_async(name: str) -> None:
        boto3.client("sqs").create_queue(QueueName=name)

    make("a")
    asyncio.run(make_async("b"))
    with mock_aws(outer):
        with mock_aws(inner):
            boto3.client("sqs").create_queue(QueueName="c")
        boto3.client("sqs").create_queue(QueueName="d")
    assert list(outer.services.sqs.queues) == ["a", "d"]
    assert list(inner.services.sqs.queues) == ["b", "c"]


def test_only_a_simulation_is_taken() -> None:
    with pytest.raises(TypeError, match=r"mock_aws takes a lambdasim\.Simulation"):
        mock_aws("sim")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decorates a function or method"):
        mock_aws(ls.Simulation(seed=1))(type("Suite", (), {}))
    with pytest.raises(RuntimeError, match="without a start"):
        mock_aws(ls.Simulation(seed=1)).stop()


def test_a_handler_calls_boto3_inside_the_simulation() -> None:
    """Handler code creating its own boto3 client (as deployed code does) is answered too, at its simulated time."""
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        lam, sqs = boto3.client("lambda"), boto3.client("sqs")
        url = sqs.create_queue(QueueName="out")["QueueUrl"]
        create(lam, handler="tests.sdk_examples.forwarder.handler", Timeout=10)
        sim.run(until=5)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"url": url, "body": "hi"}))
        sim.run(until=60)
        messages = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp"])["Messages"]
    assert [m["Body"] for m in messages] == ["hi"]
    sent_s = int(messages[0]["Attributes"]["SentTimestamp"]) / 1000 - sim.start.timestamp()
    assert 5 <= sent_s < 60  # sent while the handler ran, on the simulated clock


def test_backoff_inside_a_handler_is_refused_with_the_remedy() -> None:
    sim = ls.Simulation(seed=1)
    mock = mock_aws(sim)
    sim.running = True
    try:
        with pytest.raises(RuntimeError, match=r"from inside the simulation.*max_attempts"):
            mock.sleep(1.0)
    finally:
        sim.running = False


# -- the native door ------------------------------------------------------------------------------------------------


def test_native_clients_carry_botocores_service_model_and_build_resources() -> None:
    sim = ls.Simulation(seed=1)
    for name in ("lambda", "sqs", "sns", "events", "s3", "cloudwatch"):
        client = sim.client(name)
        assert client.meta.service_model.service_name == name
        assert client.meta.region_name == "us-east-1"
    sqs = ls.resource(sim, "sqs")
    queue = sqs.create_queue(QueueName="native")
    queue.send_message(MessageBody="x")
    assert queue.meta.client is sim.client("sqs")
    assert [m.body for m in queue.receive_messages()] == ["x"]
    with pytest.raises(ValueError, match="boto3 has no resource model for 'lambda'"):
        ls.resource(sim, "lambda")


def test_every_service_answers_in_botocores_output_shapes() -> None:
    """S3 (a streaming body, timestamps), SQS, SNS, EventBridge, CloudWatch: each answer passes botocore's own
    response validation, and timestamps are ``datetime`` in dateutil's ``tzutc`` as botocore's parser gives them."""
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        s3, sqs, sns = boto3.client("s3"), boto3.client("sqs"), boto3.client("sns")
        events, cloudwatch = boto3.client("events"), boto3.client("cloudwatch")
        s3.create_bucket(Bucket="my-bucket")
        conforms(s3, "PutObject", s3.put_object(Bucket="my-bucket", Key="k", Body=b"abc"))
        got = s3.get_object(Bucket="my-bucket", Key="k")
        assert isinstance(got["Body"], botocore.response.StreamingBody) and got["Body"].read() == b"abc"
        listed = s3.list_objects_v2(Bucket="my-bucket")
        conforms(s3, "ListObjectsV2", listed)
        for moment in (got["LastModified"], listed["Contents"][0]["LastModified"]):
            assert isinstance(moment.tzinfo, tzutc) and moment == sim.start
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        conforms(sqs, "SendMessage", sqs.send_message(QueueUrl=url, MessageBody="x"))
        received = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])
        conforms(sqs, "ReceiveMessage", received)
        topic = sns.create_topic(Name="t")["TopicArn"]
        conforms(sns, "Publish", sns.publish(TopicArn=topic, Message="m"))
        conforms(sns, "ListTopics", sns.list_topics())
        entry = {"Source": "shop", "DetailType": "order", "Detail": "{}"}
        conforms(events, "PutEvents", events.put_events(Entries=[entry]))
        window = {"StartTime": sim.start, "EndTime": sim.start + datetime.timedelta(hours=1), "Period": 60}
        stats = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Invocations", Statistics=["Sum"], **window
        )
        conforms(cloudwatch, "GetMetricStatistics", stats)


def test_no_parameter_of_botocores_model_is_unknown_to_lambdasim() -> None:
    """For every operation the native clients implement, lambdasim's request shapes know every member botocore's
    model has: a parameter botocore accepts is never answered with "Unknown parameter" (it is simulated, or
    accepted as AWS accepts it)."""
    sim = ls.Simulation(seed=1)
    session = botocore.session.get_session()
    checked = 0
    for service, package in [("lambda", "lambda_"), ("sqs", "sqs"), ("sns", "sns"), ("events", "events"),
                             ("s3", "s3"), ("cloudwatch", "cloudwatch")]:  # fmt: skip
        shapes = importlib.import_module(f"lambdasim.aws.{package}._shapes")
        model = session.get_service_model(service)
        client = sim.client(service)
        for operation, (input_shape, _, _) in shapes.OPERATIONS.items():
            if input_shape is None or not hasattr(client, botocore.xform_name(operation)):
                continue
            theirs = set(model.operation_model(operation).input_shape.members)
            assert theirs <= set(shapes.SHAPES[input_shape]["members"]), (service, operation)
            checked += 1
    assert checked >= 80


WITHOUT_BOTO = """
import importlib.abc, json, sys

class NoBoto(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("botocore", "boto3"):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, NoBoto())
import lambdasim as ls
out = {}
for what, attempt in [("mock_aws", lambda: ls.mock_aws), ("resource", lambda: ls.resource(sim, "sqs")),
                      ("service_model", lambda: sim.client("sqs").meta.service_model)]:
    sim = ls.Simulation(seed=1)
    try:
        attempt()
    except ImportError as exc:
        out[what] = str(exc)
print(json.dumps(out))
"""


def test_without_boto3_each_door_names_the_extra_to_install() -> None:
    root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTO], capture_output=True, text=True, cwd=root, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"mock_aws", "resource", "service_model"}
    for message in out.values():
        assert "pip install 'lambdasim[boto3]'" in message
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, lambdasim; print('boto3' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        check=True,
    )
    assert loaded.stdout.strip() == "False"  # import lambdasim does not import boto3


def test_the_adaptive_modes_token_bucket_waits_on_the_simulated_clock() -> None:
    """After throttles, botocore's adaptive mode lowers its send rate and its token bucket makes an attempt wait for
    a token: gaps between attempts longer than the backoff alone could be, all in simulated time."""
    sim = ls.Simulation(seed=3)
    wall = time.perf_counter()
    with mock_aws(sim):
        lam = boto3.client("lambda", config=Config(retries={"mode": "adaptive", "max_attempts": 10}))
        create(lam)
        lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=0)
        times: list[float] = []
        lam.meta.events.register("before-send.lambda.Invoke", lambda **_: times.append(sim.now))
        with pytest.raises(lam.exceptions.TooManyRequestsException):
            lam.invoke(FunctionName="f", Payload=b"{}")
    assert time.perf_counter() - wall < 5
    assert len(times) == 11
    caps = [min(20, 2**attempt) for attempt in range(10)]  # standard backoff's cap after attempt n + 1
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert any(gap > cap for gap, cap in zip(gaps, caps, strict=True))  # a token was waited for
    assert sim.now == times[-1]


def test_time_sleep_opt_in_waits_the_programs_sleeps_on_the_simulated_clock() -> None:
    """A program that sleeps to let an asynchronous invoke happen sees it done, without waiting; only with
    ``time_sleep=True``, only in the thread that entered, and the real ``time.sleep`` is back after."""
    real_sleep = time.sleep
    sim = ls.Simulation(seed=1)
    with mock_aws(sim, time_sleep=True):
        lam, sqs = boto3.client("lambda"), boto3.client("sqs")
        url = sqs.create_queue(QueueName="out")["QueueUrl"]
        create(lam, handler="tests.sdk_examples.forwarder.handler", Timeout=10)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"url": url, "body": "hi"}))
        wall = time.perf_counter()
        time.sleep(30)  # the program's own wait
        assert time.perf_counter() - wall < 5
        assert sim.now == 30.0
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hi"]
        with pytest.raises(ValueError, match="non-negative"):
            time.sleep(-1)
        other_thread = threading.Thread(target=time.sleep, args=(0.01,))
        other_thread.start()
        other_thread.join()
        assert sim.now == 30.0  # another thread's sleep is the wall clock's
    assert time.sleep is real_sleep
    with mock_aws(sim):
        assert time.sleep is real_sleep  # off by default
    with pytest.raises(TypeError, match="time_sleep must be True or False"):
        mock_aws(sim, time_sleep=1)  # type: ignore[arg-type]


def test_a_logs_client_made_under_mock_aws_keeps_the_logs_of_later_invokes() -> None:
    """Functions' logs are kept from the moment a logs client exists: a boto3 logs client counts, even before its
    first call."""
    sim = ls.Simulation(seed=1)
    sim.client("lambda").create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/r",
        Handler=lambda event, context: print("hello from f"),
    )
    with mock_aws(sim):
        logs = boto3.client("logs")
        boto3.client("lambda").invoke(FunctionName="f", Payload=b"{}")
        events = logs.filter_log_events(logGroupName="/aws/lambda/f")["events"]
    messages = [e["message"] for e in events]
    assert any("hello from f" in m for m in messages), messages
    assert messages[0].startswith("START RequestId: ")


def test_iam_s3_dynamodb_and_its_streams_answer_as_botocore_parses_them() -> None:
    """IAM's policy documents come back as dicts (botocore's after-call handler decodes the URL-encoded JSON AWS
    sends, so the mock answers in that wire form); S3's bucket location; DynamoDB through boto3's resource (its
    type serializer) with an arithmetic update, and the table's stream read back: each answer passes botocore's
    output validation."""
    sim = ls.Simulation(seed=1)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    with mock_aws(sim):
        iam = boto3.client("iam")
        created = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(trust))
        assert created["Role"]["AssumeRolePolicyDocument"] == trust
        iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=json.dumps(inline))
        assert iam.get_role_policy(RoleName="worker", PolicyName="p")["PolicyDocument"] == inline
        assert [r["AssumeRolePolicyDocument"] for r in iam.list_roles()["Roles"]] == [trust]
        assert boto3.resource("iam").Role("worker").assume_role_policy_document == trust

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="my-bucket")
        location = s3.get_bucket_location(Bucket="my-bucket")
        assert location["LocationConstraint"] is None  # us-east-1: boto3 reads S3's empty element as None

        orders = boto3.resource("dynamodb").create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        orders.put_item(Item={"id": "a", "n": 1})
        orders.update_item(Key={"id": "a"}, UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": 2})
        assert orders.get_item(Key={"id": "a"})["Item"] == {"id": "a", "n": 3}
        streams = boto3.client("dynamodbstreams")
        arn = streams.list_streams(TableName="orders")["Streams"][0]["StreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        page = streams.get_records(ShardIterator=it["ShardIterator"])
        conforms(streams, "GetRecords", page)
        assert [r["dynamodb"]["NewImage"]["n"] for r in page["Records"]] == [{"N": "1"}, {"N": "3"}]
        assert isinstance(page["Records"][0]["dynamodb"]["ApproximateCreationDateTime"].tzinfo, tzutc)


def test_boto3s_upload_file_and_download_file_of_a_large_file(tmp_path: Path) -> None:
    """s3transfer sends a file above its 8 MB threshold in parts from a pool of threads, and reads a large object back
    in byte ranges from threads: answered one call at a time, the file comes back whole, the object has S3's
    multipart ETag, and the run's outcome is the same whatever order the threads called in."""
    data = bytes(range(256)) * (9 * 1024 * 4)  # 9 MiB
    source, copy = tmp_path / "in.bin", tmp_path / "out.bin"
    source.write_bytes(data)
    sim = ls.Simulation(seed=1)
    with mock_aws(sim):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="media")
        s3.upload_file(str(source), "media", "big.bin")
        head = s3.head_object(Bucket="media", Key="big.bin")
        assert head["ContentLength"] == len(data) and head["ETag"].endswith('-2"')  # 8 MiB + 1 MiB
        s3.download_file("media", "big.bin", str(copy))
    assert copy.read_bytes() == data
