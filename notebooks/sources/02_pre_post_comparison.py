# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Before and after the MitraClip
#
# The question a MitraClip study asks of colour Doppler: **how much did the clip
# reduce the regurgitant jet?** This notebook
#
# 1. analyses a pre-clip and a post-clip clip of the same patient;
# 2. compares them with `echoassess.compare`;
# 3. draws every comparison plot and explains how to read it;
# 4. ends with the caveats, including a small experiment showing how much a machine
#    setting alone moves the jet area.
#
# Data: the shipped synthetic sample patient (`sample_data/`): one central jet of
# 6.50 cm² before, two smaller jets either side of the clip after (1.18 + 0.74 =
# 1.92 cm²). Runs in about 15 seconds.

# %%
# %matplotlib inline
import base64
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import HTML, Markdown, display

import echoassess
from echoassess import animate, plot
from echoassess.anonymise import imaging_view, sample_frames
from echoassess.report import CAVEATS
from echoassess.workflows import ClipInputs, UserHints, compare_files

SAMPLE_DATA = (Path.cwd() / ".." / "sample_data").resolve()
assert SAMPLE_DATA.is_dir(), (
    f"run this notebook from the repository's notebooks/ folder ({SAMPLE_DATA} not found)"
)
PRE, POST = SAMPLE_DATA / "patient01_pre.dcm", SAMPLE_DATA / "patient01_post.dcm"

# %% [markdown]
# ## 1 · Analyse both clips
#
# Each clip is analysed on its own, exactly as in notebook 01. Two details matter for
# a comparison:
#
# * `keep_masks=True` keeps every frame's jet mask, for the overlays below.
# * `nyquist_cm_s=` records the Nyquist limit (the velocity at the ends of the colour
#   bar) in the result's settings, so `compare` can check that both clips were taken
#   at the same one. Here it comes from the file's colour-flow region
#   (`clip.nyquist_cm_s`, `None` when the file does not carry it); otherwise read it
#   off the screen, beside the colour bar.

# %%
pre_clip, post_clip = echoassess.load_clip(PRE), echoassess.load_clip(POST)
pre = echoassess.analyze_clip(pre_clip, keep_masks=True, nyquist_cm_s=pre_clip.nyquist_cm_s)
post = echoassess.analyze_clip(post_clip, keep_masks=True, nyquist_cm_s=post_clip.nyquist_cm_s)
for r in (pre, post):
    areas = ", ".join(f"{j.area_cm2:.2f}" for j in r.jets_at_max)
    print(
        f"{r.source:20s} max {r.max_jet_area_cm2:5.2f} cm² on frame {r.max_frame:2d} "
        f"({r.n_jets_at_max} jet(s): {areas} cm²) -> {r.jet_area_class}"
    )

# %% [markdown]
# ## 2 · Compare
#
# `echoassess.compare(pre, post)` returns a `Comparison`: the two maximal jet areas,
# the absolute and % reduction, the number of jets, the ASE class of each clip, and —
# as important as the numbers — the **warnings** that say why the numbers may mislead.

# %%
comparison = echoassess.compare(pre, post)
print(f"pre-clip  : {comparison.pre_max_jet_area_cm2:.2f} cm² ({comparison.pre_n_jets} jet)")
print(f"post-clip : {comparison.post_max_jet_area_cm2:.2f} cm² ({comparison.post_n_jets} jets)")
print(f"reduction : {comparison.area_reduction_cm2:.2f} cm² = {comparison.area_reduction_pct:.0f} %")
print(f"ASE class : {comparison.class_change}")
print(f"settings match: {comparison.settings_match}")

# %%
for w in comparison.warnings:
    print("•", w)

# %% [markdown]
# **Reading the warnings.** `compare` checks the settings jet area depends on (Nyquist
# limit, frame rate, imaging depth) and flags a difference beyond a small tolerance,
# a Nyquist limit outside the 50–70 cm/s at which the ASE cut-offs were defined, and
# settings the results do not record (they cannot be checked). A warning does not mean
# the result is wrong; it means the reader has to check that part by hand.
#
# For a table (one row per patient, to concatenate across a cohort):

# %%
comparison.to_frame().T.rename(columns={0: "value"})

