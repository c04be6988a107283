"""Spec facts that no other test pinned so that it would fail if the rule broke (``aws-async.md``, sections 1 to 8).

The audit behind this file is ``docs/explanation/spec-coverage.md``: every fact of the spec, the test that pins it
and, for each [model] choice, its setting and default. The last tests here check that page against the code: every
test it names exists, and every default it states is the default of :class:`lambdasim.Settings`.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest

import lambdasim as ls
from lambdasim.aws._shapes import constraint_violations, validation_message
from lambdasim.aws.lambda_._model import SHAPES, input_shape
from lambdasim.core.faults import Outage
from tests.helpers import always_fail, attempts, make, outcome, send, throttles

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "explanation" / "spec-coverage.md"


class Capture:
    """A sink that keeps every outcome."""

    def __init__(self) -> None:
        self.outcomes: list[ls.Outcome] = []

    def deliver(self, outcome: ls.Outcome) -> None:
        self.outcomes.append(outcome)


def tries(results: ls.Results, kind: str) -> list[float]:
    assert results.trace is not None
    return [t.start for t in results.trace if t.kind == kind]


# -- section 1: the path of one event -------------------------------------------------------------------------------


def test_throttles_do_not_use_up_retry_attempts() -> None:
    """Spec 1.3: a throttle is no function execution. With ``MaximumRetryAttempts=0`` an event throttled four times
    still gets its one attempt (a rule that counted throttles would discard it at the first)."""
    sim, lam = make(always_fail, duration=10.0, reserved=1, retries=0, timeout=900)
    send(lam)  # holds the only unit of concurrency from 0 to 10 s
    second = send(lam)
    res = sim.run()
    assert throttles(res) == [0.0, 1.0, 3.0, 7.0]
    assert attempts(res, second) == [(15.0, 25.0, "Error")]
    assert outcome(res, second) == ("RetriesExhausted", 1, 25.0)


def test_service_errors_do_not_use_up_retry_attempts() -> None:
    """Spec 1.3: a service error (HTTP 5xx) backs off like a throttle and leaves all ``MaximumRetryAttempts``."""
    sim, lam = make(always_fail, duration=1.0, retries=1)
    Outage(start_s=0.0, end_s=10.0).attach(sim)
    rid = send(lam)
    res = sim.run()
    assert tries(res, "ServiceError") == [0.0, 1.0, 3.0, 7.0]
    # First attempt at 15 s (7 + 8); its retry 60 s after it ends.
    assert attempts(res, rid) == [(15.0, 16.0, "Error"), (76.0, 77.0, "Error")]
    assert outcome(res, rid) == ("RetriesExhausted", 2, 77.0)
    f = res.functions["f"]
    assert (f["service_errors"], f["invocations"], f["throttles"]) == (4, 2, 0)


def _sys_exit(event: Any, context: Any) -> None:
    raise SystemExit(3)


@pytest.mark.parametrize(
    ("handler", "duration", "error_type"),
    [
        (always_fail, 1.0, "RuntimeError"),  # the handler raised
        (None, 12.0, "Sandbox.Timedout"),  # timed out (Timeout 5 s)
        (
            ls.Behaviour(duration=1.0, error_rate=1.0, error_type="Runtime.OutOfMemory", error_message="killed"),
            None,
            "Runtime.OutOfMemory",
        ),  # ran out of memory
        (_sys_exit, 1.0, "Runtime.ExitError"),  # the runtime crashed
    ],
    ids=["raised", "timed out", "out of memory", "runtime crash"],
)
def test_every_kind_of_function_error_is_retried_maximum_retry_attempts_times(
    handler: Any, duration: float | None, error_type: str
) -> None:
    """Spec 1.3: each kind of function error is retried, at most ``MaximumRetryAttempts`` (default 2) times."""
    sim = ls.Simulation(seed=1, trace=True)
    lam = sim.client("lambda")
    params: dict[str, Any] = {"FunctionName": "f", "Handler": handler, "Timeout": 5}
    if duration is not None:
        params["Duration"] = duration
    lam.create_function(**params)
    capture = Capture()
    sim.engine.sinks.append(capture)
    rid = send(lam)
    res = sim.run()
    d = min(duration or 1.0, 5.0)
    assert [a[0] for a in attempts(res, rid)] == [0.0, d + 60, 2 * d + 180]
    (out,) = capture.outcomes
    assert (out.condition, out.approximate_invoke_count) == (ls.Condition.RETRIES_EXHAUSTED, 3)
    assert out.error is not None and out.error[0] == error_type


def test_a_duplicated_event_runs_twice_under_one_request_id() -> None:
    """Spec 1.5: the queue is at-least-once; with ``duplicate_probability=1`` every event is delivered twice, each
    copy with the event's request id, and ``AsyncEventsReceived`` still counts the event once (spec 6)."""
    seen: list[str] = []

    def handler(event: Any, context: Any) -> dict[str, int]:
        seen.append(context.aws_request_id)
        return {"n": event["n"]}

    sim, lam = make(handler, duration=1.0, settings=ls.Settings(duplicate_probability=1.0))
    capture = Capture()
    sim.engine.sinks.append(capture)
    rid = send(lam, {"n": 7})
    res = sim.run()
    assert seen == [rid, rid]
    assert attempts(res, rid) == [(0.0, 1.0, "Success"), (0.0, 1.0, "Success")]
    assert [(o.request_id, o.condition.value, o.response) for o in capture.outcomes] == [(rid, "Success", {"n": 7})] * 2
    f = res.functions["f"]
    assert (f["async_events_received"], f["duplicates"]) == (1, 1)
    assert res.metric("f", "AsyncEventsReceived") == [(0.0, 1.0)]
    assert res.metric("f", "Invocations") == [(0.0, 2.0)]


