"""Built-in worker task templates (TaskTemplate factories) and the synth-time check."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from constructs_a2i import A2IValidationError, HumanTaskUi, TaskTemplate
from constructs_a2i.templates.analyse import input_paths
from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES, TEMPLATES_DIR
from constructs_a2i.templates.environment import PREVIEW_SIGNATURE
from constructs_a2i.templates.problems import TemplateError
from constructs_a2i.templates.task_template import TaskTemplateError
from tests.conftest import TEST_ENV


def new_stack() -> Stack:
    return Stack(App(), "Templates", env=Environment(**TEST_ENV))


class _Elements(HTMLParser):
    """Collects (tag, attributes) of every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(markup: str, tag: str) -> list[dict[str, str | None]]:
    parser = _Elements()
    parser.feed(markup)
    return [attrs for name, attrs in parser.found if name == tag]


FACTORIES: dict[str, Any] = {
    "text_classification": lambda: TaskTemplate.text_classification(
        categories=["positive", "negative", "neutral"], text_field="text"
    ),
    "text_classification_with_prediction": lambda: TaskTemplate.text_classification(
        categories=["spam", "ham"], text_field="message.body", prediction_field="model"
    ),
    "image_classification": lambda: TaskTemplate.image_classification(
        categories=["cat", "dog", "other"]
    ),
    "text_correction": lambda: TaskTemplate.text_correction(),
    "key_value_review": lambda: TaskTemplate.key_value_review(),
    "key_value_review_with_document": lambda: TaskTemplate.key_value_review(
        pairs_field="fields", document_field="page"
    ),
}


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


@pytest.mark.parametrize("name", FACTORIES)
def test_every_builtin_renders_its_sample_and_shows_its_values(name: str) -> None:
    template = FACTORIES[name]()
    assert template.sample_input, "every built-in carries a sample input"
    assert template.problems() == []
    rendered = template.render()
    assert "<crowd-form>" in rendered and "{{" not in rendered and "[[a2i:" not in rendered
    for leaf in leaves(template.sample_input):
        if isinstance(leaf, str) and leaf.startswith("s3://"):
            bucket_and_key = leaf.removeprefix("s3://")
            assert f"https://s3.amazonaws.com/{bucket_and_key}?" in rendered
            assert PREVIEW_SIGNATURE in rendered
        else:
            assert html.escape(str(leaf), quote=True) in rendered, leaf


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_each_factory_documents_the_fields_its_template_reads(name: str) -> None:
    built = BUILTIN_TEMPLATES[name]()
    doc = getattr(TaskTemplate, name).__doc__ or ""
    read = {use.path for use in input_paths(built.content)}
    for field in built.input_fields:
        # pairs[].key is read as task.input.pairs[*].key; the docstring names the parts.
        path = "task.input." + field.replace("[]", "[*]")
        assert path in read or (path.endswith("[*]") and path[:-3] in read), (field, read)
    for word in re.findall(r"``<(\w+)>``", doc):
        assert word in getattr(TaskTemplate, name).__code__.co_varnames, word
    assert "Input fields" in doc and "Answer" in doc


def test_the_template_files_are_complete_pages() -> None:
    names = sorted(path.name for path in TEMPLATES_DIR.glob("*.html"))
    assert names == sorted(f"{name}.html" for name in BUILTIN_TEMPLATES)
    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith('<script src="https://assets.crowd.aws/crowd-html-elements.js">')
        assert "<crowd-form>" in text and "</crowd-form>" in text
        assert "Input fields:" in text


def test_categories_are_json_in_the_attribute_and_cannot_inject_markup_or_liquid() -> None:
    nasty = ['a "quoted" <b>bold</b>', "{{ task.input.secret }}", "{% raw %}x", "it's & more"]
    template = TaskTemplate.text_classification(categories=nasty, header="<script>x</script>")
    assert template.problems() == []
    rendered = template.render({"text": "t"})
    (classifier,) = elements(rendered, "crowd-classifier")
    assert json.loads(classifier["categories"] or "") == nasty
    assert classifier["header"] == "<script>x</script>"
    assert "<script>x</script>" not in rendered
    assert "<b>bold</b>" not in rendered
    assert "{{" not in template.content.split("-->", 1)[1].replace("{{ task.input.text", "")


def test_sample_values_are_escaped_when_rendered() -> None:
    template = TaskTemplate.key_value_review()
    rendered = template.render({"pairs": [{"key": '"><img src=x>', "value": "a & b"}]})
    (field,) = elements(rendered, "crowd-input")
    assert field == {"name": "value-0", "label": '"><img src=x>', "value": "a & b"}
    assert "<img src=x>" not in rendered


