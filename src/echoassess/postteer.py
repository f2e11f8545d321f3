"""Post-TEER measures from the colour clip: vena contracta per jet, LA area, jet/LA ratio.

Types (frozen dataclasses with ``to_dict``) and the glue that turns the jet
analysis' per-frame labels, its annulus and the max-jet frame into them. The
array work lives in :mod:`echoassess.vena` and :mod:`echoassess.atrium`.

Guideline bands (ASE/EACVI, native MR): vena contracta < 0.3 cm mild,
>= 0.7 cm severe; jet area / LA area < 20 % mild, > 40 % severe. Summing the
vena contracta widths of several jets is not validated; the sum is reported
with that label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import atrium, vena
from .errors import InvalidParameterError
from .results import round_or_none

__all__ = [
    "VC_MILD_BELOW_CM",
    "VC_SEVERE_FROM_CM",
    "RATIO_MILD_BELOW",
    "RATIO_SEVERE_ABOVE",
    "MULTI_JET_VC_NOTE",
    "JetPostTeer",
    "PostTeerMeasures",
    "vc_class",
    "ratio_class",
    "check_la_polygon",
    "frame_vena_contracta",
    "post_teer_measures",
    "at_max_note",
    "summary_lines",
    "change",
    "table_row",
    "TABLE_COLUMNS",
    "CHANGE_COLUMNS",
]

VC_MILD_BELOW_CM = 0.3
VC_SEVERE_FROM_CM = 0.7
RATIO_MILD_BELOW = 0.20
RATIO_SEVERE_ABOVE = 0.40
MULTI_JET_VC_NOTE = "sum of vena contracta widths: not validated for multiple jets"


#: The clip-table columns of :meth:`PostTeerMeasures.summary_row`.
TABLE_COLUMNS = (
    "vc_max_cm",
    "vc_cm",
    "vc_sum_cm",
    "la_area_cm2",
    "la_status",
    "jet_la_ratio",
    "jet_la_ratio_class",
)
#: The comparison-table columns of :func:`change`.
CHANGE_COLUMNS = (
    "pre_vc_max_cm",
    "post_vc_max_cm",
    "change_vc_max_cm",
    "post_vc_sum_cm",
    "pre_la_area_cm2",
    "post_la_area_cm2",
    "pre_jet_la_ratio",
    "post_jet_la_ratio",
    "change_jet_la_ratio",
    "pre_jet_la_ratio_class",
    "post_jet_la_ratio_class",
)


def table_row(result_dict: dict[str, Any]) -> dict[str, Any]:
    """The :data:`TABLE_COLUMNS` of one ``ClipResult.to_dict()`` (empty when not measured)."""
    pt = PostTeerMeasures.from_dict((result_dict or {}).get("post_teer"))
    return pt.summary_row() if pt is not None else dict.fromkeys(TABLE_COLUMNS)


def vc_class(width_cm: float | None) -> str | None:
    """ASE band of a vena contracta width.

    >>> vc_class(0.25), vc_class(0.5), vc_class(0.7), vc_class(None)
    ('mild', 'moderate', 'severe', None)
    """
    if width_cm is None or not math.isfinite(width_cm):
        return None
    if width_cm < VC_MILD_BELOW_CM:
        return "mild"
    return "severe" if width_cm >= VC_SEVERE_FROM_CM else "moderate"


def ratio_class(ratio: float | None) -> str | None:
    """ASE band of a jet area / LA area ratio.

    >>> ratio_class(0.1), ratio_class(0.3), ratio_class(0.45), ratio_class(None)
    ('mild', 'moderate', 'severe', None)
    """
    if ratio is None or not math.isfinite(ratio):
        return None
    if ratio < RATIO_MILD_BELOW:
        return "mild"
    return "severe" if ratio > RATIO_SEVERE_ABOVE else "moderate"


def _segment(xy: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    (x1, y1), (x2, y2) = xy
    return (float(x1), float(y1)), (float(x2), float(y2))


@dataclass(frozen=True)
class JetPostTeer:
    """One jet of the max-jet frame (``label`` as in ``ClipResult.jets_at_max``).

    ``vc_width_cm`` is the jet's largest vena contracta over the systolic
    frames (on frame ``vc_frame``; the jet is followed by its origin along the
    annulus; with three frames or more, the second largest, so that a single
    outlying frame does not set it); ``vc_at_max_cm`` is its vena contracta on the max-jet frame,
    measured along ``vc_segment_xy`` (pixels); ``*_px`` are the same in pixels
    (uncalibrated clips have only those). ``la_ratio`` is the jet's area
    over the LA area.
    """

    label: int
    vc_width_cm: float | None
    vc_frame: int | None
    vc_at_max_cm: float | None
    vc_width_px: float | None
    vc_at_max_px: float | None
    vc_segment_xy: tuple[tuple[float, float], tuple[float, float]] | None
    origin_xy: tuple[float, float] | None
    axis_end_xy: tuple[float, float] | None
    la_ratio: float | None

    @property
    def vc_class(self) -> str | None:
        return vc_class(self.vc_width_cm)

    def to_dict(self) -> dict[str, Any]:
        pt = lambda q: None if q is None else [round_or_none(q[0], 2), round_or_none(q[1], 2)]  # noqa: E731
        return {
            "label": self.label,
            "vc_width_cm": round_or_none(self.vc_width_cm),
            "vc_frame": self.vc_frame,
            "vc_at_max_cm": round_or_none(self.vc_at_max_cm),
            "vc_width_px": round_or_none(self.vc_width_px, 2),
            "vc_at_max_px": round_or_none(self.vc_at_max_px, 2),
            "vc_class": self.vc_class,
            "vc_segment_xy": None if self.vc_segment_xy is None else [pt(p) for p in self.vc_segment_xy],
            "origin_xy": pt(self.origin_xy),
            "axis_end_xy": pt(self.axis_end_xy),
            "la_ratio": round_or_none(self.la_ratio),
            "la_ratio_class": ratio_class(self.la_ratio),
        }


@dataclass(frozen=True)
class PostTeerMeasures:
    """Vena contracta per jet, LA area and jet/LA ratio of one clip.

    ``la_status`` is ``"measured"``, ``"cannot_measure"`` (``la_reason`` says
    why: the atrium runs off the image, or was not found) or ``"user"`` (the
    outline was given). ``la_outline_xy`` is the LA outline on the max-jet
    frame (pixels). ``vc_by_frame`` holds, per systolic frame, the vena
    contracta of each of that frame's jets (cm; ``None`` where a jet's neck
    could not be measured).
    """

    jets: tuple[JetPostTeer, ...]
    vc_sum_cm: float | None
    la_area_cm2: float | None
    la_area_px: float | None
    la_status: str
    la_reason: str
    la_outline_xy: tuple[tuple[float, float], ...]
    jet_la_ratio: float | None
    vc_by_frame: tuple[tuple[int, tuple[float | None, ...]], ...] = ()
    calibrated: bool = True

    @property
    def vc_sum_note(self) -> str:
        return MULTI_JET_VC_NOTE if len(self.jets) > 1 else ""

    @property
    def jet_la_ratio_class(self) -> str | None:
        return ratio_class(self.jet_la_ratio)

    @property
    def vc_max_cm(self) -> float | None:
        ws = [j.vc_width_cm for j in self.jets if j.vc_width_cm is not None]
        return max(ws) if ws else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "jets": [j.to_dict() for j in self.jets],
            "vc_sum_cm": round_or_none(self.vc_sum_cm),
            "vc_sum_note": self.vc_sum_note,
            "vc_max_cm": round_or_none(self.vc_max_cm),
            "vc_max_class": vc_class(self.vc_max_cm),
            "la_area_cm2": round_or_none(self.la_area_cm2),
            "la_area_px": round_or_none(self.la_area_px, 1),
            "la_status": self.la_status,
            "la_reason": self.la_reason,
            "la_outline_xy": [[round_or_none(x, 1), round_or_none(y, 1)] for x, y in self.la_outline_xy],
            "jet_la_ratio": round_or_none(self.jet_la_ratio),
            "jet_la_ratio_class": self.jet_la_ratio_class,
            "vc_by_frame": [
                {"index": i, "vc_cm": [round_or_none(w) for w in ws]} for i, ws in self.vc_by_frame
            ],
            "calibrated": self.calibrated,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> PostTeerMeasures | None:
        """Rebuild from :meth:`to_dict` (rounded values), or ``None``."""
        if not d:
            return None
        pt = lambda q: None if q is None else (float(q[0]), float(q[1]))  # noqa: E731
        jets = tuple(
            JetPostTeer(
                label=int(j["label"]),
                vc_width_cm=j.get("vc_width_cm"),
                vc_frame=j.get("vc_frame"),
                vc_at_max_cm=j.get("vc_at_max_cm"),
                vc_width_px=j.get("vc_width_px"),
                vc_at_max_px=j.get("vc_at_max_px"),
                vc_segment_xy=None if j.get("vc_segment_xy") is None else _segment(j["vc_segment_xy"]),
                origin_xy=pt(j.get("origin_xy")),
                axis_end_xy=pt(j.get("axis_end_xy")),
                la_ratio=j.get("la_ratio"),
            )
            for j in d.get("jets") or ()
        )
        return cls(
            jets=jets,
            vc_sum_cm=d.get("vc_sum_cm"),
            la_area_cm2=d.get("la_area_cm2"),
            la_area_px=d.get("la_area_px"),
            la_status=d.get("la_status", "cannot_measure"),
            la_reason=d.get("la_reason", ""),
            la_outline_xy=tuple((float(x), float(y)) for x, y in d.get("la_outline_xy") or ()),
            jet_la_ratio=d.get("jet_la_ratio"),
            vc_by_frame=tuple((int(f["index"]), tuple(f["vc_cm"])) for f in d.get("vc_by_frame") or ()),
            calibrated=bool(d.get("calibrated", True)),
        )

    def summary_row(self) -> dict[str, Any]:
        """Flat columns for the clip tables."""
        return {
            "vc_max_cm": round_or_none(self.vc_max_cm),
            "vc_cm": ";".join("" if j.vc_width_cm is None else f"{j.vc_width_cm:.2f}" for j in self.jets),
            "vc_sum_cm": round_or_none(self.vc_sum_cm) if len(self.jets) > 1 else None,
            "la_area_cm2": round_or_none(self.la_area_cm2),
            "la_status": self.la_status,
            "jet_la_ratio": round_or_none(self.jet_la_ratio),
            "jet_la_ratio_class": self.jet_la_ratio_class,
        }


def check_la_polygon(path: Any, value: Any, shape: tuple[int, int]) -> tuple[tuple[float, float], ...] | None:
    """Validate a user LA outline: ``"x1,y1,x2,y2,..."`` or a sequence of ``(x, y)``.

    >>> check_la_polygon(None, "10,10,50,10,30,40", (100, 100))
    ((10.0, 10.0), (50.0, 10.0), (30.0, 40.0))
    """
    if value is None:
        return None
    try:
        if isinstance(value, str):
            nums = [float(v) for v in value.replace(";", ",").split(",") if v.strip()]
            if len(nums) % 2:
                raise ValueError("an odd number of coordinates")
            pts = list(zip(nums[0::2], nums[1::2]))
        else:
            pts = [(float(p[0]), float(p[1])) for p in value]
            if any(len(p) != 2 for p in value):
                raise ValueError("points must be (x, y) pairs")
    except (TypeError, ValueError, IndexError) as exc:
        raise InvalidParameterError(
            path,
            f"la_polygon={value!r} is not a list of x,y pixel points ({exc})",
            hint="give at least 3 points as X1,Y1,X2,Y2,X3,Y3,...",
        ) from None
    h, w = shape
    if len(pts) < 3:
        raise InvalidParameterError(
            path, f"la_polygon needs at least 3 points, got {len(pts)}", hint="give X1,Y1,X2,Y2,X3,Y3,..."
        )
    for x, y in pts:
        if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < w and 0 <= y < h):
            raise InvalidParameterError(
                path, f"la_polygon point ({x:g}, {y:g}) lies outside the {w} x {h} image"
            )
    if _area(np.asarray(pts)) < 1.0:
        raise InvalidParameterError(path, "la_polygon encloses no area (its points are collinear)")
    return tuple(pts)


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def frame_vena_contracta(
    labels: np.ndarray,
    n: int,
    normal_xy: tuple[float, float],
    *,
    spacing_cm: tuple[float, float],
    offset_xy: tuple[int, int] = (0, 0),
    vena_kwargs: Mapping[str, float] | None = None,
) -> dict[int, vena.VenaContracta | None]:
    """Each jet's vena contracta on one frame (``labels``: 1..n), in full-frame pixels."""
    out: dict[int, vena.VenaContracta | None] = {}
    ox, oy = offset_xy
    for k in range(1, n + 1):
        m = labels == k
        if not m.any():
            continue
        ys, xs = np.nonzero(m)
        y0, x0 = max(0, ys.min() - 4), max(0, xs.min() - 4)
        sub = m[y0 : ys.max() + 5, x0 : xs.max() + 5]
        vc = vena.vena_contracta(sub, normal_xy, spacing_cm=spacing_cm, **(vena_kwargs or {}))
        if vc is not None:
            dx, dy = x0 + ox, y0 + oy
            sh = lambda p, dx=dx, dy=dy: (p[0] + dx, p[1] + dy)  # noqa: E731
            vc = vena.VenaContracta(
                vc.width_cm,
                vc.width_px,
                (sh(vc.segment_xy[0]), sh(vc.segment_xy[1])),
                sh(vc.origin_xy),
                sh(vc.axis_end_xy),
                vc.distance_cm,
            )
        out[k] = vc
    return out


