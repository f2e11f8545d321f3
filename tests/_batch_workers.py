"""Stand-in workers for the executor tests: tiny, so spawned processes import them fast."""

from __future__ import annotations

import os
from typing import Any


def echo(path: str, options: Any) -> dict[str, Any]:
    """A record naming the path, the options and the process that made it."""
    return {"status": "ok", "kind": "clip", "path": path, "options": options, "pid": os.getpid()}


def crashy(path: str, options: Any) -> dict[str, Any]:
    """Dies like a segfaulting decoder on files named 'crash', else like :func:`echo`."""
    if "crash" in path:
        os._exit(3)
    return echo(path, options)
