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

This module holds the command; :mod:`constructs_a2i.cli._download` downloads the outputs and
the file format is :mod:`constructs_a2i.cli._results_file`'s.

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
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from constructs_a2i.cli._aws import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    Clients,
    OutputFormat,
    cli_errors,
    options,
    print_json,
    print_table,
)
from constructs_a2i.cli._download import (
    READ_STATUSES,
    Expand,
    ExportReport,
    LoopOutput,
    download_outputs,
    download_progress,
)
from constructs_a2i.cli._flow import ConstructOption, FlowOption, StackOption, resolve_flow
from constructs_a2i.cli._results_file import (
    downloaded_names,
    output_format,
    write_rows,
)
from constructs_a2i.cli._time import time_option

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = [
    "READ_STATUSES",
    "Expand",
    "ExportReport",
    "LoopOutput",
    "download_outputs",
    "export_results",
    "results",
]


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
    report, fatal = download_outputs(
        a2i,
        s3,
        flow_definition_arn,
        since=since,
        until=until,
        concurrency=concurrency,
        progress=progress,
        expand=expand,
        skip=downloaded_names(out, fmt),
    )
    write_rows(out, fmt, [row for output in report.outputs for row in output.rows])
    if fatal is not None:
        raise fatal
    return report


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
        with download_progress() as progress:
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
