"""The ``lambdasim demo`` main job (issue 2): a readable summary of outcomes per condition, attempts, throttles and
event-age quantiles; ``--json`` for machines; and the command's help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.cli import main
from lambdasim.planning.demo import DEMO_SEED, run_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_text() -> str:
    """What ``lambdasim demo`` prints (the demo takes about a second: run it once for the module)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo"]) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--json"]) == 0
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def number_after(text: str, label: str) -> int:
    match = re.search(rf"{re.escape(label)}\s+([\d,]+)", text)
    assert match, f"{label!r} not in the summary"
    return int(match.group(1).replace(",", ""))


def test_demo_prints_outcomes_per_condition_attempts_throttles_and_age_quantiles(demo_text: str) -> None:
    assert "lambdasim demo" in demo_text
    assert f"seed {DEMO_SEED}" in demo_text
    assert "function orders" in demo_text
    for condition in ls.Condition:
        assert re.search(rf"^\s+{condition.value}\s+[\d,]+\s+[\d.]+%$", demo_text, re.M), condition
    assert re.search(r"^\s+attempts\s+[\d,]+", demo_text, re.M)
    assert re.search(r"^\s+throttles\s+[\d,]+\s+\(ReservedFunctionConcurrentInvocationLimitExceeded", demo_text, re.M)
    header = re.search(r"^\s+seconds\s+mean\s+p50\s+p90\s+p99\s+max$", demo_text, re.M)
    assert header
    age = re.search(r"^\s+event age at attempt((\s+[\d.]+){5})$", demo_text, re.M)
    assert age, "event-age quantiles missing"
    _mean, p50, p90, p99, top = (float(v) for v in age.group(1).split())
    assert 0 <= p50 <= p90 <= p99 <= top


def test_demo_summary_agrees_with_its_json(demo_text: str, demo_json: dict[str, Any]) -> None:
    assert demo_json["seed"] == DEMO_SEED
    f = demo_json["functions"]["orders"]
    assert number_after(demo_text, "events received") == f["async_events_received"]
    assert number_after(demo_text, "attempts") == f["attempts"]
    assert number_after(demo_text, "throttles") == f["throttles"]
    for condition, n in f["outcomes"].items():
        assert number_after(demo_text, condition) == n
    # Every accepted event ended somewhere: the demo runs until nothing is left to do.
    assert sum(f["outcomes"].values()) == f["async_events_received"] + f["duplicates"]
    assert f["in_flight"] == 0
    p = f["event_age_s"]
    assert f"{p['p50']:.3f}" in demo_text and f"{p['p99']:.3f}" in demo_text


def test_demo_is_the_scenario_it_describes(demo_json: dict[str, Any]) -> None:
    """Bursts beyond the reserved concurrency: throttles, backoff and some events ageing out (spec 1.3, 2)."""
    f = demo_json["functions"]["orders"]
    assert f["throttles"] > 0
    assert f["throttles_by_reason"] == {"ReservedFunctionConcurrentInvocationLimitExceeded": f["throttles"]}
    assert f["errors"] > 0
    assert f["outcomes"]["Success"] > 0.8 * f["async_events_received"]
    assert f["concurrency"]["max"] <= 12
    assert demo_json["settings"]["retry_delays_s"] == [60.0, 120.0]
    # The JSON is what Results.to_dict gives for the same seed.
    assert json.loads(json.dumps(run_demo().to_dict(), default=str)) == demo_json


def test_demo_seed_option() -> None:
    assert build_seed(["demo", "--seed", "7"]) == 7


def build_seed(argv: list[str]) -> int:
    from lambdasim.cli import build_parser

    seed: int = build_parser().parse_args(argv).seed
    return seed


def test_help_works_as_a_module_and_lists_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lambdasim.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: lambdasim")
    assert "demo" in done.stdout


def test_demo_help_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    assert "--json" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--seed", "many"])
    assert exc.value.code == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err
    assert main(["demo", "--seed", "-3"]) == 2  # a clean one-line error, not a traceback
    assert capsys.readouterr().err == "lambdasim: error: --seed must be an integer >= 0, got -3\n"
