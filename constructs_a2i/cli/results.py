"""``a2i results``: export the human answers of finished loops to JSON Lines or CSV.

For every Completed human loop of the flow definition (created in ``--since``/``--until``), the
command reads the loop's ``output.json`` from S3 (DescribeHumanLoop gives its location) and
writes **one row per human answer**: the loop's name and creation time, the output's S3 URI,
the worker id, acceptance and submission times, time spent, the answer and the loop's input.

* ``--out results.jsonl``: one JSON object per row; ``answerContent`` and ``inputContent`` stay
  JSON objects. Rows of new loops are appended.
* ``--out results.csv``: the answer is flattened into ``answer.<path>`` columns
  (``answer.sentiment.label``); ``inputContent`` is a JSON text column. The file is rewritten
  (atomically) with the union of the columns. Text that a spreadsheet would run as a formula is
  neutralised (:mod:`constructs_a2i.cli._results_file` says how).

This module downloads the outputs and holds the command; the file format is
:mod:`constructs_a2i.cli._results_file`'s.

Loops already in the file (by ``humanLoopName``) are skipped, so running the command again
downloads only new results. Failed, Stopped and in-progress loops have no answers; the summary
counts them. A Completed loop whose output has no answers gets one row with empty answer
fields, so it is not downloaded again.

An output that cannot be read fails its loop alone: missing, not JSON, not an object, or nested
deeper than :data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels (read as
:mod:`constructs_a2i.core.output_json` says, never into a ``RecursionError``). The summary names
the loop and why, the other loops are written, and the next run tries that loop again.

Exit status: 0, or 3 when some outputs could not be read (the summary says why), 130 after
Ctrl-C (rows downloaded so far are written), 1 on an error.
"""

from __future__ import annotations

import datetime as dt
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
    output_format,
    write_rows,
)
from constructs_a2i.cli._retry import call_with_retries, error_code
from constructs_a2i.cli._time import time_option
from constructs_a2i.core.output_json import OutputDocumentError, parse_output
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.core.statuses import LOOP_COMPLETED

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = ["ExportReport", "LoopOutput", "export_results", "results"]


@dataclass(slots=True)
class LoopOutput:
    """The downloaded answers of one Completed loop (or why they could not be read)."""

    name: str
    """The human loop name."""
    creation_time: str | None
    """When the loop was created (ISO 8601)."""
    rows: list[dict[str, Any]] = field(default_factory=list)
    """Its answer rows."""
    error: str | None = None
    """Why its output could not be read, if it could not."""


@dataclass(slots=True)
class ExportReport:
    """The outcome of :func:`export_results`."""

    statuses: dict[str, int]
    """Loops listed, per HumanLoopStatus."""
    already_downloaded: int
    """Completed loops skipped because the file has them."""
    outputs: list[LoopOutput]
    """The Completed loops read in this run, oldest first."""
    interrupted: bool = False
    """True after Ctrl-C."""

    @property
    def exported(self) -> list[LoopOutput]:
        """Loops whose answers were written."""
        return [output for output in self.outputs if output.error is None]

    @property
    def errors(self) -> list[LoopOutput]:
        """Loops whose output could not be read."""
        return [output for output in self.outputs if output.error is not None]


def _download(a2i: AugmentedAIRuntimeClient, s3: S3Client, summary: dict[str, Any]) -> LoopOutput:
    name = str(summary["HumanLoopName"])
    created = to_jsonable(summary.get("CreationTime"))
    result = LoopOutput(name=name, creation_time=created)
    try:
        described = describe_human_loop(a2i, name)
        uri = (described.get("HumanLoopOutput") or {}).get("OutputS3Uri")
        if not uri:
            result.error = "DescribeHumanLoop gives no output location"
            return result
        bucket, key = parse_s3_uri(uri, "OutputS3Uri")
        response, _ = call_with_retries(lambda: s3.get_object(Bucket=bucket, Key=key))
        body = response["Body"].read()
    except ClientError as error:
        if is_fatal(error):
            raise
        if error_code(error) in {"NoSuchKey", "404"}:
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
    result.rows = answer_rows(document, loop_name=name, output_uri=uri, creation_time=created)
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
) -> ExportReport:
    """Download the answers of new Completed loops of a flow definition into ``out``."""
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
        if status != LOOP_COMPLETED:
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
    futures = [pool.submit(_guarded, stop, a2i, s3, summary) for summary in todo]
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
) -> LoopOutput | None:
    if stop.is_set():
        return None
    return _download(a2i, s3, summary)


def _print_summary(output: OutputFormat, report: ExportReport, flow_name: str, out: Path) -> None:
    exported = report.exported
    answers = sum(1 for loop in exported for row in loop.rows if row.get("answerIndex") is not None)
    if output is OutputFormat.json:
        print_json(
            {
                "out": str(out),
                "loops": report.statuses,
                "exportedLoops": len(exported),
                "answers": answers,
                "alreadyDownloaded": report.already_downloaded,
                "errors": [{"humanLoopName": o.name, "error": o.error} for o in report.errors],
                "interrupted": report.interrupted,
            }
        )
        return
    rows: list[tuple[str, Any]] = [
        ("Completed loops exported", len(exported)),
        ("Answers written", answers),
        ("Already downloaded", report.already_downloaded),
    ]
    rows += [
        (f"{status} loops (no answers)", count)
        for status, count in sorted(report.statuses.items())
        if status != LOOP_COMPLETED
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
) -> None:
    """Download the human answers of Completed loops from S3 (one row per answer)."""
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
            )
        _print_summary(aws.output, report, resolved.name, out)
        if report.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if report.errors:
            raise typer.Exit(EXIT_PARTIAL)
