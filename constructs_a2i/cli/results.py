"""``a2i results``: export the human answers of finished loops to JSON Lines or CSV.

For every Completed human loop of the flow definition (created in ``--since``/``--until``), the
command reads the loop's ``output.json`` from S3 (DescribeHumanLoop gives its location) and
writes **one row per human answer**: the loop's name and creation time, the output's S3 URI,
the worker id, acceptance and submission times, time spent, the answer and the loop's input.

* ``--out results.jsonl``: one JSON object per row; ``answerContent`` and ``inputContent`` stay
  JSON objects. Rows of new loops are appended.
* ``--out results.csv``: the answer is flattened into ``answer.<path>`` columns
  (``answer.sentiment.label``); ``inputContent`` is a JSON text column. The file is rewritten
  (atomically) with the union of the columns.

Loops already in the file (by ``humanLoopName``) are skipped, so running the command again
downloads only new results. Failed, Stopped and in-progress loops have no answers; the summary
counts them. A Completed loop whose output has no answers gets one row with empty answer
fields, so it is not downloaded again.

Exit status: 0, or 3 when some outputs could not be read (the summary says why), 130 after
Ctrl-C (rows downloaded so far are written), 1 on an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

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
    CliError,
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
from constructs_a2i.cli._retry import call_with_retries, error_code
from constructs_a2i.cli._time import time_option
from constructs_a2i.cli.loops import iter_human_loops

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = [
    "ANSWER_PREFIX",
    "BASE_COLUMNS",
    "ExportReport",
    "LoopOutput",
    "answer_rows",
    "downloaded_names",
    "export_results",
    "flatten",
    "output_format",
    "parse_s3_uri",
    "results",
    "write_rows",
]

BASE_COLUMNS: Final = (
    "humanLoopName",
    "loopCreationTime",
    "flowDefinitionArn",
    "outputS3Uri",
    "answerIndex",
    "workerId",
    "acceptanceTime",
    "submissionTime",
    "timeSpentInSeconds",
)
"""The scalar columns every row has, in file order (then answers, then ``inputContent``)."""
ANSWER_PREFIX: Final = "answer."
"""CSV columns of the flattened ``answerContent`` start with this."""
_FORMATS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def output_format(path: Path) -> str:
    """``jsonl`` or ``csv`` from the file name; raise CliError for anything else."""
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise CliError(f"--out {path}: use a .jsonl or .csv file name")
    return found


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://bucket/key``; raise ValueError otherwise."""
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ValueError(f"{uri!r} has no bucket or key")
    return bucket, key


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Objects flattened to dotted keys under ``prefix``; arrays become JSON text."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}"))
        return flat if flat else {prefix: "{}"}
    if isinstance(value, list):
        return {prefix: json.dumps(value, ensure_ascii=False, separators=(",", ":"))}
    return {prefix: value}


def answer_rows(
    document: dict[str, Any],
    *,
    loop_name: str,
    output_uri: str,
    creation_time: str | None,
) -> list[dict[str, Any]]:
    """One row per entry of ``humanAnswers`` in an A2I ``output.json`` document.

    A document without answers gives one row with empty answer fields.
    """
    common = {
        "humanLoopName": document.get("humanLoopName") or loop_name,
        "loopCreationTime": creation_time,
        "flowDefinitionArn": document.get("flowDefinitionArn"),
        "outputS3Uri": output_uri,
    }
    answers = document.get("humanAnswers")
    if not isinstance(answers, list) or not answers:
        answers = [None]
    rows: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        entry = answer if isinstance(answer, dict) else {}
        rows.append(
            {
                **common,
                "answerIndex": index if answer is not None else None,
                "workerId": entry.get("workerId"),
                "acceptanceTime": entry.get("acceptanceTime"),
                "submissionTime": entry.get("submissionTime"),
                "timeSpentInSeconds": entry.get("timeSpentInSeconds"),
                "answerContent": entry.get("answerContent"),
                "inputContent": document.get("inputContent"),
            }
        )
    return rows


def downloaded_names(path: Path, fmt: str) -> set[str]:
    """The ``humanLoopName`` of every row already in ``path`` (empty if it does not exist)."""
    if not path.exists():
        return set()
    names: set[str] = set()
    with path.open(encoding="utf-8", newline="") as stream:
        if fmt == "csv":
            reader = csv.DictReader(stream)
            if reader.fieldnames is not None and "humanLoopName" not in reader.fieldnames:
                raise CliError(f"{path} has no humanLoopName column: is it an a2i results file?")
            names.update(row["humanLoopName"] for row in reader if row.get("humanLoopName"))
            return names
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CliError(
                    f"{path}:{number}: not valid JSON ({error.msg}); fix or remove that line"
                ) from None
            if isinstance(row, dict) and isinstance(row.get("humanLoopName"), str):
                names.add(row["humanLoopName"])
    return names


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {key: row.get(key) for key in BASE_COLUMNS}
    answer = row.get("answerContent")
    if answer is not None:
        flat.update(flatten(answer, ANSWER_PREFIX.rstrip(".")))
    content = row.get("inputContent")
    flat["inputContent"] = (
        None if content is None else json.dumps(content, ensure_ascii=False, sort_keys=True)
    )
    return flat


def write_rows(path: Path, fmt: str, rows: Sequence[dict[str, Any]]) -> None:
    """Add ``rows`` to ``path``: appended JSON Lines, or a CSV rewritten atomically."""
    if not rows:
        return
    if fmt == "jsonl":
        with path.open("a", encoding="utf-8") as stream:
            stream.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        return
    existing: list[dict[str, Any]] = []
    columns: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            columns = list(reader.fieldnames or [])
            existing = list(reader)
    new = [_csv_row(row) for row in rows]
    known = set(columns)
    extra = sorted({key for row in new for key in row if key not in known})
    if not columns:
        answers = sorted(key for key in extra if key.startswith(ANSWER_PREFIX))
        columns = [*BASE_COLUMNS, *answers, "inputContent"]
        columns += [key for key in extra if key not in columns]
    else:
        # New answer columns go before inputContent when it is last.
        if columns and columns[-1] == "inputContent":
            columns = [*columns[:-1], *extra, "inputContent"]
        else:
            columns += extra
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(existing)
        writer.writerows(new)
    os.replace(temporary, path)


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
        described, _ = call_with_retries(lambda: a2i.describe_human_loop(HumanLoopName=name))
        uri = (described.get("HumanLoopOutput") or {}).get("OutputS3Uri")
        if not uri:
            result.error = "DescribeHumanLoop gives no output location"
            return result
        bucket, key = parse_s3_uri(uri)
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
        document = json.loads(body)
    except ValueError as error:
        result.error = f"{uri} is not JSON: {error}"
        return result
    if not isinstance(document, dict):
        result.error = f"{uri} is not an A2I output document"
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
        if status != "Completed":
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
        if status != "Completed"
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
