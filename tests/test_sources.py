"""Queues, event source mappings and buckets on the Pythonic door: building, validation, the workloads that feed
them, the figures in Results and Metrics (with the SQS request cost), sweeps and determinism."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.planning.experiment import Metrics, set_path
from lambdasim.planning.model import Function, Model
from lambdasim.planning.sources import Bucket, EventSourceMapping, Notification, PutObjects, Queue, SendMessages
from lambdasim.planning.workload import Piecewise


def worker(**kw: Any) -> Function:
    return Function(name="worker", behaviour=ls.Behaviour(duration=0.5), timeout_s=10, **kw)


def queued(**mapping: Any) -> Model:
    return Model(
        functions=[worker()],
        queues=[Queue(name="jobs", visibility_timeout_s=60, max_receive_count=2)],
        event_source_mappings=[EventSourceMapping(queue="jobs", function="worker", **mapping)],
        workloads=[SendMessages(queue="jobs", rate=10.0, stop_s=120)],
    )


def test_messages_flow_through_the_mapping_and_the_figures_add_up() -> None:
    results = queued(batch_size=5).run(seed=3)
    jobs = results.queues["jobs"]
    assert jobs["sent"] > 1000
    assert jobs["deleted"] == jobs["sent"] and jobs["moved_to_dead_letter"] == 0
    assert jobs["receives_per_message"]["max"] == 1
    assert 0.5 <= jobs["dwell_s"]["mean"] < 1.0  # the invoke's 0.5 s plus the wait for a free poller
    assert results.queues["jobs-dlq"]["sent"] == 0
    (mapping,) = results.event_source_mappings.values()
    assert mapping["queue"] == "jobs" and mapping["deleted"] == jobs["sent"]
    assert results.stats("worker").invocations == mapping["batches"]
    assert jobs["requests"] == jobs["sent"] + mapping["receive_requests"] + mapping["delete_requests"]
    assert jobs["request_cost"] == pytest.approx(jobs["requests"] * 0.40 / 1e6)
    json.dumps(results.to_dict())


def test_same_seed_same_results_and_the_arrivals_do_not_depend_on_the_mapping() -> None:
    a = queued(batch_size=5).run(seed=9).to_dict()
    b = queued(batch_size=5).run(seed=9).to_dict()
    assert a == b
    c = queued(batch_size=2).run(seed=9)
    assert c.queues["jobs"]["sent"] == a["queues"]["jobs"]["sent"]  # common random numbers: same messages


def test_failures_go_to_the_dead_letter_queue() -> None:
    def fails(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("no")

    model = Model(
        functions=[Function(name="worker", behaviour=fails, duration=0.1, timeout_s=5)],
        queues=[Queue(name="jobs", visibility_timeout_s=5, max_receive_count=2)],
        event_source_mappings=[EventSourceMapping(queue="jobs", function="worker", batch_size=1)],
        workloads=[SendMessages(queue="jobs", rate=1.0, stop_s=30)],
    )
    results = model.run(seed=1)
    jobs = results.queues["jobs"]
    assert jobs["moved_to_dead_letter"] == jobs["sent"] > 10
    assert results.queues["jobs-dlq"]["visible"] == jobs["sent"]
    figures = Metrics()(results)
    assert figures["queue.jobs.moved_to_dead_letter"] == jobs["sent"]
    assert figures["errors"] == 2 * jobs["sent"]  # received twice, failed twice, then moved


def test_metrics_include_the_queues_and_their_request_cost() -> None:
    results = queued().run(seed=2)
    figures = Metrics()(results)
    assert figures["queue.jobs.sent"] == results.queues["jobs"]["sent"]
    assert figures["queue.jobs.dwell_p99_s"] >= figures["queue.jobs.dwell_p50_s"] > 0
    without = Metrics(queues=False)(results)
    assert "queue.jobs.sent" not in without
    assert figures["cost"] == pytest.approx(
        without["cost"] + figures["queue.jobs.request_cost"] + figures["queue.jobs-dlq.request_cost"]
    )
    assert math.isnan(
        Metrics()(Model(functions=[worker()], queues=[Queue(name="idle")]).run(seed=1))["queue.idle.dwell_mean_s"]
    )


def test_sweep_paths_name_a_mapping_by_its_queue() -> None:
    model = queued()
    assert set_path(model, "event_source_mappings[jobs].batch_size", 3).event_source_mappings[0].batch_size == 3
    with pytest.raises(ValueError, match="batching_window_s >= 1"):
        set_path(model, "event_source_mappings[jobs].batch_size", 50)


def test_s3_notifications_invoke_the_function_for_every_object() -> None:
    model = Model(
        functions=[worker()],
        buckets=[Bucket(name="uploads", notifications=[Notification(function="worker", prefix="in/")])],
        workloads=[
            PutObjects(bucket="uploads", rate=Piecewise(times_s=[0, 10], rates_per_s=[5, 0]), stop_s=20, prefix="in/")
        ],
    )
    results = model.run(seed=4)
    put = results.stats("worker").received
    assert 20 < put < 90
    assert results.outcomes("worker")["Success"] == put


def test_s3_to_queue_to_function() -> None:
    model = Model(
        functions=[worker()],
        queues=[Queue(name="events", visibility_timeout_s=30)],
        event_source_mappings=[EventSourceMapping(queue="events", function="worker", batch_size=10)],
        buckets=[Bucket(name="uploads", notifications=[Notification(queue="events")])],
        workloads=[PutObjects(bucket="uploads", rate=2.0, stop_s=30)],
    )
    results = model.run(seed=5)
    events = results.queues["events"]
    assert events["sent"] == events["deleted"] > 30  # the test event too: S3 sends one when the queue is configured


def test_fifo_queue_groups() -> None:
    model = Model(
        functions=[worker()],
        queues=[Queue(name="orders.fifo", visibility_timeout_s=30)],
        event_source_mappings=[EventSourceMapping(queue="orders.fifo", function="worker", batch_size=10)],
        workloads=[SendMessages(queue="orders.fifo", rate=20.0, stop_s=20, groups=4)],
    )
    results = model.run(seed=6)
    q = results.queues["orders.fifo"]
    assert q["deleted"] == q["sent"] and q["fifo"]
    assert results.stats("worker").concurrency.max <= 4  # a group is in one batch at a time


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: EventSourceMapping(queue="q", function="f", batch_size=11), "batching_window_s >= 1"),
        (lambda: EventSourceMapping(queue="q.fifo", function="f", batch_size=11, batching_window_s=1), "1 to 10"),
        (lambda: EventSourceMapping(queue="q", function="f", maximum_concurrency=1), "maximum_concurrency"),
        (lambda: Queue(name="bad name"), "letters, digits"),
        (lambda: Queue(name="q", visibility_timeout_s=-1), "visibility_timeout_s"),
        (lambda: Queue(name="q", content_based_deduplication=True), "FIFO"),
        (lambda: Notification(function="f", queue="q"), "exactly one"),
        (lambda: Notification(function="f", events=["s3:Nope"]), "events must be among"),
        (lambda: SendMessages(queue="q", rate=0, stop_s=1), "rate must be > 0"),
        (lambda: SendMessages(queue="q", rate=lambda t: 1.0, stop_s=1), "max_rate_per_s"),
        (lambda: Bucket(name="Upper"), "bucket name"),
    ],
)
def test_bad_configuration_is_refused_where_it_is_written(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_model_checks_the_names_and_the_visibility_timeout() -> None:
    q = Queue(name="jobs")
    with pytest.raises(ValueError, match="not among queues"):
        Model(functions=[worker()], event_source_mappings=[EventSourceMapping(queue="nope", function="worker")])
    with pytest.raises(ValueError, match="not among functions"):
        Model(functions=[worker()], queues=[q], event_source_mappings=[EventSourceMapping(queue="jobs", function="x")])
    with pytest.raises(ValueError, match=r"visibility_timeout_s \(5\) must be >= function 'worker'"):
        Model(
            functions=[worker()],
            queues=[Queue(name="jobs", visibility_timeout_s=5)],
            event_source_mappings=[EventSourceMapping(queue="jobs", function="worker")],
        )
    with pytest.raises(ValueError, match="sends to queue"):
        Model(functions=[worker()], workloads=[SendMessages(queue="jobs", rate=1, stop_s=1)])
    with pytest.raises(ValueError, match="puts into bucket"):
        Model(functions=[worker()], workloads=[PutObjects(bucket="bkt", rate=1, stop_s=1)])
    with pytest.raises(ValueError, match="unique names"):
        Model(functions=[worker()], queues=[Queue(name="a", max_receive_count=1), Queue(name="a-dlq")])
    with pytest.raises(TypeError, match="queues must hold"):
        Model(functions=[worker()], queues=["jobs"])


SCENARIO = """
name = "queued"
seed = 3
horizon_s = 300

