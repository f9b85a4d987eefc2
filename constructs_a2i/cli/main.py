"""The ``a2i`` command: a thin registry of sub-command groups.

Each group is a Typer app in its own module; add a new one with ``app.add_typer``.
"""

from __future__ import annotations

import typer

from constructs_a2i.cli import loops, report, results, template
from constructs_a2i.cli._aws import global_options

__all__ = ["app", "main"]

app = typer.Typer(
    name="a2i",
    help="Tools for Amazon A2I human review workflows built with constructs_a2i.",
    no_args_is_help=True,
    add_completion=False,
)
"""The ``a2i`` Typer app."""

app.callback()(global_options)  # --region, --profile, --endpoint-url, --output
app.add_typer(template.app, name="template")
app.add_typer(loops.app, name="loops")
app.command("results")(results.results)
app.command("report")(report.report)


def main() -> None:
    """Run the ``a2i`` command (the console-script entry point)."""
    app()


if __name__ == "__main__":
    main()
