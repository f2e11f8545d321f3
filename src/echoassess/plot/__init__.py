"""Figures of jet measurements. The only echoassess package that imports matplotlib.

Every plotting function draws on the ``ax=`` it is given (or on a fresh
:class:`matplotlib.figure.Figure` when ``ax`` is ``None``), returns the artists
it made in a dict, and never calls ``show()`` or touches pyplot's global
state or ``rcParams``. Save with :func:`save_figure`.

Colours are the Okabe-Ito palette, which stays distinguishable under the
common colour-vision deficiencies.

One module per kind of figure: :mod:`.frames` (frames with the jets
outlined), :mod:`.timecourse` (jet area over the clip), :mod:`.areas`
(maximal areas over the ASE bands, cohorts) and :mod:`.comparison` (the
overview figure); :mod:`._style` holds the palette and the figure helpers.

Examples
--------
>>> import numpy as np
>>> frame = np.zeros((40, 60, 3), np.uint8)
>>> mask = np.zeros((40, 60), bool); mask[10:20, 10:30] = True
>>> artists = plot_overlay(frame, mask, spacing_cm=(0.05, 0.05), title="demo.dcm")
>>> len(artists["contours"]), artists["labels"][0].get_text()
(1, '0.50 cm²')
"""

from ._style import JET_COLOURS, OKABE_ITO, POST_COLOUR, PRE_COLOUR, new_axes, save_figure
from .areas import ase_bands, cohort_figure, plot_area_change, plot_cohort, plot_reduction_distribution
from .comparison import plot_comparison
from .frames import jet_zoom_box, plot_max_frame, plot_overlay, plot_post_teer
from .timecourse import plot_jet_area_time

__all__ = [
    "OKABE_ITO",
    "PRE_COLOUR",
    "POST_COLOUR",
    "JET_COLOURS",
    "new_axes",
    "save_figure",
    "plot_overlay",
    "plot_max_frame",
    "plot_post_teer",
    "jet_zoom_box",
    "plot_jet_area_time",
    "plot_area_change",
    "plot_cohort",
    "plot_comparison",
    "plot_reduction_distribution",
    "cohort_figure",
    "ase_bands",
]
