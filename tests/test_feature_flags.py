"""aws-cdk-lib's recommended feature flags: in cdk.json, and the apps clean under them.

``cdk.json``'s context holds the flags ``cdk init`` writes: the ``recommended-feature-flags.json``
that ships in the installed aws-cdk-lib package (the CDK CLI's init templates carry the same
file). The CLI passes them to ``app.py``; a test's ``App()`` gets none unless given. So the
example app and the three ``examples/`` are synthesized here with them, under the AwsSolutions
checks and cfn-lint; ``tests/test_example_app.py`` and ``tests/test_examples.py`` do the same
without any flag.
"""

from __future__ import annotations

import importlib
import json
import tarfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aws_cdk
import pytest
from aws_cdk import App, Stack

import app as example
from tests.conftest import ROOT
from tests.lint import cfn_lint_errors
from tests.test_examples import EXAMPLES, synth_with_nag

RECOMMENDED_FLAGS_MEMBER = "package/recommended-feature-flags.json"


def cdk_json_context() -> dict[str, Any]:
    """The context of the repository's cdk.json: what the CDK CLI gives app.py."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def installed_recommended_flags() -> dict[str, Any]:
    """``recommended-feature-flags.json`` of the installed aws-cdk-lib (its jsii tarball)."""
    jsii_dir = Path(aws_cdk.__file__).parent / "_jsii"
    (tarball,) = jsii_dir.glob(f"aws-cdk-lib@{version('aws-cdk-lib')}.jsii.tgz")
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if member.name == RECOMMENDED_FLAGS_MEMBER:
                handle = archive.extractfile(member)
                assert handle is not None
                flags: dict[str, Any] = json.load(handle)
                return flags
    raise AssertionError(f"{tarball.name} has no {RECOMMENDED_FLAGS_MEMBER}")


def test_cdk_json_holds_the_installed_aws_cdk_libs_recommended_flags() -> None:
    recommended = installed_recommended_flags()
    assert len(recommended) > 80
    assert cdk_json_context() == recommended


def test_the_flags_change_the_templates() -> None:
    """The flags reach the app: a template differs with them (so the runs below test them)."""

    def template(context: dict[str, Any]) -> dict[str, Any]:
        cdk_app = example.build_app(App(context=context))
        stack = cdk_app.node.find_child("TextReviewExample")
        assert isinstance(stack, Stack)
        return aws_cdk.assertions.Template.from_stack(stack).to_json()

    assert template(cdk_json_context()) != template({})


def test_example_app_under_the_recommended_flags(tmp_path: Path) -> None:
    cdk_app = example.build_app(App(outdir=str(tmp_path), context=cdk_json_context()))
    synthesized = synth_with_nag(cdk_app, "TextReviewExample")
    assert synthesized.violations == []
    assert cfn_lint_errors(synthesized.template) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_under_the_recommended_flags(name: str, tmp_path: Path) -> None:
    module = importlib.import_module(f"examples.{name}")
    cdk_app = module.build_app(App(outdir=str(tmp_path), context=cdk_json_context()))
    synthesized = synth_with_nag(cdk_app, EXAMPLES[name])
    assert synthesized.violations == []
    assert cfn_lint_errors(synthesized.template) == []
