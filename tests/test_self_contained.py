"""A fresh clone tests on its own: nothing reads a folder beside the repository.

Test data lives in ``tests/fixtures`` (see its README.md). Two checks keep it that way:

* every file git would commit is searched for a path to a sibling folder named "shared"
  (the folder some tests once read their samples and seed documents from);
* those files are copied into an empty temporary directory, and pytest there collects the
  whole suite and runs the tests that read fixtures.

"Files git would commit" are ``git ls-files --cached --others --exclude-standard``: tracked
files and new ones not ignored, so a fixture that is ignored or never added shows up here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The folder's name is put together so that this file does not match its own patterns.
_NAME = "sha" + "red"
SIBLING_PATTERNS = (
    # "../<name>", "../../<name>", "..\<name>" in strings, shell and Makefiles
    re.compile(r"\.\.[/\\]+(?:\.\.[/\\]+)*" + _NAME + r"\b"),
    # pathlib: ROOT.parent / "<name>", path.parents[3] / '<name>', .joinpath("<name>")
    re.compile(r"\bparents?\b(?:\s*\[\s*\d+\s*\])?\s*(?:/|\.joinpath\()\s*[rbuf]?['\"]" + _NAME),
    # os.path.join(ROOT, "..", "<name>") and the like
    re.compile(r"['\"]\.\.['\"]\s*,\s*[rbuf]?['\"]" + _NAME + r"['\"]"),
    # absolute paths to the folder beside this checkout on the development machines
    re.compile(r"/work/" + _NAME + r"\b"),
)
SCANNED_SUFFIXES = frozenset({".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json"})
SCANNED_NAMES = frozenset({"Makefile", "GNUmakefile"})

# The tests that read tests/fixtures; the copy runs them (all of them would take about a
# minute: the ones below cover every fixture and every file that loads one).
FIXTURE_TESTS = (
    "tests/runtime/test_human_loop_results.py::test_completed_loop_sends_answers_from_output_json",
    "tests/cli/test_results.py::test_answer_rows_and_flatten_units",
    "tests/cli/test_results.py::test_export_mixed_completed_and_failed_loops_to_jsonl",
    "tests/constructs/test_human_loop_starter.py::TestStatusChange"
    "::test_pattern_matches_the_sample_event_and_not_another_flow",
    "tests/constructs/test_task_price.py::TestListsMatchTheReference",
    "tests/templates/test_aws_material.py::test_textract_template_renders_blocks_and_keys_as_json",
    "tests/core/test_managed_answers.py::test_the_textract_example_of_aws_output_data_page_is_one_edited_key",
    "tests/core/test_managed_answers.py::test_the_rekognition_example_of_aws_output_data_page_confirms_the_shown_label",
    "tests/core/test_output_json.py::test_request_source_and_members",
    "tests/report/test_fixture_history.py::test_the_fixture_history_keeps_aws_output_example",
)
FIXTURE_TEST_COUNT = 13  # TestListsMatchTheReference has four tests
SUBPROCESS_TIMEOUT = 300


@cache
def repository_files() -> tuple[str, ...]:
    """Paths (relative to ROOT) of the files git would commit that exist on disk."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"{ROOT} is not a git work tree: {listed.stderr.decode().strip()}")
    names = [name for name in listed.stdout.decode().split("\0") if name]
    return tuple(name for name in names if (ROOT / name).is_file())


def _scanned(name: str) -> bool:
    path = ROOT / name
    if path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES or path.suffix == ".mk":
        return True
    if path.suffix:
        return False
    with path.open("rb") as stream:  # extensionless scripts such as .ci/run
        return stream.read(2) == b"#!"


def sibling_references(names: tuple[str, ...]) -> list[str]:
    """``path:line: text`` of every line that spells a path to the sibling folder."""
    found: list[str] = []
    for name in names:
        if not _scanned(name):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if any(pattern.search(line) for pattern in SIBLING_PATTERNS):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_the_patterns_catch_the_usual_spellings() -> None:
    spellings = [
        f'SAMPLES = Path(__file__).resolve().parents[3] / "{_NAME}" / "samples"',
        f'SHARED = ROOT.parent / "{_NAME}"',
        f"seed = ROOT.parent.joinpath('{_NAME}', 'seeds')",
        f'open(os.path.join(ROOT, "..", "{_NAME}", "x.json"))',
        f"cp ../{_NAME}/samples/*.json tests/",
        f'"fixtures": "../../{_NAME}/samples"',
        f"/work/{_NAME}/seeds/003_x.txt",
    ]
    for line in spellings:
        assert any(p.search(line) for p in SIBLING_PATTERNS), line
    innocent = [
        'framework.create(properties(FlowDefinitionName="shared-name"))',
        '"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials")',
        'FIXTURES = ROOT / "tests" / "fixtures"',
        "from .shared import helpers",
    ]
    for line in innocent:
        assert not any(p.search(line) for p in SIBLING_PATTERNS), line


def test_no_file_refers_to_a_folder_beside_the_repository() -> None:
    names = repository_files()
    assert "tests/conftest.py" in names  # the listing is the repository's
    found = sibling_references(names)
    assert not found, (
        "these lines refer to a folder outside the repository; put the data in "
        "tests/fixtures (see its README.md) instead:\n" + "\n".join(found)
    )


def test_every_file_that_loads_a_fixture_is_run_in_the_copy() -> None:
    loaders = {
        name
        for name in repository_files()
        if name.startswith("tests/")
        and name.endswith(".py")
        and name not in {"tests/conftest.py", "tests/test_self_contained.py"}
        and re.search(r"\bfixture_json\(|\bFIXTURES\b", (ROOT / name).read_text(encoding="utf-8"))
    }
    covered = {test.split("::", 1)[0] for test in FIXTURE_TESTS}
    assert loaders <= covered, f"add a test of {sorted(loaders - covered)} to FIXTURE_TESTS"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "PYTHONSTARTUP"}
        and not key.startswith("PYTEST_XDIST_")
    }
    env["PYTHONPATH"] = str(cwd)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def test_a_copy_with_nothing_beside_it_collects_and_runs_the_fixture_tests(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "clone" / "repo"  # tmp_path/clone holds nothing else
    for name in repository_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    assert sorted(p.name for p in copy.parent.iterdir()) == ["repo"]

    where = _run(
        [
            "-c",
            "import constructs_a2i, tests.conftest as c; print(constructs_a2i.__file__, c.ROOT)",
        ],
        copy,
    )
    assert where.returncode == 0, where.stderr
    package_file, root = where.stdout.split()
    assert Path(package_file).is_relative_to(copy) and Path(root) == copy, where.stdout

    pytest_args = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfEs"]
    collected = _run([*pytest_args, "--collect-only", "--snapshot-warn-unused"], copy)
    report = f"{collected.stdout[-3000:]}\n{collected.stderr[-3000:]}"
    assert collected.returncode == 0, report
    match = re.search(r"^(\d+) tests? collected", collected.stdout, re.MULTILINE)
    assert match and int(match.group(1)) > 0, report

    ran = _run([*pytest_args, *FIXTURE_TESTS], copy)
    report = f"{ran.stdout[-5000:]}\n{ran.stderr[-3000:]}"
    assert ran.returncode == 0, report
    summary = ran.stdout.strip().splitlines()[-1]
    assert re.match(rf"^{FIXTURE_TEST_COUNT} passed\b", summary), report
    assert not re.search(r"skipped|failed|error|deselected", summary), report
