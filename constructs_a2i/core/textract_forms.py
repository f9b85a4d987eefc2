"""An Amazon Textract forms answer as one item per key.

The answer holds the reviewed ``KEY_VALUE_SET`` blocks, as the ``crowd-textract-analyze-document``
element submits them (its "Output" sample in "Augmented AI Crowd HTML Elements": camelCase
``blockType``, ``id``, ``relationships``, ``entityTypes``, and the reviewer's ``text`` on the
block itself). A block's text is its ``text``, else the words of its ``CHILD`` blocks (and a
``SELECTION_ELEMENT``'s ``selectionStatus``), as Textract's
`Block <https://docs.aws.amazon.com/textract/latest/dg/API_Block.html>`_ graph has it; a key's
value is the block its ``VALUE`` relationship names. Blocks are looked up in the answer first,
then in the input's ``selectedAiServiceResponse`` (what the reviewer was shown) and
``aiServiceResponse`` (Textract's whole response).

:func:`textract_form_items` gives one item per key: ``key`` and ``value`` as the reviewer left
them (``value`` is None when the answer does not carry the value block), ``keyBefore``,
``valueBefore`` and ``confidenceBefore`` from Textract's response, ``confidenceAfter`` when the
answer has one, ``change`` (``unchanged``; ``edited``: the text differs, spaces aside; ``added``:
a key Textract did not give; ``removed``: a key the reviewer was shown that the answer leaves
out), ``changed`` (``change != "unchanged"``) and the block's ``keyId``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs_a2i.core.output_json import member, members

__all__ = ["textract_form_items"]

Blocks = dict[str, dict[str, Any]]


def _by_id(response: Any) -> Blocks:
    """The blocks of a response (or answer) by id, in order."""
    found: Blocks = {}
    for block in members(response, "blocks"):
        block_id = member(block, "id")
        if isinstance(block_id, str):
            found.setdefault(block_id, block)
    return found


def _related(block: Any, kind: str) -> list[str]:
    ids: list[str] = []
    for relation in members(block, "relationships"):
        if member(relation, "type") == kind:
            ids += [i for i in members(relation, "ids") if isinstance(i, str)]
    return ids


def _find(block_id: str, maps: Sequence[Blocks]) -> dict[str, Any] | None:
    for blocks in maps:
        if block_id in blocks:
            return blocks[block_id]
    return None


def _text(block: Any, maps: Sequence[Blocks]) -> str | None:
    if block is None:
        return None
    text = member(block, "text")
    if isinstance(text, str):
        return text
    words: list[str] = []
    for child_id in _related(block, "CHILD"):
        child = _find(child_id, maps)
        kind = member(child, "blockType")
        part = member(child, "selectionStatus" if kind == "SELECTION_ELEMENT" else "text")
        if kind in ("WORD", "SELECTION_ELEMENT") and isinstance(part, str):
            words.append(part)
    return " ".join(words) if words else None


def _is_key(block: Any) -> bool:
    return member(block, "blockType") == "KEY_VALUE_SET" and "KEY" in members(block, "entityTypes")


def _value(key: Any, *maps: Blocks) -> dict[str, Any] | None:
    for value_id in _related(key, "VALUE"):
        found = _find(value_id, maps)
        if found is not None:
            return found
    return None


def _confidence(*blocks: Any) -> float | None:
    for block in blocks:
        found = member(block, "confidence")
        if isinstance(found, int | float) and not isinstance(found, bool):
            return float(found)
    return None


def _differs(after: str | None, before: str | None) -> bool:
    return after is not None and " ".join(after.split()) != " ".join((before or "").split())


def textract_form_items(answer: Any, input_content: Any) -> list[dict[str, Any]]:
    """One item per key of ``answer`` (``{"blocks": [...]}``), then per key shown but left out."""
    after = _by_id(answer)
    shown = _by_id(member(input_content, "selectedAiServiceResponse"))
    full = _by_id(member(input_content, "aiServiceResponse"))
    items: list[dict[str, Any]] = []
    for key_id, block in after.items():
        if not _is_key(block):
            continue
        old = _find(key_id, (shown, full))
        old_value = _value(old, shown, full)
        new_value = _value(block, after)
        key, value = _text(block, (after, shown, full)), _text(new_value, (after, shown, full))
        key_before, value_before = _text(old, (shown, full)), _text(old_value, (shown, full))
        if old is None:
            change = "added"
        elif _differs(key, key_before) or _differs(value, value_before):
            change = "edited"
        else:
            change = "unchanged"
        items.append(
            {
                "key": key,
                "value": value,
                "keyBefore": key_before,
                "valueBefore": value_before,
                "confidenceBefore": _confidence(old, old_value),
                "confidenceAfter": _confidence(block, new_value),
                "changed": change != "unchanged",
                "change": change,
                "keyId": key_id,
            }
        )
    for key_id, block in shown.items():
        if _is_key(block) and key_id not in after:
            value_block = _value(block, shown, full)
            items.append(
                {
                    "key": None,
                    "value": None,
                    "keyBefore": _text(block, (shown, full)),
                    "valueBefore": _text(value_block, (shown, full)),
                    "confidenceBefore": _confidence(block, value_block),
                    "confidenceAfter": None,
                    "changed": True,
                    "change": "removed",
                    "keyId": key_id,
                }
            )
    return items
