"""Tiny synthetic clips and their ClipResults, with the answer known by construction.

Used by the compare / plot / report tests so they do not depend on the
segmentation: each jet is a filled ellipse whose area is counted exactly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from echoassess.results import AcquisitionSettings, ClipResult, Diagnostics, FrameMeasurement, JetMeasurement

_UIDS = itertools.count(10000)


@dataclass
class Synthetic:
    frames: np.ndarray  # (T, H, W, 3) uint8
    result: ClipResult
    areas_cm2: np.ndarray  # (T,) true summed area per frame
    max_frame: int


def _ellipse(h: int, w: int, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def _settings(flat: dict) -> dict:
    """``acquisition`` and ``diagnostics`` from one flat dict keyed as ``ClipResult.to_dict()["settings"]``."""
    return {"acquisition": AcquisitionSettings.from_dict(flat), "diagnostics": Diagnostics.from_dict(flat)}


def make_clip(
    *,
    name: str = "pre.dcm",
    n_jets: int = 1,
    peak_scale: float = 1.0,
    n_frames: int = 12,
    size: tuple[int, int] = (120, 160),
    spacing_cm: tuple[float, float] | None = (0.08, 0.08),
    frame_time_ms: float | None = 40.0,
    settings: dict | None = None,
    systole: tuple[int, int] = (3, 9),
    keep_masks: bool = True,
) -> Synthetic:
    """A clip whose jets grow then shrink over systole frames ``systole[0] .. systole[1]-1``."""
    h, w = size
    t = np.arange(n_frames)
    s0, s1 = systole
    phase = np.where((t >= s0) & (t < s1), "systole", "diastole")
    # envelope peaks at the middle of systole (frame s0 + (s1 - s0) // 2)
    peak = s0 + (s1 - s0) // 2
    env = np.where(phase == "systole", 1.0 - 0.12 * np.abs(t - peak), 0.0)
    rng = np.random.default_rng(0)
    frames = (rng.random((n_frames, h, w, 3)) * 60).astype(np.uint8)
    frames[..., 1] = frames[..., 0]
    frames[..., 2] = frames[..., 0]
    masks = np.zeros((n_frames, h, w), bool)
    labels_at = np.zeros((n_frames, h, w), np.int32)
    centres = [(h * 0.6, w * (k + 1) / (n_jets + 1)) for k in range(n_jets)]
    for i in range(n_frames):
        for k, (cy, cx) in enumerate(centres):
            if env[i] <= 0:
                continue
            ry = max(2.0, 22 * peak_scale * env[i] / np.sqrt(n_jets))
            rx = max(2.0, 12 * peak_scale * env[i] / np.sqrt(n_jets))
            e = _ellipse(h, w, cy, cx, ry, rx)
            masks[i] |= e
            labels_at[i][e] = k + 1
    frames[masks] = (30, 60, 220)
    px = masks.reshape(n_frames, -1).sum(1)
    pa = spacing_cm[0] * spacing_cm[1] if spacing_cm else None
    areas = px * pa if pa else px.astype(float)
    per_frame = tuple(
        FrameMeasurement(
            index=i,
            time_ms=i * frame_time_ms if frame_time_ms else None,
            phase=str(phase[i]),
            jet_area_px=int(px[i]),
            jet_area_cm2=float(areas[i]) if pa else None,
            n_jets=int(len(np.unique(labels_at[i])) - 1),
        )
        for i in range(n_frames)
    )
    has_systole = bool((phase == "systole").any())
    m = int(np.argmax(np.where(phase == "systole", px, -1))) if has_systole else None
    jets = []
    for k in range(n_jets if has_systole else 0):
        region = labels_at[m] == k + 1
        if not region.any():
            continue
        ys, xs = np.nonzero(region)
        jets.append(
            JetMeasurement(
                label=k + 1,
                area_px=int(region.sum()),
                area_cm2=float(region.sum() * pa) if pa else None,
                centroid_xy=(float(xs.mean()), float(ys.mean())),
                bbox_xyxy=(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1),
            )
        )
    sys_areas = areas[phase == "systole"]
    result = ClipResult(
        source=f"/data/study/{name}",
        frames=n_frames,
        frame_time_ms=frame_time_ms,
        pixel_spacing_cm=spacing_cm,
        calibration_source="regions" if spacing_cm else None,
        per_frame=per_frame,
        max_frame=m,
        max_jet_area_px=int(px[m]) if has_systole else 0,
        max_jet_area_cm2=(float(areas[m]) if has_systole else 0.0) if pa else None,
        jets_at_max=tuple(jets),
        mean_systolic_jet_area_cm2=float(sys_areas.mean()) if pa and has_systole else None,
        **_settings(
            settings
            if settings is not None
            else {"nyquist_cm_s": 60.0, "frame_rate_hz": 25.0, "depth_cm": 14.0}
        ),
        identifiers={
            "series_description": "Apical 4C colour",
            # every call is another image: a new UID
            "sop_instance_uid": f"1.2.826.0.1.3680043.8.498.{next(_UIDS)}",
        },
        algorithm_version="test",
        masks=masks if keep_masks else None,
    )
    return Synthetic(frames=frames, result=result, areas_cm2=areas, max_frame=m)


def result_from_truth(sc, name: str) -> ClipResult:
    """A ClipResult that reports a synthetic clip's exact truth (a perfect analysis)."""
    from scipy import ndimage

    t = sc.truth
    dx, dy = t.spacing_cm
    pa = dx * dy
    px = t.masks.reshape(t.n_frames, -1).sum(1)
    per_frame = tuple(
        FrameMeasurement(
            index=i,
            time_ms=i * t.frame_time_ms,
            phase=str(t.phase[i]),
            jet_area_px=int(px[i]),
            jet_area_cm2=float(px[i] * pa),
            n_jets=int(t.n_jets[i]),
        )
        for i in range(t.n_frames)
    )
    systolic = np.array([p == "systole" for p in t.phase])
    m = int(np.argmax(np.where(systolic, px, -1)))
    jets = []
    for k in range(t.n_jet_sources):
        region = t.jet_labels[m] == k + 1
        if not region.any():
            continue
        cy, cx = ndimage.center_of_mass(region)
        ys, xs = np.nonzero(region)
        jets.append(
            JetMeasurement(
                k + 1,
                int(region.sum()),
                float(region.sum() * pa),
                (float(cx), float(cy)),
                (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1),
            )
        )
    return ClipResult(
        source=name,
        frames=t.n_frames,
        frame_time_ms=t.frame_time_ms,
        pixel_spacing_cm=(dx, dy),
        calibration_source="regions",
        per_frame=per_frame,
        max_frame=m,
        max_jet_area_px=int(px[m]),
        max_jet_area_cm2=float(px[m] * pa),
        jets_at_max=tuple(jets),
        mean_systolic_jet_area_cm2=float(px[systolic].mean() * pa) if systolic.any() else None,
        acquisition=AcquisitionSettings(
            nyquist_cm_s=t.nyquist_cm_s,
            frame_rate_hz=1000.0 / t.frame_time_ms,
            depth_cm=float(t.params["depth_cm"]),
        ),
        identifiers={"sop_instance_uid": sc.study.sop_instance_uid},
        algorithm_version="truth",
        masks=t.masks,
    )
