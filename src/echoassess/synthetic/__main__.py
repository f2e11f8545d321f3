"""Command line: ``python -m echoassess.synthetic {clip,world,cohort} ...``.

python -m echoassess.synthetic clip out/clip.dcm --seed 3 --post --png-dir out/png
python -m echoassess.synthetic world out/tee.dcm --seed 3 --view tee_me4c --texture coarse
python -m echoassess.synthetic cohort out/cohort -n 20 --seed 1 --rows 480 --cols 640
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _size(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--rows", type=int, default=None, help="frame height (default: 600)")
    ap.add_argument("--cols", type=int, default=None, help="frame width (default: 800)")
    ap.add_argument("--encoding", choices=("rgb", "jpeg", "jpeg420"), default="jpeg")
    ap.add_argument("--jpeg-quality", type=int, default=90)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m echoassess.synthetic", description=(__doc__ or "").splitlines()[0]
    )
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("clip", help="one random clip (.dcm + .truth.npz)")
    c.add_argument("out", type=Path, help="output .dcm path")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--post", action="store_true", help="after-MitraClip scene")
    c.add_argument("--png-dir", type=Path, default=None, help="also save every frame as PNG")
    _size(c)
    w = sub.add_parser("world", help="one random world clip: any view, texture, artefacts")
    w.add_argument("out", type=Path, help="output .dcm path")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--post", action="store_true", help="after-MitraClip scene")
    w.add_argument("--view", default=None, help="a4c, a2c, a3c, plax, tee_me4c, tee_comm, tee_lvot")
    w.add_argument("--texture", default=None, help="fine, coarse, edge_aliased, variance")
    w.add_argument(
        "--artefacts",
        default=None,
        help="clean, cursor_colour, frozen_ecg, no_ecg, overlays, zoom, frozen_overlays",
    )
    w.add_argument("--png-dir", type=Path, default=None, help="also save every frame as PNG")
    _size(w)
    k = sub.add_parser("cohort", help="N patients x pre/post + manifest.csv")
    k.add_argument("out", type=Path, help="output folder")
    k.add_argument("-n", "--patients", type=int, required=True)
    k.add_argument("--seed", type=int, default=0)
    _size(k)
    return ap


def _write_clip(args: argparse.Namespace, overrides: dict[str, int]) -> None:
    """``clip`` and ``world``: one clip, its truth and optionally PNG frames."""
    if args.command == "clip":
        from . import SceneParams, generate_clip

        params = SceneParams.random(args.seed, post_clip=args.post, **overrides)
        clip = generate_clip(params, rng=args.seed)
    else:
        from . import WorldParams, generate_world_clip

        wparams = WorldParams.random(
            args.seed,
            view=args.view,
            texture=args.texture,
            artefacts=args.artefacts,
            post_clip=args.post,
            **overrides,
        )
        clip = generate_world_clip(wparams, rng=args.seed)
    dcm, truth = clip.save(args.out, encoding=args.encoding, jpeg_quality=args.jpeg_quality)
    if args.png_dir is not None:
        import cv2

        args.png_dir.mkdir(parents=True, exist_ok=True)
        for i, frame in enumerate(clip.frames):
            cv2.imwrite(str(args.png_dir / f"{args.out.stem}_{i:03d}.png"), frame[..., ::-1])
    t = clip.truth
    print(
        f"{dcm} ({truth.name}): {clip.n_frames} frames, max jet area "
        f"{t.max_area_cm2:.2f} cm² on frame {t.max_frame}"
    )


def _write_cohort(args: argparse.Namespace, overrides: dict[str, int]) -> None:
    from .cohort import make_cohort

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} patients", end="", file=sys.stderr, flush=True)

    manifest = make_cohort(
        args.out,
        args.patients,
        seed=args.seed,
        encoding=args.encoding,
        jpeg_quality=args.jpeg_quality,
        progress=progress,
        **overrides,
    )
    print(file=sys.stderr)
    print(manifest)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; 0 on success, 2 on an echoassess error (printed)."""
    args = _parser().parse_args(argv)

    from ..errors import EchoAssessError

    overrides = {key: getattr(args, key) for key in ("rows", "cols") if getattr(args, key)}
    try:
        if args.command in ("clip", "world"):
            _write_clip(args, overrides)
        else:
            _write_cohort(args, overrides)
    except EchoAssessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
