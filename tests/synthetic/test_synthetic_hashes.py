"""The synthetic generators must not change a pixel: the frames, truth, colour
table, study and DICOM attributes of clips from both generators (every view,
texture and artefact set, pre and post, both encodings, the sample data and a
small cohort) hash to the values recorded in ``tests/golden/synthetic_hashes.json``.

The JPEG codestreams and the zipped truth files depend on the OpenCV (libjpeg)
and zlib builds, so their hashes are recorded with those versions and compared
only when the versions match; everything else is compared everywhere (the
decoded arrays are hashed before encoding).

The rendered pixels (and so the JPEG bytes) also depend on the CPU: NumPy's
and OpenCV's vectorised float code (sin, exp, blurs) differs in the last bit
between AVX-512 and AVX2 machines, and a few pixels round the other way. Those
hashes (:data:`CPU_DEPENDENT`) are lists, one value per kind of CPU seen; the
truth, colour table, study and DICOM attributes are the same everywhere.

Each clip's per-frame channel means are recorded too: on a CPU whose pixel
hashes are not recorded, the pixels pass when those means match (a few pixels
rounded the other way barely move them; a moved jet does), and the JPEG bytes
are then not compared.

Regenerate the hashes only for a deliberate change of the generators::

    python tests/synthetic/test_synthetic_hashes.py --update

(the clips that did not change keep every CPU's pixel hashes; ``--write``
starts afresh with this CPU's alone)

and, on a new kind of CPU, after checking that only the pixel hashes differ
(every other hash still matches), add its pixel hashes::

    python tests/synthetic/test_synthetic_hashes.py --add-cpu
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "synthetic_hashes.json"

#: (name, SceneParams.random seed or None for fixed params, keywords, clip rng)
SCENE_CASES: list[tuple[str, int | None, dict[str, Any], int]] = [
    ("scene_fixed_small", None, dict(rows=120, cols=160, n_frames=4), 1),
    ("scene_random_pre", 3, dict(rows=240, cols=320), 3),
    ("scene_random_post", 4, dict(rows=240, cols=320, post_clip=True), 4),
    (
        "scene_vendor_b_hug",
        5,
        dict(rows=300, cols=400, colour_map="vendor_b", wall_hugging=True, jet_angle_deg=40.0),
        5,
    ),
    ("scene_post_four_jets", 6, dict(rows=240, cols=320, post_clip=True, n_jets=4, pisa=True), 6),
    ("scene_no_jet_no_pv", 7, dict(rows=240, cols=320, n_jets=0, pulmonary_vein_flow=False), 7),
    ("scene_default_size", 8, dict(n_frames=6), 8),
]

#: (name, WorldParams.random seed, keywords, clip rng)
WORLD_CASES: list[tuple[str, int, dict[str, Any], int]] = [
    ("world_a4c_fine_clean", 11, dict(view="a4c", texture="fine", artefacts="clean"), 11),
    ("world_a2c_coarse_cursor", 12, dict(view="a2c", texture="coarse", artefacts="cursor_colour"), 12),
    ("world_a3c_edge_frozen", 13, dict(view="a3c", texture="edge_aliased", artefacts="frozen_ecg"), 13),
    ("world_plax_variance_noecg", 14, dict(view="plax", texture="variance", artefacts="no_ecg"), 14),
    ("world_me4c_fine_overlays", 15, dict(view="tee_me4c", texture="fine", artefacts="overlays"), 15),
    ("world_comm_coarse_zoom", 16, dict(view="tee_comm", texture="coarse", artefacts="zoom"), 16),
    (
        "world_lvot_variance_frozen_overlays",
        17,
        dict(view="tee_lvot", texture="variance", artefacts="frozen_overlays"),
        17,
    ),
    ("world_post_plax_touching_zoom", 16, dict(post_clip=True), 16),
    ("world_post_me4c_uncalibrated", 28, dict(post_clip=True), 28),
    ("world_post_lvot_touching_uncal", 39, dict(post_clip=True), 39),
    ("world_lvot_ai", 45, dict(), 45),
    ("world_post_a3c_touching_ai", 120, dict(post_clip=True), 120),
    ("world_post_comm_three_jets", 132, dict(post_clip=True), 132),
    ("world_random_size", 21, dict(n_frames=8, rows=None, cols=None), 21),
]

SMALL = dict(rows=240, cols=320)

#: hashes of rendered pixels, one per kind of CPU: (portable keys, build keys)
CPU_DEPENDENT = (("frames", "dicom_rgb"), ("jpeg",))


# -- hashing -----------------------------------------------------------------
def _h(*parts: Any) -> str:
    """A short SHA-256 of arrays (dtype, shape and bytes), strings and ``None``."""
    sha = hashlib.sha256()
    for part in parts:
        if part is None:
            sha.update(b"<none>")
        elif isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            sha.update(f"{a.dtype.str}{a.shape}".encode())
            sha.update(a.tobytes())
        elif isinstance(part, bytes):
            sha.update(part)
        else:
            sha.update(str(part).encode())
        sha.update(b"|")
    return sha.hexdigest()[:20]


def _dataset_lines(ds: Any, prefix: str = "") -> list[str]:
    """Every element as ``tag VR value`` (sequences item by item), no pixel data."""
    lines = []
    for elem in ds:
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                lines += _dataset_lines(item, f"{prefix}{elem.tag}[{i}].")
        elif elem.keyword != "PixelData":
            lines.append(f"{prefix}{elem.tag} {elem.VR} {elem.value!r}")
    return lines


def _header(ds: Any, *, skip: tuple[str, ...] = ()) -> str:
    """The DICOM attributes (file meta, preamble and data set) without the version."""
    from echoassess._version import __version__

    lines = _dataset_lines(ds.file_meta) + [repr(ds.preamble)]
    lines += [line for line in _dataset_lines(ds) if not any(f"{k}" in line for k in skip)]
    return _h("\n".join(lines).replace(__version__, "<version>"))


def clip_hashes(clip: Any, tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(portable hashes, build-dependent hashes) of one SyntheticClip."""
    t = clip.truth
    rgb = clip.to_dataset(encoding="rgb")
    jpeg = clip.to_dataset(encoding="jpeg", jpeg_quality=85)
    portable = {
        "frames": _h(clip.frames),
        "frame_means": frame_means(clip.frames),
        "lut": _h(clip.lut),
        "truth_arrays": _h(
            t.jet_labels,
            t.confounder_masks,
            t.phase,
            t.la_mask,
            t.ai_masks,
            t.overlay_mask,
            t.vc_width_cm_frames,
            t.areas_cm2,
            t.jet_areas_cm2,
            t.n_components,
        ),
        "truth_meta": _h(json.dumps(t.to_dict(), sort_keys=True)),
        "params": _h(repr(clip.params)),
        "study": _h(repr(clip.study)),
        "dicom_rgb": _header(rgb) + ":" + _h(bytes(rgb.PixelData)),
        # the compression ratio follows the JPEG bytes' length
        "dicom_jpeg": _header(jpeg, skip=("(0028,2112)",)),
    }
    truth_file = t.save(tmp / "truth.npz")
    build = {
        "jpeg": _h(bytes(jpeg.PixelData), str(jpeg.LossyImageCompressionRatio)),
        "truth_npz": _h(truth_file.read_bytes()),
    }
    return portable, build


