"""TaskTemplate on its own (no construct): checks, CDK tokens, errors."""

from __future__ import annotations

import pytest
from aws_cdk import Fn, Token

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.templates.task_template import TaskTemplate, TaskTemplateError


def test_a_token_content_is_not_checked() -> None:
    # Known only at deploy time: neither the size nor the Liquid can be checked at synth.
    token = Fn.import_value("ReviewTemplate")
    assert Token.is_unresolved(token)
    template = TaskTemplate.from_string(token)
    assert template.problems() == []
    template.check()


def test_an_ordinary_string_is_checked() -> None:
    template = TaskTemplate.from_string("<p>{{ task.input.a }}</p>", sample_input={"a": 1})
    with pytest.raises(TaskTemplateError, match=r"Stack/Ui: .*no <crowd-form>") as caught:
        template.check(construct_path="Stack/Ui")
    assert caught.value.construct_path == "Stack/Ui"
    assert len(caught.value.problems) == 1


@pytest.mark.parametrize("content", ["", "<crowd-form>" + "x" * 128000 + "</crowd-form>"])
def test_the_size_is_checked_when_the_template_is_made(content: str) -> None:
    with pytest.raises(A2IValidationError, match="template must be 1-128000 characters"):
        TaskTemplate.from_string(content)


def test_render_needs_a_sample_and_reports_problems_as_task_template_errors() -> None:
    template = TaskTemplate.from_string("<crowd-form>{{ task.input.a }}</crowd-form>")
    with pytest.raises(A2IValidationError, match="needs a sample input"):
        template.render()
    with pytest.raises(TaskTemplateError, match="line 1"):
        template.render({"b": 1})
    assert template.render({"a": "<b>"}) == "<crowd-form>&lt;b&gt;</crowd-form>"
