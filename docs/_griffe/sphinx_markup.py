"""A griffe extension: the package's Sphinx (reST) docstring markup, rewritten as Markdown.

mkdocstrings' ``sphinx`` docstring style reads the ``:param x:`` fields; everything else is
rendered as Markdown, where a role such as ``:class:`TaskPrice``` would show its role name and
backticks, and a ``::`` literal block its two colons. Before mkdocstrings parses the
docstrings of the package, this extension rewrites, outside code:

* a role (``:class:``, ``:meth:``, ``:func:``, ``:mod:``, ``:attr:``, ``:data:``, ``:exc:``,
  ``:obj:``) whose target is an object of the package: a cross-reference to it (optional, so
  an object that the reference does not show, such as a private helper, stays plain code);
* a role whose target comes from another package (``iam.Grant``, ``aws_cdk.Duration``): code;
* a role whose target names nothing: a warning, which fails ``mkdocs build --strict``;
* ``text::``, ``text ::`` and a lone ``::`` before an indented block: ``text:``, ``text`` and
  nothing, and the block a fenced code block (JSON when it parses as JSON, a console session
  when it starts with ``$``, Python otherwise).

* a paragraph after the ``:param x:`` fields (not indented, so not part of the last field in
  reST; griffe's parser would add it to the last field): moved before the fields.

``~target`` shows the last name only; ``:func:`` and ``:meth:`` targets get ``()``, as Sphinx
writes them; ``title <target>`` shows the title. Loaded by ``mkdocs.yml``
(``plugins.mkdocstrings.handlers.python.options.extensions``).
"""

from __future__ import annotations

import html
import importlib.util
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from griffe import Extension, Module, Object

LOG = logging.getLogger("mkdocs.plugins.sphinx_markup")

ROLES = ("class", "meth", "func", "mod", "attr", "data", "exc", "obj")
ROLE = re.compile(r"(?<![\w`]):(?P<role>" + "|".join(ROLES) + r"):`(?P<text>[^`]+)`")
TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
FENCE = re.compile(r"^\s*(```|~~~)")
FIELD = re.compile(
    r"^:(param|parameter|arg|argument|key|keyword|type|raises?|except|exception"
    r"|var|ivar|cvar|vartype|returns?|rtype|yields?)\b"
)
ROLE_OR_CODE = re.compile(ROLE.pattern + r"|``.+?``|`[^`]+`")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _language(code: str) -> str:
    try:
        json.loads(code)
    except ValueError:
        pass
    else:
        return "json"
    if code.lstrip().startswith("$ "):
        return "console"
    return "python"


def literal_blocks(text: str) -> str:
    """Rewrite reST ``::`` literal blocks as fenced code blocks."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        stripped = line.rstrip()
        if in_fence or not stripped.endswith("::"):
            out.append(line)
            i += 1
            continue
        base = _indent(line)
        start = i + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start >= len(lines) or _indent(lines[start]) <= base:
            out.append(line)
            i += 1
            continue
        end = start
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
            end += 1
        while not lines[end - 1].strip():
            end -= 1
        block = lines[start:end]
        depth = min(_indent(b) for b in block if b.strip())
        code = "\n".join(b[depth:] for b in block)
        head = stripped[:-2]
        if head.strip():
            out.append(head.rstrip() if head[-1] in " \t" else head + ":")
            out.append("")
        pad = " " * base
        out.append(f"{pad}```{_language(code)}")
        out.extend(f"{pad}{b[depth:]}" if b.strip() else "" for b in block)
        out.append(f"{pad}```")
        if end < len(lines) and lines[end].strip():
            out.append("")
        i = end
    return "\n".join(out)


def paragraphs_after_fields(text: str) -> str:
    """Move the paragraphs that follow a docstring's field list to before it."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if FIELD.match(line)), None)
    if first is None:
        return text
    end = next(
        (
            i
            for i in range(first + 1, len(lines))
            if lines[i].strip()
            and not lines[i][0].isspace()
            and not FIELD.match(lines[i])
            and not lines[i - 1].strip()
        ),
        None,
    )
    if end is None or any(FIELD.match(line) for line in lines[end:]):
        return text
    parts = ("\n".join(lines[:first]), "\n".join(lines[end:]), "\n".join(lines[first:end]))
    return "\n\n".join(part.strip("\n") for part in parts if part.strip())


