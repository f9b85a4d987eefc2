"""``a2i template``: check worker task templates and preview them in a browser.

``TEMPLATE`` is a template file, or ``builtin:<name>`` for a built-in template with
its example parameters (``builtin:text_classification``, ``builtin:image_classification``,
``builtin:text_correction``, ``builtin:key_value_review``). ``--input`` names a JSON
file holding a sample ``InputContent``: what the template sees as ``task.input``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from constructs_a2i.cli.preview_server import PreviewServer
from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES
from constructs_a2i.templates.check import find_problems
from constructs_a2i.templates.preview import error_page, render_preview
from constructs_a2i.templates.problems import TemplateError, TemplateProblem

__all__ = ["app", "check", "preview"]

BUILTIN_PREFIX = "builtin:"

app = typer.Typer(
    name="template",
    help="Check worker task templates and preview them in a browser.",
    no_args_is_help=True,
)
"""The ``a2i template`` Typer app."""

TemplateArgument = Annotated[
    str,
    typer.Argument(
        metavar="TEMPLATE",
        help="A template file (HTML/Liquid), or builtin:NAME for a built-in template "
        f"({', '.join(BUILTIN_TEMPLATES)}).",
        show_default=False,
    ),
]
InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help="A JSON file with a sample InputContent (the template's task.input).",
        dir_okay=False,
        show_default=False,
    ),
]


def _out() -> Console:
    return Console(markup=False, highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


class _InputProblem(Exception):
    """A file the command was given cannot be used."""


@dataclass(frozen=True)
class _Loaded:
    name: str
    source: str
    sample: dict[str, Any] | None
    sample_name: str | None
    watched: tuple[Path, ...]


def _load_sample(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise _InputProblem(f"{path}: cannot read the sample input: {err.strerror}") from err
    try:
        sample = json.loads(text)
    except json.JSONDecodeError as err:
        raise _InputProblem(
            f"{path}:{err.lineno}:{err.colno}: the sample input is not valid JSON: {err.msg}"
        ) from err
    if not isinstance(sample, dict):
        raise _InputProblem(
            f"{path}: the sample input must be a JSON object (the human loop's InputContent); "
            f"got a {type(sample).__name__}"
        )
    return sample


def _load(template: str, input_path: Path | None) -> _Loaded:
    sample = _load_sample(input_path) if input_path is not None else None
    sample_name = str(input_path) if input_path is not None else None
    watched: list[Path] = [input_path] if input_path is not None else []
    if template.startswith(BUILTIN_PREFIX):
        key = template[len(BUILTIN_PREFIX) :]
        if key not in BUILTIN_TEMPLATES:
            raise _InputProblem(
                f"{template}: no such built-in template; choose one of "
                + ", ".join(BUILTIN_PREFIX + name for name in BUILTIN_TEMPLATES)
            )
        built = BUILTIN_TEMPLATES[key]()
        if sample is None:
            sample, sample_name = dict(built.sample_input), f"the {key} example input"
        return _Loaded(template, built.content, sample, sample_name, tuple(watched))
    path = Path(template)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise _InputProblem(f"{template}: no such template file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise _InputProblem(f"{template}: cannot read the template: {err}") from err
    return _Loaded(template, source, sample, sample_name, (path, *watched))


def _describe(name: str, problem: TemplateProblem) -> str:
    where = name
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    return f"{where}: error: {problem.message}"


def _report(name: str, problems: list[TemplateProblem]) -> None:
    err = _err()
    for problem in problems:
        err.print(_describe(name, problem))
    noun = "problem" if len(problems) == 1 else "problems"
    err.print(f"{name}: {len(problems)} {noun} found", style="bold red")


def _fail_on_input(problem: _InputProblem) -> typer.Exit:
    _err().print(f"error: {problem}", style="red")
    return typer.Exit(1)


@app.command()
def check(template: TemplateArgument, input: InputOption = None) -> None:
    """Check TEMPLATE as `cdk synth` does; exit status 1 and one line per problem.

    Always checked: Liquid syntax, a <crowd-form>, the size (128000 characters at
    most) and the filters. With --input, also: every task.input path the template uses
    exists in the sample, and the template renders with it.
    """
    try:
        loaded = _load(template, input)
    except _InputProblem as problem:
        raise _fail_on_input(problem) from None
    problems = find_problems(loaded.source, loaded.sample)
    if problems:
        _report(loaded.name, problems)
        raise typer.Exit(1)
    what = (
        f"task.input paths checked against {loaded.sample_name}"
        if loaded.sample is not None
        else "syntax only: give --input sample.json to check the task.input paths too"
    )
    _out().print(f"{loaded.name}: OK ({what})")


def _default_out(template: str) -> Path:
    if template.startswith(BUILTIN_PREFIX):
        return Path(f"{template[len(BUILTIN_PREFIX) :]}.preview.html")
    path = Path(template)
    return path.with_name(f"{path.stem}.preview.html")


@app.command()
def preview(
    template: TemplateArgument,
    input: InputOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the page. Default: TEMPLATE's name with .preview.html.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Serve the preview on 127.0.0.1 instead, re-rendering it whenever "
            "the template or the sample changes (the page reloads by itself).",
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option("--port", help="The port for --serve; 0 picks a free one.", min=0, max=65535),
    ] = 0,
) -> None:
    """Render TEMPLATE with a sample input into a standalone HTML page.

    S3 objects passed to grant_read_access get a visibly fake presigned URL and show
    as placeholders. Open the page in a browser, or use --serve.
    """
    if input is None and not template.startswith(BUILTIN_PREFIX):
        _err().print(
            "error: preview needs --input sample.json: a JSON object with the fields the "
            "template reads as task.input",
            style="red",
        )
        raise typer.Exit(2)
    if serve:
        _serve(template, input, port)
        return
    try:
        loaded = _load(template, input)
    except _InputProblem as problem:
        raise _fail_on_input(problem) from None
    assert loaded.sample is not None
    problems = find_problems(loaded.source, loaded.sample)
    if problems:
        _report(loaded.name, problems)
        raise typer.Exit(1)
    page = render_preview(
        loaded.source,
        loaded.sample,
        template_name=loaded.name,
        input_name=loaded.sample_name or "the sample input",
    )
    target = out if out is not None else _default_out(template)
    target.write_text(page, encoding="utf-8")
    _out().print(f"Wrote {target}: open {target.resolve().as_uri()} in a browser.")


def _serve(template: str, input_path: Path | None, port: int) -> None:
    def build(reload_url: str, version: str) -> tuple[int, str]:
        try:
            loaded = _load(template, input_path)
        except _InputProblem as problem:
            error = TemplateError([TemplateProblem(str(problem))], name=template)
            return HTTPStatus.INTERNAL_SERVER_ERROR, error_page(
                error, template_name=template, reload_url=reload_url, version=version
            )
        assert loaded.sample is not None
        problems = find_problems(loaded.source, loaded.sample)
        if problems:
            error = TemplateError(problems, name=loaded.name)
            return HTTPStatus.INTERNAL_SERVER_ERROR, error_page(
                error, template_name=loaded.name, reload_url=reload_url, version=version
            )
        return HTTPStatus.OK, render_preview(
            loaded.source,
            loaded.sample,
            template_name=loaded.name,
            input_name=loaded.sample_name or "the sample input",
            reload_url=reload_url,
            version=version,
        )

    watched = [Path(template)] if not template.startswith(BUILTIN_PREFIX) else []
    if input_path is not None:
        watched.append(input_path)
    try:
        server = PreviewServer(build, watched, port=port)
    except OSError as err:
        _err().print(f"error: cannot listen on 127.0.0.1:{port}: {err.strerror}", style="red")
        raise typer.Exit(1) from None
    _out().print(
        f"Serving the preview of {template} at {server.url} "
        "(it re-renders when the files change; Ctrl+C stops)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _out().print("Stopped.")
