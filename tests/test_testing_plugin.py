"""lambdasim.testing and the pytest plugin: timelines, captures, the lambda_sim fixture, and the how-to page.

Plugin tests run pytest inside pytest (``pytester``) with plugin autoloading off and the plugin named explicitly, so
they behave the same whether or not lambdasim is installed (and its ``pytest11`` entry point active).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.testing import (
    DEFAULT_SEED,
    FAILURE_CONDITIONS,
    Capture,
    Expected,
    LambdaSim,
    RequestTrace,
    assert_attempts,
    capture,
    read_queue,
    retry_starts,
    trace_of,
)
from lambdasim.testing import plugin as pytest_plugin
from tests.helpers import always_fail

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
HOWTO = ROOT / "docs" / "howto-regression-tests.md"


def failing_sim(duration: float = 2.0, *, seed: int = 1, **eic: Any) -> tuple[LambdaSim, str]:
    """A traced run of one always-failing event against ``orders``."""
    sim = LambdaSim(seed=seed)
    sim.lam.create_function(FunctionName="orders", Handler=always_fail, Duration=duration, Timeout=60)
    if eic:
        sim.lam.put_function_event_invoke_config(FunctionName="orders", **eic)
    rid = sim.invoke("orders", {"order": 1})
    sim.run()
    return sim, rid


# -- timelines ----------------------------------------------------------------------------------------------------


def test_retry_starts_follow_the_aws_schedule() -> None:
    assert retry_starts(2.0) == [0.0, 62.0, 184.0]
    assert retry_starts(2.0, attempts=1) == [0.0]
    assert retry_starts(1.0, delays_s=(10, 20), at_s=5.0) == [5.0, 16.0, 37.0]
    with pytest.raises(ValueError, match=r"attempts must be in \[1, 3\], got 4"):
        retry_starts(1.0, attempts=4)
    with pytest.raises(ValueError, match="duration_s must be >= 0"):
        retry_starts(-1.0)
    # A wrong argument is named with its valid range (a simulation passed as the duration, a float count).
    with pytest.raises(
        TypeError, match=r"duration_s must be a number >= 0, got <Simulation seed=1 t=0s functions=\[\]> \(Simulation\)"
    ):
        retry_starts(ls.Simulation(seed=1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"attempts must be an integer in \[1, 3\], got 2.0 \(float\)"):
        retry_starts(1.0, attempts=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"delays_s\[0\] must be >= 0, got -1"):
        retry_starts(1.0, delays_s=(-1, 2))


@pytest.mark.parametrize("d", [0.1, 2.0, 7.3])
def test_assert_attempts_passes_on_the_simulated_timeline(d: float) -> None:
    sim, rid = failing_sim(d)
    trace = assert_attempts(
        sim,
        rid,
        starts=retry_starts(d),
        ends=[s + d for s in retry_starts(d)],
        kinds=["Error"] * 3,
        condition="RetriesExhausted",
        approximate_invoke_count=3,
        finished_at=3 * d + 180,
    )
    assert isinstance(trace, RequestTrace)
    assert trace.function_name == "orders"
    assert trace.kinds == ["Error", "Error", "Error"]
    assert trace.condition == "RetriesExhausted"
    # The same checks through a Simulation and a Results object.
    assert_attempts(sim.sim, rid, starts=retry_starts(d))
    assert_attempts(sim.results(), rid, starts=retry_starts(d), condition=ls.Condition.RETRIES_EXHAUSTED)


def test_a_wrong_timeline_fails_with_both_timelines_side_by_side() -> None:
    sim, rid = failing_sim(2.0, MaximumEventAgeInSeconds=90)
    with pytest.raises(AssertionError) as info:
        assert_attempts(sim, rid, starts=[0, 62, 184], condition="RetriesExhausted", approximate_invoke_count=3)
    assert str(info.value) == "\n".join(
        [
            f"request {rid} of function 'orders': timeline differs from the expected one (tolerance 0 s)",
            "              expected                   actual",
            "   attempt 1  start 0                    start 0  end 2  Error (RuntimeError)",
            "   attempt 2  start 62                   start 62  end 64  Error (RuntimeError)",
            "!! attempt 3  start 184                  (none)",
            "!! outcome    RetriesExhausted, count 3  EventAgeExceeded, count 2, at 64",
        ]
    )


def test_throttles_sit_between_attempts_in_time_order() -> None:
    sim = LambdaSim(seed=1)
    sim.lam.create_function(FunctionName="orders", Handler=always_fail, Duration=100.0, Timeout=300)
    sim.lam.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=1)
    sim.lam.put_function_event_invoke_config(FunctionName="orders", MaximumRetryAttempts=0)
    sim.invoke("orders")
    second = sim.invoke("orders")
    sim.run()
    # 1 + 2 + 4 + ... + 64 = 127: the backoff doubles until the first event frees the only slot at 100 s.
    assert_attempts(sim, second, throttled_at=[0, 1, 3, 7, 15, 31, 63], starts=[127])
    with pytest.raises(AssertionError) as info:
        assert_attempts(sim, second, throttled_at=[0, 1, 3, 7, 15, 31, 64], starts=[127])
    rows = str(info.value).splitlines()[2:]
    labels = [re.match(r"^(?:!!| ) *(\w+(?: \d+)?)", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert labels == [*(f"throttle {i}" for i in range(1, 8)), "attempt 1", "outcome"]
    assert [row[:2] for row in rows] == ["  "] * 6 + ["!!", "  ", "  "]
    assert rows[6].split()[1:6] == ["throttle", "7", "at", "64", "at"]


def test_tolerance_allows_that_many_seconds() -> None:
    sim, rid = failing_sim(2.0)
    assert_attempts(sim, rid, starts=[0.5, 62.5, 183.5], tolerance=0.5)
    with pytest.raises(AssertionError, match=r"tolerance 0\.4 s"):
        assert_attempts(sim, rid, starts=[0.5, 62.5, 183.5], tolerance=0.4)


def test_an_extra_attempt_is_a_mismatch() -> None:
    sim, rid = failing_sim(1.0)
    expected = Expected(starts=[0, 61])
    trace = trace_of(sim, rid)
    assert expected.mismatches(trace) == ["attempt 3"]
    assert trace != expected
    assert trace == Expected(starts=[0, 61, 182])
    assert Expected(condition="RetriesExhausted") == Expected(condition="RetriesExhausted")


def test_expected_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"kinds\[0\] must be one of \['Success', 'Error', 'Timeout'\], got 'Failed'"):
        Expected(kinds=["Failed"])
    with pytest.raises(ValueError, match=r"condition must be one of \['Success', 'RetriesExhausted'"):
        Expected(condition="Exhausted")
    with pytest.raises(TypeError, match=r"starts\[1\] must be a number of seconds, got '61'"):
        Expected(starts=[0, "61"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="tolerance must be seconds >= 0"):
        Expected(tolerance=-1)


def test_an_unknown_request_id_names_those_in_the_trace() -> None:
    sim, rid = failing_sim(1.0)
    with pytest.raises(AssertionError, match=re.escape(f"is not in the trace (it holds: {rid})")):
        trace_of(sim, "nope")


def test_a_run_without_trace_says_how_to_get_one() -> None:
    sim = ls.Simulation(seed=1)
    with pytest.raises(ValueError, match="create the Simulation with trace=True"):
        trace_of(sim, "x")
    with pytest.raises(TypeError, match="the trace source must be"):
        trace_of(42, "x")


def test_an_event_in_flight_has_no_outcome() -> None:
    sim = LambdaSim(seed=1)
    sim.lam.create_function(FunctionName="orders", Handler=always_fail, Duration=1.0, Timeout=30)
    rid = sim.invoke("orders")
    sim.run(until=30)
    trace = assert_attempts(sim, rid, starts=[0])
    assert trace.outcome is None and trace.condition is None and trace.approximate_invoke_count is None
    with pytest.raises(AssertionError, match=r"\(none: still in flight\)"):
        assert_attempts(sim, rid, condition="RetriesExhausted")


def test_the_same_seed_gives_the_same_request_ids_and_timeline() -> None:
    a, rid_a = failing_sim(1.0, seed=5)
    b, rid_b = failing_sim(1.0, seed=5)
    _, rid_c = failing_sim(1.0, seed=6)
    assert rid_a == rid_b != rid_c
    assert trace_of(a, rid_a) == trace_of(b, rid_b)


# -- capturing outcomes -------------------------------------------------------------------------------------------


def test_capture_keeps_the_records_of_chosen_functions_and_conditions() -> None:
    sim = LambdaSim(seed=1)
    sim.lam.create_function(FunctionName="orders", Handler=always_fail, Duration=1.0, Timeout=30)
    sim.lam.create_function(FunctionName="audit", Handler=ls.Behaviour(duration=0.5, response={"ok": 1}))
    failures = sim.capture("orders", condition=FAILURE_CONDITIONS)
    successes = capture(sim.sim, condition="Success")
    everything = sim.capture()
    failed = sim.invoke("orders", {"order": 7})
    ok = sim.invoke("audit", {"n": 1})
    sim.run()
    assert failures.request_ids == [failed]
    record = failures.records[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": 7}
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert successes.of(ok).response == {"ok": 1}
    assert everything.counts() == {"Success": 1, "RetriesExhausted": 1}
    assert len(everything) == 2 and [o.request_id for o in everything] == [ok, failed]
    assert everything[0].condition is ls.Condition.SUCCESS
    with pytest.raises(AssertionError, match="expected 1 outcome for request 'x', captured 0"):
        everything.of("x")
    everything.clear()
    assert len(everything) == 0


def test_read_queue_drains_a_dead_letter_queue_by_name_url_or_arn() -> None:
    sim = LambdaSim(seed=1)
    sqs = sim.client("sqs")
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sim.lam.create_function(
        FunctionName="orders", Handler=always_fail, Duration=1.0, Timeout=30, DeadLetterConfig={"TargetArn": arn}
    )
    first = sim.invoke("orders", {"order": 1})
    second = sim.invoke("orders", {"order": 2})
    sim.run()
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    messages = sim.read_queue("dlq")
    assert [m.body for m in messages] == [{"order": 1}, {"order": 2}, "not json"]
    assert [m.attributes.get("RequestID") for m in messages] == [first, second, None]
    assert messages[0].attributes["ErrorMessage"] == "always fails"
    assert messages[0].raw["MessageAttributes"]["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    assert sim.read_queue(arn) == [] and sim.read_queue(url) == []  # drained


def test_capture_refuses_unknown_conditions() -> None:
    with pytest.raises(ValueError, match=r"condition must be one of \['Success', .*got 'Failure'"):
        Capture(condition="Failure")
    with pytest.raises(TypeError, match="function must be a function name"):
        Capture(function=[1])  # type: ignore[list-item]
    assert isinstance(Capture(), ls.Sink)


# -- the plugin ---------------------------------------------------------------------------------------------------


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs load only the plugins they name (the entry point may or may not be installed)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.syspath_prepend(str(ROOT))
    return pytester


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The outer session imported the plugin already, so the inner one cannot rewrite its (assert-free) module.
    quiet = ("-W", "ignore::pytest.PytestAssertRewriteWarning")
    return pytester.runpytest("-p", "lambdasim.testing.plugin", "-p", "no:cacheprovider", *quiet, *args)


FIXTURE_TEST = """
    import lambdasim as ls
    from lambdasim.testing import LambdaSim, retry_starts

    def fail(event, context):
        raise RuntimeError("payments API is down")

    def test_fixture(lambda_sim, lambda_sim_seed):
        assert isinstance(lambda_sim, LambdaSim)
        assert lambda_sim.seed == lambda_sim_seed == {seed}
        lambda_sim.lam.create_function(FunctionName="orders", Handler=fail, Duration=2.0, Timeout=30)
        rid = lambda_sim.invoke("orders", {{"order": 1}})
        lambda_sim.run()
        lambda_sim.assert_attempts(rid, starts=retry_starts(2.0), condition="RetriesExhausted")
        assert lambda_sim.request_ids() == [rid]
