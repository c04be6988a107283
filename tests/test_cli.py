"""The ``lambdasim`` command: run, validate and demo, their outputs, and one-line errors on bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lambdasim as ls
from lambdasim.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_OUTPUT, main
from lambdasim.experiment import replication_seeds
from lambdasim.planning.scenario import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

SMALL = """
name = "small"
seed = 4
horizon_s = 400

[[functions]]
name = "orders"
timeout_s = 5
reserved_concurrency = 2
dead_letter_arn = "arn:aws:sqs:us-east-1:123456789012:orders-dlq"
behaviour = { duration = { exponential = { mean_s = 0.5 } }, error_rate = 0.3 }
event_invoke = { maximum_retry_attempts = 1 }

[[workloads]]
type = "poisson"
function = "orders"
rate_per_s = 3
stop_s = 200
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- help ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["run"], ["plan"], ["validate"], ["demo"]])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: lambdasim {' '.join(command)}".rstrip())
    for word in {
        "": ["run", "validate", "demo"],
        "run": ["--json", "--plot", "--trace", "--replications", "--seed"],
    }.get(" ".join(command), []):
        assert word in out


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("usage: lambdasim") and "run" in out and "validate" in out and "demo" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"lambdasim {ls.__version__}\n"


# -- demo ---------------------------------------------------------------------------------------------------------


def test_demo_prints_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == EXIT_OK
    assert "lambdasim demo" in out and "function orders" in out and "(seed 2026)" in out


def test_demo_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--json", "--seed", "3")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["seed"] == 3
    orders = data["functions"]["orders"]
    assert sum(orders["outcomes"].values()) + orders["in_flight"] == orders["async_events_received"]


# -- validate -----------------------------------------------------------------------------------------------------


def test_validate_accepts_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", *map(str, EXAMPLES))
    assert code == EXIT_OK and err == ""
    assert [line.split(": ")[1] for line in out.splitlines()] == ["ok"] * len(EXAMPLES)


def test_validate_reports_each_bad_file_on_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[functions]]\nname = "f"\nmemory_mb = 64\n')
    code, out, err = run(capsys, "validate", str(EXAMPLES[0]), str(bad))
    assert code == EXIT_BAD_INPUT
    assert out.count(": ok:") == 1
    assert err == f"lambdasim: error: {bad}: functions[0].memory_mb: must be in [128, 10240], got 64\n"


# -- run ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_example_runs(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    code, out, err = run(capsys, "run", str(path))
    assert code == EXIT_OK, err
    scenario = load(path)
    assert out.startswith(f"scenario {scenario.name!r} ({path})")
    for f in scenario.model.functions:
        assert f"function {f.name}\n" in out
    assert f"lambdasim results at t = {scenario.model.horizon_s:,.1f} s (seed {scenario.seed})" in out


def test_run_summary_shows_the_queues(capsys: pytest.CaptureFixture[str], small: Path) -> None:
    code, out, _ = run(capsys, "run", str(small))
    assert code == EXIT_OK
    assert "messages waiting in queues" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("orders-dlq"))
    assert int(line.split()[-1].replace(",", "")) > 0


def test_run_writes_json(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "run", str(small), "--json", str(out_path))
    assert code == EXIT_OK
    data = json.loads(out_path.read_text())
    assert data["scenario"] == {"name": "small", "description": "", "source": str(small)}
    assert data["seeds"] == [4]
    (only,) = data["runs"]
    assert only["results"]["seed"] == 4
    failed = only["results"]["functions"]["orders"]["outcomes"]["RetriesExhausted"]
    assert failed > 0 and only["queues"] == {"orders-dlq": failed}


