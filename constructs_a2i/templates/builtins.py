"""The built-in worker task templates, filled in with your parameters.

Each function returns a :class:`BuiltinTemplate`: the template text (HTML and Liquid
using AWS's Crowd HTML Elements inside ``<crowd-form>``, from the files in
:data:`TEMPLATES_DIR`), the ``task.input`` fields it expects and a sample input that
shows them. :class:`~constructs_a2i.templates.task_template.TaskTemplate` wraps these as
``TaskTemplate.text_classification(...)`` and friends; the ``a2i`` command line tool
previews them as ``builtin:<name>``. Standard library only.

Parameters are put into the template safely: texts are HTML-escaped and their ``{``
and ``}`` written as character references, so a category name can never be read as
Liquid or as markup; field names must be plain dotted identifiers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "BUILTIN_TEMPLATES",
    "IMAGE_CLASSIFIER_MAX_CATEGORIES",
    "TEMPLATES_DIR",
    "BuiltinTemplate",
    "image_classification",
    "key_value_review",
    "text_classification",
    "text_correction",
]

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "builtin"
"""The folder holding the built-in template files (``constructs_a2i/templates/builtin``)."""

IMAGE_CLASSIFIER_MAX_CATEGORIES: Final = 10
"""``crowd-image-classifier`` shows at most this many categories."""

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ANSWER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
# A conditional section: markers on lines of their own (the lines go too), or inline.
_IF_LINES = re.compile(
    r"^[ \t]*\[\[a2i:if (\w+)\]\][ \t]*\n(.*?)^[ \t]*\[\[a2i:endif\]\][ \t]*\n",
    re.DOTALL | re.MULTILINE,
)
_IF_INLINE = re.compile(r"\[\[a2i:if (\w+)\]\](.*?)\[\[a2i:endif\]\]", re.DOTALL)
_PLACEHOLDER = re.compile(r"\[\[a2i:(\w+)\]\]")
_NOTE = re.compile(r"^\[\[a2i:note\]\].*\n", re.MULTILINE)


@dataclass(frozen=True)
class BuiltinTemplate:
    """A built-in worker task template with its parameters filled in."""

    name: str
    """The built-in's name (``text_classification``, ...)."""
    content: str
    """The template text, ready for ``AWS::SageMaker::HumanTaskUi``."""
    input_fields: tuple[str, ...]
    """The ``task.input`` fields the template reads (``prediction.label``, ``pairs[].key``)."""
    sample_input: Mapping[str, Any] = field(default_factory=dict)
    """An example ``InputContent`` with every input field."""