# %% [markdown]
# ## 3 · The plots, one by one
#
# Every function in `echoassess.plot` draws on the `ax=` you give it and returns the
# artists it made; none of them calls `plt.show()` or changes matplotlib's settings.
#
# ### 3a · The maximal frames
#
# The frame where each jet is largest, with every jet outlined and its area written in
# the corner. `imaging_view` (the helper behind every image echoassess writes) finds the
# imaging fan: `view.blank(frame)` blacks out everything around it and
# `bounds_xyxy=view.box` cuts the view to it, so text burned into the screen (the
# patient line, the hospital) stays out; `colour_bar=view.colour_bar` adds the clip's
# colour scale.
#
# *How to read it.* Check that the outline follows the coloured jet in the left
# atrium, below the valve — not the flow converging above the valve, not inflow. After
# the clip, the device shows as a bright echo with a dark **acoustic shadow** below
# it; the jets usually come out either side of it (numbered 1, 2 ...) and the result
# sums them.

# %%
views = {
    id(clip): imaging_view(sample_frames(clip), clip=clip, result=res)
    for clip, res in ((pre_clip, pre), (post_clip, post))
}
fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
for ax, clip, res, role in ((axes[0], pre_clip, pre, "PRE-CLIP"), (axes[1], post_clip, post, "POST-CLIP")):
    view = views[id(clip)]
    plot.plot_max_frame(
        view.blank(clip.frame(res.max_frame)),
        res,
        ax=ax,
        title=f"{role} · {res.source}",
        bounds_xyxy=view.box,
        colour_bar=view.colour_bar,
    )
plt.show()

# %% [markdown]
# ### 3b · Jet area over the cardiac cycle
#
# Both clips on one time axis, aligned at the onset of systole (the clips need not
# start at the same point of the cycle). The shaded bands are the systolic frames
# (one coloured strip per clip at the top), the stars the maximal frames.
#
# *How to read it.* The maximal area is a single frame; the curve shows whether it is
# representative. A jet present through all of systole (holosystolic) weighs more than
# a brief one of the same peak area; `result.mean_systolic_jet_area_cm2` summarises
# that.

# %%
fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
plot.plot_jet_area_time(
    [pre, post], names=["pre-clip", "post-clip"], ax=ax, title="Colour-jet area over the clip"
)
plt.show()
print(
    f"mean systolic jet area: pre {pre.mean_systolic_jet_area_cm2:.2f} cm², "
    f"post {post.mean_systolic_jet_area_cm2:.2f} cm²"
)

# %% [markdown]
# ### 3c · Maximal area before and after, over the ASE bands
#
# Two bars over the ASE colour-jet area bands: green **mild** (< 4 cm²), yellow
# **moderate** (4–10 cm²), red **severe** (> 10 cm²). The box at the top gives the
# % reduction.
#
# *How to read it.* Procedural success is commonly read as MR reduced to moderate
# (2+) or less, ideally mild — but the bands are a jet-area label, not an MR grade
# (see the caveats).

# %%
fig, ax = plt.subplots(figsize=(3.8, 3.8), layout="constrained")
plot.plot_area_change(
    comparison.pre_max_jet_area,
    comparison.post_max_jet_area,
    unit=comparison.area_unit,
    ax=ax,
    title="Maximal jet area",
)
plt.show()

# %% [markdown]
# ### 3d · Everything on one page
#
# `plot.plot_comparison` puts the three plots above and a summary (areas, reduction,
# class change, settings side by side, with `≠` where they differ) on one figure — the
# figure `echoassess compare` writes as `comparison.png`.

# %%
fig = plt.figure(figsize=(12, 8.6), layout="constrained")
vp, vq = views[id(pre_clip)], views[id(post_clip)]
plot.plot_comparison(
    comparison,
    vp.blank(pre_clip.frame(pre.max_frame)),
    vq.blank(post_clip.frame(post.max_frame)),
    pre_bounds_xyxy=vp.box,
    post_bounds_xyxy=vq.box,
    pre_colour_bar=vp.colour_bar,
    post_colour_bar=vq.colour_bar,
    fig=fig,
)
plt.show()

# %% [markdown]
# ### 3e · Every frame, animated
#
# The maximal frame can look right while other frames are wrong. `echoassess.animate`
# draws the outline on every frame with a banner (frame, time, phase, area; the
# maximal frame in yellow). `overlay_frames` returns the images; `animation_bytes`
# encodes them (WebP here, small enough to embed; `animate_overlay(..., "x.gif")`
# writes a GIF file that opens in slide software). Played 3 times slower than real time.


