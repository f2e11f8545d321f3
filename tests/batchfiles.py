"""Test helpers for the batch: a folder mixing good clips and every kind of bad file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from echoassess.batch import TIMING_COLUMNS
from echoassess.synthetic import SceneParams, generate_clip, make_cohort
from echoassess.synthetic.clip import StudyInfo

#: Small clips: quick to write and analyse, big enough for the analysis to find jets.
SMALL = dict(rows=240, cols=320, n_frames=16)
#: Fake identities written into the files; none may appear in any output.
IDENTITY_STRINGS = ("SYNTHETIC^", "SYN00", "SYN09", "SYNACC", "PATIENT00", "PATIENT09")


def small_cohort(folder: Path, n_patients: int = 3, *, seed: int = 5, **overrides) -> Path:
    """make_cohort with small RGB clips; returns the manifest."""
    return make_cohort(folder, n_patients, seed=seed, encoding="rgb", **{**SMALL, **overrides})


def _study(patient: int, series: int) -> StudyInfo:
    g = np.random.default_rng([patient, series])
    return StudyInfo(
        patient_name=f"SYNTHETIC^PATIENT{patient:03d}",
        patient_id=f"SYN{patient:03d}",
        accession_number=f"SYNACC{patient:03d}",
        study_instance_uid=StudyInfo.random_uid(g),
        series_instance_uid=StudyInfo.random_uid(g),
        sop_instance_uid=StudyInfo.random_uid(g),
        series_number=series,
    )


def bmode_dataset(patient: int = 91):
    """A grey B-mode clip: no colour-flow region, no colour pixels."""
    clip = generate_clip(SceneParams(**SMALL), rng=3, study=_study(patient, 1))
    ds = clip.to_dataset(encoding="rgb")
    grey = clip.frames.mean(axis=-1, keepdims=True).astype(np.uint8).repeat(3, axis=-1)
    ds.PixelData = np.ascontiguousarray(grey).tobytes()
    ds.SequenceOfUltrasoundRegions = [r for r in ds.SequenceOfUltrasoundRegions if int(r.RegionDataType) != 2]
    return ds


def sr_dataset(patient: int = 92) -> Dataset:
    """A Basic Text SR: DICOM, no pixels, modality SR."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "SR"
    ds.PatientName = f"SYNTHETIC^PATIENT{patient:03d}"
    ds.PatientID = f"SYN{patient:03d}"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.ValueType = "CONTAINER"
    return ds


def make_mixed_folder(root: Path) -> dict[str, object]:
    """A study folder with every kind of file a batch meets.

    ``root/cohort``: 3 patients x pre/post (good clips) + manifest.csv and
    truth files; ``root/bad/truncated.dcm`` (cut inside the pixel data),
    ``root/bad/notes.txt``, ``root/bad/report_sr.dcm``, ``root/bmode.dcm``;
    ``root/export/cd1/DICOMDIR`` with one good clip stored under
    ``PT000000/.../IM000000`` (no extension).
    """
    manifest = small_cohort(root / "cohort")
    bad = root / "bad"
    bad.mkdir()
    data = (root / "cohort" / "patient001" / "pre.dcm").read_bytes()
    (bad / "truncated.dcm").write_bytes(data[: len(data) * 2 // 3])
    (bad / "notes.txt").write_text("echo report draft: not an image\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sr_dataset().save_as(bad / "report_sr.dcm", enforce_file_format=True)
        bmode_dataset().save_as(root / "bmode.dcm", enforce_file_format=True)
    clip = generate_clip(SceneParams(**SMALL), rng=11, study=_study(93, 1))
    fs = FileSet()
    fs.add(clip.to_dataset(encoding="rgb"))
    (root / "export" / "cd1").mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fs.write(root / "export" / "cd1")
    dicomdir_image = next((root / "export" / "cd1").rglob("IM*"))
    return {
        "manifest": manifest,
        "dicomdir": root / "export" / "cd1" / "DICOMDIR",
        "dicomdir_image": dicomdir_image,
        "dicomdir_sop": clip.study.sop_instance_uid,
    }


def read_table(path: Path) -> pd.DataFrame:
    """A CSV output without the columns that measure the run (timing, memory)."""
    df = pd.read_csv(path)
    return df.drop(columns=[c for c in TIMING_COLUMNS if c in df.columns])


def assert_no_identity(folder: Path) -> None:
    """No fake patient name, ID or accession number in any file under ``folder``."""
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text in IDENTITY_STRINGS:
                assert text.encode() not in data, f"{text!r} found in {path}"
