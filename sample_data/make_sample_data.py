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


# the world renderer's axes, kept when the README is rewritten
_WORLD_SECTION = """
## World clips: other views, colour styles and screen artefacts

The sample files above come from the original renderer (apical 4-chamber, one
colour style). A second, independent renderer draws clips whose view, jet
colour texture and screen artefacts vary, with the same kind of exact truth:

    from echoassess.synthetic import WorldParams, generate_world_clip, generate_world_study

    p = WorldParams.random(seed, view="tee_me4c", texture="coarse", artefacts="overlays")
    clip = generate_world_clip(p, rng=seed)
    clip.save("out/tee.dcm", encoding="jpeg")          # + out/tee.truth.npz
    pre, post = generate_world_study(seed, patient=7)  # same heart and settings, post with a clip

A clip's *family* is `(view, texture, artefacts)` (`family_of(params)`):

| axis | values | what it looks like |
|---|---|---|
| `view` | `a4c`, `a2c`, `a3c` | TTE apical: probe at the top, LV in the near field, mitral annulus 9-12 cm deep and tilted up to 30 deg, LA in the far field; MR flows away from the probe (blue rim, mosaic core); a4c adds RV/RA and the tricuspid valve, a3c the LVOT and aortic root with systolic outflow away from the probe |
| | `plax` | TTE parasternal long axis: RV in the near field, septum, LV to one side, aortic root and valve on the other, LA behind the root with the descending aorta below it; annulus tilted 38-62 deg; MR runs posteriorly, often hugging the posterior LA wall; systolic LVOT flow; diastolic aortic-regurgitation mosaic in about half the clips |
| | `tee_me4c`, `tee_comm`, `tee_lvot` | TEE mid-oesophageal: LA right under the apex (1-5 cm), valve at 4.6-6.6 cm, LV below; MR flows toward the probe (red/yellow, slower red rim); PISA below the valve on the LV side; diastolic inflow away (blue); pulmonary-vein flow enters the LA near the top; comm has a wider annulus (two orifices after a clip), lvot adds the LVOT/aortic root with outflow and sometimes AI |
| `texture` | `fine` | fine aliasing mosaic (cells 1-3 px) inside a slower, unaliased outer shell |
| | `coarse` | large irregular single-colour patches (4-12 px) and dark near-zero dropout streaks along the beams inside the jet |
| | `edge_aliased` | aliased right to the edge: no slow shell, the rim colour is random |
| | `variance` | velocity-variance map (turbulence adds green; the legend is 2-D), with a fine or coarse mosaic |
| `artefacts` | `clean` | white ECG cursor sweeping a green trace |
| | `cursor_colour` | the cursor is yellow, green, cyan, orange, pink or light blue |
| | `frozen_ecg` | one trace, identical on every frame, no cursor; it spans exactly the clip's time range (first frame at its left end, last at its right end) |
| | `no_ecg` | no ECG strip |
| | `overlays` | static coloured marks inside the colour box (box outline in a legend colour, depth dots, a focus marker), identical on every frame |
| | `zoom` | zoomed display: the fan's apex above the image, the colour box a large part of it |
| | `frozen_overlays` | `frozen_ecg` and `overlays` together |

Any view may be mirrored left-right (`mirrored`: anatomy and flow, not the
text, legend or ECG). Drawn independently in every clip: colour map (`vendor_a`,
`vendor_b`, `ge_like`, `philips_like`, `siemens_like`; the variance texture
uses the map's green variance version), Nyquist 40-80 cm/s, colour and B-mode
gain, noise specks, frame size (360-800 rows, landscape), 15-60 Hz, 50-110 bpm,
1-2 beats, PISA (sometimes tight, many-ringed), eccentric wall-hugging jets,
touching jets after a clip (separate origins, merging downstream), the clip
device with its shadow (no colour inside it), diastolic inflow, pulmonary-vein
flow, wall-motion flashes, DICOM view codes (`ViewCodeSequence`, TEE transducer
data) and a SeriesDescription naming the view for some clips, and no
calibration regions in about 10 % of clips (`truth.calibrated`).

The truth (`load_truth`) has every field of the original clips plus `view`,
`mirrored`, `texture`, `artefacts`, `annulus_xy` (the two hinge points; `valve_xy`
is their midpoint), `la_mask` (LA blood pool), `vc_width_cm` (each jet's vena
contracta at peak systole), `ai_masks` (aortic-regurgitation pixels, also
confounders), `overlay_mask`, `ecg_xyxy` and `calibrated`. Truth files of the
original renderer are unchanged and load with these fields at their defaults.
"""


def _readme(pre, post, written: list[Path]) -> str:
    rows = "\n".join(f"| `{p.name}` | {p.stat().st_size / 1024:.0f} KiB | `{sha256(p)}` |" for p in written)
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
    return (
        f"""# Sample data: one synthetic patient before and after MitraClip

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
        + _WORLD_SECTION
    )


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