def test_optional_sections() -> None:
    plain = TaskTemplate.text_classification(categories=["a", "b"])
    assert [u.path for u in input_paths(plain.content)] == ["task.input.text"]
    hinted = TaskTemplate.text_classification(categories=["a", "b"], prediction_field="p")
    assert {u.path for u in input_paths(hinted.content)} == {
        "task.input.text",
        "task.input.p.label",
        "task.input.p.confidence",
    }
    assert hinted.sample_input == {
        "text": plain.sample_input["text"],  # type: ignore[index]
        "p": {"label": "a", "confidence": 0.54},
    }
    kv = TaskTemplate.key_value_review(document_field="doc.image")
    assert "task.input.doc.image" in {u.path for u in input_paths(kv.content)}
    assert "<img" not in TaskTemplate.key_value_review().content


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TaskTemplate.text_classification(categories=["only"]), "at least 2"),
        (lambda: TaskTemplate.text_classification(categories="ab"), "a list of strings"),
        (lambda: TaskTemplate.text_classification(categories=["a", "a"]), "must be unique"),
        (lambda: TaskTemplate.text_classification(categories=["a", " "]), "non-empty"),
        (
            lambda: TaskTemplate.text_classification(categories=["a", "b"], text_field="a b"),
            "text_field must name a task.input field",
        ),
        (
            lambda: TaskTemplate.text_correction(answer_field="x}}{{y"),
            "answer_field must name a task.input field",
        ),
        (
            lambda: TaskTemplate.image_classification(categories=[str(i) for i in range(11)]),
            "at most 10 categories",
        ),
        (
            lambda: TaskTemplate.text_classification(categories=["a", "b"], answer_name='x"y'),
            "answer_name must be",
        ),
        (lambda: TaskTemplate.key_value_review(header=""), "header must be a non-empty string"),
    ],
)
def test_factory_arguments_are_checked(make: Any, message: str) -> None:
    with pytest.raises(A2IValidationError, match=re.escape(message)):
        make()


# ---------------------------------------------------------------- the check at synth


def test_human_task_ui_accepts_every_builtin() -> None:
    stack = new_stack()
    for name, make in FACTORIES.items():
        HumanTaskUi(stack, name, template=make())
    uis = Template.from_stack(stack).find_resources("AWS::SageMaker::HumanTaskUi")
    assert len(uis) == len(FACTORIES)


def test_synth_fails_naming_construct_line_and_path() -> None:
    template = TaskTemplate.text_classification(
        categories=["a", "b"], prediction_field="prediction"
    ).with_sample_input({"text": "hello", "prediction": {"label": "a"}})
    with pytest.raises(TaskTemplateError) as caught:
        HumanTaskUi(new_stack(), "ReviewUi", template=template)
    error = caught.value
    assert isinstance(error, A2IValidationError) and isinstance(error, TemplateError)
    (problem,) = error.problems
    assert problem.path == "task.input.prediction.confidence"
    line = next(
        number
        for number, text in enumerate(template.content.splitlines(), 1)
        if "prediction.confidence" in text and "{{" in text
    )
    assert str(error) == (
        f"Templates/ReviewUi: worker task template built-in text_classification: "
        f"line {line}:{problem.column}: task.input.prediction.confidence is not in the sample "
        f"input (task.input.prediction has only label)"
    )


def test_syntax_errors_fail_synth_even_without_a_sample(tmp_path: Path) -> None:
    path = tmp_path / "review.html"
    path.write_text("<crowd-form>\n{% if task.input.x %}\n</crowd-form>\n", encoding="utf-8")
    with pytest.raises(
        TaskTemplateError, match=r"Templates/Ui: worker task template .*review\.html"
    ):
        HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_file(path))
    with pytest.raises(TaskTemplateError, match=r"line 2:1: \{% if %\} is never closed"):
        HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_file(path))


def test_without_a_sample_the_paths_are_not_checked() -> None:
    template = TaskTemplate.from_string("<crowd-form>{{ task.input.anything }}</crowd-form>")
    HumanTaskUi(new_stack(), "Ui", template=template)
    with pytest.raises(TaskTemplateError, match=r"task\.input\.anything is not in the sample"):
        HumanTaskUi(new_stack(), "Ui", template=template.with_sample_input({"other": 1}))


def test_a_crowd_form_is_required_at_synth() -> None:
    with pytest.raises(TaskTemplateError, match="no <crowd-form> element"):
        HumanTaskUi(new_stack(), "Ui", template=TaskTemplate.from_string("<p>hi</p>"))


def test_the_check_can_be_turned_off() -> None:
    stack = new_stack()
    HumanTaskUi(stack, "Ui", template=TaskTemplate.from_string("<p>hi</p>"), check_template=False)
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::HumanTaskUi", {"UiTemplate": {"Content": "<p>hi</p>"}}
    )


def test_with_sample_input_keeps_the_origin_and_content(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    path.write_text("<crowd-form>{{ task.input.a }}</crowd-form>", encoding="utf-8")
    template = TaskTemplate.from_file(path).with_sample_input({"a": 1})
    assert template.origin == str(path)
    assert template.render() == "<crowd-form>1</crowd-form>"
    with pytest.raises(A2IValidationError, match="sample_input must be a mapping"):
        TaskTemplate.from_string("<crowd-form></crowd-form>", sample_input=[1])  # type: ignore[arg-type]
