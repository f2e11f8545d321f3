"""Atomic writes (echoassess.store): whole or not at all, with the mode asked for."""

from __future__ import annotations

import stat

import pytest

from echoassess.store import FILE_MODE, PRIVATE_MODE, TEMP_GLOB, atomic_path, atomic_write


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_bytes_and_text_replace_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")
    assert atomic_write(path, "a,b\nü,2\n") == path
    assert path.read_bytes() == "a,b\nü,2\n".encode()
    atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and _mode(path) == FILE_MODE == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_private_mode_for_secrets(tmp_path):
    atomic_write(tmp_path / "salt.key", b"x\n", mode=PRIVATE_MODE)
    assert _mode(tmp_path / "salt.key") == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "clips.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="writer broke"):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer broke")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["clips.csv"]


def test_the_temporary_file_hides_the_suffix_unless_asked_and_matches_the_cleanup_glob(tmp_path):
    with atomic_path(tmp_path / "k.json") as tmp:
        assert tmp.name.startswith(".k.json.") and tmp.suffix == ".tmp"
        assert list(tmp_path.glob(TEMP_GLOB)) == [tmp] and not list(tmp_path.glob("*.json"))
    with atomic_path(tmp_path / "cohort.png", keep_suffix=True) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".cohort.png.")
        assert list(tmp_path.glob(TEMP_GLOB)) == [tmp]
        tmp.write_bytes(b"png")
    assert (tmp_path / "cohort.png").read_bytes() == b"png" and not list(tmp_path.glob(TEMP_GLOB))


def test_a_missing_folder_raises_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "x.csv", "x")
    assert not (tmp_path / "nope").exists()
