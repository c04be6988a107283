"""Scenario files: TOML mapped onto the Python API's frozen configuration, and errors that name file and field."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from lambdasim.core.faults import FaultSchedule, Outage, Phase
from lambdasim.experiment import replicate
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.planning.scenario import DEFAULT_SEED, Scenario, ScenarioError, kinds, load, loads
from lambdasim.workload import Burst, DailyCycle, Piecewise, Poisson, Spike, Sum, VaryingPoisson

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failed"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"

FULL = f"""
name = "orders at lunch"
description = "a bit of everything"
seed = 5
replications = 3
horizon_s = 900
concurrency_limit = 500
start = "2026-01-05T11:30:00Z"

[settings]
retry_delays_s = [30, 90]
throttle_backoff_jitter = 0.5

[[functions]]
name = "orders"
timeout_s = 30
memory_mb = 512
architecture = "arm64"
reserved_concurrency = 5
dead_letter_arn = "{DLQ}"
behaviour = {{ duration = {{ lognormal = {{ median = 0.2, spread = 1.5 }} }}, error_rate = 0.1 }}
event_invoke = {{ maximum_retry_attempts = 1, maximum_event_age_s = 600, on_failure = "{QUEUE}" }}

[[functions]]
name = "audit"
duration = {{ exponential = {{ mean_s = 0.05 }} }}
init_duration = 0.3

[[workloads]]
type = "poisson"
function = "orders"
rate_per_s = 10
stop_s = 600

[[workloads]]
type = "burst"
function = "audit"
at_s = 60
count = 100
over_s = 10
payload = {{ source = "batch", ids = [1, 2] }}

[[faults]]
type = "fault_schedule"
function = "orders"
phases = [{{ start_s = 100, end_s = 200, error_rate = 0.5 }}]