class SphinxMarkup(Extension):
    """Rewrites the reST markup of every docstring of the loaded package (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self._by_name: dict[str, list[str]] = defaultdict(list)

    def on_package(self, *, pkg: Module, **kwargs: Any) -> None:
        self._by_name.clear()
        objects = list(_walk(pkg))
        for obj in objects:
            self._by_name[obj.name].append(obj.path)
        for obj in objects:
            if obj.docstring is not None:
                obj.docstring.value = self.rewrite(obj, obj.docstring.value, pkg)

    def rewrite(self, obj: Object, text: str, pkg: Module) -> str:
        """``text``, the docstring of ``obj``, with its literal blocks and roles rewritten."""
        out = []
        in_fence = False
        for line in paragraphs_after_fields(literal_blocks(text)).split("\n"):
            if FENCE.match(line):
                in_fence = not in_fence
            out.append(line if in_fence else self._roles(obj, line, pkg))
        return "\n".join(out)

    def _roles(self, obj: Object, line: str, pkg: Module) -> str:
        # Roles only outside inline code: a code span that starts first is kept as it is.
        def replace(match: re.Match[str]) -> str:
            return self._role(obj, match, pkg) if match["role"] else match.group(0)

        return ROLE_OR_CODE.sub(replace, line)

    def _role(self, obj: Object, match: re.Match[str], pkg: Module) -> str:
        role, text = match["role"], match["text"].strip()
        titled = TITLED.match(text)
        title, target = (titled["title"], titled["target"]) if titled else (None, text)
        short = target.startswith("~")
        target = target.lstrip("~.!")
        if title is None:
            title = target.rsplit(".", 1)[-1] if short else target
            if role in ("func", "meth") and not title.endswith(")"):
                title += "()"
        code = f"<code>{html.escape(title)}</code>"
        path = self._resolve(obj, target, pkg)
        if path is None:
            LOG.warning(
                "%s: the docstring of %s names %s, which is nothing in %s or what it imports",
                obj.relative_filepath if obj.filepath else obj.path,
                obj.path,
                match.group(0),
                pkg.name,
            )
            return f"`{title}`"
        if not (path == pkg.path or path.startswith(pkg.path + ".")):
            return f"`{title}`"  # another package's object: code, no link
        return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

    def _resolve(self, obj: Object, target: str, pkg: Module) -> str | None:
        """The canonical path ``target`` names in the scope of ``obj``, or None."""
        if target == pkg.path or target.startswith(pkg.path + "."):
            return _lookup(pkg, target)
        first, _, rest = target.partition(".")
        for scope in _scopes(obj):
            try:
                found = scope.resolve(first)
            except Exception:
                continue
            path = f"{found}.{rest}" if rest else found
            if path == pkg.path or path.startswith(pkg.path + "."):
                return _lookup(pkg, path)
            return path  # imported from another package
        if rest and importlib.util.find_spec(first) is not None:
            return target  # a fully qualified name in another package: decimal.Decimal
        candidates = self._by_name.get(first, [])
        if len(candidates) > 1:
            same_module = [c for c in candidates if c.startswith(obj.module.path + ".")]
            candidates = same_module or candidates
        if len(candidates) == 1:
            return _lookup(pkg, f"{candidates[0]}.{rest}" if rest else candidates[0])
        return None


def _scopes(obj: Object) -> Iterator[Object]:
    """``obj``, then (for a member of a class) the classes it inherits from."""
    yield obj
    cls = obj if obj.is_class else obj.parent
    if cls is not None and cls.is_class:
        try:
            yield from cls.mro()  # type: ignore[attr-defined]
        except Exception:
            return


def _lookup(pkg: Module, path: str) -> str | None:
    """The canonical path of the object at ``path`` in ``pkg`` (following imports), or None."""
    if path == pkg.path:
        return path
    current: Any = pkg
    for part in path[len(pkg.path) + 1 :].split("."):
        try:
            current = current.all_members[part] if current.is_class else current.members[part]
            if current.is_alias:
                current = current.final_target
        except Exception:
            return None
    return str(current.path)


def _walk(obj: Object) -> Iterator[Object]:
    """``obj`` and every object defined in it (not the names it imports)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]
