# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · A cohort: batch analysis, tables, plots and a paired statistic
#
# A study rarely has one patient. This notebook
#
# 1. generates a small synthetic cohort (8 patients, a pre-clip and a post-clip clip
#    each) into a temporary folder;
# 2. analyses every clip with the batch engine, `echoassess.run_batch` (the Python side
#    of `echoassess batch INPUT... --out DIR --pairs manifest.csv`);
# 3. loads the result tables with pandas;
# 4. draws the cohort plots;
# 5. works one statistic through: the **paired reduction of the maximal jet area, with
#    a 95 % confidence interval**, and says in words what it means.
#
# Frames are kept small (240 × 320 pixels) so the whole notebook runs in well under a
# minute on a laptop; a real cohort is analysed the same way, only slower.

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import echoassess
from echoassess import plot
from echoassess.synthetic import make_cohort

work = tempfile.TemporaryDirectory()  # removed in the last cell
WORK = Path(work.name)

# %% [markdown]
# ## 1 · A synthetic cohort
#
# `make_cohort(folder, n, seed=...)` writes `patientNNN/pre.dcm` and `post.dcm` for
# each patient (JPEG-compressed DICOM, like most colour clips from real machines), a
# `.truth.npz` beside each clip, and `manifest.csv`, which says which clip is *pre* and
# which is *post* for each patient (plus the true areas, since these are synthetic).
# Every patient gets a different heart, jet (central or eccentric, one or two jets),
# machine settings and colour map; the same seed always gives the same cohort.

# %%
COHORT = WORK / "cohort"
manifest_path = make_cohort(COHORT, 8, seed=2024, rows=240, cols=320)
manifest = pd.read_csv(manifest_path)
manifest

# %% [markdown]
# ## 2 · Run the batch
#
# `run_batch(inputs, out_dir, pairs=manifest)` walks the input folders, analyses every
# colour-Doppler clip in worker processes (one bad file never stops the run), writes
# one record per file as soon as it is done, and then the tables:
#
# | file | one row per |
# |---|---|
# | `clips.csv` | analysed clip: settings, maximal jet area, jets, ASE class, status |
# | `errors.csv` | failure, with the reason (unreadable file, incomplete pair ...) |
# | `skipped.csv` | file that is not a colour-Doppler clip (here: the manifest and truth files) |
# | `comparisons.csv` | pre/post pair: both areas, reduction, class change, settings, warnings |
# | `sr/*.dcm`, `srs.csv` | analysed clip (with `sr=True`): a DICOM Structured Report for the PACS (section 6) |
#
# Patients appear only as a salted hash (`patient_hash`); the salt is kept in
# `out/salt.key` — share the tables, never the salt. Without a manifest,
# `pair_by="study-time"` pairs each patient's earliest and latest colour series.

# %%
OUT = WORK / "batch-out"
out = echoassess.run_batch([COHORT], OUT, pairs=manifest_path, workers=2, sr=True)
print(
    f"{out.n_files} files: {out.n_ok} analysed, {out.n_failed} failed, {out.n_skipped} skipped "
    f"in {out.elapsed_s:.0f} s"
)
sorted(p.name for p in OUT.iterdir() if not p.name.startswith("."))

# %% [markdown]
# **Resuming.** Run the same batch again and every clip whose file, parameters and
# algorithm version are unchanged is reused from its record instead of re-analysed —
# a killed run over thousands of files picks up where it stopped. Here the second run
# also switches to pairing by acquisition time, which needs no manifest.

# %%
again = echoassess.run_batch([COHORT], OUT, pair_by="study-time", workers=2, sr=True)
print(f"second run: {again.n_reused} reused, {again.n_analysed} analysed, {again.elapsed_s:.1f} s")

# %% [markdown]
# ## 3 · Load the tables with pandas
#
# Plain CSV files, one row per clip / pair: any tool reads them.

# %%
clips = pd.read_csv(OUT / "clips.csv")
errors = pd.read_csv(OUT / "errors.csv")
skipped = pd.read_csv(OUT / "skipped.csv")
comparisons = pd.read_csv(OUT / "comparisons.csv")
print(f"clips {clips.shape}, errors {errors.shape}, skipped {skipped.shape}, comparisons {comparisons.shape}")
clips[
    [
        "file",
        "status",
        "frames",
        "frame_rate_hz",
        "calibration_source",
        "max_jet_area_cm2",
        "n_jets",
        "jet_area_class",
        "seconds",
    ]
]

# %%
skipped["reason"].value_counts()

