"""Palette tables: our expansion of segmented tables equals pydicom's public apply_color_lut
on well-formed tables, and damaged tables are refused before anything is expanded."""

from __future__ import annotations

import struct

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.pixels import apply_color_lut
from pydicom.uid import ExplicitVRLittleEndian

from echoassess.dicom.palette import Palette, expand_segmented_lut, read_palette
from echoassess.errors import CorruptPixelDataError, UnsupportedEncodingError


def _segmented(tables: dict[str, list[int]], n_entries: int, bits: int = 8) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.set_original_encoding(False, True)
    fmt = "B" if bits == 8 else "H"
    for colour, words in tables.items():
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [n_entries, 0, bits])
        setattr(
            ds, f"Segmented{colour}PaletteColorLookupTableData", struct.pack(f"<{len(words)}{fmt}", *words)
        )
    return ds


@pytest.mark.parametrize(
    "red,green,blue",
    [
        ([0, 1, 0, 1, 255, 255], [0, 1, 255, 1, 255, 0], [0, 2, 10, 20, 1, 254, 128]),
        ([0, 4, 1, 2, 3, 4, 1, 252, 200], [0, 1, 7, 1, 255, 7], [0, 255, *range(255), 1, 1, 255]),
    ],
)
def test_expansion_equals_pydicoms_apply_color_lut(red, green, blue):
    ds = _segmented({"Red": red, "Green": green, "Blue": blue}, 256)
    indices = np.arange(256).reshape(16, 16)
    expected = apply_color_lut(indices, ds)
    ours = read_palette(None, ds).apply(indices)
    assert expected.dtype == np.uint8 and np.array_equal(ours, expected)


def test_linear_segments_round_as_pydicom_does():
    assert expand_segmented_lut([0, 1, 0, 1, 3, 10]) == [0, 3, 7, 10]
    assert expand_segmented_lut([0, 1, 5, 1, 3, 5]) == [5, 5, 5, 5]
    assert expand_segmented_lut([0, 2, 1, 2, 0]) == [1, 2]  # a trailing odd word is padding


def test_a_first_linear_segment_is_refused():
    with pytest.raises(ValueError, match="cannot start with a linear segment"):
        expand_segmented_lut([1, 4, 200])


def test_tables_that_would_expand_without_bound_are_refused():
    with pytest.raises(CorruptPixelDataError, match="expands beyond 65536 entries"):
        expand_segmented_lut([0, 1, 0, *([1, 65535, 9] * 3)])
    with pytest.raises(UnsupportedEncodingError, match="indirect"):
        expand_segmented_lut([0, 1, 0, 2, 1, 0, 0])


def test_damaged_tables_read_as_one_corrupt_pixel_error():
    ds = _segmented({"Red": [0, 1, 0, 2, 1, 0, 0], "Green": [0, 1, 0], "Blue": [0, 1, 0]}, 256)
    with pytest.raises(CorruptPixelDataError, match="unreadable palette lookup table"):
        read_palette(None, ds)
    del ds.SegmentedBluePaletteColorLookupTableData
    with pytest.raises(UnsupportedEncodingError, match="without its lookup table"):
        read_palette(None, _segmented({"Red": [0, 1, 0], "Green": [0, 1, 0]}, 256))


def test_sixteen_bit_tables_keep_the_high_byte():
    ds = _segmented({c: [0, 2, 0, 65535] for c in ("Red", "Green", "Blue")}, 2, bits=16)
    assert read_palette(None, ds).apply(np.array([0, 1]))[:, 0].tolist() == [0, 255]


def test_each_table_is_indexed_within_its_own_length():
    palette = Palette((np.arange(4, dtype=np.uint8), np.arange(2, dtype=np.uint8), np.zeros(1, np.uint8)), 0)
    assert palette.apply(np.array([3])).tolist() == [[3, 1, 0]]
