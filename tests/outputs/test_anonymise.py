"""Every image output shows only the imaging fan: tesseract finds none of the text
burned into the screen of a clip that carries known text (issue 13, item 3).

The control test first proves tesseract reads the planted text on the raw
screen, so that "no text found" in the outputs means something.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageSequence
from typer.testing import CliRunner

from echoassess.anonymise import imaging_view
from echoassess.cli import app
from echoassess.fan import Sector, sector_mask

runner = CliRunner()
TESSERACT = shutil.which("tesseract")
needs_tesseract = pytest.mark.skipif(
    TESSERACT is None,
    reason="tesseract is not installed (apt-get install tesseract-ocr; .ci/run installs it)",
)

#: planted in big letters beside the fan, as a hospital's screen would show them
MARKERS = ("ELSEWHERE", "HOSPITAL", "DOEJOHN")


def _stamp(frames: np.ndarray) -> np.ndarray:
    """Burn the markers into every frame, outside the fan (left, top right)."""
    out = frames.copy()
    for f in out:
        cv2.putText(
            f, "ELSEWHERE", (12, 330), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (255, 255, 255), 2, cv2.LINE_AA
        )
        cv2.putText(f, "HOSPITAL", (12, 365), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(f, "DOEJOHN", (440, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (255, 255, 255), 2, cv2.LINE_AA)
    return out


def _ocr(image: Image.Image | np.ndarray, tmp: Path) -> str:
    img = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    img = img.convert("RGB")
    if img.width < 700:  # tesseract reads small text better enlarged
        img = img.resize((img.width * 2, img.height * 2), Image.LANCZOS)
    framed = Image.new("RGB", (img.width + 60, img.height + 60), (0, 0, 0))
    framed.paste(img, (30, 30))  # text at an edge is missed without a margin
    img = framed
    path = tmp / "ocr.png"
    img.save(path)
    res = subprocess.run(
        [TESSERACT, str(path), "stdout", "--psm", "11"], capture_output=True, text=True, timeout=120
    )
    return re.sub(r"[^A-Z0-9]", "", res.stdout.upper())


def _found(text: str) -> list[str]:
    return [m for m in MARKERS if m in text]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The same two clips through every image output: check --overlay, compare
    (figures, GIFs, the report's frame stepper) and batch --qc."""
    import dataclasses

    from echoassess.synthetic import generate_study

    root = tmp_path_factory.mktemp("ocr")
    pre, post = generate_study(5, rows=480, cols=640, n_frames=12)
    paths = []
    for name, clip in (("pre", pre), ("post", post)):
        stamped = dataclasses.replace(clip, frames=_stamp(clip.frames))
        paths.append(stamped.save(root / "in" / f"{name}.dcm")[0])
    raw = _stamp(pre.frames[:1])[0]
    res = runner.invoke(app, ["check", str(paths[1]), "--overlay", str(root / "overlay.png")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["compare", *map(str, paths), "--out", str(root / "cmp")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "batch",
            str(root / "in"),
            "--out",
            str(root / "batch"),
            "--qc",
            "--pair-by",
            "study-time",
            "-j",
            "1",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    return root, raw


@needs_tesseract
def test_control_tesseract_reads_the_planted_text(outputs, tmp_path):
    _, raw = outputs
    assert set(_found(_ocr(raw, tmp_path))) == set(MARKERS)


def _images(root: Path):
    """(name, PIL image) of every image output."""
    yield "check --overlay", Image.open(root / "overlay.png")
    for p in sorted((root / "cmp").glob("*.png")):
        yield f"compare {p.name}", Image.open(p)
    for p in sorted((root / "cmp").glob("*.gif")):
        with Image.open(p) as im:
            frames = [f.copy() for f in ImageSequence.Iterator(im)]
        yield f"compare {p.name} first frame", frames[0]
    page = (root / "cmp" / "report.html").read_text()
    embedded = re.findall(r'src="data:image/(?:jpeg|png);base64,([^"]+)"', page)
    assert len(embedded) > 10  # the figure and each frame of the stepper
    import io

    for k in (0, len(embedded) // 2):
        yield f"report.html image {k}", Image.open(io.BytesIO(base64.b64decode(embedded[k])))
    qc = sorted((root / "batch" / "qc" / "clips").glob("*.png"))
    assert len(qc) == 2
    for p in qc:
        yield f"batch QC {p.name}", Image.open(p)
    pair = sorted((root / "batch" / "qc" / "pairs").rglob("comparison.png"))
    assert len(pair) == 1 and (pair[0].parent / "report.html").exists()
    yield "batch QC pair comparison.png", Image.open(pair[0])


@needs_tesseract
def test_no_burned_in_text_in_any_image_output(outputs, tmp_path):
    root, _ = outputs
    seen = {}
    for name, image in _images(root):
        seen[name] = _found(_ocr(image, tmp_path))
    assert len(seen) >= 11
    assert {k: v for k, v in seen.items() if v} == {}


def test_imaging_view_blacks_out_everything_beside_the_fan():
    frame = np.zeros((120, 160, 3), np.uint8)
    fan = sector_mask((120, 160), Sector(80.0, 5.0, 100.0, -35.0, 35.0))
    frame[fan] = 90
    frame[2:8, 2:40] = 255  # text beside the fan
    frame[100:110, 140:158] = 200  # text in a lower corner
    view = imaging_view(frame[None])
    out, _ = view.apply(frame[None])
    assert view.source == "imaging fan"
    assert out.max() == 90  # nothing but the fan's pixels is left
    x0, y0, x1, y1 = view.box
    assert (x1 - x0 + 1, y1 - y0 + 1) == (out.shape[2], out.shape[1]) and x1 - x0 < 150


def test_imaging_view_keeps_jets_and_falls_back_to_the_region(tmp_path):
    from types import SimpleNamespace as NS

    frames = np.full((2, 80, 100, 3), 40, np.uint8)  # no fan: a uniform screen
    region = NS(spatial_format=1, x0=10, y0=5, x1=89, y1=69)
    clip = NS(regions=(region,), colour_flow_region=None)
    view = imaging_view(frames, clip=clip)
    assert view.source == "imaging region" and view.box == (10, 5, 89, 69)
    result = NS(settings={"colour_box_xyxy": [20, 20, 60, 60], "colour_bar_xyxy": [90, 10, 95, 50]})
    view = imaging_view(frames, result=result)
    assert view.source == "colour-flow box" and view.box == (20, 20, 60, 60)
    assert view.colour_bar.shape == (41, 6, 3)
