"""DICOM Structured Reports (TID 1500): content, validity, read-back, CLI and batch."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from typer.testing import CliRunner

from echoassess import InvalidParameterError, analyze_clip, load_clip, run_batch
from echoassess.cli import app
from echoassess.dicom.sr import build_clip_sr, read_clip_sr, sr_uids, write_clip_sr
from echoassess.measure import jet_outline
from echoassess.synthetic import SceneParams, generate_clip

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
POST = SAMPLE / "patient01_post.dcm"


def dciodvfy_errors(path: Path) -> tuple[list[str], str]:
    """The ``Error`` lines of dciodvfy's report of ``path`` (skips the test without dciodvfy)."""
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed")
    out = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=120)
    report = out.stdout + out.stderr
    return [line for line in report.splitlines() if line.startswith("Error")], report


def polygon_area(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))


@pytest.fixture(scope="module")
def post():
    clip = load_clip(POST)
    return clip, analyze_clip(clip)


@pytest.fixture(scope="module")
def post_sr(post, tmp_path_factory):
    clip, result = post
    return write_clip_sr(result, clip, tmp_path_factory.mktemp("sr") / "post_sr.dcm")


# -- outlines ---------------------------------------------------------------------------
def test_jet_outline_follows_pixel_edges():
    m = np.zeros((20, 30), bool)
    m[4:9, 10:17] = True
    xy = jet_outline(m)
    assert (xy[0] == xy[-1]).all()  # closed
    assert xy.min(axis=0).tolist() == [10.0, 4.0] and xy.max(axis=0).tolist() == [17.0, 9.0]
    assert polygon_area(xy) == pytest.approx(m.sum())


def test_jet_outline_of_a_disk_and_an_edge_jet_keeps_the_area():
    from skimage.draw import disk

    m = np.zeros((120, 100), bool)
    m[disk((60, 50), 25)] = True
    xy = jet_outline(m)
    assert polygon_area(xy) == pytest.approx(m.sum(), rel=0.01)
    assert len(xy) < 200  # simplified, not one vertex per edge pixel
    edge = np.zeros((10, 12), bool)
    edge[0:3, :] = True  # touches three borders
    e = jet_outline(edge)
    assert polygon_area(e) == pytest.approx(36.0)
    assert e.min() >= 0 and e[:, 0].max() <= 12 and e[:, 1].max() <= 10
    assert jet_outline(np.zeros((5, 5), bool)).shape == (0, 2)


# -- the SR of the sample post-clip clip --------------------------------------------------
def test_sr_reads_back_to_the_result(post, post_sr):
    clip, result = post
    got = read_clip_sr(post_sr)
    assert got["status"] == "measured"
    assert got["n_jets"] == result.n_jets_at_max == 2
    assert got["frame_number"] == result.max_frame + 1  # DICOM frames count from 1
    assert got["max_jet_area_cm2"] == pytest.approx(result.max_jet_area_cm2, abs=1e-9)
    assert got["jet_areas_cm2"] == pytest.approx([j.area_cm2 for j in result.jets_at_max], abs=1e-9)
    assert sum(got["jet_areas_cm2"]) == pytest.approx(got["max_jet_area_cm2"], abs=1e-9)
    assert got["nyquist_cm_s"] == 62.0 and got["depth_cm"] == 16.0
    assert got["frame_rate_hz"] == pytest.approx(30.0, abs=0.01)
    assert got["frame_time_ms"] == pytest.approx(result.per_frame[result.max_frame].time_ms, abs=1e-3)
    assert got["algorithm"] == result.algorithm_version
    assert any("not an MR grade" in c for c in got["comments"])
    assert got["source_sop_instance_uid"] == clip.metadata.sop_instance_uid


def test_highdicom_reads_the_tid1500_groups_back(post, post_sr):
    import highdicom as hd
    from pydicom.sr.codedict import codes

    _, result = post
    doc = hd.sr.srread(post_sr)
    rois = doc.content.get_planar_roi_measurement_groups()
    assert len(rois) == result.n_jets_at_max
    for group, jet in zip(rois, result.jets_at_max):
        assert group.roi.graphic_type == hd.sr.GraphicTypeValues.POLYLINE
        (area,) = group.get_measurements(name=codes.LN.JetArea)
        assert area.value == pytest.approx(jet.area_cm2, abs=1e-9)
        assert area.unit.value == "cm2"
    (clip_group,) = doc.content.get_image_measurement_groups()
    (total,) = clip_group.get_measurements(name=codes.LN.JetArea)
    assert total.value == pytest.approx(result.max_jet_area_cm2, abs=1e-9)
    assert len({g.tracking_uid for g in rois} | {clip_group.tracking_uid}) == len(rois) + 1