def post_teer_measures(
    *,
    frame_rgb: np.ndarray | None,
    max_frame: int | None,
    jets_at_max: Sequence[Any],
    vcs_by_frame: dict[int, dict[int, vena.VenaContracta | None]],
    annulus_xy: tuple[tuple[float, float], tuple[float, float]],
    normal_xy: tuple[float, float],
    spacing_cm: tuple[float, float] | None,
    scale_cm: float,
    fan: np.ndarray | None,
    la_polygon: Sequence[tuple[float, float]] | None = None,
    track_cm: float = 0.5,
    vc_max_ratio: float = 1.6,
    la_kwargs: Mapping[str, float] | None = None,
) -> PostTeerMeasures:
    """Fold the per-frame vena contracta and the max frame's LA into the measures."""
    calibrated = spacing_cm is not None
    sp = spacing_cm if spacing_cm is not None else (scale_cm, scale_cm)
    px_cm2 = sp[0] * sp[1]
    along = _along_annulus(annulus_xy, px_cm2)
    at_max = vcs_by_frame.get(max_frame, {}) if max_frame is not None else {}
    la_px, la_status, la_reason, outline = _left_atrium(
        frame_rgb,
        la_polygon,
        annulus_xy=annulus_xy,
        normal_xy=normal_xy,
        spacing_cm=sp,
        fan=fan,
        **(la_kwargs or {}),
    )
    la_cm2 = None if la_px is None or not calibrated else la_px * px_cm2
    jets: list[JetPostTeer] = []
    total_px = 0
    for k, jm in enumerate(jets_at_max, start=1):
        vc = at_max.get(k)
        total_px += int(jm.area_px)
        best, best_f = (vc, max_frame) if vc is not None else (None, None)
        if vc is not None:
            best, best_f = _widest_neck(
                vc, best_f, vcs_by_frame, along, track_cm=track_cm, max_ratio=vc_max_ratio
            )
        ratio = None if la_px is None else jm.area_px / la_px
        jets.append(
            JetPostTeer(
                label=int(jm.label),
                vc_width_cm=best.width_cm if best is not None and calibrated else None,
                vc_frame=best_f,
                vc_at_max_cm=(vc.width_cm if vc is not None and calibrated else None),
                vc_width_px=None if best is None else best.width_px,
                vc_at_max_px=None if vc is None else vc.width_px,
                vc_segment_xy=None if vc is None else vc.segment_xy,
                origin_xy=None if vc is None else vc.origin_xy,
                axis_end_xy=None if vc is None else vc.axis_end_xy,
                la_ratio=ratio,
            )
        )
    widths = [j.vc_width_cm for j in jets]
    known = [w for w in widths if w is not None]
    vc_sum = sum(known) if widths and len(known) == len(widths) else None
    by_frame = tuple(
        (
            int(i),
            tuple(None if v is None or not calibrated else float(v.width_cm) for _, v in sorted(vcs.items())),
        )
        for i, vcs in sorted(vcs_by_frame.items())
    )
    return PostTeerMeasures(
        jets=tuple(jets),
        vc_sum_cm=vc_sum,
        la_area_cm2=la_cm2,
        la_area_px=la_px,
        la_status=la_status,
        la_reason=la_reason,
        la_outline_xy=outline,
        jet_la_ratio=None if la_px is None or not jets else total_px / la_px,
        vc_by_frame=by_frame,
        calibrated=calibrated,
    )