# %%
comparisons["patient"] = comparisons["pre_file"].map(lambda f: Path(f).parent.name.replace("patient", "P"))
comparisons.set_index("patient").sort_index()[
    [
        "status",
        "pre_max_jet_area",
        "post_max_jet_area",
        "area_reduction",
        "area_reduction_pct",
        "pre_n_jets",
        "post_n_jets",
        "class_change",
        "settings_match",
    ]
].round(2)

# %% [markdown]
# Each patient is labelled by its folder name (`P001` ...; never a patient name).
# Keep only the complete pairs (`status == "ok"`). The `warnings` column says what
# to check per pair; count them across the cohort. A warning every pair shares points
# at the acquisition protocol or at what the files record, not at one patient (a
# setting that is not recorded cannot be checked). A warning on a few pairs — say, a
# frame rate that changed between the pre and post acquisitions — marks the pairs to
# review, or to leave out in a sensitivity analysis.

# %%
pairs = comparisons[comparisons["status"] == "ok"].set_index("patient").sort_index()
print(f"{len(pairs)} complete pairs of {len(comparisons)}")
warnings = pairs["warnings"].str.split(" | ", regex=False).explode()
warnings.str.replace(r"\s*\(.*?\)", "", regex=True).value_counts()  # values in brackets dropped

# %% [markdown]
# How the ASE jet-area class moved, patient by patient:

# %%
pd.crosstab(pairs["pre_class"], pairs["post_class"], margins=True)

# %% [markdown]
# ## 4 · Cohort plots
#
# * **Left, `plot_cohort`**: one line per patient from the pre-clip to the post-clip
#   maximal jet area, over the ASE bands; the thick black line joins the medians. Lines
#   that go up, or stay in the severe band, are the patients to look at.
# * **Right, `plot_reduction_distribution`**: the per-patient % reduction; the black
#   line is the median. A jet that grew would show as a negative reduction.
#
# `plot.cohort_figure(...)` draws the same two panels in one call (it is what the batch
# saves as `cohort.png`).

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
plot.plot_cohort(
    pairs["pre_max_jet_area"],
    pairs["post_max_jet_area"],
    ax=left,
    title=f"Max colour-jet area, pre -> post (n = {len(pairs)})",
)
plot.plot_reduction_distribution(pairs["area_reduction_pct"], ax=right, title="Reduction per patient")
plt.show()

# %% [markdown]
# ## 5 · A worked statistic: the paired reduction, with a 95 % confidence interval
#
# Each patient is their own control, so the analysis works on the **paired
# differences** `d = pre − post` (cm²), not on the two groups of areas.
#
# **(a) Mean absolute reduction, t-interval.** With `n` patients, the 95 % confidence
# interval of the mean difference is `mean(d) ± t(0.975, n−1) · sd(d) / √n`. It assumes
# the differences are roughly normal — with 8 patients, look at them (the plot above)
# rather than test it.

# %%
d = (pairs["pre_max_jet_area"] - pairs["post_max_jet_area"]).to_numpy()
n = len(d)
mean_d, se_d = d.mean(), d.std(ddof=1) / np.sqrt(n)
t_crit = stats.t.ppf(0.975, df=n - 1)
ci_d = (mean_d - t_crit * se_d, mean_d + t_crit * se_d)
test = stats.ttest_rel(pairs["pre_max_jet_area"], pairs["post_max_jet_area"])
print(f"n = {n} patients")
print(
    f"mean reduction {mean_d:.2f} cm², 95 % CI {ci_d[0]:.2f} to {ci_d[1]:.2f} cm² (t = {test.statistic:.2f}, p = {test.pvalue:.2g})"
)

# %% [markdown]
# **(b) Mean % reduction, bootstrap interval.** A percentage is a ratio, bounded at
# 100 % and often skewed, so the t-interval's normality is doubtful. The percentile
# bootstrap makes no such assumption: resample the patients with replacement many
# times, recompute the mean each time, and take the middle 95 % of those means. The
# random generator is seeded, so the interval is the same on every run.

# %%
pct = pairs["area_reduction_pct"].to_numpy()
rng = np.random.default_rng(20240917)
boot = rng.choice(pct, size=(10_000, n), replace=True).mean(axis=1)
ci_pct = np.percentile(boot, [2.5, 97.5])
print(f"mean % reduction {pct.mean():.0f} %, 95 % bootstrap CI {ci_pct[0]:.0f} to {ci_pct[1]:.0f} %")
print(f"median % reduction {np.median(pct):.0f} % (range {pct.min():.0f} to {pct.max():.0f} %)")

fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
ax.hist(boot, bins=40, color=plot.POST_COLOUR, alpha=0.8)
for x in ci_pct:
    ax.axvline(x, color="black", linestyle="--", linewidth=1)
