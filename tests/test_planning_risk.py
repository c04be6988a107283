"""Planning over the share of replications that meet an objective, and the re-check across plausible assumptions."""

from __future__ import annotations

import attrs
import pytest

import lambdasim as ls
from lambdasim.core.settings import Settings
from lambdasim.model import EventInvoke, Function, Model
from lambdasim.planning import Objective, Target, evaluate, least, least_reserved_concurrency
from lambdasim.planning.assumptions import PLAUSIBLE, Assumption, check_assumptions
from lambdasim.planning.risk import ShareRule
from lambdasim.workload import Burst


def coin(error_rate: float) -> Model:
    """One event, one attempt: a replication meets ``success >= 1`` with probability ``1 - error_rate``."""
    return Model(
        functions=[
            Function(
                name="f",
                behaviour=ls.Behaviour(duration=0.1, error_rate=error_rate),
                event_invoke=EventInvoke(maximum_retry_attempts=0),
            )
        ],
        workloads=[Burst(function="f", at_s=0.0, count=1)],
    )


def paced(count: int = 80, spacing_s: float = 0.125, duration_s: float = 1.0) -> Model:
    return Model(
        functions=[Function(name="f", behaviour=ls.Behaviour(duration=duration_s))],
        workloads=[Burst(function="f", at_s=0.0, count=count, over_s=count * spacing_s)],
    )


RULE = ShareRule(share=0.9, confidence=0.9, first=10, cap=40)
OBJECTIVE = Objective(Target("success", at_least=1), share=RULE)


def test_a_sure_success_is_shown_with_the_fewest_replications_the_bound_allows() -> None:
    e = evaluate(coin(0.0), OBJECTIVE)
    assert e.met and e.share is not None
    # 0.1 ** (1/n) >= 0.9 first at n = 22: the looks are 10, 20, 40, and only 40 can claim it.
    assert e.replications == RULE.least_replications == 40
    assert (e.share.met, e.share.n, e.share.decision) == (40, 40, "met")
    assert e.share.lower == pytest.approx(0.1 ** (1 / 40))
    assert e.margins == {"success >= 1": 0.0}


def test_a_coin_flip_fails_at_the_first_look() -> None:
    e = evaluate(coin(0.5), OBJECTIVE)
    assert not e.met and e.share is not None
    assert e.replications == 10 and e.share.decision == "failed"
    # The count is what the replications say, one by one.
    assert e.share.met == sum(1 for run in e.runs if run["success"] >= 1)
    assert 0 < e.share.met < 10


def test_the_share_rule_picks_the_candidate_that_is_shown_not_the_one_that_is_likely() -> None:
    candidates = [ls.Behaviour(duration=0.1, error_rate=q) for q in (0.5, 0.2, 0.05, 0.0)]
    plan = least(coin(0.0), "functions[f].behaviour", candidates, OBJECTIVE)
    # 95% of days is above the 90% required, yet 40 days cannot show it at 90% confidence; 100% can.
    assert plan.value == candidates[3]
    assert [e.value.error_rate for e in plan.evaluations] == [0.5, 0.2, 0.05, 0.0]
    shown = plan.evaluation(candidates[2]).share
    assert shown is not None and shown.decision in ("undecided", "failed")
    text = plan.report()
    assert "40 of 40 replications met every target (100%); the share is >= 94.4% at 90% confidence" in text
    statement = plan.risk_statement()
    assert "every target held in 40 of 40 simulated replications (days)" in statement
    assert "at least 94.4% (required: 90%)" in statement


def test_margins_are_read_on_the_required_share_of_days() -> None:
    target = Target("p99", at_most=300.0)
    days = [float(v) for v in range(100, 300, 10)] + [511.0]  # 20 good days, one bad
    assert target.at_share(days, 0.95) == 290.0  # 20 of 21 days are at most 290
    assert target.at_share(days, 0.99) == 511.0
    assert target.margin(target.at_share(days, 0.95)) == 10.0
    low = Target("success", at_least=1.0)
    assert low.at_share([0.0, 1.0, 1.0, 1.0], 0.75) == 1.0
    assert low.at_share([0.0, 1.0, 1.0, 1.0], 0.8) == 0.0
    assert Target("x", at_most=1.0).at_share([float("nan"), 0.5], 0.9) != 0.5  # nan counts as the worst


