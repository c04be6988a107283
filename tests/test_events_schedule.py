"""EventBridge scheduled rules (``put_rule(ScheduleExpression=...)``) on the simulated clock: when they fire, what
they send, how enabling, disabling and deleting change that, AWS's errors, and how ``sim.run()`` ends."""

from __future__ import annotations

import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.workload import Schedule
from tests.outcome_helpers import ACCOUNT, REGION, bodies, function_arn, queue

RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/"
HOUR = 3600.0
DAY = 86400.0


class Recorder:
    """A Lambda function ``name`` that notes the simulated time and the event of each invocation."""

    def __init__(self, sim: ls.Simulation, name: str = "job") -> None:
        self.sim = sim
        self.calls: list[tuple[float, Any]] = []
        sim.client("lambda").create_function(FunctionName=name, Handler=self.handle, Duration=0.5)
        self.arn = function_arn(name, None)

    def handle(self, event: Any, context: Any) -> None:
        self.calls.append((self.sim.now, event))

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.calls]


def scheduled(
    expression: str, *, start: str = "2026-01-01T00:00:00Z", seed: int = 1, **rule: Any
) -> tuple[ls.Simulation, Any, Recorder]:
    """A simulation with a rule ``r`` on ``expression`` that invokes a recording function."""
    sim = ls.Simulation(seed=seed, start=start)
    job = Recorder(sim)
    events = sim.client("events")
    events.put_rule(Name="r", ScheduleExpression=expression, **rule)
    events.put_targets(Rule="r", Targets=[{"Id": "job", "Arn": job.arn}])
    return sim, events, job


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


# -- when rules fire --------------------------------------------------------------------------------------------


def test_a_rate_fires_every_period_after_the_put_rule() -> None:
    sim = ls.Simulation(seed=1)
    job = Recorder(sim)
    sim.run(until=100.0)
    events = sim.client("events")
    events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule="every5", Targets=[{"Id": "job", "Arn": job.arn}])
    sim.run(until=100.0 + 3 * 300.0 + 1.0)
    assert job.times == [400.0, 700.0, 1000.0]


def test_a_cron_fires_at_its_utc_minutes_counted_from_the_start() -> None:
    sim, _, job = scheduled("cron(30 2 * * ? *)")
    sim.run(until=3 * DAY)
    assert job.times == [2 * HOUR + 1800.0, DAY + 2 * HOUR + 1800.0, 2 * DAY + 2 * HOUR + 1800.0]
    # The same times as the Schedule workload's, from the same parser.
    assert job.times == Schedule(function="job", expression="cron(30 2 * * ? *)", stop_s=3 * DAY).times()


def test_a_weekday_cron_counts_weekdays_from_the_start() -> None:
    # Wednesday 7 January 2026, noon: the Friday and Monday 09:00 after it.
    sim, _, job = scheduled("cron(0 9 ? * MON,FRI *)", start="2026-01-07T12:00:00Z")
    sim.run(until=10 * DAY)
    friday, monday, next_friday = 2 * DAY - 3 * HOUR, 5 * DAY - 3 * HOUR, 9 * DAY - 3 * HOUR
    assert job.times == [friday, monday, next_friday]
    assert [e["time"] for _, e in job.calls] == ["2026-01-09T09:00:00Z", "2026-01-12T09:00:00Z", "2026-01-16T09:00:00Z"]


def test_a_cron_fires_on_whole_minutes_when_the_start_is_not_one() -> None:
    sim, _, job = scheduled("cron(* * * * ? *)", start="2026-01-01T00:00:30Z")
    sim.run(until=200.0)
    assert job.times == [30.0, 90.0, 150.0]


def test_a_rule_put_at_a_scheduled_minute_first_fires_at_the_next_one() -> None:
    sim, _, job = scheduled("cron(0 0 * * ? *)")  # put at 00:00:00 exactly
    sim.run(until=2 * DAY + 1.0)
    assert job.times == [DAY, 2 * DAY]


def test_a_cron_whose_years_are_over_stops_and_lets_the_run_end() -> None:
    sim, _, job = scheduled("cron(0 0 * * ? 2026)", start="2026-12-30T12:00:00Z")
    sim.run(until=HOUR)
    assert sim.services.events.armed  # the firing of 31 December is queued
    sim.run(until=2 * DAY)
    assert job.times == [12 * HOUR]
    assert not sim.services.events.armed
    assert sim.run().now == 2 * DAY


