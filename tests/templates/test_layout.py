"""The templates package: one job per module, each documented, with an explicit ``__all__``."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import constructs_a2i
import constructs_a2i.templates as templates
from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import TEMPLATE_MAX_LENGTH
from constructs_a2i.templates.problems import TemplateError
from constructs_a2i.templates.task_template import TaskTemplate, TaskTemplateError

MODULES = sorted(info.name for info in pkgutil.iter_modules(templates.__path__))


def test_the_expected_modules_exist() -> None:
    assert MODULES == [
        "analyse",
        "builtins",
        "check",
        "environment",
        "locate",
        "preview",
        "problems",
        "render",
        "task_template",
    ]


@pytest.mark.parametrize("name", MODULES)
def test_every_module_says_its_job_and_exports_explicitly(name: str) -> None:
    module = importlib.import_module(f"constructs_a2i.templates.{name}")
    assert module.__doc__ and module.__doc__.strip(), f"{name} has no docstring"
    exported = module.__dict__.get("__all__")
    assert isinstance(exported, list) and exported, f"{name} has no __all__"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item}, which it lacks"
    assert module.__file__ is not None
    lines = Path(module.__file__).read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{name} has {lines} lines"


def test_every_re_exported_name_resolves_to_its_module() -> None:
    module_of = {n: m for m, names in templates._EXPORTS.items() for n in names}
    assert sorted(templates.__all__) == sorted(module_of)
    assert dir(templates) == sorted(templates.__all__)
    for name in templates.__all__:
        module = importlib.import_module(module_of[name])
        assert getattr(templates, name) is getattr(module, name)
        assert name in module.__all__


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NotAThing"):
        templates.NotAThing  # noqa: B018


def test_the_top_level_names_come_from_their_new_homes() -> None:
    assert constructs_a2i.TaskTemplate is TaskTemplate
    assert constructs_a2i.TaskTemplateError is TaskTemplateError
    assert constructs_a2i.TEMPLATE_MAX_LENGTH == TEMPLATE_MAX_LENGTH == 128000


def test_task_template_error_is_both_error_types() -> None:
    from constructs_a2i.validation import A2IValidationError as ConstructError

    assert issubclass(TaskTemplateError, A2IValidationError)
    assert issubclass(TaskTemplateError, ConstructError)
    assert issubclass(TaskTemplateError, TemplateError)
