"""The file ``a2i results`` writes: one row per human answer, as JSON Lines or CSV.

A row holds the loop's name and creation time, its flow definition, the output's S3 URI, the
answer's index, worker id, acceptance and submission times, time spent, the answer and the
loop's input (:func:`answer_rows`).

* ``.jsonl``: one JSON object per row; ``answerContent`` and ``inputContent`` stay JSON objects.
  Rows are appended.
* ``.csv``: the answer is flattened into ``answer.<path>`` columns (:func:`flatten`);
  ``inputContent`` is a JSON text column. The file is rewritten (atomically) with the union of
  the columns.

:func:`downloaded_names` reads back which loops a file already has, so a re-run skips them.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from constructs_a2i.cli._aws import CliError

__all__ = [
    "ANSWER_PREFIX",
    "BASE_COLUMNS",
    "answer_rows",
    "downloaded_names",
    "flatten",
    "output_format",
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
)
"""The scalar columns every row has, in file order (then answers, then ``inputContent``)."""
ANSWER_PREFIX: Final = "answer."
"""CSV columns of the flattened ``answerContent`` start with this."""
_FORMATS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def output_format(path: Path) -> str:
    """``jsonl`` or ``csv`` from the file name; raise CliError for anything else."""
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise CliError(f"--out {path}: use a .jsonl or .csv file name")
    return found


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Objects flattened to dotted keys under ``prefix``; arrays become JSON text."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}"))
        return flat if flat else {prefix: "{}"}
    if isinstance(value, list):
        return {prefix: json.dumps(value, ensure_ascii=False, separators=(",", ":"))}
    return {prefix: value}


def answer_rows(
    document: dict[str, Any],
    *,
    loop_name: str,
    output_uri: str,
    creation_time: str | None,
) -> list[dict[str, Any]]:
    """One row per entry of ``humanAnswers`` in an A2I ``output.json`` document.

    A document without answers gives one row with empty answer fields.
    """
    common = {
        "humanLoopName": document.get("humanLoopName") or loop_name,
        "loopCreationTime": creation_time,
        "flowDefinitionArn": document.get("flowDefinitionArn"),
        "outputS3Uri": output_uri,
    }
    answers = document.get("humanAnswers")
    if not isinstance(answers, list) or not answers:
        answers = [None]
    rows: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        entry = answer if isinstance(answer, dict) else {}
        rows.append(
            {
                **common,
                "answerIndex": index if answer is not None else None,
                "workerId": entry.get("workerId"),
                "acceptanceTime": entry.get("acceptanceTime"),
                "submissionTime": entry.get("submissionTime"),
                "timeSpentInSeconds": entry.get("timeSpentInSeconds"),
                "answerContent": entry.get("answerContent"),
                "inputContent": document.get("inputContent"),
            }
        )
    return rows


def downloaded_names(path: Path, fmt: str) -> set[str]:
    """The ``humanLoopName`` of every row already in ``path`` (empty if it does not exist)."""
    if not path.exists():
        return set()
    names: set[str] = set()
    with path.open(encoding="utf-8", newline="") as stream:
        if fmt == "csv":
            reader = csv.DictReader(stream)
            if reader.fieldnames is not None and "humanLoopName" not in reader.fieldnames:
                raise CliError(f"{path} has no humanLoopName column: is it an a2i results file?")
            names.update(row["humanLoopName"] for row in reader if row.get("humanLoopName"))
            return names
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CliError(
                    f"{path}:{number}: not valid JSON ({error.msg}); fix or remove that line"
                ) from None
            if isinstance(row, dict) and isinstance(row.get("humanLoopName"), str):
                names.add(row["humanLoopName"])
    return names


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {key: row.get(key) for key in BASE_COLUMNS}
    answer = row.get("answerContent")
    if answer is not None:
        flat.update(flatten(answer, ANSWER_PREFIX.rstrip(".")))
    content = row.get("inputContent")
    flat["inputContent"] = (
        None if content is None else json.dumps(content, ensure_ascii=False, sort_keys=True)
    )
    return flat


def write_rows(path: Path, fmt: str, rows: Sequence[dict[str, Any]]) -> None:
    """Add ``rows`` to ``path``: appended JSON Lines, or a CSV rewritten atomically."""
    if not rows:
        return
    if fmt == "jsonl":
        with path.open("a", encoding="utf-8") as stream:
            stream.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        return
    existing: list[dict[str, Any]] = []
    columns: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            columns = list(reader.fieldnames or [])
            existing = list(reader)
    new = [_csv_row(row) for row in rows]
    known = set(columns)
    extra = sorted({key for row in new for key in row if key not in known})
    if not columns:
        answers = sorted(key for key in extra if key.startswith(ANSWER_PREFIX))
        columns = [*BASE_COLUMNS, *answers, "inputContent"]
        columns += [key for key in extra if key not in columns]
    else:
        # New answer columns go before inputContent when it is last.
        if columns and columns[-1] == "inputContent":
            columns = [*columns[:-1], *extra, "inputContent"]
        else:
            columns += extra
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(existing)
        writer.writerows(new)
    os.replace(temporary, path)