def test_by_default_the_queue_neither_duplicates_nor_drops() -> None:
    """Spec 1.5 [model]: duplicates and drops are probabilities, default 0. Fifty events behind one unit of
    concurrency are throttled hundreds of times; every one is delivered once and succeeds."""
    assert (ls.Settings().duplicate_probability, ls.Settings().drop_probability) == (0.0, 0.0)
    sim, lam = make(None, duration=1.0, reserved=1)
    for _ in range(50):
        send(lam)
    res = sim.run()
    f = res.functions["f"]
    assert f["throttles"] > 200
    assert (f["duplicates"], f["attempts"]) == (0, 50)
    assert {k: v for k, v in f["outcomes"].items() if v} == {"Success": 50}


# -- section 2: timing ----------------------------------------------------------------------------------------------


def test_function_error_retry_jitter_is_an_option_and_off_by_default() -> None:
    """Spec 2 [model]: AWS documents no jitter on the 60 s / 120 s retries; ``retry_jitter_s`` adds a uniform delay
    in ``[0, retry_jitter_s)``, default 0."""
    assert ls.Settings().retry_jitter_s == 0.0

    def starts(seed: int) -> list[float]:
        sim, lam = make(always_fail, duration=1.0, seed=seed, settings=ls.Settings(retry_jitter_s=10.0))
        rid = send(lam)
        return [a[0] for a in attempts(sim.run(), rid)]

    first, second, third = starts(1)
    assert first == 0.0
    assert 61.0 <= second < 71.0 and second != 61.0
    assert 120.0 <= third - (second + 1.0) < 130.0 and third != second + 121.0
    assert starts(1) == [first, second, third]  # seeded


def test_throttle_backoff_jitter_is_an_option_and_off_by_default() -> None:
    """Spec 2 and 8 [model]: ``throttle_backoff_jitter`` ``j`` multiplies each backoff by ``1 - j * U``, ``U`` uniform
    on [0, 1); default 0, which gives exactly 1, 2, 4, ... s."""
    assert ls.Settings().throttle_backoff_jitter == 0.0
    sim, lam = make(None, duration=100.0, reserved=1, timeout=900, settings=ls.Settings(throttle_backoff_jitter=0.5))
    send(lam)
    send(lam)
    times = throttles(sim.run())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    plain = [2.0**n for n in range(len(gaps))]
    assert len(gaps) >= 5
    for gap, full in zip(gaps, plain, strict=True):
        assert 0.5 * full < gap <= full
    assert gaps != plain


def test_ties_at_one_instant_are_broken_in_the_documented_order() -> None:
    """Spec 2: an attempt that ends at ``t`` frees its concurrency before a poll due at ``t`` tries to take it, and
    events due at the same time are polled in the order they were scheduled (invoked first, polled first).

    Reserved concurrency 1, attempts of 1 s, three events invoked at 0: A runs 0-1; B and C are throttled at 0 and
    both come due at 1 s, when A ends. B (invoked before C) takes the unit at exactly 1 s; C is throttled again and
    runs at 3 s. Another order would start B later, or C before B.
    """

    def run() -> tuple[list[tuple[float, float, str]], ...]:
        sim, lam = make(None, duration=1.0, reserved=1)
        rids = [send(lam, {"n": n}) for n in range(3)]
        res = sim.run()
        return tuple(attempts(res, rid) for rid in rids)

    a, b, c = run()
    assert (a, b, c) == ([(0.0, 1.0, "Success")], [(1.0, 2.0, "Success")], [(3.0, 4.0, "Success")])
    assert run() == (a, b, c)


