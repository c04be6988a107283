"""Smoke test of ``benchmarks/bench_async.py --quick``: it runs every case and ends with its JSON line.

No timing assertions: wall-clock figures depend on the machine. What is checked is that the benchmark still runs
against the current code (both simulators serve every customer: the script asserts that itself) and reports
its three figures.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_async.py"


def test_quick_benchmark_ends_with_the_json_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick", "--repetitions", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {"simpy_per_s", "lambdasim_per_s", "ratio"}
    for key, value in figures.items():
        assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (key, value)
    # The other cases ran too, each reporting a positive figure.
    reports = {k: v for line in lines[:-1] if line.startswith("  {") for k, v in json.loads(line).items()}
    assert set(reports) == {"door1", "storm", "sqs", "features", "memory"}
    assert reports["sqs"]["sqs_messages_per_s"] > 0 and reports["sqs"]["ratio"] > 0
    assert reports["door1"]["ratio"] > 0 and reports["door1"]["events"] > 0
    assert reports["storm"]["relative_cost"] > 0 and reports["storm"]["throttles"] > 0
    assert reports["features"]["trace_on"] > 0 and reports["features"]["sink_on"] > 0
    assert reports["memory"]["small_peak_mb"] > 0 and reports["memory"]["large_peak_mb"] > 0
