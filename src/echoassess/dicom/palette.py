"""PALETTE COLOR images: the three lookup tables, read defensively, and their application.

A palette image stores one index per pixel; the Red, Green and Blue Palette
Color Lookup Tables turn it into RGB. The tables come plain or *segmented*
(PS3.3 C.7.9.2: runs of discrete values and linear ramps). A damaged file can
ask a segmented table to expand to billions of entries, or give the three
tables different lengths, so the tables are expanded here, with limits, rather
than by pydicom's ``apply_color_lut`` (which needs three equal tables and
expands without a limit); the expansion follows pydicom's arithmetic exactly
(``tests/dicom/test_palette.py`` compares the two on well-formed tables).

Examples
--------
>>> expand_segmented_lut([0, 2, 10, 20, 1, 4, 60])
[10, 20, 30, 40, 50, 60]
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CorruptPixelDataError, UnsupportedEncodingError

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = ["Palette", "read_palette", "expand_segmented_lut", "MAX_LUT_ENTRIES"]

#: The most entries a palette table may have (a 16-bit index).
MAX_LUT_ENTRIES = 65536

_CHANNELS = ("Red", "Green", "Blue")


class Palette:
    """The three tables of a palette image, scaled to uint8, and the first index they map.

    Parameters
    ----------
    luts : three (N,) uint8 ndarrays
        Red, green and blue; each may have its own length (a damaged file).
    first_index : int
        The stored pixel value mapped by each table's first entry.
    """

    def __init__(self, luts: tuple[np.ndarray, np.ndarray, np.ndarray], first_index: int) -> None:
        self.luts = luts
        self.first_index = first_index

    def apply(self, indices: np.ndarray) -> np.ndarray:
        """``(..., 3) uint8`` RGB of stored palette indices ``(...)``.

        Each table is indexed within its own length: indices beyond either end
        take the first or last entry.

        >>> lut = np.array([0, 100, 200], np.uint8)
        >>> Palette((lut, lut, lut), first_index=1).apply(np.array([0, 2, 9]))[:, 0]
        array([  0, 100, 200], dtype=uint8)
        """
        idx = indices.astype(np.int64) - self.first_index
        return np.stack([lut[np.clip(idx, 0, len(lut) - 1)] for lut in self.luts], axis=-1)


def read_palette(p: Path, header: Dataset) -> Palette:
    """The palette of a PALETTE COLOR header.

    Raises
    ------
    UnsupportedEncodingError
        A table is missing.
    CorruptPixelDataError
        A table is unreadable, empty, expands beyond :data:`MAX_LUT_ENTRIES`
        or uses indirect segments.
    """
    luts = []
    try:
        for colour in _CHANNELS:
            desc = header[f"{colour}PaletteColorLookupTableDescriptor"].value
            n_entries = int(desc[0]) or MAX_LUT_ENTRIES
            lut_bits = int(desc[2])
            lut = _read_table(p, header, colour, n_entries, lut_bits)
            luts.append((lut[:n_entries].astype(np.uint32), lut_bits))
    except KeyError as exc:
        raise UnsupportedEncodingError(
            p, f"PALETTE COLOR image without its lookup table ({exc.args[0]})"
        ) from None
    except Exception as exc:  # the segment checks' errors too: all read as a damaged table
        raise CorruptPixelDataError(p, f"unreadable palette lookup table ({type(exc).__name__})") from None
    if any(lut.size == 0 for lut, _ in luts):
        raise CorruptPixelDataError(p, "a palette lookup table is empty")
    top = max(int(lut.max()) for lut, _ in luts)
    out = []
    for lut, lut_bits in luts:
        if lut_bits > 8 and top > 255:
            # true 16-bit entries: keep the high byte, which recovers the
            # 8-bit value exactly for both x * 256 and x * 257 encodings
            lut = lut >> 8
        out.append(np.clip(lut, 0, 255).astype(np.uint8))
    first = int(header.RedPaletteColorLookupTableDescriptor[1])
    return Palette((out[0], out[1], out[2]), first)


def _read_table(p: Path, header: Dataset, colour: str, n_entries: int, lut_bits: int) -> np.ndarray:
    """One table as stored (plain or segmented), before scaling."""
    little = header.original_encoding[1]
    seg_kw = f"Segmented{colour}PaletteColorLookupTableData"
    if seg_kw in header:
        fmt = "B" if lut_bits == 8 else "H"
        raw = header[seg_kw].value
        words = struct.unpack(f"{'<' if little else '>'}{len(raw) // struct.calcsize(fmt)}{fmt}", raw)
        return np.asarray(expand_segmented_lut(words, path=p))
    raw = header[f"{colour}PaletteColorLookupTableData"].value
    dtype = np.dtype("u1") if lut_bits == 8 else np.dtype("u2")
    if lut_bits != 8:
        dtype = dtype.newbyteorder("<" if little else ">")
    lut = np.frombuffer(raw, dtype=dtype)
    if lut_bits == 8 and len(lut) == 2 * n_entries:  # 8-bit entries in 16-bit words
        lut = lut[::2] if little else lut[1::2]
    return lut


def expand_segmented_lut(
    words: Sequence[int], *, path: Path | None = None, limit: int = MAX_LUT_ENTRIES
) -> list[int]:
    """The entries of a segmented palette table (PS3.3 C.7.9.2).

    Discrete segments (opcode 0) are copied; linear segments (opcode 1) ramp
    from the previous entry, rounded as pydicom rounds them. A trailing odd
    word (padding) is ignored.

    Parameters
    ----------
    words : sequence of int
        The table's data as 8- or 16-bit words.
    path : pathlib.Path, optional
        The file, for the error messages.
    limit : int
        The most entries the table may expand to.

    Raises
    ------
    UnsupportedEncodingError
        Indirect (opcode 2) or unknown segments: a damaged file can make
        indirect segments expand without bound.
    CorruptPixelDataError
        The table expands beyond ``limit`` entries.
    ValueError
        The table starts with a linear segment (as pydicom's expansion says).
    """
    _check_segments(path, words, limit)
    lut: list[int] = []
    i = 0
    while i + 1 < len(words):
        opcode, length = words[i], words[i + 1]
        if opcode == 0:
            lut.extend(words[i + 2 : i + 2 + length])
            i += 2 + length
            continue
        if not lut:
            raise ValueError("a segmented palette table cannot start with a linear segment")
        y0, y1 = lut[-1], words[i + 2]
        if y0 == y1:
            lut.extend([y1] * length)
        else:
            step = (y1 - y0) / length
            lut.extend(int(v) for v in np.around(np.linspace(y0 + step, y1, length)))
        i += 3
    return lut


def _check_segments(path: Path | None, words: Sequence[int], limit: int) -> None:
    """Refuse, before expanding anything, a table that would expand beyond
    ``limit`` entries or that uses indirect or unknown segments."""
    i, total = 0, 0
    while i + 1 < len(words):
        opcode, length = words[i], words[i + 1]
        if opcode == 0:
            total, i = total + length, i + 2 + length
        elif opcode == 1:
            total, i = total + length, i + 3
        else:
            raise UnsupportedEncodingError(
                path,
                "segmented palette table with indirect or unknown segments",
                hint="convert the file to RGB",
            )
        if total > limit:
            raise CorruptPixelDataError(path, f"segmented palette table expands beyond {limit} entries")
