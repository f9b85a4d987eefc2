"""Calls on existing human loops that the ``a2i`` commands share.

Listing a flow definition's loops page by page (:func:`iter_human_loops`, used by ``a2i loops
list`` and ``a2i results``), describing one (:func:`describe_human_loop`), waiting until one is in
a final status (:func:`wait_until_done`), and stopping or deleting loops by name
(:func:`stop_loop`, :func:`delete_loop`, run over many names by :func:`for_each_loop`). Every
call goes through :func:`constructs_a2i.cli._retry.call_with_retries`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from constructs_a2i.cli._aws import describe_error, is_fatal
from constructs_a2i.cli._retry import RetryPolicy, call_with_retries, error_code
from constructs_a2i.core.statuses import (
    LOOP_FINAL_STATUSES,
    LOOP_IN_PROGRESS,
    LOOP_STOPPED,
    LOOP_STOPPING,
)

if TYPE_CHECKING:
    import datetime as dt

    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient
    from mypy_boto3_sagemaker_a2i_runtime.type_defs import PaginatorConfigTypeDef

__all__ = [
    "LIST_PAGE_SIZE_MAX",
    "LoopAction",
    "delete_loop",
    "describe_human_loop",
    "for_each_loop",
    "iter_human_loops",
    "stop_loop",
    "wait_until_done",
]

LIST_PAGE_SIZE_MAX: Final = 100
"""ListHumanLoops' MaxResults at most (an A2I limit that ``constructs_a2i.core.limits`` lacks)."""

_POLL_FIRST_SECONDS: Final = 0.2
_POLL_MAX_SECONDS: Final = 5.0
_ACTION_THREADS: Final = 8


def iter_human_loops(
    client: AugmentedAIRuntimeClient,
    flow_definition_arn: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    descending: bool = True,
    page_size: int = LIST_PAGE_SIZE_MAX,
    policy: RetryPolicy | None = None,
) -> Iterator[dict[str, Any]]:
    """The flow definition's human loop summaries, page by page (ListHumanLoops paginator).

    Each page is fetched with retries; after a throttled page the paginator resumes from its
    last resume token, so nothing is listed twice or skipped.
    """
    paginator = client.get_paginator("list_human_loops")
    params: dict[str, Any] = {
        "FlowDefinitionArn": flow_definition_arn,
        "SortOrder": "Descending" if descending else "Ascending",
    }
    if since is not None:
        params["CreationTimeAfter"] = since
    if until is not None:
        params["CreationTimeBefore"] = until
    token: str | None = None
    while True:
        # MaxItems = PageSize: one ListHumanLoops call per fetch, and botocore's resume token
        # (its NextToken) to continue from, so a throttled page is simply fetched again.
        config: PaginatorConfigTypeDef = {"MaxItems": page_size, "PageSize": page_size}
        if token:
            config["StartingToken"] = token

        def fetch(config: PaginatorConfigTypeDef = config) -> dict[str, Any]:
            pages = paginator.paginate(**params, PaginationConfig=config)
            return pages.build_full_result()

        page, _ = call_with_retries(fetch, policy)
        yield from page.get("HumanLoopSummaries") or []
        token = page.get("NextToken")
        if not token:
            return


def describe_human_loop(client: AugmentedAIRuntimeClient, name: str) -> dict[str, Any]:
    """DescribeHumanLoop's answer for ``name``, without its ``ResponseMetadata``."""
    response, _ = call_with_retries(lambda: client.describe_human_loop(HumanLoopName=name))
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def wait_until_done(client: AugmentedAIRuntimeClient, name: str, timeout: float) -> str | None:
    """Poll ``name`` until it is in a final status and return it; ``None`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = _POLL_FIRST_SECONDS
    while True:
        status = describe_human_loop(client, name).get("HumanLoopStatus")
        if status in LOOP_FINAL_STATUSES:
            return str(status)
        if time.monotonic() + delay > deadline:
            return None
        time.sleep(delay)
        delay = min(_POLL_MAX_SECONDS, delay * 2)


@dataclass(frozen=True, slots=True)
class LoopAction:
    """What stopping or deleting one human loop did."""

    name: str
    """The human loop name."""
    result: str
    """One or two words: ``stopped``, ``deleted``, ``refused``, ``not found``, ..."""
    detail: str = ""
    """Why, or what to do."""
    ok: bool = True
    """False when the loop was not stopped or deleted as asked."""


def for_each_loop(names: Iterable[str], action: Callable[[str], LoopAction]) -> list[LoopAction]:
    """Run ``action`` for each distinct name on a few threads; results in input order.

    A loop that does not exist, or an error that concerns one loop, becomes a failed
    :class:`LoopAction`; an error every call would hit (credentials, access) is raised.
    """
    unique = list(dict.fromkeys(names))

    def safe(name: str) -> LoopAction:
        try:
            return action(name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return LoopAction(name, "not found", "no such human loop (or deleted)", ok=False)
            return LoopAction(name, "error", describe_error(error), ok=False)
        except Exception as error:
            if is_fatal(error):
                raise
            return LoopAction(name, "error", describe_error(error), ok=False)

    if len(unique) <= 1:
        return [safe(name) for name in unique]
    with ThreadPoolExecutor(max_workers=min(_ACTION_THREADS, len(unique))) as pool:
        return list(pool.map(safe, unique))


def stop_loop(client: AugmentedAIRuntimeClient, name: str) -> LoopAction:
    """Stop ``name`` if it is in progress; a loop already stopping or stopped is left alone."""
    status = describe_human_loop(client, name).get("HumanLoopStatus")
    if status in (LOOP_STOPPED, LOOP_STOPPING):
        return LoopAction(name, status.lower(), "already stopped")
    if status != LOOP_IN_PROGRESS:
        return LoopAction(
            name,
            "refused",
            f"it is {status}: only {LOOP_IN_PROGRESS} human loops can be stopped",
            ok=False,
        )
    call_with_retries(lambda: client.stop_human_loop(HumanLoopName=name))
    return LoopAction(name, "stopped", "stop requested")


def delete_loop(
    client: AugmentedAIRuntimeClient, name: str, *, stop_first: bool, wait_timeout: float
) -> LoopAction:
    """Delete ``name`` if it is in a final status.

    A loop in progress or stopping is refused, unless ``stop_first``: then it is stopped and
    deleted once stopped (after ``wait_timeout`` seconds at most).
    """
    status = describe_human_loop(client, name).get("HumanLoopStatus")
    stopped = False
    if status in (LOOP_IN_PROGRESS, LOOP_STOPPING):
        if not stop_first:
            return LoopAction(
                name,
                "refused",
                f"it is {status}: stop it first (a2i loops stop {name}) or pass --stop-first",
                ok=False,
            )
        if status == LOOP_IN_PROGRESS:
            call_with_retries(lambda: client.stop_human_loop(HumanLoopName=name))
            stopped = True
        if wait_until_done(client, name, wait_timeout) is None:
            return LoopAction(
                name,
                "timed out",
                f"still stopping after {wait_timeout:g} s; delete it later",
                ok=False,
            )
    call_with_retries(lambda: client.delete_human_loop(HumanLoopName=name))
    return LoopAction(name, "deleted", "stopped, then deleted" if stopped else "")