def test_the_default_maximum_event_age_is_six_hours_with_the_look_ahead_on_the_capped_backoff() -> None:
    """Spec 1.3 and 2: ``MaximumEventAgeInSeconds`` defaults to 21600 s. Under a service outage the tries come at
    0, 1, 3, ... 255, 511 s and then every 300 s; at 21511 s the next try (21811 s) would be too old: discarded then,
    never having run (``approximateInvokeCount`` 0)."""
    sim, lam = make(None, duration=1.0)
    Outage(start_s=0.0, end_s=100_000.0).attach(sim)
    rid = send(lam)
    res = sim.run()
    times = tries(res, "ServiceError")
    assert times[:10] == [0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 63.0, 127.0, 255.0, 511.0]
    assert [b - a for a, b in itertools.pairwise(times[9:])] == [300.0] * (len(times) - 10)
    assert times[-1] == 21511.0
    assert outcome(res, rid) == ("EventAgeExceeded", 0, 21511.0)
    assert attempts(res) == []


# -- section 3: the event invoke configuration API ------------------------------------------------------------------


def test_an_event_age_below_60_reads_greater_than_or_equal_to_60_on_the_service_side() -> None:
    """Spec 3: Lambda's own message for an age below its minimum. boto3 refuses such a value before sending it
    (``ParamValidationError``, tested in test_event_invoke_config.py); the service check behind it words it so."""
    shape = input_shape("PutFunctionEventInvokeConfig")
    params = {"FunctionName": "f", "MaximumEventAgeInSeconds": 59, "MaximumRetryAttempts": 2}
    assert validation_message(constraint_violations(params, SHAPES, shape)) == (
        "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 60"
    )
    assert constraint_violations({**params, "MaximumEventAgeInSeconds": 60}, SHAPES, shape) == []


# -- section 5: concurrency -----------------------------------------------------------------------------------------


def test_the_default_account_concurrency_is_1000() -> None:
    """Spec 5: 1000 events of 100 s at once all run; the 1001st is throttled by the account
    (``ConcurrentInvocationLimitExceeded``) until the first ones end, and runs at 127 s (1 + 2 + ... + 64)."""
    sim = ls.Simulation(seed=1, trace=True)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Duration=100.0, Timeout=900)
    for _ in range(1001):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    res = sim.run()
    assert Counter(a[0] for a in attempts(res)) == {0.0: 1000, 127.0: 1}
    assert res.functions["f"]["throttles_by_reason"] == {"ConcurrentInvocationLimitExceeded": 7}
    assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 1000


