"""``a2i loops``: start, list, describe, stop and delete the human loops of a flow definition.

This module holds the five commands and their options; the work is done elsewhere:
:mod:`~constructs_a2i.cli._input` reads the input, :mod:`~constructs_a2i.cli._bulk_start` starts
the loops, :mod:`~constructs_a2i.cli._human_loops` lists, describes, stops and deletes them, and
:mod:`~constructs_a2i.cli._printing` prints the results.

``a2i loops start --flow FLOW --input items.jsonl`` starts one human loop per JSON line:

* **Idempotent.** Each loop's name comes from the item's id (``--id-field``) or, without one,
  from a hash of its content, and from the flow definition (the rule of
  :mod:`constructs_a2i.core.loop_names`, which the ``HumanLoopStarter`` Lambda function follows
  too). Running the command again, after an interruption or a failure, starts only what is
  missing: A2I answers ``ConflictException`` for names already used, counted as "already
  existed".
* **Fast and polite.** Calls run on ``--concurrency`` threads, spaced by a client-side rate
  limit (``--rate`` calls per second; unlimited by default), and throttling or server errors
  are retried with exponential backoff and full jitter.
* **Accountable.** A progress bar (on a terminal) and a summary: started, already existed,
  failed. Failed lines are written, each with a ``"__a2i_failure__"`` member saying why, to
  ``<input>.failed.jsonl``, which can be fed back as ``--input`` once fixed (that member is
  ignored on input). Ctrl-C stops cleanly and prints the summary of what was done.

Exit status: 0 when everything was started or existed, 3 when some lines failed, 130 after
Ctrl-C, 1 on an error (one line on stderr: unknown flow, no credentials, throttling that
outlasts the retries, malformed JSON Lines (NaN and Infinity included) with the line number,
...).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from botocore.exceptions import ClientError

from constructs_a2i.cli import _retry
from constructs_a2i.cli._aws import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    Clients,
    CliError,
    cli_errors,
    describe_error,
    options,
)
from constructs_a2i.cli._bulk_start import start_human_loops, write_failed_file
from constructs_a2i.cli._flow import ConstructOption, FlowOption, StackOption, resolve_flow
from constructs_a2i.cli._human_loops import (
    LIST_PAGE_SIZE_MAX,
    LoopAction,
    delete_loop,
    describe_human_loop,
    for_each_loop,
    iter_human_loops,
    stop_loop,
)
from constructs_a2i.cli._input import default_failed_path, read_items
from constructs_a2i.cli._printing import (
    StartProgress,
    print_actions,
    print_loop,
    print_loops,
    print_start_summary,
)
from constructs_a2i.cli._retry import error_code
from constructs_a2i.cli._time import time_option
from constructs_a2i.core.limits import CONTENT_CLASSIFIERS, MAX_CONCURRENCY_RANGE
from constructs_a2i.core.loop_names import PREFIX_MAX_LENGTH, check_loop_name_prefix
from constructs_a2i.core.paths import Path as FieldPath
from constructs_a2i.core.retry import DEFAULT_RETRY_POLICY
from constructs_a2i.core.statuses import LOOP_FINAL_STATUSES, LOOP_STATUSES

__all__ = ["SortOrder", "app"]

_DEFAULT_CONCURRENCY: Final = 10

app = typer.Typer(
    name="loops",
    help="Start, list, describe, stop and delete the human loops of a flow definition.",
    no_args_is_help=True,
)
"""The ``a2i loops`` command group."""


class SortOrder(enum.StrEnum):
    """Values of ``--sort``: by creation time, oldest (asc) or newest (desc) first."""

    asc = "asc"
    desc = "desc"


def _one_of(choices: Sequence[str]) -> Callable[[str], str]:
    """An option parser accepting one of ``choices`` (any case), returned as spelled there."""
    by_folded = {choice.casefold(): choice for choice in choices}

    def parse(value: str) -> str:
        found = by_folded.get(value.casefold())
        if found is None:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return found

    return parse


def _choices_metavar(choices: Sequence[str]) -> str:
    return "[" + "|".join(choices) + "]"


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
        list[str] | None,
        typer.Option(
            "--classifier",
            parser=_one_of(CONTENT_CLASSIFIERS),
            metavar=_choices_metavar(CONTENT_CLASSIFIERS),
            help="Content classifier (repeatable).",
        ),
    ] = None,
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix", help=f"Start every loop name with this (<= {PREFIX_MAX_LENGTH} chars)."
        ),
    ] = "",
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=MAX_CONCURRENCY_RANGE[0],
            max=MAX_CONCURRENCY_RANGE[1],
            help="Calls in flight at once.",
        ),
    ] = _DEFAULT_CONCURRENCY,
    max_attempts: Annotated[
        int | None,
        typer.Option(
            "--max-attempts",
            min=1,
            max=30,
            help="Attempts per loop on throttling or server errors "
            f"(default {DEFAULT_RETRY_POLICY.max_attempts}).",
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
            id_path = FieldPath.parse(id_field, "--id-field") if id_field else None
            content_path = (
                FieldPath.parse(input_path, "--input-path", allow_root=True) if input_path else None
            )
            check_loop_name_prefix("--prefix", prefix)
        except ValueError as error:
            raise CliError(str(error)) from None
        clients = Clients(aws, max_pool_connections=concurrency)
        resolved = resolve_flow(clients, flow, stack, construct, require_active=True)
        items = read_items(
            input_file, resolved.arn, id_field=id_path, input_path=content_path, prefix=prefix
        )
        policy = _retry.DEFAULT_POLICY
        if max_attempts is not None:
            policy = dataclasses.replace(policy, max_attempts=max_attempts)
        with StartProgress(len(items)) as progress:
            report = start_human_loops(
                clients.a2i(resolved.region),
                resolved.arn,
                items,
                rate=rate,
                concurrency=concurrency,
                classifiers=classifier or [],
                policy=policy,
                on_result=progress.on_result,
            )
            if report.interrupted or report.fatal is not None:
                progress.stopped()
        failed_path = failed_out or default_failed_path(input_file)
        kept, removed_stale = write_failed_file(report, input_file, failed_path)
        print_start_summary(
            aws.output, report, resolved.name, input_file, failed_path, kept, removed_stale
        )
        if report.fatal is not None:
            raise CliError(
                describe_error(report.fatal) + "; run the same command again to start the rest",
                EXIT_ERROR,
            )
        if report.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if report.failures():
            raise typer.Exit(EXIT_PARTIAL)


@app.command("list")
def list_loops(
    ctx: typer.Context,
    flow: FlowOption = None,
    stack: StackOption = None,
    construct: ConstructOption = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            parser=_one_of(LOOP_STATUSES),
            metavar=_choices_metavar(LOOP_STATUSES),
            help="Only this status (repeatable, any case).",
        ),
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
        int,
        typer.Option(
            "--page-size", min=1, max=LIST_PAGE_SIZE_MAX, help="Loops per ListHumanLoops call."
        ),
    ] = LIST_PAGE_SIZE_MAX,
) -> None:
    """List the human loops of a flow definition, newest first."""
    with cli_errors():
        aws = options(ctx)
        after = time_option(since, "--since")
        before = time_option(until, "--until")
        clients = Clients(aws)
        resolved = resolve_flow(clients, flow, stack, construct)
        wanted = set(status) if status else None
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
        print_loops(aws.output, loops, resolved.name)


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
            loop = describe_human_loop(client, name)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise CliError(f"human loop {name!r} not found (or deleted)") from None
            raise
        print_loop(aws.output, loop)


@app.command("stop")
def stop(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Human loop names.", metavar="NAME...")],
) -> None:
    """Stop human loops that are in progress (their tasks are withdrawn from the workers)."""
    with cli_errors():
        aws = options(ctx)
        client = Clients(aws).a2i()
        actions = for_each_loop(names, lambda name: stop_loop(client, name))
        if not print_actions(aws.output, actions, "stopped"):
            raise typer.Exit(EXIT_ERROR)


@app.command(
    "delete",
    help=f"Delete finished human loops ({', '.join(LOOP_FINAL_STATUSES)}); their S3 output stays.",
)
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
    """Delete finished human loops (in a final status); their S3 output stays."""
    with cli_errors():
        aws = options(ctx)
        client = Clients(aws).a2i()

        def delete_one(name: str) -> LoopAction:
            return delete_loop(client, name, stop_first=stop_first, wait_timeout=wait_timeout)

        actions = for_each_loop(names, delete_one)
        if not print_actions(aws.output, actions, "deleted"):
            raise typer.Exit(EXIT_ERROR)
