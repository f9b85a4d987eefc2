"""Textract and Rekognition answers as items a person can read (``core.managed_answers``).

The documents are ``tests/fixtures/output-textract.json`` and ``output-rekognition.json``:
the two examples of AWS's "Amazon A2I Output Data"
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html), their answers filled
with the "Output" samples of ``crowd-textract-analyze-document`` and
``crowd-rekognition-detect-moderation-labels`` in "Augmented AI Crowd HTML Elements"
(https://docs.aws.amazon.com/sagemaker/latest/dg/crowd-elements-a2i-list.html).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from constructs_a2i.core.managed_answers import (
    REKOGNITION,
    TEXTRACT,
    answer_source,
    expansion_of,
    reviewed_items,
)
from constructs_a2i.core.output_json import input_content
from tests.conftest import fixture_json

TEXTRACT_SOURCE = "AWS/Textract/AnalyzeDocument/Forms/V1"
REKOGNITION_SOURCE = "AWS/Rekognition/DetectModerationLabels/Image/V3"
KEY_ID = "8c97b240-0969-4678-834a-646c95da9cf4"
VALUE_ID = "6ee7b7da-ee1b-428d-a567-55a3e3affa54"


def textract_output() -> dict[str, Any]:
    document: dict[str, Any] = fixture_json("output-textract.json")
    return document


def rekognition_output() -> dict[str, Any]:
    document: dict[str, Any] = fixture_json("output-rekognition.json")
    return document


def items_of(document: dict[str, Any], kind: str | None = None) -> Any:
    kind = kind or expansion_of(answer_source(document))
    assert kind is not None
    answer = document["humanAnswers"][0]["answerContent"]
    return reviewed_items(kind, answer, input_content(document))


def test_the_textract_example_of_aws_output_data_page_is_one_edited_key() -> None:
    """AWS's example: the reviewer's KEY block says "Foo bar baz" where Textract read the
    words "Foo" "bar" (found through the block's CHILD relationship); its VALUE block is not
    in the answer, so the value after review is unknown, and the one before comes from the
    VALUE relationship of Textract's response."""
    document = textract_output()
    assert answer_source(document) == TEXTRACT_SOURCE
    assert expansion_of(TEXTRACT_SOURCE) == TEXTRACT

    assert items_of(document) == [
        {
            "key": "Foo bar baz",
            "value": None,
            "keyBefore": "Foo bar",
            "valueBefore": "123 Any Street",
            "confidenceBefore": 38.43309020996094,
            "confidenceAfter": None,
            "changed": True,
            "change": "edited",
            "keyId": KEY_ID,
        }
    ]


def key_block(block_id: str, text: str | None, value_id: str | None, **extra: Any) -> Any:
    block: dict[str, Any] = {"blockType": "KEY_VALUE_SET", "id": block_id, "entityTypes": ["KEY"]}
    if text is not None:
        block["text"] = text
    if value_id is not None:
        block["relationships"] = [{"type": "VALUE", "ids": [value_id]}]
    return {**block, **extra}


def value_block(block_id: str, text: str, **extra: Any) -> Any:
    return {
        "blockType": "KEY_VALUE_SET",
        "id": block_id,
        "entityTypes": ["VALUE"],
        "text": text,
        **extra,
    }


def test_textract_values_edited_kept_added_and_removed_keys() -> None:
    """The answer carries value blocks too: an unchanged pair (spaces aside), a corrected
    value with the reviewer's confidence, a key Textract did not find, and a key the reviewer
    was shown but left out."""
    document = textract_output()
    shown = document["inputContent"]["selectedAiServiceResponse"]["blocks"]
    shown += [
        key_block("k-name", "Name:", "v-name", confidence=91.5),
        value_block("v-name", "Ana Silva", confidence=91.5),
        key_block("k-date", "Date:", "v-date", confidence=55.0),
        value_block("v-date", "1980-12-26", confidence=55.0),
    ]
    document["humanAnswers"][0]["answerContent"][TEXTRACT_SOURCE]["blocks"] = [
        key_block(KEY_ID, None, VALUE_ID, relationships=shown[0]["relationships"]),
        value_block(VALUE_ID, "123 Any Street"),
        key_block("k-name", "Name:", "v-name"),
        value_block("v-name", "Ana  Silva "),
        key_block("k-new", "Policy Number:", "v-new"),
        value_block("v-new", "=1+1", confidence=100),
    ]

    items = {item["keyId"]: item for item in items_of(document)}

    assert list(items) == [KEY_ID, "k-name", "k-new", "k-date"]
    # The key block without text: its words come from Textract's WORD blocks.
    assert items[KEY_ID]["key"] == "Foo bar" and items[KEY_ID]["value"] == "123 Any Street"
    assert items[KEY_ID]["change"] == "unchanged" and items[KEY_ID]["changed"] is False
    assert items["k-name"]["change"] == "unchanged"  # "Ana  Silva " is "Ana Silva"
    assert items["k-new"] == {
        "key": "Policy Number:",
        "value": "=1+1",
        "keyBefore": None,
        "valueBefore": None,
        "confidenceBefore": None,
        "confidenceAfter": 100.0,
        "changed": True,
        "change": "added",
        "keyId": "k-new",
    }
    assert items["k-date"] == {
        "key": None,
        "value": None,
        "keyBefore": "Date:",
        "valueBefore": "1980-12-26",
        "confidenceBefore": 55.0,
        "confidenceAfter": None,
        "changed": True,
        "change": "removed",
        "keyId": "k-date",
    }

    document["humanAnswers"][0]["answerContent"][TEXTRACT_SOURCE]["blocks"][3]["text"] = "Ana Lee"
    assert {i["keyId"]: i["change"] for i in items_of(document)}["k-name"] == "edited"


def test_textract_blocks_in_the_api_case_and_selection_elements() -> None:
    """Textract's API spells the members in PascalCase (``BlockType``, ``Relationships``), as
    the element's ``initialValue`` example does; a check box's value is its
    ``SelectionStatus``."""
    answer = {
        "Blocks": [
            {
                "BlockType": "KEY_VALUE_SET",
                "Id": "k",
                "EntityTypes": ["KEY"],
                "Confidence": 80,
                "Relationships": [
                    {"Type": "CHILD", "Ids": ["w1", "w2"]},
                    {"Type": "VALUE", "Ids": ["v"]},
                ],
            },
            {"BlockType": "WORD", "Id": "w1", "Text": "Is"},
            {"BlockType": "WORD", "Id": "w2", "Text": "married:"},
            {
                "BlockType": "KEY_VALUE_SET",
                "Id": "v",
                "EntityTypes": ["VALUE"],
                "Relationships": [{"Type": "CHILD", "Ids": ["s"]}],
            },
            {"BlockType": "SELECTION_ELEMENT", "Id": "s", "SelectionStatus": "SELECTED"},
        ]
    }
    [item] = reviewed_items(TEXTRACT, {TEXTRACT_SOURCE: answer}, None) or []
    assert (item["key"], item["value"], item["change"]) == ("Is married:", "SELECTED", "added")
    assert item["confidenceAfter"] == 80.0
    # The answer object itself (without the request source's key) reads the same.
    assert reviewed_items(TEXTRACT, answer, None) == [item]


def test_the_rekognition_example_of_aws_output_data_page_confirms_the_shown_label() -> None:
    document = rekognition_output()
    assert answer_source(document) == REKOGNITION_SOURCE
    assert expansion_of(REKOGNITION_SOURCE) == REKOGNITION

    assert items_of(document) == [
        {
            "label": "Suggestive",
            "parent": "",
            "confidence": 96.7122802734375,
            "decision": "confirmed",
        }
    ]


def test_rekognition_no_content_rejects_every_shown_label() -> None:
    """The output page: the answer "only contains positive responses"; the element returns an
    empty array when the reviewer chooses its exclusion category."""
    document = rekognition_output()
    document["humanAnswers"][0]["answerContent"][REKOGNITION_SOURCE]["moderationLabels"] = []
    [item] = items_of(document)
    assert (item["label"], item["decision"]) == ("Suggestive", "rejected")


def test_rekognition_the_element_sample_in_pascal_case_adds_labels() -> None:
    """The element's "Output" sample: ``ModerationLabels`` with Gore and Corpses under
    Violence, none of which the reviewer of the page's loop was shown."""
    document = rekognition_output()
    document["humanAnswers"][0]["answerContent"] = {
        REKOGNITION_SOURCE: {
            "ModerationLabels": [
                {"name": "Gore", "parentName": "Violence"},
                {"name": "Corpses", "parentName": "Violence"},
            ]
        }
    }
    assert items_of(document) == [
        {
            "label": "Suggestive",
            "parent": "",
            "confidence": 96.7122802734375,
            "decision": "rejected",
        },
        {"label": "Gore", "parent": "Violence", "confidence": None, "decision": "added"},
        {"label": "Corpses", "parent": "Violence", "confidence": None, "decision": "added"},
    ]
    # Categories given as strings come back as strings; the model's confidence of a label it
    # gave but did not show (aiServiceResponse) is kept.
    document["humanAnswers"][0]["answerContent"] = {
        REKOGNITION_SOURCE: {"moderationLabels": ["Suggestive", "Female Swimwear Or Underwear"]}
    }
    assert [(i["label"], i["confidence"], i["decision"]) for i in items_of(document)] == [
        ("Suggestive", 96.7122802734375, "confirmed"),
        ("Female Swimwear Or Underwear", 71.2, "added"),
    ]


def test_the_source_comes_from_the_answers_when_the_field_is_missing() -> None:
    document = textract_output()
    del document["awsManagedHumanLoopRequestSource"]
    assert answer_source(document) == TEXTRACT_SOURCE
    custom = fixture_json("output-custom-task.json")
    assert answer_source(custom) is None and expansion_of(None) is None
    assert expansion_of("AWS/Comprehend/V1") is None


def test_answers_of_another_shape_are_not_read() -> None:
    custom = fixture_json("output-custom-task.json")["humanAnswers"][0]["answerContent"]
    assert reviewed_items(TEXTRACT, custom, None) is None
    assert reviewed_items(REKOGNITION, custom, None) is None
    assert reviewed_items(TEXTRACT, "text", None) is None
    assert (
        reviewed_items(REKOGNITION, {REKOGNITION_SOURCE: {"moderationLabels": "x"}}, None) is None
    )
    broken = copy.deepcopy(textract_output()["humanAnswers"][0]["answerContent"])
    broken[TEXTRACT_SOURCE]["blocks"] += [None, 3, {"id": 5}, {"blockType": "KEY_VALUE_SET"}]
    assert len(reviewed_items(TEXTRACT, broken, None) or []) == 1
    with pytest.raises(ValueError, match="kind must be one of"):
        reviewed_items("comprehend", custom, None)
