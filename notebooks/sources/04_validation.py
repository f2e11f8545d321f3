# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Validation: how accurate is the jet area?
#
# A measurement is only as useful as its error is known. On real clips there is no
# exact answer — two expert readers tracing the same jet typically differ by 10–20 %.
# The synthetic clips of `echoassess.synthetic` have one: the generator knows exactly
# which pixels it coloured with regurgitant flow on every frame (the *truth masks*),
# so we can score the segmentation pixel by pixel.
#
# This notebook
#
# 1. generates 6 synthetic patients (12 clips, pre and post) with their truth;
# 2. analyses every clip and scores it: **Dice** overlap on every truly systolic frame,
#    **relative error of the maximal jet area**, jet count, false jet on diastolic
#    frames;
# 3. shows where the segmentation and the truth disagree;
# 4. draws a **Bland-Altman plot** of measured vs true maximal jet area (bias and 95 %
#    limits of agreement).
#
# Runs in about 15 seconds (360 × 480 frames). The project's full benchmark,
# `benchmarks/accuracy.py`, does the same on larger held-out sets.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import echoassess
from echoassess import plot
from echoassess.synthetic import load_truth, make_cohort

work = tempfile.TemporaryDirectory()  # removed in the last cell
WORK = Path(work.name)

# %% [markdown]
# ## 1 · Clips with known truth
#
# `make_cohort` writes each clip as JPEG-compressed DICOM (the usual storage of colour
# clips) and its truth beside it (`pre.truth.npz`). `load_truth(dcm_path)` reads it
# back as a `ClipTruth`: `masks` (frames × rows × cols, bool) are exactly the pixels
# the jet coloured, `phase` says which frames are systolic, `areas_cm2` the true area
# per frame. The analysis never sees the truth; it reads only the DICOM file.

# %%
manifest_path = make_cohort(WORK, 6, seed=7, rows=360, cols=480)
manifest = pd.read_csv(manifest_path)
clip_paths = [WORK / p for p in manifest["pre"]] + [WORK / p for p in manifest["post"]]
truth = load_truth(clip_paths[0])
print(
    f"{len(clip_paths)} clips; truth of {clip_paths[0].relative_to(WORK)}: "
    f"masks {truth.masks.shape} {truth.masks.dtype}, max {truth.max_area_cm2:.2f} cm² on frame {truth.max_frame}"
)

# %% [markdown]
# ## 2 · Analyse and score every clip
#
# **Dice** measures the overlap of the measured mask *A* with the true mask *B*:
# `2 |A ∩ B| / (|A| + |B|)`, 1 for a perfect match, 0 for no overlap. It is computed on
# every frame the truth calls systolic (a frame where both are empty counts as 1).
# Dice is strict at the edges: a segmentation one pixel too wide all round loses
# several points on a small jet.
#
# The **relative error of the maximal jet area** is what matters clinically: the
# headline number of each clip, against the true one.


# %%
def dice(a, b):
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2.0 * np.logical_and(a, b).sum() / total


rows, frame_rows, kept = [], [], {}
for path in clip_paths:
    res = echoassess.analyze_clip(path, keep_masks=True)
    tr = load_truth(path)
    clip_id = f"{path.parent.name.replace('patient', 'P')} {path.stem}"
    systolic = np.flatnonzero(tr.phase == "systole")
    diastolic = np.flatnonzero(tr.phase == "diastole")
    for i in systolic:
        frame_rows.append(
            {
                "clip": clip_id,
                "frame": i,
                "dice": dice(res.masks[i], tr.masks[i]),
                "true_cm2": tr.areas_cm2[i],
                "measured_cm2": res.per_frame[i].jet_area_cm2,
            }
        )
    false_px = res.masks[diastolic].sum()
    rows.append(
        {
            "clip": clip_id,
            "role": path.stem,
            "true_max_cm2": tr.max_area_cm2,
            "measured_max_cm2": res.max_jet_area_cm2,
            "true_jets": int(tr.n_jets[tr.max_frame]),
            "measured_jets": res.n_jets_at_max,
            "median_dice": np.median([dice(res.masks[i], tr.masks[i]) for i in systolic]),
            "diastolic_false_cm2": false_px * np.prod(res.pixel_spacing_cm) / max(len(diastolic), 1),
        }
    )
    kept[clip_id] = (path, res, tr)

scores = pd.DataFrame(rows).set_index("clip")
scores["rel_error_pct"] = 100 * (scores["measured_max_cm2"] - scores["true_max_cm2"]) / scores["true_max_cm2"]
per_frame = pd.DataFrame(frame_rows)
scores.round(3)

