"""The bulk-start engine of ``a2i loops start``: one StartHumanLoop per input item, fast and
politely, with an account of what happened to each.

:func:`start_human_loops` runs the calls on a thread pool, spaced by a client-side rate limit and
retried on throttling and server errors (:mod:`constructs_a2i.cli._retry`). Re-running is safe:
A2I's API reference defines ``ConflictException`` as a name in use with *different* input, so a
repeat of an earlier run's start (same name, same input) is answered like a new start and
creates nothing; a ``ConflictException`` for a name derived from the content counts as "already
existed". With ``--id-field``, an id in use with other content is a *conflict*: that line is not
started (a line repeating an earlier line's id with other content, too), and is counted apart
from duplicates. An error every call would hit (credentials, access, quota, retries exhausted)
stops the run; Ctrl-C stops it after the calls in flight. :func:`write_failed_file` keeps the
lines to try again, with their reasons.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from constructs_a2i.cli._aws import describe_error, is_fatal
from constructs_a2i.cli._input import FAILURE_KEY, InputItem
from constructs_a2i.cli._retry import (
    Interrupted,
    RetryPolicy,
    TokenBucket,
    call_with_retries,
    error_code,
)
from constructs_a2i.core import strict_json
from constructs_a2i.core.limits import (
    MAX_CONCURRENCY_RANGE,
    check_content_classifiers,
    check_int_range,
)
from constructs_a2i.core.loop_names import HASH_LENGTH, content_loop_name
from constructs_a2i.core.retry import is_throttling

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient
    from mypy_boto3_sagemaker_a2i_runtime.literals import ContentClassifierType

__all__ = [
    "ALREADY_EXISTED",
    "CONFLICT",
    "DUPLICATE",
    "FAILED",
    "NOT_ATTEMPTED",
    "STARTED",
    "StartReport",
    "StartResult",
    "start_human_loops",
    "write_failed_file",
]

STARTED: Final = "started"
"""Outcome: StartHumanLoop succeeded: the loop exists (A2I answers a repeat of the same start,
by an earlier run, the same way, and starts nothing)."""
ALREADY_EXISTED: Final = "already-existed"
"""Outcome: a loop with this name, derived from this line's content, existed
(ConflictException): started before."""
CONFLICT: Final = "conflict"
"""Outcome: not started: the loop name (from ``--id-field``) is in use with different input,
by an earlier line or in A2I (ConflictException)."""
DUPLICATE: Final = "duplicate"
"""Outcome: an earlier line of the input has the same loop name and the same input."""
FAILED: Final = "failed"
"""Outcome: A2I refused this item (the reason is in the failed file)."""
NOT_ATTEMPTED: Final = "not-attempted"
"""Outcome: not tried (Ctrl-C, or the run stopped on an error); a re-run starts it."""


@dataclass(slots=True)
class StartResult:
    """What happened to one input line."""

    item: InputItem
    """The line."""
    outcome: str
    """:data:`STARTED`, :data:`ALREADY_EXISTED`, :data:`CONFLICT`, :data:`DUPLICATE`,
    :data:`FAILED` or :data:`NOT_ATTEMPTED`."""
    reason: str | None = None
    """Why it failed (or which line it duplicates)."""
    code: str | None = None
    """The AWS error code, if any."""
    attempts: int = 0
    """StartHumanLoop calls made for it."""


@dataclass(slots=True)
class StartReport:
    """The outcome of a :func:`start_human_loops` run."""

    flow_definition_arn: str
    """The flow definition the loops were started for."""
    results: list[StartResult]
    """One result per input line, in input order."""
    elapsed_seconds: float
    """Wall-clock duration."""
    retries: int = 0
    """Attempts retried after throttling or a server error."""
    throttled: int = 0
    """Of those, the ones answered with throttling."""
    interrupted: bool = False
    """True after Ctrl-C."""
    fatal: BaseException | None = None
    """The error that stopped the run early (no credentials, access denied, quota, ...)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Results per outcome."""

    def count(self, outcome: str) -> int:
        """How many lines had ``outcome``."""
        return self.counts.get(outcome, 0)

    def failures(self) -> list[StartResult]:
        """The lines A2I refused, in input order."""
        return [result for result in self.results if result.outcome == FAILED]

    def conflicts(self) -> list[StartResult]:
        """The lines not started because their loop name is in use with other input."""
        return [result for result in self.results if result.outcome == CONFLICT]


def start_human_loops(
    client: AugmentedAIRuntimeClient,
    flow_definition_arn: str,
    items: Sequence[InputItem],
    *,
    rate: float = 0.0,
    concurrency: int = 10,
    classifiers: Sequence[str] = (),
    policy: RetryPolicy | None = None,
    on_result: Callable[[StartResult], None] | None = None,
    stop: threading.Event | None = None,
) -> StartReport:
    """Start one human loop per item on ``concurrency`` threads at most ``rate`` calls/s.

    ``ConflictException`` counts as already existed for a name derived from the content and
    as a conflict for one from an id (as does a later line with an earlier line's id and other
    content); throttling and server errors are
    retried per ``policy`` (default: ``_retry.DEFAULT_POLICY``); an error every call would hit
    (credentials, access, quota, retries exhausted) stops the run and is returned as
    :attr:`StartReport.fatal`. Ctrl-C (KeyboardInterrupt in the calling thread) or setting
    ``stop`` ends the run after the calls in flight; the rest are :data:`NOT_ATTEMPTED`.
    ``on_result`` is called in the calling thread for each line as it is settled.

    Raise :class:`~constructs_a2i.core.errors.A2IValidationError` (a ValueError) unless
    ``concurrency`` is in :data:`~constructs_a2i.core.limits.MAX_CONCURRENCY_RANGE` and every
    classifier is one of :data:`~constructs_a2i.core.limits.CONTENT_CLASSIFIERS`.
    """
    check_int_range("concurrency", concurrency, *MAX_CONCURRENCY_RANGE)
    known = check_content_classifiers("classifiers", classifiers)
    begin = time.monotonic()
    stop_event = stop if stop is not None else threading.Event()
    limiter = TokenBucket(rate)
    lock = threading.Lock()
    retry_counts = {"retries": 0, "throttled": 0}
    fatal: list[BaseException] = []
    attributes = (
        {"ContentClassifiers": cast("list[ContentClassifierType]", list(known))} if known else None
    )

    def on_retry(error: BaseException, attempt: int) -> None:
        with lock:
            retry_counts["retries"] += 1
            if is_throttling(error_code(error)):
                retry_counts["throttled"] += 1

    def start_one(item: InputItem) -> StartResult:
        attempts = 0

        def call() -> Any:
            nonlocal attempts
            attempts += 1
            if attributes is None:
                return client.start_human_loop(
                    HumanLoopName=item.name,
                    FlowDefinitionArn=flow_definition_arn,
                    HumanLoopInput={"InputContent": item.content},
                )
            return client.start_human_loop(
                HumanLoopName=item.name,
                FlowDefinitionArn=flow_definition_arn,
                HumanLoopInput={"InputContent": item.content},
                DataAttributes={"ContentClassifiers": attributes["ContentClassifiers"]},
            )

        try:
            call_with_retries(call, policy, limiter=limiter, stop=stop_event, on_retry=on_retry)
            return StartResult(item, STARTED, attempts=attempts)
        except Interrupted:
            return StartResult(item, NOT_ATTEMPTED, "interrupted", attempts=attempts)
        except Exception as error:
            code = error_code(error)
            if code == "ConflictException":
                if _named_by_content(flow_definition_arn, item):
                    return StartResult(
                        item, ALREADY_EXISTED, "a loop with this name exists", code, attempts
                    )
                return StartResult(
                    item,
                    CONFLICT,
                    "the loop name is in use with different input (the same id, other content)",
                    code,
                    attempts,
                )
            if is_fatal(error):
                with lock:
                    fatal.append(error)
                stop_event.set()
                return StartResult(item, NOT_ATTEMPTED, describe_error(error), code, attempts)
            return StartResult(item, FAILED, describe_error(error), code, attempts)

    results: list[StartResult | None] = [None] * len(items)
    first: dict[str, InputItem] = {}
    queue: list[int] = []
    for index, item in enumerate(items):
        if item.problem is not None:  # a poison line fails alone, never started
            results[index] = StartResult(item, FAILED, item.problem)
            continue
        earlier = first.setdefault(item.name, item)
        if earlier is item:
            queue.append(index)
        elif _same_input(earlier.content, item.content):
            results[index] = StartResult(item, DUPLICATE, f"same loop name as line {earlier.line}")
        else:
            results[index] = StartResult(
                item,
                CONFLICT,
                f"same loop name as line {earlier.line} with different input (the same id, "
                "other content)",
            )

    def settle(index: int, result: StartResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    for index, result in enumerate(results):
        if result is not None:
            settle(index, result)

    interrupted = False
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="a2i-start")
    pending: dict[Future[StartResult], int] = {}
    next_index = 0
    try:
        try:
            while True:
                while (
                    len(pending) < concurrency * 2
                    and next_index < len(queue)
                    and not stop_event.is_set()
                ):
                    index = queue[next_index]
                    next_index += 1
                    pending[pool.submit(start_one, items[index])] = index
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    settle(pending.pop(future), future.result())
        except KeyboardInterrupt:
            interrupted = True
            stop_event.set()
        # Let the calls in flight finish (a second Ctrl-C leaves at once).
        for future, index in pending.items():
            settle(index, future.result())
        pending.clear()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
    for index in queue[next_index:]:
        settle(index, StartResult(items[index], NOT_ATTEMPTED, "the run stopped before it"))

    final = [
        result
        if result is not None
        else StartResult(items[index], NOT_ATTEMPTED, "interrupted while it was being settled")
        for index, result in enumerate(results)
    ]
    counts: dict[str, int] = {}
    for result in final:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return StartReport(
        flow_definition_arn=flow_definition_arn,
        results=final,
        elapsed_seconds=time.monotonic() - begin,
        retries=retry_counts["retries"],
        throttled=retry_counts["throttled"],
        interrupted=interrupted,
        fatal=fatal[0] if fatal else None,
        counts=counts,
    )


def _same_input(first: str, second: str) -> bool:
    """True when two InputContents hold the same JSON (key order aside)."""
    return first == second or json.loads(first) == json.loads(second)


def _named_by_content(flow_definition_arn: str, item: InputItem) -> bool:
    """True when ``item``'s loop name is the hash of its content (no ``--id-field``): no other
    input can have it."""
    digest = content_loop_name(flow_definition_arn, item.item)[-HASH_LENGTH:]
    return item.name.endswith(digest)


def write_failed_file(
    report: StartReport, input_file: Path, failed_path: Path
) -> tuple[list[StartResult], bool]:
    """Write the lines to try again, each with a :data:`~constructs_a2i.cli._input.FAILURE_KEY`
    member saying why, to ``failed_path`` (atomically).

    Those are the lines A2I refused; when ``failed_path`` is the input itself (a failed file fed
    back), the lines not attempted too, or they would be lost. With nothing to write, a
    ``failed_path`` left by an earlier run is removed, unless this run was cut short. Return the
    lines written and whether an old file was removed.
    """
    keep = report.failures()
    if _same_file(failed_path, input_file):
        keep = [r for r in report.results if r.outcome in (FAILED, NOT_ATTEMPTED)]
    if keep:
        _write_lines(failed_path, keep)
        return keep, False
    if failed_path.exists() and not report.interrupted and report.fatal is None:
        failed_path.unlink()
        return keep, True
    return keep, False


def _write_lines(path: Path, results: Sequence[StartResult]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        for result in results:
            if result.item.raw is not None:  # not parsed: written back as it was
                stream.write(result.item.raw.rstrip("\r\n") + "\n")
                continue
            record = dict(result.item.item)
            record[FAILURE_KEY] = {
                "outcome": result.outcome,
                "line": result.item.line,
                "humanLoopName": result.item.name,
                "code": result.code,
                "reason": result.reason,
            }
            stream.write(strict_json.compact(record) + "\n")
    os.replace(temporary, path)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return False