def _along_annulus(
    annulus_xy: tuple[tuple[float, float], tuple[float, float]], px_cm2: float
) -> Callable[[tuple[float, float]], float]:
    """Position of a point along the annulus direction (cm, from the image origin)."""
    (x1, y1), (x2, y2) = annulus_xy
    L = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / L, (y2 - y1) / L

    def along(p: tuple[float, float]) -> float:
        return (p[0] * ux + p[1] * uy) * math.sqrt(px_cm2)

    return along


def _left_atrium(
    frame_rgb: np.ndarray | None,
    la_polygon: Sequence[tuple[float, float]] | None,
    *,
    annulus_xy: tuple[tuple[float, float], tuple[float, float]],
    normal_xy: tuple[float, float],
    spacing_cm: tuple[float, float],
    fan: np.ndarray | None,
    **la_kwargs: Any,
) -> tuple[float | None, str, str, tuple[tuple[float, float], ...]]:
    """``(area_px, status, reason, outline)`` of the LA on the max frame: the user's
    outline, else the blood pool found on ``frame_rgb``."""
    if la_polygon is not None:
        outline = tuple((float(x), float(y)) for x, y in la_polygon)
        return _area(np.asarray(outline)), "user", "outline given by the user", outline
    if frame_rgb is None:
        return None, "cannot_measure", "no max-jet frame", ()
    grey, colour = atrium.grey_and_colour(frame_rgb)
    r = atrium.la_blood_pool(
        grey,
        annulus_xy=annulus_xy,
        normal_xy=normal_xy,
        spacing_cm=spacing_cm,
        fan=fan,
        blood=colour,
        **la_kwargs,
    )
    if r.mask is None or not r.complete or r.area_poly_px <= 0:
        return None, "cannot_measure", r.reason, r.outline_xy
    return r.area_poly_px, "measured", "", r.outline_xy


