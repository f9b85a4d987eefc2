"""An Amazon Rekognition moderation answer as one item per label.

The answer lists only the labels the reviewer chose ("Amazon A2I Output Data": "only contains
positive responses"), as objects with ``name`` and ``parentName`` (the
``crowd-rekognition-detect-moderation-labels`` element returns "the full objects of any selected
categories", its sample under ``ModerationLabels``) or as strings (categories given as strings).
The labels the reviewer was shown are the input's ``selectedAiServiceResponse.moderationLabels``,
with the model's ``confidence``.

:func:`moderation_label_items` gives one item per label shown or chosen: ``label``, ``parent``,
the model's ``confidence`` (from ``aiServiceResponse`` or ``selectedAiServiceResponse``; None for
a label the model did not give) and ``decision``: ``confirmed`` (shown and chosen), ``rejected``
(shown, not chosen) or ``added`` (chosen, not among those shown).
"""

from __future__ import annotations

from typing import Any

from constructs_a2i.core.output_json import member, members

__all__ = ["moderation_label_items"]


def _label(value: Any) -> tuple[str, Any] | None:
    """``(name, parentName)`` of an answer's or a response's label."""
    if isinstance(value, str):
        return value, None
    name = member(value, "name")
    return (name, member(value, "parentName")) if isinstance(name, str) else None


def moderation_label_items(answer: Any, input_content: Any) -> list[dict[str, Any]]:
    """One item per label of ``answer`` (``{"moderationLabels": [...]}``) or of those shown."""
    chosen = dict(found for found in map(_label, members(answer, "moderationLabels")) if found)
    confidences: dict[str, Any] = {}
    for response in ("aiServiceResponse", "selectedAiServiceResponse"):
        for label in members(member(input_content, response), "moderationLabels"):
            found = _label(label)
            if found is not None:
                confidences[found[0]] = member(label, "confidence")
    items: list[dict[str, Any]] = []
    shown: set[str] = set()
    selected = member(input_content, "selectedAiServiceResponse")
    for label in members(selected, "moderationLabels"):
        found = _label(label)
        if found is None or found[0] in shown:
            continue
        name, parent = found
        shown.add(name)
        decision = "confirmed" if name in chosen else "rejected"
        items.append(_item(name, parent, confidences.get(name), decision))
    for name, parent in chosen.items():
        if name not in shown:
            items.append(_item(name, parent, confidences.get(name), "added"))
    return items


def _item(name: str, parent: Any, confidence: Any, decision: str) -> dict[str, Any]:
    return {"label": name, "parent": parent, "confidence": confidence, "decision": decision}
