"""python-liquid and aws_cdk load only when needed: checked in fresh interpreters.

Making a template (from a string, a file or a built-in) only reads text; python-liquid
loads when a template is checked or rendered, and nothing in ``constructs_a2i.templates``
loads aws_cdk (the ``a2i`` command and the Lambda functions rely on it).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("liquid", "aws_cdk", "jsii")

MAKE_TEMPLATES = """
from pathlib import Path
import tempfile
from constructs_a2i.templates.task_template import TaskTemplate
source = "<crowd-form>{{ task.input.a }}</crowd-form>"
made = [
    TaskTemplate.from_string(source, sample_input={"a": 1}),
    TaskTemplate.text_classification(["yes", "no"], prediction_field="prediction"),
    TaskTemplate.image_classification(["cat", "dog"]),
    TaskTemplate.text_correction(),
    TaskTemplate.key_value_review(document_field="document"),
]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "t.html"
    path.write_text(source, encoding="utf-8")
    made.append(TaskTemplate.from_file(path).with_sample_input({"a": 2}))
template = made[0]
"""


def loaded_after(code: str) -> dict[str, bool]:
    """Which of :data:`HEAVY` are in ``sys.modules`` after running ``code`` in a new process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{name: name in sys.modules for name in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, bool] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_importing_the_package_loads_neither_liquid_nor_the_cdk() -> None:
    assert loaded_after("import constructs_a2i.templates") == dict.fromkeys(HEAVY, False)


def test_making_templates_loads_neither_liquid_nor_the_cdk() -> None:
    assert loaded_after(MAKE_TEMPLATES) == dict.fromkeys(HEAVY, False)


def test_the_construct_module_does_not_load_liquid_until_a_check() -> None:
    code = (
        "import constructs_a2i.human_task_ui\n"
        "from constructs_a2i import TaskTemplate, TaskTemplateError, TEMPLATE_MAX_LENGTH\n"
        "TaskTemplate.from_string('<crowd-form></crowd-form>')\n"
    )
    loaded = loaded_after(code)
    assert loaded["aws_cdk"] is True
    assert loaded["liquid"] is False


@pytest.mark.parametrize(
    "action",
    ["template.check()", "template.problems()", "template.render()"],
)
def test_checking_or_rendering_loads_liquid_but_not_the_cdk(action: str) -> None:
    loaded = loaded_after(f"{MAKE_TEMPLATES}\n{action}")
    assert loaded == {"liquid": True, "aws_cdk": False, "jsii": False}


def test_the_package_re_exports_its_names_lazily() -> None:
    code = (
        "import sys\n"
        "import constructs_a2i.templates as templates\n"
        "assert 'constructs_a2i.templates.task_template' not in sys.modules\n"
        "templates.TaskTemplate\n"
        "assert 'constructs_a2i.templates.task_template' in sys.modules\n"
        "assert 'constructs_a2i.templates.check' not in sys.modules\n"
    )
    assert loaded_after(code) == dict.fromkeys(HEAVY, False)