"""


def test_the_fixture_is_a_seeded_traced_simulation(inner: pytest.Pytester) -> None:
    inner.makepyfile(FIXTURE_TEST.format(seed=DEFAULT_SEED))
    result = run_inner(inner)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"lambdasim: lambda_sim seed {DEFAULT_SEED}"])


def test_the_seed_comes_from_the_command_line(inner: pytest.Pytester) -> None:
    inner.makepyfile(FIXTURE_TEST.format(seed=42))
    result = run_inner(inner, "--lambdasim-seed", "42")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["lambdasim: lambda_sim seed 42"])


def test_the_seed_comes_from_the_ini_file(inner: pytest.Pytester) -> None:
    inner.makeini("[pytest]\nlambdasim_seed = 9\n")
    inner.makepyfile(FIXTURE_TEST.format(seed=9))
    run_inner(inner).assert_outcomes(passed=1)
    # The command line wins over the ini file.
    inner.makepyfile(FIXTURE_TEST.format(seed=10))
    run_inner(inner, "--lambdasim-seed", "10").assert_outcomes(passed=1)


def test_the_marker_sets_the_seed_and_simulation_keywords(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest
        import lambdasim as ls
        from lambdasim.testing import retry_starts

        def fail(event, context):
            raise RuntimeError("down")

        @pytest.mark.lambdasim(seed=3, settings=ls.Settings(retry_delays_s=(10, 20)), concurrency_limit=200)
        def test_marked(lambda_sim):
            assert lambda_sim.seed == 3
            assert lambda_sim.sim.engine.concurrency_limit == 200
            lambda_sim.lam.create_function(FunctionName="f", Handler=fail, Duration=1.0, Timeout=30)
            rid = lambda_sim.invoke("f")
            lambda_sim.run()
            lambda_sim.assert_attempts(rid, starts=retry_starts(1.0, delays_s=(10, 20)))
            assert retry_starts(1.0, delays_s=(10, 20)) == [0.0, 11.0, 32.0]

        @pytest.mark.lambdasim(trace=False)
        def test_no_trace(lambda_sim):
            assert lambda_sim.sim.engine.trace is None
        """
    )
    run_inner(inner, "--strict-markers").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--lambdasim-seed", "-1"], None, "--lambdasim-seed must be an integer >= 0, got -1"),
        ([], "[pytest]\nlambdasim_seed = seven\n", "the lambdasim_seed ini setting must be an integer >= 0"),
    ],
)
def test_a_bad_seed_is_a_usage_error(inner: pytest.Pytester, args: list[str], ini: str | None, message: str) -> None:
    if ini:
        inner.makeini(ini)
    inner.makepyfile("def test_nothing(): pass")
    result = run_inner(inner, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_a_bad_marker_seed_errors_the_test(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.lambdasim(seed="x")
        def test_marked(lambda_sim):
            pass
        """
    )
    result = run_inner(inner)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.lambdasim(seed=...) must be an integer >= 0, got 'x'*"])


def test_a_failing_timeline_assert_prints_both_timelines(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        from lambdasim.testing import Expected

        def fail(event, context):
            raise RuntimeError("down")

        def test_timeline(lambda_sim):
            lambda_sim.lam.create_function(FunctionName="orders", Handler=fail, Duration=1.0, Timeout=30)
            rid = lambda_sim.invoke("orders")
            lambda_sim.run()
            assert lambda_sim.trace(rid) == Expected(starts=[0, 61, 183], condition="RetriesExhausted")
        """
    )
    result = run_inner(inner)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert timeline of request * (function 'orders') == Expected(...), tolerance 0 s",
            "E                       expected          actual",
            "E            attempt 1  start 0           start 0  end 1  Error (RuntimeError)",
            "E            attempt 2  start 61          start 61  end 62  Error (RuntimeError)",
            "E         !! attempt 3  start 183         start 182  end 183  Error (RuntimeError)",
            "E            outcome    RetriesExhausted  RetriesExhausted, count 3, at 183",
        ]
    )


