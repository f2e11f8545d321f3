"""Open a clip ready for analysis: read the DICOM file, then settle its calibration.

:func:`load_clip` is the public loader (``echoassess.load_clip``). It joins two
stages that know nothing of each other: :func:`echoassess.dicom.read_clip`
reads the file and calibrates from the file's regions or the user's spacing,
without looking at the image; when the user's depth is the only way to a
scale, the imaging fan is found in a few frames (:mod:`echoassess.fan`) and
:func:`echoassess.dicom.choose_calibration` turns depth and fan into a scale.
"""

from __future__ import annotations

import os

from .dicom.calibration import choose_calibration, needs_sector
from .dicom.clip import EchoClip, read_clip
from .errors import CalibrationError

__all__ = ["load_clip"]

#: Frames spread over the clip on whose maximum projection the fan is found.
_SECTOR_SAMPLE_FRAMES = 8


def load_clip(
    path: str | os.PathLike[str],
    *,
    spacing_cm: float | tuple[float, float] | None = None,
    depth_cm: float | None = None,
    decoder: str = "libjpeg-turbo",
) -> EchoClip:
    """Open an ultrasound DICOM clip.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM Part 10 file (single- or multi-frame).
    spacing_cm : float or (float, float), optional
        Pixel spacing ``dx`` (or ``(dx, dy)``) in cm to use instead of the
        file's calibration.
    depth_cm : float, optional
        The imaging depth printed on the screen, for files without
        calibration regions: the pixel scale is derived from the detected
        sector (apex to far arc). Ignored when the file is calibrated or
        ``spacing_cm`` is given.
    decoder : {"libjpeg-turbo", "pydicom"}
        ``"libjpeg-turbo"`` (default): 8-bit JPEG Baseline/Extended colour
        frames are decoded by libjpeg-turbo (OpenCV), frame by frame from the
        encapsulated fragments, when the codestream's colour space is the one
        pydicom would apply; every other frame, and every other transfer
        syntax, by pydicom. ``"pydicom"``: pydicom's pipeline for every frame,
        the reference (8-bit JPEG through its Pillow plugin, i.e. libjpeg-turbo
        too, with pydicom's floating-point YCbCr -> RGB). The two differ by at
        most one grey level on a few pixels
        (``echoassess.dicom.jpeg.FAST_MAX_ABS_DIFF``); jet areas are the same
        to 0.01 cm^2 (tested).

    Returns
    -------
    EchoClip

    Raises
    ------
    NotDicomError, TruncatedFileError, NoPixelDataError, UnsupportedEncodingError,
    InvalidDimensionsError, CalibrationError, InvalidParameterError
        All subclasses of :class:`echoassess.EchoAssessError`; the message names
        the file and the problem.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> clip = load_clip(get_testdata_file("color3d_jpeg_baseline.dcm"))
    >>> clip.n_frames, clip.shape
    (120, (480, 640, 3))
    >>> round(clip.spacing_cm[0], 4), clip.calibration_source == "regions"
    (0.051, True)
    """
    clip = read_clip(path, spacing_cm=spacing_cm, depth_cm=depth_cm, decoder=decoder)
    user = clip.user_calibration
    shape = clip.shape[:2]
    if not needs_sector(clip.regions, user, image_shape=shape):
        return clip
    from .fan import detect_sector

    step = max(1, clip.n_frames // _SECTOR_SAMPLE_FRAMES)
    sample = list(range(0, clip.n_frames, step))[:_SECTOR_SAMPLE_FRAMES]
    sector = detect_sector(clip.read_frames(sample))
    if sector is None:
        raise CalibrationError(
            clip.path,
            "depth_cm given but no imaging sector (fan) was found in the frames",
            hint="pass spacing_cm=... instead",
        )
    clip.calibration = choose_calibration(clip.regions, user, sector, image_shape=shape)
    return clip