def test_the_seed_option_changes_the_run(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.json" for n in "abc")
    run(capsys, "run", str(small), "--json", str(a))
    run(capsys, "run", str(small), "--json", str(b), "--seed", "4")
    run(capsys, "run", str(small), "--json", str(c), "--seed", "5")
    assert a.read_text() == b.read_text() != c.read_text()


def test_replications_use_the_python_apis_seeds(
    capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "reps.json"
    code, out, _ = run(capsys, "run", str(small), "--replications", "3", "--seed", "9", "--json", str(out_path))
    assert code == EXIT_OK
    data = json.loads(out_path.read_text())
    assert data["seeds"] == replication_seeds(9, 3)
    assert [r["results"]["seed"] for r in data["runs"]] == data["seeds"]
    assert "3 replications" in out and "mean" in out and "+/-" in out
    received = [r["results"]["functions"]["orders"]["async_events_received"] for r in data["runs"]]
    row = next(line for line in out.splitlines() if line.strip().startswith("events received"))
    assert float(row.split()[2].replace(",", "")) == pytest.approx(sum(received) / 3, abs=0.005)
    # Any replication reruns alone with its own seed.
    single = tmp_path / "single.json"
    run(capsys, "run", str(small), "--seed", str(data["seeds"][1]), "--json", str(single))
    assert json.loads(single.read_text())["runs"][0]["results"] == data["runs"][1]["results"]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_run_writes_the_trace(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path, suffix: str) -> None:
    trace_path = tmp_path / f"trace{suffix}"
    json_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "run", str(small), "--trace", str(trace_path), "--json", str(json_path))
    assert code == EXIT_OK
    text = trace_path.read_text()
    rows = json.loads(text) if suffix == ".json" else list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {
        "replication",
        "seed",
        "request_id",
        "function_name",
        "attempt",
        "start",
        "end",
        "kind",
        "detail",
    }
    outcomes = [r for r in rows if r["kind"] == "Outcome"]
    results = json.loads(json_path.read_text())["runs"][0]["results"]["functions"]["orders"]
    assert len(outcomes) == sum(results["outcomes"].values())
    assert sum(r["kind"] in ("Success", "Error", "Timeout") for r in rows) == results["attempts"]


def test_run_draws_a_plot(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
    png = tmp_path / "fig.png"
    code, _, _ = run(capsys, "run", str(small), "--plot", str(png), "--replications", "2")
    assert code == EXIT_OK
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_scenario_without_horizon_still_plots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "idle.toml"
    path.write_text(SMALL.replace("horizon_s = 400\n", ""))
    svg = tmp_path / "fig.svg"
    code, out, _ = run(capsys, "run", str(path), "--plot", str(svg))
    assert code == EXIT_OK
    assert "horizon until idle" in out
    assert svg.read_text().lstrip().startswith("<?xml")


def test_progress_does_not_change_the_results(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    quiet, shown = tmp_path / "quiet.json", tmp_path / "shown.json"
    run(capsys, "run", str(small), "--no-progress", "--json", str(quiet))
    code, _, err = run(capsys, "run", str(small), "--progress", "--json", str(shown))
    assert code == EXIT_OK
    assert "small" in err  # the bar, on stderr
    assert quiet.read_text() == shown.read_text()


def test_progress_is_quiet_when_not_a_terminal(capsys: pytest.CaptureFixture[str], small: Path) -> None:
    code, _, err = run(capsys, "run", str(small))
    assert code == EXIT_OK and err == ""


# -- bad input ----------------------------------------------------------------------------------------------------

FN = '[[functions]]\nname = "f"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (FN + "timeout = 3\n", "functions[0].timeout: unknown key; did you mean 'timeout_s'? valid keys: name,"),
        (FN + 'memory_mb = "big"\n', "functions[0].memory_mb: must be an integer, got 'big' (a string)"),
        (FN + "memory_mb = 20000\n", "functions[0].memory_mb: must be in [128, 10240], got 20000"),
        (FN + "name = \n", "invalid TOML: Invalid value (at line 3, column 8)"),
    ],
    ids=["unknown key", "wrong type", "out of range", "invalid TOML"],
)
def test_a_bad_file_ends_with_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for command in ("run", "validate"):
        code, out, err = run(capsys, command, str(path))
        assert code == EXIT_BAD_INPUT
        assert out == ""
        assert err.startswith(f"lambdasim: error: {path}: {message}")
        assert err.count("\n") == 1 and "Traceback" not in err


def test_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "run", str(tmp_path / "nope.toml"))
    assert code == EXIT_BAD_INPUT
    assert err == f"lambdasim: error: {tmp_path / 'nope.toml'}: no such file\n"


@pytest.mark.parametrize(("option", "value"), [("--seed", "-1"), ("--replications", "0")])
def test_bad_options(capsys: pytest.CaptureFixture[str], small: Path, option: str, value: str) -> None:
    code, _, err = run(capsys, "run", str(small), option, value)
    assert code == EXIT_BAD_INPUT
    assert err.startswith(f"lambdasim: error: {option} must be an integer >=")


