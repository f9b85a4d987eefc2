"""The file ``a2i results`` writes: one row per human answer, as JSON Lines or CSV.

A row holds the loop's name, creation time and status, its flow definition, the output's S3
URI, the request source of an AWS-managed loop (``awsManagedHumanLoopRequestSource``), the
answer's index, worker id, the worker's identity (``workerSub``, ``workerIssuer``,
``workerIdentityProviderType``: ``workerMetadata.identityData`` of "Amazon A2I Output Data",
there for a private workforce), acceptance and submission times, time spent, the answer and the
loop's input (:func:`answer_rows`). A Stopped loop without output gets one row without answer
fields (:func:`loop_row`).

The answers of Amazon Textract and Amazon Rekognition loops are expanded (``expand``, default
``auto``: by the output's request source): one row per reviewed item, a form key or a
moderation label (:mod:`constructs_a2i.core.managed_answers`), with ``itemIndex`` and the item
(``item`` in JSON Lines, ``item.<field>`` columns in CSV) instead of ``answerContent`` and
``inputContent``, which stay in ``output.json`` at ``outputS3Uri``. ``none`` keeps one row per
answer.

* ``.jsonl``: one JSON object per row; ``answerContent``, ``inputContent`` and ``item`` stay JSON
  objects, exactly as in ``output.json``. Rows are appended. Characters UTF-8 cannot encode (a
  lone surrogate such as ``"\\ud800"``) are written as ``\\uXXXX`` escapes, which decode to the
  same text (:func:`constructs_a2i.core.untrusted_json.dumps`).
* ``.csv``: the answer is flattened into ``answer.<path>`` columns and an item into
  ``item.<field>`` columns (:func:`flatten`); ``inputContent`` is a JSON text column. The file is
  rewritten (atomically) with the union of the columns. Booleans are ``true`` and ``false``, as
  JSON spells them (and as the JSON cells do).

CSV is meant for spreadsheets, and the answers come from workers (anonymous ones, with the
public crowd), so it is written defensively:

* **No formulas.** A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return (OWASP's CSV-injection list) is written with a ``'`` in front, so a spreadsheet shows it
  as text instead of evaluating it (:func:`neutralize_cell`); so is a cell that starts with
  ``'`` followed by those, so that :func:`restore_cell` can undo it exactly. Numbers are written
  as they are. JSON Lines files keep every value raw.
* **No value dropped.** Dots and backslashes in answer keys are escaped in column names
  (``{"label.x": 2}`` is ``answer.label\\.x``, ``{"label": {"x": 1}}`` is ``answer.label.x``), so
  two different answers never share a column.
* **Any size.** A cell may be as large as the value it holds (a Textract loop's input is often
  larger than the csv module's default limit of 131,072 characters), so files are read back with
  the limit raised to :data:`CSV_FIELD_SIZE_LIMIT`.
* A lone surrogate, which no UTF-8 file can hold, becomes U+FFFD in a text cell (the JSON
  ``inputContent`` column escapes it instead).

:func:`downloaded_names` reads back which loops a file already has, so a re-run skips them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from constructs_a2i.cli._aws import CliError
from constructs_a2i.core import untrusted_json
from constructs_a2i.core.managed_answers import answer_source, expansion_of, reviewed_items
from constructs_a2i.core.output_json import human_answers, input_content, worker_identity

__all__ = [
    "ANSWER_PREFIX",
    "BASE_COLUMNS",
    "CSV_FIELD_SIZE_LIMIT",
    "EXPAND_CHOICES",
    "FORMULA_TRIGGERS",
    "ITEM_PREFIX",
    "answer_rows",
    "column_key",
    "downloaded_names",
    "flatten",
    "loop_row",
    "neutralize_cell",
    "output_format",
    "restore_cell",
    "write_rows",
]

BASE_COLUMNS: Final = (
    "humanLoopName",
    "loopCreationTime",
    "flowDefinitionArn",
    "outputS3Uri",
    "answerIndex",
    "workerId",
    "acceptanceTime",
    "submissionTime",
    "timeSpentInSeconds",
    "humanLoopStatus",
    "awsManagedHumanLoopRequestSource",
    "workerSub",
    "workerIssuer",
    "workerIdentityProviderType",
)
"""The scalar columns every row has, in file order (then answers, items, ``inputContent``).
The first nine are the columns of earlier versions, in their places."""
ANSWER_PREFIX: Final = "answer."
"""CSV columns of the flattened ``answerContent`` start with this."""
ITEM_PREFIX: Final = "item."
"""CSV columns of an expanded answer's item start with this (after ``itemIndex``)."""
EXPAND_CHOICES: Final = ("auto", "textract", "rekognition", "none")
"""How answers are expanded: by the request source, as one kind whatever it says, or not."""
_FORMATS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP, CSV Injection)."""
CSV_FIELD_SIZE_LIMIT: Final = 2**31 - 1
"""The largest CSV field read back: the csv module's maximum on every platform (a C ``long``).