# %%
def animation_html(clip, res, title):
    images = animate.overlay_frames(
        clip.read_frames(),
        res.masks,
        per_frame=res.per_frame,
        max_frame=res.max_frame,
        title=title,
        max_width=420,
    )
    data = animate.animation_bytes(images, format="webp", frame_time_ms=res.frame_time_ms, slowdown=3)
    return f'<img src="data:image/webp;base64,{base64.b64encode(data).decode()}" style="margin:4px">'


display(
    HTML(
        '<div style="display:flex; flex-wrap:wrap">'
        + animation_html(pre_clip, pre, "PRE-CLIP")
        + animation_html(post_clip, post, "POST-CLIP")
        + "</div>"
    )
)

# %% [markdown]
# ## 4 · The report, in one call
#
# `compare_files(pre_path, post_path, out_dir)` does all of the above and writes a
# self-contained `report.html` (opens offline) with the tables and figures beside it —
# what the `echoassess compare` command runs. Each clip may come with what the user
# knows about it: `ClipInputs(path, UserCalibration(spacing_cm=...), UserHints(nyquist_cm_s=...))`
# (`echoassess.workflows`). Here it writes into a temporary
# folder that is removed afterwards.

# %%
with tempfile.TemporaryDirectory() as tmp:
    hints = UserHints(nyquist_cm_s=pre_clip.nyquist_cm_s)
    outputs = compare_files(ClipInputs(PRE, hints=hints), ClipInputs(POST, hints=hints), tmp, animate=False)
    for key, path in sorted(outputs.files.items()):
        print(f"{key:16s} {path.name:22s} {path.stat().st_size / 1024:7.0f} KiB")

# %% [markdown]
# ## 5 · Caveats: what the number is not
#
# Every report states these:

# %%
display(Markdown("\n".join(f"* {c}" for c in CAVEATS)))

# %% [markdown]
# ### Settings sensitivity, measured
#
# "Jet area depends on the machine settings" is easy to say and easy to forget. The
# synthetic generator lets us show it: the **same heart and the same jet**, acquired
# at three colour-gain settings. Only the gain changes — and the measured jet area
# changes with it, just as the true coloured area does (higher gain paints more of the
# slow edge of the jet). This is why pre and post must be acquired with the same
# settings, and why echoassess records them.
#
# (Small 300 × 400 frames, to keep this quick. The synthetic generator models colour
# gain but not the effect of the Nyquist limit on jet size; on a real machine a lower
# Nyquist limit also shows a larger jet.)

# %%
from echoassess.synthetic import SceneParams, generate_clip

scene = SceneParams(rows=300, cols=400, n_frames=24, start_phase=0.85, anatomy_seed=5)
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for gain in (0.8, 1.0, 1.3):
        synthetic = generate_clip(scene.replace(gain=gain), rng=3)
        path, _ = synthetic.save(Path(tmp) / f"gain_{gain}.dcm", encoding="jpeg")
        res = echoassess.analyze_clip(path)
        rows.append((gain, synthetic.truth.max_area_cm2, res.max_jet_area_cm2, res.jet_area_class))
for gain, true_area, measured, cls in rows:
    print(
        f"colour gain {gain:3.1f}: true coloured area {true_area:5.2f} cm², measured {measured:5.2f} cm² ({cls})"
    )
change = 100 * (rows[-1][2] - rows[0][2]) / rows[0][2]
print(f"\nsame jet, gain 0.8 -> 1.3: measured area {change:+.0f} %")

# %% [markdown]
# ### Post-clip artefacts
#
# After the clip the colour picture is harder to measure:
#
# * the clip's bright echo and its **acoustic shadow** can hide part of a jet, so the
#   post-clip area tends to be *under*-measured;
# * there are often **two or more jets** (one per orifice, either side of the clip);
#   echoassess reports each and sums them (`jets_at_max`, the numbered outlines above)
#   — check every one is a jet;
# * **eccentric, wall-hugging jets** look smaller than they are in any single plane,
#   before or after the clip;
# * the other post-clip measures (mean transmitral gradient < 5 mmHg, vena contracta)
#   come from other views and modes; echoassess does not pretend to derive them from
#   a colour jet.
#
# Next: **03_batch_cohort** runs this comparison over a whole cohort.
