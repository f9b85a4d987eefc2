"""constructs_a2i.templates: syntax, crowd-form, filters, task.input paths, rendering."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_a2i.core.limits import TEMPLATE_MAX_LENGTH
from constructs_a2i.core.s3_uri import parse_s3_uri
from constructs_a2i.templates.analyse import input_paths
from constructs_a2i.templates.check import check_template, find_problems
from constructs_a2i.templates.environment import PREVIEW_SIGNATURE, fake_presigned_url
from constructs_a2i.templates.locate import parse_template
from constructs_a2i.templates.problems import TemplateError, TemplateProblem
from constructs_a2i.templates.render import render_template


def form(body: str) -> str:
    """``body`` inside a crowd-form, starting on line 2."""
    return f"<crowd-form>\n{body}\n</crowd-form>"


def only(problems: list[TemplateProblem]) -> TemplateProblem:
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------- syntax, with line numbers


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("<p>ok</p>\n{% if task.input.x %}\n<p>never closed</p>", 3, r"\{% if %\} is never closed"),
        ("<p>ok</p>\n\n{{ task.input.x | }}", 4, r"expected word"),
        ("{% for item in %}{% endfor %}", 2, r"expected a primitive expression"),
        ("<p>\n{% endif %}", 3, r"unexpected tag 'endif'"),
        ("{% frobnicate %}", 2, r"unexpected tag 'frobnicate'"),
        ("\n{{ task.input.a[ }}", 3, r"path segment"),
        (
            "{% for x in task.input.xs %}\n{% if x %}\n{% endfor %}",
            4,
            r"unexpected tag 'endfor': \{% if %\} on line 3 is still open",
        ),
    ],
)
def test_syntax_errors_name_the_line(body: str, line: int, message: str) -> None:
    problem = only(find_problems(form(body)))
    assert problem.line == line, problem
    assert re.search(message, problem.message), problem


def test_parse_template_raises_template_error_with_the_line() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("a\nb\n{% unless %}", name="review.html")
    assert caught.value.problems[0].line == 3
    assert str(caught.value).startswith("worker task template review.html: line 3")


def test_a_crowd_form_is_required() -> None:
    problem = only(find_problems("<p>{{ task.input.text }}</p>", {"text": "hi"}))
    assert "no <crowd-form> element" in problem.message
    assert find_problems('<CROWD-FORM id="f"></CROWD-FORM>') == []
    # A form only named in an HTML comment is no form.
    commented = "<!-- <crowd-form> comes later -->\n<p>{{ task.input.text }}</p>"
    assert "no <crowd-form> element" in only(find_problems(commented)).message


def test_size_is_limited_to_128000_characters() -> None:
    fits = form("x" * (TEMPLATE_MAX_LENGTH - len(form(""))))
    assert len(fits) == TEMPLATE_MAX_LENGTH
    assert find_problems(fits) == []
    problem = only(find_problems(fits + "x"))
    assert f"has {TEMPLATE_MAX_LENGTH + 1} characters" in problem.message
    assert "at most 128000" in problem.message
    assert only(find_problems("")).message == "the template is empty"


def test_unknown_filters_are_reported_with_their_line() -> None:
    problems = find_problems(form("{{ task.input.a | upcase }}\n{{ task.input.a | shout }}"))
    problem = only(problems)
    assert problem.line == 3
    assert "unknown filter 'shout'" in problem.message
    # python-liquid's own extras are not A2I's: `safe` would fail in A2I.
    assert "unknown filter 'safe'" in only(find_problems(form("{{ task.input.a | safe }}"))).message


def test_a2i_filters_are_known() -> None:
    body = (
        "{{ task.input.a | escape }}{{ task.input.a | escape_once }}"
        "{{ task.input.a | skip_autoescape }}{{ task.input.a | to_json }}"
        "{{ task.input.img | grant_read_access }}"
    )
    assert find_problems(form(body)) == []
    assert find_problems(form(body), {"a": "x", "img": "s3://b/k.png"}) == []


def test_include_and_render_are_rejected() -> None:
    problems = find_problems(form("{% include 'header' %}\n{% render 'footer' %}"))
    assert [(p.line, "cannot load other templates" in p.message) for p in problems] == [
        (2, True),
        (3, True),
    ]


def test_without_a_sample_only_syntax_is_checked() -> None:
    assert find_problems(form("{{ task.input.anything.at.all }}{{ whatever }}")) == []


# ---------------------------------------------------------------- task.input paths


def test_missing_input_path_names_line_and_path() -> None:
    source = form("<p>{{ task.input.text }}</p>\n<p>{{ task.input.prediction.label }}</p>")
    problem = only(find_problems(source, {"text": "hi", "prediction": {"score": 0.4}}))
    assert (problem.line, problem.column) == (3, 7)
    assert problem.path == "task.input.prediction.label"
    assert problem.message == (
        "task.input.prediction.label is not in the sample input "
        "(task.input.prediction has only score)"
    )


def test_check_template_raises_with_every_problem() -> None:
    source = form("{{ task.input.a }}\n{{ task.input.b }}\n{{ task.input.c }}")
    with pytest.raises(TemplateError) as caught:
        check_template(source, {"b": 1}, name="t.html")
    assert [p.path for p in caught.value.problems] == ["task.input.a", "task.input.c"]
    assert str(caught.value) == (
        "worker task template t.html has 2 problems:\n"
        "  - line 2:4: task.input.a is not in the sample input (task.input has only b)\n"
        "  - line 4:4: task.input.c is not in the sample input (task.input has only b)"
    )
    check_template(source, {"a": 1, "b": 2, "c": 3})


@pytest.mark.parametrize(
    "body",
    [
        "{% if task.input.flag > 1 %}x{% endif %}",
        "{% unless task.input.flag == true %}x{% endunless %}",
        "{% case task.input.flag %}{% when 1 %}x{% endcase %}",
        "{{ 'a' | append: task.input.flag }}",
        "{% assign f = task.input.flag %}{{ f }}",
        "{% for x in (1..task.input.flag) %}{{ x }}{% endfor %}",
        "{% liquid\n  echo task.input.flag\n%}",
        "{{ task.input.other | default: task.input.flag }}",
    ],
)
def test_paths_in_conditions_filters_and_tags_are_checked(body: str) -> None:
    problem = only(find_problems(form(body), {"other": 1}))
    assert problem.path == "task.input.flag", problem
    assert problem.is_error
    assert problem.line is not None and problem.line >= 2
    assert find_problems(form(body), {"other": 1, "flag": 2}) == []


def test_loop_variables_are_followed_into_every_item() -> None:
    source = form(
        "{% for pair in task.input.pairs %}\n"
        '  <crowd-input label="{{ pair.key }}" value="{{ pair.value }}"></crowd-input>\n'
        "{% endfor %}"
    )
    good = {"pairs": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]}
    assert find_problems(source, good) == []
    problem = only(find_problems(source, {"pairs": [{"key": "a", "value": 1}, {"key": "b"}]}))
    assert (problem.line, problem.path) == (3, "task.input.pairs[1].value")
    assert problem.message == (
        "task.input.pairs[1].value (pair.value) is not in the sample input "
        "(task.input.pairs[1] has only key)"
    )
    assert [(u.path, u.written) for u in input_paths(source)] == [
        ("task.input.pairs", "task.input.pairs"),
        ("task.input.pairs[*].key", "pair.key"),
        ("task.input.pairs[*].value", "pair.value"),
    ]


def test_nested_loops_and_assigned_aliases() -> None:
    source = form(
        "{% assign doc = task.input.document %}\n"
        "{% assign first_page = doc.pages | first %}{{ first_page.number }}\n"
        "{% for page in doc.pages %}{% for line in page.lines %}{{ line.text }}"
        "{{ forloop.index }}{% endfor %}{% endfor %}\n"
        "{% capture title %}{{ doc.title }}{% endcapture %}{{ title.size }}"
    )
    sample = {
        "document": {
            "title": "T",
            "pages": [{"number": 1, "lines": [{"text": "a"}]}, {"number": 2, "lines": []}],
        }
    }
    assert find_problems(source, sample) == []
    paths = {u.path for u in input_paths(source)}
    assert {
        "task.input.document",
        "task.input.document.pages[0].number",
        "task.input.document.pages[*].lines[*].text",
        "task.input.document.title",
    } <= paths
    sample["document"]["pages"][0]["lines"][0] = {"txt": "a"}  # type: ignore[index]
    problem = only(find_problems(source, sample))
    assert problem.path == "task.input.document.pages[0].lines[0].text"
    assert problem.line == 4


def test_loop_over_something_that_is_not_a_list() -> None:
    source = form("{% for item in task.input.items %}{{ item.name }}{% endfor %}")
    problem = only(find_problems(source, {"items": "a,b"}))
    assert "task.input.items, which is a string, not a list" in problem.message


@pytest.mark.parametrize(
    ("expression", "sample", "path", "why"),
    [
        ("task.input.n.x", {"n": 3}, "task.input.n.x", "task.input.n is a number"),
        ("task.input.xs[2]", {"xs": [1, 2]}, "task.input.xs[2]", "task.input.xs has only 2 items"),
        ("task.input.xs.name", {"xs": [1]}, "task.input.xs.name", "task.input.xs is a list"),
        ("task.input.o.k", {"o": {}}, "task.input.o.k", "task.input.o is empty"),
        ('task.input["a b"].c', {"a b": {"d": 1}}, 'task.input["a b"].c', "has only d"),
    ],
)
def test_shape_mismatches(expression: str, sample: dict[str, Any], path: str, why: str) -> None:
    problem = only(find_problems(form("{{ " + expression + " }}"), sample))
    assert problem.path == path
    assert why in problem.message


def test_special_properties_and_dynamic_keys_are_allowed() -> None:
    body = (
        "{{ task.input.xs.size }}{{ task.input.xs.first.a }}{{ task.input.xs.last.a }}"
        "{{ task.input.xs[-1].a }}{{ task.input.s.size }}{{ task.input.m[task.input.k] }}"
        "{{ task.input.xs[task.input.i].a }}{{ task.input.m.size }}"
    )
    sample = {"xs": [{"a": 1}, {"a": 2}], "s": "abc", "m": {"z": 1}, "k": "z", "i": 0}
    assert find_problems(form(body), sample) == []
    problems = find_problems(form(body), {**sample, "xs": [{"a": 1}, {"b": 2}]})
    assert [p.path for p in problems] == [
        "task.input.xs.last.a",
        "task.input.xs[-1].a",
        "task.input.xs[1].a",  # xs[task.input.i]: any index, so every item is checked
    ]


def test_variables_other_than_task_input_are_reported() -> None:
    problems = find_problems(form("{{ task.inputs.text }}\n{{ reviewer.name }}"), {"text": ""})
    assert [p.line for p in problems] == [2, 3]
    assert "did you mean task.input.text?" in problems[0].message
    assert "reviewer.name is not defined" in problems[1].message


def test_the_sample_must_be_an_object() -> None:
    problem = only(find_problems(form("x"), ["not", "an", "object"]))  # type: ignore[arg-type]
    assert "must be a JSON object" in problem.message


# ---------------------------------------------------------------- rendering


def test_rendering_matches_a2is_documented_filter_examples() -> None:
    # The examples of A2I's "Use Variable Filters" documentation, with the inputs passed
    # through task.input (python-liquid leaves string literals written in a template
    # unescaped; A2I escapes them).
    source = (
        "auto-escape: {{ task.input.title }}\n"
        "explicit escape: {{ task.input.title | escape }}\n"
        "explicit escape_once: {{ task.input.escaped | escape_once }}\n"
        "skip_autoescape: {{ task.input.title | skip_autoescape }}\n"
        "to_json: {{ task.input.js | to_json }}\n"
        "grant_read_access: {{ task.input.photo | grant_read_access }}"
    )
    sample = {
        "title": "Have you read 'James & the Giant Peach'?",
        "escaped": "Have you read 'James &amp; the Giant Peach'?",
        "js": {"point_number": 8, "coords": [59, 76]},
        "photo": "s3://examplebucket/myphoto.png",
    }
    lines = render_template(source, sample).splitlines()
    assert lines[:5] == [
        "auto-escape: Have you read &#39;James &amp; the Giant Peach&#39;?",
        "explicit escape: Have you read &#39;James &amp; the Giant Peach&#39;?",
        "explicit escape_once: Have you read &#39;James &amp; the Giant Peach&#39;?",
        "skip_autoescape: Have you read 'James & the Giant Peach'?",
        'to_json: {"point_number": 8, "coords": [59, 76]}',
    ]
    assert lines[5].startswith(
        "grant_read_access: https://s3.amazonaws.com/examplebucket/myphoto.png?"
    )
    assert PREVIEW_SIGNATURE in lines[5]


def test_to_json_then_escape_fits_a_double_quoted_attribute() -> None:
    html = render_template('<x categories="{{ task.input.c | to_json | escape }}">', {"c": ["a"]})
    assert html == '<x categories="[&#34;a&#34;]">'


def test_grant_read_access_uses_the_given_presigner() -> None:
    seen: list[str] = []

    def presign(uri: str) -> str:
        seen.append(uri)
        return "https://signed.example/x?sig=1&t=2"

    html = render_template(
        "{{ task.input.img | grant_read_access }}", {"img": "s3://b/k"}, presign=presign
    )
    assert seen == ["s3://b/k"]
    assert html == "https://signed.example/x?sig=1&amp;t=2"


def test_grant_read_access_needs_an_s3_uri() -> None:
    source = form("<img src='{{ task.input.img | grant_read_access }}'>")
    problem = only(find_problems(source, {"img": "https://example.com/cat.png"}))
    assert problem.line == 2
    assert "grant_read_access" in problem.message and "s3://bucket/key" in problem.message
    assert "https://example.com/cat.png" in problem.message


@pytest.mark.parametrize(
    ("uri", "url_path"),
    [
        # '#', '?' and spaces are part of an s3:// key; URL keys are percent-decoded.
        ("s3://scans/page #1?.png", "/scans/page%20%231%3F.png"),
        ("https://docs.s3.dualstack.eu-west-1.amazonaws.com/k%C3%A9.png", "/docs/k%C3%A9.png"),
        ("https://s3-fips.us-gov-west-1.amazonaws.com/docs/k.png", "/docs/k.png"),
    ],
)
def test_grant_read_access_takes_every_s3_uri_core_accepts(uri: str, url_path: str) -> None:
    html = render_template("{{ task.input.img | grant_read_access }}", {"img": uri})
    assert html.startswith(f"https://s3.amazonaws.com{url_path}?X-Amz-Algorithm=")
    source = form("<img src='{{ task.input.img | grant_read_access }}'>")
    assert find_problems(source, {"img": uri}) == []


def test_render_errors_carry_the_line() -> None:
    with pytest.raises(TemplateError) as caught:
        render_template("a\n{{ task.input.missing }}", {}, name="t.html")
    assert caught.value.problems[0].line == 2
    assert "t.html" in str(caught.value)


@pytest.mark.parametrize(
    ("uri", "bucket", "key"),
    [
        ("s3://my-bucket/a/b.png", "my-bucket", "a/b.png"),
        ("https://s3.amazonaws.com/my-bucket/a/b%20c.png", "my-bucket", "a/b c.png"),
        ("http://s3.amazonaws.com/my-bucket/k", "my-bucket", "k"),
        ("https://my-bucket.s3.eu-west-1.amazonaws.com/k.jpg", "my-bucket", "k.jpg"),
        ("https://my.bucket.s3.amazonaws.com/k.jpg", "my.bucket", "k.jpg"),
    ],
)
def test_parse_s3_uri(uri: str, bucket: str, key: str) -> None:
    # The URIs grant_read_access accepts (the checker uses core.s3_uri.parse_s3_uri).
    assert parse_s3_uri(uri) == (bucket, key)


@pytest.mark.parametrize("uri", ["s3://bucket-only", "s3:///key", "https://example.com/a/b", "x"])
def test_parse_s3_uri_rejects_other_urls(uri: str) -> None:
    with pytest.raises(ValueError, match="must be an S3 object URI") as caught:
        parse_s3_uri(uri)
    assert repr(uri) in str(caught.value)
    with pytest.raises(ValueError, match="must be an S3 object URI") as caught:
        fake_presigned_url(uri)
    assert repr(uri) in str(caught.value)


def test_fake_presigned_url_is_visibly_fake() -> None:
    url = fake_presigned_url("s3://b/dir/photo 1.png")
    assert url.startswith("https://s3.amazonaws.com/b/dir/photo%201.png?X-Amz-Algorithm=")
    assert url.endswith(f"X-Amz-Signature={PREVIEW_SIGNATURE}")


def test_template_check_does_not_import_the_cdk() -> None:
    # The CLI relies on it: checking a template needs no jsii/Node.js process.
    code = (
        "import sys\n"
        "from constructs_a2i.templates.check import check_template\n"
        "check_template('<crowd-form>{{ task.input.a }}</crowd-form>', {'a': 1})\n"
        "assert not any(name.startswith('aws_cdk') for name in sys.modules), 'aws_cdk imported'\n"
    )
    from tests.conftest import ROOT

    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---------------------------------------------------------------- a property


_keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_leaves = st.one_of(st.integers(), st.text(max_size=5), st.booleans())
_objects = st.recursive(
    st.dictionaries(_keys, _leaves, min_size=1, max_size=4),
    lambda children: st.dictionaries(_keys, children, min_size=1, max_size=3),
    max_leaves=10,
)


def _leaf_paths(value: dict[str, Any], prefix: str = "task.input") -> list[str]:
    paths: list[str] = []
    for key, item in value.items():
        path = f"{prefix}.{key}"
        paths.extend(_leaf_paths(item, path) if isinstance(item, dict) else [path])
    return paths


def _brackets(path: str) -> str:
    _task, _input, *keys = path.split(".")
    return "task.input" + "".join(f'["{key}"]' for key in keys)


@settings(max_examples=40, deadline=None)
@given(_objects, st.data())
def test_every_leaf_is_found_and_a_removed_one_is_reported(
    sample: dict[str, Any], data: st.DataObject
) -> None:
    paths = _leaf_paths(sample)
    # Bracket notation: generated keys may be Liquid keywords (`if`, `and`).
    source = form("\n".join("{{ " + _brackets(path) + " }}" for path in paths))
    assert find_problems(source, sample) == []
    victim = data.draw(st.sampled_from(paths))
    *parents, last = victim.split(".")[2:]
    node = sample
    for part in parents:
        node = node[part]
    del node[last]
    problem = find_problems(source, sample)[0]
    assert problem.path == victim
    assert problem.line == paths.index(victim) + 2