A cell holds a whole value: an InputContent of up to
:data:`~constructs_a2i.core.limits.INPUT_CONTENT_MAX_LENGTH` characters, which JSON escaping can
make several times longer, or an answer of any size, so no smaller bound is safe."""
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def output_format(path: Path) -> str:
    """``jsonl`` or ``csv`` from the file name; raise CliError for anything else."""
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise CliError(f"--out {path}: use a .jsonl or .csv file name")
    return found


def column_key(key: str) -> str:
    """One object key as part of a column name: ``\\`` and ``.`` escaped with a backslash."""
    return key.replace("\\", "\\\\").replace(".", "\\.")


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Objects flattened to dotted keys under ``prefix``; arrays become JSON text.

    Keys are escaped (:func:`column_key`), so every leaf gets its own column: ``{"a": {"b": 1},
    "a.b": 2}`` gives ``prefix.a.b`` and ``prefix.a\\.b``.
    """
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{column_key(str(key))}"))
        return flat if flat else {prefix: "{}"}
    if isinstance(value, list):
        return {prefix: untrusted_json.dumps(value, separators=(",", ":"))}
    return {prefix: value}


def neutralize_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: a ``'`` in front when it starts with a
    formula trigger (:data:`FORMULA_TRIGGERS`), or with quotes followed by one (so that
    :func:`restore_cell` is its exact inverse)."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_TRIGGERS) else text


def restore_cell(cell: str) -> str:
    """The text a cell written by :func:`neutralize_cell` holds."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def _kind(expand: str, source: str | None) -> str | None:
    if expand not in EXPAND_CHOICES:
        raise ValueError(f"expand must be one of {EXPAND_CHOICES}; got {expand!r}")
    if expand == "auto":
        return expansion_of(source)
    return None if expand == "none" else expand


def answer_rows(
    document: dict[str, Any],
    *,
    loop_name: str,
    output_uri: str,
    creation_time: str | None,
    status: str | None = None,
    expand: str = "auto",
) -> list[dict[str, Any]]:
    """One row per entry of ``humanAnswers`` in an A2I ``output.json`` document, or, for an
    answer that ``expand`` reads (:data:`EXPAND_CHOICES`), one row per reviewed item.

    A document without answers gives one row with empty answer fields. ``inputContent`` is
    read from older layouts too (:func:`constructs_a2i.core.output_json.input_content`).
    """
    source = answer_source(document)
    kind = _kind(expand, source)
    content = input_content(document)
    common = {
        "humanLoopName": document.get("humanLoopName") or loop_name,
        "loopCreationTime": creation_time,
        "flowDefinitionArn": document.get("flowDefinitionArn"),
        "outputS3Uri": output_uri,
        "humanLoopStatus": status,
        "awsManagedHumanLoopRequestSource": source,
    }
    answers: list[Any] = human_answers(document) or [None]
    rows: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        entry = answer if isinstance(answer, dict) else {}
        row = {
            **common,
            "answerIndex": index if answer is not None else None,
            "workerId": entry.get("workerId"),
            "acceptanceTime": entry.get("acceptanceTime"),
            "submissionTime": entry.get("submissionTime"),
            "timeSpentInSeconds": entry.get("timeSpentInSeconds"),
            **worker_identity(entry),
        }
        items = None
        if kind is not None and answer is not None:
            items = reviewed_items(kind, entry.get("answerContent"), content)
        if not items:
            rows.append(
                {**row, "answerContent": entry.get("answerContent"), "inputContent": content}
            )
            continue
        rows += [
            {**row, "itemIndex": number, "item": item, "answerContent": None, "inputContent": None}
            for number, item in enumerate(items)
        ]
    return rows


def loop_row(
    *, loop_name: str, flow_definition_arn: str | None, creation_time: str | None, status: str
) -> dict[str, Any]:
    """The one row of a loop without output (Stopped before any worker started its task)."""
    row: dict[str, Any] = dict.fromkeys(BASE_COLUMNS)
    row.update(
        humanLoopName=loop_name,
        loopCreationTime=creation_time,
        flowDefinitionArn=flow_definition_arn,
        humanLoopStatus=status,
        answerContent=None,
        inputContent=None,
    )
    return row


@contextlib.contextmanager
def _large_fields() -> Iterator[None]:
    """Read CSV fields of any size (:data:`CSV_FIELD_SIZE_LIMIT`); the old limit after."""
    previous = csv.field_size_limit(CSV_FIELD_SIZE_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def downloaded_names(path: Path, fmt: str) -> set[str]:
    """The ``humanLoopName`` of every row already in ``path`` (empty if it does not exist)."""
    if not path.exists():
        return set()
    names: set[str] = set()
    with path.open(encoding="utf-8", newline="") as stream:
        if fmt == "csv":
            with _large_fields():
                reader = csv.DictReader(stream)
                if reader.fieldnames is not None and "humanLoopName" not in reader.fieldnames:
                    raise CliError(
                        f"{path} has no humanLoopName column: is it an a2i results file?"
                    )
                names.update(
                    restore_cell(row["humanLoopName"]) for row in reader if row.get("humanLoopName")
                )
            return names
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = untrusted_json.loads(line)
            except untrusted_json.JsonTooDeepError as error:
                raise CliError(f"{path}:{number}: {error}; fix or remove that line") from None
            except ValueError as error:
                message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
                raise CliError(
                    f"{path}:{number}: not valid JSON ({message}); fix or remove that line"
                ) from None
            if isinstance(row, dict) and isinstance(row.get("humanLoopName"), str):
                names.add(row["humanLoopName"])
    return names


def _cell(value: Any) -> Any:
    """A new row's value as a CSV cell: booleans as JSON spells them, text made safe for
    spreadsheets and UTF-8."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return value
    return neutralize_cell(_SURROGATE.sub("\ufffd", value))


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {key: row.get(key) for key in BASE_COLUMNS}
    answer = row.get("answerContent")
    if answer is not None:
        flat.update(flatten(answer, ANSWER_PREFIX.rstrip(".")))
    if "itemIndex" in row:
        flat["itemIndex"] = row["itemIndex"]
        if row.get("item") is not None:
            flat.update(flatten(row["item"], ITEM_PREFIX.rstrip(".")))
    content = row.get("inputContent")
    flat["inputContent"] = (
        None if content is None else untrusted_json.dumps(content, sort_keys=True)
    )
    return {key: _cell(value) for key, value in flat.items()}


