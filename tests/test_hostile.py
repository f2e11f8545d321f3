"""Hostile input, item by item (issue 11): each test builds the mutant that used to
crash, hang, leak or mislead, and checks the clean outcome.

The seeded fuzz run over hundreds of mutants is tests/fuzz/test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from echoassess import (
    CorruptPixelDataError,
    EchoAssessError,
    InvalidDimensionsError,
    analyze_clip,
    load_clip,
    run_batch,
)
from echoassess.cli import app
from echoassess.errors import OutputError
from echoassess.fan import detect_sector
from echoassess.results import AcquisitionSettings, ClipResult, Diagnostics
from echoassess.synthetic import SceneParams, generate_clip

PATIENT_ID = "QZXID4471"
PATIENT_NAME = "QZXNAME^LEAKY"
runner = CliRunner()


@pytest.fixture(scope="module")
def clip96():
    return generate_clip(SceneParams(rows=96, cols=320, n_frames=4), rng=1)


def _dataset(clip, encoding="rgb"):
    ds = clip.to_dataset(encoding=encoding)
    ds.PatientID, ds.PatientName = PATIENT_ID, PATIENT_NAME
    return ds


def _save(ds, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=False)
    return path


def _no_identity(*texts: str) -> None:
    for text in texts:
        assert "QZX" not in text, text


# -- 1. tiny images: refused before any image operation ---------------------------------
def test_eight_row_clip_is_refused_cleanly(clip96, tmp_path):
    ds = _dataset(clip96)
    ds.Rows = 8
    ds.PixelData = clip96.frames[:, :8].tobytes()
    for item in ds.SequenceOfUltrasoundRegions:
        item.RegionLocationMinY0 = min(int(item.RegionLocationMinY0), 7)
        item.RegionLocationMaxY1 = min(int(item.RegionLocationMaxY1), 7)
    path = _save(ds, tmp_path / "rows8.dcm")
    clip = load_clip(path)  # loading (and `info`) still works
    assert clip.shape == (8, 320, 3)
    with pytest.raises(InvalidDimensionsError, match=r"rows8\.dcm: the image is 8 x 320 px.*too small"):
        analyze_clip(clip)
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 1
    assert "too small to analyse" in res.output and "Traceback" not in res.output


def test_sector_search_skips_arrays_smaller_than_its_morphology():
    """scipy's iterated binary_closing corrupted the heap on a 4-row array."""
    lit = np.zeros((4, 160, 3), np.uint8)
    lit[1:3, 20:140] = 200
    assert detect_sector(lit) is None


def test_colour_region_outside_the_image_is_refused(clip96, tmp_path):
    ds = _dataset(clip96)
    flow = [it for it in ds.SequenceOfUltrasoundRegions if int(it.RegionDataType) == 2][0]
    flow.RegionLocationMinY0, flow.RegionLocationMaxY1 = 200, 260  # below the 96 rows
    path = _save(ds, tmp_path / "box.dcm")
    with pytest.raises(
        InvalidDimensionsError, match="colour-flow region .* leaves 37 x 0 px inside the 320 x 96"
    ):
        analyze_clip(path)


# -- 2. absurd pixel spacing: refused for areas, never NaN/Infinity ---------------------
@pytest.mark.parametrize("delta", [1e-311, 1e-200, 1e200, 50.0, 0.0001])
def test_absurd_physical_deltas_are_refused_for_areas(clip96, tmp_path, delta):
    ds = _dataset(clip96)
    for item in ds.SequenceOfUltrasoundRegions:
        item.PhysicalDeltaX = item.PhysicalDeltaY = delta
    path = _save(ds, tmp_path / "delta.dcm")
    clip = load_clip(path)
    assert clip.spacing_cm is None
    assert "refused for areas" in clip.calibration_note
    result = analyze_clip(clip)
    assert result.max_jet_area_cm2 is None and result.jet_area_class is None
    json.dumps(result.to_dict(), allow_nan=False)
    res = runner.invoke(app, ["check", str(path), "--json"])
    assert res.exit_code == 0, res.output
    json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_plausible_spacing_still_calibrates(clip96, tmp_path):
    path = _save(_dataset(clip96), tmp_path / "fine.dcm")
    assert load_clip(path).spacing_cm is not None