ax.axvline(pct.mean(), color="black", linewidth=2)
ax.set_xlabel("bootstrap mean % reduction")
ax.set_ylabel("resamples")
ax.set_title("Bootstrap distribution of the mean % reduction (dashed: 95 % interval)", fontsize=10)
plt.show()

# %%
from IPython.display import Markdown, display

display(
    Markdown(
        f"**In words:** across these {n} patients, the MitraClip reduced the maximal colour-jet area by "
        f"{mean_d:.1f} cm² on average (95 % CI {ci_d[0]:.1f} to {ci_d[1]:.1f} cm²), that is by "
        f"{pct.mean():.0f} % of the pre-clip area (95 % CI {ci_pct[0]:.0f} to {ci_pct[1]:.0f} %). "
        f"{(pairs['post_class'] == 'mild').sum()} of {n} patients ended with a mild jet area."
    )
)

# %% [markdown]
# **A sensitivity analysis.** Repeat the estimate on the pairs whose settings matched
# (`settings_match`): if the answer moves a lot, the settings changes matter.

# %%
matched = pairs[pairs["settings_match"]]
d_m = (matched["pre_max_jet_area"] - matched["post_max_jet_area"]).to_numpy()
if len(d_m) >= 2:
    half = stats.t.ppf(0.975, df=len(d_m) - 1) * d_m.std(ddof=1) / np.sqrt(len(d_m))
    print(
        f"{len(d_m)} pairs with matching settings: mean reduction {d_m.mean():.2f} cm², "
        f"95 % CI {d_m.mean() - half:.2f} to {d_m.mean() + half:.2f} cm²"
    )
else:
    print(f"only {len(d_m)} pair(s) with matching settings: too few for an interval")

# %% [markdown]
# **How to read the interval.** If the study were repeated many times on new patients
# like these, 95 % of the intervals built this way would contain the true mean
# reduction. An interval that excludes 0 cm² says the jet area fell on average; its
# *width* says how precisely 8 patients pin the size of that fall down — quote the
# interval, not only the p-value.
#
# **What it does not say.** It is the reduction in *colour-jet area*, under whatever
# settings each pair was acquired with (check `settings_match` and the warnings
# column), not a reduction in MR grade. Eight synthetic patients stand in for a real
# cohort here; with real data also ask who is missing (`errors.csv`, unpaired
# patients) and whether the post-clip clips were harder to measure (artefacts from
# the device; see notebook 02).
#
# Since these patients are synthetic, we can also compare with the true reduction
# from the manifest (notebook 04 does this properly, per frame):

# %%
truth = manifest.assign(patient=manifest["pre"].map(lambda f: Path(f).parent.name.replace("patient", "P")))
truth = truth.set_index("patient")
true_pct = 100 * (1 - truth["post_max_area_cm2"] / truth["pre_max_area_cm2"])
check = pd.DataFrame({"measured %": pairs["area_reduction_pct"], "true %": true_pct}).round(1)
check["difference"] = check["measured %"] - check["true %"]
check

# %% [markdown]
# ## 6 · The structured reports: from DICOM back into pandas
#
# With `sr=True` (`--sr` on the command line) the batch also wrote one DICOM
# Structured Report (TID 1500) per analysed clip into `OUT/sr/` — the objects that
# `echoassess batch --dicomweb URL --study UID --sr --store` sends to the PACS, where
# viewers show the jet outlines on the measured frame. Unlike the tables they carry the
# patient module (a DICOM object for the patient's record must), so they stay inside
# the hospital. `echoassess.dicom.sr.read_clip_sr` reads one back; a cohort's SRs, from
# this folder or retrieved from the PACS, make a table:

# %%
from echoassess.dicom.sr import read_clip_sr

keys = [
    "source_sop_instance_uid",
    "status",
    "n_jets",
    "max_jet_area_cm2",
    "frame_number",
    "nyquist_cm_s",
    "algorithm",
]
from_srs = pd.DataFrame([{k: read_clip_sr(p)[k] for k in keys} for p in sorted((OUT / "sr").glob("*.dcm"))])
from_srs.head()

# %% [markdown]
# The SRs hold the same numbers as `clips.csv` (the SR keeps full precision, the table
# four decimals):

# %%
both = from_srs.merge(
    clips, left_on="source_sop_instance_uid", right_on="sop_instance_uid", suffixes=("_sr", "_csv")
)
gap = (both["max_jet_area_cm2_sr"] - both["max_jet_area_cm2_csv"]).abs().max()
print(f"{len(from_srs)} SRs for {len(clips)} clips; largest area difference {gap:.5f} cm²")

# %%
work.cleanup()
