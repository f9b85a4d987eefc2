"""``a2i template check`` and ``a2i template preview``: exit codes, messages, files, --serve."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from constructs_a2i.cli.main import app
from constructs_a2i.cli.preview_server import VERSION_PATH, PreviewServer
from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES
from constructs_a2i.templates.environment import PREVIEW_SIGNATURE
from tests.conftest import ROOT
from tests.templates.test_aws_material import TEMPLATES, aws_input

runner = CliRunner()

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p>{{ task.input.text | escape }}</p>
  <img src="{{ task.input.image | grant_read_access }}" alt="photo">
  {% for tag in task.input.tags %}<span>{{ tag.name }}</span>{% endfor %}
</crowd-form>
"""
SAMPLE = {
    "text": "Is this a heron?",
    "image": "s3://photos-bucket/birds/heron.jpg",
    "tags": [{"name": "bird"}, {"name": "water"}],
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    template = tmp_path / "review.html"
    template.write_text(TEMPLATE, encoding="utf-8")
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(SAMPLE), encoding="utf-8")
    return template, sample


# ---------------------------------------------------------------- check


def test_check_passes_a_good_template(files: tuple[Path, Path]) -> None:
    template, sample = files
    result = runner.invoke(app, ["template", "check", str(template), "--input", str(sample)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"{template}: OK (task.input paths checked against {sample})")
    result = runner.invoke(app, ["template", "check", str(template)])
    assert result.exit_code == 0
    assert "syntax only" in result.stdout


def test_check_fails_listing_file_line_column_and_path(files: tuple[Path, Path]) -> None:
    template, sample = files
    sample.write_text(
        json.dumps({"text": "x", "image": "s3://b/k", "tags": [{"name": "a"}, {"label": "b"}]}),
        encoding="utf-8",
    )
    template.write_text(TEMPLATE.replace("task.input.text", "task.input.txt"), encoding="utf-8")
    result = runner.invoke(app, ["template", "check", str(template), "-i", str(sample)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{template}:3:9: error: task.input.txt is not in the sample input "
        "(task.input has only image, tags, text)",
        f"{template}:5:44: error: task.input.tags[1].name (tag.name) is not in the sample "
        "input (task.input.tags[1] has only label)",
        "2 errors in 1 of 1 template",
    ]


def test_check_reports_syntax_errors_without_an_input(tmp_path: Path) -> None:
    template = tmp_path / "broken.html"
    template.write_text("<crowd-form>\n  {% for x in task.input.xs %}\n</crowd-form>\n")
    result = runner.invoke(app, ["template", "check", str(template)])
    assert result.exit_code == 1
    assert f"{template}:2:3: error: {{% for %}} is never closed" in result.stderr


def test_check_requires_a_crowd_form(tmp_path: Path) -> None:
    template = tmp_path / "t.html"
    template.write_text("<p>{{ task.input.x }}</p>")
    result = runner.invoke(app, ["template", "check", str(template)])
    assert result.exit_code == 1
    assert f"{template}: error: the template has no <crowd-form> element" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": ', "sample.json:1:10: the sample input is not valid JSON"),
        ("[1, 2]", "the sample input must be a JSON object"),
    ],
)
def test_check_rejects_bad_samples(files: tuple[Path, Path], content: str, message: str) -> None:
    template, sample = files
    sample.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["template", "check", str(template), "--input", str(sample)])
    assert result.exit_code == 1
    assert message in result.stderr


def test_check_missing_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "check", str(tmp_path / "nope.html")])
    assert result.exit_code == 1
    assert "nope.html: error: no such template file" in result.stderr
    template = tmp_path / "t.html"
    template.write_text("<crowd-form></crowd-form>")
    result = runner.invoke(
        app, ["template", "check", str(template), "--input", str(tmp_path / "none.json")]
    )
    assert result.exit_code == 1
    assert "cannot read the sample input" in result.stderr


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_check_builtin_templates(name: str) -> None:
    result = runner.invoke(app, ["template", "check", f"builtin:{name}"])
    assert result.exit_code == 0, result.output
    assert f"builtin:{name}: OK" in result.stdout


def test_unknown_builtin() -> None:
    result = runner.invoke(app, ["template", "check", "builtin:nope"])
    assert result.exit_code == 1
    assert "builtin:nope: error: no such built-in template; choose one of builtin:" in result.stderr


# ---------------------------------------------------------------- check, in CI