def test_sr_outlines_are_the_jets_on_the_max_frame(post, post_sr):
    _, result = post
    got = read_clip_sr(post_sr)
    labels = result.jet_labels_at_max
    assert len(got["jet_outlines"]) == 2
    spacing = result.pixel_spacing_cm
    for xy, jet in zip(got["jet_outlines"], result.jets_at_max):
        assert (xy[0] == xy[-1]).all()
        assert xy[:, 0].max() <= labels.shape[1] and xy[:, 1].max() <= labels.shape[0]
        # the polygon encloses the jet's pixels: same area, around its centroid
        assert polygon_area(xy) == pytest.approx(jet.area_px, rel=0.03)
        assert polygon_area(xy) * spacing[0] * spacing[1] == pytest.approx(jet.area_cm2, rel=0.03)
        cx, cy = jet.centroid_xy
        assert xy[:, 0].min() < cx + 0.5 < xy[:, 0].max() and xy[:, 1].min() < cy + 0.5 < xy[:, 1].max()
    ds = pydicom.dcmread(post_sr)
    frames = [
        int(ref.ReferencedFrameNumber)
        for item in _walk(ds.ContentSequence)
        if item.ValueType == "SCOORD"
        for child in item.ContentSequence
        for ref in child.ReferencedSOPSequence
    ]
    assert frames == [result.max_frame + 1] * 2


def _walk(items):
    for item in items:
        yield item
        yield from _walk(item.get("ContentSequence", []))


def test_sr_is_in_the_source_study_with_its_patient_and_a_new_series(post, post_sr):
    clip, result = post
    src = pydicom.dcmread(POST, stop_before_pixels=True)
    ds = pydicom.dcmread(post_sr)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    assert ds.Modality == "SR"
    for keyword in (
        "StudyInstanceUID",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyDate",
        "AccessionNumber",
    ):
        assert ds[keyword].value == src[keyword].value, keyword
    assert ds.SeriesInstanceUID != src.SeriesInstanceUID
    assert ds.SOPInstanceUID not in (src.SOPInstanceUID, src.SeriesInstanceUID)
    ref = ds.CurrentRequestedProcedureEvidenceSequence[0]
    assert ref.StudyInstanceUID == src.StudyInstanceUID
    assert (
        ref.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        == src.SOPInstanceUID
    )
    # the software that measured it is the observer device
    names = {str(i.ConceptNameCodeSequence[0].CodeMeaning): i for i in ds.ContentSequence}
    assert names["Observer Type"].ConceptCodeSequence[0].CodeValue == "121007"  # Device
    assert names["Device Observer Name"].TextValue == "echoassess"
    assert names["Device Observer Model Name"].TextValue == result.algorithm_version
    # the same analysis gives the same UIDs: a second store replaces the first
    assert ds.SOPInstanceUID == sr_uids(src.SOPInstanceUID, src.StudyInstanceUID, result)["sop_instance_uid"]


def test_sr_codes_are_the_clinical_ones(post_sr):
    ds = pydicom.dcmread(post_sr)
    assert ds.ConceptNameCodeSequence[0].CodeValue == "126000"  # Imaging Measurement Report
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    codes = set()
    for item in _walk(ds.ContentSequence):
        found = [*item.get("ConceptNameCodeSequence", []), *item.get("ConceptCodeSequence", [])]
        for value in item.get("MeasuredValueSequence", []):
            found += value.MeasurementUnitsCodeSequence
        codes |= {(str(c.get("CodeValue")), str(c.CodingSchemeDesignator)) for c in found}
    assert {
        ("59123-0", "LN"),
        ("cm2", "UCUM"),
        ("91134007", "SCT"),
        ("397417004", "SCT"),
        ("125220", "DCM"),
        ("260674002", "SCT"),
        ("59130-5", "LN"),
    } <= codes


def test_sr_passes_dciodvfy(post_sr):
    errors, report = dciodvfy_errors(post_sr)
    assert not errors, report
    assert "ComprehensiveSR" in report


# -- clips without a jet -----------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    scene = generate_clip(SceneParams(rows=240, cols=320, n_frames=12), rng=2)
    path = scene.save(tmp_path_factory.mktemp("small") / "small.dcm", encoding="jpeg")[0]
    return path, analyze_clip(path)


@pytest.fixture(scope="module")
def small2(tmp_path_factory):
    scene = generate_clip(SceneParams(rows=240, cols=320, n_frames=12, n_jets=2), rng=3)
    return scene.save(tmp_path_factory.mktemp("small2") / "post.dcm", encoding="jpeg")[0]


@pytest.mark.parametrize("status", ["no_jet", "cannot_measure"])
def test_unmeasured_clips_give_a_valid_sr_saying_so(small, status, tmp_path):
    path, result = small
    unmeasured = dataclasses.replace(
        result,
        status=status,
        status_reason="test reason: valve not found",
        jets_at_max=(),
        max_jet_area_px=0,
        max_jet_area_cm2=0.0 if status == "no_jet" else None,
        max_frame=result.max_frame if status == "no_jet" else None,
    )
    out = write_clip_sr(unmeasured, load_clip(path), tmp_path / f"{status}.dcm")
    got = read_clip_sr(out)
    assert got["status"] == status
    assert got["jet_outlines"] == [] and got["jet_areas_cm2"] == []
    if status == "cannot_measure":
        assert got["max_jet_area_cm2"] is None and got["n_jets"] is None
    else:
        assert got["max_jet_area_cm2"] == 0.0 and got["n_jets"] == 0
    assert any("test reason" in c for c in got["comments"])
    errors, report = dciodvfy_errors(out)
    assert not errors, report


