"""Generated names: always valid, short enough, stable per path, distinct across paths."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_a2i.core.names import NAME_PATTERN, generated_name

# Construct paths: ids of any printable characters joined by "/".
paths = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
    min_size=1,
    max_size=8,
).map("/".join)
lengths = st.integers(min_value=10, max_value=63)


@settings(max_examples=300, deadline=None)
@given(path=paths, max_length=lengths)
def test_always_valid_and_short_enough(path: str, max_length: int) -> None:
    name = generated_name(path, max_length)
    assert NAME_PATTERN.match(name), name
    assert 1 <= len(name) <= max_length


@settings(max_examples=200, deadline=None)
@given(path=paths, max_length=lengths)
def test_stable_for_the_same_path(path: str, max_length: int) -> None:
    assert generated_name(path, max_length) == generated_name(path, max_length)


@settings(max_examples=300, deadline=None)
@given(a=paths, b=paths)
def test_different_paths_get_different_names(a: str, b: str) -> None:
    if a != b:
        assert generated_name(a, 54) != generated_name(b, 54)


def test_paths_that_read_the_same_still_differ() -> None:
    # Both become "stack-flow" once lower-cased and cleaned; the hash keeps them apart.
    assert generated_name("Stack/Flow", 63) != generated_name("stack/flow", 63)
    long_a, long_b = "S/" + "x" * 100 + "a", "S/" + "x" * 100 + "b"
    assert generated_name(long_a, 63) != generated_name(long_b, 63)


def test_readable_part_comes_from_the_path() -> None:
    assert generated_name("TextReview/LowConfidence Review", 63).startswith(
        "textreview-lowconfidence-review-"
    )


def test_extra_values_change_the_name() -> None:
    assert generated_name("S/Ui", 63, "v1") != generated_name("S/Ui", 63, "v2")
