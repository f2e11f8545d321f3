"""A pair shares its view: clips that alone cannot tell a transthoracic from a
transoesophageal view, measured with the view of the pair's other clip.

Run by hand (not part of the test suite)::

    python benchmarks/pair_view.py --seeds 17000-17027 --cache /tmp/w17

For every patient of ``accuracy_world.py`` (the same draws and files), each clip
is analysed alone (``analyze_clip``); where one says "cannot measure" without a
view and the other read one, the pair is analysed as ``echoassess compare``
does (:func:`echoassess.workflows.analyse_pair`) and that clip's maximal jet
area is scored against the generator's truth (calibrated clips in cm^2,
uncalibrated ones in pixels).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from accuracy import parse_seeds  # beside this file
from accuracy_world import make_patient

from echoassess import analyze_clip
from echoassess.synthetic import load_truth, truth_path_for
from echoassess.workflows import analyse_pair


def _area(res, path: Path) -> tuple[float, float]:
    """(measured, true) maximal jet area of ``res`` in the truth's units."""
    t = load_truth(truth_path_for(path))
    px_cm2 = t.spacing_cm[0] * t.spacing_cm[1]
    return float(res.max_jet_area_px) * px_cm2, float(t.areas_cm2.max())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="17000-17027")
    ap.add_argument("--cache", type=Path, default=None, help="folder to keep/reuse the clips")
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory() if args.cache is None else None
    folder = Path(tmp.name) if tmp is not None else args.cache
    folder.mkdir(parents=True, exist_ok=True)
    undecided = measured = 0
    errors = []
    for s in parse_seeds(args.seeds):
        paths = make_patient(s, folder, False)
        alone = [analyze_clip(p) for p in paths]
        for k, (p, r) in enumerate(zip(paths, alone, strict=True)):
            other = alone[1 - k]
            if r.status != "cannot_measure" or r.diagnostics.view is not None:
                continue
            undecided += 1
            if other.diagnostics.view not in ("tte", "tee"):
                print(f"{p.name:18s} the other clip has no view either")
                continue
            pair = analyse_pair(*paths).comparison
            res = pair.post if k else pair.pre
            if res.status != "measured":
                print(f"{p.name:18s} still {res.status}: {res.status_reason}")
                continue
            measured += 1
            got, true = _area(res, p)
            errors.append(got / true - 1)
            print(
                f"{p.name:18s} view {res.diagnostics.view} from the other clip: "
                f"max {got:6.2f} / {true:6.2f} ({100 * errors[-1]:+6.1f} %) jets {res.n_jets_at_max}"
            )
    print(
        f"\nseeds {args.seeds}: {undecided} clip(s) could not tell the view alone; "
        f"{measured} measured with the pair's view"
        + (
            f", max-area error median {100 * np.median(np.abs(errors)):.1f} %, worst {100 * np.max(np.abs(errors)):.1f} %"
            if errors
            else ""
        )
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
