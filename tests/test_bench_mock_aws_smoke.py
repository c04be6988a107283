"""Smoke test of ``benchmarks/bench_mock_aws.py``: it runs and ends with its JSON line (no timing assertions:
figures depend on the machine; the script itself asserts that every invoke was accepted)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mock_aws.py"


def test_the_mock_aws_benchmark_ends_with_its_json_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARK), "--calls", "200", "--repetitions", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(figures) == {
        "calls",
        "native_us_per_call",
        "mock_aws_us_per_call",
        "botocore_alone_us_per_call",
        "ratio",
    }
    assert figures["calls"] == 200
    for key, value in figures.items():
        assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (key, value)
