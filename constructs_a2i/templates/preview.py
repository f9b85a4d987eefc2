"""Standalone HTML previews of worker task templates, to open in a browser.

:func:`render_preview` renders a template with a sample input (see
:func:`constructs_a2i.templates.render.render_template`) and wraps it in a page that:

* says it is a preview, which template and sample it shows, and lists every S3 object
  the template passes to ``grant_read_access`` with the fake presigned URL it got
  (nothing can be signed offline);
* shows a labelled placeholder wherever such an object would appear (the fake URL
  cannot load);
* loads AWS's Crowd HTML Elements like a real task does; where they cannot load
  (offline), replaces them with simple stand-ins that show the same fields and values
  (headers, categories, pre-filled inputs, instructions).

:func:`error_page` lists a template's problems instead, for ``a2i template preview --serve``.
Pure Python (python-liquid and the standard library).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any, Final

from constructs_a2i.templates.environment import fake_presigned_url
from constructs_a2i.templates.problems import TemplateError
from constructs_a2i.templates.render import render_template

__all__ = ["PREVIEW_READY_ATTRIBUTE", "error_page", "render_preview"]

PREVIEW_READY_ATTRIBUTE: Final = "data-a2i-preview-ready"
"""Set on ``<body>`` once the preview page has placed its placeholders and stand-ins."""

_CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #16191f; background: #fff; }
.a2i-preview-banner { background: #fef6d8; border-bottom: 2px solid #e0a800; padding: 10px 16px;
       font-size: 14px; line-height: 1.45; }
.a2i-preview-banner code { font-size: 12px; word-break: break-all; }
.a2i-preview-banner ul { margin: 4px 0 0 0; padding-left: 20px; }
.a2i-preview-problem { color: #a4000f; }
#a2i-preview-task { padding: 16px; max-width: 1100px; }
.a2i-standins crowd-form, .a2i-standins crowd-classifier, .a2i-standins crowd-image-classifier,
.a2i-standins classification-target, .a2i-standins short-instructions,
.a2i-standins full-instructions, .a2i-standins crowd-input, .a2i-standins crowd-text-area,
.a2i-standins [data-a2i-standin] { display: block; }
.a2i-standins crowd-classifier, .a2i-standins crowd-image-classifier,
.a2i-standins [data-a2i-standin] { border: 1px solid #aab7b8; border-radius: 4px;
       padding: 12px 16px; margin: 0 0 12px 0; }
.a2i-standins short-instructions, .a2i-standins full-instructions { background: #f2f8fd;
       border-left: 4px solid #0073bb; padding: 4px 12px; margin: 12px 0; }
.a2i-standin-heading { font-weight: 600; margin: 6px 0; font-size: 15px; }
.a2i-standin-field { display: block; margin: 10px 0; }
.a2i-standin-field > span { display: block; font-size: 13px; color: #545b64; margin-bottom: 3px; }
.a2i-standin-field input, .a2i-standin-field textarea { width: 100%; box-sizing: border-box;
       font: inherit; padding: 6px 8px; border: 1px solid #879596; border-radius: 2px; }
.a2i-standin-choice { display: block; margin: 4px 0; }
.a2i-standin-figure { margin: 8px 0; }
.a2i-standin-figure img { max-width: 100%; max-height: 50vh; border: 1px solid #aab7b8; }
.a2i-standin-figure figcaption { font-size: 12px; color: #545b64; word-break: break-all; }
.a2i-standin-submit { margin-top: 12px; padding: 6px 20px; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("a2i-preview-data").textContent);
  var objects = data.s3Objects;

  function placeholder(uri) {
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">' +
      '<rect width="100%" height="100%" fill="#eaeded" stroke="#879596" stroke-dasharray="8 6"/>' +
      '<text x="50%" y="45%" text-anchor="middle" font-family="sans-serif" font-size="22" ' +
      'fill="#545b64">S3 object (not loaded in the preview)</text>' +
      '<text x="50%" y="58%" text-anchor="middle" font-family="monospace" font-size="15" ' +
      'fill="#16191f">' + uri.replace(/&/g, "&amp;").replace(/</g, "&lt;") + '</text></svg>';
    return "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  }

  function placeholders() {
    document.querySelectorAll("[src]").forEach(function (el) {
      var src = el.getAttribute("src");
      objects.forEach(function (o) {
        if (src === o.url) {
          el.setAttribute("data-a2i-presigned-url", o.url);
          el.setAttribute("data-a2i-s3-uri", o.uri);
          el.setAttribute("src", placeholder(o.uri));
          if (!el.getAttribute("title")) { el.setAttribute("title", o.uri); }
        }
      });
    });
  }

  function make(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function categories(el) {
    var raw = el.getAttribute("categories") || "[]";
    try { return JSON.parse(raw); } catch (e) { /* AWS samples use ['a', 'b'] too */ }
    try { return JSON.parse(raw.replace(/'/g, '"')); } catch (e) { return [raw]; }
  }

  function figure(el) {
    var fig = make("figure", {"class": "a2i-standin-figure"});
    var uri = el.getAttribute("data-a2i-s3-uri");
    fig.appendChild(make("img", {src: el.getAttribute("src") || "",
      alt: uri ? "S3 object " + uri : "Task image"}));
    var url = el.getAttribute("data-a2i-presigned-url");
    var caption = uri ? uri + " \u2192 " + url : (el.getAttribute("src") || "");
    fig.appendChild(make("figcaption", {}, caption));
    return fig;
  }

  function heading(el, fallback) {
    var text = el.getAttribute("header") || fallback;
    return text ? make("div", {"class": "a2i-standin-heading"}, text) : null;
  }

  function prepend(el, node) { if (node) { el.insertBefore(node, el.firstChild); } }

  var counter = 0;
  function standIns() {
    document.body.classList.add("a2i-standins");
    document.querySelectorAll("crowd-classifier, crowd-image-classifier").forEach(function (el) {
      var name = el.getAttribute("name") || "answer";
      var group = make("fieldset", {"data-a2i-standin": "choices"});
      group.appendChild(make("legend", {}, el.getAttribute("header") || "Choose a category"));
      categories(el).forEach(function (c) {
        var label = typeof c === "string" ? c : (c && c.name) || String(c);
        var row = make("label", {"class": "a2i-standin-choice"});
        row.appendChild(make("input", {type: "radio", name: name, value: label}));
        row.appendChild(document.createTextNode(" " + label));
        group.appendChild(row);
      });
      if (el.hasAttribute("src")) { el.insertBefore(figure(el), el.firstChild); }
      var target = el.querySelector("classification-target");
      el.insertBefore(group, target ? target.nextSibling : null);
    });
    document.querySelectorAll("crowd-input, crowd-text-area").forEach(function (el) {
      var id = "a2i-standin-" + (++counter);
      var box = make("label", {"class": "a2i-standin-field", "for": id});
      box.appendChild(make("span", {}, el.getAttribute("label") || el.getAttribute("name") || ""));
      var input;
      if (el.tagName.toLowerCase() === "crowd-text-area") {
        input = make("textarea", {id: id, name: el.getAttribute("name") || "",
          rows: el.getAttribute("rows") || "4"});
        input.value = el.getAttribute("value") || "";
      } else {
        input = make("input", {id: id, name: el.getAttribute("name") || "",
          type: el.getAttribute("type") || "text"});
        input.value = el.getAttribute("value") || "";
      }
      if (el.hasAttribute("placeholder")) { input.placeholder = el.getAttribute("placeholder"); }
      box.appendChild(input);
      el.appendChild(box);
    });
    document.querySelectorAll("short-instructions").forEach(function (el) {
      prepend(el, heading(el, "Instructions"));
    });
    document.querySelectorAll("full-instructions").forEach(function (el) {
      prepend(el, heading(el, "Full instructions"));
    });
    document.querySelectorAll("*").forEach(function (el) {
      var tag = el.tagName.toLowerCase();
      if (tag.indexOf("crowd-") !== 0 || el.hasAttribute("data-a2i-standin") ||
          /^crowd-(form|classifier|image-classifier|input|text-area)$/.test(tag)) { return; }
      el.setAttribute("data-a2i-standin", tag);
      prepend(el, make("div", {"class": "a2i-standin-heading"},
        "<" + tag + ">" + (el.getAttribute("header") ? ": " + el.getAttribute("header") : "")));
      if (el.hasAttribute("src")) { el.appendChild(figure(el)); }
      if (tag === "crowd-entity-annotation" && el.hasAttribute("text")) {
        el.insertBefore(make("p", {"class": "a2i-standin-text"}, el.getAttribute("text")),
          el.firstChild.nextSibling);
      }
    });
    // crowd-entity-annotation has its own form and Submit button (no crowd-form around it).
    document.querySelectorAll("crowd-form, crowd-entity-annotation").forEach(function (el) {
      el.appendChild(make("button", {type: "button", disabled: "", "class": "a2i-standin-submit"},
        "Submit (disabled in the preview)"));
    });
  }

  function mode(text) {
    var span = document.getElementById("a2i-preview-mode");
    if (span) { span.textContent = text; }
  }

  document.addEventListener("DOMContentLoaded", placeholders);
  window.addEventListener("load", function () {
    placeholders();
    if (window.customElements && window.customElements.get("crowd-form")) {
      mode("Crowd HTML Elements: loaded from assets.crowd.aws.");
    } else {
      mode("Crowd HTML Elements could not be loaded (offline?): showing simple stand-ins " +
           "with the same fields and values.");
      standIns();
    }
    document.body.setAttribute("data-a2i-preview-ready", "true");
  });

  if (data.reloadUrl) {
    setInterval(function () {
      fetch(data.reloadUrl, {cache: "no-store"}).then(function (r) { return r.text(); })
        .then(function (v) { if (v !== data.version) { window.location.reload(); } })
        .catch(function () { /* server stopped */ });
    }, 1000);
  }
})();
"""


