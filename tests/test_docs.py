"""The documentation site builds strictly, has every page, and a broken link fails it.

``mkdocs build --strict`` (what ``make docs`` runs) renders the guide pages of ``docs/`` and
the API reference from the docstrings; these tests build it into a temporary folder and look
at the output, then show that a copy of the docs with broken links does not build. They skip
only where MkDocs is not installed (it comes with the ``docs`` dependency group).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BUILD_TIMEOUT = 300

GUIDE_PAGES = (
    "flow-definitions",
    "starting-loops-and-results",
    "task-templates",
    "work-teams-and-integrations",
    "a2i-command",
    "report",
    "security",
    "monitoring",
    "testing",
    "benchmarks",
    "architecture",
)
"""The guide's pages (docs/guide/<name>.md), each built to site/guide/<name>/index.html."""

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed (docs group)"
)


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "mkdocs", "build", "--strict"),
            *("--config-file", str(config), "--site-dir", str(site)),
        ],
        cwd=config.parent,
        # The package is found from ROOT wherever the config is (the copy below is elsewhere).
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


@needs_mkdocs
def test_the_strict_build(tmp_path: Path) -> None:
    """One build (a few seconds of CPU), then each check of its output."""
    site = tmp_path / "site"
    built = mkdocs_build(ROOT / "mkdocs.yml", site)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.stdout}{built.stderr}"
    every_guide_page_is_built(site)
    the_api_reference_documents_flow_definition(site)
    every_public_name_has_its_entry(site)
    the_site_needs_nothing_from_the_internet(site)


def anchors(site: Path) -> set[str]:
    """Every element id of every page of the site."""
    ids: set[str] = set()
    for page in site.rglob("*.html"):
        ids.update(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))
    return ids


def every_guide_page_is_built(site: Path) -> None:
    assert sorted(p.stem for p in (DOCS / "guide").glob("*.md")) == sorted(GUIDE_PAGES)
    for name in (*GUIDE_PAGES, ""):
        page = site / "guide" / name / "index.html" if name else site / "index.html"
        assert page.is_file(), f"{page} was not built"
        source = DOCS / "guide" / f"{name}.md" if name else DOCS / "index.md"
        title = source.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ").strip()
        html = page.read_text(encoding="utf-8")
        assert re.search(r"<h1[^>]*>" + re.escape(title), html), f"{page}: no <h1> {title!r}"


def the_api_reference_documents_flow_definition(site: Path) -> None:
    page = (site / "api" / "flow_definition" / "index.html").read_text(encoding="utf-8")
    assert 'id="constructs_a2i.flow_definition.FlowDefinition"' in page
    assert 'id="constructs_a2i.flow_definition.FlowDefinition.grant_read_results"' in page
    # The __init__ docstring's Sphinx fields became a parameter list.
    assert "task_availability_lifetime" in page
    assert ":param" not in page
    assert ":class:`" not in page


def every_public_name_has_its_entry(site: Path) -> None:
    """Each name of ``constructs_a2i.__all__``, in its defining module, and every module of
    ``core`` and ``templates``, and the fake's names."""
    import constructs_a2i
    import constructs_a2i.templates
    import constructs_a2i.testing

    ids = anchors(site)
    expected = {
        f"{module}.{name}" for module, names in constructs_a2i._EXPORTS.items() for name in names
    }
    assert set(constructs_a2i.__all__) == {e.rsplit(".", 1)[1] for e in expected}
    for package in ("core", "templates"):
        expected |= {
            f"constructs_a2i.{package}.{path.stem}"
            for path in (ROOT / "constructs_a2i" / package).glob("*.py")
            if not path.stem.startswith("_")
        }
    expected |= {f"constructs_a2i.testing.{name}" for name in constructs_a2i.testing.__all__}
    assert sorted(expected - ids) == []


def the_site_needs_nothing_from_the_internet(site: Path) -> None:
    """No web fonts, scripts or stylesheets from elsewhere; every image is in the site."""
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?:)?//', html)
        assert not external, f"{page} loads from the internet"
        for src in re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html):
            assert (page.parent / src).resolve().is_file(), f"{page}: missing image {src}"
    assert (site / "preview.png").is_file()


@needs_mkdocs
def test_a_broken_link_fails_the_strict_build(tmp_path: Path) -> None:
    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "guide" / "security.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + "\nSee [the missing page](no-such-page.md),"
        + " [a missing section](flow-definitions.md#no-such-section)"
        + " and [a missing object][constructs_a2i.flow_definition.NoSuchThing].\n",
        encoding="utf-8",
    )
    built = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    output = built.stdout + built.stderr
    assert built.returncode != 0, output
    assert "no-such-page.md" in output
    assert "no-such-section" in output
    assert "constructs_a2i.flow_definition.NoSuchThing" in output


def sphinx_markup() -> ModuleType:
    """docs/_griffe/sphinx_markup.py, the build's griffe extension."""
    spec = importlib.util.spec_from_file_location(
        "sphinx_markup", DOCS / "_griffe/sphinx_markup.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(importlib.util.find_spec("griffe") is None, reason="griffe is not installed")
def test_sphinx_markup_becomes_markdown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import griffe

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""See :class:`Thing`, :meth:`~pkg.Thing.run`, :class:`decimal.Decimal` and\n'
        ":func:`missing`, but not ``:class:`Thing```. For example::\n\n"
        "    Thing().run()\n\n"
        'The end.\n"""\n\n\n'
        "class Thing:\n"
        '    """A thing."""\n\n'
        "    def run(self, x: int) -> None:\n"
        '        """Run.\n\n        :param x: how far.\n\n        Runs once.\n        """\n',
        encoding="utf-8",
    )
    extension = sphinx_markup().SphinxMarkup()
    with caplog.at_level(logging.WARNING):
        loaded = griffe.load(
            "pkg", search_paths=[tmp_path], extensions=griffe.load_extensions(extension)
        )
    text = loaded.docstring.value
    assert '<autoref identifier="pkg.Thing" optional><code>Thing</code></autoref>' in text
    assert '<autoref identifier="pkg.Thing.run" optional><code>run()</code></autoref>' in text
    assert "`decimal.Decimal`" in text
    assert "`missing()`" in text
    assert "``:class:`Thing```" in text
    assert "For example:\n\n```python\nThing().run()\n```\n\nThe end." in text
    assert any(":func:`missing`" in record.getMessage() for record in caplog.records)
    # reST ends a field list at an unindented paragraph; griffe would make it part of the field.
    assert loaded["Thing.run"].docstring.value == "Run.\n\nRuns once.\n\n:param x: how far."