# -- what they send ---------------------------------------------------------------------------------------------


def test_the_scheduled_event_is_eventbridges() -> None:
    sim = ls.Simulation(seed=1)
    url, queue_arn = queue(sim, "ticks")
    events = sim.client("events")
    rule_arn = events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")["RuleArn"]
    assert rule_arn == RULE_ARN + "hourly"
    events.put_targets(Rule="hourly", Targets=[{"Id": "q", "Arn": queue_arn}])
    sim.run(until=2 * HOUR + 1.0)
    first, second = bodies(sim, url)
    assert list(first) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert first["version"] == "0"
    assert first["detail-type"] == "Scheduled Event" and first["source"] == "aws.events"
    assert (first["account"], first["region"]) == (ACCOUNT, REGION)
    assert first["resources"] == [rule_arn] and first["detail"] == {}
    assert (first["time"], second["time"]) == ("2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z")
    assert len(first["id"]) == 36 and first["id"] != second["id"]


def test_every_kind_of_target_receives_each_firing() -> None:
    sim = ls.Simulation(seed=1)
    job = Recorder(sim)
    whole_url, whole_arn = queue(sim, "whole")
    input_url, input_arn = queue(sim, "input")
    fanout_url, fanout_arn = queue(sim, "fanout")
    sns = sim.client("sns")
    topic = sns.create_topic(Name="ticks")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fanout_arn)
    events = sim.client("events")
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)")
    events.put_targets(
        Rule="nightly",
        Targets=[
            {"Id": "whole", "Arn": whole_arn},
            {"Id": "input", "Arn": input_arn, "Input": json.dumps({"job": "nightly"})},
            {"Id": "topic", "Arn": topic},
            {"Id": "job", "Arn": job.arn, "InputPath": "$.resources"},
        ],
    )
    sim.run(until=2 * DAY)
    whole = bodies(sim, whole_url)
    assert [e["time"] for e in whole] == ["2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"]
    assert bodies(sim, input_url) == [{"job": "nightly"}, {"job": "nightly"}]
    notes = bodies(sim, fanout_url)
    assert [json.loads(n["Message"]) for n in notes] == whole
    assert job.calls == [(2 * HOUR, [RULE_ARN + "nightly"]), (DAY + 2 * HOUR, [RULE_ARN + "nightly"])]
    rule = sim.services.events.bus(None).rules["nightly"]
    assert (rule.matched, rule.invocations, rule.failed_invocations) == (2, 8, 0)


def test_a_target_that_fails_is_counted_and_the_schedule_goes_on() -> None:
    sim, events, job = scheduled("rate(1 hour)")
    events.put_targets(Rule="r", Targets=[{"Id": "gone", "Arn": function_arn("missing", None)}])
    sim.run(until=2 * HOUR + 1.0)
    assert job.times == [HOUR, 2 * HOUR]
    rule = sim.services.events.bus(None).rules["r"]
    assert (rule.invocations, rule.failed_invocations) == (2, 2)


def test_a_rule_with_a_pattern_and_a_schedule_does_both() -> None:
    sim, events, job = scheduled("rate(1 hour)", EventPattern=json.dumps({"source": ["shop"]}))
    sim.run(until=1000.0)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Order", "Detail": "{}"}])
    sim.run(until=HOUR + 1.0)
    assert job.times == [1000.0, HOUR]
    assert [e["detail-type"] for _, e in job.calls] == ["Order", "Scheduled Event"]
    described = events.describe_rule(Name="r")
    assert (described["EventPattern"], described["ScheduleExpression"]) == ('{"source": ["shop"]}', "rate(1 hour)")


# -- enabling, disabling, deleting ------------------------------------------------------------------------------


def test_disabling_stops_firing_and_enabling_resumes_without_catching_up() -> None:
    sim, events, job = scheduled("rate(1 hour)")
    sim.run(until=HOUR + 1.0)
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    sim.run(until=3 * HOUR + 1.0)
    assert job.times == [HOUR]
    events.enable_rule(Name="r")
    sim.run(until=5 * HOUR + 1.0)
    assert job.times == [HOUR, 4 * HOUR, 5 * HOUR]  # 2 h and 3 h are missed, not made up


