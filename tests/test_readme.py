"""The README's first example is what a new user copies: it must synthesize as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_start_example_synthesizes(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"## A review workflow in a few lines\n\n```python\n(.*?)```", readme, re.S)
    assert match, "the README lost its quick-start example"
    code = match.group(1)
    assert len(code.strip().splitlines()) <= 16
    script = tmp_path / "app.py"
    script.write_text(code.replace("App()", f"App(outdir={str(tmp_path / 'out')!r})", 1))
    env = {**os.environ, "CDK_VALIDATION": "false", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, check=True, timeout=300)
    template = json.loads((tmp_path / "out" / "Review.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"Custom::A2IFlowDefinition", "AWS::SageMaker::HumanTaskUi"} <= types
    assert "AWS::Lambda::EventSourceMapping" in types  # the starter consumes its queue
    assert "AWS::Events::Rule" in types  # finished loops reach the results function