def frame_means(frames: np.ndarray) -> list[list[float]]:
    """Each frame's mean per channel (4 decimals): a fingerprint of the pixels
    that a few pixels rounded the other way (another CPU) barely move, but a
    moved or re-coloured region (hundreds of pixels) does."""
    f = np.asarray(frames, float)
    return np.round(f.reshape(f.shape[0], -1, f.shape[-1]).mean(axis=1), 4).tolist()


#: how far a frame's channel mean may move on a CPU whose pixel hashes are not
#: recorded (a few pixels by one grey level move it by ~1e-5)
MEANS_TOL = 2e-3


def pixels_match(got: str, want: list[str], means: list[list[float]], want_means: list[list[float]]) -> bool:
    """The pixels are those recorded: their hash is one of the recorded CPUs', or
    (a CPU not recorded, whose vectorised float code rounds a few pixels the
    other way) every frame's channel means match to :data:`MEANS_TOL`."""
    if got in want:
        return True
    return np.shape(means) == np.shape(want_means) and bool(
        np.allclose(means, want_means, rtol=0, atol=MEANS_TOL)
    )


def build_versions() -> dict[str, str]:
    import cv2

    return {"cv2": cv2.__version__, "zlib": zlib.ZLIB_RUNTIME_VERSION}


# -- the clips ---------------------------------------------------------------
def _scene_params(seed: int | None, kw: dict[str, Any]) -> Any:
    from echoassess.synthetic import SceneParams

    if seed is None:
        return SceneParams(**kw)
    kw = dict(kw)
    post = kw.pop("post_clip", False)
    return SceneParams.random(seed, post_clip=post, **kw)


