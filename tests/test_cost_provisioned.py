"""Provisioned concurrency in the bill: its charge per GB-second configured (5-minute rounding), the lower duration
rate of invocations on provisioned environments, spill-over at on-demand rates, warm-up resets and runs stopped
midway, through the boto3-shaped client and the Pythonic door. Every figure is worked by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import lambdasim as ls
from lambdasim.core.cost import MONTH_S, PROVISIONED_ROUNDING_S, bill, estimate, provisioned_billed_s
from lambdasim.core.prices import CURRENT, PRE_INIT_BILLING, PriceTable
from lambdasim.model import Function, Model
from lambdasim.workload import Burst

# us-east-1 per GB-second (and per request).
X86 = 0.0000166667
ARM = 0.0000133334
PC_X86 = 0.0000041667  # provisioned concurrency configured
PC_ARM = 0.0000033334
PCD_X86 = 0.0000097222  # duration on a provisioned environment
PCD_ARM = 0.0000077778
REQUEST = 0.20 / 1e6


def exact(value: float) -> Any:
    """Equal to a billionth of a cent: the bill is hand-computable, so nothing looser is needed."""
    return pytest.approx(value, rel=1e-12, abs=1e-14)


def setup(allocation_s: float = 0.0, **params: Any) -> tuple[ls.Simulation, Any]:
    """Function ``f`` (1,024 MB, 2.5 s, 0.5 s init) with version 1 and alias ``live`` -> 1."""
    sim = ls.Simulation(seed=1, settings=ls.Settings(provisioned_allocation_s=allocation_s))
    lam = sim.client("lambda")
    lam.create_function(
        **{"FunctionName": "f", "Duration": 2.5, "InitDuration": 0.5, "Timeout": 30, "MemorySize": 1024, **params}
    )
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    return sim, lam


def put(lam: Any, n: int, qualifier: str = "live") -> None:
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier=qualifier, ProvisionedConcurrentExecutions=n)


def delete(lam: Any, qualifier: str = "live") -> None:
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier=qualifier)


def invoke(lam: Any, n: int) -> None:
    for _ in range(n):
        lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b"{}")


def configured_s(sim: ls.Simulation, until: float) -> float:
    return bill(sim.run(until=until))["f"].provisioned_concurrency_s


# -- prices ---------------------------------------------------------------------------------------------------------


def test_the_price_table_carries_the_published_provisioned_prices() -> None:
    assert (CURRENT.provisioned_concurrency_x86_64, CURRENT.provisioned_concurrency_arm64) == (PC_X86, PC_ARM)
    assert (CURRENT.provisioned_gb_second_x86_64, CURRENT.provisioned_gb_second_arm64) == (PCD_X86, PCD_ARM)
    assert CURRENT.provisioned_concurrency("arm64") == PC_ARM
    assert CURRENT.provisioned_gb_second("x86_64") == PCD_X86
    assert PRE_INIT_BILLING.provisioned_concurrency("x86_64") == PC_X86  # only the init rule differs
    assert CURRENT.per_request == REQUEST
    with pytest.raises(ValueError, match="architecture must be one of"):
        CURRENT.provisioned_concurrency("riscv")
    with pytest.raises(ValueError, match="architecture must be one of"):
        CURRENT.provisioned_gb_second("riscv")


@pytest.mark.parametrize(
    "name",
    [
        "provisioned_concurrency_x86_64",
        "provisioned_concurrency_arm64",
        "provisioned_gb_second_x86_64",
        "provisioned_gb_second_arm64",
    ],
)
def test_provisioned_prices_are_validated(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be >= 0, got -1"):
        PriceTable.from_dict({"version": "x", name: -1})
    with pytest.raises(TypeError, match=f"{name} must be a number >= 0"):
        PriceTable.from_dict({"version": "x", name: "cheap"})
    assert getattr(PriceTable.from_dict({"version": "x", name: 1}), name) == 1.0


def test_tables_round_trip_and_old_json_loads_with_the_us_east_1_defaults(tmp_path: Path) -> None:
    table = attrs.evolve(CURRENT, version="negotiated", provisioned_concurrency_x86_64=PC_X86 * 0.5)
    path = tmp_path / "prices.json"
    table.to_json(path)
    assert PriceTable.from_json(path) == table
    assert json.loads(path.read_text())["provisioned_gb_second_arm64"] == PCD_ARM
    # A table written before the provisioned prices existed.
    old = {k: v for k, v in CURRENT.to_dict().items() if not k.startswith("provisioned_")}
    old["version"] = "old"
    (tmp_path / "old.json").write_text(json.dumps(old))
    loaded = PriceTable.from_json(tmp_path / "old.json")
    assert loaded == attrs.evolve(CURRENT, version="old")
    with pytest.raises(ValueError, match="unknown price table fields"):
        PriceTable.from_dict({"version": "x", "provisioned_gb_second": 1.0})


def test_periods_are_rounded_up_to_five_minutes() -> None:
    assert PROVISIONED_ROUNDING_S == 300.0
    assert [provisioned_billed_s(s) for s in (0.0, 0.5, 299.0, 300.0, 300.001, 420.0, 600.0)] == [
        0.0,
        300.0,
        300.0,
        300.0,
        600.0,
        600.0,
        600.0,
    ]
    assert provisioned_billed_s(3 * 0.1 * 1000.0) == 300.0  # 300.00000000000006: float noise is not a new period
    with pytest.raises(ValueError, match="enabled_s must be >= 0"):
        provisioned_billed_s(-1.0)


# -- a run through the boto3-shaped client -----------------------------------------------------------------------


def test_a_provisioned_run_by_hand_to_a_fraction_of_a_cent() -> None:
    # 1,024 MB = 1 GB. Provisioned concurrency 2 from t = 0 for 10 minutes: 1,200 GB-s configured. At 60 s three
    # events of 2.5 s: two run on the provisioned environments (5 GB-s at the provisioned duration rate), the third
    # spills over to an on-demand cold start (0.5 s init + 2.5 s = 3 GB-s at the on-demand rate).
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=60.0)
    invoke(lam, 3)
    res = sim.run(until=600.0)
    assert res.functions["f"]["provisioned"]["spillover_invocations"] == 1
    b = bill(res)
    line = b["f"]
    assert (line.requests, line.provisioned_requests) == (3, 2)
    assert (line.billed_ms, line.provisioned_billed_ms, line.on_demand_billed_ms) == (8000, 5000, 3000)
    assert (line.gb_seconds, line.provisioned_gb_seconds, line.on_demand_gb_seconds) == (8.0, 5.0, 3.0)
    assert (line.provisioned_concurrency_s, line.provisioned_concurrency_gb_seconds) == (1200.0, 1200.0)
    assert line.request_cost == exact(0.0000006)
    assert line.provisioned_concurrency_cost == exact(0.00500004)  # 1,200 x $0.0000041667
    assert line.provisioned_duration_cost == exact(0.000048611)  # 5 x $0.0000097222
    assert line.on_demand_duration_cost == exact(0.0000500001)  # 3 x $0.0000166667
    assert line.duration_cost == exact(0.0000986111)
    assert line.total == exact(0.0050992511)
    assert b.total == line.total
    assert (b.request_cost, b.duration_cost, b.provisioned_concurrency_cost) == (
        line.request_cost,
        line.duration_cost,
        line.provisioned_concurrency_cost,
    )
    assert b.monthly() == exact(0.0050992511 * MONTH_S / 600.0)
    # Before August 2025 the spill-over's init phase was not billed: only on-demand duration changes.
    before = bill(res, PRE_INIT_BILLING)["f"]
    assert (before.on_demand_billed_ms, before.provisioned_billed_ms) == (2500, 5000)
    assert before.total == exact(0.0050992511 - 0.5 * X86)


def test_arm64_uses_the_arm_prices_for_all_three() -> None:
    sim, lam = setup(Architectures=["arm64"], MemorySize=2048)  # 2 GB
    put(lam, 1)
    sim.run(until=10.0)
    invoke(lam, 2)
    line = bill(sim.run(until=300.0))["f"]
    assert line.architecture == "arm64"
    assert line.provisioned_concurrency_gb_seconds == 600.0  # 1 x 2 GB x 300 s
    assert line.provisioned_gb_seconds == 5.0  # 2.5 s x 2 GB
    assert line.on_demand_gb_seconds == 6.0  # (0.5 + 2.5) s x 2 GB
    assert line.provisioned_concurrency_cost == exact(600 * PC_ARM)
    assert line.provisioned_duration_cost == exact(5 * PCD_ARM)
    assert line.on_demand_duration_cost == exact(6 * ARM)
    assert line.total == exact(2 * REQUEST + 600 * PC_ARM + 5 * PCD_ARM + 6 * ARM)


def test_billing_starts_at_the_put_not_when_the_environments_are_ready() -> None:
    # [model] Allocation takes 120 s; an invocation at 60 s runs (and is billed) on demand, yet the configured
    # concurrency is billed from the Put at 0 s.
    sim, lam = setup(allocation_s=120.0)
    put(lam, 3)
    sim.run(until=60.0)
    invoke(lam, 1)
    res = sim.run(until=300.0)
    line = bill(res)["f"]
    assert res.functions["f"]["provisioned"]["allocated"]["mean"] == pytest.approx(3 * 180 / 300)
    assert line.provisioned_concurrency_s == 900.0  # 3 x 300 s
    assert (line.provisioned_requests, line.provisioned_billed_ms, line.on_demand_billed_ms) == (0, 0, 3000)


def test_a_deleted_config_is_billed_rounded_up_to_five_minutes() -> None:
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=420.0)
    delete(lam)  # 7 minutes enabled: billed 10
    assert configured_s(sim, 900.0) == 2 * 600.0
    put(lam, 1)  # a new period from 900 s, still open at 1,000 s: billed as elapsed, not rounded
    assert configured_s(sim, 1000.0) == 2 * 600.0 + 100.0
    delete(lam)  # 100 s enabled: billed 300
    assert configured_s(sim, 1000.0) == 2 * 600.0 + 300.0


def test_a_period_on_a_multiple_of_five_minutes_gets_no_round_up() -> None:
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=600.0)
    delete(lam)
    line = bill(sim.run(until=700.0))["f"]
    assert line.provisioned_concurrency_s == 1200.0
    assert line.provisioned_concurrency_cost == exact(1200 * PC_X86)


def test_changing_the_amount_continues_the_period_and_rounds_up_at_the_last_amount() -> None:
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=180.0)
    put(lam, 5)  # same period: 2 for 180 s, then 5
    sim.run(until=420.0)
    assert configured_s(sim, 420.0) == 2 * 180 + 5 * 240  # open: as elapsed
    delete(lam)  # the period lasted 420 s, billed 600 s: 180 s more at 5
    assert configured_s(sim, 500.0) == 2 * 180 + 5 * 240 + 5 * 180


def test_deleting_the_alias_ends_its_period() -> None:
    sim, lam = setup()
    put(lam, 4)
    sim.run(until=30.0)
    lam.delete_alias(FunctionName="f", Name="live")
    assert configured_s(sim, 600.0) == 4 * 300.0


def test_deleting_the_version_ends_its_period_and_gives_the_concurrency_back() -> None:
    """AWS deletes a version's provisioned concurrency config with the version: its billing period ends (rounded up
    to 5 minutes) and the account's unreserved concurrency gets the 4 units back."""
    sim, lam = setup()
    lam.delete_alias(FunctionName="f", Name="live")
    put(lam, 4, qualifier="1")
    unreserved = sim.engine.unreserved_limit
    sim.run(until=30.0)
    lam.delete_function(FunctionName="f", Qualifier="1")
    assert sim.engine.unreserved_limit == unreserved + 4
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []
    assert configured_s(sim, 600.0) == 4 * 300.0