AWS_TEMPLATES = TEMPLATES  # AWS's samples: see tests/fixtures/README.md
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+(?::\d+(?::\d+)?)?): (?P<severity>error|note): .+$")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A templates folder: AWS's samples in aws/, one broken template, a preview page."""
    folder = tmp_path / "templates"
    (folder / "aws").mkdir(parents=True)
    for source in sorted(AWS_TEMPLATES.iterdir()):
        shutil.copy(source, folder / "aws" / source.name)
    (folder / "broken.liquid").write_text(
        "<crowd-form>\n  {% for x in task.input.xs %}\n</crowd-form>\n", encoding="utf-8"
    )
    (folder / "review.preview.html").write_text("<p>written by a2i template preview</p>")
    (folder / "notes.txt").write_text("not a template")
    return folder


def test_check_takes_directories_with_one_line_per_problem(tree: Path) -> None:
    # AWS's five samples (crowd-entity-annotation ones without a crowd-form) pass; the
    # broken one fails the run; preview pages and other files are left out.
    result = runner.invoke(app, ["template", "check", str(tree)])
    assert result.exit_code == 1
    names = sorted(p.name for p in AWS_TEMPLATES.iterdir())
    assert result.stdout.splitlines() == [
        f"{tree / 'aws' / name}: OK (syntax only: give --input sample.json to check the "
        "task.input paths too)"
        for name in names
    ]
    *problems, summary = result.stderr.splitlines()
    assert len(problems) == 1
    assert problems[0].startswith(f"{tree / 'broken.liquid'}:2:3: error: {{% for %}} is never")
    assert all(PROBLEM_LINE.match(line) for line in problems)
    assert summary == f"1 error in 1 of {len(names) + 1} templates"


def test_check_takes_files_and_globs_and_passes_without_errors(tree: Path) -> None:
    pattern = str(tree / "**" / "*.html")  # quoted: the command expands it
    single = str(tree / "aws" / "key-phrase-extraction.html")
    result = runner.invoke(app, ["template", "check", pattern, single])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and lines[-1] == "5 templates OK"  # key-phrase counted once
    assert result.stderr == ""


def test_notes_are_reported_but_do_not_fail(tree: Path, tmp_path: Path) -> None:
    # AWS's Textract input (a2i-output-data) without humanLoopContext, and a template that
    # reads it only under {% if %}: a note, exit status 0.
    sample = tmp_path / "textract.json"
    content = aws_input("a2i-textract-input.json")
    del content["humanLoopContext"]
    sample.write_text(json.dumps(content), encoding="utf-8")
    template = tree / "aws" / "textract-analyze-document.html"
    source = template.read_text(encoding="utf-8")
    guarded = 'keys="{{ task.input.humanLoopContext.importantFormKeys }}"'
    template.write_text(
        source.replace(guarded, f"{{% if task.input.humanLoopContext %}}{guarded}{{% endif %}}")
    )
    result = runner.invoke(app, ["template", "check", str(template), "-i", str(sample)])
    assert result.exit_code == 0, result.output
    (note,) = result.stderr.splitlines()
    assert PROBLEM_LINE.match(note)
    assert note.startswith(f"{template}:13:11: note: task.input.humanLoopContext is not in")
    assert result.stdout.startswith(f"{template}: OK, 1 note (task.input paths checked")
    template.write_text(source)  # read without the guard: an error
    result = runner.invoke(app, ["template", "check", str(template), "-i", str(sample)])
    assert result.exit_code == 1
    assert ": error: task.input.humanLoopContext is not in the sample" in result.stderr


def test_check_reports_arguments_that_name_no_template(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "ok.html").write_text("<crowd-form></crowd-form>")
    result = runner.invoke(
        app,
        [
            "template",
            "check",
            str(tmp_path / "empty"),
            str(tmp_path / "*.liquid"),
            str(tmp_path / "ok.html"),
        ],
    )
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{tmp_path / 'ok.html'}: OK")
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'empty'}: error: no *.html or *.liquid file in this directory",
        f"{tmp_path / '*.liquid'}: error: no file matches this pattern",
        "2 errors in 2 of 3 templates",
    ]


def test_check_help_loads_no_template_engine_or_web_server() -> None:
    # Start-up is what a CI job pays per run: the command line is parsed without
    # python-liquid, the preview page or its web server.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from constructs_a2i.cli.main import app\n"
        "result = CliRunner().invoke(app, ['template', 'check', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = ['liquid', 'http.server', 'constructs_a2i.templates.preview']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["template", "--help"])
    assert result.exit_code == 0
    assert "check" in result.stdout and "preview" in result.stdout