def _ordered(keys: Sequence[str]) -> list[str]:
    """Columns in file order: the base ones, answers (sorted), ``itemIndex`` and the item's
    fields (in their own order: key, value, ...), others, then ``inputContent``."""
    base = [key for key in BASE_COLUMNS if key in keys]
    answers = sorted(key for key in keys if key.startswith(ANSWER_PREFIX))
    items = [key for key in keys if key == "itemIndex" or key.startswith(ITEM_PREFIX)]
    items.sort(key=lambda key: key != "itemIndex")
    placed = {*base, *answers, *items, "inputContent"}
    others = [key for key in keys if key not in placed]
    return [*base, *answers, *items, *others, *(["inputContent"] if "inputContent" in keys else [])]


def write_rows(path: Path, fmt: str, rows: Sequence[dict[str, Any]]) -> None:
    """Add ``rows`` to ``path``: appended JSON Lines, or a CSV rewritten atomically."""
    if not rows:
        return
    if fmt == "jsonl":
        with path.open("a", encoding="utf-8") as stream:
            stream.write("".join(untrusted_json.dumps(row) + "\n" for row in rows))
        return
    existing: list[dict[str, Any]] = []
    columns: list[str] = []
    if path.exists():
        # Rows already in the file were made safe when they were written: copied as they are.
        with path.open(encoding="utf-8", newline="") as stream, _large_fields():
            reader = csv.DictReader(stream)
            columns = list(reader.fieldnames or [])
            existing = list(reader)
    new = [_csv_row(row) for row in rows]
    known = set(columns)
    extra = _ordered(list(dict.fromkeys(key for row in new for key in row if key not in known)))
    if not columns:
        columns = extra
    elif columns[-1] == "inputContent":
        # New columns go before inputContent when it is last.
        columns = [*columns[:-1], *(key for key in extra if key != "inputContent"), "inputContent"]
    else:
        columns += extra
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(existing)
        writer.writerows(new)
    os.replace(temporary, path)