def test_a_cron_enabled_again_resumes_at_its_next_minute() -> None:
    sim, events, job = scheduled("cron(0 * * * ? *)", State="DISABLED")
    sim.run(until=2.5 * HOUR)
    events.enable_rule(Name="r")
    sim.run(until=4 * HOUR + 1.0)
    assert job.times == [3 * HOUR, 4 * HOUR]


def test_both_enabled_states_fire_and_enable_rule_keeps_the_cloudtrail_one() -> None:
    state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    sim, events, job = scheduled("rate(1 hour)", State=state)
    events.enable_rule(Name="r")
    assert events.list_rules()["Rules"][0]["State"] == state
    sim.run(until=HOUR + 1.0)
    assert job.times == [HOUR]


def test_removing_the_targets_stops_firing_and_a_new_target_resumes() -> None:
    sim, events, job = scheduled("rate(1 hour)")
    sim.run(until=HOUR + 1.0)
    events.remove_targets(Rule="r", Ids=["job"])
    assert not sim.services.events.armed
    sim.run(until=2.5 * HOUR)
    events.put_targets(Rule="r", Targets=[{"Id": "job", "Arn": job.arn}])
    sim.run(until=3 * HOUR + 1.0)
    assert job.times == [HOUR, 3 * HOUR]


def test_deleting_the_rule_stops_firing_and_leaves_nothing_queued() -> None:
    sim, events, job = scheduled("rate(1 hour)")
    sim.run(until=HOUR + 1.0)
    with pytest.raises(events.exceptions.ValidationException):
        events.delete_rule(Name="r")  # it has targets
    events.remove_targets(Rule="r", Ids=["job"])
    events.delete_rule(Name="r")
    assert events.list_rules()["Rules"] == []
    assert sim.run().now == HOUR + 1.0  # no stale firing drags the clock on
    assert job.times == [HOUR]


def test_a_put_rule_restarts_a_changed_schedule_and_keeps_an_unchanged_one() -> None:
    sim, events, job = scheduled("rate(1 hour)")
    sim.run(until=1000.0)
    events.put_rule(Name="r", ScheduleExpression="rate(1 hour)")  # same expression: same timer
    sim.run(until=HOUR + 1.0)
    events.put_rule(Name="r", ScheduleExpression="rate(10 minutes)")  # a new schedule, from now
    sim.run(until=HOUR + 1.0 + 1300.0)
    assert job.times == [HOUR, HOUR + 601.0, HOUR + 1201.0]
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))  # no schedule any more
    assert "ScheduleExpression" not in events.describe_rule(Name="r")
    assert sim.run().now == HOUR + 1301.0


# -- the API ----------------------------------------------------------------------------------------------------


