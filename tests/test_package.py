"""The package's public surface: every exported name resolves, and lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import constructs_a2i


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in constructs_a2i.__all__:
        value = getattr(constructs_a2i, name)
        if isinstance(value, type):
            assert value.__doc__, f"{name} has no docstring"
    module_of = {n: m for m, names in constructs_a2i._EXPORTS.items() for n in names}
    assert sorted(constructs_a2i.__all__) == sorted(module_of)
    assert dir(constructs_a2i) == sorted(constructs_a2i.__all__)
    for name in constructs_a2i.__all__:
        assert getattr(constructs_a2i, name) is getattr(
            importlib.import_module(module_of[name]), name
        )


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        constructs_a2i.NotAThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NotAThing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_the_pure_python_parts_do_not_load_the_cdk() -> None:
    code = (
        "import sys, constructs_a2i.testing, constructs_a2i.templates.check, constructs_a2i.core;"
        "import constructs_a2i.cli.main;"
        "from constructs_a2i import Activation, ActivationConditions, RequestSource, Confidence;"
        "from constructs_a2i import A2IValidationError, CONTENT_CLASSIFIERS, TaskTemplate;"
        "print('aws_cdk' in sys.modules, 'jsii' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
