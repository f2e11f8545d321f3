"""Results as plain text: what ``echoassess check`` and ``compare`` print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .. import postteer
from ..provenance import input_lines
from ._common import area_text
from .settings import COMPARED, compared_cells

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["summary_table", "clip_summary"]


def summary_table(c: Comparison) -> str:
    """A short plain-text table of the comparison (what the CLI prints)."""
    unit = c.area_unit

    def n_jets(n: int) -> str:
        return f"{n} jet{'s' if n != 1 else ''}"

    rows = [
        ("", "pre-clip", "post-clip"),
        ("clip", c.pre_label, c.post_label),
        ("max jet area", area_text(c.pre_max_jet_area, unit, 2), area_text(c.post_max_jet_area, unit, 2)),
        ("jets at max", n_jets(c.pre_n_jets), n_jets(c.post_n_jets)),
        ("ASE jet-area class", c.pre_class or "n/a", c.post_class or "n/a"),
    ]
    for (_, label, _, _), a, b in zip(COMPARED, compared_cells(c.pre), compared_cells(c.post), strict=True):
        rows.append((label.lower(), a, b))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines = [f"{a:<{w0}}  {b:<{w1}}  {d}" for a, b, d in rows]
    if c.area_reduction is not None:
        pct = "" if c.area_reduction_pct is None else f" ({c.area_reduction_pct:.1f} %)"
        lines.append(f"{'reduction':<{w0}}  {area_text(c.area_reduction, unit, 2)}{pct}")
    else:
        lines.append(f"{'reduction':<{w0}}  n/a")
    for role, res in (("pre-clip", c.pre), ("post-clip", c.post)):
        if res.post_teer is not None:  # vena contracta, LA area, jet/LA ratio
            lines += [f"{role}:"] + postteer.summary_lines(res.post_teer)
    for role, res in (("pre", c.pre), ("post", c.post)):
        for text in input_lines(res.user_inputs):
            lines.append(f"user input ({role}): {text}")
    for w in c.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def clip_summary(
    r: ClipResult, *, overlay: Path | None = None, masks: Path | None = None, sr: Path | None = None
) -> str:
    """One clip's result as the short text ``echoassess check`` prints, naming the
    files written (``overlay``, ``masks``, ``sr``)."""
    unit = r.area_unit
    n_sys = len(r.systolic_frames)
    lines = [f"{r.source}: {r.frames} frames (numbered from 0; the screen counts from 1), {n_sys} systolic"]
    if r.status == "cannot_measure":
        lines.append(f"  cannot measure: could not locate the mitral valve ({r.status_reason})")
        lines.append("  give a hint: --annulus X1,Y1,X2,Y2 (the two annulus hinge points) and --view tte|tee")
    elif r.max_frame is None or r.max_jet_area_px == 0:
        lines.append(
            f"  no regurgitant jet found ({r.status_reason})"
            if r.status_reason
            else "  no regurgitant jet found"
        )
    else:
        area = f"{r.max_jet_area_cm2:.2f} cm²" if unit == "cm2" else f"{r.max_jet_area_px} px (uncalibrated)"
        t = r.per_frame[r.max_frame].time_ms
        when = f"frame {r.max_frame} (screen {r.max_frame + 1}/{r.frames})" + (
            f", {t:.0f} ms" if t is not None else ""
        )
        lines.append(f"  max jet area   {area} at {when}")
        if r.jet_area_class:
            lines.append(
                f"  colour-jet class {r.jet_area_class} (ASE: < 4 mild, 4-10 moderate, > 10 severe cm²)"
            )
        jets = ", ".join(
            (f"{j.area_cm2:.2f} cm²" if j.area_cm2 is not None else f"{j.area_px} px")
            + f" at ({j.centroid_xy[0]:.0f}, {j.centroid_xy[1]:.0f})"
            for j in r.jets_at_max
        )
        lines.append(f"  jets at max    {r.n_jets_at_max}: {jets}")
        if r.mean_systolic_jet_area_cm2 is not None:
            lines.append(f"  mean systolic  {r.mean_systolic_jet_area_cm2:.2f} cm²")
        lines += postteer.summary_lines(r.post_teer)
    s, found = r.acquisition, r.diagnostics
    nyq = f"{s.nyquist_cm_s:.1f} cm/s" if s.nyquist_cm_s else "not recorded"
    fr = f"{s.frame_rate_hz:.1f} Hz" if s.frame_rate_hz else "unknown"
    depth = f"{s.depth_cm:.1f} cm" if s.depth_cm else "not recorded"
    lines.append(f"  settings       Nyquist {nyq}, frame rate {fr}, depth {depth}")
    if r.pixel_spacing_cm:
        dx, dy = r.pixel_spacing_cm
        sp = f"{dx:.4g} cm/px" if dx == dy else f"{dx:.4g} x {dy:.4g} cm/px"
        lines.append(f"  calibration    {sp} ({r.calibration_source})")
    else:
        lines.append("  calibration    none: areas in pixels (give --spacing-cm or --depth-cm)")
    if found.annulus_xy:
        (x1, y1), (x2, y2) = found.annulus_xy
        lines.append(
            f"  valve          {str(found.view or '').upper()} ({found.view_source}), "
            f"annulus ({x1:.0f}, {y1:.0f})-({x2:.0f}, {y2:.0f}) from {found.annulus_source}"
        )
    for text in input_lines(r.user_inputs):
        lines.append(f"  user input     {text}")
    for w in r.warnings:
        lines.append(f"  warning: {w}")
    if overlay is not None:
        lines.append(f"  overlay -> {overlay}")
    if masks is not None:
        lines.append(f"  masks -> {masks}")
    if sr is not None:
        lines.append(f"  structured report -> {sr} (carries the patient's identity)")
    lines.append("  (colour-jet area only, not a full MR grade; it depends on machine settings)")
    return "\n".join(lines)
