"""atomic_folder: all-or-nothing folder writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from recdata._atomic import atomic_folder


def test_failure_leaves_the_old_folder_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("killed mid-write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_folder(out) as tmp:
        assert not (tmp / "old.txt").exists()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["new.txt"]


def test_seed_starts_from_a_copy(tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    with atomic_folder(out, seed=lambda tmp: shutil.copytree(out, tmp)) as tmp:
        (tmp / "added.txt").write_text("added")
    assert sorted(p.name for p in out.iterdir()) == ["added.txt", "keep.txt"]
