"""Exact timing of asynchronous retries (spec section 2), pinned to the second."""

from __future__ import annotations

import itertools

import pytest

import lambdasim as ls
from tests.helpers import always_fail, attempts, make, outcome, send, throttles


@pytest.mark.parametrize("d", [0.5, 1.0, 7.25, 29.0])
def test_always_failing_handler_attempts_start_at_0_d_plus_60_and_2d_plus_180(d: float) -> None:
    sim, lam = make(always_fail, duration=d)
    rid = send(lam)
    res = sim.run()
    assert [a[0] for a in attempts(res, rid)] == [0.0, d + 60, 2 * d + 180]
    assert [a[1] for a in attempts(res, rid)] == [d, 2 * d + 60, 3 * d + 180]
    assert outcome(res, rid) == ("RetriesExhausted", 3, 3 * d + 180)


def test_retry_delays_are_settings() -> None:
    sim, lam = make(always_fail, duration=2.0, settings=ls.Settings(retry_delays_s=(10, 20)))
    rid = send(lam)
    res = sim.run()
    assert [a[0] for a in attempts(res, rid)] == [0.0, 12.0, 34.0]


@pytest.mark.parametrize(("retries", "expected"), [(0, 1), (1, 2), (2, 3)])
def test_maximum_retry_attempts(retries: int, expected: int) -> None:
    sim, lam = make(always_fail, duration=1.0, retries=retries)
    rid = send(lam)
    res = sim.run()
    assert len(attempts(res, rid)) == expected
    assert outcome(res, rid)[:2] == ("RetriesExhausted", expected)


@pytest.mark.parametrize(("max_age", "expected"), [(60, 1), (90, 2)])
def test_age_look_ahead_matches_the_aws_recording(max_age: int, expected: int) -> None:
    sim, lam = make(always_fail, duration=1.0, retries=2, max_age=max_age)
    rid = send(lam)
    res = sim.run()
    assert len(attempts(res, rid)) == expected
    condition, count, at = outcome(res, rid)
    assert (condition, count) == ("EventAgeExceeded", expected)
    # Discarded when the last attempt ends, without waiting out the retry delay.
    assert at == attempts(res, rid)[-1][1]


def test_success_after_a_failure() -> None:
    calls = []

    def flaky(event: dict[str, object], context: object) -> dict[str, bool]:
        calls.append(event)
        if len(calls) == 1:
            raise ValueError("first time")
        return {"ok": True}

    sim, lam = make(flaky, duration=3.0)
    rid = send(lam, {"n": 1})
    res = sim.run()
    assert [a[0] for a in attempts(res, rid)] == [0.0, 63.0]
    assert outcome(res, rid) == ("Success", 2, 66.0)
    assert calls == [{"n": 1}, {"n": 1}]


def test_one_request_id_across_attempts() -> None:
    seen = []

    def handler(event: object, context: ls.handler.Context) -> None:
        seen.append(context.aws_request_id)
        raise RuntimeError("x")

    sim, lam = make(handler, duration=1.0)
    rid = send(lam)
    sim.run()
    assert seen == [rid, rid, rid]


def test_throttle_backoff_with_reserved_concurrency_1() -> None:
    """The second event runs at 127 s when the first holds the only slot for 100 s: 1+2+4+...+64 = 127."""

    def handler(event: dict[str, float], context: object) -> None:
        return None

    sim, lam = make(handler, duration=100.0, reserved=1, timeout=900)
    first = send(lam)
    second = send(lam)
    res = sim.run()
    assert attempts(res, first) == [(0.0, 100.0, "Success")]
    assert throttles(res) == [0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 63.0]
    assert attempts(res, second) == [(127.0, 227.0, "Success")]
    assert res.functions["f"]["throttles_by_reason"] == {"ReservedFunctionConcurrentInvocationLimitExceeded": 7}


def test_throttle_backoff_caps_at_300_s_and_ages_out_with_look_ahead() -> None:
    sim, lam = make(None, duration=900.0, reserved=1, timeout=900, max_age=1000)
    send(lam)
    second = send(lam)
    res = sim.run()
    times = throttles(res)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:8] == [1, 2, 4, 8, 16, 32, 64, 128]
    # 255 s after 8 throttles; the 9th waits 256 s (511), the 10th would wait 300 s: 811; then 1111 > 1000.
    assert times[-1] == 811.0
    condition, count, at = outcome(res, second)
    assert (condition, count, at) == ("EventAgeExceeded", 0, 811.0)


def test_backoff_sequence_restarts_after_an_attempt_that_ran() -> None:
    """A throttled function-error retry starts its backoff at 1 s again."""
    sim, lam = make(always_fail, duration=10.0, reserved=1, timeout=900, retries=1)
    failing = send(lam)
    res = sim.run(until=1)
    assert throttles(res) == []
    lam.update_function_configuration(FunctionName="f", Duration=100.0)
    # A second event arrives at 65 s and holds the slot until 165 s; the retry of the first comes due at 70 s.
    sim.run(until=65)
    send(lam)
    res = sim.run()
    assert attempts(res, failing)[0] == (0.0, 10.0, "Error")
    assert throttles(res)[:3] == [70.0, 71.0, 73.0]
    assert attempts(res, failing)[1][0] == 70.0 + 127.0


def test_zero_reserved_concurrency_discards_at_once() -> None:
    sim, lam = make(always_fail, duration=1.0, reserved=0)
    resp_rid = send(lam)  # 202 even though it can never run
    res = sim.run()
    assert attempts(res) == []
    assert outcome(res, resp_rid) == ("ZeroReservedConcurrency", 0, 0.0)


def test_timeout_ends_the_attempt_at_the_timeout_as_a_function_error() -> None:
    messages = []

    class Capture:
        def deliver(self, outcome: ls.Outcome) -> None:
            messages.append(outcome)

    sim, lam = make(None, duration=12.0, timeout=5, retries=1)
    sim.engine.sinks.append(Capture())
    rid = send(lam)
    res = sim.run()
    assert attempts(res, rid) == [(0.0, 5.0, "Timeout"), (65.0, 70.0, "Timeout")]
    (out,) = messages
    assert out.error is not None
    assert out.error[:2] == ("Sandbox.Timedout", "Task timed out after 5.00 seconds")
    assert res.functions["f"]["timeouts"] == 2


def test_dispatch_latency_setting_shifts_the_first_attempt() -> None:
    sim, lam = make(always_fail, duration=1.0, settings=ls.Settings(dispatch_latency_s=0.035), retries=0)
    rid = send(lam)
    res = sim.run()
    assert attempts(res, rid) == [(0.035, 1.035, "Error")]


def test_max_event_age_change_mid_run_applies_from_then_on() -> None:
    sim, lam = make(always_fail, duration=1.0)
    rid = send(lam)
    sim.run(until=30)
    lam.put_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=100)
    res = sim.run()
    # Attempt 2 at 61 s (decided at 1 s under 6 h); after it ends at 62 s, 62 + 120 > 100: aged out.
    assert [a[0] for a in attempts(res, rid)] == [0.0, 61.0]
    assert outcome(res, rid)[:2] == ("EventAgeExceeded", 2)
