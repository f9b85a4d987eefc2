"""The input of ``a2i loops start``: JSON Lines items, each with its human loop name.

Each non-blank line is a JSON object. Its loop name comes from its id (``--id-field``) or, without
one, from a hash of its content, and from the flow definition: the rule of
:mod:`constructs_a2i.core.loop_names`, which the ``HumanLoopStarter`` Lambda function follows
too, so an item sent through either gets one loop, not two. Its InputContent is the item, or the
value at ``--input-path``, as standard JSON: like the Lambda, the command refuses ``NaN`` and
``Infinity`` (:mod:`constructs_a2i.core.strict_json`).

A file with a malformed line starts nothing: :func:`read_items` names the first bad line and
counts the others. Lines that fail are written back to ``<input>.failed.jsonl``
(:func:`default_failed_path`) with a :data:`FAILURE_KEY` member saying why, which is ignored when
that file is fed back as input.

A *poison* line, a JSON object nested deeper than the package handles, fails alone: it is
returned as an item with a :attr:`InputItem.problem` (naming its line), which is never started
and counts as failed, while the other lines start. That is an object nested deeper than
:data:`~constructs_a2i.core.untrusted_json.MAX_DEPTH` levels (it is not parsed, never into a
``RecursionError``; it goes to the failed file as it was written) or an InputContent nested
deeper than :data:`~constructs_a2i.core.untrusted_json.INPUT_CONTENT_MAX_DEPTH` (the
``output.json`` A2I would write around it could not be read back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from constructs_a2i.cli._aws import CliError
from constructs_a2i.core import strict_json, untrusted_json
from constructs_a2i.core.limits import INPUT_CONTENT_MAX_LENGTH
from constructs_a2i.core.loop_names import content_loop_name, id_loop_name, identity_value
from constructs_a2i.core.paths import MISSING
from constructs_a2i.core.paths import Path as FieldPath

__all__ = ["FAILURE_KEY", "InputItem", "default_failed_path", "read_items"]

FAILURE_KEY: Final = "__a2i_failure__"
"""The member a ``*.failed.jsonl`` line carries to say why it failed (ignored on input)."""


@dataclass(frozen=True, slots=True)
class InputItem:
    """One line of the input: its human loop name and InputContent."""

    line: int
    """1-based line number in the input file."""
    name: str
    """The human loop name derived from the item."""
    content: str
    """The InputContent (JSON text) sent to A2I."""
    item: dict[str, Any]
    """The parsed line (without a ``__a2i_failure__`` member)."""
    problem: str | None = None
    """Why this line fails alone, without being started (it is nested too deep); else None."""
    raw: str | None = None
    """The line's text, for a line too deep to parse (``item`` is then empty)."""


def read_items(
    path: Path,
    flow_arn: str,
    *,
    id_field: FieldPath | None = None,
    input_path: FieldPath | None = None,
    prefix: str = "",
) -> list[InputItem]:
    """Parse a JSON Lines file into items with loop names; blank lines are skipped.

    Raise CliError naming the first malformed line (not UTF-8, not standard JSON, not an
    object, no id, input too large) and how many more there are: nothing is started from a
    malformed file. A line nested too deep is an item with a :attr:`~InputItem.problem`.
    """
    items: list[InputItem] = []
    problems: list[tuple[int, str]] = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            problem, item = _parse_line(raw, number, flow_arn, id_field, input_path, prefix)
            if problem is not None:
                problems.append((number, problem))
            elif item is not None:
                items.append(item)
    if problems:
        line, problem = problems[0]
        more = len(problems) - 1
        extra = f" ({more} more malformed line{'s' if more != 1 else ''})" if more else ""
        raise CliError(f"{path}:{line}: {problem}{extra}; nothing was started")
    return items


def _parse_line(
    raw: bytes,
    number: int,
    flow_arn: str,
    id_field: FieldPath | None,
    input_path: FieldPath | None,
    prefix: str,
) -> tuple[str | None, InputItem | None]:
    """``(problem, None)`` for a malformed line, ``(None, None)`` for a blank one, else the
    item."""
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 text (byte {error.start + 1})", None
    if not text.strip():
        return None, None
    try:
        value = untrusted_json.loads(text, parse=strict_json.loads)
    except untrusted_json.JsonTooDeepError as error:
        if not text.lstrip().startswith("{"):  # only arrays and objects nest
            return "expected a JSON object, got an array", None
        problem = f"line {number}: {error}; it was not read"
        return None, InputItem(line=number, name="", content="", item={}, problem=problem, raw=text)
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} at column {error.colno}", None
    except ValueError as error:  # NaN, Infinity or -Infinity
        return f"not valid JSON: {error} (A2I accepts standard JSON only)", None
    if not isinstance(value, dict):
        return f"expected a JSON object, got {_json_kind(value)}", None
    value.pop(FAILURE_KEY, None)
    if id_field is not None:
        identity = identity_value(id_field.find(value))
        if identity is None:
            return (
                f"--id-field {id_field.text!r} is missing or not a non-empty string or integer",
                None,
            )
        name = id_loop_name(flow_arn, identity, prefix)
    else:
        name = content_loop_name(flow_arn, value, prefix)
    payload: Any = value
    if input_path is not None:
        payload = input_path.find(value)
        if payload is MISSING:
            return f"--input-path {input_path.text!r} is missing", None
    content = strict_json.compact(payload)
    too_deep = untrusted_json.input_content_too_deep(content, payload)
    if too_deep is not None:
        problem = f"line {number}: {too_deep}"
        return None, InputItem(line=number, name=name, content="", item=value, problem=problem)
    if len(content) > INPUT_CONTENT_MAX_LENGTH:
        return (
            f"the input is {len(content)} characters; A2I accepts at most "
            f"{INPUT_CONTENT_MAX_LENGTH}",
            None,
        )
    return None, InputItem(line=number, name=name, content=content, item=value)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def default_failed_path(input_path: Path) -> Path:
    """Where failed lines go: ``items.jsonl`` → ``items.failed.jsonl``.

    A file that already ends in ``.failed.jsonl`` is its own failed file, so feeding it back
    leaves only what still fails (and removes it when nothing does).
    """
    name = input_path.name
    if name.endswith(".failed.jsonl"):
        return input_path
    for suffix in (".jsonl", ".ndjson", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return input_path.with_name(f"{name}.failed.jsonl")
