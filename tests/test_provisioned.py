"""Provisioned concurrency (spec 5): the API on versions and aliases, allocation time, warm starts, spill-over."""

from __future__ import annotations

from typing import Any

import pytest

import lambdasim as ls

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def setup(settings: ls.Settings | None = None, **params: Any) -> tuple[ls.Simulation, Any]:
    """Function ``f`` (1 s, 2 s init) with version 1 and alias ``live`` -> 1."""
    sim = ls.Simulation(seed=1, settings=settings)
    lam = sim.client("lambda")
    lam.create_function(**{"FunctionName": "f", "Duration": 1.0, "InitDuration": 2.0, "Timeout": 30, **params})
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    return sim, lam


def code(exc: pytest.ExceptionInfo[ls.ClientError]) -> tuple[str, str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


# -- the API ------------------------------------------------------------------------------------------------------


def test_put_answers_in_progress_and_the_config_is_ready_after_the_allocation_time() -> None:
    sim, lam = setup(ls.Settings(provisioned_allocation_s=90.0))
    resp = lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=3)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert {k: v for k, v in resp.items() if k not in ("ResponseMetadata", "LastModified")} == {
        "RequestedProvisionedConcurrentExecutions": 3,
        "AvailableProvisionedConcurrentExecutions": 0,
        "AllocatedProvisionedConcurrentExecutions": 0,
        "Status": "IN_PROGRESS",
    }
    assert resp["LastModified"] == "2026-01-01T00:00:00.000+0000"
    sim.run(until=89.9)
    assert lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")["Status"] == "IN_PROGRESS"
    sim.run(until=90.001)  # run(until=t) stops before what is scheduled at t
    got = lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 3)
    assert got["AvailableProvisionedConcurrentExecutions"] == 3


def test_the_default_allocation_time_is_120_s() -> None:
    sim, lam = setup()
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    sim.run(until=119)
    assert lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")["Status"] == "IN_PROGRESS"
    sim.run(until=120.001)
    assert lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="1")["Status"] == "READY"


@pytest.mark.parametrize("op", ["put", "get", "delete"])
def test_latest_is_refused(op: str) -> None:
    _, lam = setup()
    method = getattr(lam, f"{op}_provisioned_concurrency_config")
    extra = {"ProvisionedConcurrentExecutions": 1} if op == "put" else {}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        method(FunctionName="f", Qualifier="$LATEST", **extra)
    message = (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        if op == "put"
        else "The function resource provided must be an alias or a published version."
    )
    assert code(exc) == ("InvalidParameterValueException", message, 400)


def test_unknown_versions_aliases_and_functions() -> None:
    _, lam = setup()
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="7", ProvisionedConcurrentExecutions=1)
    assert code(exc) == ("ResourceNotFoundException", f"Function not found: {ARN}:7", 404)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="blue")
    assert code(exc) == ("ResourceNotFoundException", f"Cannot find alias arn: {ARN}:blue", 404)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_provisioned_concurrency_configs(FunctionName="nope")


def test_get_without_a_config_and_idempotent_delete() -> None:
    _, lam = setup()
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException) as exc:
        lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    assert code(exc) == (
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
        404,
    )
    assert (
        lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 204
    )


def test_list_pages_and_delete() -> None:
    _, lam = setup()
    lam.publish_version(FunctionName="f", Description="v2")  # nothing changed: still version 1
    lam.update_function_configuration(FunctionName="f", Timeout=10)
    lam.publish_version(FunctionName="f")  # version 2
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="2", ProvisionedConcurrentExecutions=2)
    first = lam.list_provisioned_concurrency_configs(FunctionName="f", MaxItems=1)
    assert [c["FunctionArn"] for c in first["ProvisionedConcurrencyConfigs"]] == [f"{ARN}:live"]
    rest = lam.list_provisioned_concurrency_configs(FunctionName="f", Marker=first["NextMarker"])
    assert [
        (c["FunctionArn"], c["RequestedProvisionedConcurrentExecutions"]) for c in rest["ProvisionedConcurrencyConfigs"]
    ] == [(f"{ARN}:2", 2)]
    assert "NextMarker" not in rest
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    listed = lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"] for c in listed] == [f"{ARN}:2"]


def test_the_count_is_validated_as_botocore_does() -> None:
    _, lam = setup()
    with pytest.raises(ls.ParamValidationError, match="valid min value: 1"):
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=0)
    with pytest.raises(ls.ParamValidationError, match='Missing required parameter in input: "Qualifier"'):
        lam.put_provisioned_concurrency_config(FunctionName="f", ProvisionedConcurrentExecutions=1)


def test_an_alias_and_its_version_cannot_both_be_provisioned() -> None:
    _, lam = setup()
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceConflictException) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert code(exc) == (
        "ResourceConflictException",
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
        409,
    )
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="1")
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceConflictException) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert code(exc)[1] == "Version is pointed by a Provisioned Concurrency alias"


def test_provisioned_concurrency_must_fit_in_reserved_concurrency() -> None:
    _, lam = setup()
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=5)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=6)
    assert code(exc)[1] == (
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    )


def test_provisioned_concurrency_is_carved_out_of_the_unreserved_account_pool() -> None:
    _, lam = setup()
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=300)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 700
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=901)
    assert code(exc)[1] == (
        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its "
        "minimum value of [100]."
    )
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=900)
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


# -- behaviour ----------------------------------------------------------------------------------------------------


