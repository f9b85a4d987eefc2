"""Paging for the List* operations: creation-time filters, sort order and NextTokens.

ListFlowDefinitions and ListHumanLoops page by creation time (:func:`page`); ListTags
pages by position (:func:`page_by_offset`). Tokens are opaque to callers but plain to
the fake (base64 JSON), and each names the listing it belongs to, so a token from one
listing is refused by another as the services refuse it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from constructs_a2i.testing._errors import validation_error

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TAG_PAGE_SIZE",
    "Dated",
    "decode_token",
    "encode_token",
    "filter_by_creation_time",
    "page",
    "page_by_offset",
]

DEFAULT_PAGE_SIZE = 10  # like SageMaker's other List* operations
DEFAULT_TAG_PAGE_SIZE = 50


class Dated(Protocol):
    """What a listed item needs: its creation time, and its creation order for ties."""

    @property
    def creation_time(self) -> dt.datetime: ...

    @property
    def seq(self) -> int: ...


D = TypeVar("D", bound=Dated)
T = TypeVar("T")


def filter_by_creation_time(items: Sequence[D], params: Mapping[str, Any]) -> list[D]:
    """``items`` within CreationTimeAfter and CreationTimeBefore of ``params``."""
    after = params.get("CreationTimeAfter")
    before = params.get("CreationTimeBefore")
    # "greater than or equal to" CreationTimeAfter, "before" CreationTimeBefore, as
    # the APIs document them.
    return [
        item
        for item in items
        if (after is None or item.creation_time >= after)
        and (before is None or item.creation_time < before)
    ]


def page(items: Sequence[D], params: Mapping[str, Any], kind: str) -> tuple[list[D], str | None]:
    """One page of ``items`` in creation order, with a stable NextToken.

    The token names the last item returned (its creation time and sequence), so
    items created or deleted between pages shift nothing.
    """
    order = params.get("SortOrder") or "Descending"
    descending = order == "Descending"
    ordered = sorted(items, key=lambda item: (item.creation_time, item.seq), reverse=descending)
    if params.get("NextToken"):
        token = decode_token(params["NextToken"], kind)
        if token.get("order") != order:
            raise validation_error("The NextToken was issued for another SortOrder.")
        mark = (dt.datetime.fromisoformat(token["time"]), int(token["seq"]))
        ordered = [
            item
            for item in ordered
            if (
                (item.creation_time, item.seq) < mark
                if descending
                else (item.creation_time, item.seq) > mark
            )
        ]
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    chosen = ordered[:size]
    next_token = None
    if len(ordered) > size:
        last = chosen[-1]
        next_token = encode_token(
            {"kind": kind, "order": order, "time": last.creation_time.isoformat(), "seq": last.seq}
        )
    return chosen, next_token


def page_by_offset(
    items: Sequence[T], params: Mapping[str, Any], kind: str, default_size: int
) -> tuple[list[T], str | None]:
    """One page of ``items`` as they are ordered, the NextToken holding the next offset."""
    start = 0
    if params.get("NextToken"):
        start = int(decode_token(params["NextToken"], kind)["offset"])
    size = params.get("MaxResults") or default_size
    token = None
    if start + size < len(items):
        token = encode_token({"kind": kind, "offset": start + size})
    return list(items[start : start + size]), token


def encode_token(payload: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")


def decode_token(token: str, kind: str) -> dict[str, Any]:
    """The payload of ``token``; ValidationException unless it was made for ``kind``."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        payload = None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise validation_error("The NextToken is not valid for this request.")
    return payload
