"""Find the ``task.input`` paths, filters and partials a template uses, from its syntax tree.

The walk follows loop variables and ``assign`` aliases back to the ``task.input`` path they
stand for: ``{% for pair in task.input.pairs %}{{ pair.key }}`` reads ``task.input.pairs``
and ``task.input.pairs[*].key``. :func:`input_paths` lists those paths for people;
:func:`analyse` gives :mod:`~constructs_a2i.templates.check` the raw result to check
against a sample input.

It also marks which reads are *guarded*: made only when a test on the same path (or on a
prefix of it) has passed, as in ``{% if task.input.hint %}{{ task.input.hint }}{% endif
%}``, or which are themselves such a test (the ``task.input.hint`` of that ``if``). A
template reads a path whose every read is guarded only when the human loop's input has it,
so the check treats such a path as optional. The tests understood are an ``if``/``elsif``
condition, the branches of ``unless``, and ``and``/``or`` of plain paths: what makes a
branch run is worked out from them (``{% if a and b %}`` guards ``a`` and ``b``; its
``else`` guards neither; ``{% unless a %}...{% else %}`` guards ``a`` in the ``else``).
Comparisons (``!= blank``, ``== nil``, ``.size > 0``) are not tests of a path here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from liquid import BoundTemplate
from liquid.ast import Node
from liquid.builtin.expressions import (
    BooleanExpression,
    FilteredExpression,
    LoopExpression,
    Path,
    TernaryFilteredExpression,
)
from liquid.builtin.expressions.logical import LogicalAndExpression, LogicalOrExpression
from liquid.builtin.tags.assign_tag import AssignNode
from liquid.builtin.tags.for_tag import ForNode
from liquid.builtin.tags.if_tag import IfNode
from liquid.builtin.tags.include_tag import IncludeNode
from liquid.builtin.tags.render_tag import RenderNode
from liquid.builtin.tags.tablerow_tag import TablerowNode
from liquid.builtin.tags.unless_tag import UnlessNode
from liquid.context import RenderContext
from liquid.expression import Expression

from constructs_a2i.templates.locate import line_column, parse_template
from constructs_a2i.templates.problems import InputPathUse

__all__ = [
    "DYNAMIC",
    "EACH",
    "Analysis",
    "Dynamic",
    "Each",
    "PathUse",
    "Segment",
    "Segments",
    "analyse",
    "append_segment",
    "format_path",
    "input_paths",
]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class Each:
    """A path segment meaning "every item of the list"."""

    def __repr__(self) -> str:
        return "EACH"


class Dynamic:
    """A path segment computed at render time (``x[task.input.key]``)."""

    def __repr__(self) -> str:
        return "DYNAMIC"


EACH: Final = Each()
"""The one :class:`Each` segment."""
DYNAMIC: Final = Dynamic()
"""The one :class:`Dynamic` segment."""

Segment = str | int | Each | Dynamic
"""One step of a path: a key, an index, every item, or a key known only at render time."""
Segments = tuple[Segment, ...]
"""A path from a global name (``("task", "input", "pairs", EACH, "key")``)."""


@dataclass(frozen=True)
class PathUse:
    """A path the template reads, as written and as followed back to a global name."""

    segments: Segments
    """The full path, from the global name (``task`` for ``task.input...``)."""
    written: str
    """The expression as written in the template."""
    index: int
    """Where it is written: the index of its first character in the template."""
    guards: tuple[Segments, ...] = ()
    """The tested paths (this path or prefixes of it) that must be truthy for the read to
    happen; the read's own path when it is such a test (``{% if task.input.hint %}``)."""

    @property
    def guarded(self) -> bool:
        """True when the read happens only once a test on this path or a prefix passed."""
        return bool(self.guards)


@dataclass
class Analysis:
    """What :func:`analyse` finds, in template order."""

    uses: list[PathUse]
    """Every path read from a global name (loop variables and aliases followed back)."""
    filters: list[tuple[str, int]]
    """Every filter applied: its name and where it is written."""
    partials: list[tuple[str, int]]
    """Every ``include`` or ``render`` tag: its name and where it is written."""


class _Scope:
    """Names bound by the template: loop variables, ``assign`` aliases, captures.

    Each name maps to the ``task.input`` path it stands for, or to ``None`` when it
    holds something else (a captured string, ``forloop``, a computed value).
    """

    def __init__(self) -> None:
        self._stack: list[dict[str, Segments | None]] = [{}]

    def lookup(self, name: str) -> tuple[bool, Segments | None]:
        for frame in reversed(self._stack):
            if name in frame:
                return True, frame[name]
        return False, None

    def push(self, frame: dict[str, Segments | None]) -> None:
        self._stack.append(frame)

    def pop(self) -> None:
        self._stack.pop()

    def bind_global(self, name: str, target: Segments | None) -> None:
        self._stack[0][name] = target


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


def _tests(expression: Expression) -> Iterator[Path]:
    """The plain paths ``expression`` (a condition) tests for truthiness."""
    if isinstance(expression, BooleanExpression):
        yield from _tests(expression.expression)
    elif isinstance(expression, (LogicalAndExpression, LogicalOrExpression)):
        yield from _tests(expression.left)
        yield from _tests(expression.right)
    elif isinstance(expression, Path):
        yield expression


def _true_when(expression: Expression) -> list[Path]:
    """The paths that are truthy whenever condition ``expression`` is true."""
    if isinstance(expression, BooleanExpression):
        return _true_when(expression.expression)
    if isinstance(expression, LogicalAndExpression):
        return _true_when(expression.left) + _true_when(expression.right)
    if isinstance(expression, LogicalOrExpression):
        right = {str(path) for path in _true_when(expression.right)}
        return [path for path in _true_when(expression.left) if str(path) in right]
    if isinstance(expression, Path):
        return [expression]
    return []


