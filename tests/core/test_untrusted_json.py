"""JSON from outside: bounded nesting on the way in, SQS- and UTF-8-safe text on the way out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_a2i.core import strict_json, untrusted_json
from constructs_a2i.core.output_json import OutputDocumentError, human_answers, parse_output


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    "text", [nested(50_000), nested(50_000).encode(), '{"a":' + nested(201) + "}"]
)
def test_loads_refuses_deep_documents_without_recursion_error(text: str | bytes) -> None:
    with pytest.raises(untrusted_json.JsonTooDeepError, match="deeper than 200 levels"):
        untrusted_json.loads(text)


def test_loads_accepts_the_limit_and_counts_brackets_in_strings_harmlessly() -> None:
    assert untrusted_json.nesting_depth(untrusted_json.loads(nested(200))) == 200
    assert untrusted_json.loads(json.dumps({"text": "[" * 5000})) == {"text": "[" * 5000}
    with pytest.raises(untrusted_json.JsonTooDeepError):
        untrusted_json.loads(nested(3), limit=2)


def test_loads_with_a_strict_parser_still_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN is not a JSON value"):
        untrusted_json.loads('{"a": NaN}', parse=strict_json.loads)
    with pytest.raises(untrusted_json.JsonTooDeepError):
        untrusted_json.loads(nested(10_000), parse=strict_json.loads)


def test_nesting_depth() -> None:
    assert untrusted_json.nesting_depth("x") == 0
    assert untrusted_json.nesting_depth({}) == 1
    assert untrusted_json.nesting_depth({"a": [1, {"b": []}], "c": 2}) == 4
    assert untrusted_json.nesting_depth(json.loads(nested(900)), stop_above=10) == 11


def test_dumps_escapes_what_sqs_and_utf8_refuse_and_nothing_else() -> None:
    value = {"lone": "\ud800", "nc": "\ufffe\uffff", "kept": "é 😀 \x7f\t", "ctl": "\x01"}
    text = untrusted_json.dumps(value, separators=(",", ":"))
    text.encode("utf-8")  # encodable
    assert "\\ud800" in text and "\\ufffe" in text and "\\uffff" in text and "\\u0001" in text
    assert "é 😀 \x7f" in text
    assert json.loads(text) == value


@given(st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner, max_size=3)))
def test_dumps_round_trips_any_text(value: Any) -> None:
    text = untrusted_json.dumps(value)
    text.encode("utf-8")
    assert json.loads(text) == value


def test_parse_output_says_why_a_document_cannot_be_read() -> None:
    uri = "s3://bucket/flow/output.json"
    assert parse_output(b'{"humanAnswers": []}', uri) == {"humanAnswers": []}
    for body, reason in [
        (b"<html>", f"{uri} is not JSON"),
        (b"\xff\xfe\x00", f"{uri} is not JSON"),
        (b"[1]", f"{uri} is not an A2I output document"),
        (b'{"humanAnswers": ' + nested(50_000).encode() + b"}", f"{uri} is nested deeper than"),
    ]:
        with pytest.raises(OutputDocumentError, match=reason.replace(".", r"\.")):
            parse_output(body, uri)
    assert human_answers({"humanAnswers": {"not": "a list"}}) == []
    assert human_answers({"humanAnswers": [{"a": 1}]}) == [{"a": 1}]