def test_the_plugin_leaves_other_comparisons_alone() -> None:
    assert pytest_plugin.pytest_assertrepr_compare(None, "==", 1, 2) is None  # type: ignore[arg-type]
    assert pytest_plugin.pytest_assertrepr_compare(None, "!=", Expected(), Expected()) is None  # type: ignore[arg-type]


def test_the_plugin_and_the_helpers_agree_on_the_default_seed() -> None:
    assert pytest_plugin.DEFAULT_SEED == DEFAULT_SEED


def test_the_entry_point_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"lambdasim": "lambdasim.testing.plugin"}


def _entry_point_active() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.value == "lambdasim.testing.plugin" for ep in importlib.metadata.entry_points(group="pytest11"))


@pytest.mark.skipif(
    not _entry_point_active(), reason="lambdasim is not installed (pip install -e .) or autoload is off"
)
def test_the_installed_entry_point_loads_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FIXTURE_TEST.format(seed=DEFAULT_SEED))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # Naming the module too (as the tests above do) loads it once, not twice.
    named = pytester.runpytest("-p", "no:cacheprovider", "-p", "lambdasim.testing.plugin")
    named.assert_outcomes(passed=1)
    # And it can be turned off by its entry-point name.
    off = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:lambdasim")
    off.assert_outcomes(errors=1)


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, lambdasim.testing.plugin\n"
        "heavy = ['matplotlib', 'pandas', 'tqdm', 'lambdasim.testing.helpers', 'lambdasim.planning.scenario',"
        " 'lambdasim.cli']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the how-to page ----------------------------------------------------------------------------------------------


