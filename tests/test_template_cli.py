"""`lambdasim run TEMPLATE --workload LOAD.toml` and `lambdasim validate TEMPLATE`: the examples run, and hostile or
wrong files end with one line naming the file and what is wrong, exit code 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdasim.cli import main

pytest.importorskip("yaml")
pytest.importorskip("samtranslator")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "examples" / "templates"
SAM = str(TEMPLATES / "sam-orders.yaml")
SAM_LOAD = str(TEMPLATES / "sam-orders.load.toml")
CLICKS = str(TEMPLATES / "clickstream.yaml")
CLICKS_LOAD = str(TEMPLATES / "clickstream.load.toml")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_validate_a_template_without_a_workload_lists_what_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "validate", SAM)
    assert code == 0
    assert f"{SAM}: ok: SAM template, 2 function(s), 3 queue(s), 1 event source mapping(s), 1 topic(s)" in out
    assert "read for their names only (IAM and resource policies are not enforced): OrderWorkerRole" in out
    assert "functions that need a behaviour to run" in out and "OrderWorker, Thumbnailer" in out


def test_the_examples_validate_and_the_clickstream_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _err = _run(capsys, "validate", SAM, "--workload", SAM_LOAD)
    assert code == 0 and "2 workload(s) and fault(s)" in out and "need a behaviour" not in out
    report = tmp_path / "clicks.json"
    load = Path(CLICKS_LOAD).read_text()
    assert "\nrate = 100\n" in load
    quieter = tmp_path / "clickstream.load.toml"  # the example's load at a twentieth of its rate: a quick test
    quieter.write_text(load.replace("\nrate = 100\n", "\nrate = 5\n"))
    code, out, err = _run(capsys, "run", CLICKS, "--workload", str(quieter), "--json", str(report))
    assert code == 0
    assert "Clicks" not in err  # the stream and its mapping are simulated, not listed as left out
    results = json.loads(report.read_text())["runs"][0]["results"]
    assert results["functions"]["Report"]["outcomes"]["Success"] == 24  # hourly for a day
    assert results["functions"]["lambdasim-processor"] is not None  # named by FunctionName: !Sub ...
    (stream,) = results["streams"].values()
    (mapping,) = results["stream_mappings"].values()
    assert stream["shards"] == 8  # the workload file's ShardCount parameter
    assert mapping["processed"] + mapping["discarded"] == stream["records_put"] > 0


def test_parameters_on_the_command_line_override_the_workload_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, _err = _run(capsys, "validate", SAM, "--workload", SAM_LOAD, "--parameter", "Stage=dev")
    assert code == 0
    code, _out, err = _run(capsys, "validate", SAM, "--parameter", "Stage=qa")
    assert code == 2
    assert "Parameters.Stage (line 8): 'qa' is not among AllowedValues ['dev', 'prod']" in err
    code, _out, err = _run(capsys, "validate", SAM, "--parameter", "Stage")
    assert (code, err.strip()) == (2, "lambdasim: error: --parameter must read Name=Value, got 'Stage'")
    code, _out, err = _run(capsys, "validate", SAM, "--parameter", "Region=eu")
    assert code == 2 and "parameter 'Region' is given but not declared" in err


def test_a_template_without_behaviours_does_not_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "run", SAM)
    assert code == 2
    assert "functions without a behaviour: OrderWorker, Thumbnailer" in err


def test_template_options_on_a_scenario_file_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / "examples" / "order-processing.toml")
    code, _out, err = _run(capsys, "run", scenario, "--workload", SAM_LOAD)
    assert code == 2 and "--workload is for templates" in err


HOSTILE = {
    "bad-indent.yaml": "Resources:\n  F:\n   Type: x\n  - y\n",
    "list.yaml": "- 1\n- 2\n",
    "empty.yaml": "",
    "tabs.yaml": "Resources:\n\tF: 1\n",
    "nested.json": "[" * 100_000,
    "deep.yaml": "Resources:\n  X: " + "[" * 100_000 + "\n",
    "tag.yaml": "Resources:\n  F:\n    Type: !Python/object os.system\n",
    "python.yaml": "Resources: !!python/object/apply:os.system ['true']\n",
    "bomb.yaml": "a: &a [1, 1]\nb: &b [*a, *a]\nResources: {}\n",
    "cycle.yaml": "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref A}\n",
    "import.yaml": "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Timeout: !ImportValue t}\n",
    "types.yaml": "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {MemorySize: {a: 1}}\n",
    "binary.json": "{\x00\x01}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_templates_end_with_one_line_and_exit_code_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(HOSTILE[name])
    for argv in (["validate", str(path)], ["run", str(path), "--workload", SAM_LOAD]):
        code, _out, err = _run(capsys, *argv)
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lambdasim: error: {path}"), err


def test_unreadable_paths_end_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path, reason in (
        (tmp_path / "missing.yaml", "no such file"),
        ("/dev/zero.yaml", "no such file"),
        (tmp_path / "dir.yaml", "is a directory"),
    ):
        if str(path).endswith("dir.yaml"):
            Path(path).mkdir()
        code, _out, err = _run(capsys, "run", str(path), "--workload", SAM_LOAD)
        assert code == 2 and reason in err and len(err.strip().splitlines()) == 1
    bad_load = tmp_path / "load.toml"
    bad_load.write_text(
        "[behaviours.OrderWorker]\nduration = 1\n[behaviours.Thumbnailer]\nduration = 1\n"
        "[[workloads]]\ntype = 'poisson'\nfunction = 'Nope'\nrate_per_s = 1\nstop_s = 1\n"
    )
    code, _out, err = _run(capsys, "run", SAM, "--workload", str(bad_load))
    assert code == 2 and "invokes 'Nope', which is not among functions ['OrderWorker', 'Thumbnailer']" in err
    bad_load.write_text("[[functions]]\nname = 'x'\n")
    code, _out, err = _run(capsys, "run", SAM, "--workload", str(bad_load))
    assert code == 2 and "functions: is given by the template" in err


def test_plan_takes_a_template_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(
        capsys, "plan", CLICKS, "--workload", CLICKS_LOAD, "--function", "Nope", "--target", "time_to_success_p99_s<=60"
    )
    assert code == 2
    assert "--function must be one of ['lambdasim-processor', 'Report'], got 'Nope'" in err
