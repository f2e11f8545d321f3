#!/usr/bin/env python
"""Make the shipped sample data: one synthetic patient, pre-clip and post-clip.

Run from the repository root (or anywhere)::

    python sample_data/make_sample_data.py            # rewrite the files and README.md
    python sample_data/make_sample_data.py --check    # compare the committed files

Everything is drawn from SEED, so the clips (and their truth) are the same on
every run; the JPEG bytes depend on the libjpeg inside OpenCV, so ``--check``
compares decoded frames and truth, not bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from echoassess.synthetic import SceneParams, generate_study

HERE = Path(__file__).resolve().parent
SEED = 20240917
ENCODING = "jpeg"
JPEG_QUALITY = 88

# Shared machine settings: 480 x 640 screen, 16 cm depth, Nyquist 62 cm/s,
# 30 frames at 30 Hz, heart rate 70 bpm (a little more than one cardiac cycle,
# with one whole systole).
_COMMON = dict(
    rows=480,
    cols=640,
    n_frames=30,
    depth_cm=16.0,
    sector_angle_deg=76.0,
    nyquist_cm_s=62.0,
    frame_rate_hz=30.0,
    heart_rate_bpm=70.0,
    start_phase=0.72,
    colour_map="vendor_a",
    heart_scale=1.0,
    anatomy_seed=20240917,
    tissue_gain=1.0,
    gain=1.0,
    noise_level=0.5,
)
PRE = SceneParams(
    **_COMMON,
    n_jets=1,
    jet_length_cm=5.0,
    jet_width_cm=2.6,
    jet_angle_deg=8.0,
    wall_hugging=False,
    jet_velocity_cm_s=500.0,
    turbulence=0.55,
    pisa=True,
    pisa_radius_cm=0.8,
    post_clip=False,
)
POST = SceneParams(
    **_COMMON,
    n_jets=2,
    jet_length_cm=2.4,
    jet_width_cm=1.2,
    jet_angle_deg=0.0,
    wall_hugging=False,
    jet_velocity_cm_s=450.0,
    turbulence=0.5,
    pisa=False,
    post_clip=True,
)
FILES = {"pre": "patient01_pre.dcm", "post": "patient01_post.dcm"}


def make():
    """The (pre, post) SyntheticClips of the sample patient."""
    return generate_study(SEED, patient=1, pre_params=PRE, post_params=POST)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(out: Path = HERE) -> list[Path]:
    pre, post = make()
    written = []
    for name, clip in (("pre", pre), ("post", post)):
        dcm, truth = clip.save(out / FILES[name], encoding=ENCODING, jpeg_quality=JPEG_QUALITY)
        written += [dcm, truth]
    (out / "README.md").write_text(_readme(pre, post, written))
    return written


def check(out: Path = HERE) -> list[str]:
    """Differences between the committed files and a fresh generation (empty = same)."""
    from echoassess import load_clip
    from echoassess.synthetic import load_truth

    problems = []
    pre, post = make()
    for name, clip in (("pre", pre), ("post", post)):
        path = out / FILES[name]
        loaded = load_clip(path)
        frames = loaded.read_frames()
        if frames.shape != clip.frames.shape:
            problems.append(f"{path.name}: frames {frames.shape} != {clip.frames.shape}")
            continue
        err = float(np.abs(frames.astype(np.int16) - clip.frames).mean())
        if err > 3.0:
            problems.append(f"{path.name}: decoded frames differ by {err:.2f} grey levels")
        if loaded.spacing_cm != clip.truth.spacing_cm:
            problems.append(f"{path.name}: spacing {loaded.spacing_cm} != {clip.truth.spacing_cm}")
        saved = load_truth(path)
        differ = int((saved.masks != clip.truth.masks).sum())
        if differ > 1e-4 * saved.masks.size:
            problems.append(f"{path.name}: {differ} truth pixels differ")
        if not np.allclose(saved.areas_cm2, clip.truth.areas_cm2, rtol=0.01, atol=0.01):
            problems.append(f"{path.name}: truth areas differ")
    readme = (out / "README.md").read_text()
    for name in (*FILES.values(), *(Path(f).stem + ".truth.npz" for f in FILES.values())):
        digest = sha256(out / name)
        if digest not in readme:
            problems.append(f"README.md does not list the SHA-256 of {name} ({digest})")
    return problems


def _readme(pre, post, written: list[Path]) -> str:
    rows = "\n".join(
        f"| `{p.name}` | {p.stat().st_size / 1024:.0f} KiB | `{sha256(p)}` |" for p in written
    )
    total = sum(p.stat().st_size for p in written) / 1024**2

    def params(clip) -> str:
        d = clip.params.to_dict()
        return ", ".join(f"{k}={d[k]!r}" for k in d if k not in _COMMON)

    def summary(clip) -> str:
        t = clip.truth
        per_jet = ", ".join(f"{a:.2f}" for a in t.max_jet_areas_cm2)
        sys = [i for i, ph in enumerate(t.phase) if ph == "systole"]
        return (
            f"max jet area **{t.max_area_cm2:.2f} cm^2** on frame {t.max_frame} "
            f"(0-based; per jet {per_jet} cm^2, {int(t.n_jets[t.max_frame])} jet(s)); "
            f"systole on frames {sys[0]}-{sys[-1]}"
        )

    common = ", ".join(f"{k}={v!r}" for k, v in _COMMON.items())
    return f"""# Sample data: one synthetic patient before and after MitraClip

**These are synthetic images, not from any patient.** They were drawn by
`echoassess.synthetic` (see its docstrings) so that their answer is known
exactly; the patient name `SYNTHETIC^PATIENT001` and ID `SYN001` are fake.

| file | size | SHA-256 |
|---|---|---|
{rows}

Total {total:.2f} MiB.

## What is in them

* `patient01_pre.dcm`: apical 4-chamber colour-Doppler clip before the clip;
  one central MR jet; {summary(pre)}.
* `patient01_post.dcm`: same study, series 2, acquired later; MitraClip
  artefact with its acoustic shadow and two smaller jets either side of it;
  {summary(post)}.

Both are DICOM Ultrasound Multi-frame Image Storage, JPEG Baseline (process 1)
with PhotometricInterpretation YBR_FULL_422 (quality {JPEG_QUALITY}, 4:2:2),
with a Sequence of Ultrasound Regions (tissue and colour-flow regions, deltas in
cm), FrameTime, CineRate and HeartRate. They pass `dciodvfy` (dicom3tools)
without errors.

Each `*.truth.npz` holds the exact answer: `jet_labels` (T, H, W) uint8 (0 =
no jet, k = jet k), packed `confounders` (coloured non-jet pixels) and a JSON
`meta` string (areas per frame in cm^2, phase per frame, max frame, valve
point, colour box, colour bar, spacing...). Read it with
`echoassess.synthetic.load_truth("sample_data/patient01_pre.dcm")`.

## How they were made

    python sample_data/make_sample_data.py

with seed `{SEED}` and `echoassess.synthetic.generate_study(seed, patient=1,
pre_params=PRE, post_params=POST)`, where both scenes share
`{common}` and

* PRE: `{params(pre)}`
* POST: `{params(post)}`

`python sample_data/make_sample_data.py --check` regenerates the clips and
compares them with these files (decoded frames, truth masks and areas, and the
SHA-256 list above); `tests/test_synthetic.py` runs the same check. The JPEG
bytes depend on the libjpeg build inside OpenCV, so byte identity is only
expected on the same platform.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        print("sample data OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    for p in write():
        print(f"{p.name}: {p.stat().st_size / 1024:.0f} KiB {sha256(p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
