"""Metric math in ``get_metric_data`` (``Expression`` queries, :mod:`lambdasim.aws.cloudwatch.metric_math`): exact
values on a small
run worked out by hand, dependency order, hidden inputs, every supported function on AWS's own examples, and the
errors CloudWatch answers with."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.cloudwatch.metric_math import ARITHMETIC_ERROR, MetricMathError, Series, SeriesArray, evaluate, parse
from tests.outcome_helpers import START

MINUTE = 60.0
T0 = START.timestamp()


def asked_to(event: dict[str, Any], context: Any) -> dict[str, bool]:
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"ok": True}


def run() -> ls.Simulation:
    """``api`` (5 s, reserved concurrency 2, no retries) gets events at 0, 60 and 180 s.

    Minute 0: two events (one fails): 2 invocations, 1 error, no throttle. Minute 1: four events (three fail); the
    last two are throttled at 60, 61 and 63 s (backoff 1, 2) and run at 67 s: 4 invocations, 3 errors, 6 throttles.
    Minute 2: nothing. Minute 3: one event that succeeds: 1 invocation, 0 errors. The run ends at 300 s (minute 5).
    """
    sim = ls.Simulation(seed=5)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="api", Handler=asked_to, Duration=5.0, Timeout=60)
    lam.put_function_concurrency(FunctionName="api", ReservedConcurrentExecutions=2)
    lam.put_function_event_invoke_config(FunctionName="api", MaximumRetryAttempts=0)
    for at, fails in ((0, [False, True]), (60, [True, True, False, True]), (180, [False])):
        sim.run(until=at)
        for fail in fails:
            lam.invoke(FunctionName="api", InvocationType="Event", Payload=json.dumps({"fail": fail}))
    sim.run(until=300)
    return sim


@pytest.fixture(scope="module")
def sim() -> ls.Simulation:
    return run()


def stat(metric: str, name: str = "Sum", period: int = 60, function: str = "api") -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": "AWS/Lambda",
            "MetricName": metric,
            "Dimensions": [{"Name": "FunctionName", "Value": function}],
        },
        "Period": period,
        "Stat": name,
    }


INPUTS = [
    {"Id": "errors", "MetricStat": stat("Errors"), "ReturnData": False},
    {"Id": "invocations", "MetricStat": stat("Invocations"), "ReturnData": False},
    {"Id": "throttles", "MetricStat": stat("Throttles"), "ReturnData": False},
]


def query(sim: ls.Simulation, *queries: dict[str, Any], minutes: int = 10, **kwargs: Any) -> list[dict[str, Any]]:
    out = sim.client("cloudwatch").get_metric_data(
        MetricDataQueries=list(queries),
        StartTime=START,
        EndTime=START + dt.timedelta(minutes=minutes),
        ScanBy="TimestampAscending",
        **kwargs,
    )
    assert out["Messages"] == []
    return list(out["MetricDataResults"])


def values(result: dict[str, Any]) -> dict[float, float]:
    """``{minute: value}`` of a result."""
    return {
        (t - START).total_seconds() / MINUTE: v for t, v in zip(result["Timestamps"], result["Values"], strict=True)
    }


def one(sim: ls.Simulation, expression: str, *inputs: dict[str, Any], **kwargs: Any) -> dict[float, float]:
    """The values of one expression over the run's inputs (hidden)."""
    (result,) = query(sim, {"Id": "e", "Expression": expression}, *(inputs or INPUTS), **kwargs)
    return values(result)


