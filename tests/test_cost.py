"""Cost: hand-worked bills for requests, GB-seconds, rounding, retries, throttles and init billing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import lambdasim as ls
from lambdasim.core.cost import MONTH_S, bill, billed_ms, estimate
from lambdasim.core.prices import CURRENT, PRE_INIT_BILLING, PriceTable, price_table
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.workload import Burst, Poisson
from tests.helpers import always_fail

X86 = 0.0000166667
ARM = 0.0000133334
REQUEST = 0.20 / 1e6


def run(*functions: Function, workloads: Any = (), horizon: float | None = None) -> ls.Results:
    return Model(functions=functions, workloads=workloads, horizon_s=horizon).run(seed=1)


def test_the_spreadsheet_formula_by_hand() -> None:
    # 1,000,000 requests of 200 ms at 128 MB: 1e6 x 0.2 s x 0.125 GB = 25,000 GB-s.
    assert estimate(requests=1_000_000, duration_s=0.2, memory_mb=128) == pytest.approx(0.20 + 25_000 * X86)
    assert estimate(requests=1_000_000, duration_s=0.2, memory_mb=128, architecture="arm64") == pytest.approx(
        0.20 + 25_000 * ARM
    )
    # 3 million requests of 120 ms at 1,536 MB on arm64: 540,000 GB-s.
    assert estimate(requests=3e6, duration_s=0.12, memory_mb=1536, architecture="arm64") == pytest.approx(
        0.60 + 540_000 * ARM
    )


def test_billed_per_millisecond_rounded_up() -> None:
    assert billed_ms(0.2) == 200  # not 201: 0.2 * 1000 is 200.00000000000003 in floating point
    assert billed_ms(0.0501) == 51
    assert billed_ms(0.0001) == 1
    assert billed_ms(0.0) == 0
    assert billed_ms(0.1, init_s=0.2505) == 351


def test_a_run_bills_requests_and_gb_seconds_by_hand() -> None:
    # 1,000 successes of 200 ms at 512 MB: 200,000 ms x 0.5 GB = 100 GB-s.
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=0.2), memory_mb=512),
        workloads=[Burst(function="f", at_s=0.0, count=1000, over_s=1000.0)],
    )
    b = bill(res)
    line = b["f"]
    assert (line.requests, line.billed_ms, line.gb_seconds) == (1000, 200_000, pytest.approx(100.0))
    assert line.request_cost == pytest.approx(1000 * REQUEST)
    assert line.duration_cost == pytest.approx(100 * X86)
    assert b.total == pytest.approx(0.0002 + 0.00166667)
    assert res.bill().total == b.total


def test_arm64_and_rounding_in_a_run() -> None:
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=0.0501), memory_mb=1024, architecture="arm64"),
        workloads=[Burst(function="f", at_s=0.0, count=100, over_s=100.0)],
    )
    line = bill(res)["f"]
    assert line.architecture == "arm64"
    assert line.billed_ms == 100 * 51
    assert line.duration_cost == pytest.approx(5.1 * ARM)


def test_every_retry_attempt_is_billed() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=always_fail, Duration=0.1, MemorySize=256)
    for _ in range(10):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    line = bill(sim.run())["f"]
    assert line.requests == 30  # 10 events x 3 attempts
    assert line.billed_ms == 3000
    assert line.gb_seconds == pytest.approx(3.0 * 0.25)


def test_throttled_tries_are_not_billed() -> None:
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=1.0), reserved_concurrency=1),
        workloads=[Burst(function="f", at_s=0.0, count=5)],
    )
    assert res.functions["f"]["throttles"] > 0
    line = bill(res)["f"]
    assert line.requests == 5
    assert line.billed_ms == 5000


def test_init_phase_is_billed_since_august_2025_and_not_before() -> None:
    # One cold start (250 ms init) then warm reuse: 3 events of 100 ms, 10 s apart.
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=0.1), init_duration=0.25, memory_mb=1024),
        workloads=[Burst(function="f", at_s=0.0, count=3, over_s=30.0)],
    )
    assert res.functions["f"]["cold_starts"] == 1
    now = bill(res)
    before = bill(res, PRE_INIT_BILLING)
    assert (now.init_billing, before.init_billing) == (True, False)
    assert now["f"].billed_ms == 350 + 100 + 100
    assert before["f"].billed_ms == 300
    assert bill(res, init_billing=False)["f"].billed_ms == 300
    assert now["f"].duration_cost == pytest.approx(0.55 * X86)
    assert estimate(requests=3, duration_s=0.1, memory_mb=1024, init_s=0.25, cold_starts=1) == pytest.approx(now.total)


def test_synchronous_invocations_are_billed_too() -> None:
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=0.2)),
        workloads=[Burst(function="f", at_s=0.0, count=4, over_s=4.0, invocation_type="RequestResponse")],
    )
    assert bill(res)["f"].requests == 4


def test_monthly_projection_scales_the_measured_window() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=0.2), memory_mb=512)],
        workloads=[Poisson(function="f", rate_per_s=2.0, stop_s=3600.0)],
        horizon_s=3600.0,
        warmup_s=600.0,
    )
    b = model.run(seed=1).bill()
    assert b.window_s == 3000.0
    assert b.monthly() == pytest.approx(b.total * MONTH_S / 3000.0)
    assert MONTH_S == 730 * 3600
    # About 2 requests per second all month: 5.256 million requests and 525,600 GB-s.
    assert b.monthly() == pytest.approx(2 * MONTH_S * (REQUEST + 0.2 * 0.5 * X86), rel=0.05)


def test_several_functions_each_at_their_own_memory_and_architecture() -> None:
    res = run(
        Function(name="a", behaviour=ls.Behaviour(duration=1.0), memory_mb=2048),
        Function(name="b", behaviour=ls.Behaviour(duration=1.0), memory_mb=128, architecture="arm64"),
        workloads=[Burst(function="a", at_s=0, count=2), Burst(function="b", at_s=0, count=8)],
    )
    b = bill(res)
    assert b.requests == 10
    assert b.gb_seconds == pytest.approx(2 * 2.0 + 8 * 0.125)
    assert b.total == pytest.approx(10 * REQUEST + 4.0 * X86 + 1.0 * ARM)
    frame = b.frame()
    assert list(frame["function"]) == ["a", "b"]
    assert json.loads(json.dumps(b.to_dict()))["prices"]["version"] == "2025-08-01"


def test_price_tables_are_versioned_and_replaceable(tmp_path: Path) -> None:
    assert price_table() is CURRENT
    assert price_table("pre-2025-08-01") is PRE_INIT_BILLING
    with pytest.raises(ValueError, match="no built-in price table"):
        price_table("1999-01-01")
    discounted = attrs.evolve(CURRENT, version="2026-negotiated", gb_second_x86_64=X86 * 0.8)
    path = tmp_path / "prices.json"
    discounted.to_json(path)
    loaded = PriceTable.from_json(path)
    assert loaded == discounted
    res = run(
        Function(name="f", behaviour=ls.Behaviour(duration=1.0), memory_mb=1024),
        workloads=[Burst(function="f", at_s=0, count=10)],
    )
    assert bill(res, loaded)["f"].duration_cost == pytest.approx(10 * X86 * 0.8)
    with pytest.raises(ValueError, match="unknown price table fields"):
        PriceTable.from_dict({"version": "x", "gb_second": 1.0})
    with pytest.raises(ValueError, match="request_per_million must be >= 0"):
        PriceTable(version="x", request_per_million=-1)
    with pytest.raises(ValueError, match="architecture must be one of"):
        CURRENT.gb_second("riscv")


def test_estimate_validates() -> None:
    with pytest.raises(ValueError, match=r"memory_mb must be in \[128, 10240\]"):
        estimate(requests=1, duration_s=1, memory_mb=64)
    with pytest.raises(ValueError, match="duration_s must be >= 0"):
        estimate(requests=1, duration_s=-1, memory_mb=128)
    with pytest.raises(ValueError, match=r"cold_starts must be in \[0, 5\]"):
        estimate(requests=5, duration_s=1, memory_mb=128, cold_starts=6)


def test_events_that_exhaust_their_retries_bill_one_request_per_attempt() -> None:
    res = run(
        Function(
            name="f",
            behaviour=ls.Behaviour(duration=0.5, error_rate=1.0),
            event_invoke=EventInvoke(maximum_retry_attempts=1),
        ),
        workloads=[Burst(function="f", at_s=0, count=4)],
    )
    assert bill(res)["f"].requests == 8
