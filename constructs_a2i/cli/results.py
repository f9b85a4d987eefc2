"""``a2i results``: export the human answers of finished loops to JSON Lines or CSV.

For every Completed or Stopped human loop of the flow definition (created in
``--since``/``--until``), the command reads the loop's ``output.json`` from S3 (DescribeHumanLoop
gives its location) and writes **one row per human answer**: the loop's name, creation time and
status, the output's S3 URI, the request source of a Textract or Rekognition loop, the worker id
and identity (``workerMetadata.identityData``), acceptance and submission times, time spent, the
answer and the loop's input (:mod:`constructs_a2i.cli._results_file` lists the columns).

Stopped loops are read too: tasks workers had already started when a loop was stopped go on,
and their results are stored in S3 ("Delete a Human Loop",
https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-delete-human-loop.html). A Stopped loop
without output (no location, or S3's ``NoSuchKey``: no worker had started) is normal: it gets one
row without answers, so it is not fetched again. S3 answers ``AccessDenied`` instead of
``NoSuchKey`` to a reader without ``s3:ListBucket``; for a Stopped loop that is not an error
either, but, since it may also mean the output cannot be read, the loop gets no row, the summary
counts it, and the next run asks again.

``--expand`` (``auto``, the default; ``textract``, ``rekognition`` or ``none``): the answers of
Textract and Rekognition loops become one row per reviewed item, a form key (key, value, both
before review, confidence before and after, whether the reviewer changed it) or a moderation
label (label, parent, the model's confidence, confirmed, rejected or added); ``auto`` goes by the
output's request source, ``textract``/``rekognition`` read every answer of that shape as that
kind, ``none`` keeps one row per answer (:mod:`constructs_a2i.core.managed_answers`).

* ``--out results.jsonl``: one JSON object per row; ``answerContent``, ``inputContent`` and
  ``item`` stay JSON objects. Rows of new loops are appended.
* ``--out results.csv``: the answer is flattened into ``answer.<path>`` columns
  (``answer.sentiment.label``), an item into ``item.<field>`` columns; ``inputContent`` is a JSON
  text column. The file is rewritten (atomically) with the union of the columns. Text that a
  spreadsheet would run as a formula is neutralised (:mod:`constructs_a2i.cli._results_file`
  says how).

This module downloads the outputs and holds the command; the file format is
:mod:`constructs_a2i.cli._results_file`'s.

Loops already in the file (by ``humanLoopName``) are skipped, so running the command again
downloads only new results. Failed and in-progress loops have no answers; the summary counts
them. A loop whose output has no answers gets one row with empty answer fields, so it is not
downloaded again.

An output that cannot be read fails its loop alone: missing (for a Completed loop), not JSON, not
an object, or nested deeper than :data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels
(read as :mod:`constructs_a2i.core.output_json` says, never into a ``RecursionError``). The
summary names the loop and why, the other loops are written, and the next run tries that loop
again.

Exit status: 0, or 3 when some outputs could not be read (the summary says why), 130 after
Ctrl-C (rows downloaded so far are written), 1 on an error.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from constructs_a2i.cli._aws import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    Clients,
    OutputFormat,
    cli_errors,
    describe_error,
    is_fatal,
    options,
    print_json,
    print_table,
    stderr_console,
    to_jsonable,
)
from constructs_a2i.cli._flow import ConstructOption, FlowOption, StackOption, resolve_flow
from constructs_a2i.cli._human_loops import describe_human_loop, iter_human_loops
from constructs_a2i.cli._results_file import (
    answer_rows,
    downloaded_names,
    loop_row,
    output_format,
    write_rows,
)
from constructs_a2i.cli._retry import call_with_retries, error_code
from constructs_a2i.cli._time import time_option
from constructs_a2i.core.output_json import OutputDocumentError, parse_output
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.core.statuses import LOOP_COMPLETED, LOOP_STOPPED

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = ["READ_STATUSES", "Expand", "ExportReport", "LoopOutput", "export_results", "results"]

READ_STATUSES = (LOOP_COMPLETED, LOOP_STOPPED)
"""The statuses of loops whose ``output.json`` is read."""
_NO_SUCH_KEY = frozenset({"NoSuchKey", "404"})
_REFUSED = frozenset({"AccessDenied", "403"})


class Expand(enum.StrEnum):
    """``--expand``: how the answers of Textract and Rekognition loops are written."""

    auto = "auto"
    textract = "textract"
    rekognition = "rekognition"
    none = "none"


@dataclass(slots=True)
class LoopOutput:
    """The downloaded answers of one Completed or Stopped loop (or why they could not be read)."""

    name: str
    """The human loop name."""
    creation_time: str | None
    """When the loop was created (ISO 8601)."""
    status: str = LOOP_COMPLETED
    """Its HumanLoopStatus."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    """Its answer rows."""
    error: str | None = None
    """Why its output could not be read, if it could not."""
    has_output: bool = True
    """False for a Stopped loop without output (it has one row without answers)."""
    refused: bool = False
    """True for a Stopped loop whose output S3 refused (AccessDenied): no row, asked again."""


@dataclass(slots=True)
class ExportReport:
    """The outcome of :func:`export_results`."""

    statuses: dict[str, int]
    """Loops listed, per HumanLoopStatus."""
    already_downloaded: int
    """Completed and Stopped loops skipped because the file has them."""
    outputs: list[LoopOutput]
    """The Completed and Stopped loops read in this run, oldest first."""
    interrupted: bool = False
    """True after Ctrl-C."""

    @property
    def exported(self) -> list[LoopOutput]:
        """Loops whose rows were written."""
        return [output for output in self.outputs if output.error is None and not output.refused]

    @property
    def errors(self) -> list[LoopOutput]:
        """Loops whose output could not be read."""
        return [output for output in self.outputs if output.error is not None]

    @property
    def without_output(self) -> list[LoopOutput]:
        """Stopped loops without output (written as one row without answers)."""
        return [output for output in self.exported if not output.has_output]

    @property
    def refused(self) -> list[LoopOutput]:
        """Stopped loops whose output S3 refused (AccessDenied); tried again next run."""
        return [output for output in self.outputs if output.refused]


def _no_output(result: LoopOutput, flow_definition_arn: str | None) -> LoopOutput:
    result.has_output = False
    result.rows = [
        loop_row(
            loop_name=result.name,
            flow_definition_arn=flow_definition_arn,
            creation_time=result.creation_time,
            status=result.status,
        )
    ]
    return result


def _download(
    a2i: AugmentedAIRuntimeClient,
    s3: S3Client,
    summary: dict[str, Any],
    expand: Expand = Expand.auto,
) -> LoopOutput:
    name = str(summary["HumanLoopName"])
    created = to_jsonable(summary.get("CreationTime"))
    status = str(summary.get("HumanLoopStatus") or LOOP_COMPLETED)
    result = LoopOutput(name=name, creation_time=created, status=status)
    stopped = status == LOOP_STOPPED
    flow_arn = summary.get("FlowDefinitionArn")
    uri = None
    try:
        described = describe_human_loop(a2i, name)
        uri = (described.get("HumanLoopOutput") or {}).get("OutputS3Uri")
        if not uri:
            if stopped:  # stopped before any worker started its task
                return _no_output(result, flow_arn)
            result.error = "DescribeHumanLoop gives no output location"
            return result
        bucket, key = parse_s3_uri(uri, "OutputS3Uri")
        response, _ = call_with_retries(lambda: s3.get_object(Bucket=bucket, Key=key))
        body = response["Body"].read()
    except ClientError as error:
        code = error_code(error)
        if stopped and code in _NO_SUCH_KEY:
            return _no_output(result, flow_arn)
        if stopped and code in _REFUSED:
            result.refused = True
            return result
        if is_fatal(error):
            raise
        if code in _NO_SUCH_KEY:
            result.error = f"no output.json at {uri}"
        else:
            result.error = describe_error(error)
        return result
    except ValueError as error:
        result.error = str(error)
        return result
    try:
        document = parse_output(body, uri)
    except OutputDocumentError as error:  # not JSON, nested too deep, not an object
        result.error = str(error)
        return result
    result.rows = answer_rows(
        document,
        loop_name=name,
        output_uri=uri,
        creation_time=created,
        status=status,
        expand=expand.value,
    )
    return result


def export_results(
    a2i: AugmentedAIRuntimeClient,
    s3: S3Client,
    flow_definition_arn: str,
    out: Path,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    concurrency: int = 8,
    progress: Progress | None = None,
    expand: Expand = Expand.auto,
) -> ExportReport:
    """Download the answers of new Completed and Stopped loops of a flow definition into
    ``out`` (``expand``: see the module)."""
    fmt = output_format(out)
    done = downloaded_names(out, fmt)
    statuses: dict[str, int] = {}
    todo: list[dict[str, Any]] = []
    skipped = 0
    listing = progress.add_task("Listing human loops", total=None) if progress is not None else None
    for summary in iter_human_loops(
        a2i, flow_definition_arn, since=since, until=until, descending=False
    ):
        if progress is not None and listing is not None:
            progress.advance(listing)
        status = str(summary.get("HumanLoopStatus"))
        statuses[status] = statuses.get(status, 0) + 1
        if status not in READ_STATUSES:
            continue
        if summary["HumanLoopName"] in done:
            skipped += 1
        else:
            todo.append(summary)

    task = None
    if progress is not None and listing is not None:
        listed = sum(statuses.values())
        progress.update(listing, total=listed, completed=listed)
        task = progress.add_task("Downloading results", total=len(todo))
    outputs: list[LoopOutput] = []
    interrupted = False
    fatal: BaseException | None = None
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="a2i-results")
    futures = [pool.submit(_guarded, stop, a2i, s3, summary, expand) for summary in todo]
    try:
        for future in as_completed(futures):
            output = future.result()
            if output is not None:
                outputs.append(output)
            if progress is not None and task is not None:
                progress.advance(task)
    except KeyboardInterrupt:
        interrupted = True
    except Exception as error:  # fatal (credentials, access): keep what was read, then raise
        fatal = error
    finally:
        stop.set()
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    if interrupted or fatal is not None:
        seen = {output.name for output in outputs}
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                output = future.result()
                if output is not None and output.name not in seen:
                    outputs.append(output)
    order = {str(summary["HumanLoopName"]): index for index, summary in enumerate(todo)}
    outputs.sort(key=lambda output: order[output.name])
    write_rows(out, fmt, [row for output in outputs for row in output.rows])
    if fatal is not None:
        raise fatal
    return ExportReport(
        statuses=statuses,
        already_downloaded=skipped,
        outputs=outputs,
        interrupted=interrupted,
    )


def _guarded(
    stop: threading.Event,
    a2i: AugmentedAIRuntimeClient,
    s3: S3Client,
    summary: dict[str, Any],
    expand: Expand,
) -> LoopOutput | None:
    if stop.is_set():
        return None
    return _download(a2i, s3, summary, expand)


def _print_summary(output: OutputFormat, report: ExportReport, flow_name: str, out: Path) -> None:
    exported = report.exported
    answers = len(
        {
            (loop.name, row["answerIndex"])
            for loop in exported
            for row in loop.rows
            if row.get("answerIndex") is not None
        }
    )
    items = sum(1 for loop in exported for row in loop.rows if row.get("itemIndex") is not None)
    if output is OutputFormat.json:
        print_json(
            {
                "out": str(out),
                "loops": report.statuses,
                "exportedLoops": len(exported),
                "answers": answers,
                "reviewedItems": items,
                "stoppedWithoutOutput": len(report.without_output),
                "stoppedOutputRefused": [loop.name for loop in report.refused],
                "alreadyDownloaded": report.already_downloaded,
                "errors": [{"humanLoopName": o.name, "error": o.error} for o in report.errors],
                "interrupted": report.interrupted,
            }
        )
        return
    rows: list[tuple[str, Any]] = [
        ("Loops exported (Completed, Stopped)", len(exported)),
        ("Answers written", answers),
    ]
    if items:
        rows.append(("Reviewed items written (Textract keys, Rekognition labels)", items))
    rows.append(("Already downloaded", report.already_downloaded))
    if report.without_output:
        rows.append(("Stopped loops without output", len(report.without_output)))
    if report.refused:
        rows.append(("Stopped loops whose output S3 refused", len(report.refused)))
    rows += [
        (f"{status} loops (no answers)", count)
        for status, count in sorted(report.statuses.items())
        if status not in READ_STATUSES
    ]
    if report.errors:
        rows.append(("Outputs not readable", len(report.errors)))
    title = f"Results of {flow_name}"
    if report.interrupted:
        title += " (interrupted)"
    print_table(["", "count"], rows, title=title)
    typer.echo(f"Written to {out}")
    for failed in report.errors[:5]:
        typer.echo(f"  {failed.name}: {failed.error}")
    if len(report.errors) > 5:
        typer.echo(f"  ... and {len(report.errors) - 5} more")
    if report.refused:
        typer.echo(
            "S3 answered AccessDenied for the output of some Stopped loops: none was written "
            "(no worker had started), or you may not read it; with s3:ListBucket on the output "
            "prefix S3 says which. They are asked again next run."
        )
    if report.errors or report.interrupted:
        typer.echo("Run the same command again to fetch the rest.")


def results(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", dir_okay=False, help="results.jsonl or results.csv (appended to)."
        ),
    ],
    flow: FlowOption = None,
    stack: StackOption = None,
    construct: ConstructOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Loops created at or after: 2026-11-01, 12h, 7d."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Loops created before (same forms).")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Downloads at once.")
    ] = 8,
    expand: Annotated[
        Expand,
        typer.Option(
            "--expand",
            help="Textract and Rekognition answers as one row per form key or label: by the "
            "output's request source (auto), as one kind, or not (none).",
        ),
    ] = Expand.auto,
) -> None:
    """Download the human answers of Completed and Stopped loops from S3 (one row per answer)."""
    with cli_errors():
        aws = options(ctx)
        after = time_option(since, "--since")
        before = time_option(until, "--until")
        output_format(out)
        clients = Clients(aws, max_pool_connections=concurrency)
        resolved = resolve_flow(clients, flow, stack, construct)
        console = stderr_console()
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as progress:
            report = export_results(
                clients.a2i(resolved.region),
                clients.s3(),
                resolved.arn,
                out,
                since=after,
                until=before,
                concurrency=concurrency,
                progress=progress,
                expand=expand,
            )
        _print_summary(aws.output, report, resolved.name, out)
        if report.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if report.errors:
            raise typer.Exit(EXIT_PARTIAL)