def test_an_init_phase_over_10_s_is_stopped_and_run_again_inside_the_invoke_within_the_timeout() -> None:
    """Spec 5: the init phase is limited to 10 s. AWS stops a longer one at 10 s and runs it again at the start of
    the invoke phase, where it counts against the function's timeout (a timeout there resets the environment)."""

    def remaining(event: Any, context: Any) -> int:
        return int(context.get_remaining_time_in_millis())

    def first_two_calls(timeout: int, init: float) -> tuple[float, Any, float, ls.Simulation]:
        sim = ls.Simulation(seed=1)
        lam = sim.client("lambda")
        lam.create_function(FunctionName="f", Handler=remaining, Duration=1.0, InitDuration=init, Timeout=timeout)
        body = json.loads(lam.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
        first = sim.now
        lam.invoke(FunctionName="f", Payload=b"{}")
        return first, body, sim.now - first, sim

    # 10 s stopped + 15 s again + 1 s handler; the handler sees the timeout less the retried init; warm afterwards.
    first, body, second, sim = first_two_calls(timeout=30, init=15.0)
    assert (first, body, second) == (26.0, 15_000, 1.0)
    st = sim.results().stats("f")
    assert (st.cold_starts, st.billed_init_ms, st.billed_ms) == (1, 10_000, 16_000 + 1_000)
    # The retried init alone outlasts a 5 s timeout: timed out at 10 + 5 s, and the next invoke starts cold again.
    first, body, second, sim = first_two_calls(timeout=5, init=15.0)
    assert (first, second) == (15.0, 15.0)
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith(" Error: Task timed out after 5.00 seconds")
    assert sim.results().stats("f").cold_starts == 2
    # Exactly 10 s is within the limit: one init phase.
    first, body, second, _ = first_two_calls(timeout=30, init=10.0)
    assert (first, body, second) == (11.0, 30_000, 1.0)


@pytest.mark.parametrize(("reuse", "lifespans"), [("most_recent", (610.0, 625.0)), ("least_recent", (610.0, 630.0))])
def test_which_idle_environment_is_reused_is_a_setting(reuse: str, lifespans: tuple[float, float]) -> None:
    """Spec 5 [meas][model]: which idle environment a warm start takes is a documented setting.

    Environment A (born 0 s) is freed at 10 s, B (born 5 s) at 15 s; one event at 20 s takes B with
    ``"most_recent"`` (A then idles out at 610 s, B at 630 s: lifespans 610 and 625 s), or A with ``"least_recent"``
    (B idles out at 615 s, A at 630 s: lifespans 610 and 630 s), each after its own idle timeout (no active idle
    timeout). The default is most-recent reuse; ``"mixed"`` adds an occasional least-recent one
    (tests/test_environments.py).
    """
    assert ls.Settings().environment_reuse == "most_recent"
    settings = ls.Settings(
        environment_reuse=reuse, idle_timeout_s=600.0, idle_timeout_jitter_s=0.0, active_idle_timeout_s=None
    )
    sim, lam = make(None, duration=10.0, settings=settings)
    send(lam)
    sim.run(until=5)
    send(lam)
    sim.run(until=20)
    send(lam)
    sim.run(until=2000)
    st = sim.results().stats("f")
    assert (st.environments_created, st.environments_shut_down) == (2, 2)
    assert (st.environment_lifespan.min, st.environment_lifespan.max) == lifespans
    with pytest.raises(ValueError, match=r"environment_reuse must be one of \['mixed', 'most_recent', 'least_recent'"):
        ls.Settings(environment_reuse="random")


# -- section 6: metrics ---------------------------------------------------------------------------------------------


def test_metrics_of_an_event_retried_twice_after_service_errors() -> None:
    """Spec 6: ``Invocations`` counts every attempt that ran, retries included, stamped when it starts;
    ``AsyncEventsReceived`` counts the event once; ``AsyncEventAge`` is taken at each attempt; service errors are
    neither invocations nor throttles; ``AsyncEventsDropped`` counts the discard once, when it happens.

    An always-failing 1 s function behind a 3 s outage: service errors at 0, 1 s; attempts at 3, 64 and 185 s.
    """
    sim, lam = make(always_fail, duration=1.0)
    Outage(start_s=0.0, end_s=3.0).attach(sim)
    send(lam)
    res = sim.run()
    assert tries(res, "ServiceError") == [0.0, 1.0]
    assert res.metric("f", "Invocations") == [(0.0, 1.0), (60.0, 1.0), (180.0, 1.0)]
    assert res.metric("f", "Errors") == [(0.0, 1.0), (60.0, 1.0), (180.0, 1.0)]
    assert res.metric("f", "AsyncEventsReceived") == [(0.0, 1.0)]
    assert res.metric("f", "AsyncEventAge", "Maximum") == [(0.0, 3000.0), (60.0, 64000.0), (180.0, 185000.0)]
    assert res.metric("f", "AsyncEventAge", "SampleCount") == [(0.0, 1.0), (60.0, 1.0), (180.0, 1.0)]
    assert res.metric("f", "Throttles") == []
    assert res.metric("f", "AsyncEventsDropped") == [(180.0, 1.0)]
    assert res.metric("f", "ConcurrentExecutions", "Maximum") == [(0.0, 1.0), (60.0, 1.0), (180.0, 1.0)]


# -- the audit page agrees with the code ----------------------------------------------------------------------------

TEST_REF = re.compile(r"`(tests/test_\w+\.py)::(\w+)`")
SETTING_REF = re.compile(r"`Settings\.(\w+)` = `([^`]+)`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def test_every_test_the_coverage_page_names_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    refs = TEST_REF.findall(text)
    assert len(refs) > 80
    names: dict[str, set[str]] = {}
    missing = []
    for file, name in refs:
        if file not in names:
            names[file] = _test_names(ROOT / file)
        if name not in names[file]:
            missing.append(f"{file}::{name}")
    assert missing == []
    # Every spec test of this file is cited by the page (all but the two checks of the page itself).
    own = _test_names(Path(__file__)) - {"test_every_test_the_coverage_page_names_exists"}
    own.discard("test_every_default_the_coverage_page_states_is_the_settings_default")
    assert own <= {n for f, n in refs if f == "tests/test_spec_coverage.py"}


def test_every_default_the_coverage_page_states_is_the_settings_default() -> None:
    text = PAGE.read_text(encoding="utf-8")
    stated = SETTING_REF.findall(text)
    defaults = ls.Settings()
    fields = {f.name for f in attrs.fields(ls.Settings)}
    assert {name for name, _ in stated} >= {
        "retry_jitter_s",
        "throttle_backoff_base_s",
        "throttle_backoff_cap_s",
        "throttle_backoff_jitter",
        "backlog_backoff_factor",
        "poller_read_rate_per_s",
        "dispatch_latency_s",
        "duplicate_probability",
        "drop_probability",
        "async_payload_limit_bytes",
    }
    for name, value in stated:
        assert name in fields, name
        assert getattr(defaults, name) == ast.literal_eval(value), name
