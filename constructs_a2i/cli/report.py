"""``a2i report``: what the human reviews say about the model, as one HTML page or as JSON.

The history comes from the flow itself (``--flow``, or ``--stack``/``--construct``: every loop
listed, the answers of Completed and Stopped loops downloaded from S3 with a progress bar,
exactly as ``a2i results`` reads them, :mod:`constructs_a2i.cli._download`) or from a results
file ``a2i results`` wrote (``--from results.jsonl``). ``--since``/``--until`` keep the loops
created in that period.

The figures are :mod:`constructs_a2i.report`'s: volume and backlog per day, time to complete
and time per task, the model against the reviewers (with ``--prediction-path`` and
``--answer-path``; ``--confidence-path`` adds the calibration view), agreement between
reviewers, per reviewer (``--anonymize`` for pseudonyms) and the public crowd's cost (the
flow's price, or ``--price`` for a file). ``--format html`` (the default, unless ``--out`` ends
in ``.json``) writes a self-contained page; ``--format json`` the same figures as JSON.

Plotly and statsmodels (the ``report`` extra) are imported only when this command runs.

Exit status: 0; 3 when some outputs could not be read or some rows were skipped (the report
lists them); 130 after Ctrl-C (nothing written); 1 on an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib.util
import json
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from constructs_a2i.cli._aws import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    Clients,
    CliError,
    OutputFormat,
    cli_errors,
    options,
    print_json,
)
from constructs_a2i.cli._download import download_outputs, download_progress
from constructs_a2i.cli._flow import ConstructOption, FlowOption, StackOption, resolve_flow
from constructs_a2i.cli._time import time_option
from constructs_a2i.core import untrusted_json
from constructs_a2i.report.figures import Source, compute_figures, price_usd
from constructs_a2i.report.history import History, Loop, Paths, Unreadable, build_history

__all__ = ["REPORT_PACKAGES", "ReportFormat", "read_results_file", "report"]

REPORT_PACKAGES = ("plotly", "statsmodels")
"""What ``a2i report`` needs beyond the ``cli`` extra (the ``report`` extra installs them)."""


class ReportFormat(enum.StrEnum):
    """``--format``: a self-contained HTML page, or the figures as JSON."""

    html = "html"
    json = "json"


def read_results_file(path: Path) -> list[tuple[int, Any]]:
    """The rows of a JSON Lines results file, numbered by line; a line that is not JSON is an
    :class:`~constructs_a2i.report.history.Unreadable` row (reported, not raised)."""
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        raise CliError(
            f"--from {path}: use a JSON Lines results file (a2i results --out results.jsonl)"
        )
    try:
        stream = path.open(encoding="utf-8", errors="replace")
    except OSError as error:
        raise CliError(f"--from {path}: {error.strerror or error}") from None
    rows: list[tuple[int, Any]] = []
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, untrusted_json.loads(line)))
            except untrusted_json.JsonTooDeepError as error:
                rows.append((number, Unreadable(str(error))))
            except ValueError as error:
                message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
                rows.append((number, Unreadable(f"not valid JSON ({message})")))
    return rows


def _check_packages() -> None:
    missing = [name for name in REPORT_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise CliError(
            f"a2i report needs {' and '.join(missing)}: pip install 'constructs-a2i[report]'"
        )


def _price_option(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        price = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        raise typer.BadParameter(
            f"{value!r} is not an amount in USD", param_hint="--price"
        ) from None
    if not price.is_finite() or price < 0 or price > 1000:
        raise typer.BadParameter(f"{value!r} is not a price per task in USD", param_hint="--price")
    return price


def _from_flow(
    ctx: typer.Context,
    flows: tuple[str | None, str | None, str | None],
    window: tuple[dt.datetime | None, dt.datetime | None],
    paths: Paths,
    concurrency: int,
) -> tuple[History, Source]:
    aws = options(ctx)
    clients = Clients(aws, max_pool_connections=concurrency)
    resolved = resolve_flow(clients, *flows)
    since, until = window
    with download_progress() as progress:
        exported, fatal = download_outputs(
            clients.a2i(resolved.region),
            clients.s3(),
            resolved.arn,
            since=since,
            until=until,
            concurrency=concurrency,
            progress=progress,
        )
    if fatal is not None:
        raise fatal
    if exported.interrupted:
        typer.echo("Interrupted: no report written.", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    rows = [row for output in exported.outputs for row in output.rows]
    loops = [
        Loop(
            name=str(summary["HumanLoopName"]),
            created=summary.get("CreationTime"),
            status=str(summary.get("HumanLoopStatus")),
        )
        for summary in exported.loops
    ]
    history = build_history(enumerate(rows, start=1), paths=paths, loops=loops)
    source = Source(
        flow=resolved.name,
        since=since,
        until=until,
        price_usd=price_usd(resolved.task_price),
        task_count=resolved.task_count,
        errors=tuple(f"{output.name}: {output.error}" for output in exported.errors),
    )
    return history, source


def _write(out: Path, text: str) -> None:
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, out)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CliError(f"--out {out}: {error.strerror or error}") from None


def report(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", dir_okay=False, help="report.html, or report.json.")
    ],
    flow: FlowOption = None,
    stack: StackOption = None,
    construct: ConstructOption = None,
    results_file: Annotated[
        Path | None,
        typer.Option(
            "--from", dir_okay=False, help="A results.jsonl written by a2i results, not the flow."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Loops created at or after: 2026-11-01, 12h, 7d."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Loops created before (same forms).")
    ] = None,
    report_format: Annotated[
        ReportFormat | None,
        typer.Option("--format", help="html (default; json when --out ends in .json) or json."),
    ] = None,
    prediction_path: Annotated[
        str | None,
        typer.Option(help="The model's label in the loop's input, e.g. prediction.label."),
    ] = None,
    answer_path: Annotated[
        str | None,
        typer.Option(help="The reviewer's label in the answer, e.g. category.label."),
    ] = None,
    confidence_path: Annotated[
        str | None,
        typer.Option(help="The model's confidence (0..1) in the input, e.g. prediction.score."),
    ] = None,
    anonymize: Annotated[
        bool, typer.Option("--anonymize", help="Reviewers as reviewer-001, ... not workerId.")
    ] = False,
    price: Annotated[
        str | None,
        typer.Option("--price", help="USD per task, for the cost (default: the flow's price)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Downloads at once.")
    ] = 8,
) -> None:
    """Report volume, time, agreement, reviewers and cost of a flow's reviews (HTML or JSON)."""
    with cli_errors():
        aws = options(ctx)
        after = time_option(since, "--since")
        before = time_option(until, "--until")
        fixed_price = _price_option(price)
        fmt = report_format or (
            ReportFormat.json if out.suffix.lower() == ".json" else ReportFormat.html
        )
        paths = Paths(prediction=prediction_path, answer=answer_path, confidence=confidence_path)
        if results_file is not None and (flow or stack or construct):
            raise CliError("pass either --from FILE or --flow/--stack, not both")
        _check_packages()
        if results_file is not None:
            history = build_history(
                read_results_file(results_file), paths=paths, since=after, until=before
            )
            source = Source(results_file=results_file.name, since=after, until=before)
        else:
            history, source = _from_flow(
                ctx, (flow, stack, construct), (after, before), paths, concurrency
            )
        if fixed_price is not None:
            source = dataclasses.replace(source, price_usd=fixed_price)
        figures = compute_figures(history, source, anonymize=anonymize)
        if fmt is ReportFormat.json:
            text = json.dumps(figures, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        else:
            from constructs_a2i.report.render import render_html

            text = render_html(figures)
        _write(out, text)
        totals = figures["totals"]
        if aws.output is OutputFormat.json:
            print_json({"out": str(out), "format": fmt.value, **totals})
        else:
            typer.echo(
                f"Report written to {out}: {totals['loops']:,} loops, "
                f"{totals['answers']:,} answers"
                + (
                    f"; {totals['problems'] + totals['unreadableOutputs']:,} problem(s), "
                    "listed in the report"
                    if totals["problems"] or totals["unreadableOutputs"]
                    else ""
                )
            )
        if totals["unreadableOutputs"] or totals["skippedRows"]:
            raise typer.Exit(EXIT_PARTIAL)