def _scene_clip(seed: int | None, kw: dict[str, Any], rng: int) -> Any:
    from echoassess.synthetic import generate_clip

    return generate_clip(_scene_params(seed, kw), rng=rng)


def _world_clip(seed: int, kw: dict[str, Any], rng: int) -> Any:
    from echoassess.synthetic import WorldParams, generate_world_clip

    kw = {**SMALL, **kw}
    kw = {k: v for k, v in kw.items() if v is not None}
    return generate_world_clip(WorldParams.random(seed, **kw), rng=rng)


def _sample_clips() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "sample_data"))
    try:
        import make_sample_data
    finally:
        sys.path.pop(0)
    pre, post = make_sample_data.make()
    return {"sample_pre": pre, "sample_post": post}


def _study_clips() -> dict[str, Any]:
    from echoassess.synthetic import generate_study, generate_world_study

    pre, post = generate_study(5, patient=3, **SMALL)
    wpre, wpost = generate_world_study(9, patient=12, **SMALL, n_frames=10)
    wtee, wtee_post = generate_world_study(10, patient=13, view="tee_me4c", texture="coarse", **SMALL)
    return {
        "study_pre": pre,
        "study_post": post,
        "world_study_pre": wpre,
        "world_study_post": wpost,
        "world_study_tee_pre": wtee,
        "world_study_tee_post": wtee_post,
    }


def all_clips() -> dict[str, Any]:
    """Every hashed clip by name (built lazily by :func:`clip_named`)."""
    out: dict[str, Any] = {}
    for name, seed, kw, rng in SCENE_CASES:
        out[name] = (_scene_clip, seed, kw, rng)
    for name, wseed, kw, rng in WORLD_CASES:
        out[name] = (_world_clip, wseed, kw, rng)
    return out


GROUPS = {"sample": _sample_clips, "study": _study_clips}
NAMES = (
    [c[0] for c in SCENE_CASES]
    + [c[0] for c in WORLD_CASES]
    + ["sample_pre", "sample_post"]
    + [
        "study_pre",
        "study_post",
        "world_study_pre",
        "world_study_post",
        "world_study_tee_pre",
        "world_study_tee_post",
    ]
)
_GROUP_CACHE: dict[str, dict[str, Any]] = {}


def clip_named(name: str) -> Any:
    single = all_clips()
    if name in single:
        fn, *args = single[name]
        return fn(*args)
    group = "sample" if name.startswith("sample_") else "study"
    if group not in _GROUP_CACHE:
        _GROUP_CACHE[group] = GROUPS[group]()
    return _GROUP_CACHE[group][name]


def cohort_hash(tmp: Path) -> str:
    from echoassess.synthetic import load_truth, make_cohort

    manifest = make_cohort(tmp / "cohort", 2, seed=4, encoding="rgb", **SMALL)
    truths = [load_truth(p) for p in sorted((tmp / "cohort").glob("*/*.dcm"))]
    return _h(manifest.read_text(), *[t.jet_labels for t in truths], *[t.confounder_masks for t in truths])


def compute_all(tmp: Path) -> dict[str, Any]:
    portable, build = {}, {}
    for name in NAMES:
        portable[name], build[name] = clip_hashes(clip_named(name), tmp)
        for k in CPU_DEPENDENT[0]:
            portable[name][k] = [portable[name][k]]
        for k in CPU_DEPENDENT[1]:
            build[name][k] = [build[name][k]]
    portable["cohort_manifest"] = {"cohort": cohort_hash(tmp)}
    return {"portable": portable, "build": {"versions": build_versions(), "hashes": build}}


