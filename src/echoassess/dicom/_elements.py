"""Element values read defensively: a damaged header gives ``None``, never an exception.

Shared by the header checks, the region parser and the metadata reader.

>>> item = {"Rows": "480", "Columns": "", "SeriesDescription": "  A4C  "}
>>> int_value(item, "Rows"), int_value(item, "Columns"), text_value(item, "SeriesDescription")
(480, None, 'A4C')
"""

from __future__ import annotations

from typing import Any

__all__ = ["int_value", "text_value"]


def int_value(item: Any, keyword: str) -> int | None:
    """``int`` of an element's value, or ``None`` when it is absent, empty or not a number."""
    value = item.get(keyword)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def text_value(item: Any, keyword: str) -> str | None:
    """An element's value as stripped text, or ``None`` when it is absent or blank."""
    value = item.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None
