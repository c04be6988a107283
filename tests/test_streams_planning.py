"""The Pythonic door to streams: Stream, StreamEventSourceMapping and PutRecords in a Model, sweeps over shards,
batch size and parallelization factor, scenario files and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.planning.experiment import Metrics, sweep
from lambdasim.planning.model import Function, Model
from lambdasim.planning.scenario import ScenarioError, loads
from lambdasim.planning.sources import Queue


def poison_handler(event: dict[str, Any], context: Any) -> None:
    import base64

    for r in event["Records"]:
        data = r["kinesis"]["data"] if "kinesis" in r else None
        if data is not None and json.loads(base64.b64decode(data)).get("poison"):
            raise ValueError("poison record")


def model(**mapping: Any) -> Model:
    return Model(
        functions=[Function(name="worker", behaviour=ls.Behaviour(duration=0.5), timeout_s=30)],
        queues=[Queue(name="failed")],
        streams=[ls.Stream(name="clicks", shards=2)],
        event_source_mappings=[
            ls.StreamEventSourceMapping(stream="clicks", function="worker", starting_position="TRIM_HORIZON", **mapping)
        ],
        workloads=[ls.PutRecords(stream="clicks", rate=50.0, stop_s=60, keys=20)],
        horizon_s=120,
    )


def test_every_record_put_is_processed_and_billed() -> None:
    results = model(batch_size=20).run(seed=3)
    stream = results.streams["clicks"]
    (mapping,) = results.stream_mappings.values()
    assert stream["records_put"] == mapping["processed"] == mapping["taken"] > 2000
    assert stream["cost"] == pytest.approx(2 * 120 / 3600 * 0.015 + stream["put_units"] * 0.014 / 1e6)
    measures = Metrics()(results)
    assert measures["stream.clicks.processed"] == stream["records_put"]
    assert measures["stream.clicks.pending"] == 0.0
    assert measures["cost"] >= stream["cost"]
    assert model(batch_size=20).run(seed=3).stream_mappings[next(iter(results.stream_mappings))] == mapping


def test_a_poison_record_with_limited_retries_goes_to_the_on_failure_queue() -> None:
    m = Model(
        functions=[Function(name="worker", behaviour=poison_handler, timeout_s=30)],
        queues=[Queue(name="failed")],
        streams=[ls.Stream(name="clicks", shards=1)],
        event_source_mappings=[
            ls.StreamEventSourceMapping(
                stream="clicks",
                function="worker",
                starting_position="TRIM_HORIZON",
                batch_size=16,
                maximum_retry_attempts=1,
                bisect_batch_on_function_error=True,
                on_failure="failed",
            )
        ],
        workloads=[ls.PutRecords(stream="clicks", rate=20.0, stop_s=30, poison=[5])],
        horizon_s=120,
    )
    results = m.run(seed=1)
    (mapping,) = results.stream_mappings.values()
    assert mapping["discarded"] == mapping["sent_on_failure"] == 1
    assert results.queues["failed"]["sent"] == 1
    assert mapping["processed"] == results.streams["clicks"]["records_put"] - 1


def test_hot_keys_land_on_one_shard() -> None:
    m = Model(
        functions=[Function(name="worker", behaviour=ls.Behaviour(duration=0.1), timeout_s=30)],
        streams=[ls.Stream(name="clicks", shards=4)],
        workloads=[ls.PutRecords(stream="clicks", rate=200.0, stop_s=10, keys=1000, hot_key_fraction=0.8)],
        horizon_s=10,
    )
    sim = m.build(seed=2)
    sim.run(until=10)
    stream = sim.services.kinesis.streams["clicks"]
    counts = sorted(s.written for s in stream.shards)
    total = sum(counts)
    hot = stream.shard_for("hot").written
    assert hot == counts[-1] and hot / total > 0.8  # the hot key's shard also gets its share of the others


def test_dynamodb_streams_on_the_pythonic_door() -> None:
    m = Model(
        functions=[Function(name="worker", behaviour=ls.Behaviour(duration=0.05), timeout_s=30)],
        streams=[ls.Stream(name="orders", source="dynamodb", shards=3, view_type="NEW_IMAGE")],
        event_source_mappings=[ls.StreamEventSourceMapping(stream="orders", function="worker", batch_size=10)],
        workloads=[ls.PutRecords(stream="orders", rate=30.0, stop_s=20, keys=5)],
        horizon_s=40,
    )
    results = m.run(seed=4)
    stream = results.streams["orders"]
    (mapping,) = results.stream_mappings.values()
    assert (stream["source"], stream["shards"], stream["cost"]) == ("dynamodb", 3, 0.0)
    assert stream["read_requests"] == 40 * 4 * 3  # four reads a second per shard, free for Lambda triggers
    assert mapping["processed"] == stream["records_put"] > 400


def test_sweeps_over_shards_batch_size_and_parallelization() -> None:
    base = model(batch_size=5)  # a lane does at most 5 / 0.5 = 10 records/s; the workload puts 50/s
    result = sweep(
        base,
        {
            "streams[clicks].shards": [1, 2],
            "event_source_mappings[clicks].parallelization_factor": [1, 3],
        },
        replications=1,
        seed=1,
        executor="serial",
    )
    assert "stream.clicks.iterator_age_max_s" in result.metrics
    ages = {
        (row["streams[clicks].shards"], row["event_source_mappings[clicks].parallelization_factor"]): row[
            "stream.clicks.iterator_age_mean_s"
        ]
        for row in result.rows
    }
    assert set(ages) == {(1, 1), (1, 3), (2, 1), (2, 3)}
    # Lanes in all (shards x factor) 1, 2, 3, 6 of 10 records/s each against 50/s: the fewer, the older.
    assert ages[(2, 3)] < ages[(1, 3)] < ages[(2, 1)] < ages[(1, 1)]
    pending = {
        (row["streams[clicks].shards"], row["event_source_mappings[clicks].parallelization_factor"]): row[
            "stream.clicks.pending"
        ]
        for row in result.rows
    }
    assert pending[(2, 3)] == 0 < pending[(1, 3)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"parallelization_factor": 11}, "parallelization_factor"),
        ({"maximum_record_age_s": 30}, r"maximum_record_age_s must be -1 \(no limit\) or an integer from 60"),
        ({"maximum_retry_attempts": -2}, "maximum_retry_attempts"),
        ({"tumbling_window_s": 901}, "tumbling_window_s"),
        ({"starting_position": "EARLIEST"}, "starting_position must be one of"),
        ({"starting_position": "AT_TIMESTAMP"}, "starting_position_timestamp is required"),
    ],
)
def test_bad_mappings_are_refused_by_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        ls.StreamEventSourceMapping(stream="clicks", function="worker", **kwargs)


def test_models_check_the_names_a_stream_mapping_uses() -> None:
    f = Function(name="worker", behaviour=ls.Behaviour(duration=0.1))
    with pytest.raises(ValueError, match="not among streams"):
        Model(functions=[f], event_source_mappings=[ls.StreamEventSourceMapping(stream="nope", function="worker")])
    with pytest.raises(ValueError, match="on_failure 'dlq' is not among queues"):
        Model(
            functions=[f],
            streams=[ls.Stream(name="clicks")],
            event_source_mappings=[ls.StreamEventSourceMapping(stream="clicks", function="worker", on_failure="dlq")],
        )
    assert ls.Stream(name="s").name == "s"  # Kinesis takes 1-character names
    with pytest.raises(ValueError, match="a dynamodb name has 3 to 255 characters, got 2"):
        ls.Stream(name="ab", source="dynamodb")
    with pytest.raises(ValueError, match="retention_hours must be 24"):
        ls.Stream(name="orders", source="dynamodb", retention_hours=48)
    with pytest.raises(ValueError, match="not among streams"):
        Model(functions=[f], workloads=[ls.PutRecords(stream="nope", rate=1.0, stop_s=1)])


SCENARIO = """
name = "clicks"
horizon_s = 120
[[functions]]
name = "worker"
behaviour = { duration = 0.5 }
[[queues]]
name = "failed"
[[streams]]
name = "clicks"
shards = 2
retention_hours = 48
[[event_source_mappings]]
stream = "clicks"
function = "worker"
starting_position = "TRIM_HORIZON"
batch_size = 50
on_failure = "failed"
[[workloads]]
type = "put_records"
stream = "clicks"
rate = 100
stop_s = 60
hot_key_fraction = 0.5
"""


def test_scenario_files_take_streams_and_stream_mappings() -> None:
    scenario = loads(SCENARIO, source="clicks.toml")
    results = scenario.run()
    (mapping,) = results.stream_mappings.values()
    assert mapping["processed"] == results.streams["clicks"]["records_put"] > 5000
    assert results.streams["clicks"]["retention_hours"] == 48
    with pytest.raises(ScenarioError, match=r"event_source_mappings\[0\]: matches none of the kinds"):
        loads(SCENARIO.replace('stream = "clicks"\nfunction', 'strem = "clicks"\nfunction', 1), source="bad.toml")
    with pytest.raises(ScenarioError, match=r"event_source_mappings\[0\]\.batch_size: must be in \[1, 10000\]"):
        loads(SCENARIO.replace("batch_size = 50", "batch_size = 0"), source="bad.toml")


def test_the_cli_runs_a_stream_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lambdasim.cli import main

    path = tmp_path / "clicks.toml"
    path.write_text(SCENARIO)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stream clicks (kinesis, 2 shards)" in out and "stream mapping clicks -> worker" in out
    path.write_text(SCENARIO.replace("shards = 2", "shards = 0"))
    assert main(["run", str(path)]) != 0
    assert "streams[0].shards" in capsys.readouterr().err


def test_kinesis_bills_shard_hours_put_units_extended_retention_and_on_demand() -> None:
    sim = ls.Simulation(seed=1)
    kin = sim.client("kinesis")
    kin.create_stream(StreamName="prov", ShardCount=2)
    kin.increase_stream_retention_period(StreamName="prov", RetentionPeriodHours=48)
    kin.create_stream(StreamName="ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    for data in (b"x" * 10, b"x" * 30_000):  # 1 and 2 PUT payload units; 1 and 30 KiB written
        kin.put_record(StreamName="prov", PartitionKey="k", Data=data)
        kin.put_record(StreamName="ondemand", PartitionKey="k", Data=data)
    results = sim.run(until=3600)
    prov, ondemand = results.streams["prov"], results.streams["ondemand"]
    assert prov["put_units"] == 3 and prov["shard_hours"] == 2.0
    assert prov["cost"] == pytest.approx(2 * 0.015 + 3 * 0.014 / 1e6 + 2 * 0.02)
    assert (ondemand["mode"], ondemand["shards"]) == ("ON_DEMAND", 4)
    assert ondemand["cost"] == pytest.approx(0.04 + (1 + 30) * 1024 / 1e9 * 0.08)