def test_a_bill_is_that_of_its_results_even_when_the_run_goes_on() -> None:
    """``Results`` keep what the bill needs as of their own end (``Results.usage``): billing them again after the
    simulation has run further gives the same bill."""
    sim, lam = setup()
    put(lam, 2)
    invoke(lam, 3)
    early = sim.run(until=300.0)
    first = bill(early).to_dict()
    invoke(lam, 5)
    later = sim.run(until=900.0)
    assert bill(early).to_dict() == first
    assert bill(later).functions[0].requests == 8 and bill(early).functions[0].requests == 3


def test_several_qualifiers_add_up() -> None:
    sim, lam = setup()
    lam.create_alias(FunctionName="f", Name="canary", FunctionVersion="1")
    put(lam, 2)  # on the alias live
    put(lam, 3, qualifier="canary")
    sim.run(until=100.0)
    delete(lam, qualifier="canary")  # 100 s -> 300 s at 3
    assert configured_s(sim, 600.0) == 2 * 600 + 3 * 300


def test_a_run_stopped_midway_bills_what_has_elapsed() -> None:
    sim, lam = setup()
    put(lam, 2)
    first = bill(sim.run(until=420.0))["f"]
    assert first.provisioned_concurrency_s == 2 * 420.0  # not rounded to 600: the config is still enabled
    assert first.provisioned_concurrency_cost == exact(840 * PC_X86)
    assert configured_s(sim, 1000.0) == 2 * 1000.0