def refused(sim: ls.Simulation, *queries: dict[str, Any]) -> tuple[str, str, int]:
    with pytest.raises(ls.ClientError) as err:
        query(sim, *queries)
    error = err.value.response["Error"]
    return error["Code"], error["Message"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


# -- the worked run ------------------------------------------------------------------------------------------------


def test_the_inputs_are_the_worked_example(sim: ls.Simulation) -> None:
    visible = [{**q, "ReturnData": True} for q in INPUTS]
    errors, invocations, throttles = (values(r) for r in query(sim, *visible))
    assert errors == {0: 1.0, 1: 3.0, 3: 0.0}
    assert invocations == {0: 2.0, 1: 4.0, 3: 1.0}
    assert throttles == {1: 6.0}


def test_error_rate_per_minute_from_the_metric_stat_values(sim: ls.Simulation) -> None:
    visible = [{**q, "ReturnData": True} for q in INPUTS[:2]]
    rate, errors, invocations = query(sim, {"Id": "rate", "Expression": "100 * errors / invocations"}, *visible)
    by_hand = {m: 100 * values(errors)[m] / values(invocations)[m] for m in values(invocations)}
    assert values(rate) == by_hand == {0: 50.0, 1: 75.0, 3: 0.0}
    assert rate["Id"] == "rate" and rate["Label"] == "rate" and rate["StatusCode"] == "Complete"
    assert "Messages" not in rate
    assert [p.tzinfo is not None for p in rate["Timestamps"]] == [True] * 3


def test_a_missing_value_counts_as_0_and_division_by_zero_drops_the_point(sim: ls.Simulation) -> None:
    # Throttles has no value in minutes 0 and 3: treated as 0, as AWS documents for arithmetic.
    assert one(sim, "100 * throttles / (invocations + throttles)") == {0: 0.0, 1: 60.0, 3: 0.0}
    assert one(sim, "throttles + invocations") == {0: 2.0, 1: 10.0, 3: 1.0}
    (result,) = query(sim, {"Id": "e", "Expression": "errors / throttles"}, *INPUTS)
    assert values(result) == {1: 0.5}  # minutes 0 and 3 divide by zero: dropped
    assert result["Messages"] == [ARITHMETIC_ERROR]
    assert ARITHMETIC_ERROR == {
        "Code": "ArithmeticError",
        "Value": "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)",
    }


def test_expressions_come_in_any_order_and_hidden_ones_feed_others(sim: ls.Simulation) -> None:
    results = query(
        sim,
        {"Id": "percent", "Expression": "ratio * 100", "Label": "Error rate (%)"},
        {"Id": "ratio", "Expression": "errors / invocations", "ReturnData": False},
        {"Id": "load", "Expression": "invocations + throttles"},
        *INPUTS,
    )
    assert [(r["Id"], r["Label"]) for r in results] == [("percent", "Error rate (%)"), ("load", "load")]
    assert values(results[0]) == {0: 50.0, 1: 75.0, 3: 0.0}
    assert values(results[1]) == {0: 2.0, 1: 10.0, 3: 1.0}


def test_expression_results_follow_scan_by(sim: ls.Simulation) -> None:
    out = sim.client("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "e", "Expression": "errors * 2"}, *INPUTS],
        StartTime=START,
        EndTime=START + dt.timedelta(minutes=10),
    )
    (result,) = out["MetricDataResults"]
    assert result["Timestamps"] == [START + dt.timedelta(minutes=m) for m in (3, 1, 0)]  # newest first
    assert result["Values"] == [0.0, 6.0, 2.0]


def test_the_window_selects_the_inputs(sim: ls.Simulation) -> None:
    out = sim.client("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "e", "Expression": "FILL(errors, 0) + 1"}, *INPUTS],
        StartTime=START + dt.timedelta(minutes=1),
        EndTime=START + dt.timedelta(minutes=3),
        ScanBy="TimestampAscending",
    )
    assert values(out["MetricDataResults"][0]) == {1: 4.0, 2: 1.0}


def test_periods_of_expressions_follow_their_inputs(sim: ls.Simulation) -> None:
    five = [
        {"Id": "errors", "MetricStat": stat("Errors", period=300), "ReturnData": False},
        {"Id": "invocations", "MetricStat": stat("Invocations", period=300), "ReturnData": False},
    ]
    assert one(sim, "100 * errors / invocations", *five) == {0: pytest.approx(100 * 4 / 7)}
    assert one(sim, "invocations / PERIOD(invocations)", *five) == {0: 7 / 300}
    assert one(sim, "invocations * 0 + PERIOD(invocations)") == {0: 60.0, 1: 60.0, 3: 60.0}
    (result,) = query(sim, {"Id": "e", "Expression": "errors + 1", "Period": 300}, *five)
    assert values(result) == {0: 5.0}
    code, message, _ = refused(sim, {"Id": "e", "Expression": "errors + 1", "Period": 60}, *five)
    assert code == "ValidationError" and "period of 300 s" in message


# -- functions through the client ------------------------------------------------------------------------------------


def test_aggregates_of_one_series_are_scalars(sim: ls.Simulation) -> None:
    assert one(sim, "invocations - AVG(invocations)") == {0: 2 - 7 / 3, 1: 4 - 7 / 3, 3: 1 - 7 / 3}
    assert one(sim, "invocations / SUM(invocations) * 100") == {0: 2 / 7 * 100, 1: 4 / 7 * 100, 3: 1 / 7 * 100}
    assert one(sim, "MAX(invocations) - invocations + MIN(invocations)") == {0: 3.0, 1: 1.0, 3: 4.0}


def test_aggregates_of_an_array_are_series_point_by_point(sim: ls.Simulation) -> None:
    assert one(sim, "SUM(METRICS())") == {0: 3.0, 1: 13.0, 3: 1.0}
    assert one(sim, "SUM([errors, throttles])") == {0: 1.0, 1: 9.0, 3: 0.0}
    # Missing values count as 0 across an array too.
    assert one(sim, "AVG([invocations, throttles])") == {0: 1.0, 1: 5.0, 3: 0.5}
    assert one(sim, "MIN([invocations, throttles])") == {0: 0.0, 1: 4.0, 3: 0.0}
    assert one(sim, "MAX(METRICS())") == {0: 2.0, 1: 6.0, 3: 1.0}
    assert one(sim, 'SUM(METRICS("t"))') == {0: 2.0, 1: 10.0, 3: 1.0}  # invocations and throttles, not errors


def test_an_array_result_gives_one_result_per_series(sim: ls.Simulation) -> None:
    results = query(sim, {"Id": "e", "Expression": 'METRICS("tions") * 10', "Label": "x10"}, *INPUTS)
    assert [(r["Id"], r["Label"]) for r in results] == [("e", "x10 Invocations")]
    assert values(results[0]) == {0: 20.0, 1: 40.0, 3: 10.0}
    unlabelled = query(sim, {"Id": "e", "Expression": "FILL(METRICS(), 0)"}, *INPUTS)
    assert [r["Label"] for r in unlabelled] == ["Errors", "Invocations", "Throttles"]
    assert values(unlabelled[2]) == {0: 0.0, 1: 6.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0}
    (empty,) = query(sim, {"Id": "e", "Expression": 'METRICS("nothing")'}, *INPUTS)
    assert (empty["Label"], empty["Values"]) == ("e", [])


def test_fill_fills_every_period_of_the_window_up_to_now(sim: ls.Simulation) -> None:
    # The run is at 300 s: minutes 0 to 5 have begun, 6 to 9 have not.
    assert one(sim, "FILL(throttles, 0)") == {0: 0.0, 1: 6.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0}
    assert one(sim, "FILL(errors, REPEAT)") == {0: 1.0, 1: 3.0, 2: 3.0, 3: 0.0, 4: 0.0, 5: 0.0}
    assert one(sim, "FILL(errors, LINEAR)") == {0: 1.0, 1: 3.0, 2: 1.5, 3: 0.0}
    assert one(sim, "FILL(throttles, MAX(invocations))") == {0: 4.0, 1: 6.0, 2: 4.0, 3: 4.0, 4: 4.0, 5: 4.0}
    assert one(sim, "FILL(throttles, invocations)") == {0: 2.0, 1: 6.0, 3: 1.0}
    assert one(sim, "FILL(errors, 0) / FILL(invocations, 1)") == {m: v for m, v in enumerate([0.5, 0.75, 0, 0, 0, 0])}


def test_if_comparisons_and_logic(sim: ls.Simulation) -> None:
    assert one(sim, "IF(throttles > 0, 1, 0)") == {1: 1.0}
    assert one(sim, "IF(FILL(throttles, 0) > 0, 100, 0) + 0 * invocations") == {m: 100.0 * (m == 1) for m in range(6)}
    assert one(sim, "IF(errors / invocations >= 0.5, invocations)") == {0: 2.0, 1: 4.0}
    assert one(sim, "errors >= 1 AND invocations > 2") == {0: 0.0, 1: 1.0, 3: 0.0}
    assert one(sim, "errors == 0 || throttles != 0") == {0: 0.0, 1: 1.0, 3: 1.0}
    assert one(sim, "IF(1, invocations, errors)") == {0: 2.0, 1: 4.0, 3: 1.0}
    assert one(sim, "IF(0, invocations)") == {}


def test_rate_diff_and_the_other_point_functions(sim: ls.Simulation) -> None:
    assert one(sim, "DIFF(invocations)") == {1: 2.0, 3: -3.0}
    assert one(sim, "DIFF_TIME(invocations)") == {1: 60.0, 3: 120.0}
    assert one(sim, "RATE(invocations)") == {1: 2 / 60, 3: -3 / 120}
    assert one(sim, "RUNNING_SUM(errors)") == {0: 1.0, 1: 4.0, 3: 4.0}
    assert one(sim, "ABS(errors - invocations)") == {0: 1.0, 1: 1.0, 3: 1.0}
    assert one(sim, "CEIL(invocations / 3) + FLOOR(invocations / 3) * 10") == {0: 1.0, 1: 12.0, 3: 1.0}
    assert one(sim, "LOG10(invocations * 25)") == {0: math.log10(50), 1: 2.0, 3: math.log10(25)}
    assert one(sim, "LOG(invocations)") == {0: math.log(2), 1: math.log(4), 3: 0.0}
    assert one(sim, "DATAPOINT_COUNT(METRICS())") == {0: 2.0, 1: 3.0, 3: 2.0}
    assert one(sim, "invocations * 0 + DATAPOINT_COUNT(throttles) + METRIC_COUNT(METRICS())") == {
        0: 4.0,
        1: 4.0,
        3: 4.0,
    }


def test_unary_minus_powers_and_precedence(sim: ls.Simulation) -> None:
    assert one(sim, "-invocations") == {0: -2.0, 1: -4.0, 3: -1.0}
    assert one(sim, "invocations ^ 2 - 1") == {0: 3.0, 1: 15.0, 3: 0.0}
    assert one(sim, "2 + 3 * invocations ^ 2 / 4") == {0: 5.0, 1: 14.0, 3: 2.75}
    assert one(sim, "(2 + 3) * -invocations") == {0: -10.0, 1: -20.0, 3: -5.0}
    assert one(sim, "1e2 * errors / invocations") == {0: 50.0, 1: 75.0, 3: 0.0}


# -- errors -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("errors / nope", "Error in expression e: no query has the Id nope"),
        ("100 * (errors / invocations", "Error in expression e: expected ')' at position 28"),
        ("errors +", "Error in expression e: unexpected end of the expression at position 9"),
        ("errors $ 2", "Error in expression e: unexpected character '$' at position 8"),
        ("sum(errors)", "Error in expression e: functions are written in uppercase: SUM, not sum"),
        (
            "SORT(METRICS(), SUM, DESC)",
            "Error in expression e: lambdasim does not evaluate the metric math function SORT",
        ),
        ("SEARCH('{AWS/Lambda} Errors', 'Sum')", "Error in expression e: lambdasim does not evaluate the metric math"),
        ("MEDIAN(errors)", "Error in expression e: unknown function MEDIAN"),
        ("MAX(errors)", "Error in expression e: the result must be a time series or an array of time series"),
        ("PERIOD(errors)", "Error in expression e: the result must be a time series"),
        ("errors * PERIOD(e)", "Error in expression e: circular reference: e -> e"),
        ("FILL(errors)", "Error in expression e: FILL takes 2 arguments, got 1"),
        ("REPEAT", "Error in expression e: REPEAT can only be the second argument of FILL"),
        ('"errors"', 'Error in expression e: a string ("errors") can only be the argument of METRICS'),
        ("METRICS() + METRICS()", "Error in expression e: + cannot combine two arrays of time series"),
        ('SELECT SUM(Invocations) FROM "AWS/Lambda"', "lambdasim does not run Metrics Insights queries"),
    ],
)
def test_invalid_expressions_are_validation_errors(sim: ls.Simulation, expression: str, message: str) -> None:
    code, text, status = refused(sim, {"Id": "e", "Expression": expression}, *INPUTS)
    assert (code, status) == ("ValidationError", 400)
    assert text.startswith(message) if message.startswith("Error") else message in text