def add_cpu(old: dict[str, Any], new: dict[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """``old`` with this CPU's pixel hashes (from ``new``) added, when nothing
    else differs; raises otherwise (that is a change of the generators).

    Not ``strict`` (after a deliberate change of the generators): a clip that
    changed takes ``new``'s hashes alone; the others keep every CPU's."""

    def rest(h: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        return {k: v for k, v in h.items() if k not in (*keys, "frame_means")}

    out = json.loads(json.dumps(old))
    same_build = old["build"]["versions"] == new["build"]["versions"]
    for name, h in new["portable"].items():
        o = old["portable"].get(name)
        if name == "cohort_manifest":
            assert h == o or not strict, "the cohort changed: regenerate with --write"
            out["portable"][name] = h
            continue
        same = (
            o is not None
            and rest(h, CPU_DEPENDENT[0]) == rest(o, CPU_DEPENDENT[0])
            and np.allclose(h["frame_means"], o.get("frame_means", h["frame_means"]), rtol=0, atol=MEANS_TOL)
        )
        assert same or not strict, name
        if not same:
            out["portable"][name] = h
            out["build"]["hashes"][name] = new["build"]["hashes"][name]
            continue
        out["portable"][name].setdefault("frame_means", h["frame_means"])
        for k in CPU_DEPENDENT[0]:
            out["portable"][name][k] = sorted(set(o[k]) | set(h[k]))
        if same_build:
            b, ob = new["build"]["hashes"][name], old["build"]["hashes"][name]
            assert rest(b, CPU_DEPENDENT[1]) == rest(ob, CPU_DEPENDENT[1]), name
            for k in CPU_DEPENDENT[1]:
                out["build"]["hashes"][name][k] = sorted(set(ob[k]) | set(b[k]))
    return out


# -- tests -------------------------------------------------------------------
@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", NAMES)
def test_clip_is_bit_identical(golden, name, tmp_path):
    portable, build = clip_hashes(clip_named(name), tmp_path)
    want = golden["portable"][name]
    means, want_means = portable.pop("frame_means"), want["frame_means"]
    assert np.allclose(means, want_means, rtol=0, atol=MEANS_TOL), "frame means"
    known_cpu = all(portable[k] in want[k] for k in CPU_DEPENDENT[0])
    for k in CPU_DEPENDENT[0]:  # the pixels: one of the CPUs' values, or the same means
        got = portable.pop(k)
        if k == "dicom_rgb":  # the header is portable; its pixel data are the frames
            assert got.split(":")[0] in {w.split(":")[0] for w in want[k]}, "dicom_rgb header"
        assert pixels_match(got, want[k], means, want_means), k
    assert portable == {k: v for k, v in want.items() if k not in (*CPU_DEPENDENT[0], "frame_means")}
    if build_versions() == golden["build"]["versions"]:
        want_b = golden["build"]["hashes"][name]
        for k in CPU_DEPENDENT[1]:  # the JPEG bytes follow the pixels
            got = build.pop(k)
            assert got in want_b[k] or not known_cpu, k
        assert build == {k: v for k, v in want_b.items() if k not in CPU_DEPENDENT[1]}


def test_cohort_is_identical(golden, tmp_path):
    assert cohort_hash(tmp_path) == golden["portable"]["cohort_manifest"]["cohort"]


def test_the_cases_cover_the_generators():
    """Every view, texture and artefact set, both colour maps of the apical
    generator, and the rarer world options (touching jets, no calibration,
    aortic regurgitation, mirroring, zoom, several jets) are hashed."""
    from echoassess.synthetic import ARTEFACT_SETS, TEXTURES, VIEWS, WorldParams

    worlds = []
    for _, seed, kw, _ in WORLD_CASES:
        kw = {k: v for k, v in {**SMALL, **kw}.items() if v is not None}
        worlds.append(WorldParams.random(seed, **kw))
    assert {p.view for p in worlds} == set(VIEWS)
    assert {p.texture for p in worlds} == set(TEXTURES)
    assert {p.artefacts for p in worlds} == set(ARTEFACT_SETS)
    assert any(p.touching for p in worlds)
    assert any(not p.calibrated for p in worlds)
    assert any(p.ai_jet for p in worlds)
    assert any(p.mirrored for p in worlds) and not all(p.mirrored for p in worlds)
    assert any(p.n_jets >= 3 for p in worlds)
    assert any(p.dicom_view_code for p in worlds) and not all(p.dicom_view_code for p in worlds)
    assert {p.bar_side for p in worlds} == {"left", "right"}
    scenes = [_scene_params(seed, kw) for _, seed, kw, _ in SCENE_CASES]
    assert {p.colour_map for p in scenes} == {"vendor_a", "vendor_b"}
    assert any(p.post_clip for p in scenes) and any(p.n_jets == 0 for p in scenes)


def test_world_cases_draw_jets():
    """Most hashed world clips show a regurgitant jet on some frame (so the jet
    renderer's output is in the hashes, not only the B-mode)."""
    shown = [bool(clip_named(name).truth.masks.any()) for name, *_ in WORLD_CASES[:7]]
    assert sum(shown) >= 5


if __name__ == "__main__":
    if {"--write", "--add-cpu", "--update"} & set(sys.argv):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            data = compute_all(Path(tmp))
        if "--add-cpu" in sys.argv or "--update" in sys.argv:
            data = add_cpu(json.loads(GOLDEN.read_text()), data, strict="--add-cpu" in sys.argv)
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN} ({len(data['portable'])} entries)")
