"""Hostile templates: whatever a template file holds, reading it ends in a Model or a TemplateError (a ValueError
naming the place), never another exception, a hang or a crash. Derandomized as tests/test_hostile_properties.py is
(LAMBDASIM_EXPLORE=1 draws fresh examples)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.planning.template import TemplateError, TemplateWarning, from_template, read_template

from .test_hostile_properties import HOSTILE, time_bound

pytest.importorskip("yaml")
pytest.importorskip("samtranslator")

INTRINSICS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::Split", "Fn::FindInMap",
              "Fn::Equals", "Fn::Not", "Fn::ImportValue", "Fn::Nope", "Condition", "Fn::Base64",
              "Fn::GetAZs"]  # fmt: skip
NAMES = ["F", "Q", "T", "P", "C", "AWS::NoValue", "AWS::Region", "F.Arn", "Q.Arn", "${F}", "${Q.Arn}-x", "", "0"]
TYPES = ["AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket", "AWS::Events::Rule",
         "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Alias", "AWS::Lambda::Version",
         "AWS::Lambda::EventInvokeConfig", "AWS::SNS::Subscription", "AWS::Serverless::Function",
         "AWS::X::Y"]  # fmt: skip
PROPERTIES = ["Timeout", "MemorySize", "FunctionName", "QueueName", "RedrivePolicy", "EventSourceArn",
              "VisibilityTimeout", "Targets", "ScheduleExpression", "TopicArn", "Endpoint", "Protocol", "Name",
              "FunctionVersion", "DestinationConfig", "NotificationConfiguration", "Architectures"]  # fmt: skip

scalars = st.one_of(st.sampled_from(NAMES), st.integers(-5, 2000), st.booleans(), st.none(), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([*INTRINSICS, *PROPERTIES]), inner, max_size=2),
    ),
    max_leaves=12,
)
resources = st.dictionaries(
    st.sampled_from(["F", "Q", "T", "P"]),
    st.fixed_dictionaries(
        {"Type": st.sampled_from(TYPES)},
        optional={
            "Properties": st.dictionaries(st.sampled_from(PROPERTIES), values, max_size=4),
            "Condition": st.just("C"),
        },
    ),
    min_size=1,
    max_size=4,
)
templates = st.fixed_dictionaries(
    {
        "Resources": resources,
        "Conditions": st.fixed_dictionaries({"C": st.one_of(st.just({"Fn::Equals": ["a", "a"]}), values)}),
    },
    optional={
        "Parameters": st.just({"P": {"Type": "String", "Default": "x"}}),
        "Transform": st.just("AWS::Serverless-2016-10-31"),
        "Mappings": st.just({"M": {"a": {"b": 1}}}),
    },
)


def _read(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        with time_bound():
            try:
                # Functions without a behaviour get an empty one, so that the model is built as far as it goes.
                read_template(text, require_behaviours=False)
            except TemplateError as exc:
                assert str(exc).startswith("<template>"), exc


@HOSTILE
@given(templates)
def test_any_template_ends_in_a_model_or_a_template_error(template: dict[str, Any]) -> None:
    _read(json.dumps(template))


@HOSTILE
@given(st.text(max_size=300))
def test_any_text_ends_in_a_model_or_a_template_error(text: str) -> None:
    _read("Resources:\n" + text if not text.startswith("{") else text)


def test_a_template_with_every_function_given_a_behaviour_runs() -> None:
    text = "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties: {Timeout: 5}\n"
    assert from_template(text, behaviours={"F": ls.Behaviour()}).function("F").timeout_s == 5