def test_cycles_between_expressions_are_refused(sim: ls.Simulation) -> None:
    code, message, _ = refused(
        sim,
        {"Id": "a", "Expression": "b + errors"},
        {"Id": "b", "Expression": "c * 2"},
        {"Id": "c", "Expression": "a - 1"},
        *INPUTS,
    )
    assert (code, message) == ("ValidationError", "Error in expression a: circular reference: a -> b -> c -> a")


def test_periods_are_not_mixed(sim: ls.Simulation) -> None:
    code, message, _ = refused(
        sim,
        {"Id": "e", "Expression": "errors / hourly"},
        {"Id": "hourly", "MetricStat": stat("Invocations", period=3600)},
        *INPUTS,
    )
    assert code == "ValidationError"
    assert message == "Error in expression e: lambdasim does not combine time series of different periods (60, 3600 s)"


def test_query_shape_errors(sim: ls.Simulation) -> None:
    both = {"Id": "e", "Expression": "errors", "MetricStat": stat("Errors")}
    assert refused(sim, both, *INPUTS) == (
        "ValidationError",
        "The parameters MetricDataQueries.member.1.MetricStat and MetricDataQueries.member.1.Expression are "
        "mutually exclusive.",
        400,
    )
    long = "errors" + " + 1" * 511  # 2050 characters
    code, message, _ = refused(sim, {"Id": "e", "Expression": long}, *INPUTS)
    assert code == "ValidationError"
    assert message == (
        f"1 validation error detected: Value '{long}' at 'metricDataQueries.1.member.expression' failed to satisfy "
        "constraint: Member must have length less than or equal to 2048"
    )
    assert one(sim, "errors" + " + 0" * 510) == {0: 1.0, 1: 3.0, 3: 0.0}  # 2046 characters: accepted
    with pytest.raises(ls.ParamValidationError) as err:
        query(sim, *INPUTS, {"Id": "e", "Expression": ""}, {"Id": "f", "Expression": 5})
    assert str(err.value).endswith(
        "Invalid length for parameter MetricDataQueries[3].Expression, value: 0, valid min length: 1\n"
        "Invalid type for parameter MetricDataQueries[4].Expression, value: 5, type: <class 'int'>, "
        "valid types: <class 'str'>"
    )