def test_a_statistics_reset_starts_the_provisioned_charge_afresh() -> None:
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=100.0)
    delete(lam)  # ended before the reset: forgotten, round-up included
    put(lam, 3, qualifier="1")
    sim.engine.reset_statistics(at=300.0)
    sim.run(until=420.0)
    delete(lam, qualifier="1")  # enabled 100 s .. 420 s = 320 s, billed 600 s; 120 s of it after the reset
    res = sim.run(until=500.0)
    line = bill(res)["f"]
    assert bill(res).window_s == 200.0
    assert line.provisioned_concurrency_s == 3 * 120 + 3 * (600 - 320)


def test_no_provisioned_concurrency_bills_as_before() -> None:
    sim, lam = setup()
    invoke(lam, 2)
    line = bill(sim.run(until=60.0))["f"]
    assert (line.provisioned_requests, line.provisioned_billed_ms, line.provisioned_concurrency_s) == (0, 0, 0.0)
    assert (line.provisioned_duration_cost, line.provisioned_concurrency_cost) == (0.0, 0.0)
    assert line.total == exact(2 * REQUEST + 2 * 3.0 * X86)  # two concurrent cold starts: 0.5 s + 2.5 s each


# -- the Pythonic door --------------------------------------------------------------------------------------------


def door_model(warmup_s: float = 0.0) -> Model:
    # Allocation takes the default 120 s; three events at 200 s: two on the provisioned environments, one spill-over.
    return Model(
        functions=[
            Function(
                name="api",
                behaviour=ls.Behaviour(duration=0.25),
                init_duration=0.75,
                memory_mb=1024,
                alias="live",
                provisioned_concurrency=2,
            )
        ],
        workloads=[Burst(function="api:live", at_s=200.0, count=3)],
        horizon_s=900.0,
        warmup_s=warmup_s,
    )


