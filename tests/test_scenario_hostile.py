"""Hostile scenario files and command lines (issue 18): bounded parsing, special files refused, no hang, one
clear line and a non-zero exit for every error, code imported only when asked for, and errors that never echo a
file's contents beyond the offending token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lambdasim.cli import EXIT_BAD_INPUT, EXIT_OK, main
from lambdasim.experiment import replication_seeds
from lambdasim.planning.files import MAX_SCENARIO_BYTES
from lambdasim.planning.scenario import ScenarioError, from_dict, load, loads

ROOT = Path(__file__).resolve().parents[1]
OK = 'horizon_s = 60\n[[functions]]\nname = "f"\n[[workloads]]\ntype = "burst"\nfunction = "f"\nat_s = 1\ncount = 3\n'
SECRET = "root:$6$not-a-real-hash-but-secret:19000:0:99999:7:::"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_at_once(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    code, out, err = _cli(capsys, "validate", path)
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert (
        err
        == f"lambdasim: error: {path}: is not a regular file (a character device); lambdasim reads only regular files\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking_as_a_scenario_or_a_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match=r"is not a regular file \(a FIFO \(named pipe\)\)"):
        load(fifo)
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        OK.replace('type = "burst"\n', 'type = "replay"\ncsv = "pipe"\n').replace("at_s = 1\ncount = 3\n", "")
    )
    code, _, err = _cli(capsys, "validate", str(scenario))
    assert code == EXIT_BAD_INPUT
    assert "workloads[0].csv: cannot read" in err and "a FIFO (named pipe)" in err and err.count("\n") == 1


def test_a_file_over_the_size_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * MAX_SCENARIO_BYTES + "\n")
    with pytest.raises(ScenarioError, match=r"is 1,048,579 bytes; the limit is 1,048,576 bytes"):
        load(big)
    with pytest.raises(ScenarioError, match=r"the limit is 1,048,576"):
        loads("# " + "x" * MAX_SCENARIO_BYTES)


def test_deep_nesting_is_one_line_not_a_recursion_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 1000 + "]" * 1000 + "\n")
    code, _, err = _cli(capsys, "validate", str(deep))
    assert code == EXIT_BAD_INPUT
    assert err == f"lambdasim: error: {deep}: invalid TOML: arrays or tables nested too deeply to read\n"
    # Deeper than TOML's own parser follows, so through the dict door: the payload's depth is checked too.
    payload: list[object] = []
    for _ in range(600):
        payload = [payload]
    data = tomllib.loads(OK)
    data["workloads"][0]["payload"] = payload
    with pytest.raises(ScenarioError, match=r"workloads\[0\]\.payload: must be nested at most 512 levels deep"):
        from_dict(data)


def test_inf_rates_fail_validate_instead_of_hanging_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "inf.toml"
    bad.write_text(
        OK.replace('type = "burst"', 'type = "poisson"').replace(
            "at_s = 1\ncount = 3\n", "rate_per_s = inf\nstop_s = 10\n"
        )
    )
    code, _, err = _cli(capsys, "validate", str(bad))
    assert code == EXIT_BAD_INPUT
    assert "workloads[0].rate_per_s: must be a finite number > 0 and <= 1e+06, got inf" in err


def test_a_handler_import_needs_allow_code_and_validate_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    scenario = tmp_path / "rm.toml"
    scenario.write_text(
        OK.replace('name = "f"\n', 'name = "f"\nbehaviour = "shutil.rmtree"\n', 1) + f'payload = "{victim}"\n'
    )
    code, out, err = _cli(capsys, "run", str(scenario), "--no-progress")
    assert (code, out) == (EXIT_BAD_INPUT, "")
    assert "functions[0].behaviour: imports the handler 'shutil.rmtree'" in err and "--allow-code" in err
    assert victim.is_dir()  # nothing ran
    code, out, err = _cli(capsys, "validate", str(scenario))
    assert (code, err) == (EXIT_OK, "")
    assert "`lambdasim run` needs --allow-code" in out
    assert "  functions[0].behaviour: imports the handler 'shutil.rmtree'" in out
    assert victim.is_dir()  # validating imports nothing either


def test_a_trace_outside_the_folder_needs_allow_code_and_its_content_is_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\nsecond line\n")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    scenario = folder / "s.toml"
    scenario.write_text(
        f'horizon_s = 60\n[[functions]]\nname = "f"\n[[workloads]]\ntype = "replay"\nfunction = "f"\ncsv = "{secret}"\n'
    )
    code, _, err = _cli(capsys, "run", str(scenario), "--no-progress")
    assert code == EXIT_BAD_INPUT and "outside the scenario's folder" in err and "--allow-code" in err
    code, _, err = _cli(capsys, "validate", str(scenario))  # validate does not read it either
    assert code == EXIT_BAD_INPUT and "outside the scenario's folder" in err
    code, _, err = _cli(capsys, "run", str(scenario), "--no-progress", "--allow-code")
    assert code == EXIT_BAD_INPUT
    assert "no time column 'time_s'" in err and err.count("\n") == 1
    assert "$6$" not in err and "19000" not in err and "second line" not in err


def test_a_trace_inside_the_folder_needs_no_opt_in(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text('time_s,payload\n1.0,\n2.0,"{""k"": 1}"\n')
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'horizon_s = 60\n[[functions]]\nname = "f"\n[[workloads]]\ntype = "replay"\nfunction = "f"\ncsv = "t.csv"\n'
    )
    loaded = load(scenario)
    assert loaded.imports == ()
    assert loaded.run().functions["f"]["async_events_received"] == 2


def test_a_bad_cell_is_named_by_row_and_column_briefly(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("time_s,size_bytes\n1.0,12\n2.0," + "9" * 30 + "x" * 200 + "\n")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'horizon_s = 60\n[[functions]]\nname = "f"\n[[workloads]]\ntype = "replay"\nfunction = "f"\ncsv = "t.csv"\n'
    )
    with pytest.raises(ScenarioError) as err:
        load(scenario)
    assert "row 3, column 'size_bytes': cannot read" in str(err.value)
    assert len(str(err.value)) < 300


def test_seed_and_replications_do_what_the_help_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(OK)
    out_json = tmp_path / "r.json"
    code, _, _ = _cli(capsys, "run", str(scenario), "--seed", "11", "--replications", "2", "--json", str(out_json))
    assert code == EXIT_OK
    seeds = [run["seed"] for run in json.loads(out_json.read_text())["runs"]]
    assert seeds == replication_seeds(11, 2)
    code, _, _ = _cli(capsys, "run", str(scenario), "--seed", "11", "--json", str(out_json))
    assert [run["seed"] for run in json.loads(out_json.read_text())["runs"]] == [11]
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "one replication runs with N itself; several run with seeds spawned from N" in helptext


def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lambdasim.cli", "demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"lambdasim demo")
    proc.stdout.close()  # as `| head -1` does
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=120) == EXIT_OK
    assert err == b""


def test_a_colon_in_a_function_name_is_explained(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError, match=r"functions\[0\]\.name: must hold only letters.*a ':' separates a qualifier"
    ):
        loads(OK.replace('name = "f"', 'name = "a:b"').replace('function = "f"', 'function = "a:b"'))
    with pytest.raises(ScenarioError, match=r"functions\[0\]\.name: must be at most 64 characters .*got 100"):
        loads(OK.replace('name = "f"', f'name = "{"a" * 100}"'))