def test_describe_and_list_show_the_schedule_in_botocores_shapes() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("events")
    sim = ls.Simulation(seed=1)
    events = sim.client("events")
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", Description="report")
    described = events.describe_rule(Name="nightly")
    assert {k: v for k, v in described.items() if k != "ResponseMetadata"} == {
        "Name": "nightly",
        "Arn": RULE_ARN + "nightly",
        "ScheduleExpression": "cron(0 2 * * ? *)",
        "State": "ENABLED",
        "Description": "report",
        "EventBusName": "default",
        "CreatedBy": ACCOUNT,
    }
    assert set(described) - {"ResponseMetadata"} <= set(model.operation_model("DescribeRule").output_shape.members)
    (listed,) = events.list_rules()["Rules"]
    assert listed["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert set(listed) <= set(model.shape_for("Rule").members)


@pytest.mark.parametrize("operation", ["describe_rule", "enable_rule", "disable_rule"])
def test_rule_operations_on_a_missing_rule(operation: str) -> None:
    events = ls.Simulation(seed=1).client("events")
    with pytest.raises(events.exceptions.ResourceNotFoundException) as err:
        getattr(events, operation)(Name="nope")
    assert error_of(err) == ("ResourceNotFoundException", "Rule nope does not exist on EventBus default.", 400)


def test_schedules_only_on_the_default_bus() -> None:
    sim = ls.Simulation(seed=1)
    events = sim.client("events")
    events.create_event_bus(Name="shop")
    with pytest.raises(events.exceptions.ValidationException) as err:
        events.put_rule(Name="r", EventBusName="shop", ScheduleExpression="rate(1 minute)")
    assert error_of(err) == (
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
        400,
    )
    assert events.list_rules(EventBusName="shop")["Rules"] == []
    default_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    assert events.put_rule(Name="r", EventBusName=default_arn, ScheduleExpression="rate(1 minute)")["RuleArn"] == (
        RULE_ARN + "r"
    )


@pytest.mark.parametrize(
    "expression",
    [
        # EventBridge's own refusals, recorded against AWS (LocalStack's validated tests).
        "rate(10 seconds)",
        "rate(10 years)",
        "rate(1 minutes)",
        "rate(1 hours)",
        "rate(10 minute)",
        "rate()",
        "rate(10)",
        "rate(foo minutes)",
        "rate(0 minutes)",
        "rate(-10 minutes)",
        "rate(10 MINUTES)",
        "rate( 10 minutes )",
        " rate(10 minutes)",
        # Malformed crons.
        "cron(0 2 * * * *)",
        "cron(0 2 * * ?)",
        "cron(60 2 * * ? *)",
        "cron(0 2 ? * FOO *)",
        "daily",
    ],
)
def test_invalid_expressions_are_refused_as_aws_does(expression: str) -> None:
    events = ls.Simulation(seed=1).client("events")
    with pytest.raises(events.exceptions.ValidationException) as err:
        events.put_rule(Name="r", ScheduleExpression=expression)
    assert error_of(err) == ("ValidationException", "Parameter ScheduleExpression is not valid.", 400)
    assert events.list_rules()["Rules"] == []


def test_other_put_rule_errors() -> None:
    events = ls.Simulation(seed=1).client("events")
    with pytest.raises(events.exceptions.ValidationException) as err:
        events.put_rule(Name="r")
    assert error_of(err)[1] == "Parameter(s) EventPattern or ScheduleExpression must be specified."
    with pytest.raises(events.exceptions.ValidationException) as err:
        events.put_rule(Name="r", ScheduleExpression="rate(1 hour)", State="PAUSED")
    assert "Member must satisfy enum value set" in error_of(err)[1]
    with pytest.raises(events.exceptions.ValidationException) as err:
        events.put_rule(Name="r", ScheduleExpression="cron(" + "0," * 200 + "0 2 * * ? *)")
    assert "Member must have length less than or equal to 256" in error_of(err)[1]


# -- determinism and the end of the run ------------------------------------------------------------------------


def firings(seed: int) -> list[Any]:
    sim = ls.Simulation(seed=seed)
    url, arn = queue(sim, "q")
    events = sim.client("events")
    for name, expression in (("a", "rate(7 minutes)"), ("b", "cron(0/15 * * * ? *)")):
        events.put_rule(Name=name, ScheduleExpression=expression)
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    sim.run(until=2 * HOUR)
    return bodies(sim, url)


def test_same_seed_same_firings() -> None:
    first = firings(3)
    # Every 7 minutes (17 times) and every quarter hour (7 times) after 0 s, when they were put, and before 2 h.
    assert len(first) == 17 + 7
    assert firings(3) == first
    assert [e["id"] for e in firings(4)] != [e["id"] for e in first]


def test_run_without_until_refuses_while_a_scheduled_rule_fires() -> None:
    sim, events, job = scheduled("cron(0 2 * * ? *)")
    events.put_rule(Name="quiet", ScheduleExpression="rate(1 hour)")  # no target: never fires, never blocks
    with pytest.raises(ValueError, match=r"never end.*'r' \(cron\(0 2 \* \* \? \*\)\); pass until") as err:
        sim.run()
    assert "quiet" not in str(err.value)
    assert sim.now == 0.0
    sim.run(until=DAY)
    assert job.times == [2 * HOUR]
    events.disable_rule(Name="r")
    assert sim.run().now == DAY


def test_rules_without_schedules_queue_nothing() -> None:
    sim = ls.Simulation(seed=1)
    events = sim.client("events")
    _, arn = queue(sim, "q")
    events.put_rule(Name="p", EventPattern=json.dumps({"source": ["x"]}))
    events.put_targets(Rule="p", Targets=[{"Id": "q", "Arn": arn}])
    assert sim.env._queue == [] and not sim.services.events.armed
    assert sim.run().now == 0.0