def test_the_pythonic_door_bills_provisioned_concurrency() -> None:
    b = door_model().run(seed=1).bill()
    line = b["api"]
    assert (line.requests, line.provisioned_requests) == (3, 2)
    assert (line.provisioned_billed_ms, line.on_demand_billed_ms) == (500, 1000)
    assert line.provisioned_concurrency_s == 2 * 900.0
    expected = 3 * REQUEST + 1800 * PC_X86 + 0.5 * PCD_X86 + 1.0 * X86
    assert line.total == exact(expected)
    assert b.monthly() == exact(expected * MONTH_S / 900.0)
    row = b.to_dict()["functions"][0]
    assert row["provisioned_concurrency_cost"] == exact(1800 * PC_X86)
    assert row["monthly"] == exact(expected * MONTH_S / 900.0)
    frame = b.frame()
    assert list(frame["provisioned_billed_ms"]) == [500]
    assert list(frame["on_demand_duration_cost"]) == [exact(1.0 * X86)]


def test_a_warm_up_bills_only_the_measured_window() -> None:
    b = door_model(warmup_s=300.0).run(seed=1).bill()
    line = b["api"]
    assert b.window_s == 600.0
    assert (line.requests, line.billed_ms) == (0, 0)  # the burst at 200 s was in the warm-up
    assert line.provisioned_concurrency_s == 2 * 600.0
    assert b.total == exact(1200 * PC_X86)