def _blocks(language: str) -> list[str]:
    text = HOWTO.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)]


def test_the_howto_page_runs(inner: pytest.Pytester) -> None:
    """Every ``python`` block of the page, in order, is one test module: it must pass as the page says."""
    code = "\n".join(_blocks("python"))
    inner.makepyfile(test_howto=code)
    result = run_inner(inner, "-v")
    tests = re.findall(r"^def (test_\w+)", code, re.MULTILINE)
    assert len(tests) >= 3
    result.assert_outcomes(passed=len(tests))


def test_the_howto_failure_output_is_what_pytest_prints(inner: pytest.Pytester) -> None:
    """The page shows a failing assertion; running the page's code with that change prints exactly that."""
    code = "\n".join(_blocks("python"))
    shown = _blocks("text")[0]
    old, new = re.search(r"Change `(.+?)` to `(.+?)`", HOWTO.read_text(encoding="utf-8")).groups()  # type: ignore[union-attr]
    assert code.count(old) == 1
    inner.makepyfile(test_howto=code.replace(old, new))
    result = run_inner(inner)
    result.assert_outcomes(failed=1, passed=len(re.findall(r"^def test_", code, re.MULTILINE)) - 1)
    printed = [line[1:].strip() for line in result.outlines if line.startswith("E ")]
    assert [line.strip() for line in shown.strip().splitlines()] == printed


def test_the_howto_page_is_myst_markdown_with_a_title() -> None:
    text = HOWTO.read_text(encoding="utf-8")
    assert text.startswith("# Write a regression test on your retry timing\n")
    assert json.dumps(text)  # plain text, no binary


def test_read_queue_names_a_wrong_argument() -> None:
    sim = ls.Simulation(seed=1)
    with pytest.raises(TypeError, match=r"queue must be a queue name, URL or ARN \(str\), got 3 \(int\)"):
        read_queue(sim, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit must be >= 1, got 0"):
        read_queue(sim, "q", limit=0)