def _json_for_script(value: object) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def _page(title: str, banner: str, body: str, data: Mapping[str, Any]) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<aside class="a2i-preview-banner" aria-label="About this preview">\n{banner}\n</aside>\n'
        f'<div id="a2i-preview-task">\n{body}\n</div>\n'
        f'<script type="application/json" id="a2i-preview-data">{_json_for_script(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def render_preview(
    source: str,
    sample_input: Mapping[str, Any],
    *,
    template_name: str = "template",
    input_name: str = "the sample input",
    reload_url: str | None = None,
    version: str = "",
) -> str:
    """A standalone HTML page showing ``source`` rendered with ``sample_input``.

    ``template_name`` and ``input_name`` label the page. With ``reload_url`` the page
    polls that URL every second and reloads itself when the text it returns differs
    from ``version`` (used by ``a2i template preview --serve``). Raises
    :class:`~constructs_a2i.templates.problems.TemplateError` when the template cannot be
    rendered with the sample.
    """
    objects: dict[str, str] = {}

    def presign(uri: str) -> str:
        url = fake_presigned_url(uri)
        objects[uri] = url
        return url

    rendered = render_template(source, sample_input, presign=presign, name=template_name)
    listed = "".join(
        f"<li><code>{html.escape(uri)}</code> &rarr; "
        f'<code class="a2i-presigned-url">{html.escape(url)}</code></li>'
        for uri, url in objects.items()
    )
    s3 = (
        "<div>S3 objects read with <code>grant_read_access</code> (the preview cannot sign "
        f"URLs, so these are fake presigned URLs and the objects show as placeholders):"
        f"<ul>{listed}</ul></div>"
        if objects
        else ""
    )
    banner = (
        f"<strong>A2I worker task preview</strong>: <code>{html.escape(template_name)}</code> "
        f"rendered with <code>{html.escape(input_name)}</code>. Not a live task: answers "
        f'are not sent anywhere. <span id="a2i-preview-mode"></span>{s3}'
    )
    data = {
        "s3Objects": [{"uri": uri, "url": url} for uri, url in objects.items()],
        "reloadUrl": reload_url,
        "version": version,
    }
    return _page(f"Preview: {template_name}", banner, rendered, data)


def error_page(
    error: TemplateError,
    *,
    template_name: str = "template",
    reload_url: str | None = None,
    version: str = "",
) -> str:
    """A page listing ``error``'s problems, shown instead of the preview until they are fixed."""
    items = "".join(
        f'<li class="a2i-preview-problem">{html.escape(str(problem))}</li>'
        for problem in error.problems
    )
    banner = (
        f"<strong>A2I worker task preview</strong>: <code>{html.escape(template_name)}</code> "
        f"cannot be rendered. Fix these problems and save; the page reloads by itself."
    )
    data: dict[str, Any] = {"s3Objects": [], "reloadUrl": reload_url, "version": version}
    return _page(f"Problems: {template_name}", banner, f"<ul>{items}</ul>", data)
