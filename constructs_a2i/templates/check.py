"""Check a worker task template before it is deployed: everything A2I would reject or fail on.

A2I renders a worker task template with Liquid when a reviewer opens a task. A broken
template (a Liquid syntax error, a ``task.input.x`` the human loop's input never has) would
only show up then, as a task that fails to render. :func:`find_problems` and
:func:`check_template` find those problems ahead of time: they require a ``<crowd-form>``
(or an element that brings its own form, see :data:`SELF_CONTAINED_ELEMENTS`) and at most
:data:`~constructs_a2i.core.limits.TEMPLATE_MAX_LENGTH` characters, parse the template with
a real Liquid engine (python-liquid 2.x), reject filters neither Liquid nor A2I knows and
``include``/``render`` tags, and, given a sample ``InputContent``, check that every
``task.input...`` path the template uses (in outputs, ``if``/``unless``/``case``
conditions, ``for`` loops, filter arguments and ``assign`` aliases) exists in the sample and
that the template renders with it. Each problem carries its line and column.

A path the sample lacks is an error, unless the template reads it only under a guard on
that path or a prefix of it (``{% if task.input.hint %}{{ task.input.hint }}{% endif %}``,
see :mod:`~constructs_a2i.templates.analyse`): such a path is optional, and its absence
is a note, which fails nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from liquid import BoundTemplate

from constructs_a2i.core.limits import TEMPLATE_MAX_LENGTH
from constructs_a2i.templates.analyse import (
    Dynamic,
    Each,
    PathUse,
    Segments,
    analyse,
    append_segment,
    format_path,
)
from constructs_a2i.templates.environment import A2I_FILTERS, a2i_environment
from constructs_a2i.templates.locate import line_column, parse_template
from constructs_a2i.templates.problems import NOTE, TemplateError, TemplateProblem
from constructs_a2i.templates.render import render_template

__all__ = ["SELF_CONTAINED_ELEMENTS", "check_template", "find_problems"]

SELF_CONTAINED_ELEMENTS: Final = ("crowd-entity-annotation",)
"""Crowd HTML Elements that bring their own form and Submit button, so a template built on
one needs no ``<crowd-form>``.