# -- without expressions, nothing changed -----------------------------------------------------------------------------


def test_metric_stat_queries_alone_answer_as_get_metric_statistics(sim: ls.Simulation) -> None:
    cw = sim.client("cloudwatch")
    out = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "inv", "MetricStat": stat("Invocations")},
            {"Id": "hidden", "MetricStat": stat("Errors"), "ReturnData": False},
            {"Id": "thr", "MetricStat": stat("Throttles", "Maximum", period=120), "Label": "worst"},
        ],
        StartTime=START,
        EndTime=START + dt.timedelta(hours=1),
    )
    assert set(out) == {"MetricDataResults", "Messages", "ResponseMetadata"} and out["Messages"] == []
    inv, thr = out["MetricDataResults"]
    assert [set(r) for r in (inv, thr)] == [{"Id", "Label", "Timestamps", "Values", "StatusCode"}] * 2
    for result, metric, statistic, period in ((inv, "Invocations", "Sum", 60), (thr, "Throttles", "Maximum", 120)):
        points = cw.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": "api"}],
            StartTime=START,
            EndTime=START + dt.timedelta(hours=1),
            Period=period,
            Statistics=[statistic],
        )["Datapoints"]
        assert list(zip(result["Timestamps"], result["Values"], strict=True)) == [
            (p["Timestamp"], p[statistic]) for p in reversed(points)
        ]
    assert (inv["Label"], thr["Label"]) == ("Invocations", "worst")


