"""Invokes checked once per request shape: the remembered checks refuse and answer exactly as the full ones.

The Lambda client remembers the outcome of botocore's and Lambda's checks per (FunctionName, InvocationType,
Qualifier, LogType) and parses plain payloads with json's scanner; here every refusal and every parsed payload is
compared with what the full path gives (a fresh client, or json.loads).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.aws.errors import ClientError, ParamValidationError
from lambdasim.aws.lambda_.invoke import _parse


def fresh() -> tuple[ls.Simulation, Any]:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.1))
    lam.publish_version(FunctionName="f")
    lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    return sim, lam


def outcome(lam: Any, **params: Any) -> Any:
    try:
        response = lam.invoke(**params)
    except (ClientError, ParamValidationError) as exc:
        if isinstance(exc, ClientError):
            return ("ClientError", exc.response["Error"], exc.response.get("Message"), exc.response.get("message"))
        return ("ParamValidationError", str(exc))
    return ("ok", response["StatusCode"])


BAD_AFTER_GOOD = [
    {"FunctionName": "f", "InvocationType": "Event", "Qualifier": None},  # None is a type error, not "absent"
    {"FunctionName": "f", "InvocationType": "Event", "Payload": None},
    {"FunctionName": "f", "InvocationType": "Event", "Payload": b"{not json"},
    {"FunctionName": "f", "InvocationType": "Event", "Payload": b"x" * (256 * 1024 + 1)},
    {"FunctionName": "f", "InvocationType": "Event", "Payload": b'{"a": 1} x'},
    {"FunctionName": "f", "InvocationType": "Event", "Payload": ["not", "a", "blob"]},
    {"FunctionName": "f", "InvocationType": "Event", "Qualifier": "nope"},
    {"FunctionName": "f", "InvocationType": "Event", "Bogus": 1},
    {"FunctionName": ["f"], "InvocationType": "Event"},
    {"FunctionName": "f:live", "InvocationType": "Event", "Qualifier": "1"},
]


@pytest.mark.parametrize("bad", BAD_AFTER_GOOD, ids=range(len(BAD_AFTER_GOOD)))
def test_a_bad_invoke_after_good_ones_is_refused_as_by_a_fresh_client(bad: dict[str, Any]) -> None:
    _, warm = fresh()
    for good in (
        {"FunctionName": "f", "InvocationType": "Event", "Payload": b"{}"},
        {"FunctionName": "f", "InvocationType": "Event"},
        {"FunctionName": "f:live", "InvocationType": "Event", "Payload": "{}"},
    ):
        assert outcome(warm, **good) == ("ok", 202)
    _, cold = fresh()
    expected = outcome(cold, **bad)
    assert expected[0] != "ok"
    got = outcome(warm, **bad)
    # Request ids differ (the warm client has answered before); everything else is the same.
    for answer in (expected, got):
        if answer[0] == "ClientError":
            answer[1].pop("RequestId", None)
    assert got == expected


def test_a_remembered_invoke_of_a_deleted_function_or_alias_is_not_found() -> None:
    sim, lam = fresh()
    assert outcome(lam, FunctionName="f", Qualifier="live", InvocationType="Event")[0] == "ok"
    lam.delete_alias(FunctionName="f", Name="live")
    assert outcome(lam, FunctionName="f", Qualifier="live", InvocationType="Event")[1]["Code"] == (
        "ResourceNotFoundException"
    )
    lam.delete_function(FunctionName="f")
    assert outcome(lam, FunctionName="f", InvocationType="Event")[1]["Code"] == "ResourceNotFoundException"
    lam.create_function(FunctionName="f", Handler=ls.Behaviour(duration=0.1))
    assert outcome(lam, FunctionName="f", InvocationType="Event") == ("ok", 202)
    assert sim.run().functions["f"]["async_events_received"] == 1  # the new function got it


PAYLOADS = [
    b'{"d": 0.5}',
    b"[1, 2]",
    b"3",
    b'"s"',
    b"  {}",
    b"{}  \n",
    b"\t",
    b"{} x",
    b"{",
    b"nul",
    b"\xff\xfe",
    codecs.BOM_UTF8 + b'{"a": 1}',
    '{"é": "ü"}'.encode(),
    '{"a": "ü"}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-32-be"),
    b'{"a": "\xed\xa0\x80"}',  # a lone surrogate, as json.loads decodes it (surrogatepass)
    b"1",
    b"{}",
]


@pytest.mark.parametrize("raw", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payloads_parse_as_json_loads_parses_them(raw: bytes) -> None:
    try:
        expected: Any = ("ok", json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        expected = (type(exc), str(exc))
    try:
        got: Any = ("ok", _parse(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        got = (type(exc), str(exc))
    assert got == expected


@pytest.mark.parametrize("raw", PAYLOADS, ids=range(len(PAYLOADS)))
def test_a_short_payload_reaches_the_handler_as_the_full_check_gives_it(raw: bytes) -> None:
    """Invoke parses short payloads at once (_parse): the handler gets what _payload gives, or the
    invoke is refused as _payload refuses it."""
    got: list[Any] = []

    def handler(event: Any, _context: Any) -> None:
        got.append(event)

    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler=handler)
    try:
        expected: Any = ("ok", lam._payload("Invoke", raw, 256 * 1024)[0])
    except ClientError as exc:
        expected = ("ClientError", exc.response["Error"]["Code"], exc.response["Error"]["Message"])
    for _ in range(2):  # the first invoke is checked in full, the second remembered
        try:
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=raw)
            sim.run()
            answer: Any = ("ok", got.pop())
        except ClientError as exc:
            answer = ("ClientError", exc.response["Error"]["Code"], exc.response["Error"]["Message"])
        assert answer == expected
