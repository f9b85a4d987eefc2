"""Templates and inputs modelled on AWS's own material: checked and rendered as A2I does.

Every template here is one of AWS's (``tests/fixtures/templates/``, each naming its source)
and every input follows a format AWS documents (``tests/fixtures/*.json``; see
``tests/fixtures/README.md`` for what was changed). The pages:

* Crowd HTML Elements reference, crowd-entity-annotation:
  https://docs.aws.amazon.com/sagemaker/latest/dg/sms-ui-template-crowd-entity-annotation.html
  ("Important: Self-contained Widget. Do not use <crowd-entity-annotation> element with the
  <crowd-form> element. It contains its own form submission logic and Submit button.")
* Augmented AI Crowd HTML Elements (crowd-textract-analyze-document,
  crowd-rekognition-detect-moderation-labels):
  https://docs.aws.amazon.com/sagemaker/latest/dg/crowd-elements-a2i-list.html (each names
  crowd-form as its parent element; the initialValue and keys examples).
* Amazon A2I Output Data, the Textract and Rekognition ``inputContent`` examples:
  https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from constructs_a2i.templates.check import SELF_CONTAINED_ELEMENTS, check_template, find_problems
from constructs_a2i.templates.preview import render_preview
from constructs_a2i.templates.problems import NOTE, TemplateProblem
from constructs_a2i.templates.render import render_template
from constructs_a2i.templates.task_template import TaskTemplate
from tests.conftest import FIXTURES, fixture_json

TEMPLATES = FIXTURES / "templates"


def template(name: str) -> str:
    """One of AWS's templates in ``tests/fixtures/templates``."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def aws_input(name: str) -> dict[str, Any]:
    """One of the inputs in ``tests/fixtures`` modelled on AWS's documented examples."""
    sample: dict[str, Any] = fixture_json(name)
    return sample


