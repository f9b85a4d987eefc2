"""Shared fixtures: fresh CDK apps and stacks, and the synthesized example app."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
"""Test data kept in the repository, written from AWS's documented formats (see its README.md)."""

# cfn-lint runs on every synthesized template in the suite; the CDK's own CloudFormation
# validation of each synth (about 2 s and 350 MiB) would only repeat it.
os.environ.setdefault("CDK_VALIDATION", "false")
# Node 22 from node_modules (package.json) when the Makefile has not put it first already.
_node_bin = ROOT / "node_modules" / ".bin"
if _node_bin.is_dir() and str(_node_bin) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_node_bin}{os.pathsep}{os.environ.get('PATH', '')}"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEST_ENV = {"account": "123456789012", "region": "us-east-1"}
TEAM_ARN = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers"


def fixture_json(name: str) -> Any:
    """A fresh copy of ``tests/fixtures/<name>``, parsed (each call reads the file again)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def app() -> Any:
    from aws_cdk import App

    return App()


@pytest.fixture
def stack(app: Any) -> Any:
    from aws_cdk import Environment, Stack

    return Stack(app, "TestStack", env=Environment(**TEST_ENV))


@pytest.fixture(scope="session")
def example_app_template() -> dict[str, Any]:
    """The example app's stack template, synthesized once per test process."""
    from aws_cdk import App
    from aws_cdk.assertions import Template

    import app as example

    cdk_app = example.build_app(App())
    stack = cdk_app.node.find_child("TextReviewExample")
    template: dict[str, Any] = Template.from_stack(stack).to_json()  # type: ignore[arg-type]
    return template


# The FakeA2I fixture family (clock, fake, fake_env) for every test folder; see its module.
# pytest looks fixtures up by name in conftest modules, so importing them here shares them.
from tests.fake_a2i import clock, fake, fake_env  # noqa: E402, F401
