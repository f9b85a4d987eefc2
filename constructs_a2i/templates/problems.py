"""What a template check reports: each problem, the error listing them, and the paths read.

A problem is an ``error`` (A2I would reject the template or fail to render it: ``cdk synth``
and ``a2i template check`` fail) or a ``note`` (worth knowing, fails nothing: a ``task.input``
path the sample lacks that the template reads only under a guard on it).

Standard library only (no python-liquid), so code that only handles these results, such as
:class:`~constructs_a2i.templates.task_template.TaskTemplateError`, loads no template engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ERROR", "NOTE", "InputPathUse", "Severity", "TemplateError", "TemplateProblem"]

Severity = Literal["error", "note"]
"""How serious a problem is: an ``error`` fails the check, a ``note`` does not."""
ERROR: Final = "error"
"""The severity of a problem A2I would reject or fail to render (the default)."""
NOTE: Final = "note"
"""The severity of a problem that is worth knowing but fails nothing."""


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a worker task template.

    ``line`` and ``column`` (both 1-based) locate it in the template when known;
    ``path`` is the ``task.input`` path involved, if any; ``severity`` says whether it
    fails the check (``error``, the default) or not (``note``).
    """

    message: str
    """What is wrong and what to do about it."""
    line: int | None = None
    """The template line (1-based), when known."""
    column: int | None = None
    """The column on that line (1-based), when known."""
    path: str | None = None
    """The ``task.input`` path the problem is about, if any."""
    severity: Severity = ERROR
    """``error`` (fails ``cdk synth`` and ``a2i template check``) or ``note`` (fails nothing)."""

    @property
    def is_error(self) -> bool:
        """True for an ``error``, False for a ``note``."""
        return self.severity == ERROR

    def __str__(self) -> str:
        message = self.message if self.is_error else f"note: {self.message}"
        if self.line is None:
            return message
        where = f"line {self.line}" if self.column is None else f"line {self.line}:{self.column}"
        return f"{where}: {message}"


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