class _Analyzer:
    def __init__(self, template: BoundTemplate) -> None:
        self._context = RenderContext(template)
        self._scope = _Scope()
        self._guards: list[Segments] = []
        self.result = Analysis(uses=[], filters=[], partials=[])

    def run(self, nodes: Iterable[Node]) -> Analysis:
        for node in nodes:
            self._visit(node)
        return self.result

    def _resolve(self, path: Path) -> Segments | None:
        """The full path ``path`` reads, from a global name; ``None`` for a local value."""
        head = path.path[0]
        if not isinstance(head, str):
            return None
        rest: Segments = tuple(
            DYNAMIC if isinstance(segment, Path) else segment for segment in path.path[1:]
        )
        found, target = self._scope.lookup(head)
        if found:
            return None if target is None else target + rest
        return (head, *rest)

    def _record(self, expression: Expression, *, condition: bool = False) -> None:
        """Record the paths and filters ``expression`` uses; ``condition``: it is the
        condition of an ``if``, ``elsif`` or ``unless``, whose plain paths are tests."""
        tests = {id(path) for path in _tests(expression)} if condition else set()
        for path in _paths(expression):
            segments = self._resolve(path)
            if segments is not None:
                guards = tuple(g for g in self._guards if segments[: len(g)] == g)
                if id(path) in tests:
                    guards = (*guards, segments)
                self.result.uses.append(
                    PathUse(segments, str(path), path.token.start_index, guards)
                )
        self.result.filters.extend(_filters(expression))

    def _alias(self, expression: Expression) -> Segments | None:
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

    def _visit_conditional(self, node: IfNode | UnlessNode) -> None:
        """An ``if`` or ``unless``: each branch guarded by what makes it run.

        A false ``and``/``or`` of plain paths makes none of them truthy, so a branch taken
        when a condition is false (an ``if``'s ``elsif`` and ``else``, an ``unless``'s
        body) gets no guard from that condition.
        """
        self._record(node.condition, condition=True)
        truthy = _true_when(node.condition)
        body, others = (truthy, []) if isinstance(node, IfNode) else ([], truthy)
        self._visit_guarded(node.consequence, body)
        for alternative in node.alternatives:
            self._guarded(others, partial(self._record, alternative.expression, condition=True))
            self._visit_guarded(alternative.block, [*others, *_true_when(alternative.expression)])
        if node.default is not None:
            self._visit_guarded(node.default, others)

    def _visit_guarded(self, node: Node, paths: Iterable[Path]) -> None:
        """Visit ``node``, a branch that runs only when ``paths`` are truthy."""
        self._guarded(paths, lambda: self._visit(node))

    def _guarded(self, paths: Iterable[Path], action: Callable[[], None]) -> None:
        """Run ``action`` with ``paths`` (resolved) added to the guards in force."""
        resolved = (self._resolve(path) for path in paths)
        guards = [segments for segments in resolved if segments is not None]
        self._guards.extend(guards)
        try:
            action()
        finally:
            del self._guards[len(self._guards) - len(guards) :]

    def _visit(self, node: Node) -> None:
        if isinstance(node, (IfNode, UnlessNode)):
            self._visit_conditional(node)
            return
        if isinstance(node, (IncludeNode, RenderNode)):
            self.result.partials.append((node.token.value, node.token.start_index))
        for expression in node.expressions():
            self._record(expression)

        if isinstance(node, AssignNode):
            self._scope.bind_global(str(node.name), self._alias(node.expression))
        else:
            for name in node.template_scope():
                self._scope.bind_global(str(name), None)

        frame: dict[str, Segments | None] = {str(name): None for name in node.block_scope()}
        if isinstance(node, (ForNode, TablerowNode)) and isinstance(
            node.expression, LoopExpression
        ):
            loop = node.expression
            target = self._resolve(loop.iterable) if isinstance(loop.iterable, Path) else None
            if target is not None and target[0] == "task":
                frame[str(loop.identifier)] = (*target, EACH)
        self._scope.push(frame)
        for child in node.children(self._context, include_partials=False):
            self._visit(child)
        self._scope.pop()


def analyse(template: BoundTemplate) -> Analysis:
    """The paths, filters and partials parsed ``template`` uses, in template order."""
    return _Analyzer(template).run(template.nodes)


def append_segment(text: str, segment: Segment) -> str:
    """``text`` (a path as written) followed by ``segment``."""
    if isinstance(segment, str):
        if _IDENTIFIER.fullmatch(segment):
            return f"{text}.{segment}" if text else segment
        return f"{text}[{json.dumps(segment)}]"
    if isinstance(segment, Each):
        return f"{text}[*]"
    if isinstance(segment, Dynamic):
        return f"{text}[?]"
    return f"{text}[{segment}]"


def format_path(segments: Iterable[Segment]) -> str:
    """``segments`` written as a Liquid path (``task.input.pairs[*].key``)."""
    text = ""
    for segment in segments:
        text = append_segment(text, segment)
    return text


def input_paths(source: str) -> list[InputPathUse]:
    """Every ``task.input`` path ``source`` reads, in template order.

    Loop variables and ``assign`` aliases are followed back to the path they stand
    for: ``{% for pair in task.input.pairs %}{{ pair.key }}`` reads
    ``task.input.pairs`` and ``task.input.pairs[*].key``. Raises
    :class:`~constructs_a2i.templates.problems.TemplateError` on a syntax error.
    """
    analysis = analyse(parse_template(source))
    found: list[InputPathUse] = []
    for use in analysis.uses:
        if use.segments[:2] == ("task", "input"):
            line, column = line_column(source, use.index)
            found.append(InputPathUse(format_path(use.segments), use.written, line, column))
    return found
