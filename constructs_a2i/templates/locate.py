"""Parse a template, and say where its Liquid syntax error is (line, column, which block).

python-liquid reports many syntax errors without a position (an error at the end of an
expression or of the template) or without saying which block is still open. This module
pins them down: :func:`parse_template` raises a :class:`TemplateError` whose problem
carries the line and column of the broken statement, or of the block tag never closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from liquid import BoundTemplate
from liquid.exceptions import LiquidError
from liquid.token import TOKEN_EXPRESSION, TOKEN_OUTPUT, TOKEN_TAG, Token

from constructs_a2i.templates.environment import a2i_environment
from constructs_a2i.templates.problems import TemplateError, TemplateProblem

__all__ = [
    "line_column",
    "locate_syntax_error",
    "parse_template",
    "problem_from_liquid",
]

# Liquid block tags and their end tags, to point at a block that is never closed.
_BLOCK_TAGS: Final = frozenset(
    ["if", "unless", "for", "case", "capture", "tablerow", "comment", "ifchanged", "doc"]
)


def line_column(source: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of character ``index`` of ``source``."""
    index = max(0, min(index, len(source)))
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return line, column


def problem_from_liquid(err: LiquidError, source: str) -> TemplateProblem:
    """``err`` as a problem, located where python-liquid says it is (if it says)."""
    message = str(err.message) if err.message is not None else type(err).__name__
    token = err.token
    if token is not None and token.start_index >= 0 and token.source == source:
        line, column = line_column(source, token.start_index)
        return TemplateProblem(message, line, column)
    return TemplateProblem(message)


def parse_template(source: str, *, name: str | None = None) -> BoundTemplate:
    """Parse ``source`` as an A2I Liquid template.

    Raises :class:`TemplateError` (with the line and column) on a Liquid syntax error.
    """
    try:
        return a2i_environment().from_string(source)
    except LiquidError as err:
        raise TemplateError([locate_syntax_error(err, source)], name=name) from err


def locate_syntax_error(err: LiquidError, source: str) -> TemplateProblem:
    """Find where a syntax error python-liquid could not place is.

    Errors at the end of an expression or of the template come without a position.
    Parse each output statement and tag on its own to find the broken one; failing
    that, point at the innermost block tag that is never closed.
    """
    env = a2i_environment()
    problem = problem_from_liquid(err, source)
    try:
        tokens = list(env.tokenizer()(source))
    except LiquidError:
        return problem
    if problem.line is not None:
        return _explain_unexpected_end(problem, err, tokens, source)
    for i, token in enumerate(tokens):
        snippet = _isolated_snippet(token, tokens[i + 1] if i + 1 < len(tokens) else None)
        if snippet is None:
            continue
        try:
            env.from_string(snippet)
        except LiquidError as inner:
            line, column = line_column(source, _statement_start(source, token))
            return TemplateProblem(str(inner.message), line, column)
    open_blocks = _open_blocks(tokens, len(source))
    if open_blocks:
        opener = open_blocks[-1]
        line, column = line_column(source, _statement_start(source, opener))
        return TemplateProblem(
            f"{{% {opener.value} %}} is never closed: add {{% end{opener.value} %}} "
            f"({problem.message})",
            line,
            column,
        )
    line, column = line_column(source, len(source))
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
    line, _ = line_column(source, opener.start_index)
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
    """A small template holding only ``token``'s statement, to parse on its own."""
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