# %%
summary = {
    "systolic frames scored": len(per_frame),
    "Dice, median over frames": per_frame["dice"].median(),
    "Dice, 10th percentile": per_frame["dice"].quantile(0.10),
    "Dice, median on frames with a true jet < 1 cm²": per_frame.loc[
        per_frame["true_cm2"] < 1, "dice"
    ].median(),
    "Dice, median on frames with a true jet ≥ 1 cm²": per_frame.loc[
        per_frame["true_cm2"] >= 1, "dice"
    ].median(),
    "max-area error, median |%|": scores["rel_error_pct"].abs().median(),
    "max-area error, worst |%|": scores["rel_error_pct"].abs().max(),
    "jet count right at the max frame": f"{(scores['true_jets'] == scores['measured_jets']).sum()} of {len(scores)}",
    "false jet per diastolic frame, median (cm²)": scores["diastolic_false_cm2"].median(),
}
pd.Series(summary, name="value").to_frame()

# %% [markdown]
# **Reading the scores.** A median Dice around 0.9 means the traced outline and the
# truth share about 90 % of their pixels. The low tail (10th percentile) comes from
# small jets — early and late systole, and post-clip jets broken up around the
# device's shadow — where a few edge pixels weigh a lot (compare the two medians split
# at 1 cm²); those frames barely matter for the maximal area. Maximal-area
# errors of a few percent are well inside the disagreement between human readers.
# Jet counts can differ where two post-clip jets nearly touch, or a jet breaks up at
# the edge of the clip's shadow.

# %% [markdown]
# ## 3 · Where do they disagree?
#
# Left: Dice on every systolic frame, one column per clip. Right: measured and true
# jet area over time for the clip with the lowest median Dice.

# %%
order = list(scores.index)
worst = scores["median_dice"].idxmin()
fig, (left, right) = plt.subplots(
    1, 2, figsize=(13, 4.2), layout="constrained", gridspec_kw={"width_ratios": [1.4, 1]}
)
rng = np.random.default_rng(0)  # jitter only
for k, clip_id in enumerate(order):
    d = per_frame.loc[per_frame["clip"] == clip_id, "dice"]
    colour = plot.PRE_COLOUR if clip_id.endswith("pre") else plot.POST_COLOUR
    left.plot(k + rng.uniform(-0.15, 0.15, len(d)), d, "o", color=colour, alpha=0.6, markersize=4)
    left.plot([k - 0.3, k + 0.3], [d.median()] * 2, color="black", linewidth=2)
left.set_xticks(range(len(order)), order, rotation=45, ha="right")
left.set_ylabel("Dice (systolic frames)")
left.set_ylim(0, 1.02)
left.grid(True, axis="y", alpha=0.3)
left.set_title("Per-frame Dice (blue pre, orange post; bar = median)", fontsize=10)

_, res_w, tr_w = kept[worst]
t = np.arange(tr_w.n_frames) * tr_w.frame_time_ms
right.plot(t, tr_w.areas_cm2, color="black", linewidth=2, label="truth")
right.plot(
    t,
    [f.jet_area_cm2 for f in res_w.per_frame],
    "o--",
    color=plot.POST_COLOUR,
    markersize=4,
    label="measured",
)
right.set_xlabel("time (ms)")
right.set_ylabel("jet area (cm²)")
right.set_title(f"{worst}: area per frame", fontsize=10)
right.legend(fontsize=8)
right.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# The same clip on its true maximal frame: the measured outline (white, from
# `plot_overlay`) and the truth (dashed cyan). Where the two lines part, the
# segmentation took or missed pixels — typically at the slow, dim edge of the jet,
# next to the valve, or along the clip's shadow.

# %%
path_w, res_w, tr_w = kept[worst]
i = tr_w.max_frame
frame = echoassess.load_clip(path_w).frame(i)
fig, ax = plt.subplots(figsize=(6.5, 5.2), layout="constrained")
box = plot.jet_zoom_box(res_w.masks[i] | tr_w.masks[i], margin=0.6)
plot.plot_overlay(
    frame,
    res_w.masks[i],
    spacing_cm=res_w.pixel_spacing_cm,
    ax=ax,
    zoom_xyxy=box,
    title=f"{worst}, frame {i}: Dice {dice(res_w.masks[i], tr_w.masks[i]):.2f} "
    f"(true {tr_w.areas_cm2[i]:.2f} cm²)",
)
ax.contour(tr_w.masks[i], levels=[0.5], colors="cyan", linewidths=1.2, linestyles="--")
plt.show()

