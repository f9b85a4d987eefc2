"""cfn-lint on synthesized templates, through its Python API."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.api import ManualArgs, lint

__all__ = ["cfn_lint_errors"]


def cfn_lint_errors(template: dict[str, Any], region: str = "us-east-1") -> list[str]:
    """cfn-lint's errors (not warnings or informational findings) for ``template``."""
    matches = lint(json.dumps(template), config=ManualArgs(regions=[region]))
    return [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
        for m in matches
        if m.rule.id.startswith("E")
    ]
