"""atomic_folder: all-or-nothing folder writes that replace only folders recdata wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from recdata._atomic import atomic_folder
from recdata.errors import UsageError


def _written(out: Path, **files: str) -> Path:
    """A folder as recdata leaves it: the files plus a manifest listing them."""
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    listed = {name: {"sha256": "-", "bytes": len(text)} for name, text in files.items()}
    (out / "manifest.json").write_text(json.dumps({"format_version": "1", "files": listed}))
    return out


def test_failure_leaves_the_old_folder_and_no_temporary(tmp_path: Path) -> None:
    out = _written(tmp_path / "out", **{"old.txt": "old"})
    with pytest.raises(RuntimeError), atomic_folder(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("killed mid-write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "old.txt"]


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    out = _written(tmp_path / "out", **{"old.txt": "old"})
    with atomic_folder(out, overwrite=True) as tmp:
        assert not (tmp / "old.txt").exists()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["new.txt"]


def test_seed_starts_from_a_copy(tmp_path: Path) -> None:
    out = _written(tmp_path / "out", **{"keep.txt": "keep"})

    def seed(tmp: Path) -> None:
        shutil.copytree(out, tmp, dirs_exist_ok=True)

    with atomic_folder(out, overwrite=True, seed=seed) as tmp:
        (tmp / "added.txt").write_text("added")
    assert sorted(p.name for p in out.iterdir()) == ["added.txt", "keep.txt", "manifest.json"]


def test_no_writer_can_replace_a_users_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    with pytest.raises(UsageError, match="already exists"), atomic_folder(out):
        pass
    with (
        pytest.raises(UsageError, match="not written by recdata"),
        atomic_folder(out, overwrite=True),
    ):
        pass
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
