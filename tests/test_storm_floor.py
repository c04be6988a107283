"""``benchmarks/storm_floor.py``'s skeleton does the storm's whole work: it agrees with lambdasim minute by minute.

The skeleton bounds what the throttling storm can cost (issue 13); the bound means something only if the skeleton
counts what lambdasim counts. It is also an independent implementation of the parked throttles
(:mod:`lambdasim.core.backlog`): one list in parking order with a cursor per number of throttles in a row and
closed-form try times, against lambdasim's lanes and running sums. Loads below: the benchmark's storm (short), a
small pool swamped for longer (tries up to the 300 s cap), other backoff bases and caps, a calm load that throttles
now and then, and one near saturation.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import lambdasim as ls

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def floor() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # storm_floor imports bench_async beside it
    try:
        spec = importlib.util.spec_from_file_location("storm_floor", BENCHMARKS / "storm_floor.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def _by_minute(results: ls.Results, metric: str) -> dict[int, int]:
    return {int(start // 60.0): int(value) for start, value in results.metric("bench", metric)}


@pytest.mark.parametrize(
    ("rate_per_s", "seconds", "servers", "mean_s", "base_s", "cap_s"),
    [
        (200.0, 60.0, 100, 1.0, 1.0, 300.0),  # the benchmark's storm, short
        (12.0, 900.0, 5, 1.0, 1.0, 300.0),  # a small pool swamped for 15 minutes: tries reach the cap
        (40.0, 120.0, 10, 0.5, 0.25, 7.5),  # another backoff base and cap
        (90.0, 120.0, 100, 1.0, 1.0, 300.0),  # the calm load: throttles now and then
        (52.0, 300.0, 50, 1.0, 1.0, 300.0),  # near saturation: the pool fills and empties again and again
        (12.0, 240.0, 20, 2.0, 2.0, 60.0),  # overloaded by a fifth, a longer first backoff, a one-minute cap
    ],
)
def test_the_skeleton_counts_what_lambdasim_counts_minute_by_minute(
    floor: ModuleType, rate_per_s: float, seconds: float, servers: int, mean_s: float, base_s: float, cap_s: float
) -> None:
    rng = np.random.default_rng(int(rate_per_s * seconds))
    n = int(rate_per_s * seconds)
    gaps = rng.exponential(1.0 / rate_per_s, n).tolist()
    durations = rng.exponential(mean_s, n).tolist()
    times = np.cumsum(gaps).tolist()
    expected = floor.lambdasim_results(gaps, durations, servers, base_s, cap_s)
    got = floor.skeleton(times, durations, servers=servers, base_s=base_s, cap_s=cap_s)
    throttles = _by_minute(expected, "Throttles")
    assert sum(throttles.values()) > 0  # every load here throttles
    assert got.throttles == throttles
    assert got.invocations == _by_minute(expected, "Invocations")
    assert got.received == _by_minute(expected, "AsyncEventsReceived")
    assert sum(got.invocations.values()) == n  # every event ran once (no maximum age, no errors)


def test_the_skeleton_sees_a_changed_model(floor: ModuleType) -> None:
    """The comparison can fail: one slot fewer in the skeleton than in lambdasim changes the throttles."""
    rng = np.random.default_rng(3)
    gaps = rng.exponential(1.0 / 40.0, 2400).tolist()
    durations = rng.exponential(0.5, 2400).tolist()
    times = np.cumsum(gaps).tolist()
    expected = _by_minute(floor.lambdasim_results(gaps, durations, 10), "Throttles")
    assert floor.skeleton(times, durations, servers=10).throttles == expected
    assert floor.skeleton(times, durations, servers=9).throttles != expected


def test_the_script_ends_with_its_json_line() -> None:
    """``storm_floor.py --quick`` runs against the current code and reports its figures (no timing asserted)."""
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "storm_floor.py"), "--quick", "--repetitions", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])["storm_floor"]
    assert figures["invocations"] == 12_000 and figures["throttles"] > 0
    for key in ("skeleton_calm_us", "skeleton_storm_us", "lambdasim_calm_us", "lambdasim_storm_us", "floor"):
        assert math.isfinite(figures[key]) and figures[key] > 0, (key, figures[key])