# -- the evaluator alone, on AWS's own examples ---------------------------------------------------------------------


def series(*points: float | None, period: int = 60, label: str = "", metric_id: str | None = None) -> Series:
    """A series with one point per minute from 0 (``None``: no value)."""
    return Series({i * 60.0: v for i, v in enumerate(points) if v is not None}, period, label, metric_id)


def listed(s: Series | SeriesArray, n: int) -> list[float | None]:
    assert isinstance(s, Series)
    return [s.points.get(i * 60.0) for i in range(n)]


def no_grid(period: int) -> list[float]:
    return []


def test_the_comparison_examples_of_the_guide() -> None:
    # "metric1 has values of [30, 20, 0, 0] and metric2 has values of [20, -, 20, -]".
    metrics = {"metric1": series(30, 20, 0, 0), "metric2": series(20, None, 20, None)}
    out = evaluate(
        {"a": "(metric1 < metric2)", "b": "(metric1 >= 30)", "c": "(metric1 > 15 AND metric2 > 15)"}, metrics, no_grid
    )
    assert [listed(out[k].value, 4) for k in "abc"] == [[0, 0, 1, 0], [1, 0, 0, 0], [1, 0, 0, 0]]


def test_the_if_examples_of_the_guide() -> None:
    metrics = {
        "metric1": series(1, 1, 0, 0, None),
        "metric2": series(30, None, 0, 0, 30),
        "metric3": series(0, 0, 20, None, 20),
    }
    out = evaluate(
        {
            "a": "IF(metric1, metric2, metric3)",
            "b": "IF(metric1, 5, metric3)",
            "c": "IF(metric1, metric2, 5)",
            "d": "IF(metric1, metric2)",
        },
        metrics,
        no_grid,
    )
    assert listed(out["a"].value, 5) == [30, 0, 20, None, None]
    assert listed(out["b"].value, 5) == [5, 5, 20, None, None]
    assert listed(out["c"].value, 5) == [30, 0, 5, 5, None]
    assert listed(out["d"].value, 5) == [30, 0, None, None, None]


