"""Hostile inputs, generated (issue 18): handlers that raise, return and await anything; extreme numbers through
both doors; random scenario text. Each case asserts only documented exceptions, no hang (a time bound per case),
conservation of events (every accepted event gets exactly one outcome) and a simulation still usable afterwards.

A bounded number of examples in the default run and more in CI (``CI=true``), both derandomized so that CI's verdict
is the same each run; ``LAMBDASIM_EXPLORE=1`` draws fresh random examples (as many as CI) to look for new defects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.core.limits import LargeRunWarning
from lambdasim.model import Function, Model
from lambdasim.planning.scenario import ScenarioError, loads
from lambdasim.workload import Burst, Poisson

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXPLORE = os.environ.get("LAMBDASIM_EXPLORE", "").lower() in ("1", "true", "yes")
HOSTILE = settings(
    max_examples=300 if IN_CI or EXPLORE else 30,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CASE_S = 60 if IN_CI or EXPLORE else 30
"""No case may take longer (s): a hang fails the test instead of stalling the suite."""


class HangError(Exception):
    pass


@contextmanager
def time_bound(seconds: int = CASE_S) -> Iterator[None]:
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise HangError(f"case took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- handlers ---------------------------------------------------------------------------------------------------------


class BadStrError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


RAISED: dict[str, Callable[[], BaseException]] = {
    "ValueError": lambda: ValueError("v"),
    "GeneratorExit": GeneratorExit,
    "BaseException": lambda: BaseException("b"),
    "BadStr": BadStrError,
    "RecursionError": RecursionError,
    "SystemExit": lambda: SystemExit(3),
    "StopIteration": StopIteration,
    "StopAsyncIteration": StopAsyncIteration,
}
RETURNED: dict[str, Callable[[], Any]] = {
    "none": lambda: None,
    "dict": lambda: {"ok": [1, 2.5, "x"]},
    "nested-100k": lambda: _nested(100_000),
    "object": object,
    "set": lambda: {1, 2},
    "nan": lambda: math.nan,
    "bytes": lambda: b"x",
    "non-str-keys": lambda: {(1, 2): 3},
    "the-context": lambda: "ctx",
}
SLEPT = [0.0, 0.5, 1e7, math.inf]

Action = tuple[str, Any]
actions = st.one_of(
    st.tuples(st.just("raise"), st.sampled_from(sorted(RAISED))),
    st.tuples(st.just("return"), st.sampled_from(sorted(RETURNED))),
    st.tuples(st.just("mutate"), st.none()),
    st.tuples(st.just("sleep"), st.sampled_from(SLEPT)),
    st.tuples(st.just("sleep-twice"), st.none()),
    st.tuples(st.just("invoke-missing"), st.none()),
    st.tuples(st.just("foreign-await"), st.none()),
    st.tuples(st.just("run-the-sim"), st.none()),
)


def _handler(plan: list[Action], is_async: bool, holder: dict[str, ls.Simulation]) -> Any:
    """A handler doing ``plan`` in order (the sleeps and awaits only when async); ends by returning ``None``."""

    def step_sync(event: Any, context: Any, kind: str, arg: Any) -> tuple[bool, Any]:
        if kind == "raise":
            raise RAISED[arg]()
        if kind == "return":
            value = RETURNED[arg]()
            return True, context if value == "ctx" else value
        if kind == "mutate" and isinstance(event, dict):
            event.clear()
            event["mutated"] = _nested(3)
        if kind == "run-the-sim":
            holder["sim"].run(until=holder["sim"].now + 1000)
        return False, None

    if not is_async:

        def plain(event: Any, context: Any) -> Any:
            for kind, arg in plan:
                done, value = step_sync(event, context, kind, arg)
                if done:
                    return value
            return None

        return plain

    async def coroutine(event: Any, context: Any) -> Any:
        for kind, arg in plan:
            if kind == "sleep":
                await context.sleep(arg)
            elif kind == "sleep-twice":
                nap = context.sleep(0.25)
                await nap
                await nap
            elif kind == "invoke-missing":
                await context.invoke(FunctionName="missing", InvocationType="Event", Payload=b"{}")
            elif kind == "foreign-await":
                await asyncio.sleep(0)
            else:
                done, value = step_sync(event, context, kind, arg)
                if done:
                    return value
        return None

    return coroutine


def _conserved(res: ls.Results, name: str = "f") -> None:
    f = res.functions[name]
    outcomes = sum(res.outcomes(name).values())
    in_queue = f.get("queued", {}).get("now", 0) if isinstance(f.get("queued"), dict) else 0
    assert outcomes + in_queue <= f["async_events_received"]
    if in_queue == 0:
        assert outcomes == f["async_events_received"], (res.outcomes(name), f["async_events_received"])


@HOSTILE
@given(
    plan=st.lists(actions, min_size=1, max_size=4),
    is_async=st.booleans(),
    events=st.integers(1, 4),
    retries=st.integers(0, 2),
    timeout=st.integers(1, 5),
    reserved=st.sampled_from([None, 0, 1, 5]),
    payload=st.sampled_from([{}, {"k": [1, {"a": None}]}, [1, 2], "text", 3]),
)
def test_any_handler_ends_each_event_with_one_outcome_and_the_simulation_stays_usable(
    plan: list[Action], is_async: bool, events: int, retries: int, timeout: int, reserved: int | None, payload: Any
) -> None:
    holder: dict[str, ls.Simulation] = {}
    with time_bound():
        sim = ls.Simulation(seed=1)
        holder["sim"] = sim
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=_handler(plan, is_async, holder), Duration=0.5, Timeout=timeout)
        lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=retries)
        if reserved is not None:
            lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=reserved)
        body = json.dumps(payload)
        for _ in range(events):
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=body)
        res = sim.run()  # no until: nothing may stay on the clock for ever
        assert sum(res.outcomes("f").values()) == events
        assert res.functions["f"]["async_events_received"] == events
        assert sim.now < 3 * (timeout + 200) + 400
        # A synchronous invoke answers with a payload in AWS's shape, whatever the handler did.
        try:
            resp = lam.invoke(FunctionName="f", Payload=body)
        except ClientError as exc:  # reserved concurrency 0 throttles every invoke
            assert reserved == 0 and exc.response["Error"]["Code"] == "TooManyRequestsException"
        else:
            answer = json.loads(resp["Payload"].read())
            if "FunctionError" in resp:
                # A timeout or a runtime exit answers with the type and message only (as recorded on AWS).
                short = answer.get("errorType") in ("Sandbox.Timedout", "Runtime.ExitError")
                keys = (
                    {"errorMessage", "errorType"} if short else {"errorMessage", "errorType", "requestId", "stackTrace"}
                )
                assert set(answer) == keys
                assert isinstance(answer["errorMessage"], str)
        # Still usable: another event, another run.
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=body)
        res = sim.run()
        assert sum(res.outcomes("f").values()) == events + 1


# -- extreme numbers through both doors ------------------------------------------------------------------------------

HOSTILE_NUMBERS = st.sampled_from(
    [math.inf, -math.inf, math.nan, 1e308, -1, -1e-300, 0, 1e-300, 1e-9, 0.5, 1, 7, 3600, 1e12, 10**400, True, False]
)
HOSTILE_VALUES = st.one_of(HOSTILE_NUMBERS, st.sampled_from(["x", "", None, [], {}, "\ud800", b"1"]))
SETTINGS_FIELDS = [a.name for a in ls.Settings.__attrs_attrs__]  # type: ignore[attr-defined]


@HOSTILE
@given(field=st.sampled_from(SETTINGS_FIELDS), value=HOSTILE_VALUES)
def test_settings_refuse_what_cannot_run_with_documented_errors(field: str, value: Any) -> None:
    with time_bound():
        try:
            s = ls.Settings(**{field: value})
        except (TypeError, ValueError) as exc:
            assert field in str(exc) or field == "retry_delays_s"
            assert len(str(exc)) < 400
            return
        model = Model(
            functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.5), reserved_concurrency=2)],
            workloads=[Burst(function="f", at_s=1, count=20, over_s=5)],
            settings=s,
            horizon_s=4 * 3600,
        )
        res = model.run(seed=1)
        outcomes = sum(res.outcomes("f").values())
        f = res.functions["f"]
        assert outcomes <= f["async_events_received"] + f["duplicates"]  # a duplicate copy has its own outcome
        res.to_dict()


WORKLOAD_FIELDS = {"rate_per_s": 1.0, "stop_s": 60.0, "start_s": 0.0}


@HOSTILE
@given(field=st.sampled_from(sorted(WORKLOAD_FIELDS)), value=HOSTILE_VALUES, until=HOSTILE_NUMBERS)
def test_workloads_and_until_refuse_what_cannot_run(field: str, value: Any, until: Any) -> None:
    with time_bound():
        kwargs: dict[str, Any] = {"function": "f", **WORKLOAD_FIELDS, field: value}
        try:
            workload = Poisson(**kwargs)
        except (TypeError, ValueError) as exc:
            assert field in str(exc)
            return
        sim = ls.Simulation(seed=1)
        sim.client("lambda").create_function(FunctionName="f", Handler=None, Duration=0.1)
        workload.attach(sim)
        try:
            res = sim.run(until=until)
        except (TypeError, ValueError) as exc:
            assert "until" in str(exc)
            res = sim.run(until=120)
        assert sum(res.outcomes("f").values()) <= res.functions["f"]["async_events_received"]
        sim.client("lambda").get_function(FunctionName="f")  # the control plane still writes dates


CLIENT_CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "Timeout": lambda lam, v: lam.update_function_configuration(FunctionName="f", Timeout=v),
    "MemorySize": lambda lam, v: lam.update_function_configuration(FunctionName="f", MemorySize=v),
    "Duration": lambda lam, v: lam.update_function_configuration(FunctionName="f", Duration=v),
    "Reserved": lambda lam, v: lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=v),
    "MaxAge": lambda lam, v: lam.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=v),
    "Retries": lambda lam, v: lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=v),
    "Payload": lambda lam, v: lam.invoke(FunctionName="f", InvocationType="Event", Payload=v),
    "DLQ": lambda lam, v: lam.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": v}),
    "Weight": lambda lam, v: lam.create_alias(
        FunctionName="f", Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": v}}
    ),
}
PAYLOADS = st.sampled_from(
    ["[" * 5000 + "]" * 5000, "\ud800", "{", "null", "1e400", '"x"', "NaN", "{}", "[" * 512 + "]" * 512]
)


@HOSTILE
@given(call=st.sampled_from(sorted(CLIENT_CALLS)), value=st.one_of(HOSTILE_VALUES, PAYLOADS))
def test_the_boto3_door_answers_with_aws_errors_only(call: str, value: Any) -> None:
    with time_bound():
        sim = ls.Simulation(seed=1)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=None, Duration=0.1)
        lam.publish_version(FunctionName="f")
        lam.publish_version(FunctionName="f")
        # Only AWS's and botocore's own errors, in their words (which quote the value, as AWS does).
        with contextlib.suppress(ClientError, ParamValidationError):
            CLIENT_CALLS[call](lam, value)
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
        res = sim.run()
        received = res.functions["f"]["async_events_received"]
        assert sum(res.outcomes("f").values()) == received >= 1
        lam.get_function_configuration(FunctionName="f")


# -- scenario files ----------------------------------------------------------------------------------------------------

VALUES = st.sampled_from(
    ["inf", "-inf", "nan", "1e308", "-1", "0", "1e-300", "true", '"x"', "[]", "{}", "10" * 40, "'\\ud800'", '"a:b"']
)
KEYS = st.sampled_from(
    ["horizon_s", "seed", "replications", "concurrency_limit", "warmup_s", "rate_per_s", "stop_s", "at_s", "count"]
)


NAMES = ['"f"', '"a:b"', "1", '"' + "x" * 80 + '"']
BEHAVIOURS = ['"os.remove"', "{ duration = 0.5 }", "{ duration = inf }", "3"]


@st.composite
def scenario_text(draw: st.DrawFn) -> str:
    lines = [f"horizon_s = {draw(st.sampled_from(['60', '600', 'inf', '1e12', '-5']))}"]
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f"{draw(KEYS)} = {draw(VALUES)}")
    name = draw(st.sampled_from(NAMES))
    lines += ["[[functions]]", f"name = {name}"]
    if draw(st.booleans()):
        lines.append("behaviour = " + draw(st.sampled_from(BEHAVIOURS)))
    kind = draw(st.sampled_from(["poisson", "burst", "replay", "schedule", "nope"]))
    lines += ["[[workloads]]", f'type = "{kind}"', 'function = "f"']
    if kind == "replay":
        lines.append(f'csv = "{draw(st.sampled_from(["/dev/zero", "/etc/passwd", "missing.csv", "."]))}"')
    for _ in range(draw(st.integers(0, 3))):
        lines.append(f"{draw(KEYS)} = {draw(VALUES)}")
    depth = draw(st.sampled_from([0, 3, 2000]))
    if depth:
        lines.append("payload = " + "[" * depth + "]" * depth)
    return "\n".join(lines) + "\n"


@HOSTILE
@given(text=scenario_text())
def test_any_scenario_text_loads_or_fails_with_one_clear_line(text: str) -> None:
    with time_bound():
        try:
            scenario = loads(text, source="gen.toml")
        except ScenarioError as exc:
            message = str(exc)
            assert message.startswith("gen.toml") and "\n" not in message and len(message) < 600
            assert "root:" not in message  # never a line of a file it was pointed at
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LargeRunWarning)  # a long run is allowed; it is not run here
                sim = scenario.build()
        except ScenarioError as exc:
            assert "\n" not in str(exc)
            return
        horizon = scenario.model.horizon_s or 600.0
        expected = sum(getattr(w, "expected_count", lambda: 0.0)() for w in scenario.model.workloads)
        if expected <= 5000:
            res = sim.run(until=min(horizon, 3600.0))
            for name in res.functions:
                assert sum(res.outcomes(name).values()) <= res.functions[name]["async_events_received"]
