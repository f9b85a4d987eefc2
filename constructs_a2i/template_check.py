"""Check and render Amazon A2I worker task templates before they are deployed.

A2I renders a worker task template with Liquid when a reviewer opens a task. A broken
template (a Liquid syntax error, a ``task.input.x`` the human loop's input never has)
would only show up then, as a task that fails to render. This module finds those
problems ahead of time, with a real Liquid engine (python-liquid 2.x):

* :func:`find_problems` / :func:`check_template` parse the template, require a
  ``<crowd-form>`` and at most 128000 characters, reject filters neither Liquid nor A2I
  knows, and, given a sample ``InputContent``, check that every ``task.input...`` path
  the template uses (in outputs, ``if``/``unless``/``case`` conditions, ``for`` loops,
  filter arguments and ``assign`` aliases) exists in the sample. Each problem carries
  its line and column.
* :func:`input_paths` lists the ``task.input`` paths a template uses, found by walking
  the parsed syntax tree (loop variables and assigned aliases are followed back to the
  ``task.input`` path they stand for).
* :func:`render_template` renders a template the way A2I does: values are HTML-escaped
  unless marked otherwise, undefined variables are errors, and A2I's own filters
  (``grant_read_access``, ``to_json``, ``skip_autoescape``, ``escape``, ``escape_once``)
  are available. ``grant_read_access`` cannot sign anything offline: by default it
  returns a visibly fake presigned URL (:func:`fake_presigned_url`).

This module needs only python-liquid and the standard library (no ``aws_cdk``), so the
``a2i`` command line tool uses it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from liquid import BoundTemplate, Environment, Markup, StrictUndefined
from liquid.ast import Node
from liquid.builtin.expressions import (
    FilteredExpression,
    LoopExpression,
    Path,
    TernaryFilteredExpression,
)
from liquid.builtin.tags.assign_tag import AssignNode
from liquid.builtin.tags.for_tag import ForNode
from liquid.builtin.tags.include_tag import IncludeNode
from liquid.builtin.tags.render_tag import RenderNode
from liquid.builtin.tags.tablerow_tag import TablerowNode
from liquid.context import RenderContext
from liquid.exceptions import FilterArgumentError, LiquidError
from liquid.expression import Expression
from liquid.stringify import to_liquid_string
from liquid.token import TOKEN_EXPRESSION, TOKEN_OUTPUT, TOKEN_TAG, Token

__all__ = [
    "A2I_FILTERS",
    "PREVIEW_SIGNATURE",
    "TEMPLATE_MAX_LENGTH",
    "InputPathUse",
    "TemplateError",
    "TemplateProblem",
    "check_template",
    "fake_presigned_url",
    "find_problems",
    "input_paths",
    "parse_s3_uri",
    "parse_template",
    "render_template",
]

TEMPLATE_MAX_LENGTH: Final = 128000
"""The largest worker task template A2I accepts (``UiTemplate.Content``), in characters."""

A2I_FILTERS: Final = ("escape", "escape_once", "grant_read_access", "skip_autoescape", "to_json")
"""The filters A2I documents on top of the standard Liquid filters."""

PREVIEW_SIGNATURE: Final = "A2I-PREVIEW-NOT-SIGNED"
"""Marks the fake presigned URLs :func:`fake_presigned_url` makes (``X-Amz-Signature``)."""

# python-liquid extras that are not part of Shopify Liquid, so A2I would not know them.
_NOT_IN_A2I = ("safe", "escapejs")
# Liquid block tags and their end tags, to point at a block that is never closed.
_BLOCK_TAGS = frozenset(
    ["if", "unless", "for", "case", "capture", "tablerow", "comment", "ifchanged", "doc"]
)
_CROWD_FORM = re.compile(r"<crowd-form[\s>/]", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_S3_HOST = re.compile(r"^(?:(?P<bucket>.+)\.)?s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a worker task template.

    ``line`` and ``column`` (both 1-based) locate it in the template when known;
    ``path`` is the ``task.input`` path involved, if any.
    """

    message: str
    """What is wrong and what to do about it."""
    line: int | None = None
    """The template line (1-based), when known."""
    column: int | None = None
    """The column on that line (1-based), when known."""
    path: str | None = None
    """The ``task.input`` path the problem is about, if any."""

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" if self.column is None else f"line {self.line}:{self.column}"
        return f"{where}: {self.message}"


