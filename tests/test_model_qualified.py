"""The Pythonic door's aliases, provisioned concurrency and qualified workloads (spec 5: provisioned concurrency is
set on versions and aliases, never ``$LATEST``; an invoke through an alias uses the alias's settings)."""

from __future__ import annotations

import pytest

import lambdasim as ls
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.planning.sync import SyncPoisson
from lambdasim.workload import Burst, Poisson


def test_provisioned_concurrency_needs_an_alias() -> None:
    with pytest.raises(ValueError, match="provisioned_concurrency=5 needs an alias"):
        Function(name="f", provisioned_concurrency=5)


def test_provisioned_concurrency_cannot_exceed_reserved() -> None:
    with pytest.raises(ValueError, match=r"provisioned_concurrency must be <= reserved_concurrency \(4\), got 5"):
        Function(name="f", alias="live", provisioned_concurrency=5, reserved_concurrency=4)


def test_a_workload_on_an_unknown_qualifier_is_refused_where_written() -> None:
    with pytest.raises(
        ValueError, match=r"invokes 'f:prod', but function 'f' has qualifiers \['\$LATEST', '1', 'live'\]"
    ):
        Model(
            functions=[Function(name="f", alias="live")],
            workloads=[Poisson(function="f:prod", rate_per_s=1.0, stop_s=10.0)],
        )


def test_the_alias_runs_on_provisioned_environments_once_they_are_ready() -> None:
    """Allocation takes Settings.provisioned_allocation_s (120 s): before, invokes are on-demand (cold starts);
    after, they run on the 3 pre-initialised environments and spill over to on-demand past them."""
    model = Model(
        functions=[
            Function(
                name="f",
                behaviour=ls.Behaviour(duration=1.0),
                init_duration=0.5,
                alias="live",
                provisioned_concurrency=3,
            )
        ],
        workloads=[
            Burst(function="f:live", at_s=10.0, count=2),  # before READY: on demand, 2 cold starts
            Burst(function="f:live", at_s=200.0, count=3),  # READY: all 3 on provisioned environments
            Burst(function="f:live", at_s=300.0, count=5),  # 3 provisioned + 2 spilled over (warm on-demand)
        ],
    )
    st = model.build(seed=1).run().stats("f")
    assert st.provisioned_invocations == 6
    # Spill-over counts every on-demand invoke of a qualifier with a provisioned config: 2 while it was still
    # allocating (nothing ready yet) and 2 past the 3 ready environments.
    assert st.provisioned_spillover_invocations == 4
    assert st.cold_starts == 2  # the spill-over at 300 s reuses the two on-demand environments of t = 10 s


def test_an_unqualified_workload_does_not_use_the_alias_provisioned_concurrency() -> None:
    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0), alias="live", provisioned_concurrency=3)],
        workloads=[Burst(function="f", at_s=200.0, count=3)],
    )
    st = model.build(seed=1).run().stats("f")
    assert (st.provisioned_invocations, st.cold_starts) == (0, 3)


def test_the_alias_has_the_function_event_invoke_settings() -> None:
    always_fail = ls.Behaviour(duration=1.0, error_rate=1.0)
    model = Model(
        functions=[
            Function(name="f", behaviour=always_fail, alias="live", event_invoke=EventInvoke(maximum_retry_attempts=0))
        ],
        workloads=[Burst(function="f:live", at_s=0.0, count=4)],
    )
    f = model.run(seed=1).functions["f"]
    assert f["attempts"] == 4  # no retries through the alias either
    assert f["outcomes"]["RetriesExhausted"] == 4


def test_records_of_alias_invokes_name_the_alias_and_the_version_that_ran() -> None:
    seen: list[ls.Outcome] = []

    class Capture:
        def deliver(self, outcome: ls.Outcome) -> None:
            seen.append(outcome)

    model = Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=1.0), alias="live")],
        workloads=[Burst(function="f:live", at_s=0.0, count=1)],
    )
    sim = model.build(seed=1)
    sim.add_sink(Capture())
    sim.run()
    (out,) = seen
    record = out.record()
    assert record["requestContext"]["functionArn"].endswith(":function:f:live")
    assert record["responseContext"]["executedVersion"] == "1"


def test_synchronous_callers_can_invoke_the_alias() -> None:
    model = Model(
        functions=[
            Function(
                name="f",
                behaviour=ls.Behaviour(duration=0.5),
                alias="live",
                provisioned_concurrency=2,
                reserved_concurrency=2,
            )
        ],
        workloads=[SyncPoisson(function="f:live", rate_per_s=1.0, start_s=130.0, stop_s=400.0)],
    )
    st = model.build(seed=3).run().stats("f")
    assert st.provisioned_invocations > 0
    assert st.cold_starts == 0  # reserved 2 = provisioned 2: nothing can spill over to on-demand


def test_a_workload_attached_by_hand_on_a_missing_alias_names_the_qualifiers_that_exist() -> None:
    sim = ls.Simulation(seed=1)
    sim.client("lambda").create_function(FunctionName="f", Duration=1.0)
    with pytest.raises(ValueError, match=r"function 'f' has no version or alias 'live'; it has \['\$LATEST'\]"):
        Poisson(function="f:live", rate_per_s=1.0, stop_s=10.0).attach(sim)


def test_a_scenario_file_can_provision_an_alias_and_invoke_it() -> None:
    from lambdasim.planning.scenario import ScenarioError, loads

    text = """
        name = "api"
        horizon_s = 600
        [[functions]]
        name = "api"
        alias = "live"
        provisioned_concurrency = 4
        behaviour = { duration = 0.2 }
        [[workloads]]
        type = "poisson"
        function = "api:live"
        rate_per_s = 5
        stop_s = 600
    """
    scenario = loads(text)
    (function,) = scenario.model.functions
    assert (function.alias, function.provisioned_concurrency) == ("live", 4)
    st = scenario.model.build(seed=1).run(until=600).stats("api")
    assert st.provisioned_invocations > 0.7 * st.invocations  # ready after 120 s of 600
    with pytest.raises(ScenarioError, match="has qualifiers"):
        loads(text.replace('"api:live"', '"api:prod"'))
