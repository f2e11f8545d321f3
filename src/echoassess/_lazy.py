"""Public names of a package imported on first use (PEP 562).

A package lists its lazy names and the submodules that hold them, and takes its
module-level ``__getattr__`` and ``__dir__`` from :func:`lazy_names`, so that
importing it loads none of those submodules (``echoassess --help`` and
``echoassess check`` start without the heavy ones).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, names: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` (its ``__name__``), whose public
    ``names`` map to the submodule defining each; a name, once imported, is
    kept in the package's ``namespace`` (its ``globals()``)."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
