"""``lambdasim.aws.arn.parse_function_name``: every form Lambda accepts, remembered or not, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from lambdasim.aws import arn
from lambdasim.aws.arn import FunctionRef, parse_function_name

ACCOUNT = "123456789012"
CASES = [
    ("orders", FunctionRef("orders")),
    ("orders:live", FunctionRef("orders", "live")),
    ("orders:$LATEST", FunctionRef("orders", "$LATEST")),
    (f"{ACCOUNT}:function:orders", FunctionRef("orders", None, ACCOUNT)),
    (f"{ACCOUNT}:orders:7", FunctionRef("orders", "7", ACCOUNT)),
    (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders", FunctionRef("orders", None, ACCOUNT, "eu-west-1")),
    (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders:live", FunctionRef("orders", "live", ACCOUNT, "eu-west-1")),
    ("orders:", None),
    ("", None),
    ("a b", None),
    ("x" * 300, FunctionRef("x" * 300)),  # longer than any valid name: parsed each time, not remembered
    ("x" * 300 + ":", None),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_every_form_parses_alike_the_first_time_and_when_remembered(value: str, expected: FunctionRef | None) -> None:
    assert parse_function_name(value) == expected
    assert parse_function_name(value) == expected  # again: from the cache when short
    assert arn._parse(value) == expected  # the rule itself


def test_only_short_names_are_remembered() -> None:
    arn._parse_remembered.cache_clear()
    parse_function_name("orders")
    parse_function_name("y" * (arn._REMEMBERED_MAX + 1))
    assert arn._parse_remembered.cache_info().currsize == 1


@pytest.mark.parametrize("value", [7, None, ["orders"], b"orders"])
def test_what_is_not_a_string_fails_as_the_regular_expressions_fail(value: Any) -> None:
    with pytest.raises(TypeError) as remembered:
        parse_function_name(value)
    with pytest.raises(TypeError) as plain:
        arn._parse(value)
    assert str(remembered.value) == str(plain.value)