def _widest_neck(
    vc: vena.VenaContracta,
    max_frame: int | None,
    vcs_by_frame: dict[int, dict[int, vena.VenaContracta | None]],
    along: Callable[[tuple[float, float]], float],
    *,
    track_cm: float,
    max_ratio: float = 1.6,
) -> tuple[vena.VenaContracta, int | None]:
    """``(neck, frame)``: the jet followed by its origin along the annulus (within
    ``track_cm``); its largest neck is the median of its three widest frames (one
    frame where two jets merge, or a neck cut short, does not make the maximum).
    A neck more than ``max_ratio`` times the jet's median neck over its frames is
    left out first: one jet's neck does not jump so between frames, two jets
    merged into one flow (touching jets, a frame where their split fails) do."""
    t0 = along(vc.origin_xy)
    series: list[tuple[float, int, vena.VenaContracta]] = []
    for i, vcs in vcs_by_frame.items():
        near = [v for v in vcs.values() if v is not None and abs(along(v.origin_xy) - t0) <= track_cm]
        if near:
            v = min(near, key=lambda v: abs(along(v.origin_xy) - t0))
            series.append((v.width_px, i, v))
    if series:
        typical = float(np.median([w for w, _, _ in series]))
        series = [x for x in series if x[0] <= max_ratio * typical]
    series.sort(key=lambda x: x[0], reverse=True)
    if not series:
        return vc, max_frame
    _, frame, best = series[min(1, len(series) - 1) if len(series) >= 3 else 0]
    return best, frame


