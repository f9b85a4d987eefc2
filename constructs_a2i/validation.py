"""Construct-time checks: :mod:`constructs_a2i.core`'s rules, skipping unresolved CDK tokens.

botocore validates types, required members and minimums only; CloudFormation would only report a
bad value minutes into a deployment. Every check here runs when a construct is created and raises
:class:`A2IValidationError` naming the property, the value and what is allowed. The rules
themselves live in ``core`` (the Lambda functions run the same code); this module only adds what
a construct needs: values that are still CDK tokens are known at deploy time, so they pass.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Sequence

from aws_cdk import Token

from constructs_a2i.core import limits, names
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview
from constructs_a2i.core.names import NAME_MAX_LENGTH, NAME_PATTERN

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


# aws-cdk-lib's token encodings (core/lib/private/encoding.ts): a string holds a token where
# it holds ``${Token[<key>]}`` (a number token written into a string is not one to
# ``Token.is_unresolved``, whatever the encoding allows); a list is a token when its only
# element is ``#{Token[<key>]}``. Matching them here spares a jsii round trip per check (a
# construct checks a dozen values); numbers and objects still ask the kernel.
_STRING_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}")
_LIST_TOKEN = re.compile(r"#\{Token\[[a-zA-Z0-9:._-]+\]\}")


def is_token(value: object) -> bool:
    """True when ``value`` is an unresolved CDK token (known only at deploy time).

    The same answer as ``Token.is_unresolved`` (a test compares them), without a call into
    the jsii kernel for strings, lists, whole numbers, booleans and ``None``.
    """
    if isinstance(value, str):
        return _STRING_TOKEN.search(value) is not None
    if isinstance(value, bool | int) or value is None:
        return False
    if isinstance(value, list | tuple):
        if len(value) != 1:
            return False
        first = value[0]
        return isinstance(first, str) and _LIST_TOKEN.search(first) is not None
    return bool(Token.is_unresolved(value))


def check_name(prop: str, value: str) -> None:
    """A lower-case resource name: 1-63 chars matching ``^[a-z0-9](-*[a-z0-9])*$``."""
    if not is_token(value):
        names.check_name(prop, value)


def check_length(prop: str, value: str, minimum: int, maximum: int) -> None:
    """A string whose length must lie in ``[minimum, maximum]``."""
    if not is_token(value):
        limits.check_length(prop, value, minimum, maximum)


def check_int_range(prop: str, value: int, minimum: int, maximum: int | None) -> None:
    """A whole number in ``[minimum, maximum]`` (``maximum=None``: no upper bound)."""
    if not is_token(value):
        limits.check_int_range(prop, value, minimum, maximum)


def check_number_range(prop: str, value: float, minimum: float, maximum: float) -> None:
    """A finite number (whole or not) in ``[minimum, maximum]``.

    NaN and infinity are refused before the token check: they cannot cross to the jsii kernel.
    """
    finite = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not (finite and is_token(value)):
        limits.check_number_range(prop, value, minimum, maximum)


def check_task_keywords(prop: str, keywords: Sequence[str]) -> None:
    """TaskKeywords: 1-5 items, each 1-30 chars of letters/digits separated by single spaces."""
    if not is_token(keywords):
        limits.check_task_keywords(prop, list(keywords), skip=is_token)


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
            f"got {preview(arn)}"
        )


def check_tag_count(prop: str, count: int) -> None:
    """A2I resources accept at most 50 tags."""
    if count > limits.TAGS_MAX:
        raise A2IValidationError(f"{prop} may hold at most {limits.TAGS_MAX} tags; got {count}")


_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(prop: str, value: str) -> None:
    """An email address (``name@domain.tld``, at most 254 characters)."""
    if is_token(value):
        return
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL_PATTERN.match(value):
        raise A2IValidationError(
            f"{prop} must be an email address such as reviewer@example.com; got {preview(value)}"
        )


def check_cidrs(prop: str, cidrs: Sequence[str], maximum: int) -> None:
    """1 to ``maximum`` IPv4 CIDR blocks such as ``203.0.113.0/24``."""
    if is_token(cidrs):
        return
    if isinstance(cidrs, str) or not 1 <= len(cidrs) <= maximum:
        raise A2IValidationError(
            f"{prop} must hold 1-{maximum} IPv4 CIDR blocks; got {preview(cidrs)}"
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
                f"203.0.113.0/24; got {preview(cidr)}"
            )