def test_results_never_carry_nan_or_infinity():
    r = ClipResult(
        source="x",
        frames=0,
        frame_time_ms=float("inf"),
        pixel_spacing_cm=None,
        calibration_source=None,
        per_frame=(),
        max_frame=None,
        max_jet_area_px=0,
        max_jet_area_cm2=float("nan"),
        jets_at_max=(),
        mean_systolic_jet_area_cm2=None,
        acquisition=AcquisitionSettings(depth_cm=float("inf")),
        diagnostics=Diagnostics(sector={"apex_x": float("nan"), "apex_y": 1.0}),
    )
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["settings"]["depth_cm"] is None
    assert d["settings"]["sector"] == {"apex_x": None, "apex_y": 1.0}
    assert r.jet_area_class is None


# -- 3. lazy pydicom conversion and identity in pydicom's messages ----------------------
def _damage_vr(data: bytes, tag: tuple[int, int], vr: bytes) -> bytes:
    i = data.find(struct.pack("<HH", *tag), 132)
    assert i > 0
    return data[: i + 4] + vr + data[i + 6 :]


@pytest.mark.parametrize("vr", [b"XX", b"US", b"FD", b"AT", b"DS", b"IS", b"SQ"])
def test_damaged_patient_id_vr_is_a_clean_error_without_the_id(clip96, tmp_path, vr):
    good = _save(_dataset(clip96), tmp_path / "good.dcm").read_bytes()
    path = tmp_path / "badvr.dcm"
    path.write_bytes(_damage_vr(good, (0x0010, 0x0020), vr))
    try:
        clip = load_clip(path)
        result = analyze_clip(clip)
        _no_identity(json.dumps(result.to_dict()), json.dumps(clip.summary(), default=str))
    except EchoAssessError as err:
        assert str(err).startswith(str(path))
        _no_identity(str(err))
    res = runner.invoke(app, ["check", str(path), "--json"])
    assert res.exit_code in (0, 1)
    assert "Traceback" not in res.output and "unexpected" not in res.output
    _no_identity(res.output)


# -- 4. palettes and offset tables ---------------------------------------------------
def _palette_dataset(tmp_path: Path, green_len: int) -> Path:
    ds = _dataset(generate_clip(SceneParams(rows=96, cols=128, n_frames=2), rng=3))
    grey = ds.pixel_array[..., 0] if "PixelData" in ds else None
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.SamplesPerPixel = 1
    del ds.PlanarConfiguration
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelData = np.ascontiguousarray(grey, np.uint8).tobytes()
    for colour, n in (("Red", 256), ("Green", green_len), ("Blue", green_len)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 8])
        seg = struct.pack("<6B", 0, 1, 0, 1, n - 1, 255)  # discrete 0, then linear to 255
        setattr(ds, f"Segmented{colour}PaletteColorLookupTableData", seg)
    return _save(ds, tmp_path / "palette.dcm")


def test_segmented_palette_tables_of_different_lengths_decode(tmp_path):
    clip = load_clip(_palette_dataset(tmp_path, green_len=100))
    frame = clip.frame(0)
    assert frame.shape == (96, 128, 3) and frame.dtype == np.uint8
    assert frame[..., 1].max() == 255  # indices past green's end take its last entry


def test_bogus_extended_offset_table_is_refused_without_allocating(tmp_path):
    ds = _dataset(generate_clip(SceneParams(rows=96, cols=128, n_frames=3), rng=4), "jpeg")
    ds.ExtendedOffsetTable = np.array([0, 10**12, 2 * 10**12], "<u8").tobytes()
    ds.ExtendedOffsetTableLengths = np.full(3, 10**12, "<u8").tobytes()
    path = _save(ds, tmp_path / "eot.dcm")
    with pytest.raises(CorruptPixelDataError, match="extended offset table points outside"):
        load_clip(path)


def test_bogus_basic_offset_table_is_refused(tmp_path):
    ds = _dataset(generate_clip(SceneParams(rows=96, cols=128, n_frames=3), rng=4), "jpeg")
    from pydicom.encaps import encapsulate, generate_fragments

    frags = list(generate_fragments(ds.PixelData))[1:]
    data = bytearray(encapsulate(frags, has_bot=True))
    data[8 + 4 : 8 + 8] = struct.pack("<L", 0xFFFFFF00)  # the second frame's offset
    ds.PixelData = bytes(data)
    path = _save(ds, tmp_path / "bot.dcm")
    with pytest.raises(CorruptPixelDataError, match="basic offset table"):
        load_clip(path)


