"""The DICOM layer: the only part of echoassess that imports pydicom, highdicom or dicomweb-client.

Modules, along the data's path from a file:

* :mod:`.header` reads a header once and checks it against the file;
* :mod:`.pixels` decodes frames to RGB (:mod:`.palette` for palette tables,
  :mod:`.jpeg` for JPEG colour spaces and the libjpeg-turbo fast path);
* :mod:`.regions` parses the Sequence of Ultrasound Regions and chooses among them;
* :mod:`.metadata` holds identity-free metadata, timing and the ultrasound SOP classes;
* :mod:`.calibration` chooses the pixel scale (:func:`choose_calibration`, pure);
* :mod:`.clip` is the :class:`EchoClip` container and :func:`read_clip`;
* :mod:`.sniff` classifies files for a batch (DICOM? DICOMDIR? ultrasound?);
* :mod:`.sr` writes and reads the Structured Reports of results (:mod:`.sr_content`
  builds their content items);
* :mod:`.web` talks to a PACS over DICOMweb.

pydicom is imported inside the functions that use it, so importing this
package stays light. :func:`echoassess.load_clip` (``echoassess.loading``)
reads a clip with :func:`read_clip` and finishes a depth calibration with the
imaging fan.
"""

from .calibration import Calibration, CalibrationSource, UserCalibration, choose_calibration, needs_sector
from .clip import EchoClip, read_clip
from .metadata import ULTRASOUND_SOP_CLASSES, ClipMetadata, is_ultrasound
from .regions import UltrasoundRegion

__all__ = [
    "EchoClip",
    "read_clip",
    "ClipMetadata",
    "ULTRASOUND_SOP_CLASSES",
    "is_ultrasound",
    "UltrasoundRegion",
    "Calibration",
    "CalibrationSource",
    "UserCalibration",
    "choose_calibration",
    "needs_sector",
]
