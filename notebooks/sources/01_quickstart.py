# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Quick start: one clip, from DICOM to jet area
#
# This notebook walks through what echoassess does to **one** colour-Doppler clip:
#
# 1. load the DICOM file and look at its frames, timing and calibration;
# 2. run `echoassess.analyze_clip`;
# 3. read the per-frame table and see the segmented jet drawn on the image.
#
# **What is measured.** Mitral regurgitation (MR) is a leak of the mitral valve in
# systole: blood jets from the left ventricle back into the left atrium (LA). On
# colour Doppler the jet shows as a coloured region in the LA. echoassess finds that
# region on every frame and reports its area in cm² (the *colour-jet area*); the
# headline number of a clip is the largest jet area over the systolic frames.
#
# > Colour-jet area is one sign of MR severity, **not** a full MR grade. It depends on
# > the machine settings (Nyquist limit, colour gain, frame rate, angle), so echoassess
# > records them with every result.
#
# The clip used here is the shipped sample patient (`sample_data/`). It is
# **synthetic**: drawn by `echoassess.synthetic`, not from any patient, so its true jet
# area is known (6.50 cm² before the clip).
#
# Runs top to bottom in a few seconds.

# %%
# %matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

import echoassess
from echoassess import plot

print("echoassess", echoassess.__version__)

# %% [markdown]
# The sample data lives in the repository's `sample_data/` folder, next to this
# `notebooks/` folder. (Jupyter starts a notebook in its own folder.)

# %%
SAMPLE_DATA = (Path.cwd() / ".." / "sample_data").resolve()
assert SAMPLE_DATA.is_dir(), (
    f"run this notebook from the repository's notebooks/ folder ({SAMPLE_DATA} not found)"
)
PRE = SAMPLE_DATA / "patient01_pre.dcm"
sorted(p.name for p in SAMPLE_DATA.glob("*.dcm"))

# %% [markdown]
# ## 1 · Load the clip
#
# `echoassess.load_clip` reads the DICOM header and decodes frames only when asked,
# so even long clips load instantly. Every frame comes out as an RGB `(rows, cols, 3)`
# `uint8` array, whatever the file's encoding (JPEG, RLE, YBR colour spaces...):
# colour Doppler is lost by loaders that keep a single channel.

# %%
clip = echoassess.load_clip(PRE)
clip

# %%
print("frames         ", clip.n_frames, "of", clip.shape)
print("frame time     ", clip.frame_time_ms, "ms  (from", clip.timing_source + ")")
print("frame rate     ", round(clip.frame_rate_hz, 1), "Hz")
print("first times    ", clip.frame_times_ms[:4], "ms")
print("pixel spacing  ", clip.spacing_cm, "cm per pixel")
print("calibration    ", clip.calibration_note)
print("imaging depth  ", clip.depth_cm, "cm")
print("Nyquist limit  ", clip.nyquist_cm_s, "cm/s")

# %% [markdown]
# **Calibration.** Ultrasound files do not use PixelSpacing: the physical scale sits in
# the *Sequence of Ultrasound Regions*, one region per part of the screen (the 2D
# image, the colour-flow box, the ECG strip...), each with its own scale. echoassess
# takes the scale of the 2D region that holds the colour box — not blindly the first
# region, a classic bug. Without any calibration the areas stay in pixels and every
# result says so.
#
# **Identity.** `clip.metadata` carries the acquisition facts but no patient name or
# ID: those never reach echoassess outputs unless you ask for them.

# %%
for region in clip.regions:
    print(region.describe())

# %%
clip.metadata.to_dict()

# %% [markdown]
# ## 2 · Look at the frames
#
# `clip.frame(i)` decodes one frame. Below: a systolic frame and an early-diastolic
# one. In systole the MR jet flows *away* from the probe (at the top of the fan) into
# the LA (at the bottom): a blue rim around a mosaic core, where the jet's 4–6 m/s
# exceed the Nyquist limit and the colours wrap around (*aliasing*). In diastole,
# blood filling the left ventricle through the open valve moves *toward* the probe: a
# red rim (its fast core aliases to blue) — coloured and fast too, but moving the other
# way, in the other phase: the main confounder the analysis has to reject.
#
# The dashed boxes are the calibration regions read from the file: the whole 2D image
# (grey) and the colour-flow box (white), the only place where colour means flow. The
# colour bar at the right is the legend: +Nyquist at the top (toward the probe),
# −Nyquist at the bottom (away).

# %%
show = [14, 22]
fig, axes = plt.subplots(1, len(show), figsize=(12, 4.6), layout="constrained")
for ax, i in zip(axes, show):
    ax.imshow(clip.frame(i))
    for region in clip.regions:
        colour = "white" if region.data_type == 2 else "0.6"
        ax.add_patch(
            Rectangle(
                (region.x0, region.y0),
                region.x1 - region.x0,
                region.y1 - region.y0,
                fill=False,
                edgecolor=colour,
                linewidth=1.2,
                linestyle="--",
            )
        )
    ax.set_title(f"frame {i}, {clip.frame_times_ms[i]:.0f} ms")
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 3 · Analyse the clip
#
# `analyze_clip` streams the frames once. For each frame it turns colour into velocity
# with the clip's own colour bar (the legend right of the image), finds the turbulent,
# aliased flow that moves away from the probe below the mitral valve, decides which
# frames are systolic, and measures the jets. `keep_masks=True` also keeps the jet
# mask of every frame (for overlays; costs `frames x rows x cols` bytes).
#
# Every tunable lives in one frozen `AnalysisParams`; the defaults are what the
# project validates (notebook 04). The result records the parameters and the
# algorithm version, so a number can always be traced back to how it was made.