def test_uncalibrated_clip_gets_outlines_but_no_area(small, tmp_path):
    path, result = small
    assert result.jets_at_max
    bare = dataclasses.replace(
        result,
        pixel_spacing_cm=None,
        max_jet_area_cm2=None,
        jets_at_max=tuple(dataclasses.replace(j, area_cm2=None) for j in result.jets_at_max),
    )
    out = write_clip_sr(bare, load_clip(path), tmp_path / "bare.dcm")
    got = read_clip_sr(out)
    assert len(got["jet_outlines"]) == len(result.jets_at_max)
    assert got["jet_areas_cm2"] == [] and got["max_jet_area_cm2"] is None
    assert got["n_jets"] == len(result.jets_at_max)
    assert any("uncalibrated" in c for c in got["comments"])
    errors, report = dciodvfy_errors(out)
    assert not errors, report


def test_sr_errors_name_the_problem(small, tmp_path):
    path, result = small
    header = load_clip(path).read_header(include_patient_identity=True)
    del header.SOPInstanceUID
    with pytest.raises(InvalidParameterError, match="no SOPInstanceUID"):
        build_clip_sr(result, header)
    no_labels = dataclasses.replace(result, jet_labels_at_max=None)
    if result.jets_at_max:
        with pytest.raises(InvalidParameterError, match="no jet labels"):
            build_clip_sr(no_labels, load_clip(path))
    with pytest.raises(InvalidParameterError, match="existing folder"):
        write_clip_sr(result, load_clip(path), tmp_path)


# -- command line and batch ----------------------------------------------------------------
def test_check_sr_writes_the_report(small, tmp_path):
    path, result = small
    out = tmp_path / "sub" / "clip_sr.dcm"
    res = runner.invoke(app, ["check", str(path), "--sr", str(out)])
    assert res.exit_code == 0, res.output
    assert f"structured report -> {out}" in res.output
    got = read_clip_sr(out)
    assert got["n_jets"] == result.n_jets_at_max
    assert got["max_jet_area_cm2"] == pytest.approx(result.max_jet_area_cm2, abs=1e-9)
    res = runner.invoke(app, ["check", str(path), "--sr", str(tmp_path)])
    assert res.exit_code == 2 and "--sr is an existing folder" in res.output


def test_compare_sr_writes_one_sr_per_clip(small, small2, tmp_path):
    path, _ = small
    other = small2
    res = runner.invoke(
        app, ["compare", str(path), str(other), "--out", str(tmp_path / "o"), "--no-animate", "--sr"]
    )
    assert res.exit_code == 0, res.output
    pre, post = (read_clip_sr(tmp_path / "o" / f"{r}_sr.dcm") for r in ("pre", "post"))
    cmp = pd.read_csv(tmp_path / "o" / "comparison.csv")
    assert pre["max_jet_area_cm2"] == pytest.approx(float(cmp["pre_max_jet_area"].iloc[0]), abs=0.01)
    assert post["max_jet_area_cm2"] == pytest.approx(float(cmp["post_max_jet_area"].iloc[0]), abs=0.01)
    assert pre["source_sop_instance_uid"] != post["source_sop_instance_uid"]


def test_batch_sr_one_per_clip_matching_clips_csv_and_resumed(small, small2, tmp_path):
    path, _ = small
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(path, data / "a.dcm")
    shutil.copy(small2, data / "b.dcm")
    out = tmp_path / "out"
    first = run_batch([data], out, workers=1, sr=True, salt="s")
    assert first.n_ok == 2 and len(first.srs) == 2
    clips = pd.read_csv(out / "clips.csv")
    srs = pd.read_csv(out / "srs.csv")
    for _, row in srs.iterrows():
        got = read_clip_sr(out / row["sr_file"])
        clip = clips[clips["file"] == row["file"]].iloc[0]
        assert got["max_jet_area_cm2"] == pytest.approx(clip["max_jet_area_cm2"], abs=0.01)
        assert got["n_jets"] == clip["n_jets"]
        assert got["sop_instance_uid"] == row["sr_sop_instance_uid"]
        assert got["source_sop_instance_uid"] == row["sop_instance_uid"] == clip["sop_instance_uid"]
    # a rerun reuses everything; a deleted SR is made again
    again = run_batch([data], out, workers=1, sr=True, salt="s")
    assert again.n_reused == 2 and again.n_analysed == 0
    (out / srs["sr_file"].iloc[0]).unlink()
    third = run_batch([data], out, workers=1, sr=True, salt="s")
    assert third.n_analysed == 1 and (out / srs["sr_file"].iloc[0]).is_file()
    # without --sr there is no srs.csv, and no patient identity in any table
    run_batch([data], out, workers=1, salt="s")
    assert not (out / "srs.csv").exists()
    for table in ("clips.csv", "errors.csv", "skipped.csv"):
        text = (out / table).read_text()
        assert "SYNTHETIC^PATIENT" not in text and "SYN001" not in text