def _text(value: str) -> str:
    """``value`` as HTML text or attribute value that neither HTML nor Liquid interprets."""
    return html.escape(value, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines separate paragraphs)."""
    parts = [part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return "\n      ".join(f"<p>{_text(part)}</p>" for part in parts)


def _check_text(prop: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{prop} must be a non-empty string; got {value!r}")
    return value


def _check_field(prop: str, value: str) -> str:
    if not isinstance(value, str) or not _FIELD.match(value):
        raise ValueError(
            f"{prop} must name a task.input field: identifiers (letters, digits, _) joined "
            f"by dots, like 'text' or 'document.text'; got {value!r}"
        )
    return value


def _check_answer_name(value: str) -> str:
    if not isinstance(value, str) or not _ANSWER_NAME.match(value):
        raise ValueError(
            "answer_name must be 1-64 letters, digits, '_' or '-', starting with a letter "
            f"or '_'; got {value!r}"
        )
    return value


def _check_categories(categories: Sequence[str], maximum: int | None = None) -> list[str]:
    if isinstance(categories, str) or not isinstance(categories, Sequence):
        raise ValueError(f"categories must be a list of strings; got {categories!r}")
    items = list(categories)
    if len(items) < 2:
        raise ValueError(f"categories must hold at least 2 categories; got {items!r}")
    if maximum is not None and len(items) > maximum:
        raise ValueError(
            f"categories may hold at most {maximum} categories for this task type; got {len(items)}"
        )
    for item in items:
        _check_text("every category", item)
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise ValueError(f"categories must be unique; repeated: {duplicates!r}")
    return items


def _set(sample: dict[str, Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    node = sample
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _fill(file_name: str, values: Mapping[str, str], flags: Mapping[str, bool]) -> str:
    source = _NOTE.sub("", (TEMPLATES_DIR / file_name).read_text(encoding="utf-8"))

    def block(match: re.Match[str]) -> str:
        return match.group(2) if flags[match.group(1)] else ""

    def placeholder(match: re.Match[str]) -> str:
        return values[match.group(1)]

    source = _IF_INLINE.sub(block, _IF_LINES.sub(block, source))
    return _PLACEHOLDER.sub(placeholder, source)


def text_classification(
    categories: Sequence[str],
    *,
    text_field: str = "text",
    prediction_field: str | None = None,
    header: str = "Which category fits this text best?",
    instructions: str = (
        "Read the whole text, then choose the one category that fits it best.\n\n"
        "When the model's answer is shown, treat it as a suggestion: confirm it when it is "
        "right and choose another category when it is wrong."
    ),
    answer_name: str = "category",
) -> BuiltinTemplate:
    """Reviewers read a text and choose one of ``categories`` (``crowd-classifier``).

    Input fields:

    * ``task.input.<text_field>`` (default ``text``): the text to classify.
    * with ``prediction_field`` set, ``task.input.<prediction_field>.label`` and
      ``task.input.<prediction_field>.confidence``: the model's answer, shown as a hint.

    The answer is ``<answer_name>.label`` (default ``category.label``), one of the
    categories. ``header`` and ``instructions`` are plain text.
    """
    items = _check_categories(categories)
    _check_field("text_field", text_field)
    if prediction_field is not None:
        _check_field("prediction_field", prediction_field)
    sample: dict[str, Any] = {}
    _set(
        sample, text_field, "The parcel came two days late, but the kettle works well and is quiet."
    )
    fields = [text_field]
    if prediction_field is not None:
        _set(sample, prediction_field, {"label": items[0], "confidence": 0.54})
        fields += [f"{prediction_field}.label", f"{prediction_field}.confidence"]
    content = _fill(
        "text_classification.html",
        {
            "answer_name": _check_answer_name(answer_name),
            "categories_json": _text(json.dumps(items, ensure_ascii=False)),
            "header": _text(_check_text("header", header)),
            "instructions": _paragraphs(_check_text("instructions", instructions)),
            "text_field": text_field,
            "prediction_field": prediction_field or "",
        },
        {"prediction": prediction_field is not None},
    )
    return BuiltinTemplate("text_classification", content, tuple(fields), sample)


def image_classification(
    categories: Sequence[str],
    *,
    image_field: str = "image",
    header: str = "Which category fits this image best?",
    instructions: str = (
        "Look at the whole image, zooming in where details matter, then choose the one "
        "category that fits it best."
    ),
    answer_name: str = "category",
) -> BuiltinTemplate:
    """Reviewers look at an image stored in S3 and choose one of ``categories``.

    Uses ``crowd-image-classifier`` (at most 10 categories). Input fields:

    * ``task.input.<image_field>`` (default ``image``): the image's S3 URI,
      ``s3://bucket/key``. The template passes it through ``grant_read_access``, so the
      flow definition's role needs ``s3:GetObject`` on it and the bucket needs CORS
      allowing GET from any origin.

    The answer is ``<answer_name>.label`` (default ``category.label``).
    """
    items = _check_categories(categories, IMAGE_CLASSIFIER_MAX_CATEGORIES)
    _check_field("image_field", image_field)
    sample: dict[str, Any] = {}
    _set(sample, image_field, "s3://amzn-s3-demo-bucket/review/images/photo-0001.jpg")
    content = _fill(
        "image_classification.html",
        {
            "answer_name": _check_answer_name(answer_name),
            "categories_json": _text(json.dumps(items, ensure_ascii=False)),
            "header": _text(_check_text("header", header)),
            "instructions": _paragraphs(_check_text("instructions", instructions)),
            "image_field": image_field,
        },
        {},
    )
    return BuiltinTemplate("image_classification", content, (image_field,), sample)


def text_correction(
    *,
    source_field: str = "source",
    answer_field: str = "answer",
    header: str = "Check and correct the model's answer",
    source_label: str = "What the model was given",
    answer_label: str = "The model's answer (correct it if needed)",
    instructions: str = (
        "Read what the model was given, then read its answer in the text box.\n\n"
        "If the answer is wrong, incomplete or badly worded, edit it until it is right. "
        "If it is already right, leave it as it is."
    ),
    answer_name: str = "corrected_answer",
) -> BuiltinTemplate:
    """Reviewers correct a model's free-text answer (``crowd-text-area``).

    Input fields:

    * ``task.input.<source_field>`` (default ``source``): what the model was given (a
      question, a document, an e-mail), shown as text.
    * ``task.input.<answer_field>`` (default ``answer``): the model's answer; the text
      box starts with it.

    The answer is ``<answer_name>`` (default ``corrected_answer``), the corrected text.
    """
    _check_field("source_field", source_field)
    _check_field("answer_field", answer_field)
    sample: dict[str, Any] = {}
    _set(
        sample,
        source_field,
        "Customer e-mail: I ordered the blue kettle (order 1182) but a red one arrived. "
        "Could you send the blue one and tell me how to return the red one?",
    )
    _set(sample, answer_field, "The customer asks for a refund of order 1182.")
    content = _fill(
        "text_correction.html",
        {
            "answer_name": _check_answer_name(answer_name),
            "header": _text(_check_text("header", header)),
            "source_label": _text(_check_text("source_label", source_label)),
            "answer_label": _text(_check_text("answer_label", answer_label)),
            "instructions": _paragraphs(_check_text("instructions", instructions)),
            "source_field": source_field,
            "answer_field": answer_field,
        },
        {},
    )
    return BuiltinTemplate("text_correction", content, (source_field, answer_field), sample)


def key_value_review(
    *,
    pairs_field: str = "pairs",
    document_field: str | None = None,
    header: str = "Check the values read from the document",
    instructions: str = (
        "Each box shows one value the model read, labelled with its key.\n\n"
        "Compare each value with the document. Correct the values that are wrong, and "
        "clear a value that does not appear in the document."
    ),
) -> BuiltinTemplate:
    """Reviewers check and correct key/value pairs a model extracted (``crowd-input``).

    Input fields:

    * ``task.input.<pairs_field>`` (default ``pairs``): a list of objects, each with
      ``key`` (the label shown) and ``value`` (the extracted value, pre-filled).
    * with ``document_field`` set, ``task.input.<document_field>``: the S3 URI of the
      document image (shown through ``grant_read_access``).

    The answers are ``value-0``, ``value-1``, ...: the checked value of each pair, in
    the order of the input list.
    """
    _check_field("pairs_field", pairs_field)
    if document_field is not None:
        _check_field("document_field", document_field)
    sample: dict[str, Any] = {}
    _set(
        sample,
        pairs_field,
        [
            {"key": "Invoice number", "value": "INV-0042"},
            {"key": "Invoice date", "value": "2024-05-14"},
            {"key": "Total due", "value": "1,234.50 EUR"},
        ],
    )
    fields = [f"{pairs_field}[].key", f"{pairs_field}[].value"]
    if document_field is not None:
        _set(sample, document_field, "s3://amzn-s3-demo-bucket/review/invoices/inv-0042.png")
        fields.append(document_field)
    content = _fill(
        "key_value_review.html",
        {
            "header": _text(_check_text("header", header)),
            "instructions": _paragraphs(_check_text("instructions", instructions)),
            "pairs_field": pairs_field,
            "document_field": document_field or "",
        },
        {"document": document_field is not None},
    )
    return BuiltinTemplate("key_value_review", content, tuple(fields), sample)


BUILTIN_TEMPLATES: Final[Mapping[str, Callable[[], BuiltinTemplate]]] = {
    "text_classification": lambda: text_classification(
        ["positive", "negative", "neutral"], prediction_field="prediction"
    ),
    "image_classification": lambda: image_classification(["cat", "dog", "bird", "other"]),
    "text_correction": lambda: text_correction(),
    "key_value_review": lambda: key_value_review(document_field="document"),
}
"""Each built-in with example parameters: what ``a2i template preview builtin:<name>`` shows."""
