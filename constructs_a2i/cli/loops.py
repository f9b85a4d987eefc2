"""``a2i loops``: start, list, describe, stop and delete the human loops of a flow definition.

``a2i loops start --flow FLOW --input items.jsonl`` starts one human loop per JSON line:

* **Idempotent.** Each loop's name comes from the item's id (``--id-field``) or, without one,
  from a hash of its content, and from the flow definition (the rule of the
  ``HumanLoopStarter`` Lambda function, see :mod:`constructs_a2i.cli._naming`). Running the
  command again, after an interruption or a failure, starts only what is missing: A2I answers
  ``ConflictException`` for names already used, counted as "already existed".
* **Fast and polite.** Calls run on ``--concurrency`` threads, spaced by a client-side rate
  limit (``--rate`` calls per second; unlimited by default), and throttling or server errors
  are retried with exponential backoff and full jitter.
* **Accountable.** A progress bar (on a terminal) and a summary: started, already existed,
  failed. Failed lines are written, each with a ``"__a2i_failure__"`` member saying why, to
  ``<input>.failed.jsonl``, which can be fed back as ``--input`` once fixed (that member is
  ignored on input). Ctrl-C stops cleanly and prints the summary of what was done.

Exit status: 0 when everything was started or existed, 3 when some lines failed, 130 after
Ctrl-C, 1 on an error (one line on stderr: unknown flow, no credentials, throttling that
outlasts the retries, malformed JSON Lines with the line number, ...).
"""

from __future__ import annotations

import enum
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, cast

import typer
from botocore.exceptions import ClientError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from constructs_a2i.cli import _retry
from constructs_a2i.cli._aws import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    Clients,
    CliError,
    OutputFormat,
    cli_errors,
    describe_error,
    is_fatal,
    options,
    print_json,
    print_table,
    stderr_console,
)
from constructs_a2i.cli._flow import ConstructOption, FlowOption, StackOption, resolve_flow
from constructs_a2i.cli._naming import (
    MISSING,
    FieldPath,
    content_loop_name,
    id_loop_name,
    identity_value,
    parse_path,
    validate_prefix,
)
from constructs_a2i.cli._retry import (
    THROTTLING_CODES,
    Interrupted,
    RetryPolicy,
    TokenBucket,
    call_with_retries,
    error_code,
)
from constructs_a2i.cli._time import time_option

if TYPE_CHECKING:
    import datetime as dt

    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient
    from mypy_boto3_sagemaker_a2i_runtime.literals import ContentClassifierType
    from mypy_boto3_sagemaker_a2i_runtime.type_defs import PaginatorConfigTypeDef

__all__ = [
    "ALREADY_EXISTED",
    "DUPLICATE",
    "FAILED",
    "FAILURE_KEY",
    "INPUT_CONTENT_MAX_LENGTH",
    "NOT_ATTEMPTED",
    "STARTED",
    "ContentClassifier",
    "InputItem",
    "LoopStatus",
    "SortOrder",
    "StartReport",
    "StartResult",
    "app",
    "default_failed_path",
    "iter_human_loops",
    "read_items",
    "start_human_loops",
]

FAILURE_KEY: Final = "__a2i_failure__"
"""The member a ``*.failed.jsonl`` line carries to say why it failed (ignored on input)."""
INPUT_CONTENT_MAX_LENGTH: Final = 3_145_728
"""A2I's limit on InputContent, in characters."""

STARTED: Final = "started"
"""Outcome: StartHumanLoop succeeded."""
ALREADY_EXISTED: Final = "already-existed"
"""Outcome: a loop with this name existed (ConflictException): started before."""
DUPLICATE: Final = "duplicate"
"""Outcome: an earlier line of the input has the same loop name."""
FAILED: Final = "failed"
"""Outcome: A2I refused this item (the reason is in the failed file)."""
NOT_ATTEMPTED: Final = "not-attempted"
"""Outcome: not tried (Ctrl-C, or the run stopped on an error); a re-run starts it."""

_DONE_STATUSES: Final = frozenset({"Completed", "Failed", "Stopped"})
_POLL_FIRST_SECONDS = 0.2
_POLL_MAX_SECONDS = 5.0

app = typer.Typer(
    name="loops",
    help="Start, list, describe, stop and delete the human loops of a flow definition.",
    no_args_is_help=True,
)
"""The ``a2i loops`` command group."""


