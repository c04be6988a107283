"""CloudWatch Logs: the functions' log groups and streams on the simulated clock, and the logs client."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

import lambdasim as ls
from tests.helpers import zip_package

EPOCH_MS = 1767225600000  # 2026-01-01T00:00:00Z, the default start
GROUP = "/aws/lambda/f"
RID = "846b8ea5-0888-449c-8000-{:012d}"
STREAM = re.compile(r"^2026/01/01/\[(\$LATEST|\d+)\][0-9a-f]{32}$")

CODE = (
    "def handler(event, context):\n"
    "    print('processing', event['n'])\n"
    "    if event.get('fail'):\n"
    "        raise ValueError('bad event')\n"
    "    return event['n']\n"
)


def setup(**configure: Any) -> tuple[ls.Simulation, Any, Any]:
    sim = ls.Simulation(seed=1)
    logs = sim.client("logs")
    lam = sim.client("lambda")
    sim.configure_function("f", **(configure or {"duration": 0.25, "init_duration": 0.1}))
    lam.create_function(FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package({"index.py": CODE})})
    return sim, lam, logs


def events(logs: Any, **params: Any) -> list[tuple[int, str]]:
    found = logs.filter_log_events(logGroupName=GROUP, **params)["events"]
    return [(e["timestamp"] - EPOCH_MS, e["message"]) for e in found]


def report(n: int, ms: str, billed: int, init: str | None = None) -> str:
    line = (
        f"REPORT RequestId: {RID.format(n)}\tDuration: {ms} ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 128 MB\t"
    )
    return line + (f"Init Duration: {init} ms\t" if init else "") + "\n"


def test_start_end_report_and_printed_lines_at_their_simulated_times() -> None:
    sim, lam, logs = setup()
    lam.invoke(FunctionName="f", Payload=b'{"n": 1}')  # cold: 100 ms init, then 250 ms
    lam.invoke(FunctionName="f", Payload=b'{"n": 2}', InvocationType="Event")
    sim.run()
    assert events(logs) == [
        (100, f"START RequestId: {RID.format(1)} Version: $LATEST\n"),
        (100, "processing 1\n"),
        (350, f"END RequestId: {RID.format(1)}\n"),
        (350, report(1, "250.00", 250, "100.00")),
        (350, f"START RequestId: {RID.format(2)} Version: $LATEST\n"),
        (350, "processing 2\n"),
        (600, f"END RequestId: {RID.format(2)}\n"),
        (600, report(2, "250.00", 250)),
    ]
    (stream,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]  # one environment, one stream
    assert STREAM.match(stream["logStreamName"])
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (EPOCH_MS + 100, EPOCH_MS + 600)
    assert stream["creationTime"] == EPOCH_MS  # when the environment started


def test_an_error_is_logged_as_the_runtime_prints_it() -> None:
    _sim, lam, logs = setup()
    lam.invoke(FunctionName="f", Payload=b'{"n": 3, "fail": true}')
    record = [m for _, m in events(logs) if m.startswith("[ERROR]")]
    assert record == [
        "[ERROR] ValueError: bad event\nTraceback (most recent call last):\n"
        '\u00a0\u00a0File "/var/task/index.py", line 4, in handler\n'
        "\u00a0\u00a0\u00a0\u00a0raise ValueError('bad event')\n"
    ]


def test_log_result_is_the_tail_of_the_same_lines() -> None:
    _, lam, logs = setup()
    out = lam.invoke(FunctionName="f", Payload=b'{"n": 1}', LogType="Tail")
    assert base64.b64decode(out["LogResult"]).decode() == "".join(m for _, m in events(logs))
    code = "def handler(e, c):\n    print('x' * 3000)\n    print('y' * 3000)\n"
    lam.update_function_code(FunctionName="f", ZipFile=zip_package({"index.py": code}))
    out = lam.invoke(FunctionName="f", LogType="Tail")
    everything = "".join(m for _, m in events(logs))
    text = everything[everything.index(f"START RequestId: {RID.format(2)}") :]
    assert base64.b64decode(out["LogResult"]) == text.encode()[-4096:]


def test_one_stream_per_execution_environment() -> None:
    sim, lam, logs = setup()
    for n in range(3):  # three at once: three environments
        lam.invoke(FunctionName="f", Payload=json.dumps({"n": n}), InvocationType="Event")
    sim.run()
    lam.invoke(FunctionName="f", Payload=b'{"n": 9}')  # warm: continues one of the three streams
    streams = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert len(streams) == 3
    starts = {s["logStreamName"]: len(events(logs, logStreamNames=[s["logStreamName"]])) for s in streams}
    assert sorted(starts.values()) == [4, 4, 8]
    sim.run(until=sim.now + 3600)  # idle past the idle timeout: the environments are gone
    lam.invoke(FunctionName="f", Payload=b'{"n": 10}')
    assert len(logs.describe_log_streams(logGroupName=GROUP)["logStreams"]) == 4
    latest = logs.describe_log_streams(logGroupName=GROUP, orderBy="LastEventTime", descending=True, limit=1)
    name = latest["logStreams"][0]["logStreamName"]
    assert [m for _, m in events(logs, logStreamNames=[name])][1] == "processing 10\n"


def test_a_published_version_logs_under_its_number() -> None:
    _, lam, logs = setup()
    lam.publish_version(FunctionName="f")
    lam.invoke(FunctionName="f", Qualifier="1", Payload=b'{"n": 1}')
    (stream,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert "/[1]" in stream["logStreamName"] and STREAM.match(stream["logStreamName"])
    assert events(logs)[0][1] == f"START RequestId: {RID.format(1)} Version: 1\n"


def test_an_async_def_handler_is_logged_with_its_awaited_duration() -> None:
    sim = ls.Simulation(seed=1)
    logs, lam = sim.client("logs"), sim.client("lambda")
    code = (
        "async def handler(event, context):\n    print('before')\n    await context.sleep(2)\n"
        "    print('after', end='')\n    print(' sleeping')\n    await context.sleep(0.5)\n    raise KeyError('k')\n"
    )
    lam.create_function(FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package({"index.py": code})})
    sim.configure_function("f", init_duration=0.3)
    lam.invoke(FunctionName="f")
    got = events(logs)
    assert [t for t, _ in got] == [300, 300, 2300, 2800, 2800, 2800]  # each line when it was printed
    assert [m for _, m in got][1:3] == ["before\n", "after sleeping\n"]
    assert got[3][1].startswith("[ERROR] KeyError: 'k'\nTraceback (most recent call last):\n")
    assert got[5][1] == report(1, "2500.00", 2500, "300.00")


def test_filter_patterns_and_times() -> None:
    _sim, lam, logs = setup()
    lam.invoke(FunctionName="f", Payload=b'{"n": 1}')
    lam.invoke(FunctionName="f", Payload=b'{"n": 2, "fail": true}')
    assert [m for _, m in events(logs, filterPattern="processing")] == ["processing 1\n", "processing 2\n"]
    assert [m for _, m in events(logs, filterPattern='"processing 2"')] == ["processing 2\n"]
    assert len(events(logs, filterPattern="REPORT -Init")) == 1
    assert len(events(logs, filterPattern="?ERROR ?Init")) == 2  # the [ERROR] record and the cold REPORT
    assert events(logs, filterPattern="error") == []  # case-sensitive
    # END and REPORT of the first, START and printed line of the second; not its [ERROR] and END at 600 (exclusive).
    assert [t for t, _ in events(logs, startTime=EPOCH_MS + 350, endTime=EPOCH_MS + 600)] == [350] * 4
    with pytest.raises(logs.exceptions.InvalidParameterException, match="not simulated by lambdasim"):
        logs.filter_log_events(logGroupName=GROUP, filterPattern='{ $.level = "ERROR" }')
    page = logs.filter_log_events(logGroupName=GROUP, limit=3)
    rest = logs.filter_log_events(logGroupName=GROUP, nextToken=page["nextToken"])
    assert len(page["events"]) == 3 and len(page["events"] + rest["events"]) == len(events(logs))
    paged = [e for p in logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP) for e in p["events"]]
    assert len(paged) == len(events(logs))


def test_get_log_events_reads_from_the_tail_or_the_head_with_tokens() -> None:
    _, lam, logs = setup()
    for n in range(3):
        lam.invoke(FunctionName="f", Payload=json.dumps({"n": n}))
    (stream,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    name = stream["logStreamName"]
    tail = logs.get_log_events(logGroupName=GROUP, logStreamName=name, limit=4)
    assert [e["message"] for e in tail["events"]][1] == "processing 2\n"
    back = logs.get_log_events(logGroupName=GROUP, logStreamName=name, limit=4, nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]][1] == "processing 1\n"
    head = logs.get_log_events(logGroupName=GROUP, logStreamName=name, startFromHead=True, limit=4)
    assert head["events"][1]["message"] == "processing 0\n"
    end = logs.get_log_events(logGroupName=GROUP, logStreamName=name, nextToken=tail["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match=r"The specified log stream does not exist\."):
        logs.get_log_events(logGroupName=GROUP, logStreamName="nope")


def test_nothing_is_logged_before_a_logs_client_exists_and_logging_does_not_change_the_run() -> None:
    def run(with_logs: bool) -> dict[str, Any]:
        sim = ls.Simulation(seed=5)
        if with_logs:
            sim.client("logs")
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.3, error_rate=0.3))
        for n in range(50):
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=json.dumps({"n": n}))
        return sim.run().to_dict()

    assert run(True) == run(False)
    sim = ls.Simulation(seed=1)
    assert sim.engine.attempt_logger is None  # no hook on the engine's path at all
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f")
    lam.invoke(FunctionName="f")
    logs = sim.client("logs")
    assert logs.describe_log_groups()["logGroups"] == []
    lam.invoke(FunctionName="f")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == [GROUP]


def test_log_groups_their_errors_retention_and_bound() -> None:
    sim, lam, logs = setup()
    logs.create_log_group(logGroupName="/app/other")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName="/app/other")
    lam.invoke(FunctionName="f", Payload=b'{"n": 1}')
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert [(g["logGroupName"], g["arn"]) for g in groups] == [
        (GROUP, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*")
    ]
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern="OTHER")["logGroups"]] == [
        "/app/other"
    ]
    with pytest.raises(logs.exceptions.InvalidParameterException, match="Member must satisfy enum value set: \\[1, 3"):
        logs.put_retention_policy(logGroupName=GROUP, retentionInDays=2)
    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=1)
    assert logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["retentionInDays"] == 1
    sim.run(until=86_400.5)
    lam.invoke(FunctionName="f", Payload=b'{"n": 2}')
    assert [m for _, m in events(logs, filterPattern="processing")] == ["processing 2\n"]  # a day later: expired
    logs.delete_log_group(logGroupName=GROUP)
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match=r"The specified log group does not exist\."):
        logs.delete_log_group(logGroupName=GROUP)
    sim.services.logs.max_events_per_group = 6
    lam.invoke(FunctionName="f", Payload=b'{"n": 3}')  # the group is created again, bounded
    lam.invoke(FunctionName="f", Payload=b'{"n": 4}')
    assert [m for _, m in events(logs, filterPattern="processing")] == ["processing 4\n"]


def test_describe_log_groups_filters_and_create_options() -> None:
    sim = ls.Simulation(seed=1)
    logs = sim.client("logs")
    logs.create_log_group(
        logGroupName="/a", logGroupClass="INFREQUENT_ACCESS", kmsKeyId="arn:aws:kms:us-east-1:1:key/k"
    )
    logs.create_log_group(logGroupName="/b")
    groups = logs.describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g["logGroupClass"], g.get("kmsKeyId")) for g in groups] == [
        ("/a", "INFREQUENT_ACCESS", "arn:aws:kms:us-east-1:1:key/k"),
        ("/b", "STANDARD", None),
    ]
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupClass="STANDARD")["logGroups"]] == ["/b"]
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/b"
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupIdentifiers=["/a", arn])["logGroups"]] == [
        "/a",
        "/b",
    ]
    assert logs.describe_log_groups(accountIdentifiers=["111122223333"])["logGroups"] == []
    assert len(logs.describe_log_groups(accountIdentifiers=["123456789012"])["logGroups"]) == 2
    with pytest.raises(logs.exceptions.InvalidParameterException, match="not simulated by lambdasim"):
        logs.create_log_group(logGroupName="/c", deletionProtectionEnabled=True)
    with pytest.raises(logs.exceptions.InvalidParameterException, match="mutually exclusive"):
        logs.describe_log_groups(logGroupNamePrefix="/", logGroupNamePattern="a")


@pytest.mark.parametrize("kind", ["plain", "async"])
def test_context_log_stream_name_is_the_environments_stream_while_logs_are_kept(kind: str) -> None:
    """The name a handler reads is the stream its lines go to: one per execution environment, the same for a warm
    invoke; without a logs client, the name keeps its form of before (no stream is written)."""
    if kind == "plain":

        def handler(event: Any, context: Any) -> str:
            return str(context.log_stream_name)

    else:

        async def handler(event: Any, context: Any) -> str:  # type: ignore[misc]
            await context.sleep(0.1)
            return str(context.log_stream_name)

    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/r", Handler=handler
    )
    before = json.loads(lam.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
    assert before.startswith("f/[$LATEST]")
    logs = sim.client("logs")
    names = [json.loads(lam.invoke(FunctionName="f", Payload=b"{}")["Payload"].read()) for _ in range(2)]
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/f")["logStreams"]]
    assert names[0] == names[1] == streams[0] and len(streams) == 1  # the warm environment's own stream
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", names[0])