def ready(sim: ls.Simulation, lam: Any, n: int, qualifier: str = "live") -> None:
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier=qualifier, ProvisionedConcurrentExecutions=n)
    sim.run(until=sim.now + sim.settings.provisioned_allocation_s + 1.0)


def timed(sim: ls.Simulation, lam: Any, **params: Any) -> float:
    start = sim.now
    lam.invoke(FunctionName="f", Payload=b"{}", **params)
    return sim.now - start


def test_provisioned_environments_have_no_cold_start_but_only_through_their_qualifier() -> None:
    sim, lam = setup()
    ready(sim, lam, 1)
    assert timed(sim, lam, Qualifier="live") == 1.0
    assert timed(sim, lam) == 3.0  # $LATEST runs on demand: a cold start
    f = sim.results().functions["f"]
    assert (f["provisioned"]["invocations"], f["provisioned"]["spillover_invocations"]) == (1, 0)
    assert f["environments"]["cold_starts"] == 1


def test_before_the_config_is_ready_invocations_run_on_demand() -> None:
    sim, lam = setup()
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert timed(sim, lam, Qualifier="live") == 3.0
    assert sim.results().functions["f"]["provisioned"]["spillover_invocations"] == 1


def test_busy_provisioned_environments_spill_over_to_on_demand_ones() -> None:
    sim, lam = setup(Duration=10.0)
    ready(sim, lam, 2)
    start = sim.now
    for _ in range(5):
        lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b"{}")
    res = sim.run(until=start + 15.0)
    f = res.functions["f"]
    assert (f["provisioned"]["invocations"], f["provisioned"]["spillover_invocations"]) == (2, 3)
    assert f["environments"]["cold_starts"] == 3  # the spill-over ran on new on-demand environments
    assert f["concurrency"]["max"] == 5.0
    assert f["provisioned"]["busy"]["max"] == 2.0


def test_provisioned_concurrency_counts_against_reserved_concurrency() -> None:
    """Reserved 3 with 2 provisioned: on-demand invocations get the remaining 1."""
    sim, lam = setup(Duration=10.0)
    lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=3)
    ready(sim, lam, 2)
    for _ in range(2):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")  # $LATEST: on demand
    res = sim.run(until=sim.now + 0.5)
    f = res.functions["f"]
    assert f["throttles_by_reason"] == {"ReservedFunctionConcurrentInvocationLimitExceeded": 1}
    assert f["concurrency"]["final"] == 1.0


def test_utilisation_is_busy_over_allocated_time_averages() -> None:
    sim, lam = setup(ls.Settings(provisioned_allocation_s=0.0), Duration=10.0)
    ready(sim, lam, 4)
    for _ in range(2):
        lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b"{}")
    res = sim.run(until=20.0)
    p = res.functions["f"]["provisioned"]
    assert p["busy"]["mean"] == pytest.approx(2 * 10 / 20)
    assert p["allocated"]["mean"] == pytest.approx(4.0)
    assert p["utilization_mean"] == pytest.approx(0.25)
    assert p["billed_duration_ms"] == 20_000
    assert res.functions["f"]["environments"]["total_mean"] == pytest.approx(4.0)


def test_deleting_a_config_lets_running_invocations_finish_and_sends_new_ones_on_demand() -> None:
    sim, lam = setup(ls.Settings(provisioned_allocation_s=0.0), Duration=10.0)
    ready(sim, lam, 1)
    lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b"{}")
    sim.run(until=2.0)
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    assert timed(sim, lam, Qualifier="live") == 12.0  # no provisioned environment left: cold
    res = sim.run(until=20.0)
    p = res.functions["f"]["provisioned"]
    assert (p["invocations"], p["busy"]["final"], p["allocated"]["final"]) == (1, 0.0, 0.0)


def test_provisioned_concurrency_metrics_per_minute() -> None:
    """Two provisioned environments busy from 125 s to 195 s (70 s calls), a third call spilling over at 125 s."""
    sim, lam = setup(Duration=70.0, Timeout=100)
    ready(sim, lam, 2)  # ready at 120 s; the clock is at 121 s
    sim.run(until=125)
    for _ in range(3):
        lam.invoke(FunctionName="f", Qualifier="live", InvocationType="Event", Payload=b"{}")
    res = sim.run(until=300)
    assert res.metric("f", "ProvisionedConcurrencyInvocations") == [(120.0, 2.0)]
    assert res.metric("f", "ProvisionedConcurrencySpilloverInvocations") == [(120.0, 1.0)]
    # Busy through the 180 s period too, though nothing started in it.
    assert res.metric("f", "ProvisionedConcurrentExecutions", "Maximum") == [(120.0, 2.0), (180.0, 2.0)]
    assert res.metric("f", "ProvisionedConcurrencyUtilization", "Maximum") == [(120.0, 1.0), (180.0, 1.0)]
    assert res.metric("f", "ConcurrentExecutions", "Maximum")[0] == (120.0, 3.0)
    cloudwatch = sim.client("cloudwatch")
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="ProvisionedConcurrencySpilloverInvocations",
        Dimensions=[{"Name": "FunctionName", "Value": "f"}],
        StartTime=sim.start,
        EndTime=sim.start.replace(hour=1),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [1.0]


def test_deleting_the_alias_or_the_function_returns_the_provisioned_concurrency_to_the_account() -> None:
    sim, lam = setup()
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=300)
    lam.delete_alias(FunctionName="f", Name="live")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=300)
    lam.delete_function(FunctionName="f")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    assert sim.engine.unreserved_limit == 1000
