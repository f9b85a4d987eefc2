"""``a2i template``: check worker task templates and preview them in a browser.

``TEMPLATE`` is a template file, or ``builtin:<name>`` for a built-in template with
its example parameters (``builtin:text_classification``, ``builtin:image_classification``,
``builtin:text_correction``, ``builtin:key_value_review``). ``check`` takes any number of
them, and directories (every ``*.html`` and ``*.liquid`` file inside, at any depth) and
glob patterns (``'templates/**/*.html'``, for shells that pass them on unexpanded); both
leave out the ``*.preview.html`` pages ``preview`` writes. ``--input`` names a JSON file
holding a sample ``InputContent``: what the template sees as ``task.input``.

Start-up matters in CI: the template engine (python-liquid), the preview page and its web
server are imported only by the command that uses them, not to parse the command line.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console

from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES
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


def _load(
    template: str, input_path: Path | None, *, sample: dict[str, Any] | None = None
) -> _Loaded:
    """``template`` and its sample (``sample`` if given, else read from ``input_path``)."""
    if sample is None and input_path is not None:
        sample = _load_sample(input_path)
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
    return f"{where}: {problem.severity}: {problem.message}"


def _report(name: str, problems: list[TemplateProblem]) -> None:
    err = _err()
    for problem in problems:
        err.print(_describe(name, problem))
    errors = sum(problem.is_error for problem in problems)
    err.print(f"{name}: {_count(errors, len(problems) - errors)}", style="bold red")


def _count(errors: int, notes: int) -> str:
    """``2 errors, 1 note`` (only what there is; ``no problems`` for nothing)."""
    parts = [
        f"{n} {word}{'' if n == 1 else 's'}"
        for n, word in ((errors, "error"), (notes, "note"))
        if n
    ]
    return ", ".join(parts) or "no problems"


def _fail_on_input(problem: _InputProblem) -> typer.Exit:
    _err().print(f"error: {problem}", style="red")
    return typer.Exit(1)


_TEMPLATE_SUFFIXES: Final = (".html", ".liquid")
"""The files a directory given to ``a2i template check`` contributes (at any depth)."""
_PREVIEW_SUFFIX: Final = ".preview.html"
_GLOB_CHARACTERS: Final = frozenset("*?[")


def _template_files(arguments: Iterable[str]) -> Iterator[str | _InputProblem]:
    """The templates ``arguments`` name, in order, each once; a problem for one that names none.

    An argument is ``builtin:NAME``, a file, a directory (its ``*.html`` and ``*.liquid``
    files at any depth, sorted) or a glob pattern (``**`` matches any depth). Directories
    and patterns leave out the ``*.preview.html`` pages ``a2i template preview`` writes.
    """
    seen: set[str] = set()

    def once(name: str) -> Iterator[str]:
        key = name if name.startswith(BUILTIN_PREFIX) else str(Path(name).resolve())
        if key not in seen:
            seen.add(key)
            yield name

    for argument in arguments:
        path = Path(argument)
        if argument.startswith(BUILTIN_PREFIX) or path.is_file():
            yield from once(argument)
        elif path.is_dir():
            found = sorted(
                str(file)
                for file in path.rglob("*")
                if file.suffix in _TEMPLATE_SUFFIXES
                and not file.name.endswith(_PREVIEW_SUFFIX)
                and file.is_file()
            )
            if not found:
                yield _InputProblem(f"{argument}: no *.html or *.liquid file in this directory")
            for name in found:
                yield from once(name)
        elif _GLOB_CHARACTERS & set(argument):
            matched = sorted(
                name
                for name in glob.glob(argument, recursive=True)
                if Path(name).is_file() and not name.endswith(_PREVIEW_SUFFIX)
            )
            if not matched:
                yield _InputProblem(f"{argument}: no file matches this pattern")
            for name in matched:
                yield from once(name)
        else:
            yield _InputProblem(f"{argument}: no such template file")


TemplatesArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="TEMPLATE",
        help="Template files (HTML/Liquid), directories (every *.html and *.liquid inside), "
        "glob patterns, or builtin:NAME for a built-in template "
        f"({', '.join(BUILTIN_TEMPLATES)}).",
        show_default=False,
    ),
]


@app.command()
def check(templates: TemplatesArgument, input: InputOption = None) -> None:
    """Check each TEMPLATE as `cdk synth` does: one line per problem, `file:line:column:
    error|note: message`; exit status 1 if any error (notes fail nothing), else 0.

    Always checked: Liquid syntax, a <crowd-form> (or crowd-entity-annotation, which has
    its own), the size (128000 characters at most) and the filters. With --input (one
    sample for every template), also: every task.input path the templates use exists in
    the sample (a path read only under a test on it is optional: a note), and each
    template renders with it.
    """
    from constructs_a2i.templates.check import find_problems  # loads python-liquid

    out, err = _out(), _err()
    try:
        sample = _load_sample(input) if input is not None else None
    except _InputProblem as bad_sample:
        raise _fail_on_input(bad_sample) from None
    seen = failed = errors = notes = 0
    for item in _template_files(templates):
        seen += 1
        try:
            if isinstance(item, _InputProblem):
                raise item
            loaded = _load(item, input, sample=sample)
        except _InputProblem as unusable:
            where, _, message = str(unusable).partition(": ")
            err.print(f"{where}: error: {message}")
            failed, errors = failed + 1, errors + 1
            continue
        problems = find_problems(loaded.source, loaded.sample)
        for problem in problems:
            err.print(_describe(loaded.name, problem))
        found = sum(problem.is_error for problem in problems)
        errors, notes = errors + found, notes + len(problems) - found
        if found:
            failed += 1
            continue
        what = (
            f"task.input paths checked against {loaded.sample_name}"
            if loaded.sample is not None
            else "syntax only: give --input sample.json to check the task.input paths too"
        )
        noted = f", {_count(0, len(problems))}" if problems else ""
        out.print(f"{loaded.name}: OK{noted} ({what})")
    templates_word = "template" if seen == 1 else "templates"
    if errors:
        err.print(
            f"{_count(errors, notes)} in {failed} of {seen} {templates_word}", style="bold red"
        )
        raise typer.Exit(1)
    if seen > 1:
        out.print(f"{seen} templates OK" + (f" ({_count(0, notes)})" if notes else ""))


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
    from constructs_a2i.templates.check import find_problems  # loads python-liquid
    from constructs_a2i.templates.preview import render_preview

    problems = find_problems(loaded.source, loaded.sample)
    if any(problem.is_error for problem in problems):
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
    from constructs_a2i.cli.preview_server import PreviewServer
    from constructs_a2i.templates.check import find_problems  # loads python-liquid
    from constructs_a2i.templates.preview import error_page, render_preview

    def build(reload_url: str, version: str) -> tuple[int, str]:
        try:
            loaded = _load(template, input_path)
        except _InputProblem as problem:
            error = TemplateError([TemplateProblem(str(problem))], name=template)
            return HTTPStatus.INTERNAL_SERVER_ERROR, error_page(
                error, template_name=template, reload_url=reload_url, version=version
            )
        assert loaded.sample is not None
        problems = [p for p in find_problems(loaded.source, loaded.sample) if p.is_error]
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
