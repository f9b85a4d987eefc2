"""Render a worker task template with a sample input, the way A2I does when a task opens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from liquid.exceptions import LiquidError

from constructs_a2i.templates.environment import a2i_environment
from constructs_a2i.templates.locate import locate_syntax_error, problem_from_liquid
from constructs_a2i.templates.problems import TemplateError

__all__ = ["render_template"]


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
    (default: :func:`~constructs_a2i.templates.environment.fake_presigned_url`). Raises
    :class:`~constructs_a2i.templates.problems.TemplateError` (with the line) when the
    template cannot be parsed or rendered.
    """
    env = a2i_environment(presign)
    try:
        template = env.from_string(source)
    except LiquidError as err:
        raise TemplateError([locate_syntax_error(err, source)], name=name) from err
    try:
        return template.render(task={"input": sample_input})
    except LiquidError as err:
        raise TemplateError([problem_from_liquid(err, source)], name=name) from err