def test_bill_dicts_are_json_ready_and_add_up() -> None:
    b = door_model().run(seed=1).bill()
    data = json.loads(json.dumps(b.to_dict()))
    assert data["prices"]["provisioned_concurrency_x86_64"] == PC_X86
    (row,) = data["functions"]
    parts = row["request_cost"] + row["on_demand_duration_cost"] + row["provisioned_duration_cost"]
    assert row["total"] == pytest.approx(parts + row["provisioned_concurrency_cost"])
    assert row["gb_seconds"] == pytest.approx(row["on_demand_gb_seconds"] + row["provisioned_gb_seconds"])
    assert data["total"] == pytest.approx(
        data["request_cost"] + data["duration_cost"] + data["provisioned_concurrency_cost"]
    )


# -- the spreadsheet formula --------------------------------------------------------------------------------------


def test_estimate_with_provisioned_concurrency_by_hand() -> None:
    # 1,000 provisioned at 1 GB for 2 hours (7.2 million GB-s configured, $30.00), 1.2 million requests of 1 s on
    # provisioned environments (1.2 million GB-s, $11.67), $0.24 of requests.
    got = estimate(
        requests=1.2e6,
        duration_s=1.0,
        memory_mb=1024,
        provisioned_concurrency=1000,
        provisioned_s=7200,
        provisioned_requests=1.2e6,
    )
    assert got == exact(1.2e6 * REQUEST + 7.2e6 * PC_X86 + 1.2e6 * PCD_X86)
    # Spill-over at on-demand rates, the period rounded up to 5 minutes, arm64 prices.
    got = estimate(
        requests=10,
        duration_s=0.5,
        memory_mb=512,
        architecture="arm64",
        provisioned_concurrency=2,
        provisioned_s=61,
        provisioned_requests=6,
    )
    assert got == exact(10 * REQUEST + 2 * 0.5 * 300 * PC_ARM + 6 * 0.25 * PCD_ARM + 4 * 0.25 * ARM)


def test_estimate_matches_a_simulated_bill() -> None:
    sim, lam = setup()
    put(lam, 2)
    sim.run(until=60.0)
    invoke(lam, 3)
    total = bill(sim.run(until=600.0)).total
    assert total == pytest.approx(
        estimate(
            requests=3,
            duration_s=2.5,
            memory_mb=1024,
            init_s=0.5,
            cold_starts=1,
            provisioned_concurrency=2,
            provisioned_s=600,
            provisioned_requests=2,
        )
    )


def test_estimate_validates_the_provisioned_arguments() -> None:
    with pytest.raises(ValueError, match=r"provisioned_requests must be in \[0, 5\]"):
        estimate(requests=5, duration_s=1, memory_mb=128, provisioned_concurrency=1, provisioned_requests=6)
    with pytest.raises(ValueError, match="provisioned_requests=2 needs provisioned_concurrency >= 1"):
        estimate(requests=5, duration_s=1, memory_mb=128, provisioned_requests=2)
    with pytest.raises(ValueError, match=r"cold_starts must be in \[0, 3\]"):
        estimate(
            requests=5, duration_s=1, memory_mb=128, cold_starts=4, provisioned_concurrency=1, provisioned_requests=2
        )
    with pytest.raises(TypeError, match="provisioned_concurrency must be an integer >= 0"):
        estimate(requests=5, duration_s=1, memory_mb=128, provisioned_concurrency=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="enabled_s must be >= 0"):
        estimate(requests=5, duration_s=1, memory_mb=128, provisioned_concurrency=1, provisioned_s=-1)
