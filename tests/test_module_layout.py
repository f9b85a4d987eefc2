"""Every module of the package says its one job and what it exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "constructs_a2i"
MODULES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    # The Lambda folders' __init__ files only make the folders importable in tests.
    if not (p.name == "__init__.py" and "runtime" in p.relative_to(PACKAGE).parts)
    and p.name != "__main__.py"
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_has_a_docstring_and_an_explicit_all(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    names = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    assert "__all__" in names, f"{path.name} has no __all__"


def test_core_modules_are_small() -> None:
    for path in (PACKAGE / "core").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 250, path.name
