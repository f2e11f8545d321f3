"""What the user told the analysis, and where it disagrees with the file.

Every user input that can change a measurement (pixel spacing, imaging depth,
Nyquist limit, view, annulus, valve point, region of interest) becomes one
:class:`UserInput` entry in the result: the value, the file's own value when
it has one, and one line of text that every output (text summary, JSON,
tables, report) prints as it is, e.g.::

    calibration: user 0.05 cm/px, overriding the file's 0.04255 cm/px

A disagreement with the file is also a warning. Pure Python: the clip is only
asked for header values it already holds.

Examples
--------
>>> entries, warnings = describe_inputs(None, nyquist_cm_s=60.0, file_nyquist_cm_s=62.0)
>>> entries[0]["text"]
"Nyquist limit: user 60 cm/s, overriding the file's 62 cm/s"
>>> warnings
[]
>>> _, warnings = describe_inputs(None, nyquist_cm_s=45.0, file_nyquist_cm_s=62.0)
>>> warnings[0]
"the Nyquist limit given (45 cm/s) differs from the file's (62 cm/s): the value given is used"
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe_inputs", "input_lines", "differs"]


def differs(a: float, b: float, *, abs_tol: float, rel_tol: float) -> bool:
    """Whether two values of the same setting disagree beyond the tolerances.

    >>> differs(16.0, 12.0, abs_tol=0.5, rel_tol=0.05), differs(16.0, 16.2, abs_tol=0.5, rel_tol=0.05)
    (True, False)
    """
    return abs(a - b) > max(abs_tol, rel_tol * max(abs(a), abs(b)))


def _g(value: float, digits: int = 4) -> str:
    return f"{float(value):.{digits}g}"


def _entry(name: str, value: Any, file_value: Any, used: bool, text: str) -> dict[str, Any]:
    return {"input": name, "value": value, "file_value": file_value, "used": used, "text": text}


#: what each kind of input contributes: result entries and warnings
Found = tuple[list[dict[str, Any]], list[str]]


def _spacing_input(clip: Any) -> Found:
    """The pixel spacing the user gave (the clip's calibration says so)."""
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    source = getattr(clip, "calibration_source", None)
    if source == "user spacing":
        dx, dy = clip.spacing_cm
        user = f"{_g(dx)} cm/px" if dx == dy else f"{_g(dx)} x {_g(dy)} cm/px"
        fs = getattr(clip, "file_spacing_cm", None)
        if fs is not None:
            file_text = f"{_g(fs[0])} cm/px" if fs[0] == fs[1] else f"{_g(fs[0])} x {_g(fs[1])} cm/px"
            entries.append(
                _entry(
                    "spacing_cm",
                    [dx, dy],
                    list(fs),
                    True,
                    f"calibration: user {user}, overriding the file's {file_text}",
                )
            )
            if differs(dx, fs[0], abs_tol=0.0, rel_tol=0.02) or differs(dy, fs[1], abs_tol=0.0, rel_tol=0.02):
                ratio = (dx * dy) / (fs[0] * fs[1])
                warnings.append(
                    f"the pixel spacing given ({user}) differs from the file's calibration "
                    f"({file_text}): areas use the spacing given, {ratio:.2f} x what the file's "
                    "calibration gives"
                )
        else:
            entries.append(
                _entry("spacing_cm", [dx, dy], None, True, f"calibration: user {user} (the file has none)")
            )
    return entries, warnings


def _depth_input(clip: Any, depth_cm: float | None) -> Found:
    """The imaging depth the user gave: used to calibrate, or named and checked against the file's."""
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    source = getattr(clip, "calibration_source", None)
    user_depth = depth_cm if depth_cm is not None else getattr(clip, "user_depth_cm", None)
    if user_depth is not None:
        file_depth = getattr(clip, "depth_cm", None)
        if source == "depth + sector":
            entries.append(
                _entry(
                    "depth_cm",
                    float(user_depth),
                    None,
                    True,
                    f"calibration: user depth {_g(user_depth)} cm over the imaging sector, "
                    f"{_g(clip.spacing_cm[0])} cm/px (the file has no calibration)",
                )
            )
        elif file_depth is not None:
            conflict = differs(float(user_depth), float(file_depth), abs_tol=0.5, rel_tol=0.05)
            entries.append(
                _entry(
                    "depth_cm",
                    float(user_depth),
                    round(float(file_depth), 2),
                    False,
                    f"imaging depth: user {_g(user_depth)} cm not used, the file records "
                    f"{float(file_depth):.1f} cm and its calibration is kept",
                )
            )
            if conflict:
                warnings.append(
                    f"the imaging depth given ({_g(user_depth)} cm) differs from the file's "
                    f"({float(file_depth):.1f} cm): the file's depth and calibration are used "
                    "(to replace the file's scale, give the pixel spacing instead)"
                )
        else:
            entries.append(
                _entry(
                    "depth_cm",
                    float(user_depth),
                    None,
                    False,
                    f"imaging depth: user {_g(user_depth)} cm, recorded only "
                    "(the clip's scale comes from elsewhere)",
                )
            )
    return entries, warnings


def _nyquist_input(nyquist_cm_s: float | None, file_nyquist_cm_s: float | None) -> Found:
    """The Nyquist limit the user gave, against the file's."""
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    if nyquist_cm_s is not None:
        if file_nyquist_cm_s is not None:
            entries.append(
                _entry(
                    "nyquist_cm_s",
                    float(nyquist_cm_s),
                    round(float(file_nyquist_cm_s), 1),
                    True,
                    f"Nyquist limit: user {_g(nyquist_cm_s, 3)} cm/s, overriding the file's "
                    f"{_g(file_nyquist_cm_s, 3)} cm/s",
                )
            )
            if differs(float(nyquist_cm_s), float(file_nyquist_cm_s), abs_tol=2.0, rel_tol=0.05):
                warnings.append(
                    f"the Nyquist limit given ({_g(nyquist_cm_s, 3)} cm/s) differs from the "
                    f"file's ({_g(file_nyquist_cm_s, 3)} cm/s): the value given is used"
                )
        else:
            entries.append(
                _entry(
                    "nyquist_cm_s",
                    float(nyquist_cm_s),
                    None,
                    True,
                    f"Nyquist limit: user {_g(nyquist_cm_s, 3)} cm/s (the file has none)",
                )
            )
    return entries, warnings


def _view_input(clip: Any, view: str | None) -> Found:
    """The view the user named, against the one the header names."""
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    if view in ("tte", "tee"):
        file_view = getattr(getattr(clip, "metadata", None), "view", None)
        names = {"tte": "TTE", "tee": "TEE", "parasternal": "TTE parasternal"}
        text = f"view: user {names[view]}"
        if file_view is not None:
            text += f" (the file says {names.get(file_view, file_view)})"
        entries.append(_entry("view", view, file_view, True, text))
        if file_view is not None and (file_view == "tee") != (view == "tee"):
            warnings.append(
                f"the view given ({names[view]}) contradicts the file's "
                f"({names.get(file_view, file_view)}): the view given is used"
            )
    return entries, warnings


def _geometry_inputs(annulus: Any, valve_xy: Any, roi_xyxy: Any) -> Found:
    """The annulus, valve point and region of interest the user gave (pixels)."""
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    if annulus is not None:
        (x1, y1), (x2, y2) = annulus
        entries.append(
            _entry(
                "annulus",
                [[x1, y1], [x2, y2]],
                None,
                True,
                f"annulus: user ({x1:.0f}, {y1:.0f})-({x2:.0f}, {y2:.0f}) px",
            )
        )
    if valve_xy is not None:
        entries.append(
            _entry(
                "valve_xy",
                list(valve_xy),
                None,
                True,
                f"valve point: user ({valve_xy[0]:.0f}, {valve_xy[1]:.0f}) px",
            )
        )
    if roi_xyxy is not None:
        x0, y0, x1, y1 = roi_xyxy
        entries.append(
            _entry(
                "roi_xyxy",
                list(roi_xyxy),
                None,
                True,
                f"region of interest: user ({x0:.0f}, {y0:.0f})-({x1:.0f}, "
                f"{y1:.0f}) px; nothing outside it counts",
            )
        )
    return entries, warnings


def describe_inputs(
    clip: Any,
    *,
    nyquist_cm_s: float | None = None,
    file_nyquist_cm_s: float | None = None,
    depth_cm: float | None = None,
    view: str | None = None,
    annulus: Any = None,
    valve_xy: Any = None,
    roi_xyxy: Any = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The user's inputs as result entries, and the warnings their conflicts raise.

    Parameters
    ----------
    clip : EchoClip or None
        Supplies the calibration (``calibration_source``, ``spacing_cm``,
        ``file_spacing_cm``, ``user_depth_cm``, ``depth_cm``) and the view the
        header names (``metadata.view``).
    nyquist_cm_s, file_nyquist_cm_s : float, optional
        The Nyquist limit the user gave and the one the file carries.
    depth_cm : float, optional
        The imaging depth the user gave.
    view : str, optional
        ``"tte"`` / ``"tee"`` when the user named the view (``"auto"``/None: not given).
    annulus, valve_xy, roi_xyxy : optional
        The geometric hints, in pixels.

    Returns
    -------
    entries : list of dict
        ``input``, ``value``, ``file_value``, ``used`` and ``text``, one per input given.
    warnings : list of str
    """
    found = [
        _spacing_input(clip),
        _depth_input(clip, depth_cm),
        _nyquist_input(nyquist_cm_s, file_nyquist_cm_s),
        _view_input(clip, view),
        _geometry_inputs(annulus, valve_xy, roi_xyxy),
    ]
    return [e for entries, _ in found for e in entries], [w for _, warnings in found for w in warnings]


def input_lines(entries: Any) -> list[str]:
    """The ``text`` of each user-input entry (of a result or its dict)."""
    return [str(e.get("text")) for e in (entries or ()) if isinstance(e, dict) and e.get("text")]