[[functions]]
name = "worker"
timeout_s = 10
behaviour = { duration = 0.5 }

[[queues]]
name = "jobs"
visibility_timeout_s = 60
max_receive_count = 3

[[event_source_mappings]]
queue = "jobs"
function = "worker"
batch_size = 5
maximum_concurrency = 10

[[buckets]]
name = "uploads"
notifications = [{ queue = "jobs", prefix = "in/" }]

[[workloads]]
type = "send_messages"
queue = "jobs"
rate = { spike = { at_s = 60, duration_s = 30, extra_per_s = 50 } }
stop_s = 200

[[workloads]]
type = "put_objects"
bucket = "uploads"
rate = 1
prefix = "in/"
stop_s = 100
"""


def test_a_scenario_file_takes_queues_mappings_buckets_and_their_workloads() -> None:
    from lambdasim.planning.scenario import loads

    scenario = loads(SCENARIO)
    assert scenario.model.event_source_mappings[0].maximum_concurrency == 10
    results = scenario.run()
    jobs = results.queues["jobs"]
    assert jobs["sent"] == jobs["deleted"] > 1000
    assert "queue jobs" in results.summary() and "event source mapping jobs -> worker" in results.summary()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("batch_size = 5", "batch_size = 50"), "batching_window_s >= 1"),
        (("visibility_timeout_s = 60", "visibility_timeout_s = 5"), "visibility_timeout_s (5) must be >="),
        (('type = "send_messages"', 'type = "send_message"'), "did you mean"),
        (('queue = "jobs", prefix', 'queue = "nope", prefix'), "notifies queue 'nope'"),
    ],
)
def test_scenario_errors_name_the_field(edit: tuple[str, str], message: str) -> None:
    from lambdasim.planning.scenario import ScenarioError, loads

    with pytest.raises(ScenarioError, match=re.escape(message)):
        loads(SCENARIO.replace(*edit), source="s.toml")
