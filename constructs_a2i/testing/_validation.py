"""Server-side checks of a request against botocore's service model.

botocore validates parameters on the client only for types, required members and
minimums. The real services (AWS "Coral" front ends) also check maximum lengths,
ranges, patterns and enums, and answer with a ``ValidationException`` such as::

    1 validation error detected: Value 'UPPER' at 'flowDefinitionName' failed to
    satisfy constraint: Member must satisfy regular expression pattern:
    ^[a-z0-9](-*[a-z0-9])*$

This module does the same, generically, by walking an operation's input shape. The
model's patterns are Java regular expressions matched against the whole value
(``String.matches``); :func:`compile_pattern` translates them to Python's ``re``.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

__all__ = ["compile_pattern", "validation_errors", "validation_message"]

# Longest value text quoted in a message; the services quote the whole value, but a
# 3 MiB InputContent in an exception message helps no one.
_MAX_QUOTED = 256

# Java's "." does not match any line terminator; Python's only skips "\n".
_JAVA_DOT = r"[^\n\r\u0085\u2028\u2029]"
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}|[*+?]")
_POSIX_CLASSES = {
    "Alnum": "a-zA-Z0-9",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Lower": "a-z",
    "Upper": "A-Z",
    "Punct": "!-/:-@\\[-`{-~",
    "Space": " \\t\\n\\x0b\\f\\r",
    "XDigit": "0-9a-fA-F",
    "ASCII": "\\x00-\\x7f",
}


@functools.cache
def _unicode_category_ranges() -> dict[str, str]:
    """For each Unicode category ("L", "Lu", ...), a ``re`` character-class body."""
    runs: dict[str, list[list[int]]] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        for key in (category, category[0]):
            ranges = runs.setdefault(key, [])
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])

    def body(ranges: list[list[int]]) -> str:
        return "".join(
            f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}"
            for start, end in ranges
        )

    return {key: body(ranges) for key, ranges in runs.items()}


def _property_class(name: str) -> str:
    """The class body for Java's ``\\p{name}``."""
    if name in _POSIX_CLASSES:
        return _POSIX_CLASSES[name]
    key = name[2:] if name.startswith("Is") else name
    ranges = _unicode_category_ranges().get(key)
    if ranges is None:
        raise ValueError(f"unsupported Java character property \\p{{{name}}}")
    return ranges


def _translate(pattern: str) -> str:
    """Java regular expression → Python ``re`` pattern with the same meaning."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                body = _property_class(pattern[i + 3 : end])
                negated = nxt == "P"
                if in_class and not negated:
                    out.append(body)
                elif in_class:
                    raise ValueError(f"unsupported negated property in a class: {pattern}")
                else:
                    out.append(f"[{'^' if negated else ''}{body}]")
                i = end + 1
                continue
            pair = _SURROGATE_PAIR.match(pattern, i)
            if pair:
                # Java reads an escaped UTF-16 surrogate pair as one supplementary character.
                high, low = int(pair.group(1), 16), int(pair.group(2), 16)
                code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                out.append(f"\\U{code:08x}")
                i = pair.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]" and out[-1] not in ("[", "[^"):
                in_class = False
                out.append(char)
            elif char == "[":
                # Java allows nested classes as a union; none of these models use it
                # beyond a literal "[" inside a class.
                out.append("\\[")
            elif char in "&~|-" and pattern[i + 1 : i + 2] == char:
                # Doubled set operators warn in Python; in these models they are literals.
                out.append(f"\\{char}")
            else:
                out.append(char)
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                continue
            out.append("[")
        elif char == ".":
            out.append(_JAVA_DOT)
        elif char in "^$":
            out.append(char)
            # Java accepts (and ignores) a quantifier on an anchor, e.g. "(...)${1,128}".
            quantifier = _QUANTIFIER.match(pattern, i + 1)
            if quantifier:
                i = quantifier.end()
                continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a service-model (Java) pattern; use it with ``fullmatch``."""
    # Java's \d, \w, \s (and \D, \W, \S) are ASCII-only by default, as with re.ASCII;
    # the \p{...} classes are spelt out as explicit ranges, which re.ASCII leaves alone.
    return re.compile(_translate(pattern), re.ASCII)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _quote(value: Any) -> str:
    if value is None:
        return "null"
    text = _java_text(value)
    if len(text) > _MAX_QUOTED:
        text = text[:_MAX_QUOTED] + "..."
    return f"'{text}'"


def _java_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _error(value: Any, path: str, constraint: str) -> str:
    return f"Value {_quote(value)} at '{path}' failed to satisfy constraint: {constraint}"


def _length_errors(value: Any, size: int, shape: Shape, path: str) -> Iterator[str]:
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    if minimum is not None and size < minimum:
        yield _error(value, path, f"Member must have length greater than or equal to {minimum}")
    if maximum is not None and size > maximum:
        yield _error(value, path, f"Member must have length less than or equal to {maximum}")


def _check(shape: Shape, value: Any, path: str) -> Iterator[str]:
    if value is None:
        return
    type_name = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                member_path = f"{path}.{_camel(name)}" if path else _camel(name)
                yield _error(None, member_path, "Member must not be null")
        for name, member in shape.members.items():
            if name in value:
                member_path = f"{path}.{_camel(name)}" if path else _camel(name)
                yield from _check(member, value[name], member_path)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            return
        yield from _length_errors(value, len(value), shape, path)
        for index, item in enumerate(value, start=1):
            yield from _check(shape.member, item, f"{path}.{index}.member")
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return
        yield from _length_errors(value, len(value), shape, path)
        for key, item in value.items():
            key_errors = list(_check(shape.key, key, path))
            if key_errors:
                yield _error(
                    value, path, f"Map keys must satisfy constraint: [{'; '.join(key_errors)}]"
                )
            yield from _check(shape.value, item, f"{path}.{key}")
    elif type_name == "string":
        if not isinstance(value, str):
            return
        yield from _length_errors(value, len(value), shape, path)
        pattern = shape.metadata.get("pattern")
        if pattern is not None and compile_pattern(pattern).fullmatch(value) is None:
            yield _error(
                value,
                path,
                f"Member must satisfy regular expression pattern: {pattern}",
            )
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            yield _error(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
    elif type_name in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        minimum = shape.metadata.get("min")
        maximum = shape.metadata.get("max")
        if minimum is not None and value < minimum:
            yield _error(value, path, f"Member must have value greater than or equal to {minimum}")
        if maximum is not None and value > maximum:
            yield _error(value, path, f"Member must have value less than or equal to {maximum}")
    elif type_name == "blob" and isinstance(value, bytes | str):
        yield from _length_errors("(binary)", len(value), shape, path)


def validation_errors(shape: Shape, params: Any, path: str = "") -> list[str]:
    """Every constraint of ``shape`` (and its nested shapes) that ``params`` breaks.

    Member paths use the services' notation: lower camel case, dots between
    levels and ``name.N.member`` (1-based) for list items, e.g.
    ``humanLoopConfig.taskKeywords.2.member``.
    """
    return list(_check(shape, params, path))


def validation_message(errors: list[str]) -> str:
    """The services' ``ValidationException`` message for ``errors`` (not empty)."""
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)