# -- 5. the CLI's one error surface ---------------------------------------------------
def test_cli_unexpected_error_is_one_line_and_debug_shows_the_traceback(clip96, tmp_path, monkeypatch):
    path = _save(_dataset(clip96), tmp_path / "ok.dcm")

    def boom(*a, **k):
        raise RuntimeError(f"secret {PATIENT_ID}")

    monkeypatch.setattr("echoassess.pipeline.analyze_clip", boom)
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines == [
        "error: unexpected RuntimeError in `check` (a bug; rerun with --debug for the traceback)"
    ]
    res = runner.invoke(app, ["--debug", "check", str(path)])
    assert isinstance(res.exception, RuntimeError)


def test_cli_input_problem_is_error_file_reason(tmp_path):
    path = tmp_path / "junk.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + os.urandom(2000))
    for cmd in ("check", "info"):
        res = runner.invoke(app, [cmd, str(path)])
        assert res.exit_code == 1
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), res.output


def test_overlay_and_masks_refuse_an_existing_folder(clip96, tmp_path):
    path = _save(_dataset(clip96), tmp_path / "ok.dcm")
    folder = tmp_path / "figs"
    folder.mkdir()
    for opt in ("--overlay", "--masks"):
        res = runner.invoke(app, ["check", str(path), opt, str(folder)])
        assert res.exit_code == 2
        assert f"{opt} is an existing folder" in res.output
    assert not (tmp_path / "figs.png").exists() and not (tmp_path / "figs.npz").exists()


def test_pairs_folder_and_missing_manifest_are_told_apart(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "manifests").mkdir()
    res = runner.invoke(
        app,
        [
            "batch",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "o"),
            "--pairs",
            str(tmp_path / "manifests"),
            "-q",
        ],
    )
    assert res.exit_code == 2 and "is a folder, not a CSV file" in res.output
    res = runner.invoke(
        app,
        [
            "batch",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "o"),
            "--pairs",
            str(tmp_path / "nope.csv"),
            "-q",
        ],
    )
    assert res.exit_code == 2 and "does not exist" in res.output


# -- 6. batch: damaged files, non-UTF-8 names, identity, output folder -----------------
@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory, clip96):
    root = tmp_path_factory.mktemp("hostile")
    inp = root / "in"
    inp.mkdir()
    good = _save(_dataset(clip96), inp / "good.dcm").read_bytes()
    (inp / "junk_after_marker.dcm").write_bytes(b"\0" * 128 + b"DICM" + os.urandom(3000))
    (inp / "badvr.dcm").write_bytes(_damage_vr(good, (0x0010, 0x0020), b"XX"))
    odd = os.fsdecode(bytes(inp) + b"/clip\xff\xfe.dcm")
    Path(odd).write_bytes(good)
    out = root / "out"
    res = runner.invoke(
        app,
        [
            "batch",
            str(inp),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
            "--log-json",
            str(root / "log.jsonl"),
        ],
    )
    return root, out, res


def test_batch_records_damaged_files_as_errors_and_keeps_going(hostile_batch):
    root, out, res = hostile_batch
    assert res.exit_code == 1, res.output
    errors = (out / "errors.csv").read_text("utf-8")
    skipped = (out / "skipped.csv").read_text("utf-8")
    assert "junk_after_marker.dcm" in errors and "junk_after_marker.dcm" not in skipped
    clips = (out / "clips.csv").read_text("utf-8")
    assert "clip\\xff\\xfe.dcm,ok" in clips  # the non-UTF-8 name, escaped, analysed


def test_batch_quiet_is_quiet_and_no_identity_anywhere(hostile_batch):
    root, out, res = hostile_batch
    assert res.output == ""  # --quiet: no bar, no summary, no warnings, no tracebacks
    texts = [res.output, (root / "log.jsonl").read_text("utf-8")]
    for p in out.rglob("*"):
        if p.is_file() and p.suffix in (".csv", ".json", ".parquet", ".jsonl"):
            texts.append(p.read_bytes().decode("utf-8", "replace"))
    _no_identity(*texts)


def test_batch_output_that_cannot_be_written_is_one_error(tmp_path, clip96, monkeypatch):
    inp = tmp_path / "in"
    inp.mkdir()
    _save(_dataset(clip96), inp / "a.dcm")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write the batch output"):
        run_batch([inp], blocker / "out", workers=1)
    res = runner.invoke(app, ["batch", str(inp), "--out", str(blocker / "out"), "-q"])
    assert res.exit_code == 2 and res.output.startswith("error: ") and "Traceback" not in res.output

    import errno

    from echoassess import store

    def full(path, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(store, "atomic_path", full)
    with pytest.raises(OutputError, match="No space left on device"):
        run_batch([inp], tmp_path / "out2", workers=1)