class ContentClassifier(enum.StrEnum):
    """Values of ``--classifier`` (A2I's DataAttributes.ContentClassifiers)."""

    FreeOfPersonallyIdentifiableInformation = "FreeOfPersonallyIdentifiableInformation"
    FreeOfAdultContent = "FreeOfAdultContent"


class LoopStatus(enum.StrEnum):
    """Values of ``--status``: a human loop's HumanLoopStatus."""

    InProgress = "InProgress"
    Completed = "Completed"
    Failed = "Failed"
    Stopping = "Stopping"
    Stopped = "Stopped"


class SortOrder(enum.StrEnum):
    """Values of ``--sort``: by creation time, oldest (asc) or newest (desc) first."""

    asc = "asc"
    desc = "desc"


# --------------------------------------------------------------------------------------------
# Reading the input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputItem:
    """One line of the input: its human loop name and InputContent."""

    line: int
    """1-based line number in the input file."""
    name: str
    """The human loop name derived from the item."""
    content: str
    """The InputContent (JSON text) sent to A2I."""
    item: dict[str, Any]
    """The parsed line (without a ``__a2i_failure__`` member)."""


def _malformed(path: Path, line: int, problem: str, more: int) -> CliError:
    extra = f" ({more} more malformed line{'s' if more != 1 else ''})" if more else ""
    return CliError(f"{path}:{line}: {problem}{extra}; nothing was started")


def read_items(
    path: Path,
    flow_arn: str,
    *,
    id_field: FieldPath | None = None,
    input_path: FieldPath | None = None,
    prefix: str = "",
) -> list[InputItem]:
    """Parse a JSON Lines file into items with loop names; blank lines are skipped.

    Raise CliError naming the first malformed line (not JSON, not an object, no id, input too
    large) and how many more there are: nothing is started from a malformed file.
    """
    items: list[InputItem] = []
    problems: list[tuple[int, str]] = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            problem, item = _parse_line(raw, number, flow_arn, id_field, input_path, prefix)
            if problem is not None:
                problems.append((number, problem))
            elif item is not None:
                items.append(item)
    if problems:
        line, problem = problems[0]
        raise _malformed(path, line, problem, len(problems) - 1)
    return items


