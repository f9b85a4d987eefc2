"""How an ``output.json`` is read (``core.output_json``): the input of older layouts, the
worker's identity and the request source.

The documents start from ``tests/fixtures/output-custom-task.json`` and
``output-textract.json``, written from AWS's "Amazon A2I Output Data" page
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-output-data.html). No AWS page shows the
older layouts (``humanLoopInputContent``; the AWS-managed parts at the top level); they are
built from the page's examples with those keys moved.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_a2i.core.output_json import (
    MANAGED_INPUT_KEYS,
    input_content,
    member,
    members,
    request_source,
    worker_identity,
)
from tests.conftest import fixture_json


def custom_output() -> dict[str, Any]:
    document: dict[str, Any] = fixture_json("output-custom-task.json")
    return document


@pytest.mark.parametrize(
    "older",
    [
        pytest.param(lambda content: content, id="object"),
        pytest.param(json.dumps, id="json-text"),
        pytest.param(lambda content: {"InputContent": json.dumps(content)}, id="api-shape"),
    ],
)
def test_input_of_the_older_human_loop_input_content_layout(older: Any) -> None:
    document = custom_output()
    content = document.pop("inputContent")
    document["humanLoopInputContent"] = older(content)
    assert input_content(document) == content == {"taskObject": content["taskObject"]}


def test_input_of_the_older_layout_with_the_managed_parts_at_the_top() -> None:
    document: dict[str, Any] = fixture_json("output-textract.json")
    content = document.pop("inputContent")
    document.update(content)
    assert input_content(document) == content
    assert set(content) <= set(MANAGED_INPUT_KEYS)


def test_input_content_wins_and_nothing_is_none() -> None:
    document = custom_output()
    document["humanLoopInputContent"] = {"taskObject": "older"}
    document["aiServiceRequest"] = {"x": 1}
    assert input_content(document) == {"taskObject": document["inputContent"]["taskObject"]}
    assert input_content({"humanAnswers": []}) is None
    assert input_content({"inputContent": None, "humanLoopInputContent": "not json"}) == "not json"
    deep = "[" * 500 + "]" * 500
    assert input_content({"humanLoopInputContent": deep}) == deep  # too deep: the text


def test_worker_identity_of_track_worker_activity() -> None:
    """ "Track Worker Activity" on the output page: ``workerMetadata.identityData`` with
    Cognito, and with an OIDC identity provider."""
    [answer] = custom_output()["humanAnswers"]
    assert worker_identity(answer) == {
        "workerSub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "workerIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_123456789",
        "workerIdentityProviderType": "Cognito",
    }
    oidc = {
        "workerMetadata": {
            "identityData": {
                "identityProviderType": "Oidc",
                "issuer": "https://example-oidc-ipd.com/adfs",
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            }
        }
    }
    assert worker_identity(oidc)["workerIdentityProviderType"] == "Oidc"
    public = dict.fromkeys(("workerSub", "workerIssuer", "workerIdentityProviderType"))
    assert worker_identity({"workerId": "x"}) == public
    assert worker_identity(None) == public
    assert worker_identity({"workerMetadata": "odd"}) == public


def test_request_source_and_members() -> None:
    assert request_source(fixture_json("output-textract.json")) == (
        "AWS/Textract/AnalyzeDocument/Forms/V1"
    )
    assert request_source(custom_output()) is None
    assert request_source({"awsManagedHumanLoopRequestSource": ""}) is None
    assert member({"BlockType": "WORD"}, "blockType") == "WORD"
    assert member({"blockType": "A", "BlockType": "B"}, "blockType") == "A"
    assert member([1], "x") is None
    assert members({"ids": "x"}, "ids") == [] and members({"Ids": [1]}, "ids") == [1]
