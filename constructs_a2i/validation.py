"""Checks for the constraints A2I documents but botocore does not enforce.

botocore validates types, required members and minimums only; CloudFormation would
only report a bad value minutes into a deployment. Every check here runs when a
construct is created and raises :class:`A2IValidationError` naming the property, the
value and what is allowed. Values that are still CDK tokens are skipped: they are
only known at deploy time.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Sequence

from aws_cdk import Token

__all__ = [
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "A2IValidationError",
    "check_arn_resource",
    "check_cidrs",
    "check_email",
    "check_int_range",
    "check_length",
    "check_name",
    "check_number_range",
    "check_tag_count",
    "check_task_keywords",
    "is_token",
]

NAME_PATTERN = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
"""FlowDefinitionName, HumanTaskUiName and HumanLoopName all follow this pattern."""

NAME_MAX_LENGTH = 63

_KEYWORD_PATTERN = re.compile(r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$")
_MAX_TAGS = 50


class A2IValidationError(ValueError):
    """A construct property has a value A2I would reject."""


def is_token(value: object) -> bool:
    """True when ``value`` is an unresolved CDK token (known only at deploy time)."""
    return Token.is_unresolved(value)


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}...'"


def check_name(prop: str, value: str) -> None:
    """A lower-case resource name: 1-63 chars matching ``^[a-z0-9](-*[a-z0-9])*$``."""
    if is_token(value):
        return
    if not 1 <= len(value) <= NAME_MAX_LENGTH or not NAME_PATTERN.match(value):
        raise A2IValidationError(
            f"{prop} must be 1-{NAME_MAX_LENGTH} characters of lower-case letters, digits "
            f"and hyphens, starting and ending with a letter or digit "
            f"(pattern ^[a-z0-9](-*[a-z0-9])*$); got {_preview(value)} "
            f"({len(value)} characters)"
        )


def check_length(prop: str, value: str, minimum: int, maximum: int) -> None:
    """A string whose length must lie in ``[minimum, maximum]``."""
    if is_token(value):
        return
    if not minimum <= len(value) <= maximum:
        raise A2IValidationError(
            f"{prop} must be {minimum}-{maximum} characters long; "
            f"got {len(value)} characters: {_preview(value)}"
        )


def check_int_range(prop: str, value: int, minimum: int, maximum: int | None) -> None:
    """A whole number in ``[minimum, maximum]`` (``maximum=None``: no upper bound)."""
    if is_token(value):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise A2IValidationError(f"{prop} must be a whole number; got {_preview(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise A2IValidationError(f"{prop} must be {allowed}; got {value}")


def check_task_keywords(prop: str, keywords: Sequence[str]) -> None:
    """TaskKeywords: 1-5 items, each 1-30 chars of letters/digits separated by single spaces."""
    if is_token(keywords):
        return
    if not 1 <= len(keywords) <= 5:
        raise A2IValidationError(
            f"{prop} must hold 1-5 keywords; got {len(keywords)}: {_preview(list(keywords))}"
        )
    for keyword in keywords:
        if is_token(keyword):
            continue
        if not 1 <= len(keyword) <= 30 or not _KEYWORD_PATTERN.match(keyword):
            raise A2IValidationError(
                f"{prop} items must be 1-30 characters of letters and digits, words separated "
                f"by single spaces (pattern ^[A-Za-z0-9]+( [A-Za-z0-9]+)*$); "
                f"got {_preview(keyword)}"
            )


def check_arn_resource(prop: str, arn: str, service: str, resource_type: str) -> None:
    """An ARN of the given service whose resource part starts with ``resource_type/``."""
    if is_token(arn):
        return
    parts = arn.split(":", 5)
    ok = (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[1] != ""
        and parts[2] == service
        and parts[5].startswith(f"{resource_type}/")
        and len(parts[5]) > len(resource_type) + 1
    )
    if not ok:
        raise A2IValidationError(
            f"{prop} must be an ARN of the form "
            f"arn:<partition>:{service}:<region>:<account>:{resource_type}/<name>; "
            f"got {_preview(arn)}"
        )


def check_tag_count(prop: str, count: int) -> None:
    """A2I resources accept at most 50 tags."""
    if count > _MAX_TAGS:
        raise A2IValidationError(f"{prop} may hold at most {_MAX_TAGS} tags; got {count}")


def check_number_range(prop: str, value: float, minimum: float, maximum: float) -> None:
    """A number (whole or not) in ``[minimum, maximum]``."""
    # NaN and infinity are checked first: they cannot cross to the jsii kernel.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise A2IValidationError(f"{prop} must be a number; got {_preview(value)}")
    if is_token(value):
        return
    if not minimum <= value <= maximum:
        raise A2IValidationError(f"{prop} must be between {minimum} and {maximum}; got {value}")


_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(prop: str, value: str) -> None:
    """An email address (``name@domain.tld``, at most 254 characters)."""
    if is_token(value):
        return
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL_PATTERN.match(value):
        raise A2IValidationError(
            f"{prop} must be an email address such as reviewer@example.com; got {_preview(value)}"
        )


def check_cidrs(prop: str, cidrs: Sequence[str], maximum: int) -> None:
    """1 to ``maximum`` IPv4 CIDR blocks such as ``203.0.113.0/24``."""
    if is_token(cidrs):
        return
    if isinstance(cidrs, str) or not 1 <= len(cidrs) <= maximum:
        raise A2IValidationError(
            f"{prop} must hold 1-{maximum} IPv4 CIDR blocks; got {_preview(cidrs)}"
        )
    for cidr in cidrs:
        if is_token(cidr):
            continue
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except (TypeError, ValueError):
            network = None
        if not isinstance(network, ipaddress.IPv4Network) or "/" not in str(cidr):
            raise A2IValidationError(
                f"{prop} items must be IPv4 CIDR blocks with no host bits set, such as "
                f"203.0.113.0/24; got {_preview(cidr)}"
            )
