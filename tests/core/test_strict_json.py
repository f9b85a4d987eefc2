"""Standard JSON only: NaN and Infinity never reach InputContent."""

from __future__ import annotations

import math

import pytest

from constructs_a2i.core import strict_json
from constructs_a2i.core.json_log import format_log_line


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_loads_refuses_non_standard_constants(text: str) -> None:
    with pytest.raises(ValueError, match="is not a JSON value"):
        strict_json.loads(text)


@pytest.mark.parametrize("text", ["1e999", "[-1e400]", '{"a": ' + "9" * 400 + "}"])
def test_loads_refuses_numbers_a_browser_reads_as_infinity(text: str) -> None:
    with pytest.raises(ValueError, match="beyond a double's range"):
        strict_json.loads(text)


def test_loads_keeps_large_but_finite_numbers() -> None:
    assert strict_json.loads("[1.7e308, 12345678901234567890]") == [1.7e308, 12345678901234567890]


def test_compact_refuses_nan_and_keeps_unicode() -> None:
    assert strict_json.compact({"a": "é", "b": [1, 2]}) == '{"a":"é","b":[1,2]}'
    with pytest.raises(ValueError):
        strict_json.compact({"a": math.inf})


def test_log_line_is_one_json_object() -> None:
    line = format_log_line("INFO", "done", count=2, when=object)
    assert "\n" not in line and line.startswith('{"level": "INFO", "message": "done", "count": 2')