class _Attributes(HTMLParser):
    """The attributes of every element, as a browser reads them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.setdefault(tag, dict(attrs))


def attributes(html: str, tag: str) -> dict[str, str | None]:
    parser = _Attributes()
    parser.feed(html)
    parser.close()
    return parser.elements[tag]


def errors(problems: list[TemplateProblem]) -> list[TemplateProblem]:
    return [problem for problem in problems if problem.is_error]


# ---------------------------------------------------------------- 1. self-contained elements


ENTITY_ANNOTATION_TEMPLATES = [
    "named-entity-recognition.liquid.html",
    "key-phrase-extraction.html",
    "part-of-speech-tagging.html",
]


@pytest.mark.parametrize("name", ENTITY_ANNOTATION_TEMPLATES)
def test_entity_annotation_templates_need_no_crowd_form(name: str) -> None:
    # sms-ui-template-crowd-entity-annotation: a self-contained widget, never inside
    # <crowd-form>. AWS's named-entity, key-phrase and part-of-speech samples have none.
    source = template(name)
    assert "<crowd-form" not in source
    sample = fixture_json("entity-annotation-input.json")
    assert find_problems(source) == []
    assert find_problems(source, sample) == []
    check_template(source, sample, name=name)
    TaskTemplate.from_file(TEMPLATES / name, sample_input=sample).check()
    html = render_template(source, sample)
    annotation = attributes(html, "crowd-entity-annotation")
    assert annotation["text"] == sample["taskObject"]
    if name == "named-entity-recognition.liquid.html":
        assert json.loads(annotation["labels"] or "") == sample["labels"]


def test_only_crowd_entity_annotation_is_self_contained() -> None:
    # Of every element in AWS's Crowd HTML Elements reference, only crowd-entity-annotation
    # is marked "Self-contained Widget"; the A2I elements' pages name crowd-form as parent.
    assert SELF_CONTAINED_ELEMENTS == ("crowd-entity-annotation",)
    a2i_elements = ("crowd-textract-analyze-document", "crowd-rekognition-detect-moderation-labels")
    for element in a2i_elements:
        without_form = f"<{element} header='x'></{element}>"
        problem = find_problems(without_form)[0]
        assert problem.is_error
        assert "the template has no <crowd-form> element" in problem.message


def test_a_template_with_neither_a_form_nor_a_self_contained_element_is_refused() -> None:
    (problem,) = find_problems("<p>{{ task.input.taskObject }}</p>", {"taskObject": "x"})
    assert problem.is_error
    assert "no <crowd-form> element" in problem.message
    assert "<crowd-entity-annotation>" in problem.message


def test_entity_annotation_inside_a_crowd_form_gets_a_note() -> None:
    # "Do not use <crowd-entity-annotation> element with the <crowd-form> element."
    source = template("named-entity-recognition.liquid.html")
    wrapped = source.replace(
        "<crowd-entity-annotation\n", "<crowd-form>\n<crowd-entity-annotation\n"
    )
    wrapped = wrapped.replace(
        "</crowd-entity-annotation>", "</crowd-entity-annotation></crowd-form>"
    )
    (note,) = find_problems(wrapped, fixture_json("entity-annotation-input.json"))
    assert note.severity == NOTE and not note.is_error
    assert note.line == 5 and note.column == 1
    assert "not to use it inside <crowd-form>" in note.message
    # A form elsewhere on the page is no reason for a note.
    beside = source + "\n<crowd-form><crowd-input name='x'></crowd-input></crowd-form>\n"
    assert find_problems(beside) == []


# ---------------------------------------------------------------- 2. objects and lists as JSON


def test_textract_template_renders_blocks_and_keys_as_json() -> None:
    # crowd-elements-a2i-list: crowd-textract-analyze-document reads initial-value (Textract
    # blocks with geometry) and keys ({importantFormKey, importantFormKeyAliases} objects)
    # as JSON; AWS's template writes both without a filter.
    source = template("textract-analyze-document.html")
    sample = fixture_json("a2i-textract-input.json")
    assert find_problems(source, sample) == []
    html = render_template(source, sample)
    element = attributes(html, "crowd-textract-analyze-document")
    blocks = json.loads(element["initial-value"] or "")
    assert blocks == sample["selectedAiServiceResponse"]["blocks"]
    assert blocks[0]["geometry"]["polygon"][2] == {
        "x": 0.8095142245292664,
        "y": 0.6170083582401276,
    }
    keys = json.loads(element["keys"] or "")
    assert keys == sample["humanLoopContext"]["importantFormKeys"]
    assert keys[0]["importantFormKeyAliases"] == ["address", "Addr.", "Add."]
    # Nothing of Python's reprs reaches the page.
    assert "{'" not in html and "True" not in html and "None" not in html
    assert element["src"] is not None and element["src"].startswith(
        "https://s3.amazonaws.com/DOC-EXAMPLE-BUCKET1/document-demo.jpg?"
    )


def test_rekognition_template_renders_with_the_documented_input() -> None:
    # crowd-rekognition-detect-moderation-labels takes categories as strings or objects
    # with a name; AWS's template builds them in a loop, and a template may also pass
    # the selected labels as they are.
    sample = fixture_json("a2i-rekognition-input.json")
    source = template("rekognition-detect-moderation-labels.html")
    assert find_problems(source, sample) == []
    html = render_template(source, sample)
    element = attributes(html, "crowd-rekognition-detect-moderation-labels")
    assert 'name: "Suggestive"' in (element["categories"] or "")
    labels_as_they_are = '"{{ task.input.selectedAiServiceResponse.moderationLabels }}"'
    direct = source.replace("categories='[", f"categories={labels_as_they_are} unused='[")
    html = render_template(direct, sample)
    element = attributes(html, "crowd-rekognition-detect-moderation-labels")
    labels = json.loads(element["categories"] or "")
    assert labels == [{"confidence": 96.7122802734375, "name": "Suggestive", "parentName": ""}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Pay Date", "Name"], '["Pay Date","Name"]'),
        ({"a": True, "b": None, "c": [1, 2.5]}, '{"a":true,"b":null,"c":[1,2.5]}'),
        ([], "[]"),
        ({}, "{}"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        ("<b>", "<b>"),
        (3, "3"),
    ],
)
def test_output_is_json_for_objects_and_lists(value: Any, expected: str) -> None:
    html = render_template("{{ task.input.v }}", {"v": value})
    parser = HTMLParser(convert_charrefs=True)
    decoded: list[str] = []
    parser.handle_data = decoded.append  # type: ignore[method-assign]
    parser.feed(f"<p>{html}</p>")
    parser.close()
    assert "".join(decoded) == expected
    # skip_autoescape and echo output the same text, unescaped or escaped.
    assert render_template("{{ task.input.v | skip_autoescape }}", {"v": value}) == expected
    assert render_template("{% echo task.input.v %}", {"v": value}) == html


def test_the_preview_shows_the_textract_blocks_as_json() -> None:
    page = render_preview(
        template("textract-analyze-document.html"), fixture_json("a2i-textract-input.json")
    )
    element = attributes(page, "crowd-textract-analyze-document")
    assert json.loads(element["initial-value"] or "")[0]["blockType"] == "KEY_VALUE_SET"


# ---------------------------------------------------------------- 3. guarded optional fields


def test_a_field_read_only_under_its_own_guard_is_optional() -> None:
    # AWS's Textract input (a2i-output-data) has no humanLoopContext when the flow's
    # activation conditions name no form keys; a template may show them only if present.
    source = template("textract-analyze-document.html").replace(
        'keys="{{ task.input.humanLoopContext.importantFormKeys }}"',
        "{% if task.input.humanLoopContext %}"
        'keys="{{ task.input.humanLoopContext.importantFormKeys }}"{% endif %}',
    )
    sample = fixture_json("a2i-textract-input.json")
    del sample["humanLoopContext"]
    problems = find_problems(source, sample)
    (note,) = problems
    assert note.severity == NOTE
    assert note.path == "task.input.humanLoopContext"
    assert "optional" in note.message
    check_template(source, sample)  # a note fails nothing
    TaskTemplate.from_string(source, sample_input=sample).check()
    assert "keys=" not in render_template(source, sample)
    # The same read without the guard is an error.
    unguarded = template("textract-analyze-document.html")
    (error,) = find_problems(unguarded, sample)
    assert error.is_error and error.path == "task.input.humanLoopContext"


@pytest.mark.parametrize(
    "body",
    [
        "{% if task.input.hint %}{{ task.input.hint }}{% endif %}",
        "{% if task.input.hint %}<p>{{ task.input.hint.text }}</p>{% endif %}",
        "{% if task.input.hint and task.input.text %}{{ task.input.hint }}{% endif %}",
        "{% if task.input.text %}{% elsif task.input.hint %}{{ task.input.hint }}{% endif %}",
        "{% unless task.input.hint %}none{% else %}{{ task.input.hint }}{% endunless %}",
        "{% if task.input.hint %}{% if task.input.text %}{{ task.input.hint }}{% endif %}"
        "{% endif %}",
        "{% if task.input.hint %}{% assign h = task.input.hint %}{{ h }}{% endif %}",
    ],
)
def test_guarded_reads_are_notes(body: str) -> None:
    source = f"<crowd-form>\n{body}\n{{{{ task.input.text }}}}\n</crowd-form>"
    problems = find_problems(source, {"text": "Is this a heron?"})
    assert problems and errors(problems) == [], problems
    assert {problem.path for problem in problems} == {"task.input.hint"}
    assert len(problems) == 1
    assert find_problems(source, {"text": "x", "hint": {"text": "a bird"}}) == []


@pytest.mark.parametrize(
    "body",
    [
        "{{ task.input.hint }}",
        "{% if task.input.hint %}x{% endif %}{{ task.input.hint }}",
        "{% if task.input.text %}{{ task.input.hint }}{% endif %}",
        "{% if task.input.hint %}{% else %}{{ task.input.hint }}{% endif %}",
        "{% if task.input.hint or task.input.text %}{{ task.input.hint }}{% endif %}",
        "{% unless task.input.hint %}{{ task.input.hint }}{% endunless %}",
        "{% if task.input.hint.text %}{{ task.input.hint }}{% endif %}",
        # A comparison is not a test of the path here (a missing path is not blank).
        "{% if task.input.hint != blank %}{{ task.input.hint }}{% endif %}",
    ],
)
def test_unguarded_reads_stay_errors(body: str) -> None:
    source = f"<crowd-form>\n{body}\n{{{{ task.input.text }}}}\n</crowd-form>"
    problems = find_problems(source, {"text": "Is this a heron?"})
    assert errors(problems), problems
    assert all(problem.path == "task.input.hint" for problem in problems)


def test_a_guard_on_a_prefix_guards_the_longer_path_in_loops_too() -> None:
    # Rekognition's labels (a2i-output-data): parentName is "" for a top-level label.
    source = (
        "<crowd-form>\n{% for label in task.input.selectedAiServiceResponse.moderationLabels %}"
        "{% if label.parent %}{{ label.parent.name }}{% endif %}{{ label.name }}{% endfor %}\n"
        "</crowd-form>"
    )
    problems = find_problems(source, fixture_json("a2i-rekognition-input.json"))
    assert [(p.severity, p.path) for p in problems] == [
        (NOTE, "task.input.selectedAiServiceResponse.moderationLabels[0].parent")
    ]


@pytest.mark.parametrize(
    ("hint", "severity"),
    [
        ("absent", NOTE),
        (None, NOTE),  # null and false are Liquid's only false values: the branch is skipped
        (False, NOTE),
        ("a heron, probably", "error"),  # the branch runs, and a string has no .text
        ({"source": "model"}, "error"),
    ],
)
def test_a_guard_the_sample_makes_true_excuses_nothing(hint: Any, severity: str) -> None:
    source = (
        "<crowd-form>\n{% if task.input.hint %}{{ task.input.hint.text }}{% endif %}\n</crowd-form>"
    )
    sample = {} if hint == "absent" else {"hint": hint}
    (problem,) = find_problems(source, sample)
    assert problem.severity == severity, problem