def test_an_output_that_cannot_be_written(capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
    # Checked before the run: nothing is printed but the one line of the error.
    code, out, err = run(capsys, "run", str(small), "--json", str(tmp_path))
    assert (code, out) == (EXIT_OUTPUT, "")
    assert err == f"lambdasim: error: --json {tmp_path}: is a directory, not a file\n"
    code, out, err = run(capsys, "run", str(small), "--plot", str(tmp_path / "fig.unknown-format"))
    assert (code, out) == (EXIT_OUTPUT, "")
    assert "--plot" in err and "unknown figure format '.unknown-format'" in err and err.count("\n") == 1
    code, out, err = run(capsys, "run", str(small), "--trace", str(tmp_path / "missing" / "t.csv"))
    assert (code, out) == (EXIT_OUTPUT, "")
    assert "no such directory" in err and err.count("\n") == 1


def test_the_module_runs_as_a_program_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[functions]]\nname = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "lambdasim.cli", "run", str(bad)], check=False, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stdout == ""
    assert done.stderr.startswith(f"lambdasim: error: {bad}: functions[0].name: must be a string, got 1")
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("lambdasim") is None, reason="the lambdasim command is not installed")
def test_the_installed_command() -> None:
    command = ["lambdasim", "validate", *map(str, EXAMPLES)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok:") == len(EXAMPLES)


# -- plan ---------------------------------------------------------------------------------------------------------

PACED = """
name = "paced"
seed = 1
horizon_s = 30

[[functions]]
name = "f"
behaviour = { duration = 1.0 }

[[workloads]]
type = "burst"
function = "f"
at_s = 0
count = 80
over_s = 10
"""


@pytest.fixture
def paced(tmp_path: Path) -> Path:
    path = tmp_path / "paced.toml"
    path.write_text(PACED)
    return path


def test_plan_finds_the_known_answer_and_states_its_assumptions(
    capsys: pytest.CaptureFixture[str], paced: Path
) -> None:
    # An event every 0.125 s, each running 1 s: 8 at once.
    code, out, err = run(capsys, "plan", str(paced), "--target", "throttles<=0", "--replications", "1", "--high", "20")
    assert code == EXIT_OK, err
    assert "least functions[f].reserved_concurrency = 8" in out
    assert "assumptions: the answer 8 holds across the plausible range" in out
    assert "scenario 'paced'" in err
    code, out, _ = run(
        capsys, "plan", str(paced), "--target", "throttles<=0", "--replications", "1", "--high", "20",
        "--no-check-assumptions",
    )  # fmt: skip
    assert code == EXIT_OK and "assumptions: not re-checked" in out


def test_plan_on_a_share_of_days(capsys: pytest.CaptureFixture[str], paced: Path) -> None:
    code, out, _ = run(
        capsys, "plan", str(paced), "--target", "time_to_success_max_s<=1", "--share", "0.9", "--confidence", "0.9",
        "--first", "10", "--cap", "30", "--high", "12", "--no-check-assumptions",
    )  # fmt: skip
    assert code == EXIT_OK
    assert "least functions[f].reserved_concurrency = 8" in out
    assert "30 of 30 replications met every target" in out
    assert "at 90% confidence the share of days that meet it is at least 92.6% (required: 90%)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "throttles=0"], "--target must read METRIC<=NUMBER"),
        (["--target", "throtles<=0"], "--target 'throtles': no such measure; measures: "),
        (["--target", "throttles<=0", "--function", "g"], "--function must be one of ['f'], got 'g'"),
        (["--target", "throttles<=0", "--share", "1.5"], "share must be in"),
        (["--target", "throttles<=0", "--share", "0.9", "--replications", "3"], "not both"),
        (["--target", "throttles<=0", "--rule", "mean"], "--rule mean needs --replications N"),
    ],
)
def test_plan_refuses_bad_input_in_one_line(
    capsys: pytest.CaptureFixture[str], paced: Path, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "plan", str(paced), *argv)
    assert code == EXIT_BAD_INPUT
    assert err.startswith("lambdasim: error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and out == ""