# %%
params = echoassess.AnalysisParams()  # the defaults; e.g. params.replace(min_jet_area_cm2=0.1)
result = echoassess.analyze_clip(clip, params, keep_masks=True)

# %%
print(f"max colour-jet area : {result.max_jet_area_cm2:.2f} cm² on frame {result.max_frame}")
print(f"ASE jet-area class  : {result.jet_area_class}")
print(
    f"jets on that frame  : {result.n_jets_at_max}", [round(j.area_cm2, 2) for j in result.jets_at_max], "cm²"
)
print(f"mean systolic area  : {result.mean_systolic_jet_area_cm2:.2f} cm²")
print(f"systolic frames     : {result.systolic_frames}")
print(f"warnings            : {list(result.warnings) or 'none'}")
print(f"algorithm           : {result.algorithm_version}")

# %% [markdown]
# **Reading the numbers.**
#
# * `max_jet_area_cm2` is the colour-jet area: the jet traced on the systolic frame
#   where it is largest, summed over jets. The sample's true value is 6.50 cm².
# * `jet_area_class` applies the ASE colour-jet area cut-offs: **< 4 cm² mild**,
#   **4–10 cm² moderate**, **> 10 cm² severe**. It is a label of the jet area only;
#   a clinical MR grade also weighs vena contracta, PISA, pulmonary-vein flow and more.
# * `acquisition` records the machine settings the jet area depends on (Nyquist limit,
#   frame rate, depth); `diagnostics` what the analysis found on the screen. Note the
#   colour box and bar were found, the view, and where the annulus was placed
#   (`annulus_xy`, two hinge points in pixels).

# %%
result.acquisition

# %%
result.diagnostics

# %% [markdown]
# ## 4 · The per-frame table
#
# `result.to_frame()` is a tidy pandas table, one row per frame: time, cardiac phase
# (systole/diastole, from the jet flow itself — the ECG is not needed), jet area in
# cm² and pixels, number of jets, and which frame holds the maximum. Diastolic frames
# have no jet by definition.

# %%
frames = result.to_frame()
frames

# %%
frames.groupby("phase")["jet_area_cm2"].describe()

# %% [markdown]
# The same numbers as a curve: `plot.plot_jet_area_time` draws jet area against time
# from systole onset; the shaded band marks the systolic frames and the star the
# maximal frame. A smooth rise and fall over systole is what a real jet does; isolated
# spikes would point at a confounder (a colour flash from wall motion, noise).

# %%
fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
plot.plot_jet_area_time(result, ax=ax, title=result.source)
plt.show()

# %% [markdown]
# ## 5 · The overlay: check the segmentation with your own eyes
#
# Always look at what was measured. `plot.plot_max_frame` shows the maximal frame,
# zoomed on the jet, with the traced outline and its area (the scale bar comes from the
# calibration). `plot.plot_overlay` draws any frame with any mask: here three systolic
# frames from `result.masks`.
#
# What is *not* traced, on purpose: the bright rings above the valve are **flow
# convergence** (PISA) on the left-ventricular side, blood accelerating toward the
# leak; the red streak low in the atrium is **pulmonary-vein inflow**, moving toward
# the probe; isolated specks are colour noise. None of them is regurgitant jet.

# %%
fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
plot.plot_max_frame(clip.frame(result.max_frame), result, ax=ax)
plt.show()

# %%
systolic = result.systolic_frames
pick = [systolic[1], systolic[len(systolic) // 2], systolic[-2]]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
for ax, i in zip(axes, pick):
    plot.plot_overlay(
        clip.frame(i),
        result.masks[i],
        spacing_cm=result.pixel_spacing_cm,
        ax=ax,
        title=f"frame {i} ({frames.loc[i, 'time_ms']:.0f} ms)",
        zoom_xyxy=result.diagnostics.colour_box_xyxy,
    )
plt.show()

# %% [markdown]
# ## 6 · Saving the result
#
# `result.to_dict()` is JSON-ready (no masks, no patient identity); `to_frame()` goes
# to CSV or Parquet. Both carry the parameters and algorithm version.

# %%
import json

print(json.dumps(result.to_dict(), indent=1)[:900], "...")

# %% [markdown]
# ## Next
#
# * **02_pre_post_comparison** — before vs after the MitraClip, every plot, and the
#   caveats of comparing two acquisitions.
# * **03_batch_cohort** — many patients at once, and a cohort statistic.
# * **04_validation** — how accurate is the measurement, against known truth.
