"""docs/monitoring-dashboard.svg is what scripts/dashboard_svg.py draws from the example app.

The picture is regenerated from the example app synthesized for this test process (the
session fixture ``example_app_template``, no extra synth) into a temporary directory and
compared with the committed file, so it cannot drift from the code.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "monitoring-dashboard.svg"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dashboard_svg", ROOT / "scripts/dashboard_svg.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_picture_is_what_the_code_draws(
    script: ModuleType, example_app_template: dict[str, Any], tmp_path: Path
) -> None:
    regenerated = tmp_path / "monitoring-dashboard.svg"
    regenerated.write_text(script.example_svg(example_app_template), encoding="utf-8")
    assert regenerated.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "docs/monitoring-dashboard.svg is out of date: run python scripts/dashboard_svg.py"
    )


def test_check_reports_a_stale_picture(
    script: ModuleType,
    example_app_template: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(script, "example_template", lambda: example_app_template)
    picture = tmp_path / "dashboard.svg"
    assert script.main(["--out", str(picture)]) == 0
    assert script.main(["--out", str(picture), "--check"]) == 0
    picture.write_text(picture.read_text(encoding="utf-8").replace("LoopsStarted", "X"))
    assert script.main(["--out", str(picture), "--check"]) == 1


def test_the_picture_shows_every_widget_at_its_place_with_its_metrics(
    script: ModuleType, example_app_template: dict[str, Any]
) -> None:
    (body,) = script.dashboard_bodies(example_app_template)
    svg = script.example_svg(example_app_template)
    assert len(body["widgets"]) == 9
    for widget in body["widgets"]:
        place = f"grid x={widget['x']} y={widget['y']} w={widget['width']} h={widget['height']}"
        assert place in svg
        assert f">{widget['properties']['title'].replace('<', '&lt;').replace('>', '&gt;')}<" in svg
        for metric in widget["properties"]["metrics"]:
            assert f"{metric[0]}/{metric[1]}" in svg
    # Rectangles are drawn where CloudWatch puts the widgets: 40 px a column, 30 px a row.
    rectangles = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', svg)
    expected = [
        (12 + w["x"] * 40, 46 + w["y"] * 30, w["width"] * 40 - 8, w["height"] * 30 - 8)
        for w in body["widgets"]
    ]
    assert [tuple(int(n) for n in r) for r in rectangles] == expected


def test_tokens_become_placeholders(script: ModuleType) -> None:
    body = {
        "Fn::Join": [
            "",
            [
                '{"widgets":[{"x":0,"y":0,"width":6,"height":3,"properties":{"title":"Flow ',
                {"Fn::GetAtt": ["FlowABC123", "FlowDefinitionName"]},
                '","region":"',
                {"Ref": "AWS::Region"},
                '","metrics":[["NS","M","D","',
                {"Fn::ImportValue": "x"},
                '",{"yAxis":"right","label":"L"}]]}}]}',
            ],
        ]
    }
    parsed = script.dashboard_body(body)
    properties = parsed["widgets"][0]["properties"]
    assert properties["title"] == "Flow <FlowDefinitionName>"
    assert properties["region"] == "<AWS::Region>"
    assert script.metric_line(properties["metrics"][0]) == "L: NS/M (right axis)"
    assert script.dashboard_body(json.dumps(parsed)) == parsed
