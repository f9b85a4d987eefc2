"""Loop names: always valid, deterministic, distinct per identity and per flow definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.loop_names import (
    HASH_LENGTH,
    check_loop_name_prefix,
    content_loop_name,
    id_loop_name,
    loop_name,
    s3_object_loop_name,
)
from constructs_a2i.core.names import NAME_PATTERN

FLOW = "arn:aws:sagemaker:us-east-1:111111111111:flow-definition/review"


@given(
    prefix=st.from_regex(r"[a-z0-9](-?[a-z0-9]){0,9}", fullmatch=True) | st.just(""),
    readable=st.text(max_size=300),
    digest=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
)
def test_loop_names_are_always_valid_and_keep_the_hash(
    prefix: str, readable: str, digest: str
) -> None:
    name = loop_name(prefix, readable, digest)
    assert NAME_PATTERN.match(name), name
    assert 1 <= len(name) <= 63
    assert name.endswith(digest[:HASH_LENGTH])
    assert name.startswith(prefix)
    assert loop_name(prefix, readable, digest) == name  # deterministic


@given(prefix=st.text(max_size=40), readable=st.text(max_size=100))
def test_loop_names_are_valid_even_for_unchecked_prefixes(prefix: str, readable: str) -> None:
    name = loop_name(prefix, readable, "0123456789abcdef" * 4)
    assert NAME_PATTERN.match(name) and len(name) <= 63


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
def test_distinct_identities_get_distinct_names(first: str, second: str) -> None:
    assert (id_loop_name(FLOW, first, "p") == id_loop_name(FLOW, second, "p")) == (first == second)


def test_same_id_on_two_flow_definitions_gets_two_names() -> None:
    other = FLOW.replace("review", "other")
    assert id_loop_name(FLOW, "42") != id_loop_name(other, "42")


def test_readable_part_is_cleaned_and_cut() -> None:
    name = loop_name("claims", "Invoice #42 / ÉTÉ__2024.PDF", "ab" * 32)
    assert name == "claims-invoice-42-t-2024-pdf-" + "ab" * 10
    long = loop_name("claims", "x" * 500, "cd" * 32)
    assert len(long) == 63 and long.endswith("cd" * 10)


def test_names_are_stable_across_releases() -> None:
    # Loop names are the idempotency key: a new release that named the same input differently
    # would start a second loop for every message redelivered across the upgrade. (Values
    # computed by release 0.1.0's starter Lambda.)
    assert id_loop_name(FLOW, "order-42", "claims") == "claims-order-42-a4c317e30dc81d3b4af1"
    assert content_loop_name(FLOW, {"b": 1, "a": [True, None]}) == "cc50313cd0e7013282bf"
    assert (
        s3_object_loop_name(FLOW, "inputs", "in/scan 1.png", '"etag"')
        == "scan-1-png-15315fd1effd0adfa9a6"
    )


def test_content_names_ignore_key_order_and_whitespace() -> None:
    assert content_loop_name(FLOW, {"a": 1, "b": 2}) == content_loop_name(FLOW, {"b": 2, "a": 1})
    assert content_loop_name(FLOW, {"a": 1}) != content_loop_name(FLOW, {"a": 2})


@pytest.mark.parametrize("prefix", ["claims", "a", "a-b", "x" * 20, ""])
def test_valid_prefixes(prefix: str) -> None:
    assert check_loop_name_prefix("prefix", prefix) == prefix


@pytest.mark.parametrize("prefix", ["Claims", "-a", "a-", "x" * 21, "a_b", "é"])
def test_invalid_prefixes_name_the_property(prefix: str) -> None:
    with pytest.raises(A2IValidationError, match=r"^loop_name_prefix must be 1-20"):
        check_loop_name_prefix("loop_name_prefix", prefix)
