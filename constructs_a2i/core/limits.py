"""The limits A2I documents for its API, and checks that raise :class:`A2IValidationError`.

botocore validates types, required members and minimums only, so every maximum, pattern and
enum A2I enforces is stated here once (``tests/core/test_drift.py`` compares them with
botocore's service models, so a model change shows up as a failing test). Each check names the
property, the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Final

from constructs_a2i.core.errors import A2IValidationError

__all__ = [
    "ACTIVATION_CONDITIONS_MAX_LENGTH",
    "CONTENT_CLASSIFIERS",
    "INPUT_CONTENT_MAX_LENGTH",
    "MAX_CONCURRENCY_RANGE",
    "PRIVATE_TASK_AVAILABILITY_MAX_SECONDS",
    "PUBLIC_TASK_AVAILABILITY_MAX_SECONDS",
    "S3_OUTPUT_PATH_MAX_LENGTH",
    "TAGS_MAX",
    "TAG_KEY_LENGTH",
    "TAG_VALUE_LENGTH",
    "TASK_COUNT_RANGE",
    "TASK_DESCRIPTION_LENGTH",
    "TASK_KEYWORDS_COUNT",
    "TASK_KEYWORD_LENGTH",
    "TASK_KEYWORD_PATTERN",
    "TASK_TIME_LIMIT_RANGE",
    "TASK_TITLE_LENGTH",
    "TEMPLATE_MAX_LENGTH",
    "check_content_classifiers",
    "check_int_range",
    "check_length",
    "check_number_range",
    "check_task_keyword",
    "check_task_keywords",
    "preview",
]

TASK_TITLE_LENGTH: Final = (1, 128)
TASK_DESCRIPTION_LENGTH: Final = (1, 255)
TASK_COUNT_RANGE: Final = (1, 3)
"""HumanLoopConfig.TaskCount: how many workers review each loop."""
TASK_TIME_LIMIT_RANGE: Final = (30, 28800)
"""TaskTimeLimitInSeconds: how long one worker may hold a task."""
PRIVATE_TASK_AVAILABILITY_MAX_SECONDS: Final = 864000
"""TaskAvailabilityLifetimeInSeconds cap for private and vendor teams (10 days)."""
PUBLIC_TASK_AVAILABILITY_MAX_SECONDS: Final = 43200
"""TaskAvailabilityLifetimeInSeconds cap for the public crowd (12 hours)."""
TASK_KEYWORDS_COUNT: Final = (1, 5)
TASK_KEYWORD_LENGTH: Final = (1, 30)
TASK_KEYWORD_PATTERN: Final = re.compile(r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$")
TAGS_MAX: Final = 50
TAG_KEY_LENGTH: Final = (1, 128)
TAG_VALUE_LENGTH: Final = (0, 256)
S3_OUTPUT_PATH_MAX_LENGTH: Final = 1024
TEMPLATE_MAX_LENGTH: Final = 128000
"""UiTemplate.Content: a worker task template's characters."""
ACTIVATION_CONDITIONS_MAX_LENGTH: Final = 10240
"""HumanLoopActivationConditions: the JSON text's characters."""
INPUT_CONTENT_MAX_LENGTH: Final = 3_145_728
"""StartHumanLoop's HumanLoopInput.InputContent: the JSON text's characters."""
CONTENT_CLASSIFIERS: Final = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
"""StartHumanLoop's DataAttributes.ContentClassifiers values."""
MAX_CONCURRENCY_RANGE: Final = (1, 100)
"""Concurrent StartHumanLoop calls one starter invocation or ``a2i loops start`` makes."""


def preview(value: object) -> str:
    """``repr(value)`` cut to 80 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}...'"


def check_length(prop: str, value: str, minimum: int, maximum: int) -> None:
    """A string whose length lies in ``[minimum, maximum]``."""
    if not isinstance(value, str):
        raise A2IValidationError(f"{prop} must be a string; got {preview(value)}")
    if not minimum <= len(value) <= maximum:
        raise A2IValidationError(
            f"{prop} must be {minimum}-{maximum} characters long; "
            f"got {len(value)} characters: {preview(value)}"
        )


def check_int_range(prop: str, value: int, minimum: int, maximum: int | None) -> None:
    """A whole number in ``[minimum, maximum]`` (``maximum=None``: no upper bound)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise A2IValidationError(f"{prop} must be a whole number; got {preview(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise A2IValidationError(f"{prop} must be {allowed}; got {value}")


def check_number_range(prop: str, value: float, minimum: float, maximum: float) -> None:
    """A finite number (whole or not) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise A2IValidationError(f"{prop} must be a number; got {preview(value)}")
    if not minimum <= value <= maximum:
        raise A2IValidationError(f"{prop} must be between {minimum} and {maximum}; got {value}")


def check_task_keywords(
    prop: str, keywords: Sequence[str], skip: Callable[[str], bool] = lambda _: False
) -> None:
    """TaskKeywords: 1-5 items, each 1-30 letters/digits in words separated by single spaces.

    ``skip`` says which items not to check (values only known later, such as CDK tokens).
    """
    low, high = TASK_KEYWORDS_COUNT
    if isinstance(keywords, str) or not low <= len(keywords) <= high:
        count = f"{len(keywords)}: " if not isinstance(keywords, str) else ""
        raise A2IValidationError(
            f"{prop} must hold {low}-{high} keywords; got {count}{preview(keywords)}"
        )
    for keyword in keywords:
        if not skip(keyword):
            check_task_keyword(prop, keyword)


def check_task_keyword(prop: str, keyword: str) -> None:
    """One TaskKeywords item."""
    low, high = TASK_KEYWORD_LENGTH
    if (
        not isinstance(keyword, str)
        or not low <= len(keyword) <= high
        or not TASK_KEYWORD_PATTERN.match(keyword)
    ):
        raise A2IValidationError(
            f"{prop} items must be {low}-{high} characters of letters and digits, words "
            f"separated by single spaces (pattern {TASK_KEYWORD_PATTERN.pattern}); "
            f"got {preview(keyword)}"
        )


def check_content_classifiers(prop: str, classifiers: Sequence[str]) -> tuple[str, ...]:
    """Known ContentClassifiers, each once; returned sorted."""
    if isinstance(classifiers, str):
        raise A2IValidationError(
            f"{prop} must be a list of {list(CONTENT_CLASSIFIERS)}; got {preview(classifiers)}"
        )
    unknown = [c for c in classifiers if c not in CONTENT_CLASSIFIERS]
    if unknown:
        raise A2IValidationError(
            f"{prop} items must be one of {list(CONTENT_CLASSIFIERS)}; got {preview(unknown)}"
        )
    return tuple(sorted(set(classifiers)))
