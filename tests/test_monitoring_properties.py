"""Hostile inputs to the pure parts added for alarms and filter policies: any JSON policy either parses or is SNS's
``FilterPolicyError``, and a parsed one matches any message without raising; any evaluation range gets a state
consistent with its counts. Derandomized, as the project's other properties (``LAMBDASIM_EXPLORE=1`` draws afresh)."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdasim.aws.cloudwatch.evaluation import COMPARISONS, TREATMENTS, judge
from lambdasim.aws.sns import filter_policy

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXPLORE = os.environ.get("LAMBDASIM_EXPLORE", "").lower() in ("1", "true", "yes")
HOSTILE = settings(
    max_examples=300 if IN_CI or EXPLORE else 60,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        ["a", "b", "10.0.0.1", "10.0.0.0/8", "prefix", "numeric", "exists", "anything-but", ">", "<=", "="]
    ),
)
OPERATORS = ["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard", "$or"]
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.sampled_from(["a", "b", "c", *OPERATORS]), inner, max_size=4),
    ),
    max_leaves=20,
)


@HOSTILE
@given(policy=JSON, message=JSON, scope=st.sampled_from(filter_policy.SCOPES))
def test_any_policy_parses_or_is_sns_error_and_matching_never_raises(policy: Any, message: Any, scope: str) -> None:
    try:
        parsed = filter_policy.parse(json.dumps(policy), scope)
    except filter_policy.FilterPolicyError as exc:
        assert exc.reason
        return
    assert isinstance(filter_policy.matches(parsed, message), bool)
    attributes = {"a": {"DataType": "String", "StringValue": json.dumps(message)}}
    assert isinstance(filter_policy.matches(parsed, filter_policy.attribute_values(attributes)), bool)


POINT = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))


@HOSTILE
@given(
    values=st.lists(POINT, min_size=1, max_size=8),
    m=st.integers(1, 8),
    threshold=st.floats(-1e6, 1e6, allow_nan=False),
    comparison=st.sampled_from(list(COMPARISONS)),
    treat=st.sampled_from(TREATMENTS),
)
def test_any_evaluation_range_gets_a_state_consistent_with_its_counts(
    values: list[float | None], m: int, threshold: float, comparison: str, treat: str
) -> None:
    m = min(m, len(values))
    points = [(1767225600.0 + 60 * i, v, 0 if v is None else 1) for i, v in enumerate(values)]
    verdict = judge(
        points, threshold=threshold, comparison=comparison, datapoints_to_alarm=m, treat_missing=treat, short_form=False
    )
    test = COMPARISONS[comparison][1]
    breaching = sum(1 for v in values if v is not None and test(v, threshold))
    missing = sum(1 for v in values if v is None)
    if missing == len(values):
        expected = {"missing": "INSUFFICIENT_DATA", "ignore": None, "breaching": "ALARM", "notBreaching": "OK"}[treat]
    else:
        expected = "ALARM" if breaching + (missing if treat == "breaching" else 0) >= m else "OK"
    assert verdict.state == expected
    assert verdict.reason.endswith(".")
    quiet = judge(
        points,
        threshold=threshold,
        comparison=comparison,
        datapoints_to_alarm=m,
        treat_missing=treat,
        short_form=False,
        explain=False,
    )
    assert quiet.state == verdict.state
