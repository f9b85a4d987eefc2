"""Downloading the answers of a flow's finished loops: what ``a2i results`` and ``a2i report`` read.

:func:`download_outputs` lists the flow's human loops (ListHumanLoops, ``--since``/``--until``)
and, for every Completed or Stopped loop, reads its ``output.json`` from S3 (DescribeHumanLoop
gives its location) into rows (:func:`constructs_a2i.cli._results_file.answer_rows`), in
parallel, with a progress bar. :mod:`constructs_a2i.cli.results` says what is read and how each
failure is handled; it writes the rows to a file, ``a2i report`` draws them.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from constructs_a2i.cli._aws import describe_error, is_fatal, stderr_console, to_jsonable
from constructs_a2i.cli._human_loops import describe_human_loop, iter_human_loops
from constructs_a2i.cli._results_file import answer_rows, loop_row
from constructs_a2i.cli._retry import call_with_retries, error_code
from constructs_a2i.core.output_json import OutputDocumentError, parse_output
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.core.statuses import LOOP_COMPLETED, LOOP_STOPPED

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = [
    "READ_STATUSES",
    "Expand",
    "ExportReport",
    "LoopOutput",
    "download_outputs",
    "download_progress",
]

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
    loops: list[dict[str, Any]] = field(default_factory=list)
    """Every loop listed (ListHumanLoops' summaries), whatever its status, oldest first."""

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


def download_progress() -> Progress:
    """The progress bar of a download (on stderr, and only when it is a terminal)."""
    console = stderr_console()
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def download_outputs(
    a2i: AugmentedAIRuntimeClient,
    s3: S3Client,
    flow_definition_arn: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    concurrency: int = 8,
    progress: Progress | None = None,
    expand: Expand = Expand.auto,
    skip: Collection[str] = frozenset(),
) -> tuple[ExportReport, BaseException | None]:
    """List the flow's loops and download the answers of its Completed and Stopped loops
    whose names are not in ``skip``, in memory.

    Returns the report (every listed loop in :attr:`ExportReport.loops`) and the fatal error
    (credentials, access) that stopped the downloads, if one did: the outputs read before it
    are in the report, for the caller to keep before raising it.
    """
    statuses: dict[str, int] = {}
    listed: list[dict[str, Any]] = []
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
        listed.append(summary)
        if status not in READ_STATUSES:
            continue
        if summary["HumanLoopName"] in skip:
            skipped += 1
        else:
            todo.append(summary)

    task = None
    if progress is not None and listing is not None:
        progress.update(listing, total=len(listed), completed=len(listed))
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
    report = ExportReport(
        statuses=statuses,
        already_downloaded=skipped,
        outputs=outputs,
        interrupted=interrupted,
        loops=listed,
    )
    return report, fatal


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
