"""The kinds of handler, the Lambda context on the simulated clock, and cold starts (spec ``api.md`` door 1;
``aws-async.md`` section 5: timeouts and the environment lifecycle).

Whatever a handler does, the run survives: an exception, ``SystemExit``, an unimportable module or an unmarshallable
return value is a function error with the Python runtime's ``errorType``, never a crash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from tests.helpers import make, send

ARN = "arn:aws:lambda:us-east-1:123456789012:function"


def sync(lam: Any, payload: Any = None, name: str = "f") -> tuple[dict[str, Any], Any]:
    """A top-level RequestResponse invoke: the response and its decoded payload."""
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}))
    return resp, json.loads(resp["Payload"].read())


class Collect:
    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def with_sink(sim: ls.Simulation) -> Collect:
    sink = Collect()
    sim.engine.sinks.append(sink)
    return sink


# -- plain callables ------------------------------------------------------------------------------------------------


def test_plain_handler_runs_at_attempt_start_and_its_result_takes_effect_after_duration() -> None:
    calls: list[float] = []
    sim: ls.Simulation

    def handler(event: Any, context: Any) -> dict[str, Any]:
        calls.append(sim.now)
        return {"n": event["n"]}

    sim, lam = make(handler, duration=4.0)
    sink = with_sink(sim)
    sim.run(until=10)
    send(lam, {"n": 1})
    res = sim.run()
    assert calls == [10.0]
    (out,) = sink.outcomes
    assert (out.condition, out.response, out.finished_at) == (ls.Condition.SUCCESS, {"n": 1}, 14.0)
    assert res.functions["f"]["duration_s"]["max"] == 4.0


def test_handler_exception_is_a_function_error_with_its_type_and_message() -> None:
    def handler(event: Any, context: Any) -> None:
        raise KeyError("missing")

    sim, lam = make(handler, duration=1.0, retries=0)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("KeyError", "'missing'")
    assert any("raise KeyError" in line for line in body["stackTrace"])
    sink = with_sink(sim)
    send(lam)
    res = sim.run()
    assert sink.outcomes[0].condition is ls.Condition.RETRIES_EXHAUSTED
    assert res.functions["f"]["errors"] == 2


def test_system_exit_is_a_function_error_not_the_end_of_the_run() -> None:
    def handler(event: Any, context: Any) -> None:
        sys.exit(3)

    sim, lam = make(handler, duration=1.0)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in body["errorMessage"]
    send(lam)
    assert sim.run().functions["f"]["outcomes"]["RetriesExhausted"] == 1


def test_unmarshallable_return_is_runtime_marshal_error() -> None:
    sim, lam = make(lambda event, context: {"when": {1, 2}}, duration=1.0)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"].startswith("Unable to marshal response:")
    assert sim.now == 1.0


def test_none_handler_returns_null_after_duration() -> None:
    sim, lam = make(None, duration=2.0)
    resp, body = sync(lam)
    assert body is None and "FunctionError" not in resp and sim.now == 2.0


def test_plain_handler_calling_top_level_request_response_is_a_function_error() -> None:
    """api.md: inside the model a RequestResponse invoke is awaited; a plain handler cannot advance the clock."""
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="callee", Handler=lambda e, c: {"ok": True}, Duration=5.0)

    def caller(event: Any, context: Any) -> Any:
        return json.loads(lam.invoke(FunctionName="callee", Payload=b"{}")["Payload"].read())

    lam.create_function(FunctionName="caller", Handler=caller, Duration=1.0)
    lam.put_function_event_invoke_config(FunctionName="caller", MaximumRetryAttempts=0)
    sink = with_sink(sim)
    # From an asynchronous attempt, while the simulation runs ...
    lam.invoke(FunctionName="caller", InvocationType="Event", Payload=b"{}")
    res = sim.run()
    (out,) = sink.outcomes
    assert out.error is not None
    assert out.error[0] == "RuntimeError"
    assert "cannot advance the clock from inside the simulation" in out.error[1]
    assert "await context.invoke" in out.error[1]
    assert res.functions["callee"]["invocations"] == 0
    # ... and from a top-level RequestResponse invoke (the handler runs inside the model there too).
    start = sim.now
    resp, body = sync(lam, name="caller")
    assert resp["FunctionError"] == "Unhandled"
    assert "cannot advance the clock" in body["errorMessage"]
    assert sim.now == start + 1.0
    assert sim.results().functions["callee"]["invocations"] == 0


# -- async def handlers ---------------------------------------------------------------------------------------------


def test_async_handler_duration_is_the_time_it_awaits() -> None:
    remaining: list[int] = []

    async def handler(event: Any, context: Any) -> dict[str, Any]:
        remaining.append(context.get_remaining_time_in_millis())
        await context.sleep(1.5)
        remaining.append(context.get_remaining_time_in_millis())
        await context.sleep(2.0)
        remaining.append(context.get_remaining_time_in_millis())
        return {"done": True}

    # Duration= is ignored for async def handlers: their duration is what they await.
    sim, lam = make(handler, duration=100.0, timeout=10)
    resp, body = sync(lam)
    assert body == {"done": True} and "FunctionError" not in resp
    assert sim.now == 3.5
    assert remaining == [10_000, 8_500, 6_500]  # the remaining time falls on the simulated clock
    sink = with_sink(sim)
    send(lam)
    res = sim.run()
    assert sink.outcomes[0].finished_at == 3.5 + 3.5
    assert res.functions["f"]["duration_s"]["max"] == 3.5


def test_async_handler_running_past_its_timeout_ends_at_the_timeout() -> None:
    """Spec 5: a timed-out attempt ends at the timeout with Sandbox.Timedout, "Task timed out after N.00 seconds"."""
    after: list[float] = []

    async def handler(event: Any, context: Any) -> None:
        await context.sleep(2.0)
        await context.sleep(60.0)
        after.append(1.0)  # never reached: the attempt was cut off

    sim, lam = make(handler, timeout=7)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert (
        body["errorMessage"]
        == f"RequestId: {resp['ResponseMetadata']['RequestId']} Error: Task timed out after 7.00 seconds"
    )
    assert sim.now == 7.0
    res = sim.run()
    assert after == []
    assert res.functions["f"]["timeouts"] == 1


def test_async_handler_raising_after_a_sleep_fails_at_that_time() -> None:
    async def handler(event: Any, context: Any) -> None:
        await context.sleep(2.5)
        raise ValueError("late")

    sim, lam = make(handler, timeout=30)
    _resp, body = sync(lam)
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "late")
    assert sim.now == 2.5


def test_async_handler_invokes_other_functions_through_its_context() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="callee", Handler=lambda e, c: {"double": 2 * e["x"]}, Duration=3.0)
    seen: list[Any] = []

    async def caller(event: Any, context: Any) -> Any:
        sync_resp = await context.invoke(FunctionName="callee", InvocationType="RequestResponse", Payload=b'{"x": 4}')
        seen.append((sync_resp["StatusCode"], json.loads(sync_resp["Payload"].read()), sim.now))
        event_resp = await context.invoke(FunctionName="callee", InvocationType="Event", Payload=b'{"x": 5}')
        seen.append((event_resp["StatusCode"], event_resp["Payload"].read(), sim.now))
        try:
            await context.invoke(FunctionName="nope", Payload=b"{}")
        except ls.ClientError as err:
            seen.append(err.response["Error"]["Code"])
        return {"ok": True}

    lam.create_function(FunctionName="caller", Handler=caller, Timeout=30)
    _resp, body = sync(lam, name="caller")
    assert body == {"ok": True}
    assert seen == [(200, {"double": 8}, 3.0), (202, b"", 3.0), "ResourceNotFoundException"]
    assert sim.now == 3.0
    res = sim.run()
    assert res.functions["callee"]["outcomes"]["Success"] == 1  # the Event invoke ran after the caller returned
    assert res.functions["callee"]["invocations"] == 2


def test_async_handler_awaiting_a_slow_callee_times_out_at_its_own_deadline() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="slow", Duration=50.0, Timeout=60)

    async def caller(event: Any, context: Any) -> Any:
        return await context.invoke(FunctionName="slow", Payload=b"{}")

    lam.create_function(FunctionName="caller", Handler=caller, Timeout=5)
    _resp, body = sync(lam, name="caller")
    assert body["errorType"] == "Sandbox.Timedout"
    assert sim.now == 5.0


def test_async_handler_awaiting_anything_else_is_a_function_error() -> None:
    import asyncio

    class Odd:
        def __await__(self) -> Any:
            yield "not a simulated event"

    async def foreign(event: Any, context: Any) -> None:
        await Odd()

    async def real_asyncio(event: Any, context: Any) -> None:
        await asyncio.sleep(1)  # no asyncio loop runs the simulated clock

    _sim, lam = make(foreign)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.UnsupportedAwait"
    assert "context.sleep and context.invoke" in body["errorMessage"]
    lam.update_function_configuration(FunctionName="f", Handler=real_asyncio)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RuntimeError"


# -- "module.function" strings --------------------------------------------------------------------------------------


def test_importable_handler_string() -> None:
    sim, lam = make("tests.sample_handlers.echo", duration=1.0)
    assert lam.get_function_configuration(FunctionName="f")["Handler"] == "tests.sample_handlers.echo"
    _resp, body = sync(lam, {"a": 1})
    assert body == {"echo": {"a": 1}, "function": "f"}
    assert sim.now == 1.0


def test_importable_async_handler_string() -> None:
    sim, lam = make("tests.sample_handlers.sleeper", duration=100.0, timeout=10)
    _resp, body = sync(lam, {"s": 2.5})
    assert body == {"slept": 2.5}
    assert sim.now == 2.5


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("no_such_module_xyz.handler", "Runtime.ImportModuleError", "Unable to import module 'no_such_module_xyz'"),
        ("tests.sample_handlers.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module"),
        ("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'"),
    ],
)
def test_bad_handler_strings_are_function_errors(handler: str, error_type: str, message: str) -> None:
    sim, lam = make(handler, duration=1.0, retries=0)
    resp, body = sync(lam)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)
    sink = with_sink(sim)
    send(lam)
    sim.run()
    assert sink.outcomes[0].condition is ls.Condition.RETRIES_EXHAUSTED


def test_module_that_raises_on_import_is_an_import_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_handler_mod.py").write_text("raise RuntimeError('bad init')\n\ndef h(e, c):\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _sim, lam = make("broken_handler_mod.h", duration=1.0)
    _resp, body = sync(lam)
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "bad init" in body["errorMessage"]


# -- the context ----------------------------------------------------------------------------------------------------


def test_context_fields() -> None:
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> None:
        seen.update(
            aws_request_id=context.aws_request_id,
            function_name=context.function_name,
            function_version=context.function_version,
            invoked_function_arn=context.invoked_function_arn,
            memory_limit_in_mb=context.memory_limit_in_mb,
            remaining=context.get_remaining_time_in_millis(),
        )

    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="ctx", Handler=handler, Timeout=12, MemorySize=512, Duration=1.0)
    resp = lam.invoke(FunctionName="ctx", Payload=b"{}")
    assert seen["aws_request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert seen["function_name"] == "ctx"
    assert seen["function_version"] == "$LATEST"
    assert seen["invoked_function_arn"] == f"{ARN}:ctx"
    assert int(seen["memory_limit_in_mb"]) == 512
    assert seen["remaining"] == 12_000


def test_remaining_time_excludes_the_init_phase() -> None:
    """Spec 5: init runs before the handler is entered; the handler still sees its full timeout."""
    remaining: list[int] = []

    def plain(event: Any, context: Any) -> None:
        remaining.append(context.get_remaining_time_in_millis())

    async def coro(event: Any, context: Any) -> None:
        remaining.append(context.get_remaining_time_in_millis())
        await context.sleep(1.0)
        remaining.append(context.get_remaining_time_in_millis())

    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    for name, handler in (("plain", plain), ("coro", coro)):
        lam.create_function(FunctionName=name, Handler=handler, Timeout=10, InitDuration=2.0, Duration=1.0)
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert remaining == [10_000, 10_000, 9_000]
    assert sim.now == 3.0 + 3.0


def test_context_sleep_rejects_negative_time() -> None:
    async def handler(event: Any, context: Any) -> None:
        await context.sleep(-1)

    _sim, lam = make(handler)
    _resp, body = sync(lam)
    assert body["errorType"] == "ValueError"
    assert "seconds must be a number >= 0" in body["errorMessage"]


@pytest.mark.parametrize("delay", [-1.0, float("nan")])
def test_a_hand_made_wait_of_a_negative_or_nan_delay_is_the_handlers_error_not_a_crash(delay: float) -> None:
    """A ``Wait`` built by hand skips ``context.sleep``'s check: the attempt raises ValueError inside the handler
    (which may catch it), and the simulation goes on."""
    from lambdasim.core.handler import Wait

    async def handler(event: Any, context: Any) -> Any:
        try:
            await Wait(delay=delay)
        except ValueError as err:
            if event.get("catch"):
                return {"caught": str(err)}
            raise
        return None

    sim, lam = make(handler)
    _resp, body = sync(lam)
    assert body["errorType"] == "ValueError"
    assert "a sleep's delay must be a number >= 0 s" in body["errorMessage"]
    _resp, body = sync(lam, {"catch": True})
    assert body["caught"].startswith("a sleep's delay must be a number >= 0 s, got ")
    lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    results = sim.run()
    assert results.functions["f"]["errors"] == 1 + 3  # the sync error, then the event's three attempts


def test_context_sleep_rejects_a_non_number_with_a_type_error() -> None:
    async def handler(event: Any, context: Any) -> None:
        await context.sleep("5")

    _sim, lam = make(handler)
    _resp, body = sync(lam)
    assert body["errorType"] == "TypeError"
    assert "seconds must be a number >= 0, got '5' (str)" in body["errorMessage"]


# -- durations as distributions, cold starts ------------------------------------------------------------------------


def test_duration_and_init_duration_take_distributions() -> None:
    sim = ls.Simulation(seed=11)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=dist.Uniform(1.0, 2.0), InitDuration=dist.Constant(0.25), Timeout=30)
    elapsed = []
    for _ in range(50):
        before = sim.now
        lam.invoke(FunctionName="f", Payload=b"{}")
        elapsed.append(sim.now - before)
    assert 1.25 <= elapsed[0] <= 2.25  # cold: init + duration
    assert all(1.0 <= e <= 2.0 for e in elapsed[1:])  # warm
    assert len(set(elapsed)) == 50  # drawn, not constant
    assert sim.results().functions["f"]["cold_starts"] == 1
    # The same seed draws the same durations.
    again = ls.Simulation(seed=11)
    lam2 = again.client("lambda")
    lam2.create_function(
        FunctionName="f", Duration=dist.Uniform(1.0, 2.0), InitDuration=dist.Constant(0.25), Timeout=30
    )
    lam2.invoke(FunctionName="f", Payload=b"{}")
    assert again.now == elapsed[0]


def test_cold_start_then_warm_reuse_then_cold_after_the_idle_timeout() -> None:
    """Spec 5: a new environment runs init before its first invoke, is reused warm, and is shut down after idling
    for ``Settings.idle_timeout_s``."""
    sim = ls.Simulation(seed=1, settings=ls.Settings(idle_timeout_s=100.0))
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=1.0, InitDuration=0.5)

    def timed() -> float:
        before = sim.now
        lam.invoke(FunctionName="f", Payload=b"{}")
        return sim.now - before

    assert timed() == 1.5  # cold
    assert timed() == 1.0  # warm, right after
    sim.run(until=sim.now + 99.0)
    assert timed() == 1.0  # idle 99 s <= 100 s: still warm
    sim.run(until=sim.now + 150.0)
    assert timed() == 1.5  # idle 150 s: shut down, cold again
    assert sim.results().functions["f"]["cold_starts"] == 2


def test_concurrent_attempts_each_need_their_own_environment() -> None:
    sim, lam = make(None, duration=10.0)
    lam.update_function_configuration(FunctionName="f", InitDuration=1.0)
    for _ in range(3):
        send(lam)
    res = sim.run()
    assert res.functions["f"]["cold_starts"] == 3
    assert [t.end for t in res.trace or [] if t.kind == "Success"] == [11.0, 11.0, 11.0]


def test_a_timed_out_environment_initialises_again() -> None:
    """Spec 5: a timeout resets the environment: the next invoke runs the init phase again."""
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=5.0, InitDuration=0.5, Timeout=3)
    lam.invoke(FunctionName="f", Payload=b"{}")
    assert sim.now == 3.5
    lam.update_function_configuration(FunctionName="f", Duration=1.0)
    before = sim.now
    lam.invoke(FunctionName="f", Payload=b"{}")
    assert sim.now - before == 1.5


def test_a_raising_sink_is_counted_never_a_crash() -> None:
    """The Sink protocol: an exception from a user's sink never crashes the run; the other sinks still receive."""

    class Broken:
        def deliver(self, outcome: ls.Outcome) -> None:
            raise RuntimeError("downstream is down")

    sim, lam = make(None, duration=1.0)
    sim.engine.sinks.append(Broken())
    good = with_sink(sim)
    send(lam)
    send(lam)
    res = sim.run()
    assert res.functions["f"]["sink_errors"] == 2
    assert len(good.outcomes) == 2
    assert res.functions["f"]["outcomes"]["Success"] == 2
