"""Template previews in a real headless Chromium (Debian's ``chromium`` package).

``scripts/install-browser.sh`` installs it; Playwright drives that system browser (no
browser download). The machine has no network: requests leaving localhost are aborted,
so the Crowd HTML Elements script cannot load and the preview shows its stand-ins,
exactly as it does for a user working offline. Skipped, saying why, only where no
Chromium is installed or Playwright cannot start it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from constructs_a2i.cli.main import app
from constructs_a2i.cli.preview_server import PreviewServer
from constructs_a2i.templates.builtins import BUILTIN_TEMPLATES
from constructs_a2i.templates.environment import PREVIEW_SIGNATURE
from constructs_a2i.templates.preview import PREVIEW_READY_ATTRIBUTE, render_preview
from tests.browser import chromium_context
from tests.templates.test_aws_material import aws_input, template

NOT_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium context with a fresh profile; nothing leaves localhost."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with chromium_context(profile, width=1000, height=800) as context:
        context.route(NOT_LOCAL, lambda route: route.abort())
        context.set_default_timeout(15_000)
        yield context


def open_preview(browser: Any, url: str) -> Any:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector(f"body[{PREVIEW_READY_ATTRIBUTE}]")
    assert errors == [], errors
    return page


def image_loaded(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def radio_labels(page: Any) -> list[str]:
    return [label.strip() for label in page.locator("label.a2i-standin-choice").all_inner_texts()]


def check_text_classification(page: Any, sample: dict[str, Any]) -> None:
    assert page.inner_text("classification-target").strip() == sample["text"]
    categories = json.loads(page.get_attribute("crowd-classifier", "categories"))
    assert radio_labels(page) == categories
    for category in categories:
        assert page.get_by_role("radio", name=category).is_visible()
    hint = page.inner_text("short-instructions")
    assert f"The model chose {sample['prediction']['label']}" in hint
    assert f"confidence {sample['prediction']['confidence']}" in hint


def check_image_classification(page: Any, sample: dict[str, Any]) -> None:
    host = page.locator("crowd-image-classifier")
    assert host.get_attribute("data-a2i-s3-uri") == sample["image"]
    fake = host.get_attribute("data-a2i-presigned-url")
    bucket_and_key = sample["image"].removeprefix("s3://")
    assert fake.startswith(f"https://s3.amazonaws.com/{bucket_and_key}?")
    assert fake.endswith(PREVIEW_SIGNATURE)
    assert image_loaded(page, "crowd-image-classifier figure img")  # the placeholder
    assert sample["image"] in page.inner_text("crowd-image-classifier figcaption")
    banner = page.inner_text("aside.a2i-preview-banner")
    assert sample["image"] in banner and PREVIEW_SIGNATURE in banner
    assert radio_labels(page) == json.loads(
        page.get_attribute("crowd-image-classifier", "categories")
    )


def check_text_correction(page: Any, sample: dict[str, Any]) -> None:
    assert page.inner_text("section p").strip() == sample["source"]
    label = page.get_attribute("crowd-text-area", "label")
    box = page.get_by_label(label)
    assert box.evaluate("el => el.tagName") == "TEXTAREA"
    assert box.input_value() == sample["answer"]
    box.fill("The customer wants the blue kettle instead of the red one.")
    assert box.input_value().startswith("The customer wants the blue kettle")


def check_key_value_review(page: Any, sample: dict[str, Any]) -> None:
    for pair in sample["pairs"]:
        assert page.get_by_label(pair["key"], exact=True).input_value() == pair["value"]
    document = page.locator("img[alt='The document the values were read from']")
    assert document.get_attribute("data-a2i-s3-uri") == sample["document"]
    assert image_loaded(page, "img[alt='The document the values were read from']")


CHECKS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "text_classification": check_text_classification,
    "image_classification": check_image_classification,
    "text_correction": check_text_correction,
    "key_value_review": check_key_value_review,
}


def test_every_builtin_has_a_browser_check() -> None:
    assert set(CHECKS) == set(BUILTIN_TEMPLATES)


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_builtin_preview_shows_the_sample_values(browser: Any, name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.html"
    result = CliRunner().invoke(app, ["template", "preview", f"builtin:{name}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = open_preview(browser, out.resolve().as_uri())
    try:
        assert "showing simple stand-ins" in page.inner_text("#a2i-preview-mode")
        assert page.get_by_role("button", name="Submit (disabled in the preview)").is_disabled()
        CHECKS[name](page, dict(BUILTIN_TEMPLATES[name]().sample_input))
        screenshot = tmp_path / f"{name}.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        page.close()


def test_served_preview_reloads_after_the_template_is_saved(browser: Any, tmp_path: Path) -> None:
    template = tmp_path / "t.html"
    template.write_text(
        "<crowd-form><h2>{{ task.input.title }}</h2></crowd-form>", encoding="utf-8"
    )
    sample = {"title": "First draft"}

    def build(reload_url: str, version: str) -> tuple[int, str]:
        source = template.read_text(encoding="utf-8")
        return 200, render_preview(source, sample, reload_url=reload_url, version=version)

    server = PreviewServer(build, [template], port=0)
    server.start()
    page = open_preview(browser, server.url)
    try:
        assert page.inner_text("h2") == "First draft"
        template.write_text(
            "<crowd-form><h2>Edited: {{ task.input.title }}</h2></crowd-form>", encoding="utf-8"
        )
        os.utime(template, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        page.wait_for_function(
            "() => document.querySelector('h2') && "
            "document.querySelector('h2').textContent === 'Edited: First draft'"
        )
    finally:
        page.close()
        server.stop()


def test_aws_samples_preview_as_the_elements_read_them(browser: Any, tmp_path: Path) -> None:
    # AWS's templates (tests/fixtures/templates, see tests/fixtures/README.md): the
    # Textract one's attributes are JSON in the DOM, as crowd-textract-analyze-document
    # reads them (https://docs.aws.amazon.com/sagemaker/latest/dg/crowd-elements-a2i-list.html);
    # crowd-entity-annotation, which brings its own form, gets a Submit button of its own
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-ui-template-crowd-entity-annotation.html).
    textract = aws_input("a2i-textract-input.json")
    entities = aws_input("entity-annotation-input.json")
    for name, sample in (
        ("textract-analyze-document.html", textract),
        ("named-entity-recognition.liquid.html", entities),
    ):
        source = template(name)
        out = tmp_path / f"{name}.preview.html"
        out.write_text(render_preview(source, sample, template_name=name), encoding="utf-8")
        page = open_preview(browser, out.resolve().as_uri())
        try:
            assert page.get_by_role("button", name="Submit (disabled in the preview)").count() == 1
            if name.startswith("textract"):
                element = "crowd-textract-analyze-document"
                blocks = page.eval_on_selector(
                    element, "el => JSON.parse(el.getAttribute('initial-value'))"
                )
                keys = page.eval_on_selector(element, "el => JSON.parse(el.getAttribute('keys'))")
                assert blocks == textract["selectedAiServiceResponse"]["blocks"]
                assert keys == textract["humanLoopContext"]["importantFormKeys"]
            else:
                text = page.inner_text("crowd-entity-annotation .a2i-standin-text")
                assert text == entities["taskObject"]
        finally:
            page.close()
