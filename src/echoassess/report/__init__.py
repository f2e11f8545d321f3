"""The pre/post comparison report: JSON, CSV, PNG figures, animations and one HTML page.

The report only writes; :mod:`echoassess.workflows` analyses the clips first
(``echoassess compare`` and ``demo`` run :func:`echoassess.workflows.compare_files`).
Two layers, both usable from a notebook:

* :func:`render_html` turns a :class:`~echoassess.compare.Comparison` and its
  figures into one self-contained HTML page (figures and animations embedded
  as base64 data URIs, inline CSS, no JavaScript, no network);
* :func:`write_report` writes every output for a comparison into a folder.

The modules follow the page: :mod:`.settings` (the acquisition settings, the
only reader of ``ClipResult.settings``), :mod:`.sections` (measurement
tables), :mod:`.page` (the HTML page), :mod:`.text` (the plain-text summary),
:mod:`.figures` (PNG figures and animations) and :mod:`.files` (every output
into a folder).

The report never holds patient identity: clips are named by file name, series
description and the last digits of the SOP instance UID.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ._common import CAVEATS
    from .figures import imaging_box, write_overlay_png
    from .files import ReportOutputs, check_out_dir, write_report
    from .page import MAX_EMBEDDED_ANIMATION_BYTES, render_html
    from .text import clip_summary, summary_table

#: Public names imported on first use (PEP 562): ``echoassess check`` prints a
#: summary without loading the HTML page, the figures or the output files.
_LAZY = {
    "CAVEATS": "_common",
    "imaging_box": "figures",
    "write_overlay_png": "figures",
    "ReportOutputs": "files",
    "check_out_dir": "files",
    "write_report": "files",
    "MAX_EMBEDDED_ANIMATION_BYTES": "page",
    "render_html": "page",
    "clip_summary": "text",
    "summary_table": "text",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())

__all__ = [
    "CAVEATS",
    "MAX_EMBEDDED_ANIMATION_BYTES",
    "ReportOutputs",
    "check_out_dir",
    "render_html",
    "write_report",
    "summary_table",
    "clip_summary",
    "imaging_box",
    "write_overlay_png",
]
