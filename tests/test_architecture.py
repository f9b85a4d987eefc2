"""The layering contracts in pyproject.toml hold, and a broken one fails ``lint-imports``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "constructs_a2i",
        tmp_path / "constructs_a2i",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_are_kept() -> None:
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("core/errors.py", "import aws_cdk", "core is standard library only"),
        ("core/names.py", "import constructs_a2i.validation", "core is standard library only"),
        (
            "runtime/human_loop_starter/index.py",
            "import constructs_a2i.flow_definition",
            "runtime (Lambda code) imports only core",
        ),
        ("testing/_server.py", "import constructs_a2i.core.names", "independent oracle"),
        ("flow_definition.py", "import constructs_a2i.testing", "the product never imports"),
        ("cli/main.py", "import constructs_a2i.human_loop_starter", "never imports aws_cdk"),
        ("human_loop_starter.py", "import constructs_a2i.runtime", "nothing imports the Lambda"),
    ],
)
def test_a_broken_contract_fails(
    copy_of_the_package: Path, module: str, bad_import: str, contract: str
) -> None:
    target = copy_of_the_package / "constructs_a2i" / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    result = run_lint_imports(copy_of_the_package)
    assert result.returncode == 1, result.stdout
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