def test_share_objectives_validate() -> None:
    assert Objective(Target("success", at_least=1), share=0.95).share == ShareRule(share=0.95)
    assert Objective(Target("success", at_least=1), rule="share").share == ShareRule()
    with pytest.raises(ValueError, match="share= goes with rule='share'"):
        Objective(Target("success", at_least=1), rule="every", share=0.9)
    with pytest.raises(TypeError, match=r"share must be a lambdasim\.risk\.ShareRule"):
        Objective(Target("success", at_least=1), share="most")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="replications are set by its ShareRule"):
        least(coin(0.0), "functions[f].timeout_s", [3], OBJECTIVE, replications=5)


def test_every_unpublished_setting_is_ranged_or_said_to_be_unranged() -> None:
    published = {
        "retry_delays_s",
        "throttle_backoff_base_s",
        "throttle_backoff_cap_s",
        "async_payload_limit_bytes",
        "sync_payload_limit_bytes",
        "scaling_environments",
        "scaling_period_s",
        "metrics_period_s",
    }
    workload_facts = {"service_error_probability", "default_init_duration_s"}  # properties of the system modelled
    unranged = {"poller_read_rate_per_s"}  # no figure and no measurement: documented as unranged
    ranged = {a.setting for a in PLAUSIBLE}
    fields = {f.name for f in attrs.fields(Settings)}
    assert ranged | published | workload_facts | unranged == fields
    assert not ranged & (published | workload_facts | unranged)
    defaults = Settings()
    for a in PLAUSIBLE:
        default = getattr(defaults, a.setting)
        if isinstance(default, str):
            assert default in a.values
        else:
            assert min(a.values) <= default <= max(a.values), a.setting
    with pytest.raises(ValueError, match="throttle_backoff_jitter"):
        Assumption("throttle_backoff_jitter", (0.0, 2.0), "out of range", lambda m, r: True)


def test_the_default_planner_says_its_answer_holds_and_why() -> None:
    plan = least_reserved_concurrency(paced(), "f", Objective(Target("throttles", at_most=0)), high=40, replications=1)
    assert plan.value == 8 and plan.robust_value == 8
    check = plan.assumptions
    assert check is not None and check.holds
    by_setting = {(r.setting, r.value): r for r in check.rechecks}
    # No throttles at the answer: backoff jitter cannot act, so it is not run; dispatch latency always can.
    jitter = by_setting[("throttle_backoff_jitter", 1.0)]
    assert not jitter.acted and jitter.evaluation is None and jitter.holds
    latency = by_setting[("dispatch_latency_s", 0.1)]
    assert latency.acted and latency.evaluation is not None and latency.holds
    assert "holds across the plausible range of every setting AWS does not publish" in plan.report()
    unchecked = least_reserved_concurrency(
        paced(), "f", Objective(Target("throttles", at_most=0)), high=40, replications=1, check_assumptions=False
    )
    assert unchecked.assumptions is None
    assert "assumptions: not re-checked" in unchecked.report()


def test_an_assumption_that_moves_the_answer_is_named_with_the_shift() -> None:
    """Every event delivered twice doubles the load: 1 s events every 0.125 s need 16 at once instead of 8."""
    twice = Assumption("duplicate_probability", (0.0, 1.0), "test: every event twice", lambda m, r: True)
    objective = Objective(Target("throttles", at_most=0))
    check = check_assumptions(
        paced(), "functions[f].reserved_concurrency", range(1, 41), 8, objective, replications=1, assumptions=[twice]
    )
    assert not check.holds
    (recheck,) = check.depends_on
    assert (recheck.setting, recheck.value, recheck.answer, recheck.shift) == ("duplicate_probability", 1.0, 16, 8)
    assert check.robust_value == 16
    text = str(check)
    assert "does NOT hold" in text and "duplicate_probability = 1.0: FAILS; the answer moves to 16 (+8" in text


def test_an_assumption_under_which_nothing_meets_the_objective() -> None:
    late = Assumption("dispatch_latency_s", (0.0, 0.5), "test", lambda m, r: True)
    objective = Objective(Target("first_attempt_age_max_s", at_most=0.25))
    check = check_assumptions(
        paced(), "functions[f].reserved_concurrency", range(1, 21), 8, objective, replications=1, assumptions=[late]
    )
    assert check.robust_value is None
    assert check.depends_on[0].answer is None
    assert "under some of them no candidate meets the objective" in str(check)
    with pytest.raises(ValueError, match="not among the candidates"):
        check_assumptions(paced(), "functions[f].reserved_concurrency", range(1, 5), 8, objective, assumptions=[late])