class TemplateError(ValueError):
    """A worker task template that A2I would reject or fail to render.

    ``problems`` lists every problem found (at least one), each with its line.
    """

    def __init__(self, problems: Sequence[TemplateProblem], *, name: str | None = None) -> None:
        if not problems:
            raise ValueError("a TemplateError needs at least one problem")
        self.problems: tuple[TemplateProblem, ...] = tuple(problems)
        """Every problem found, in template order."""
        self.name = name
        """The template's file name or other label, if known."""
        super().__init__(self._message())

    def _message(self) -> str:
        label = f"worker task template {self.name}" if self.name else "worker task template"
        if len(self.problems) == 1:
            return f"{label}: {self.problems[0]}"
        lines = [f"{label} has {len(self.problems)} problems:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass(frozen=True)
class InputPathUse:
    """A place where a template reads a ``task.input`` path."""

    path: str
    """The path, with ``[*]`` for "every item of" (``task.input.pairs[*].key``)."""
    written: str
    """The expression as written in the template (``pair.key`` for a loop variable)."""
    line: int
    """The template line (1-based)."""
    column: int
    """The column on that line (1-based)."""


# --------------------------------------------------------------------------- S3 URLs


def parse_s3_uri(value: str) -> tuple[str, str]:
    """The ``(bucket, key)`` of an ``s3://bucket/key`` URI or an Amazon S3 HTTPS URL.

    Accepts what A2I's ``grant_read_access`` filter accepts: ``s3://bucket/key``,
    ``https://s3.amazonaws.com/bucket/key`` and ``https://bucket.s3.<region>.amazonaws.com/key``
    (``http`` too). Raises ``ValueError`` otherwise.
    """
    parts = urlsplit(value.strip())
    if parts.scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
    elif parts.scheme in ("http", "https") and (match := _S3_HOST.match(parts.hostname or "")):
        path = unquote(parts.path.lstrip("/"))
        if match.group("bucket"):
            bucket, key = match.group("bucket"), path
        else:
            bucket, _, key = path.partition("/")
    else:
        bucket, key = "", ""
    if not bucket or not key:
        raise ValueError(
            f"expected an S3 object URI like s3://bucket/key (or an https://s3.amazonaws.com/"
            f"bucket/key URL); got {value!r}"
        )
    return bucket, key


def fake_presigned_url(s3_uri: str) -> str:
    """A URL shaped like the presigned URL ``grant_read_access`` makes, but not signed.

    Used in previews and checks, where nothing can be signed: it names the object and
    carries ``X-Amz-Signature=A2I-PREVIEW-NOT-SIGNED`` so nobody mistakes it for a
    working link.
    """
    bucket, key = parse_s3_uri(s3_uri)
    return (
        f"https://s3.amazonaws.com/{quote(bucket)}/{quote(key)}"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A2I-PREVIEW"
        f"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={PREVIEW_SIGNATURE}"
    )


# --------------------------------------------------------------------------- environment


def _to_json(value: object) -> Markup:
    """A2I's ``to_json``: the value as JSON, output as is (not HTML-escaped again)."""
    try:
        return Markup(json.dumps(value, ensure_ascii=False))
    except TypeError as err:
        raise FilterArgumentError(f"to_json: cannot encode {value!r} as JSON", token=None) from err


def _skip_autoescape(value: object) -> Markup:
    """A2I's ``skip_autoescape``: output the value as HTML, unescaped."""
    return Markup(to_liquid_string(value, autoescape=False))


def _grant_read_access_filter(presign: Callable[[str], str]) -> Callable[[object], str]:
    def grant_read_access(value: object) -> str:
        if not isinstance(value, str):
            raise FilterArgumentError(
                f"grant_read_access expects an S3 URI (s3://bucket/key); got {value!r}",
                token=None,
            )
        try:
            return presign(value)
        except ValueError as err:
            raise FilterArgumentError(f"grant_read_access {err}", token=None) from err

    return grant_read_access


def _environment(presign: Callable[[str], str] = fake_presigned_url) -> Environment:
    """A Liquid environment that behaves like A2I's template renderer."""
    env = Environment(autoescape=True, undefined=StrictUndefined)
    for name in _NOT_IN_A2I:
        env.filters.pop(name, None)
    # python-liquid's own escape and escape_once already do what A2I documents when
    # autoescape is on: no double escaping, and escape_once leaves entities alone.
    env.filters["to_json"] = _to_json
    env.filters["skip_autoescape"] = _skip_autoescape
    env.filters["grant_read_access"] = _grant_read_access_filter(presign)
    return env


_ENV = _environment()


# --------------------------------------------------------------------------- locations


def _line_column(source: str, index: int) -> tuple[int, int]:
    index = max(0, min(index, len(source)))
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return line, column


def _problem_from_liquid(err: LiquidError, source: str) -> TemplateProblem:
    message = str(err.message) if err.message is not None else type(err).__name__
    token = err.token
    if token is not None and token.start_index >= 0 and token.source == source:
        line, column = _line_column(source, token.start_index)
        return TemplateProblem(message, line, column)
    return TemplateProblem(message)


def _locate_syntax_error(err: LiquidError, source: str) -> TemplateProblem:
    """Find where a syntax error python-liquid could not place is.

    Errors at the end of an expression or of the template come without a position.
    Parse each output statement and tag on its own to find the broken one; failing
    that, point at the innermost block tag that is never closed.
    """
    problem = _problem_from_liquid(err, source)
    try:
        tokens = list(_ENV.tokenizer()(source))
    except LiquidError:
        return problem
    if problem.line is not None:
        return _explain_unexpected_end(problem, err, tokens, source)
    for i, token in enumerate(tokens):
        snippet = _isolated_snippet(token, tokens[i + 1] if i + 1 < len(tokens) else None)
        if snippet is None:
            continue
        try:
            _ENV.from_string(snippet)
        except LiquidError as inner:
            line, column = _line_column(source, _statement_start(source, token))
            return TemplateProblem(str(inner.message), line, column)
    open_blocks = _open_blocks(tokens, len(source))
    if open_blocks:
        opener = open_blocks[-1]
        line, column = _line_column(source, _statement_start(source, opener))
        return TemplateProblem(
            f"{{% {opener.value} %}} is never closed: add {{% end{opener.value} %}} "
            f"({problem.message})",
            line,
            column,
        )
    line, column = _line_column(source, len(source))
    return TemplateProblem(problem.message, line, column)


def _open_blocks(tokens: Iterable[Token], before: int) -> list[Token]:
    """The block tags still open at index ``before`` (innermost last)."""
    open_blocks: list[Token] = []
    for token in tokens:
        if token.start_index >= before:
            break
        if token.kind != TOKEN_TAG:
            continue
        if token.value in _BLOCK_TAGS:
            open_blocks.append(token)
        elif open_blocks and token.value == f"end{open_blocks[-1].value}":
            open_blocks.pop()
    return open_blocks


def _explain_unexpected_end(
    problem: TemplateProblem, err: LiquidError, tokens: list[Token], source: str
) -> TemplateProblem:
    """Add which block is still open to an "unexpected tag 'endfor'" error."""
    token = err.token
    if (
        token is None
        or not token.value.startswith("end")
        or "unexpected tag" not in problem.message
    ):
        return problem
    open_blocks = _open_blocks(tokens, token.start_index)
    if not open_blocks or token.value == f"end{open_blocks[-1].value}":
        return problem
    opener = open_blocks[-1]
    line, _ = _line_column(source, opener.start_index)
    return TemplateProblem(
        f"{problem.message}: {{% {opener.value} %}} on line {line} is still open "
        f"(close it with {{% end{opener.value} %}} first)",
        problem.line,
        problem.column,
    )


def _statement_start(source: str, token: Token) -> int:
    """The index of the ``{%`` or ``{{`` that opens ``token``'s statement."""
    if token.kind == TOKEN_TAG:
        start = source.rfind("{%", 0, token.start_index + 1)
        return start if start >= 0 else token.start_index
    return token.start_index


def _isolated_snippet(token: Token, following: Token | None) -> str | None:
    if token.kind == TOKEN_OUTPUT:
        return token.value
    if token.kind != TOKEN_TAG or token.value in ("comment", "raw", "doc"):
        return None
    name = token.value
    expression = following.value if following and following.kind == TOKEN_EXPRESSION else ""
    if name in _BLOCK_TAGS:
        return f"{{% {name} {expression} %}}{{% end{name} %}}"
    if name == "elsif":
        return f"{{% if true %}}{{% elsif {expression} %}}{{% endif %}}"
    if name == "when":
        return f"{{% case 1 %}}{{% when {expression} %}}{{% endcase %}}"
    if name in ("else", "break", "continue") or name.startswith("end"):
        return None
    return f"{{% {name} {expression} %}}"


# --------------------------------------------------------------------------- parsing


def parse_template(source: str, *, name: str | None = None) -> BoundTemplate:
    """Parse ``source`` as an A2I Liquid template.

    Raises :class:`TemplateError` (with the line and column) on a Liquid syntax error.
    """
    try:
        return _ENV.from_string(source)
    except LiquidError as err:
        raise TemplateError([_locate_syntax_error(err, source)], name=name) from err


class _Each:
    """A path segment meaning "every item of the list"."""

    def __repr__(self) -> str:
        return "_EACH"


class _Dynamic:
    """A path segment computed at render time (``x[task.input.key]``)."""

    def __repr__(self) -> str:
        return "_DYNAMIC"


_EACH = _Each()
_DYNAMIC = _Dynamic()
_Segment = str | int | _Each | _Dynamic
_Segments = tuple[_Segment, ...]


@dataclass(frozen=True)
class _Use:
    segments: _Segments
    written: str
    index: int


class _Scope:
    """Names bound by the template: loop variables, ``assign`` aliases, captures.

    Each name maps to the ``task.input`` path it stands for, or to ``None`` when it
    holds something else (a captured string, ``forloop``, a computed value).
    """

    def __init__(self) -> None:
        self._stack: list[dict[str, _Segments | None]] = [{}]

    def lookup(self, name: str) -> tuple[bool, _Segments | None]:
        for frame in reversed(self._stack):
            if name in frame:
                return True, frame[name]
        return False, None

    def push(self, frame: dict[str, _Segments | None]) -> None:
        self._stack.append(frame)

    def pop(self) -> None:
        self._stack.pop()

    def bind_global(self, name: str, target: _Segments | None) -> None:
        self._stack[0][name] = target


@dataclass
class _Analysis:
    uses: list[_Use]
    filters: list[tuple[str, int]]
    partials: list[tuple[str, int]]


def _paths(expression: Expression) -> Iterator[Path]:
    if isinstance(expression, Path):
        yield expression
    for child in expression.children():
        yield from _paths(child)


def _filters(expression: Expression) -> Iterator[tuple[str, int]]:
    found: list[Any] = []
    if isinstance(expression, FilteredExpression) and expression.filters:
        found.extend(expression.filters)
    if isinstance(expression, TernaryFilteredExpression):
        found.extend(expression.filters or [])
        found.extend(expression.tail_filters or [])
    for filter_ in found:
        yield str(filter_.name), int(filter_.token.start_index)
    for child in expression.children():
        yield from _filters(child)


class _Analyzer:
    def __init__(self, template: BoundTemplate) -> None:
        self._context = RenderContext(template)
        self._scope = _Scope()
        self.result = _Analysis(uses=[], filters=[], partials=[])

    def run(self, nodes: Iterable[Node]) -> _Analysis:
        for node in nodes:
            self._visit(node)
        return self.result

    def _resolve(self, path: Path) -> _Segments | None:
        """The full path ``path`` reads, from a global name; ``None`` for a local value."""
        head = path.path[0]
        if not isinstance(head, str):
            return None
        rest: _Segments = tuple(
            _DYNAMIC if isinstance(segment, Path) else segment for segment in path.path[1:]
        )
        found, target = self._scope.lookup(head)
        if found:
            return None if target is None else target + rest
        return (head, *rest)

    def _record(self, expression: Expression) -> None:
        for path in _paths(expression):
            segments = self._resolve(path)
            if segments is not None:
                self.result.uses.append(_Use(segments, str(path), path.token.start_index))
        self.result.filters.extend(_filters(expression))

    def _alias(self, expression: Expression) -> _Segments | None:
        """What ``{% assign x = expression %}`` makes ``x`` stand for."""
        filters: list[Any] = []
        if isinstance(expression, FilteredExpression):
            filters = list(expression.filters or [])
            expression = expression.left
        if not isinstance(expression, Path):
            return None
        target = self._resolve(expression)
        if target is None or target[0] != "task":
            return None
        if not filters:
            return target
        if len(filters) == 1 and filters[0].name in ("first", "last") and not filters[0].args:
            return (*target, 0 if filters[0].name == "first" else -1)
        return None

    def _visit(self, node: Node) -> None:
        if isinstance(node, (IncludeNode, RenderNode)):
            self.result.partials.append((node.token.value, node.token.start_index))
        for expression in node.expressions():
            self._record(expression)

        if isinstance(node, AssignNode):
            self._scope.bind_global(str(node.name), self._alias(node.expression))
        else:
            for name in node.template_scope():
                self._scope.bind_global(str(name), None)

        frame: dict[str, _Segments | None] = {str(name): None for name in node.block_scope()}
        if isinstance(node, (ForNode, TablerowNode)) and isinstance(
            node.expression, LoopExpression
        ):
            loop = node.expression
            target = self._resolve(loop.iterable) if isinstance(loop.iterable, Path) else None
            if target is not None and target[0] == "task":
                frame[str(loop.identifier)] = (*target, _EACH)
        self._scope.push(frame)
        for child in node.children(self._context, include_partials=False):
            self._visit(child)
        self._scope.pop()


def _analyze(template: BoundTemplate) -> _Analysis:
    return _Analyzer(template).run(template.nodes)


def _append(text: str, segment: _Segment) -> str:
    """``text`` (a path as written) followed by ``segment``."""
    if isinstance(segment, str):
        if _IDENTIFIER.fullmatch(segment):
            return f"{text}.{segment}" if text else segment
        return f"{text}[{json.dumps(segment)}]"
    if isinstance(segment, _Each):
        return f"{text}[*]"
    if isinstance(segment, _Dynamic):
        return f"{text}[?]"
    return f"{text}[{segment}]"


def _format_path(segments: Iterable[_Segment]) -> str:
    text = ""
    for segment in segments:
        text = _append(text, segment)
    return text


def input_paths(source: str) -> list[InputPathUse]:
    """Every ``task.input`` path ``source`` reads, in template order.

    Loop variables and ``assign`` aliases are followed back to the path they stand
    for: ``{% for pair in task.input.pairs %}{{ pair.key }}`` reads
    ``task.input.pairs`` and ``task.input.pairs[*].key``. Raises :class:`TemplateError`
    on a syntax error.
    """
    analysis = _analyze(parse_template(source))
    found: list[InputPathUse] = []
    for use in analysis.uses:
        if use.segments[:2] == ("task", "input"):
            line, column = _line_column(source, use.index)
            found.append(InputPathUse(_format_path(use.segments), use.written, line, column))
    return found


# --------------------------------------------------------------------------- checking


def _kind(value: object) -> str:
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


def _walk_sample(value: object, segments: _Segments, shown: str) -> tuple[str, str] | None:
    """Follow ``segments`` into ``value``; on failure, the missing path and why."""
    for position, segment in enumerate(segments):
        if isinstance(segment, (_Each, _Dynamic)):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    failure = _walk_sample(item, segments[position + 1 :], f"{shown}[{index}]")
                    if failure is not None:
                        return failure
                return None
            if isinstance(value, Mapping):
                return None  # keys chosen at render time: nothing to check statically
            what = "loops over" if isinstance(segment, _Each) else "indexes"
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
                shown = _append(shown, segment)
                continue
            if segment == "size":
                return None
            return _append(shown, segment), _keys_hint(shown, value)
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
                _append(shown, segment),
                f"{shown} is a list (use [index], .first, .last or .size)",
            )
        if isinstance(value, str) and segment == "size":
            return None
        return _append(shown, segment), f"{shown} is {_kind(value)}"
    return None


