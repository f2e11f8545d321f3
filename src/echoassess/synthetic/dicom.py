"""Write synthetic clips as DICOM Ultrasound Multi-frame Image Storage objects.

The generator's output edge, and so its only module that imports pydicom
(in the analysis package only :mod:`echoassess.dicom` does). The objects carry what a real echo machine writes: the
Sequence of Ultrasound Regions (a tissue region over the fan and a colour-flow
region over the colour box, deltas in cm), cine timing, heart rate, and fake
patient, study and series attributes. Pixel data is uncompressed RGB or JPEG
Baseline (process 1) with YBR_FULL_422 (4:2:2 chroma), one JPEG per frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from .._version import __version__
from ..errors import InvalidParameterError
from .params import SceneParams
from .world_params import WorldParams

if TYPE_CHECKING:
    from .clip import StudyInfo, SyntheticClip

__all__ = ["clip_to_dataset", "encode_jpeg_frames", "ENCODINGS"]

US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
#: Storage encodings accepted by :func:`clip_to_dataset`: uncompressed RGB, JPEG
#: Baseline with 4:2:2 chroma (most scanners' lossy export) and with 4:2:0 chroma
#: (chroma halved both ways, as video-grade and heavily compressed archives store it).
ENCODINGS = ("rgb", "jpeg", "jpeg420")
_SAMPLING = {"jpeg": "422", "jpeg420": "420"}
_IMPLEMENTATION_UID = "1.2.826.0.1.3680043.8.498.7010"  # pydicom root + project suffix


def encode_jpeg_frames(frames: np.ndarray, *, quality: int = 90, chroma: str = "422") -> list[bytes]:
    """JPEG Baseline codestreams (YCbCr, 4:2:2 or 4:2:0 chroma) for RGB frames.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8
    quality : int
        1..100.
    chroma : {"422", "420"}
        Chroma subsampling: halved across (4:2:2) or across and down (4:2:0).

    Returns
    -------
    list of bytes
        One JPEG (SOI .. EOI) per frame, even length for DICOM fragments.
    """
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        int(quality),
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        {"422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422, "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420}[chroma],
        cv2.IMWRITE_JPEG_OPTIMIZE,
        1,
    ]
    out = []
    for frame in frames:
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(frame[..., ::-1]), params)
        if not ok:  # pragma: no cover - cv2 fails only on broken input
            raise RuntimeError("JPEG encoding failed")
        data = buf.tobytes()
        if len(data) % 2:
            data += b"\x00"  # pad after EOI, as PS3.5 A.4 allows
        out.append(data)
    return out


def _region(
    *,
    data_type: int,
    bounds: tuple[int, int, int, int],
    spacing_cm: tuple[float, float],
    ref_xy: tuple[float, float],
    flags: int,
    extra: dict[str, Any] | None = None,
) -> Any:
    from pydicom.dataset import Dataset

    x0, y0, x1, y1 = bounds
    item = Dataset()
    item.RegionSpatialFormat = 1  # 2D
    item.RegionDataType = data_type
    item.RegionFlags = flags
    item.RegionLocationMinX0 = int(x0)
    item.RegionLocationMinY0 = int(y0)
    item.RegionLocationMaxX1 = int(x1)
    item.RegionLocationMaxY1 = int(y1)
    item.ReferencePixelX0 = int(round(ref_xy[0] - x0))
    item.ReferencePixelY0 = int(round(ref_xy[1] - y0))
    item.PhysicalUnitsXDirection = 3  # cm
    item.PhysicalUnitsYDirection = 3
    item.ReferencePixelPhysicalValueX = 0.0
    item.ReferencePixelPhysicalValueY = 0.0
    item.PhysicalDeltaX = float(spacing_cm[0])
    item.PhysicalDeltaY = float(spacing_cm[1])
    item.TransducerFrequency = 2500  # kHz
    for key, value in (extra or {}).items():
        setattr(item, key, value)
    return item


#: View codes written for world clips (coding scheme "99ECHOASSESS": synthetic,
#: local codes; the CodeMeaning is the text a reader can match).
VIEW_CODES = {
    "a4c": ("A4C", "Apical four chamber"),
    "a2c": ("A2C", "Apical two chamber"),
    "a3c": ("A3C", "Apical three chamber (apical long axis)"),
    "plax": ("PLAX", "Parasternal long axis"),
    "tee_me4c": ("ME4C", "Transesophageal mid-esophageal four chamber"),
    "tee_comm": ("MECOMM", "Transesophageal mid-esophageal mitral commissural"),
    "tee_lvot": ("MELAX", "Transesophageal mid-esophageal long axis (LVOT)"),
}


def _view_code(view: str) -> Any:
    from pydicom.dataset import Dataset

    value, meaning = VIEW_CODES[view]
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "99ECHOASSESS"
    item.CodeMeaning = meaning
    return item


def clip_to_dataset(clip: SyntheticClip, *, encoding: str = "rgb", jpeg_quality: int = 90) -> Any:
    """Build the DICOM dataset of a synthetic clip.

    Parameters
    ----------
    clip : SyntheticClip
    encoding : {"rgb", "jpeg", "jpeg420"}
        See :data:`ENCODINGS`.
    jpeg_quality : int
        1..100 (JPEG encodings only).

    Returns
    -------
    pydicom.dataset.FileDataset
        Ready for ``save_as(path, enforce_file_format=True)``.

    Raises
    ------
    InvalidParameterError
        Unknown ``encoding`` or a quality outside 1..100.
    """
    from pydicom.dataset import Dataset, FileDataset

    if encoding not in ENCODINGS:
        raise InvalidParameterError(None, f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    if (
        isinstance(jpeg_quality, bool)
        or not isinstance(jpeg_quality, (int, np.integer))
        or not (1 <= int(jpeg_quality) <= 100)
    ):
        raise InvalidParameterError(None, f"jpeg_quality must be an integer in 1..100, got {jpeg_quality!r}")
    meta = _file_meta(clip.study, encoding)
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\x00" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    _identity(ds, clip.study)
    _equipment_and_image(ds, clip)
    _cine(ds, clip.params, clip.n_frames)
    _regions(ds, clip)
    _pixels(ds, clip.frames, encoding, int(jpeg_quality))
    return ds


def _file_meta(st: StudyInfo, encoding: str) -> Any:
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(US_MULTIFRAME)
    meta.MediaStorageSOPInstanceUID = UID(st.sop_instance_uid)
    meta.TransferSyntaxUID = UID(JPEG_BASELINE if encoding in _SAMPLING else EXPLICIT_LE)
    meta.ImplementationClassUID = UID(_IMPLEMENTATION_UID)
    meta.ImplementationVersionName = f"ECHOASSESS_{__version__}"[:16]
    return meta


def _identity(ds: Any, st: StudyInfo) -> None:
    """SOP common, (fake) patient, study and series."""
    from pydicom.uid import UID

    acq = st.acquisition_datetime
    study = st.study_datetime
    # SOP common
    ds.SOPClassUID = UID(US_MULTIFRAME)
    ds.SOPInstanceUID = UID(st.sop_instance_uid)
    ds.InstanceCreationDate = acq.strftime("%Y%m%d")
    ds.InstanceCreationTime = acq.strftime("%H%M%S")
    # patient (fake)
    ds.PatientName = st.patient_name
    ds.PatientID = st.patient_id
    ds.PatientBirthDate = st.patient_birth_date
    ds.PatientSex = st.patient_sex
    ds.PatientIdentityRemoved = "NO"
    # study
    ds.StudyInstanceUID = UID(st.study_instance_uid)
    ds.StudyDate = study.strftime("%Y%m%d")
    ds.StudyTime = study.strftime("%H%M%S")
    ds.ReferringPhysicianName = ""
    ds.StudyID = st.study_id
    ds.AccessionNumber = st.accession_number
    ds.StudyDescription = st.study_description
    # series
    ds.Modality = "US"
    ds.SeriesInstanceUID = UID(st.series_instance_uid)
    ds.SeriesNumber = int(st.series_number)
    ds.SeriesDate = acq.strftime("%Y%m%d")
    ds.SeriesTime = acq.strftime("%H%M%S")
    ds.SeriesDescription = st.series_description
    ds.BodyPartExamined = "HEART"


def _equipment_and_image(ds: Any, clip: SyntheticClip) -> None:
    """Equipment, general image and US image attributes (transducer, view code)."""
    p, st, truth = clip.params, clip.study, clip.truth
    acq = st.acquisition_datetime
    # equipment
    ds.Manufacturer = "echoassess synthetic"
    ds.ManufacturerModelName = f"SynthEcho {p.colour_map}"
    ds.SoftwareVersions = __version__
    ds.DeviceSerialNumber = "SYNTHETIC"
    # general image / acquisition
    ds.InstanceNumber = int(st.instance_number)
    ds.PatientOrientation = ""
    ds.ContentDate = acq.strftime("%Y%m%d")
    ds.ContentTime = acq.strftime("%H%M%S")
    ds.AcquisitionDateTime = acq.strftime("%Y%m%d%H%M%S")
    # value 3 has no defined term for transthoracic echo, and value 4 ("0011",
    # 2D + colour) needs value 3: two values validate cleanly
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BurnedInAnnotation = "YES"
    ds.ImageComments = (
        "SYNTHETIC IMAGE made by echoassess.synthetic - not from a patient. "
        f"Truth: max jet area {truth.max_area_cm2:.3f} cm2 on frame {truth.max_frame} (0-based)."
    )
    # US image: a world clip (generate_world_clip) may name its view
    if isinstance(p, WorldParams) and p.is_tee and p.dicom_view_code:
        ds.TransducerData = ["SYNTH-X7-2T", "TEE", "TRANSESOPHAGEAL"]
    else:
        ds.TransducerData = ["SYNTH-P4", "", ""]
    if isinstance(p, WorldParams) and p.dicom_view_code:
        ds.ViewCodeSequence = [_view_code(p.view)]
    ds.ProcessingFunction = "CARDIAC"
    ds.MechanicalIndex = 1.1
    ds.SoftTissueThermalIndex = 0.7
    ds.DepthOfScanField = int(round(p.depth_cm * 10))  # mm
    ds.HeartRate = int(round(p.heart_rate_bpm))


def _cine(ds: Any, p: SceneParams | WorldParams, n: int) -> None:
    """Multi-frame and cine timing."""
    ds.NumberOfFrames = int(n)
    ds.FrameIncrementPointer = (0x0018, 0x1063)
    ds.FrameTime = round(float(p.frame_time_ms), 4)
    ds.CineRate = int(round(p.frame_rate_hz))
    ds.RecommendedDisplayFrameRate = int(round(p.frame_rate_hz))
    ds.ActualFrameDuration = int(round(p.frame_time_ms))
    ds.PreferredPlaybackSequencing = 0
    ds.StartTrim = 1
    ds.StopTrim = int(n)
    ds.EffectiveDuration = round(n * p.frame_time_ms / 1000.0, 4)


def _regions(ds: Any, clip: SyntheticClip) -> None:
    """Calibration regions: tissue over the fan, colour flow over the colour box
    (omitted for a world clip drawn uncalibrated)."""
    p, truth = clip.params, clip.truth
    apex = (truth.sector["apex_x"], truth.sector["apex_y"])
    tissue = _region(
        data_type=1, bounds=truth.tissue_region_xyxy, spacing_cm=truth.spacing_cm, ref_xy=apex, flags=0
    )
    flow = _region(
        data_type=2,
        bounds=truth.colour_box_xyxy,
        spacing_cm=truth.spacing_cm,
        ref_xy=apex,
        flags=0,
        extra={"PulseRepetitionFrequency": int(round(4 * p.nyquist_cm_s / 154000 * 2500e3))},
    )
    if not isinstance(p, WorldParams) or p.calibrated:
        ds.SequenceOfUltrasoundRegions = [tissue, flow]


def _pixels(ds: Any, frames: np.ndarray, encoding: str, jpeg_quality: int) -> None:
    """Image pixel attributes and the pixel data (RGB, or one JPEG per frame)."""
    from pydicom.encaps import encapsulate

    n, rows, cols, _ = frames.shape
    ds.SamplesPerPixel = 3
    ds.Rows = int(rows)
    ds.Columns = int(cols)
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PlanarConfiguration = 0
    if encoding in _SAMPLING:
        fragments = encode_jpeg_frames(frames, quality=jpeg_quality, chroma=_SAMPLING[encoding])
        # (DICOM has no 4:2:0 photometric interpretation: YBR_FULL_422 names any
        # subsampled YCbCr JPEG stream, as scanners write it)
        ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.LossyImageCompression = "01"
        ratio = (n * rows * cols * 3) / sum(len(f) for f in fragments)
        ds.LossyImageCompressionRatio = f"{ratio:.2f}"[:16]
        ds.LossyImageCompressionMethod = "ISO_10918_1"
        ds.PixelData = encapsulate(fragments, has_bot=True)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PhotometricInterpretation = "RGB"
        ds.LossyImageCompression = "00"
        ds.PixelData = np.ascontiguousarray(frames, dtype=np.uint8).tobytes()
        ds["PixelData"].VR = "OB"