AWS's Crowd HTML Elements reference
(https://docs.aws.amazon.com/sagemaker/latest/dg/sms-ui-template-reference.html) marks only
``crowd-entity-annotation`` as a "Self-contained Widget" ("Do not use
<crowd-entity-annotation> element with the <crowd-form> element. It contains its own form
submission logic and Submit button"; its Element Hierarchy names no parent element). Every
other element's page, including A2I's own ``crowd-textract-analyze-document`` and
``crowd-rekognition-detect-moderation-labels``
(https://docs.aws.amazon.com/sagemaker/latest/dg/crowd-elements-a2i-list.html), names
``crowd-form`` as its parent element.
"""

_HTML_COMMENT: Final = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_CROWD_FORM: Final = re.compile(r"<crowd-form[\s>/]", re.IGNORECASE)
_CROWD_FORM_END: Final = re.compile(r"</crowd-form\s*>", re.IGNORECASE)
_SELF_CONTAINED: Final = re.compile(
    r"<(" + "|".join(SELF_CONTAINED_ELEMENTS) + r")[\s>/]", re.IGNORECASE
)


def find_problems(
    source: str, sample_input: Mapping[str, Any] | None = None
) -> list[TemplateProblem]:
    """Everything wrong with worker task template ``source``, in template order.

    Always checked: the size (1-128000 characters), a ``<crowd-form>`` element (or a
    self-contained element such as ``crowd-entity-annotation``), the Liquid syntax,
    filters (standard Liquid plus A2I's), no ``include``/``render``. With
    ``sample_input`` (an example of the human loop's ``InputContent``), also: every
    ``task.input...`` path the template uses exists in the sample (a path read only
    under a guard on it is optional: a note if missing), and the template renders with
    it. Each problem is an error or a note (:attr:`TemplateProblem.is_error`); a list
    without errors means the template is fine.
    """
    problems: list[TemplateProblem] = []
    if not source:
        return [TemplateProblem("the template is empty")]
    if len(source) > TEMPLATE_MAX_LENGTH:
        problems.append(
            TemplateProblem(
                f"the template has {len(source)} characters; A2I accepts at most "
                f"{TEMPLATE_MAX_LENGTH}"
            )
        )
    problems.extend(_form_problems(source))
    if sample_input is not None and not isinstance(sample_input, Mapping):
        problems.append(
            TemplateProblem(
                f"the sample input must be a JSON object (InputContent); got {_kind(sample_input)}"
            )
        )
        sample_input = None
    try:
        template = parse_template(source)
    except TemplateError as err:
        return _dedupe([*problems, *err.problems])
    static = _static_problems(template, source, sample_input)
    problems.extend(static)
    if sample_input is not None and not any(problem.is_error for problem in static):
        try:
            render_template(source, sample_input)
        except TemplateError as err:
            problems.extend(err.problems)
    return _dedupe(problems)


def check_template(
    source: str, sample_input: Mapping[str, Any] | None = None, *, name: str | None = None
) -> None:
    """Raise :class:`~constructs_a2i.templates.problems.TemplateError` listing every error
    :func:`find_problems` finds (notes fail nothing and are left out).

    ``name`` (a file name, say) labels the template in the error message.
    """
    errors = [problem for problem in find_problems(source, sample_input) if problem.is_error]
    if errors:
        raise TemplateError(errors, name=name)


def _form_problems(source: str) -> list[TemplateProblem]:
    """A template needs a ``<crowd-form>`` or a self-contained element, not both nested.

    HTML comments are left out (a form commented out is no form).
    """
    html = _HTML_COMMENT.sub(lambda match: re.sub(r"[^\n]", " ", match.group()), source)
    forms = [match.start() for match in _CROWD_FORM.finditer(html)]
    widgets = list(_SELF_CONTAINED.finditer(html))
    if not forms and not widgets:
        return [
            TemplateProblem(
                "the template has no <crowd-form> element: put the task inside "
                "<crowd-form>...</crowd-form> so that A2I can collect the workers' answers "
                f"(only {', '.join(f'<{name}>' for name in SELF_CONTAINED_ELEMENTS)}, which "
                "has its own form and Submit button, goes without one)"
            )
        ]
    ends = [match.start() for match in _CROWD_FORM_END.finditer(html)]
    problems = []
    for widget in widgets:
        opened = sum(index < widget.start() for index in forms)
        closed = sum(index < widget.start() for index in ends)
        if opened > closed:
            line, column = line_column(source, widget.start())
            problems.append(
                TemplateProblem(
                    f"<{widget.group(1).lower()}> has its own form and Submit button: AWS's "
                    "Crowd HTML Elements reference says not to use it inside <crowd-form>",
                    line,
                    column,
                    severity=NOTE,
                )
            )
    return problems


def _static_problems(
    template: BoundTemplate, source: str, sample_input: Mapping[str, Any] | None
) -> list[TemplateProblem]:
    """Unknown filters, partials and (with a sample) paths the sample does not have."""
    analysis = analyse(template)
    known = a2i_environment().filters
    problems: list[TemplateProblem] = []
    for name, index in analysis.filters:
        if name not in known:
            line, column = line_column(source, index)
            problems.append(
                TemplateProblem(
                    f"unknown filter '{name}': A2I knows the standard Liquid filters and "
                    f"{', '.join(A2I_FILTERS)}",
                    line,
                    column,
                )
            )
    for tag, index in analysis.partials:
        line, column = line_column(source, index)
        problems.append(
            TemplateProblem(
                f"{{% {tag} %}} cannot be used: an A2I worker task template is a single "
                f"file and cannot load other templates",
                line,
                column,
            )
        )
    if sample_input is not None:
        problems.extend(_check_uses(analysis.uses, sample_input, source))
    return problems


def _check_uses(
    uses: Sequence[PathUse], sample_input: Mapping[str, Any], source: str
) -> list[TemplateProblem]:
    """A problem for each path that is not ``task.input...`` or that the sample lacks.

    A missing path read anywhere without a guard is an error at each such read; one read
    only under guards is optional: one note, at its first read. A guard the sample makes
    true (``hint`` is there, so ``{% if task.input.hint %}{{ task.input.hint.text }}`` does
    read ``text``) guards nothing: the read is checked as an unguarded one.
    """
    problems: list[TemplateProblem] = []
    optional: dict[str, TemplateProblem] = {}
    required: set[str] = set()
    for use in uses:
        line, column = line_column(source, use.index)
        head = use.segments[0]
        if head != "task":
            problems.append(
                TemplateProblem(
                    f"{use.written} is not defined: A2I gives a template only task.input "
                    f"(the human loop's InputContent) and the template's own variables",
                    line,
                    column,
                    use.written,
                )
            )
            continue
        if len(use.segments) >= 2 and use.segments[1] != "input":
            problems.append(
                TemplateProblem(
                    f"{use.written} is not defined: A2I gives a template only task.input "
                    f"(did you mean {format_path(('task', 'input', *use.segments[2:]))}?)",
                    line,
                    column,
                    use.written,
                )
            )
            continue
        failure = _walk_sample(sample_input, use.segments[2:], "task.input")
        if failure is None:
            continue
        missing, why = failure
        alias = "" if use.written.startswith("task.") else f" ({use.written})"
        if not any(_may_be_falsy(sample_input, guard[2:]) for guard in use.guards):
            required.add(missing)
            problems.append(
                TemplateProblem(
                    f"{missing}{alias} is not in the sample input ({why})", line, column, missing
                )
            )
        elif missing not in optional:
            optional[missing] = TemplateProblem(
                f"{missing}{alias} is not in the sample input ({why}): optional, since the "
                "template reads it only after testing it; add it to the sample to check "
                "that branch too",
                line,
                column,
                missing,
                severity=NOTE,
            )
    problems.extend(note for path, note in optional.items() if path not in required)
    return problems


def _may_be_falsy(value: object, segments: Segments) -> bool:
    """Whether the path ``segments`` (from ``task.input``) may be missing, nil or false in
    the sample, so that a branch testing it may be skipped. Through a list (``[*]``), a
    computed key or ``size``/``first``/``last``: yes if any item's may."""
    for position, segment in enumerate(segments):
        rest = segments[position + 1 :]
        if isinstance(segment, (Each, Dynamic)):
            items = value if isinstance(value, list) else []
            if isinstance(value, Mapping):
                items = list(value.values())
            return not items or any(_may_be_falsy(item, rest) for item in items)
        if isinstance(segment, int):
            if not isinstance(value, list) or not -len(value) <= segment < len(value):
                return True
            value = value[segment]
        elif isinstance(value, Mapping) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment in ("first", "last") and value:
            value = value[0 if segment == "first" else -1]
        else:
            # `size` of a list, string or object is a number, never nil; anything else is.
            return not (segment == "size" and isinstance(value, (list, str, Mapping)))
    return value is None or value is False


def _walk_sample(value: object, segments: Segments, shown: str) -> tuple[str, str] | None:
    """Follow ``segments`` into ``value``; on failure, the missing path and why."""
    for position, segment in enumerate(segments):
        if isinstance(segment, (Each, Dynamic)):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    failure = _walk_sample(item, segments[position + 1 :], f"{shown}[{index}]")
                    if failure is not None:
                        return failure
                return None
            if isinstance(value, Mapping):
                return None  # keys chosen at render time: nothing to check statically
            what = "loops over" if isinstance(segment, Each) else "indexes"
            return shown, f"the template {what} {shown}, which is {_kind(value)}, not a list"
        if isinstance(segment, int):
            if isinstance(value, list):
                if -len(value) <= segment < len(value):
                    value = value[segment]
                    shown = f"{shown}[{segment}]"
                    continue
                return f"{shown}[{segment}]", f"{shown} has only {len(value)} items"
            return f"{shown}[{segment}]", f"{shown} is {_kind(value)}, not a list"
        if isinstance(value, Mapping):
            if segment in value:
                value = value[segment]
                shown = append_segment(shown, segment)
                continue
            if segment == "size":
                return None
            return append_segment(shown, segment), _keys_hint(shown, value)
        if isinstance(value, list):
            if segment == "size":
                return None
            if segment in ("first", "last"):
                if not value:
                    return None
                value = value[0 if segment == "first" else -1]
                shown = f"{shown}.{segment}"
                continue
            return (
                append_segment(shown, segment),
                f"{shown} is a list (use [index], .first, .last or .size)",
            )
        if isinstance(value, str) and segment == "size":
            return None
        return append_segment(shown, segment), f"{shown} is {_kind(value)}"
    return None


def _kind(value: object) -> str:
    """What ``value`` is, in JSON terms (``a string``, ``an object``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _keys_hint(shown: str, value: Mapping[str, Any]) -> str:
    keys = sorted(str(key) for key in value)
    if not keys:
        return f"{shown} is empty"
    listed = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
    return f"{shown} has only {listed}"


def _dedupe(problems: Iterable[TemplateProblem]) -> list[TemplateProblem]:
    """One problem per line and path (or message), in template order."""
    seen: set[tuple[int | None, str]] = set()
    unique: list[TemplateProblem] = []
    for problem in problems:
        key = (problem.line, problem.path or problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0))