# ---------------------------------------------------------------- preview


def test_preview_writes_a_standalone_page(files: tuple[Path, Path], tmp_path: Path) -> None:
    template, sample = files
    out = tmp_path / "out" / "page.html"
    out.parent.mkdir()
    result = runner.invoke(
        app, ["template", "preview", str(template), "--input", str(sample), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: open {out.resolve().as_uri()} in a browser." in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<p>Is this a heron?</p>" in page
    assert "<span>bird</span><span>water</span>" in page
    assert "s3://photos-bucket/birds/heron.jpg" in page  # listed in the banner
    fake = "https://s3.amazonaws.com/photos-bucket/birds/heron.jpg?X-Amz-Algorithm="
    assert f'<img src="{fake}' in page
    assert PREVIEW_SIGNATURE in page


def test_preview_default_output_is_next_to_the_template(files: tuple[Path, Path]) -> None:
    template, sample = files
    result = runner.invoke(app, ["template", "preview", str(template), "-i", str(sample)])
    assert result.exit_code == 0, result.output
    assert (template.parent / "review.preview.html").is_file()


def test_preview_needs_an_input_for_a_file(files: tuple[Path, Path]) -> None:
    template, _ = files
    result = runner.invoke(app, ["template", "preview", str(template)])
    assert result.exit_code == 2
    assert "preview needs --input sample.json" in result.stderr


def test_preview_refuses_a_broken_template(files: tuple[Path, Path], tmp_path: Path) -> None:
    template, sample = files
    sample.write_text(json.dumps({"text": "only text"}), encoding="utf-8")
    out = tmp_path / "p.html"
    result = runner.invoke(
        app, ["template", "preview", str(template), "-i", str(sample), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert f"{template}:4:16: error: task.input.image is not in the sample input" in result.stderr
    assert not out.exists()


def test_preview_a_builtin_with_its_example_input(tmp_path: Path) -> None:
    out = tmp_path / "kv.html"
    result = runner.invoke(
        app, ["template", "preview", "builtin:key_value_review", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for pair in BUILTIN_TEMPLATES["key_value_review"]().sample_input["pairs"]:
        assert f'label="{pair["key"]}"' in page and f'value="{pair["value"]}"' in page


# ---------------------------------------------------------------- --serve


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_preview_server_renders_again_only_when_a_file_changed(tmp_path: Path) -> None:
    watched = tmp_path / "t.html"
    watched.write_text("one", encoding="utf-8")

    def build(reload_url: str, version: str) -> tuple[int, str]:
        return 200, f"{watched.read_text(encoding='utf-8')}|{reload_url}"

    server = PreviewServer(build, [watched], port=0)
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert get(server.url) == (200, f"one|{VERSION_PATH}")
        assert get(server.url) == (200, f"one|{VERSION_PATH}")
        assert server.renders == 1
        version = get(server.url + VERSION_PATH.lstrip("/"))[1]
        watched.write_text("two!", encoding="utf-8")
        os.utime(watched, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        assert get(server.url) == (200, f"two!|{VERSION_PATH}")
        assert server.renders == 2
        assert get(server.url + VERSION_PATH.lstrip("/"))[1] != version
        assert get(server.url + "elsewhere")[0] == 404
    finally:
        server.stop()


def test_serve_command_serves_and_rerenders_on_save(files: tuple[Path, Path]) -> None:
    template, sample = files
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "constructs_a2i.cli", "template", "preview"]
    process = subprocess.Popen(
        [*command, str(template), "--input", str(sample), "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"Serving the preview of {template} at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        status, page = get(url)
        assert status == 200 and "<p>Is this a heron?</p>" in page
        template.write_text(TEMPLATE.replace("<p>", "<p>Question: "), encoding="utf-8")
        os.utime(template, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        assert "<p>Question: Is this a heron?</p>" in get(url)[1]
        template.write_text("<crowd-form>{{ task.input.nope }}</crowd-form>", encoding="utf-8")
        os.utime(template, ns=(time.time_ns(), time.time_ns() + 2_000_000))
        status, page = get(url)
        assert status == 500
        assert "task.input.nope is not in the sample input" in page
    finally:
        process.terminate()
        process.wait(timeout=10)