def _check_uses(
    uses: Sequence[_Use], sample_input: Mapping[str, Any], source: str
) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for use in uses:
        line, column = _line_column(source, use.index)
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
                    f"(did you mean {_format_path(('task', 'input', *use.segments[2:]))}?)",
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
        problems.append(
            TemplateProblem(
                f"{missing}{alias} is not in the sample input ({why})",
                line,
                column,
                missing,
            )
        )
    return problems


def _static_problems(
    template: BoundTemplate, source: str, sample_input: Mapping[str, Any] | None
) -> list[TemplateProblem]:
    analysis = _analyze(template)
    problems: list[TemplateProblem] = []
    for name, index in analysis.filters:
        if name not in _ENV.filters:
            line, column = _line_column(source, index)
            problems.append(
                TemplateProblem(
                    f"unknown filter '{name}': A2I knows the standard Liquid filters and "
                    f"{', '.join(A2I_FILTERS)}",
                    line,
                    column,
                )
            )
    for tag, index in analysis.partials:
        line, column = _line_column(source, index)
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


def find_problems(
    source: str, sample_input: Mapping[str, Any] | None = None
) -> list[TemplateProblem]:
    """Everything wrong with worker task template ``source``, in template order.

    Always checked: the size (1-128000 characters), a ``<crowd-form>`` element, the
    Liquid syntax, filters (standard Liquid plus A2I's), no ``include``/``render``.
    With ``sample_input`` (an example of the human loop's ``InputContent``), also:
    every ``task.input...`` path the template uses exists in the sample, and the
    template renders with it. An empty list means the template is fine.
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
    if not _CROWD_FORM.search(source):
        problems.append(
            TemplateProblem(
                "the template has no <crowd-form> element: put the task inside "
                "<crowd-form>...</crowd-form> so that A2I can collect the workers' answers"
            )
        )
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
    if sample_input is not None and not static:
        try:
            render_template(source, sample_input)
        except TemplateError as err:
            problems.extend(err.problems)
    return _dedupe(problems)


def check_template(
    source: str, sample_input: Mapping[str, Any] | None = None, *, name: str | None = None
) -> None:
    """Raise :class:`TemplateError` listing every problem :func:`find_problems` finds.

    ``name`` (a file name, say) labels the template in the error message.
    """
    problems = find_problems(source, sample_input)
    if problems:
        raise TemplateError(problems, name=name)


# --------------------------------------------------------------------------- rendering


def render_template(
    source: str,
    sample_input: Mapping[str, Any],
    *,
    presign: Callable[[str], str] | None = None,
    name: str | None = None,
) -> str:
    """Render ``source`` with ``sample_input`` as ``task.input``, the way A2I does.

    Output is HTML-escaped unless a filter says otherwise, and an undefined variable is
    an error. ``presign`` turns the S3 URI given to ``grant_read_access`` into a URL
    (default: :func:`fake_presigned_url`). Raises :class:`TemplateError` (with the
    line) when the template cannot be parsed or rendered.
    """
    env = _ENV if presign is None else _environment(presign)
    try:
        template = env.from_string(source)
    except LiquidError as err:
        raise TemplateError([_locate_syntax_error(err, source)], name=name) from err
    try:
        return template.render(task={"input": sample_input})
    except LiquidError as err:
        raise TemplateError([_problem_from_liquid(err, source)], name=name) from err
