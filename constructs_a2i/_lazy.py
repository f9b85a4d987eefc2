"""Lazy package exports (PEP 562): a name's module is imported when the name is first used.

The package roots list which module defines each public name; importing the root then costs
nothing, so the fake, the template checker, ``core`` and the ``a2i`` command never load
aws_cdk (and start a jsii kernel) unless they use a construct.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, Sequence[str]],
    namespace: dict[str, Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` whose public names are ``exports``
    (module name -> the names it defines); ``namespace`` is the package's ``globals()``, where
    each resolved name is cached so later look-ups skip ``__getattr__``."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(module_of)

    return __getattr__, __dir__
