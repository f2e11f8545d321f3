"""A seeded DICOM mutator and a fork-per-mutant runner, for hostile-input tests.

Used by ``tests/fuzz/test_fuzz.py`` (a few hundred mutants in CI) and by
``benchmarks/fuzz.py`` (thousands, with a table of outcomes).

Mutants start from small synthetic colour-Doppler clips (``echoassess.synthetic``)
whose identity elements (patient name and ID, other IDs, institution, referring
physician, accession number) carry marker strings, so that a leak of any of
them into any output is detectable. Each mutant is run in a forked child (the
parent imports echoassess once) under an address-space limit and an alarm:
the child runs the library (``load_clip`` -> ``summary`` -> ``analyze_clip`` ->
``to_dict``) and then the CLI (``echoassess check --json``) with its stdout
and stderr captured, and reports in a file the parent reads once it has exited
(a report can exceed a pipe's buffer).
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import struct
import sys
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Marker strings planted in identity elements; none may reach any output.
IDENTITY = {
    "PatientName": "QZXNAME^LEAKY",
    "PatientID": "QZXID4471",
    "OtherPatientIDs": "QZXOTHER88",
    "InstitutionName": "QZXHOSPITAL",
    "ReferringPhysicianName": "QZXDOCTOR^REF",
    "AccessionNumber": "QZXACC55",
    "PatientBirthDate": "19450317",
}
#: What is searched for in outputs: the common prefix catches partial values,
#: the birth date catches the one marker without it.
LEAK_MARKERS = ("QZX", "19450317")

MUTATIONS = ("flip", "truncate", "header", "sequence", "syntax", "junk", "identity_vr", "offsets")


# -- base clips ----------------------------------------------------------------------
def base_clips(workdir: Path) -> list[tuple[str, bytes]]:
    """Small clips in both encodings with identity planted: ``[(name, bytes)]``."""
    from echoassess.synthetic import SceneParams, generate_clip

    out = []
    for k, (rows, cols, frames, enc) in enumerate(
        [(96, 128, 4, "rgb"), (96, 128, 5, "jpeg"), (112, 144, 6, "rgb")]
    ):
        clip = generate_clip(SceneParams(rows=rows, cols=cols, n_frames=frames), rng=100 + k)
        ds = clip.to_dataset(encoding=enc)
        for keyword, value in IDENTITY.items():
            setattr(ds, keyword, value)
        path = workdir / f"base{k}.dcm"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.save_as(path, enforce_file_format=True)
        out.append((f"{enc}{rows}x{cols}", path.read_bytes()))
    return out


# -- the mutator ---------------------------------------------------------------------
def _pixel_start(data: bytes) -> int:
    i = data.rfind(b"\xe0\x7f\x10\x00")
    return i if i > 0 else len(data)


def _find(data: bytes, group: int, elem: int) -> int:
    return data.find(struct.pack("<HH", group, elem), 132)


def _dataset(data: bytes):
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data))


def _save(ds) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(buf, enforce_file_format=False)
    return buf.getvalue()


_HOSTILE_NUMBERS = (0, 1, 2, 4, 8, 63, 64, 4095, 65535)  # US elements
_HOSTILE_FLOATS = (0.0, -1.0, 1e-311, 1e-200, 1e-30, 1e200, 1e308, 50.0, float("nan"), float("inf"))
_SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.80",
    "1.2.3.4.5.6",
    "QZXID4471",
    "",
)


def mutate(base: bytes, rng: np.random.Generator, kind: str | None = None) -> tuple[str, bytes]:
    """One mutant of ``base``: ``(description, bytes)``; the same rng state gives the same mutant."""
    kind = kind or MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    data = bytearray(base)
    pix = _pixel_start(base)
    if kind == "flip":
        n = int(rng.integers(1, 12))
        # mostly in the header, where a flipped byte changes meaning
        hi = pix + 16 if rng.random() < 0.85 else len(data)
        for pos in rng.integers(128, hi, size=n):
            data[int(pos)] ^= 1 << int(rng.integers(8))
        return f"flip x{n}", bytes(data)
    if kind == "truncate":
        cut = int(rng.integers(0, len(data)))
        return f"truncate at {cut}", bytes(data[:cut])
    if kind == "junk":
        how = int(rng.integers(4))
        junk = rng.integers(0, 256, size=int(rng.integers(1, 4096)), dtype=np.uint8).tobytes()
        if how == 0:
            return "junk only", junk
        if how == 1:
            return "DICM + junk", b"\0" * 128 + b"DICM" + junk
        if how == 2:
            return "junk appended", bytes(data) + junk
        pos = int(rng.integers(132, len(data)))
        return "junk inserted", bytes(data[:pos]) + junk + bytes(data[pos:])
    if kind == "identity_vr":
        # damage the VR or the length of an identity element, so that its value
        # is read as something else (and quoted by pydicom's error messages)
        tags = [
            (0x0010, 0x0010),
            (0x0010, 0x0020),
            (0x0010, 0x1000),
            (0x0008, 0x0080),
            (0x0008, 0x0090),
            (0x0008, 0x0050),
            (0x0010, 0x0030),
        ]
        g, e = tags[int(rng.integers(len(tags)))]
        i = _find(base, g, e)
        if i < 0:
            return "identity_vr (absent)", bytes(data)
        what = int(rng.integers(4))
        if what == 0:
            vr = [b"UN", b"OB", b"SQ", b"XX", b"\x00\x00", b"FD", b"US", b"AT", b"UL", b"DS", b"IS", b"DA"][
                int(rng.integers(12))
            ]
            data[i + 4 : i + 6] = vr
        elif what == 1:
            data[i + 6 : i + 8] = struct.pack("<H", int(rng.integers(0, 65536)))
        elif what == 2:
            data[i + 4 : i + 6] = b"DS" if rng.random() < 0.5 else b"IS"
        else:
            data[i + 4 : i + 6] = b"AT"
        return f"identity VR/length ({g:04X},{e:04X})", bytes(data)
    if kind == "sequence":
        i = _find(base, 0x0018, 0x6011)
        if i < 0:
            return "sequence (absent)", bytes(data)
        what = int(rng.integers(4))
        if what == 0:  # sequence length
            data[i + 8 : i + 12] = struct.pack("<L", int(rng.choice([0, 1, 7, 0xFFFFFFFF, 10**6])))
        elif what == 1:  # first item's tag or length
            j = base.find(b"\xfe\xff\x00\xe0", i)
            data[j + int(rng.integers(0, 8))] ^= 0xFF
        elif what == 2:  # an item delimiter dropped in
            j = base.find(b"\xfe\xff\x00\xe0", i + 12)
            data[j : j + 8] = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
        else:  # the sequence VR
            data[i + 4 : i + 6] = [b"UN", b"OB", b"LO"][int(rng.integers(3))]
        return f"broken sequence ({what})", bytes(data)
    if kind == "syntax":
        ts = _SYNTAXES[int(rng.integers(len(_SYNTAXES)))]
        i = base.find(b"\x02\x00\x10\x00")
        old_len = struct.unpack("<H", base[i + 6 : i + 8])[0]
        value = ts.encode()
        if len(value) % 2:
            value += b"\0"
        new = bytes(data[: i + 6]) + struct.pack("<H", len(value)) + value + bytes(data[i + 8 + old_len :])
        # fix the meta group length so that only the syntax is wrong
        g = new.find(b"\x02\x00\x00\x00")
        if g >= 0:
            glen = struct.unpack("<L", new[g + 8 : g + 12])[0] + len(value) - old_len
            new = new[: g + 8] + struct.pack("<L", glen) + new[g + 12 :]
        return f"transfer syntax -> {ts!r}"[:60], new
    ds = _dataset(base)
    if kind == "offsets":
        if not ds.file_meta.TransferSyntaxUID.is_encapsulated:
            kind = "header"
        else:
            n = int(ds.get("NumberOfFrames", 1))
            big = int(rng.choice([10**12, 2**62, 2**40, 123456789]))
            ds.ExtendedOffsetTable = np.array([(big * k) % 2**64 for k in range(n)], "<u8").tobytes()
            ds.ExtendedOffsetTableLengths = np.full(n, big, "<u8").tobytes()
            return "bogus extended offset table", _save(ds)
    # header edits through pydicom: absurd but well-formed values
    region = ds.SequenceOfUltrasoundRegions[int(rng.integers(len(ds.SequenceOfUltrasoundRegions)))]
    choice = int(rng.integers(12))
    if choice == 0:
        ds.Rows = int(rng.choice(_HOSTILE_NUMBERS))
    elif choice == 1:
        ds.Columns = int(rng.choice(_HOSTILE_NUMBERS))
    elif choice == 2:
        ds.NumberOfFrames = str(int(rng.choice([0, 1, 3, 7, 1000, 10**9])))
    elif choice == 3:
        v = float(rng.choice(_HOSTILE_FLOATS))
        region.PhysicalDeltaX = v
        region.PhysicalDeltaY = v if rng.random() < 0.7 else float(rng.choice(_HOSTILE_FLOATS))
    elif choice == 4:
        for kw in (
            "RegionLocationMinX0",
            "RegionLocationMinY0",
            "RegionLocationMaxX1",
            "RegionLocationMaxY1",
        ):
            if rng.random() < 0.5:
                setattr(region, kw, int(rng.choice([0, 5000, 2**32 - 1, 95, 300])))
    elif choice == 5:
        ds.FrameTime = str(float(rng.choice([1e-300, 1e300, 0.0, -33.0, 1e-5])))[:16]
    elif choice == 6:
        ds.PhotometricInterpretation = str(
            rng.choice(["MONOCHROME2", "PALETTE COLOR", "YBR_FULL", "QZXID4471", "RGB "])
        )
    elif choice == 7:
        ds.BitsAllocated = int(rng.choice([0, 1, 12, 16, 64]))
    elif choice == 8:
        ds.SamplesPerPixel = int(rng.choice([0, 1, 4]))
    elif choice == 9:
        region.TransducerFrequency = int(rng.choice([0, 1, 2**32 - 1]))
        region.PulseRepetitionFrequency = int(rng.choice([0, 1, 2**32 - 1]))
    elif choice == 10:
        ds.Rows = 8
        ds.Columns = int(ds.Columns)
    else:
        region.ReferencePixelPhysicalValueY = float(rng.choice(_HOSTILE_FLOATS))
        region.ReferencePixelY0 = int(rng.choice([-(2**31), 0, 2**31 - 1]))
    return f"header edit {choice}", _save(ds)


# -- running one mutant ---------------------------------------------------------------
@dataclass
class Outcome:
    """What one mutant did. ``kind``: ok, error, crash, memory, signal, hang, cli."""

    name: str
    mutation: str
    kind: str
    detail: str = ""
    leak: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


def _child(path: str, mem_bytes: int, timeout_s: int, out_dir: str) -> dict:
    """Runs in the forked child: the library, then the CLI; returns the report."""
    import logging

    resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    signal.alarm(timeout_s)
    from echoassess import EchoAssessError, analyze_clip, load_clip

    log_buf = io.StringIO()
    handler = logging.StreamHandler(log_buf)
    handler.setLevel(logging.DEBUG)
    logging.getLogger("echoassess").addHandler(handler)
    logging.getLogger("echoassess").setLevel(logging.DEBUG)
    rep: dict = {"kind": "ok", "detail": "", "texts": []}
    caught = warnings.catch_warnings(record=True)
    seen = caught.__enter__()  # warnings reach a user's stderr: they are output too
    warnings.simplefilter("always")
    try:
        clip = load_clip(path)
        rep["texts"].append(json.dumps(clip.summary(), default=str, allow_nan=False))
        result = analyze_clip(clip)
        rep["texts"].append(json.dumps(result.to_dict(), allow_nan=False))
    except EchoAssessError as err:
        msg = str(err)
        rep["texts"].append(msg)
        if not msg.startswith(path):
            rep.update(kind="crash", detail=f"{type(err).__name__} without the file name")
        else:
            rep.update(kind="error", detail=type(err).__name__)
    except MemoryError:
        rep.update(kind="memory", detail="MemoryError")
    except ValueError as exc:
        if "JSON compliant" in str(exc) or "Out of range float" in str(exc):
            rep.update(kind="crash", detail="NaN/Infinity in JSON")
        else:
            rep.update(
                kind="crash", detail=f"ValueError: {traceback.format_exc(limit=-1).splitlines()[-1][:200]}"
            )
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        rep.update(kind="crash", detail=f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}")
    caught.__exit__(None, None, None)
    rep["texts"].extend(str(w.message) for w in seen)
    rep["texts"].append(log_buf.getvalue())
    logging.getLogger("echoassess").removeHandler(handler)
    # the CLI on the same file: its own stdout/stderr, exit status 0 or 1
    cli = _run_cli(["check", path, "--json"], out_dir)
    rep["cli"] = cli
    return rep


def _run_cli(args: list[str], out_dir: str) -> dict:
    from echoassess.cli import app

    out_path, err_path = os.path.join(out_dir, "stdout"), os.path.join(out_dir, "stderr")
    sys.stdout.flush(), sys.stderr.flush()
    saved_fds, saved_streams = (os.dup(1), os.dup(2)), (sys.stdout, sys.stderr)
    with open(out_path, "w", encoding="utf-8") as fo, open(err_path, "w", encoding="utf-8") as fe:
        # both the file descriptors and Python's streams (pytest replaces the latter)
        os.dup2(fo.fileno(), 1), os.dup2(fe.fileno(), 2)
        sys.stdout, sys.stderr = fo, fe
        try:
            app(args=args, prog_name="echoassess", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - anything escaping the CLI is a finding
            code = f"escaped {type(exc).__name__}"
        finally:
            fo.flush(), fe.flush()
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_fds[0], 1), os.dup2(saved_fds[1], 2)
            os.close(saved_fds[0]), os.close(saved_fds[1])
    return {"code": code}


def _vm_size_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_mutants(
    mutants,
    workdir: Path,
    *,
    jobs: int = 2,
    timeout_s: int = 30,
    mem_mb: int = 1024,
    on_outcome=None,
) -> list[Outcome]:
    """Run ``(name, mutation, bytes)`` mutants, ``jobs`` forked children at a time."""
    import time

    mem_bytes = _vm_size_bytes() + mem_mb * 1024**2
    running: dict[int, tuple] = {}
    outcomes: list[Outcome] = []
    it = iter(mutants)
    exhausted = False
    serial = 0
    while True:
        while not exhausted and len(running) < jobs:
            try:
                name, mutation, data = next(it)
            except StopIteration:
                exhausted = True
                break
            serial += 1  # fixed names: a random one could spell a marker
            d = workdir / f"mutant-run-{serial:06d}"
            d.mkdir()
            path = d / f"{name}.dcm"
            path.write_bytes(data)
            pid = os.fork()
            if pid == 0:  # the child
                code = 0
                try:
                    rep = _child(str(path), mem_bytes, timeout_s, str(d))
                    payload = json.dumps(rep).encode()
                except BaseException as exc:  # noqa: BLE001
                    payload = json.dumps(
                        {
                            "kind": "crash",
                            "detail": f"harness: {type(exc).__name__}",
                            "texts": [],
                            "cli": {"code": None},
                        }
                    ).encode()
                    code = 3
                with open(d / "report.json", "wb") as f:
                    f.write(payload)
                os._exit(code)
            running[pid] = (name, mutation, d, time.perf_counter())
        if not running:
            break
        pid, status = os.waitpid(-1, 0)
        if pid not in running:
            continue
        name, mutation, d, t0 = running.pop(pid)
        out = _judge(name, mutation, d, status)
        out.seconds = time.perf_counter() - t0
        outcomes.append(out)
        if on_outcome is not None:
            on_outcome(out)
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    return outcomes


def _judge(name: str, mutation: str, d: Path, status: int) -> Outcome:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGALRM:
            return Outcome(name, mutation, "hang", "over the time limit")
        return Outcome(name, mutation, "signal", signal.Signals(sig).name)
    try:
        rep = json.loads((d / "report.json").read_text())
    except (OSError, ValueError):
        return Outcome(name, mutation, "crash", "no report from the child")
    out = Outcome(name, mutation, rep["kind"], rep.get("detail", ""))
    texts = list(rep.get("texts", []))
    for stream in ("stdout", "stderr"):
        p = d / stream
        texts.append(p.read_text("utf-8", "replace") if p.exists() else "")
    stdout, stderr = texts[-2], texts[-1]
    for text in texts:
        for marker in LEAK_MARKERS:  # case-sensitive: the planted values are upper case
            if marker in text:
                i = text.index(marker)
                out.leak.append(text[max(0, i - 60) : i + 40].replace("\n", " "))
    code = rep.get("cli", {}).get("code")
    cli_problem = None
    if code == 0:
        try:
            json.loads(stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError:
            cli_problem = "check --json printed invalid JSON"
    elif code == 1:
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        if not lines or not lines[-1].startswith("error: "):
            cli_problem = "exit 1 without an 'error:' line"
        elif lines[-1].startswith("error: unexpected ") or "Traceback" in stderr:
            cli_problem = "CLI: " + lines[-1][:120]
    else:
        cli_problem = f"CLI exit status {code}"
    if cli_problem and out.kind in ("ok", "error"):
        out.kind, out.detail = "cli", cli_problem
    return out


def generate(bases: list[tuple[str, bytes]], n: int, seed: int):
    """``n`` mutants ``(name, mutation, bytes)``, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        bname, base = bases[k % len(bases)]
        mutation, data = mutate(base, rng)
        yield f"mutant{k:05d}_{bname}", mutation, data


def table(outcomes: list[Outcome]) -> list[tuple[str, int]]:
    """Outcome counts for the README table."""
    c: Counter = Counter()
    for o in outcomes:
        if o.kind == "error":
            c[f"EchoAssessError: {o.detail}"] += 1
        else:
            c[o.kind] += 1
    c["identity leak"] = sum(1 for o in outcomes if o.leak)
    order = (
        ["ok"]
        + sorted(k for k in c if k.startswith("EchoAssessError"))
        + ["crash", "cli", "signal", "hang", "memory", "identity leak"]
    )
    return [(k, c.get(k, 0)) for k in order]