[[faults]]
type = "outage"
start_s = 300
end_s = 360
probability = 0.25
"""


def full_model() -> Model:
    """The model ``FULL`` describes, written with the Python API."""
    return Model(
        functions=[
            Function(
                name="orders",
                behaviour=ls.Behaviour(duration=dist.LogNormal(median=0.2, spread=1.5), error_rate=0.1),
                timeout_s=30,
                memory_mb=512,
                architecture="arm64",
                reserved_concurrency=5,
                dead_letter_arn=DLQ,
                event_invoke=EventInvoke(maximum_retry_attempts=1, maximum_event_age_s=600, on_failure=QUEUE),
            ),
            Function(name="audit", duration=dist.Exponential(0.05), init_duration=0.3),
        ],
        workloads=[
            Poisson(function="orders", rate_per_s=10, stop_s=600),
            Burst(function="audit", at_s=60, count=100, over_s=10, payload={"source": "batch", "ids": [1, 2]}),
            FaultSchedule(function="orders", phases=[Phase(start_s=100, end_s=200, error_rate=0.5)]),
            Outage(start_s=300, end_s=360, probability=0.25),
        ],
        settings=ls.Settings(retry_delays_s=(30, 90), throttle_backoff_jitter=0.5),
        concurrency_limit=500,
        horizon_s=900,
        start="2026-01-05T11:30:00Z",
    )


def test_a_file_maps_onto_the_python_configuration() -> None:
    scenario = loads(FULL, source="full.toml")
    assert scenario.model == full_model()
    assert (scenario.name, scenario.description, scenario.seed, scenario.replications) == (
        "orders at lunch",
        "a bit of everything",
        5,
        3,
    )
    assert scenario.source == "full.toml"
    assert scenario.destinations() == [DLQ, QUEUE]


def test_both_doors_run_the_same_model_identically() -> None:
    text = FULL.replace(f'dead_letter_arn = "{DLQ}"', "").replace(f', on_failure = "{QUEUE}"', "")
    scenario = loads(text)
    model = full_model()
    model = Model(
        functions=[
            Function(**{**_fields(model.functions[0]), "dead_letter_arn": None, "event_invoke": _no_destination()}),
            model.functions[1],
        ],
        workloads=model.workloads,
        settings=model.settings,
        concurrency_limit=model.concurrency_limit,
        horizon_s=model.horizon_s,
        start=model.start,
    )
    assert scenario.model == model
    assert scenario.run(seed=11).to_dict() == model.run(11).to_dict()


def _fields(f: Function) -> dict[str, Any]:
    import attrs

    return attrs.asdict(f, recurse=False)


def _no_destination() -> EventInvoke:
    return EventInvoke(maximum_retry_attempts=1, maximum_event_age_s=600)


def test_destinations_are_created_and_receive_what_failed() -> None:
    scenario = loads(FULL)
    sim = scenario.build(seed=1)
    sim.run(until=900)
    sqs = sim.client("sqs")
    for name in ("failed", "dlq"):
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert int(waiting["Attributes"]["ApproximateNumberOfMessages"]) > 0


def test_a_minimal_file_takes_the_defaults() -> None:
    scenario = loads('[[functions]]\nname = "f"\n')
    assert scenario.model == Model(functions=[Function(name="f")])
    assert (scenario.seed, scenario.replications, scenario.name) == (DEFAULT_SEED, 1, "scenario")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("0.25", dist.Constant(0.25)),
        ("{ constant = { value = 2 } }", dist.Constant(2.0)),
        ("{ exponential = { mean_s = 0.5 } }", dist.Exponential(0.5)),
        ("{ lognormal = { median = 0.2, spread = 1.5 } }", dist.LogNormal(median=0.2, spread=1.5)),
        ("{ log_normal = { median = 0.2, spread = 1.5 } }", dist.LogNormal(median=0.2, spread=1.5)),
        ("{ uniform = { low = 1, high = 3 } }", dist.Uniform(1, 3)),
        ("{ empirical = { samples = [0.1, 0.2, 0.4] } }", dist.Empirical((0.1, 0.2, 0.4))),
    ],
)
def test_distributions_are_numbers_or_one_key_tables(table: str, expected: dist.Distribution) -> None:
    scenario = loads(f'[[functions]]\nname = "f"\nbehaviour = {{ duration = {table} }}\n')
    assert scenario.model.functions[0].behaviour.duration == expected


def test_an_importable_handler_is_a_string() -> None:
    text = '[[functions]]\nname = "f"\nbehaviour = "tests.helpers.always_fail"\nduration = 1\n'
    with pytest.raises(
        ScenarioError, match=r"functions\[0\]\.behaviour: imports the handler 'tests.helpers.always_fail'"
    ):
        loads(text)  # a file that imports code runs only when that is asked for
    scenario = loads(text, allow_code=True)
    assert scenario.model.functions[0].behaviour == "tests.helpers.always_fail"
    assert scenario.imports == ("functions[0].behaviour: imports the handler 'tests.helpers.always_fail'",)
    results = scenario.run()
    assert results.functions["f"]["outcomes"]["Success"] == 0


MINIMAL_KINDS = {
    "poisson": ({"function": "f", "rate_per_s": 2, "stop_s": 10}, Poisson(function="f", rate_per_s=2, stop_s=10)),
    "burst": ({"function": "f", "at_s": 1, "count": 3}, Burst(function="f", at_s=1, count=3)),
    "varying_poisson": (
        {
            "function": "f",
            "stop_s": 60,
            "rate": {
                "sum": {
                    "parts": [
                        {"daily_cycle": {"mean_per_s": 1, "amplitude": 0.2}},
                        {"spike": {"at_s": 10, "duration_s": 5, "extra_per_s": 3}},
                    ]
                }
            },
        },
        VaryingPoisson(
            function="f",
            stop_s=60,
            rate=Sum(parts=(DailyCycle(mean_per_s=1, amplitude=0.2), Spike(at_s=10, duration_s=5, extra_per_s=3))),
        ),
    ),
    "schedule": (
        {"function": "f", "expression": "rate(5 minutes)", "stop_s": 3600},
        None,
    ),
    "replay": ({"function": "f", "times_s": [0.5, 1, 2]}, None),
    "outage": ({"start_s": 1, "end_s": 2}, Outage(start_s=1, end_s=2)),
    "fault_schedule": (
        {"function": "f", "phases": [{"start_s": 0, "end_s": 5, "timeout_rate": 0.5}]},
        FaultSchedule(function="f", phases=[Phase(start_s=0, end_s=5, timeout_rate=0.5)]),
    ),
}


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def test_every_workload_and_fault_class_maps_by_its_snake_case_name() -> None:
    registered = {**kinds("workloads"), **kinds("faults")}
    assert set(MINIMAL_KINDS) <= set(registered)
    assert registered["varying_poisson"] is VaryingPoisson


@pytest.mark.parametrize("kind", sorted(MINIMAL_KINDS))
def test_each_kind_builds_and_runs_from_a_file(kind: str) -> None:
    table, expected = MINIMAL_KINDS[kind]
    array = "faults" if kind in kinds("faults") else "workloads"
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in table.items())
    text = f'horizon_s = 100\n[[functions]]\nname = "f"\n[[{array}]]\ntype = "{kind}"\n{body}\n'
    scenario = loads(text)
    (built,) = scenario.model.workloads
    assert type(built) is kinds(array)[kind]
    if expected is not None:
        assert built == expected
    scenario.run()


def test_a_rate_profile_can_be_piecewise() -> None:
    text = """
        [[functions]]
        name = "f"
        [[workloads]]
        type = "varying_poisson"
        function = "f"
        stop_s = 120
        rate = { piecewise = { times_s = [0, 60], rates_per_s = [1, 5] } }
    """
    (workload,) = loads(textwrap.dedent(text)).model.workloads
    assert workload.rate == Piecewise(times_s=[0, 60], rates_per_s=[1, 5])


def test_a_replay_reads_its_csv_next_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "trace.csv").write_text('time_s,payload\n0.5,\n2.0,{"id": 2}\n1.0,\n')
    (tmp_path / "s.toml").write_text(
        '[[functions]]\nname = "f"\n[[workloads]]\ntype = "replay"\ncsv = "trace.csv"\nfunction = "f"\n'
    )
    (workload,) = load(tmp_path / "s.toml").model.workloads
    assert workload.times_s == (0.5, 1.0, 2.0)
    assert workload.payloads == (None, None, {"id": 2})
    (tmp_path / "missing.toml").write_text(
        '[[functions]]\nname = "f"\n[[workloads]]\ntype = "replay"\ncsv = "nope.csv"\nfunction = "f"\n'
    )
    with pytest.raises(ScenarioError, match=r"missing\.toml: workloads\[0\]\.csv: cannot read .*nope\.csv"):
        load(tmp_path / "missing.toml")


def test_seeds_of_replications_match_the_python_api() -> None:
    scenario = loads(FULL)
    assert scenario.seeds() == list(replicate(scenario.model, 3, seed=5, executor="serial").seeds)
    assert scenario.seeds(9, 1) == [9]
    assert len(set(scenario.seeds(9, 20))) == 20


def test_a_lambda_destination_listed_first_is_created_after_its_target() -> None:
    chain = """
        [[functions]]
        name = "orders"
        event_invoke = { on_success = "arn:aws:lambda:us-east-1:123456789012:function:ship" }
        [[functions]]
        name = "ship"
        [[workloads]]
        type = "burst"
        function = "orders"
        at_s = 0
        count = 5
    """
    results = loads(textwrap.dedent(chain)).run()
    assert results.functions["ship"]["outcomes"]["Success"] == 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_example_loads_and_builds(path: Path) -> None:
    scenario = load(path)
    assert scenario.name and scenario.description
    assert scenario.model.horizon_s is not None and scenario.model.horizon_s <= 24 * 3600  # at most a day
    sim = scenario.build()
    assert set(sim.engine.functions) == {f.name for f in scenario.model.functions}


def test_there_are_several_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {"order-processing", "throttling-storm", "nightly-batch", "downstream-outage"}


# -- bad files ----------------------------------------------------------------------------------------------------

FN = '[[functions]]\nname = "f"\n'

BAD = [
    # unknown keys
    (
        FN + "timeout = 3\n",
        "functions[0].timeout: unknown key; did you mean 'timeout_s'? valid keys: name, behaviour, duration, "
        "init_duration, timeout_s, memory_mb, architecture, reserved_concurrency, event_invoke, dead_letter_arn",
    ),
    ("seeds = 1\n" + FN, "seeds: unknown key; did you mean 'seed'?"),
    (FN + "[settings]\nretry_delay = [1, 2]\n", "settings.retry_delay: unknown key; did you mean 'retry_delays_s'?"),
    (
        FN + "behaviour = { duration = { lognorm = { median = 1 } } }\n",
        "functions[0].behaviour.duration.lognorm: unknown Distribution; did you mean 'lognormal'? valid: constant, "
        "empirical, exponential, log_normal (or lognormal), uniform",
    ),
    (FN + '[[workloads]]\ntype = "poison"\nfunction = "f"\n', "workloads[0].type: unknown type 'poison'; did you mean"),
    (FN + '[[workloads]]\nfunction = "f"\n', "workloads[0].type: missing; valid types: burst, poisson,"),
    (
        FN + '[[workloads]]\ntype = "burst"\nfunction = "f"\nat_s = 1\ncount = 1\nrepeat = 3\n',
        "workloads[0].repeat: unknown key; valid keys: function, at_s, count, over_s, payload",
    ),
    # wrong types
    (FN + 'timeout_s = "30"\n', "functions[0].timeout_s: must be an integer, got '30' (a string)"),
    (FN + "timeout_s = 30.5\n", "functions[0].timeout_s: must be an integer, got 30.5 (a number)"),
    (FN + "behaviour = { error_rate = true }\n", "functions[0].behaviour.error_rate: must be a number, got True"),
    (FN + "event_invoke = 2\n", "functions[0].event_invoke: must be a table of EventInvoke settings, got 2"),
    ("functions = 3\n", "functions: must be an array of tables ([[functions]]), got 3 (an integer)"),
    ('horizon_s = "1h"\n' + FN, "horizon_s: must be a number, got '1h' (a string)"),
    (
        FN + "horizon_s = 60\n",
        "functions[0].horizon_s: unknown key here; 'horizon_s' is a top-level key: write it above the first [table]",
    ),
    (FN + "[settings]\nretry_delays_s = [60]\n", "settings.retry_delays_s: must be an array of 2 values, got 1"),
    ("name = 3\n" + FN, "name: must be a string, got 3 (an integer)"),
    # out of range values
    (FN + "timeout_s = 1000\n", "functions[0].timeout_s: must be in [1, 900], got 1000"),
    (FN + "memory_mb = 64\n", "functions[0].memory_mb: must be in [128, 10240], got 64"),
    (FN + 'architecture = "x86"\n', "functions[0].architecture: must be one of ['x86_64', 'arm64'], got 'x86'"),
    (
        FN + "event_invoke = { maximum_retry_attempts = 3 }\n",
        "functions[0].event_invoke.maximum_retry_attempts: must be in [0, 2], got 3",
    ),
    (
        FN + "event_invoke = { maximum_event_age_s = 30 }\n",
        "functions[0].event_invoke.maximum_event_age_s: must be in [60, 21600], got 30",
    ),
    (
        FN + "behaviour = { duration = { lognormal = { median = 1, spread = 0.5 } } }\n",
        "functions[0].behaviour.duration.lognormal.spread: must be >= 1, got 0.5",
    ),
    (FN + "behaviour = { error_rate = 1.5 }\n", "functions[0].behaviour.error_rate: must be in [0, 1], got 1.5"),
    (
        FN + "[settings]\nretry_delays_s = [60, -1]\n",
        "settings.retry_delays_s[1]: must be >= 0 and <= 3.15576e+10, got -1",
    ),
    ("concurrency_limit = 10\n" + FN, "concurrency_limit: must be >= 100, got 10"),
    ("seed = -1\n" + FN, "seed: must be an integer >= 0, got -1"),
    ("replications = 0\n" + FN, "replications: must be an integer in [1, 100000], got 0"),
    (
        FN
        + '[[faults]]\ntype = "fault_schedule"\nfunction = "f"\n'
        + "phases = [{ start_s = 1, end_s = 2, error_rate = 2 }]\n",
        "faults[0].phases[0].error_rate: must be in [0, 1], got 2",
    ),
    (
        FN + "reserved_concurrency = 950\n",
        "functions[0].reserved_concurrency: InvalidParameterValueException: Specified ReservedConcurrentExecutions "
        "for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    ),
    # references
    (
        FN + '[[workloads]]\ntype = "poisson"\nfunction = "g"\nrate_per_s = 1\nstop_s = 2\n',
        "workloads[0].function: no function 'g'; functions: f",
    ),
    (FN + 'dead_letter_arn = "sqs:dlq"\n', "functions[0].dead_letter_arn: must be an ARN such as"),
    (
        FN + 'dead_letter_arn = "arn:aws:sqs:eu-west-1:123456789012:dlq"\n',
        "functions[0].dead_letter_arn: must be in the simulated account 123456789012 and region us-east-1",
    ),
    (
        FN + 'event_invoke = { on_success = "arn:aws:lambda:us-east-1:123456789012:function:g" }\n',
        "functions[0].event_invoke.on_success: names function 'g', which is not among functions: f",
    ),
    (FN + FN, "functions[1].name: duplicate function name 'f'"),
    ("seed = 1\n", "functions: missing: a scenario needs at least one [[functions]] table"),
    (FN + '[[workloads]]\ntype = "poisson"\nfunction = "f"\n', "workloads[0]: missing required key 'rate_per_s'"),
    # invalid TOML
    (
        '[[functions]\nname = "f"\n',
        "invalid TOML: Expected ']]' at the end of an array declaration (at line 1, column 12)",
    ),
    (FN + "timeout_s = \n", "invalid TOML: Invalid value (at line 3, column 13)"),
    (FN + 'name = "g"\n', "invalid TOML: Cannot overwrite a value (at line 3, column 11)"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD)])
def test_a_bad_file_names_the_file_the_field_and_the_valid_values(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(text, source="bad.toml").build()
    assert str(info.value).startswith(f"bad.toml: {message}")
    assert "\n" not in str(info.value)
    assert info.value.source == "bad.toml"


def test_the_error_carries_its_parts() -> None:
    with pytest.raises(ScenarioError) as info:
        loads(FN + "timeout_s = 1000\n", source="x.toml")
    assert (info.value.source, info.value.path, info.value.problem) == (
        "x.toml",
        "functions[0].timeout_s",
        "must be in [1, 900], got 1000",
    )
    assert isinstance(info.value, ValueError)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.toml: no such file"):
        load(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="is a directory, not a scenario file"):
        load(tmp_path)
    (tmp_path / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.toml: not UTF-8 text"):
        load(tmp_path / "latin1.toml")


def test_a_scenario_validates_its_own_fields() -> None:
    model = Model(functions=[Function(name="f")])
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        Scenario(model=model, seed=-1)
    with pytest.raises(ValueError, match=r"replications must be an integer in \[1, 100000\]"):
        Scenario(model=model, replications=0)
    assert "1 function(s): f" in Scenario(model=model, name="x").describe()
