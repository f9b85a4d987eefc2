"""The Liquid environment that renders templates the way A2I does, with A2I's own filters.

Output is HTML-escaped unless a filter says otherwise; an undefined variable is an error when
it is output, looped over or compared, and false when only tested (``{% if task.input.hint
%}``); the python-liquid extras Shopify Liquid (and so A2I) lacks are removed, and A2I's
filters are added: ``grant_read_access``, ``to_json`` and ``skip_autoescape`` (python-liquid's
``escape`` and ``escape_once`` already behave as A2I documents). ``grant_read_access``
cannot sign anything offline: by default it returns a visibly fake presigned URL
(:func:`fake_presigned_url`).

Objects and lists are output as JSON, the way A2I outputs them: AWS's own templates write
``initial-value="{{ task.input.selectedAiServiceResponse.blocks }}"`` and
``keys="{{ task.input.humanLoopContext.importantFormKeys }}"`` without a filter, and
``crowd-textract-analyze-document`` reads those attributes as JSON
(https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-crowd-textract-detection.html).
python-liquid would print a Python ``repr`` of an object (``{'blockType': ..., 'x': True}``)
and join a list's items with nothing between them (``Pay DateName``). Booleans and null
inside them are JSON's ``true``/``false``/``null``; a top-level ``true``/``false`` prints as
Liquid prints it (the same words) and a top-level null as nothing, as Liquid does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Final, TextIO
from urllib.parse import quote

from liquid import Environment, FalsyStrictUndefined, Markup
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.exceptions import FilterArgumentError
from liquid.stringify import to_liquid_string

from constructs_a2i.core.s3_uri import parse_s3_uri

if TYPE_CHECKING:
    from liquid.context import RenderContext

__all__ = [
    "A2I_FILTERS",
    "PREVIEW_SIGNATURE",
    "a2i_environment",
    "fake_presigned_url",
    "output_string",
]

A2I_FILTERS: Final = ("escape", "escape_once", "grant_read_access", "skip_autoescape", "to_json")
"""The filters A2I documents on top of the standard Liquid filters."""

PREVIEW_SIGNATURE: Final = "A2I-PREVIEW-NOT-SIGNED"
"""Marks the fake presigned URLs :func:`fake_presigned_url` makes (``X-Amz-Signature``)."""

# python-liquid extras that are not part of Shopify Liquid, so A2I would not know them.
_NOT_IN_A2I: Final = ("safe", "escapejs")


def fake_presigned_url(s3_uri: str) -> str:
    """A URL shaped like the presigned URL ``grant_read_access`` makes, but not signed.

    Used in previews and checks, where nothing can be signed: it names the object and
    carries ``X-Amz-Signature=A2I-PREVIEW-NOT-SIGNED`` so nobody mistakes it for a
    working link. ``s3_uri`` is anything :func:`constructs_a2i.core.s3_uri.parse_s3_uri`
    accepts; otherwise raises :class:`~constructs_a2i.core.errors.A2IValidationError`
    (a ``ValueError``) naming the value.
    """
    bucket, key = parse_s3_uri(s3_uri, "the URI")
    return (
        f"https://s3.amazonaws.com/{quote(bucket)}/{quote(key)}"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A2I-PREVIEW"
        f"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={PREVIEW_SIGNATURE}"
    )


def _json_text(value: object) -> str:
    """``value`` as compact JSON, as JavaScript's ``JSON.stringify`` writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def output_string(value: object, *, autoescape: bool) -> str:
    """``value`` as A2I outputs it: objects and lists as JSON, the rest as Liquid does.

    HTML-escaped when ``autoescape`` is on, unless ``value`` is already markup.
    """
    if isinstance(value, (Mapping, list, tuple)) and not hasattr(value, "__html__"):
        text = _json_text(value)
        return str(Markup.escape(text)) if autoescape else text
    return to_liquid_string(value, autoescape)


class _A2IOutputNode(OutputNode):
    """``{{ ... }}``, output with :func:`output_string`."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        value = self.expression.evaluate(context)
        return buffer.write(output_string(value, autoescape=context.autoescape))

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        value = await self.expression.evaluate_async(context)
        return buffer.write(output_string(value, autoescape=context.autoescape))


class _A2IEchoNode(EchoNode):
    """``{% echo ... %}`` (and ``echo`` in ``{% liquid %}``), output as ``{{ ... }}`` is."""

    __slots__ = ()

    render_to_output = _A2IOutputNode.render_to_output
    render_to_output_async = _A2IOutputNode.render_to_output_async


class _A2IOutput(Output):
    node_class = _A2IOutputNode


class _A2IEcho(EchoTag):
    node_class = _A2IEchoNode


def _to_json(value: object) -> Markup:
    """A2I's ``to_json``: the value as JSON, output as is (not HTML-escaped again)."""
    try:
        return Markup(json.dumps(value, ensure_ascii=False))
    except TypeError as err:
        raise FilterArgumentError(f"to_json: cannot encode {value!r} as JSON", token=None) from err


def _skip_autoescape(value: object) -> Markup:
    """A2I's ``skip_autoescape``: output the value as HTML, unescaped."""
    return Markup(output_string(value, autoescape=False))


def _grant_read_access_filter(presign: Callable[[str], str]) -> Callable[[object], str]:
    def grant_read_access(value: object) -> str:
        if not isinstance(value, str):
            raise FilterArgumentError(
                f"grant_read_access expects an S3 URI (s3://bucket/key); got {value!r}",
                token=None,
            )
        try:
            return presign(value)
        except ValueError as err:
            raise FilterArgumentError(f"grant_read_access: {err}", token=None) from err

    return grant_read_access


def _build(presign: Callable[[str], str]) -> Environment:
    # FalsyStrictUndefined: outputting, looping over or comparing an undefined variable is an
    # error, but `{% if task.input.hint %}` on a missing hint is false (an optional field).
    env = Environment(autoescape=True, undefined=FalsyStrictUndefined)
    env.add_tag(_A2IOutput)
    env.add_tag(_A2IEcho)
    for name in _NOT_IN_A2I:
        env.filters.pop(name, None)
    env.filters["to_json"] = _to_json
    env.filters["skip_autoescape"] = _skip_autoescape
    env.filters["grant_read_access"] = _grant_read_access_filter(presign)
    return env


@cache
def _default() -> Environment:
    return _build(fake_presigned_url)


def a2i_environment(presign: Callable[[str], str] | None = None) -> Environment:
    """A Liquid environment that behaves like A2I's template renderer.

    ``presign`` turns the S3 URI given to ``grant_read_access`` into a URL; without it
    (:func:`fake_presigned_url`) the same environment is returned on every call.
    """
    return _default() if presign is None else _build(presign)