def _parse_line(
    raw: bytes,
    number: int,
    flow_arn: str,
    id_field: FieldPath | None,
    input_path: FieldPath | None,
    prefix: str,
) -> tuple[str | None, InputItem | None]:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 text (byte {error.start + 1})", None
    if not text.strip():
        return None, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} at column {error.colno}", None
    if not isinstance(value, dict):
        return f"expected a JSON object, got {_json_kind(value)}", None
    value.pop(FAILURE_KEY, None)
    if id_field is not None:
        identity = identity_value(id_field.find(value))
        if identity is None:
            return (
                f"--id-field {id_field.text!r} is missing or not a non-empty string or integer",
                None,
            )
        name = id_loop_name(flow_arn, identity, prefix)
    else:
        name = content_loop_name(flow_arn, value, prefix)
    payload: Any = value
    if input_path is not None:
        payload = input_path.find(value)
        if payload is MISSING:
            return f"--input-path {input_path.text!r} is missing", None
    content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(content) > INPUT_CONTENT_MAX_LENGTH:
        return (
            f"the input is {len(content)} characters; A2I accepts at most "
            f"{INPUT_CONTENT_MAX_LENGTH}",
            None,
        )
    return None, InputItem(line=number, name=name, content=content, item=value)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def default_failed_path(input_path: Path) -> Path:
    """Where failed lines go: ``items.jsonl`` → ``items.failed.jsonl``.

    A file that already ends in ``.failed.jsonl`` is its own failed file, so feeding it back
    leaves only what still fails (and removes it when nothing does).
    """
    name = input_path.name
    if name.endswith(".failed.jsonl"):
        return input_path
    for suffix in (".jsonl", ".ndjson", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return input_path.with_name(f"{name}.failed.jsonl")


# --------------------------------------------------------------------------------------------
# Starting
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class StartResult:
    """What happened to one input line."""

    item: InputItem
    """The line."""
    outcome: str
    """:data:`STARTED`, :data:`ALREADY_EXISTED`, :data:`DUPLICATE`, :data:`FAILED` or
    :data:`NOT_ATTEMPTED`."""
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

    ``ConflictException`` counts as already existed; throttling and server errors are
    retried per ``policy`` (default: ``_retry.DEFAULT_POLICY``); an error every call would hit
    (credentials, access, quota, retries exhausted) stops the run and is returned as
    :attr:`StartReport.fatal`. Ctrl-C (KeyboardInterrupt in the calling thread) or setting
    ``stop`` ends the run after the calls in flight; the rest are :data:`NOT_ATTEMPTED`.
    ``on_result`` is called in the calling thread for each line as it is settled.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    begin = time.monotonic()
    stop_event = stop if stop is not None else threading.Event()
    limiter = TokenBucket(rate)
    lock = threading.Lock()
    retry_counts = {"retries": 0, "throttled": 0}
    fatal: list[BaseException] = []
    attributes = (
        {"ContentClassifiers": cast("list[ContentClassifierType]", list(classifiers))}
        if classifiers
        else None
    )

    def on_retry(error: BaseException, attempt: int) -> None:
        with lock:
            retry_counts["retries"] += 1
            if error_code(error) in THROTTLING_CODES:
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
                return StartResult(
                    item, ALREADY_EXISTED, "a loop with this name exists", code, attempts
                )
            if is_fatal(error):
                with lock:
                    fatal.append(error)
                stop_event.set()
                return StartResult(item, NOT_ATTEMPTED, describe_error(error), code, attempts)
            return StartResult(item, FAILED, describe_error(error), code, attempts)

    results: list[StartResult | None] = [None] * len(items)
    first_line: dict[str, int] = {}
    queue: list[int] = []
    for index, item in enumerate(items):
        earlier = first_line.setdefault(item.name, item.line)
        if earlier != item.line:
            results[index] = StartResult(item, DUPLICATE, f"same loop name as line {earlier}")
        else:
            queue.append(index)

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


def _write_failures(path: Path, failures: Sequence[StartResult]) -> None:
    """Write failed lines (with their reasons) to ``path`` atomically."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        for result in failures:
            record = dict(result.item.item)
            record[FAILURE_KEY] = {
                "outcome": result.outcome,
                "line": result.item.line,
                "humanLoopName": result.item.name,
                "code": result.code,
                "reason": result.reason,
            }
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(temporary, path)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return False


def _progress() -> Progress:
    console = stderr_console()
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def _counts_text(counts: dict[str, int]) -> str:
    return (
        f"{counts.get(STARTED, 0)} started · {counts.get(ALREADY_EXISTED, 0)} existed · "
        f"{counts.get(FAILED, 0)} failed"
    )


@app.command("start")
def start(
    ctx: typer.Context,
    input_file: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON Lines file: one human loop per line (each line a JSON object).",
        ),
    ],
    flow: FlowOption = None,
    stack: StackOption = None,
    construct: ConstructOption = None,
    rate: Annotated[
        float,
        typer.Option("--rate", min=0, help="Most StartHumanLoop calls per second; 0: no limit."),
    ] = 0.0,
    id_field: Annotated[
        str | None,
        typer.Option(
            "--id-field",
            help="Path of each item's unique id (id, $.meta.requestId); names the loop. "
            "Default: a hash of the whole item.",
        ),
    ] = None,
    input_path: Annotated[
        str | None,
        typer.Option(
            "--input-path", help="Path of the value to send as InputContent (default: the item)."
        ),
    ] = None,
    classifier: Annotated[
        list[ContentClassifier] | None,
        typer.Option("--classifier", help="Content classifier (repeatable)."),
    ] = None,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Start every loop name with this (<= 20 chars).")
    ] = "",
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=100, help="Calls in flight at once.")
    ] = 10,
    max_attempts: Annotated[
        int | None,
        typer.Option(
            "--max-attempts",
            min=1,
            max=30,
            help="Attempts per loop on throttling or server errors (default 8).",
        ),
    ] = None,
    failed_out: Annotated[
        Path | None,
        typer.Option(
            "--failed-out",
            dir_okay=False,
            help="Where to write failed lines (default: <input>.failed.jsonl).",
        ),
    ] = None,
) -> None:
    """Start one human loop per line of a JSON Lines file (idempotent: re-run to resume)."""
    with cli_errors():
        aws = options(ctx)
        try:
            id_path = parse_path(id_field, "--id-field") if id_field else None
            content_path = parse_path(input_path, "--input-path") if input_path else None
            validate_prefix(prefix)
        except ValueError as error:
            raise CliError(str(error)) from None
        clients = Clients(aws, max_pool_connections=concurrency)
        resolved = resolve_flow(clients, flow, stack, construct, require_active=True)
        items = read_items(
            input_file, resolved.arn, id_field=id_path, input_path=content_path, prefix=prefix
        )
        client = clients.a2i(resolved.region)
        policy = RetryPolicy(
            max_attempts=max_attempts or _retry.DEFAULT_POLICY.max_attempts,
            base_seconds=_retry.DEFAULT_POLICY.base_seconds,
            cap_seconds=_retry.DEFAULT_POLICY.cap_seconds,
        )
        counts: dict[str, int] = {}
        with _progress() as progress:
            task = progress.add_task("Starting human loops", total=len(items), counts="")

            def on_result(result: StartResult) -> None:
                counts[result.outcome] = counts.get(result.outcome, 0) + 1
                done = 0 if result.outcome == NOT_ATTEMPTED else 1
                progress.update(task, advance=done, counts=_counts_text(counts))

            report = start_human_loops(
                client,
                resolved.arn,
                items,
                rate=rate,
                concurrency=concurrency,
                classifiers=[c.value for c in classifier or []],
                policy=policy,
                on_result=on_result,
            )
            if report.interrupted or report.fatal is not None:
                progress.update(task, description="Stopped")
        failed_path = failed_out or default_failed_path(input_file)
        failures = report.failures()
        keep = list(failures)
        if _same_file(failed_path, input_file):
            # The input is rewritten: keep the lines not tried yet, or they would be lost.
            keep = [r for r in report.results if r.outcome in (FAILED, NOT_ATTEMPTED)]
        removed_stale = False
        if keep:
            _write_failures(failed_path, keep)
        elif failed_path.exists() and not report.interrupted and report.fatal is None:
            failed_path.unlink()
            removed_stale = True
        _print_start_summary(
            aws.output, report, resolved.name, input_file, failed_path, keep, removed_stale
        )
        if report.fatal is not None:
            raise CliError(
                describe_error(report.fatal) + "; run the same command again to start the rest",
                EXIT_ERROR,
            )
        if report.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if failures:
            raise typer.Exit(EXIT_PARTIAL)


def _print_start_summary(
    output: OutputFormat,
    report: StartReport,
    flow_name: str,
    input_file: Path,
    failed_path: Path,
    failures: Sequence[StartResult],
    removed_stale: bool,
) -> None:
    total = len(report.results)
    rate = report.count(STARTED) / report.elapsed_seconds if report.elapsed_seconds else 0.0
    if output is OutputFormat.json:
        print_json(
            {
                "flowDefinitionArn": report.flow_definition_arn,
                "lines": total,
                "started": report.count(STARTED),
                "alreadyExisted": report.count(ALREADY_EXISTED),
                "duplicates": report.count(DUPLICATE),
                "failed": report.count(FAILED),
                "notAttempted": report.count(NOT_ATTEMPTED),
                "retries": report.retries,
                "throttled": report.throttled,
                "elapsedSeconds": round(report.elapsed_seconds, 3),
                "interrupted": report.interrupted,
                "failedFile": str(failed_path) if failures else None,
            }
        )
        return
    rows: list[tuple[str, Any]] = [
        ("Lines", total),
        ("Started", report.count(STARTED)),
        ("Already existed", report.count(ALREADY_EXISTED)),
        ("Failed", report.count(FAILED)),
    ]
    if report.count(DUPLICATE):
        rows.append(("Duplicate lines", report.count(DUPLICATE)))
    if report.count(NOT_ATTEMPTED):
        rows.append(("Not attempted", report.count(NOT_ATTEMPTED)))
    rows.append(("Retries", f"{report.retries} ({report.throttled} throttled)"))
    rows.append(("Elapsed", f"{report.elapsed_seconds:.1f} s ({rate:.1f} loops/s)"))
    title = f"Summary: human loops for {flow_name}"
    if report.interrupted:
        title += " (interrupted)"
    print_table(["", "count"], rows, title=title)
    if failures:
        reasons: dict[str, int] = {}
        for result in (r for r in failures if r.outcome == FAILED):
            reasons[result.reason or "unknown"] = reasons.get(result.reason or "unknown", 0) + 1
        for reason, count in sorted(reasons.items(), key=lambda pair: -pair[1])[:5]:
            typer.echo(f"  {count} x {reason}")
        typer.echo(
            f"Failed lines (with reasons) are in {failed_path}; fix them and start them with: "
            f"a2i loops start --flow {flow_name} --input {failed_path}"
        )
    elif removed_stale:
        typer.echo(f"Nothing failed: removed the old {failed_path}.")
    if report.interrupted or report.count(NOT_ATTEMPTED):
        typer.echo(
            f"Run the same command again to start the rest (lines of {input_file} already "
            "started are recognised by name and not started twice)."
        )


# --------------------------------------------------------------------------------------------
# Listing and inspecting
# --------------------------------------------------------------------------------------------


def iter_human_loops(
    client: AugmentedAIRuntimeClient,
    flow_definition_arn: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    descending: bool = True,
    page_size: int = 100,
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


@app.command("list")
def list_loops(
    ctx: typer.Context,
    flow: FlowOption = None,
    stack: StackOption = None,
    construct: ConstructOption = None,
    status: Annotated[
        list[LoopStatus] | None,
        typer.Option("--status", case_sensitive=False, help="Only this status (repeatable)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Created at or after: 2026-11-01, 2026-11-01T08:30, 7d."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Created before (same forms as --since).")
    ] = None,
    sort: Annotated[
        SortOrder, typer.Option("--sort", case_sensitive=False, help="By creation time.")
    ] = SortOrder.desc,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most N loops.")
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=100, help="Loops per ListHumanLoops call.")
    ] = 100,
) -> None:
    """List the human loops of a flow definition, newest first."""
    with cli_errors():
        aws = options(ctx)
        after = time_option(since, "--since")
        before = time_option(until, "--until")
        clients = Clients(aws)
        resolved = resolve_flow(clients, flow, stack, construct)
        wanted = {s.value for s in status} if status else None
        loops: list[dict[str, Any]] = []
        for summary in iter_human_loops(
            clients.a2i(resolved.region),
            resolved.arn,
            since=after,
            until=before,
            descending=sort is SortOrder.desc,
            page_size=page_size if limit is None else min(page_size, max(limit, 1)),
        ):
            if wanted is not None and summary.get("HumanLoopStatus") not in wanted:
                continue
            loops.append(summary)
            if limit is not None and len(loops) >= limit:
                break
        if aws.output is OutputFormat.json:
            print_json(loops)
            return
        print_table(
            ["Name", "Status", "Created", "Failure reason"],
            [
                (
                    loop.get("HumanLoopName"),
                    loop.get("HumanLoopStatus"),
                    loop.get("CreationTime"),
                    loop.get("FailureReason"),
                )
                for loop in loops
            ],
            title=f"Human loops of {resolved.name} ({len(loops)})",
        )


def _describe_loop(client: AugmentedAIRuntimeClient, name: str) -> dict[str, Any]:
    response, _ = call_with_retries(lambda: client.describe_human_loop(HumanLoopName=name))
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


@app.command("describe")
def describe(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Human loop name.")],
) -> None:
    """Show one human loop: status, times, failure, output location."""
    with cli_errors():
        aws = options(ctx)
        client = Clients(aws).a2i()
        try:
            loop = _describe_loop(client, name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise CliError(f"human loop {name!r} not found (or deleted)") from None
            raise
        if aws.output is OutputFormat.json:
            print_json(loop)
            return
        output = loop.get("HumanLoopOutput") or {}
        rows = [
            ("Name", loop.get("HumanLoopName")),
            ("Status", loop.get("HumanLoopStatus")),
            ("Created", loop.get("CreationTime")),
            ("ARN", loop.get("HumanLoopArn")),
            ("Flow definition", loop.get("FlowDefinitionArn")),
            ("Failure code", loop.get("FailureCode")),
            ("Failure reason", loop.get("FailureReason")),
            ("Output", output.get("OutputS3Uri")),
        ]
        print_table(["Field", "Value"], [row for row in rows if row[1] is not None])


# --------------------------------------------------------------------------------------------
# Stopping and deleting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Action:
    name: str
    result: str
    detail: str = ""
    ok: bool = True


def _for_each(names: Iterable[str], action: Callable[[str], _Action]) -> list[_Action]:
    """Run ``action`` for each distinct name on a few threads; results in input order."""
    unique = list(dict.fromkeys(names))

    def safe(name: str) -> _Action:
        try:
            return action(name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return _Action(name, "not found", "no such human loop (or deleted)", ok=False)
            return _Action(name, "error", describe_error(error), ok=False)
        except Exception as error:
            if is_fatal(error):
                raise
            return _Action(name, "error", describe_error(error), ok=False)

    if len(unique) <= 1:
        return [safe(name) for name in unique]
    with ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
        return list(pool.map(safe, unique))


def _report_actions(output: OutputFormat, actions: Sequence[_Action], verb: str) -> None:
    if output is OutputFormat.json:
        print_json(
            [
                {"humanLoopName": a.name, "result": a.result, "detail": a.detail or None}
                for a in actions
            ]
        )
    else:
        print_table(["Name", "Result", "Detail"], [(a.name, a.result, a.detail) for a in actions])
    refused = [a for a in actions if not a.ok]
    if refused:
        typer.echo(
            f"error: {len(refused)} of {len(actions)} human loops were not {verb}: "
            + "; ".join(f"{a.name}: {a.detail or a.result}" for a in refused[:3])
            + (" ..." if len(refused) > 3 else ""),
            err=True,
        )
        raise typer.Exit(EXIT_ERROR)


@app.command("stop")
def stop(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Human loop names.", metavar="NAME...")],
) -> None:
    """Stop human loops that are in progress (their tasks are withdrawn from the workers)."""
    with cli_errors():
        aws = options(ctx)
        client = Clients(aws).a2i()

        def stop_one(name: str) -> _Action:
            status = _describe_loop(client, name).get("HumanLoopStatus")
            if status in ("Stopped", "Stopping"):
                return _Action(name, status.lower(), "already stopped")
            if status != "InProgress":
                return _Action(
                    name,
                    "refused",
                    f"it is {status}: only InProgress human loops can be stopped",
                    ok=False,
                )
            call_with_retries(lambda: client.stop_human_loop(HumanLoopName=name))
            return _Action(name, "stopped", "stop requested")

        _report_actions(aws.output, _for_each(names, stop_one), "stopped")


def _wait_until_done(client: AugmentedAIRuntimeClient, name: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    delay = _POLL_FIRST_SECONDS
    while True:
        status = _describe_loop(client, name).get("HumanLoopStatus")
        if status in _DONE_STATUSES:
            return str(status)
        if time.monotonic() + delay > deadline:
            return None
        time.sleep(delay)
        delay = min(_POLL_MAX_SECONDS, delay * 2)


@app.command("delete")
def delete(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Human loop names.", metavar="NAME...")],
    stop_first: Annotated[
        bool,
        typer.Option("--stop-first", help="Stop loops still in progress, then delete them."),
    ] = False,
    wait_timeout: Annotated[
        float,
        typer.Option("--wait-timeout", min=0, help="With --stop-first: seconds to wait."),
    ] = 300.0,
) -> None:
    """Delete finished human loops (Completed, Failed or Stopped); their S3 output stays."""
    with cli_errors():
        aws = options(ctx)
        client = Clients(aws).a2i()

        def delete_one(name: str) -> _Action:
            status = _describe_loop(client, name).get("HumanLoopStatus")
            stopped = False
            if status in ("InProgress", "Stopping"):
                if not stop_first:
                    return _Action(
                        name,
                        "refused",
                        f"it is {status}: stop it first (a2i loops stop {name}) or pass "
                        "--stop-first",
                        ok=False,
                    )
                if status == "InProgress":
                    call_with_retries(lambda: client.stop_human_loop(HumanLoopName=name))
                    stopped = True
                final = _wait_until_done(client, name, wait_timeout)
                if final is None:
                    return _Action(
                        name,
                        "timed out",
                        f"still stopping after {wait_timeout:g} s; delete it later",
                        ok=False,
                    )
            call_with_retries(lambda: client.delete_human_loop(HumanLoopName=name))
            return _Action(name, "deleted", "stopped, then deleted" if stopped else "")

        _report_actions(aws.output, _for_each(names, delete_one), "deleted")