def _fmt(v: float | None, unit: str, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f} {unit}".rstrip()


def at_max_note(pt: PostTeerMeasures) -> str:
    """What the figure shows, when it differs from the reported widths: each jet's
    reported vena contracta is its largest over systole, the drawn one is on the
    max-jet frame. ``""`` when they agree as shown (within 0.005 cm) or were not measured."""
    pairs = [
        (j.vc_width_cm, j.vc_at_max_cm)
        for j in pt.jets
        if j.vc_width_cm is not None and j.vc_at_max_cm is not None
    ]
    if not pt.calibrated or not pairs or len(pairs) < len(pt.jets):
        return ""
    if all(abs(a - b) < 0.005 for a, b in pairs):
        return ""
    shown = ", ".join(f"{b:.2f}" for _, b in pairs)
    return f"(each jet's largest over systole; drawn on the max-jet frame: {shown} cm)"


def summary_lines(pt: PostTeerMeasures | None) -> list[str]:
    """Plain-text lines for the CLI: vena contracta per jet, LA area, jet/LA ratio."""
    if pt is None:
        return []
    unit = "cm" if pt.calibrated else "px"
    vcs = ", ".join(
        (_fmt(j.vc_width_cm, "cm") if pt.calibrated else _fmt(j.vc_width_px, "px", 1))
        + (f" ({j.vc_class})" if j.vc_class else "")
        for j in pt.jets
    )
    lines = [f"  vena contracta {vcs or 'n/a'} (ASE: < 0.3 mild, >= 0.7 cm severe)"]
    at_max = at_max_note(pt)
    if at_max:
        lines.append(f"                 {at_max}")
    if len(pt.jets) > 1 and pt.vc_sum_cm is not None:
        lines.append(f"  VC sum         {pt.vc_sum_cm:.2f} {unit} ({MULTI_JET_VC_NOTE})")
    if pt.la_status == "cannot_measure":
        lines.append(f"  LA area        cannot measure ({pt.la_reason})")
    else:
        la = _fmt(pt.la_area_cm2, "cm²", 1) if pt.la_area_cm2 is not None else _fmt(pt.la_area_px, "px", 0)
        src = " (outline given)" if pt.la_status == "user" else ""
        ratio = "n/a" if pt.jet_la_ratio is None else f"{100 * pt.jet_la_ratio:.0f} %"
        per = "; ".join(f"{100 * j.la_ratio:.0f} %" for j in pt.jets if j.la_ratio is not None)
        lines.append(f"  LA area        {la}{src}")
        lines.append(
            f"  jet/LA area    {ratio} ({pt.jet_la_ratio_class or 'n/a'}; ASE: < 20 % mild, "
            f"> 40 % severe){'; per jet ' + per if len(pt.jets) > 1 else ''}"
        )
    return lines


def change(pre: PostTeerMeasures | None, post: PostTeerMeasures | None) -> dict[str, Any]:
    """Pre vs post: largest vena contracta, VC sum, LA area and jet/LA ratio, with changes."""

    def get(pt: PostTeerMeasures | None, name: str) -> float | None:
        return None if pt is None else getattr(pt, name)

    out: dict[str, Any] = {}
    for name in ("vc_max_cm", "vc_sum_cm", "la_area_cm2", "jet_la_ratio"):
        a, b = get(pre, name), get(post, name)
        out[f"pre_{name}"] = round_or_none(a)
        out[f"post_{name}"] = round_or_none(b)
        out[f"change_{name}"] = None if a is None or b is None else round_or_none(b - a)
    out["pre_vc_class"] = vc_class(get(pre, "vc_max_cm"))
    out["post_vc_class"] = vc_class(get(post, "vc_max_cm"))
    out["pre_jet_la_ratio_class"] = ratio_class(get(pre, "jet_la_ratio"))
    out["post_jet_la_ratio_class"] = ratio_class(get(post, "jet_la_ratio"))
    out["post_vc_sum_note"] = "" if post is None else post.vc_sum_note
    return out