# %% [markdown]
# ## 4 · Bland-Altman: measured vs true maximal jet area
#
# A scatter of measured against true (left) shows whether the points follow the
# identity line, but agreement is easier to judge on a **Bland-Altman plot** (right):
# for each clip, the *difference* (measured − true) against the *mean* of the two.
#
# * the solid line is the **bias**, the mean difference: a systematic over- or
#   under-estimate;
# * the dashed lines are the **95 % limits of agreement**, bias ± 1.96 × SD of the
#   differences: for 95 % of clips like these, the measured area lies within that
#   range of the true one;
# * a trend of the differences with the mean would mean the error grows with jet size
#   (then look at relative errors, or log-transform).

# %%
true_max = scores["true_max_cm2"].to_numpy()
meas_max = scores["measured_max_cm2"].to_numpy()
diff, mean = meas_max - true_max, (meas_max + true_max) / 2
bias, sd = diff.mean(), diff.std(ddof=1)
loa = (bias - 1.96 * sd, bias + 1.96 * sd)
colours = [plot.PRE_COLOUR if c.endswith("pre") else plot.POST_COLOUR for c in scores.index]

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
top = max(true_max.max(), meas_max.max()) * 1.1
left.plot([0, top], [0, top], color="0.5", linewidth=1, label="identity")
left.scatter(true_max, meas_max, c=colours, edgecolor="black", zorder=3)
left.set_xlim(0, top)
left.set_ylim(0, top)
left.set_aspect("equal")
left.set_xlabel("true max jet area (cm²)")
left.set_ylabel("measured max jet area (cm²)")
left.set_title("Measured vs true (blue pre, orange post)", fontsize=10)
left.legend(fontsize=8, loc="upper left")

right.scatter(mean, diff, c=colours, edgecolor="black", zorder=3)
right.axhline(0, color="0.6", linewidth=1)
right.axhline(bias, color="black", linewidth=1.8)
for y in loa:
    right.axhline(y, color="black", linewidth=1.2, linestyle="--")
for y, label in (
    (bias, f"bias {bias:+.2f}"),
    (loa[1], f"+1.96 SD: {loa[1]:+.2f}"),
    (loa[0], f"−1.96 SD: {loa[0]:+.2f}"),
):
    right.annotate(
        label,
        (1, y),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9,
    )
right.set_xlim(0, mean.max() * 1.3)  # room for the labels on the right
span = max(abs(loa[0]), abs(loa[1]), abs(diff).max()) * 1.6
right.set_ylim(-span, span)
right.set_xlabel("mean of measured and true (cm²)")
right.set_ylabel("measured − true (cm²)")
right.set_title("Bland-Altman: max jet area", fontsize=10)
right.grid(True, alpha=0.3)
plt.show()
print(
    f"bias {bias:+.3f} cm², 95 % limits of agreement {loa[0]:+.3f} to {loa[1]:+.3f} cm² (n = {len(diff)} clips)"
)
rel = 100 * diff / true_max
r = np.corrcoef(mean, diff)[0, 1]
print(
    f"relative difference: mean {rel.mean():+.1f} %, SD {rel.std(ddof=1):.1f} %; "
    f"correlation of the difference with the mean r = {r:+.2f}"
)

# %% [markdown]
# **Reading it.** Look first for a trend: when the differences grow with the mean
# (a correlation well above 0 above), the error is *proportional* to the jet's size, and
# a relative bias (in %) describes it better than one in cm² — a constant bias line
# then over-states the error of small jets and under-states that of large ones. Here
# a small systematic over-estimate is expected: JPEG compression smears the jet's
# colour into neighbouring pixels, which the segmentation partly counts.
#
# The bias and limits are in cm²; compare them with the ASE cut-offs
# (4 and 10 cm²): limits of agreement a few tenths of a cm² wide mean the measurement
# error almost never changes a jet's class, except for jets that sit right at a
# cut-off. With 12 clips the limits themselves are uncertain (their own 95 % CI is
# roughly ± 0.76 SD); the benchmark uses larger sets.
#
# ## What this validates, and what it does not
#
# * It validates the **segmentation and the measurement**: given a colour-Doppler clip,
#   echoassess finds the pixels the regurgitant jet coloured and measures their area
#   in the file's calibrated units.
# * It does **not** validate colour-jet area as a measure of MR: the truth here is the
#   coloured area on the screen, which itself depends on the machine settings (see
#   notebook 02) and differs from the true regurgitant volume.
# * Synthetic clips are cleaner than real ones in places (no lung artefact, no
#   out-of-plane motion) and harder in others (deliberate confounders). Agreement with
#   expert tracings on real clips is the next step; the same Bland-Altman code applies,
#   with a reader's tracing in place of the truth.

# %%
work.cleanup()
