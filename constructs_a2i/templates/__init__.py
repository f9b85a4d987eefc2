"""Worker task templates: make, check, render and preview A2I's HTML/Liquid task pages.

A2I renders a worker task template with Liquid when a reviewer opens a task; this package
does the same ahead of time, so a broken template fails ``cdk synth`` or ``a2i template
check`` instead of a reviewer's task. One job per module:

* :mod:`~constructs_a2i.templates.task_template`: :class:`TaskTemplate` (a template's text
  and sample input, from a file, a string or a built-in) and :class:`TaskTemplateError`;
* :mod:`~constructs_a2i.templates.builtins`: the built-in templates' factories (their HTML
  is in ``builtin/``);
* :mod:`~constructs_a2i.templates.problems`: :class:`TemplateProblem`,
  :class:`TemplateError` and :class:`InputPathUse`, what a check reports;
* :mod:`~constructs_a2i.templates.environment`: the Liquid environment with A2I's filters
  (``grant_read_access``, ``to_json``, ``skip_autoescape``) and :func:`fake_presigned_url`;
* :mod:`~constructs_a2i.templates.locate`: parsing, and where a syntax error is;
* :mod:`~constructs_a2i.templates.analyse`: the ``task.input`` paths a template reads;
* :mod:`~constructs_a2i.templates.check`: :func:`find_problems` and :func:`check_template`;
* :mod:`~constructs_a2i.templates.render`: :func:`render_template`, as A2I renders;
* :mod:`~constructs_a2i.templates.preview`: standalone HTML preview pages.

No module here imports ``aws_cdk``. python-liquid is loaded only by the modules that
parse or render (environment, locate, analyse, check, render, preview), so importing this
package, making a :class:`TaskTemplate` or a built-in loads neither. The names below are
imported from their modules on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_a2i._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_a2i.templates.analyse import input_paths
    from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES, BuiltinTemplate
    from constructs_a2i.templates.check import check_template, find_problems
    from constructs_a2i.templates.environment import (
        A2I_FILTERS,
        PREVIEW_SIGNATURE,
        fake_presigned_url,
    )
    from constructs_a2i.templates.locate import parse_template
    from constructs_a2i.templates.preview import error_page, render_preview
    from constructs_a2i.templates.problems import InputPathUse, TemplateError, TemplateProblem
    from constructs_a2i.templates.render import render_template
    from constructs_a2i.templates.task_template import TaskTemplate, TaskTemplateError

# Which module defines each name this package re-exports.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "constructs_a2i.templates.analyse": ("input_paths",),
    "constructs_a2i.templates.builtins": ("BUILTIN_TEMPLATES", "BuiltinTemplate"),
    "constructs_a2i.templates.check": ("check_template", "find_problems"),
    "constructs_a2i.templates.environment": (
        "A2I_FILTERS",
        "PREVIEW_SIGNATURE",
        "fake_presigned_url",
    ),
    "constructs_a2i.templates.locate": ("parse_template",),
    "constructs_a2i.templates.preview": ("error_page", "render_preview"),
    "constructs_a2i.templates.problems": ("InputPathUse", "TemplateError", "TemplateProblem"),
    "constructs_a2i.templates.render": ("render_template",),
    "constructs_a2i.templates.task_template": ("TaskTemplate", "TaskTemplateError"),
}

__all__ = [
    "A2I_FILTERS",
    "BUILTIN_TEMPLATES",
    "PREVIEW_SIGNATURE",
    "BuiltinTemplate",
    "InputPathUse",
    "TaskTemplate",
    "TaskTemplateError",
    "TemplateError",
    "TemplateProblem",
    "check_template",
    "error_page",
    "fake_presigned_url",
    "find_problems",
    "input_paths",
    "parse_template",
    "render_preview",
    "render_template",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
