"""Test helpers: pydicom's test files and small DICOM variants."""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file


def dcm_file(name: str) -> str:
    """Path of a file shipped by pydicom or the pydicom-data package.

    Fails (never skips) when the file is missing: pydicom-data is a test
    dependency.
    """
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} not found: install the test extra (pydicom-data)"
    return str(path)


def read_dataset(name_or_path: str) -> pydicom.Dataset:
    path = name_or_path if Path(name_or_path).exists() else dcm_file(name_or_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def save_variant(ds: pydicom.Dataset, path: Path, **changes) -> Path:
    """Write ``ds`` with the given keyword changes (``None`` deletes)."""
    ds = ds.copy()
    for keyword, value in changes.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=False)
    return path
