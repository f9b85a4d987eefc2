"""The report page in a real headless Chromium (Debian's ``chromium``, as the template
preview tests use it): it opens offline with no console error, draws every plot from the
figures' numbers, and shows reviewers' markup as text. Skipped, saying why, only where no
Chromium is installed or Playwright cannot start it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from constructs_a2i.report.figures import Source, compute_figures
from constructs_a2i.report.history import Paths, build_history
from constructs_a2i.report.plots import PLOT_IDS
from constructs_a2i.report.render import READY_ATTRIBUTE, render_html
from tests.browser import chromium_context

from .test_fixture_history import LISTED, PATHS, WORKER_C, fixture_rows

HOSTILE_LABEL = '<img src=x onerror="alert(1)"> &amp; co'


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium context with a fresh profile; every http(s) request is recorded, aborted."""
    profile = tmp_path_factory.mktemp("chromium-report-profile")
    with chromium_context(profile, width=1100, height=900) as context:
        context.requests = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (context.requests.append(route.request.url), route.abort())
            ),
        )
        context.set_default_timeout(30_000)
        yield context


def open_report(browser: Any, figures: dict[str, Any], path: Path) -> tuple[Any, list[str]]:
    """Open the page made from ``figures``; return it and what went wrong in it."""
    path.write_text(render_html(figures), encoding="utf-8")
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.goto(path.as_uri())
    page.wait_for_selector(f"body[{READY_ATTRIBUTE}]")
    return page, problems


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    rows = fixture_rows()
    rows[0] = {
        **rows[0],
        "inputContent": {"prediction": {"label": HOSTILE_LABEL, "confidence": 0.95}},
    }
    history = build_history(enumerate(rows, start=1), paths=PATHS, loops=LISTED)
    return compute_figures(
        history,
        Source(flow="review-flow", price_usd=Decimal("0.036"), task_count=3),
        generated=dt.datetime(2026, 11, 4, tzinfo=dt.UTC),
    )


@pytest.fixture(scope="module")
def opened(
    browser: Any, figures: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, list[str]]]:
    """The fixture history's page, opened once for the tests that read it."""
    page, problems = open_report(browser, figures, tmp_path_factory.mktemp("report") / "r.html")
    yield page, problems
    page.close()


def test_report_opens_offline_with_every_plot_and_no_error(
    browser: Any, opened: tuple[Any, list[str]]
) -> None:
    page, problems = opened
    assert problems == []
    assert browser.requests == []
    assert page.get_attribute("body", READY_ATTRIBUTE) == str(len(PLOT_IDS))
    for plot_id in PLOT_IDS:
        assert page.locator(f"#{plot_id}.js-plotly-plot svg.main-svg").count() >= 1, plot_id


def test_plots_and_embedded_json_hold_the_figures(
    figures: dict[str, Any], opened: tuple[Any, list[str]]
) -> None:
    page, problems = opened
    embedded = json.loads(page.text_content("#report-figures") or "")
    assert embedded == figures
    model = figures["modelAgreement"]
    drawn = page.evaluate("document.getElementById('plot-confusion').data[0].z")
    assert drawn == model["confusion"]["counts"]
    rates = page.evaluate("document.getElementById('plot-override-rate').data[0].y")
    assert rates == pytest.approx([entry["overrideRate"] for entry in model["perLabel"]])
    started = page.evaluate("document.getElementById('plot-volume').data[0].y")
    assert started == figures["volume"]["started"]
    assert problems == []


def test_reviewer_markup_is_shown_as_text(opened: tuple[Any, list[str]]) -> None:
    page, problems = opened
    assert problems == []  # no alert(), no broken image
    assert page.locator("img").count() == 0
    assert page.locator("#reviewers-table script").count() == 0
    assert WORKER_C in (page.inner_text("#reviewers-table") or "")
    ticks = page.locator("#plot-confusion .xtick text").all_text_contents()
    assert HOSTILE_LABEL in ticks


def test_an_empty_history_renders_and_says_no_data(browser: Any, tmp_path: Path) -> None:
    figures = compute_figures(build_history([], paths=Paths()))
    page, problems = open_report(browser, figures, tmp_path / "empty.html")
    assert problems == []
    assert page.get_attribute("body", READY_ATTRIBUTE) == "0"
    assert page.locator(".nodata").count() == len(PLOT_IDS)
    assert "No data" in page.inner_text("body")
    page.close()