def test_fill_repeat_and_linear_leave_the_edges_they_cannot_fill() -> None:
    m = series(None, 2, None, None, 8, None)

    def grid(period: int) -> list[float]:
        return [i * 60.0 for i in range(6)]

    out = evaluate({"r": "FILL(m, REPEAT)", "l": "FILL(m, LINEAR)", "z": "FILL(m, -1)"}, {"m": m}, grid)
    assert listed(out["r"].value, 6) == [None, 2, 2, 2, 8, 8]
    assert listed(out["l"].value, 6) == [None, 2, 4, 6, 8, None]
    assert listed(out["z"].value, 6) == [-1, 2, -1, -1, 8, -1]


def test_arrays_broadcast_and_keep_their_labels() -> None:
    metrics = {"m1": series(1, 2, label="A", metric_id="m1"), "m2": series(3, None, label="B", metric_id="m2")}
    out = evaluate({"e": "100 / [m1, m2] + m1", "n": "SUM(-[m1, m2])"}, metrics, no_grid)
    value = out["e"].value
    assert isinstance(value, SeriesArray)
    # 100 / m2 has m2's points only; adding m1 counts m2's missing minute as 0.
    assert [(s.label, listed(s, 2)) for s in value.members] == [("A", [101, 52]), ("B", [100 / 3 + 1, 2])]
    assert listed(out["n"].value, 2) == [-4, -2]
    assert not out["e"].dropped
    deep = evaluate({"d": "-" * 3000 + "m1", "chain": "m1" + " + 1" * 3000}, metrics, no_grid)
    assert (listed(deep["d"].value, 2), listed(deep["chain"].value, 2)) == ([1, 2], [3001, 3002])
    with pytest.raises(MetricMathError, match=r"^Error in expression p: lambdasim does not evaluate expressions nest"):
        evaluate({"p": "(" * 1000 + "m1" + ")" * 1000}, metrics, no_grid)


def test_non_numbers_are_dropped_and_flagged() -> None:
    metrics = {"m": series(-1, 0, 4)}
    out = evaluate({"log": "LOG(m)", "root": "m ^ 0.5", "ok": "m ^ 2", "big": "m * 1e308 * 10"}, metrics, no_grid)
    assert (listed(out["log"].value, 3), out["log"].dropped) == ([None, None, math.log(4)], True)
    assert (listed(out["root"].value, 3), out["root"].dropped) == ([None, 0.0, 2.0], True)
    assert (listed(out["ok"].value, 3), out["ok"].dropped) == ([1, 0, 16], False)
    assert listed(out["big"].value, 3) == [None, 0.0, None]


def test_parse_follows_the_usual_precedence() -> None:
    assert parse("-2^2") == parse("-(2^2)")
    assert parse("2^3^2") == parse("2^(3^2)")
    assert parse("a + b * c") == parse("a + (b * c)")
    assert parse("a < b AND c OR d") == parse("((a < b) AND c) OR d")
    with pytest.raises(MetricMathError, match="is not an Id"):
        parse("Errors / 2")
