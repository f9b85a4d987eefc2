"""What the ``a2i loops`` commands print: progress, summaries and tables, or JSON for scripts.

Progress bars go to stderr and are drawn only on a terminal; results go to stdout as a table
(``--output table``, the default) or as JSON (``--output json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from constructs_a2i.cli._aws import OutputFormat, print_json, print_table, stderr_console
from constructs_a2i.cli._bulk_start import (
    ALREADY_EXISTED,
    CONFLICT,
    DUPLICATE,
    FAILED,
    NOT_ATTEMPTED,
    STARTED,
    StartReport,
    StartResult,
)
from constructs_a2i.cli._human_loops import LoopAction

__all__ = [
    "StartProgress",
    "counts_text",
    "print_actions",
    "print_loop",
    "print_loops",
    "print_start_summary",
]


def counts_text(counts: dict[str, int]) -> str:
    """The progress bar's running counts: ``3 started · 1 existed · 0 failed``, and
    ``· 2 conflicts`` once there are any."""
    text = (
        f"{counts.get(STARTED, 0)} started · {counts.get(ALREADY_EXISTED, 0)} existed · "
        f"{counts.get(FAILED, 0)} failed"
    )
    if counts.get(CONFLICT):
        text += f" · {counts[CONFLICT]} conflicts"
    return text


class StartProgress:
    """The progress bar of ``a2i loops start``: ``with StartProgress(total) as progress:``, then
    :meth:`on_result` for each settled line."""

    def __init__(self, total: int) -> None:
        console = stderr_console()
        self._progress = Progress(
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
        self._task = self._progress.add_task("Starting human loops", total=total, counts="")
        self._counts: dict[str, int] = {}

    def __enter__(self) -> StartProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def on_result(self, result: StartResult) -> None:
        """Count ``result`` (lines not attempted do not advance the bar)."""
        self._counts[result.outcome] = self._counts.get(result.outcome, 0) + 1
        done = 0 if result.outcome == NOT_ATTEMPTED else 1
        self._progress.update(self._task, advance=done, counts=counts_text(self._counts))

    def stopped(self) -> None:
        """Say the run stopped early."""
        self._progress.update(self._task, description="Stopped")


def print_start_summary(
    output: OutputFormat,
    report: StartReport,
    flow_name: str,
    input_file: Path,
    failed_path: Path,
    failures: Sequence[StartResult],
    removed_stale: bool,
) -> None:
    """The summary of ``a2i loops start``: counts, the commonest failure reasons, what next.

    Conflicts (an id in use with other content) are counted apart from duplicates and named by
    line: they are not started, and running again does not change that.
    """
    total = len(report.results)
    conflicts = report.conflicts()
    rate = report.count(STARTED) / report.elapsed_seconds if report.elapsed_seconds else 0.0
    if output is OutputFormat.json:
        print_json(
            {
                "flowDefinitionArn": report.flow_definition_arn,
                "lines": total,
                "started": report.count(STARTED),
                "alreadyExisted": report.count(ALREADY_EXISTED),
                "conflicts": len(conflicts),
                "conflictLines": [result.item.line for result in conflicts],
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
    if conflicts:
        rows.append(("Conflicts (id in use, other input)", len(conflicts)))
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
    if conflicts:
        shown = ", ".join(str(result.item.line) for result in conflicts[:10])
        more = f" and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
        typer.echo(
            f"Not started, their loop name (--id-field) being in use with different input: "
            f"line{'s' if len(conflicts) > 1 else ''} {shown}{more}. Give them new ids to "
            "review them."
        )
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


def print_loops(output: OutputFormat, loops: Sequence[dict[str, Any]], flow_name: str) -> None:
    """``a2i loops list``'s human loop summaries."""
    if output is OutputFormat.json:
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
        title=f"Human loops of {flow_name} ({len(loops)})",
    )


def print_loop(output: OutputFormat, loop: dict[str, Any]) -> None:
    """``a2i loops describe``'s one human loop."""
    if output is OutputFormat.json:
        print_json(loop)
        return
    loop_output = loop.get("HumanLoopOutput") or {}
    rows = [
        ("Name", loop.get("HumanLoopName")),
        ("Status", loop.get("HumanLoopStatus")),
        ("Created", loop.get("CreationTime")),
        ("ARN", loop.get("HumanLoopArn")),
        ("Flow definition", loop.get("FlowDefinitionArn")),
        ("Failure code", loop.get("FailureCode")),
        ("Failure reason", loop.get("FailureReason")),
        ("Output", loop_output.get("OutputS3Uri")),
    ]
    print_table(["Field", "Value"], [row for row in rows if row[1] is not None])


def print_actions(output: OutputFormat, actions: Sequence[LoopAction], verb: str) -> bool:
    """What ``a2i loops stop``/``delete`` did to each loop; on stderr, one line about the loops
    that were not ``verb`` (e.g. ``stopped``). Return True when every action succeeded."""
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
    return not refused
