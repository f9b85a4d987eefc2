#!/usr/bin/env python3
"""Draw the example app's CloudWatch dashboard as an SVG: docs/monitoring-dashboard.svg.

    python scripts/dashboard_svg.py [--out SVG] [--check]

Synthesizes the example app (``app.py``, offline), reads its dashboard's ``DashboardBody``
(an ``Fn::Join`` of JSON text and tokens: each token becomes a placeholder such as
``<FlowDefinitionName>`` or ``<AWS::Region>``) and draws the widget grid as CloudWatch lays
it out: 24 columns, each widget at its x, y, width and height, with its title and one line
per metric. Standard library only. ``--check`` exits 1 if the file differs from what the code
draws now (``tests/test_dashboard_picture.py`` does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "monitoring-dashboard.svg"

COLUMN = 40  # pixels per grid column: CloudWatch's dashboards are 24 columns wide
ROW = 30  # pixels per grid row
GAP = 8
MARGIN = 12
HEADER = 34
LINE = 15
CHARACTER = 6.6  # average width of a 11 px sans-serif character, to shorten long lines


def placeholder(token: Any) -> str:
    """A readable stand-in for a CloudFormation token inside the dashboard's JSON text."""
    if isinstance(token, dict):
        if "Fn::GetAtt" in token:
            return f"<{token['Fn::GetAtt'][1]}>"
        if "Ref" in token:
            return f"<{token['Ref']}>"
    return "<token>"


def dashboard_body(body: Any) -> dict[str, Any]:
    """``DashboardBody`` (a string, or an ``Fn::Join`` of strings and tokens) as JSON."""
    if isinstance(body, str):
        text = body
    else:
        delimiter, parts = body["Fn::Join"]
        text = delimiter.join(p if isinstance(p, str) else placeholder(p) for p in parts)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def dashboard_bodies(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The body of every ``AWS::CloudWatch::Dashboard`` in ``template``, in template order."""
    return [
        dashboard_body(resource["Properties"]["DashboardBody"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Dashboard"
    ]


def metric_line(metric: list[Any]) -> str:
    """``label: Namespace/MetricName (stat)`` for one entry of a widget's ``metrics``."""
    options = metric[-1] if metric and isinstance(metric[-1], dict) else {}
    names = [m for m in metric if not isinstance(m, dict)]
    namespace, name = ([*names, "", ""])[:2]
    dimensions = names[2:]
    # The dimension that tells lines apart (a failure code), not the flow's name token.
    extra = [value for value in dimensions[1::2] if not str(value).startswith("<")]
    text = f"{namespace}/{name}"
    if extra:
        text += f" [{', '.join(extra)}]"
    stat = options.get("stat")
    if stat:
        text += f" ({stat})"
    label = options.get("label")
    if label and label != name:
        text = f"{label}: {text}"
    if options.get("yAxis") == "right":
        text += " (right axis)"
    return text


def shorten(text: str, width: float) -> str:
    """``text`` cut to fit ``width`` pixels, with an ellipsis when cut."""
    fits = int(width / CHARACTER)
    return text if len(text) <= fits else text[: max(fits - 1, 0)] + "…"


def render_svg(body: dict[str, Any], title: str) -> str:
    """The widget grid of ``body`` as an SVG document (deterministic, pure text)."""
    widgets = body.get("widgets", [])
    rows = max((w["y"] + w["height"] for w in widgets), default=0)
    width = 2 * MARGIN + 24 * COLUMN
    height = HEADER + 2 * MARGIN + rows * ROW
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#f5f7f9"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 14}" font-size="14" font-weight="bold" '
        f'fill="#16191f">{escape(title)}</text>',
    ]
    for widget in widgets:
        x = MARGIN + widget["x"] * COLUMN
        y = HEADER + MARGIN + widget["y"] * ROW
        w = widget["width"] * COLUMN - GAP
        h = widget["height"] * ROW - GAP
        properties = widget.get("properties", {})
        lines = [metric_line(m) for m in properties.get("metrics", [])]
        kind = properties.get("view", widget.get("type", ""))
        if properties.get("stacked"):
            kind += ", stacked"
        out.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="#ffffff" '
            'stroke="#aab7b8"/>'
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 17}" font-size="12" font-weight="bold" fill="#16191f">'
            f"{escape(shorten(properties.get('title', ''), w - 16))}</text>"
        )
        grid = (
            f"{kind}, grid x={widget['x']} y={widget['y']} w={widget['width']} h={widget['height']}"
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 31}" fill="#687078">{escape(shorten(grid, w - 16))}</text>'
        )
        room = int((h - 40) / LINE)
        shown = (
            lines if len(lines) <= room else [*lines[: room - 1], f"… {len(lines) - room + 1} more"]
        )
        for index, line in enumerate(shown):
            out.append(
                f'<text x="{x + 8}" y="{y + 48 + index * LINE}" fill="#0972d3">'
                f"{escape(shorten(line, w - 16))}</text>"
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def example_template() -> dict[str, Any]:
    """The example app's stack template, synthesized offline into a temporary directory."""
    sys.path.insert(0, str(ROOT))
    from aws_cdk import App

    import app as example

    with tempfile.TemporaryDirectory() as outdir:
        cdk_app = example.build_app(App(outdir=outdir))
        assembly = cdk_app.synth(validate_on_synthesis=False)
        (stack,) = assembly.stacks
        template: dict[str, Any] = stack.template
        return template


def example_svg(template: dict[str, Any] | None = None) -> str:
    """The picture of the example app's one dashboard."""
    (body,) = dashboard_bodies(template if template is not None else example_template())
    return render_svg(body, "ReviewMonitoring dashboard of the example app (app.py)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare; do not write")
    args = parser.parse_args(argv)
    svg = example_svg()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != svg:
            print(f"{args.out} is out of date: run python scripts/dashboard_svg.py")
            return 1
        return 0
    args.out.write_text(svg, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
