"""The overwrite rule in the library API (build, export, features, write_dataset) and as a predicate."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recdata import _atomic
from recdata.errors import UsageError
from recdata.exporters import export
from recdata.features import add_features
from recdata.pipeline import build
from tests.safety.conftest import raw_dir, recipe_file, tree_hashes, user_files

SMALL = ["size=600", "n_users=40", "n_items=30"]


def _syn(out: Path, *extra: str) -> Path:
    return build("synthetic", out=out, overrides=[*SMALL, *extra], features=False)


def test_build_refuses_the_raw_dir(tmp_path: Path) -> None:
    raw = raw_dir(tmp_path / "R")
    before = tree_hashes(raw)
    with pytest.raises(UsageError, match="raw-dir"):
        build(recipe_file(tmp_path), raw_dir=raw, out=raw, overwrite=True)
    assert tree_hashes(raw) == before


def test_build_refuses_a_folder_of_user_files(tmp_path: Path) -> None:
    out = user_files(tmp_path / "mine")
    before = tree_hashes(out)
    with pytest.raises(UsageError, match="notes.txt"):
        build("synthetic", out=out, overrides=SMALL, features=False, overwrite=True)
    assert tree_hashes(out) == before


def test_build_refuses_the_cwd(env: SimpleNamespace) -> None:
    user_files(env.cwd)
    before = tree_hashes(env.cwd)
    with pytest.raises(UsageError, match="current directory"):
        build("synthetic", out=".", overrides=SMALL, features=False, overwrite=True)
    with pytest.raises(UsageError, match="current directory"):
        build("synthetic", out=env.cwd.parent, overrides=SMALL, features=False, overwrite=True)
    assert tree_hashes(env.cwd) == before


def test_build_refuses_a_recdata_folder_holding_a_user_file(tmp_path: Path) -> None:
    out = _syn(tmp_path / "d")
    (out / "splits" / "my-analysis.ipynb").write_text("{}", encoding="utf8")
    before = tree_hashes(out)
    with pytest.raises(UsageError, match="my-analysis.ipynb"):
        build("synthetic", out=out, overrides=SMALL, features=False, overwrite=True)
    assert tree_hashes(out) == before


def test_export_refuses_its_source(tmp_path: Path) -> None:
    src = _syn(tmp_path / "X")
    before = tree_hashes(src)
    with pytest.raises(UsageError, match="source"):
        export(src, to="recbole", out=src, overwrite=True)
    with pytest.raises(UsageError, match="source"):
        export(src, to="recbole", out=tmp_path, overwrite=True)
    assert tree_hashes(src) == before


def test_export_refuses_a_folder_of_user_files(tmp_path: Path) -> None:
    src = _syn(tmp_path / "X")
    out = user_files(tmp_path / "mine")
    before = tree_hashes(out)
    with pytest.raises(UsageError, match="not written by recdata"):
        export(src, to="recbole", out=out, overwrite=True)
    assert tree_hashes(out) == before


def test_export_record_lists_every_file_it_wrote(tmp_path: Path) -> None:
    src = _syn(tmp_path / "X")
    out = export(src, to="recbole", out=tmp_path / "rb")
    record = json.loads((out / "recdata-export.json").read_text(encoding="utf8"))
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(record["files"]) == on_disk - {"recdata-export.json"}


def test_an_export_with_a_user_file_is_not_replaced(tmp_path: Path) -> None:
    src = _syn(tmp_path / "X")
    out = export(src, to="sasrec", out=tmp_path / "o")
    (out / "stale.txt").write_text("x", encoding="utf8")
    with pytest.raises(UsageError, match="stale.txt"):
        export(src, to="sasrec", out=out, overwrite=True)
    assert (out / "stale.txt").read_text(encoding="utf8") == "x"


def test_features_refuse_a_folder_with_a_user_file(tmp_path: Path) -> None:
    out = _syn(tmp_path / "d")
    (out / "notes.txt").write_text("mine", encoding="utf8")
    before = tree_hashes(out)
    with pytest.raises(UsageError, match="notes.txt"):
        add_features(out, graphs=True)
    assert tree_hashes(out) == before


def test_features_refuse_a_folder_containing_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _syn(tmp_path / "d")
    monkeypatch.chdir(out / "splits")
    before = tree_hashes(out)
    with pytest.raises(UsageError, match="current directory"):
        add_features(out, graphs=True)
    assert tree_hashes(out) == before


def test_replaces_empty_and_recdata_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _syn_over(empty).is_dir()
    out = _syn(tmp_path / "d")
    (out / "build.log").write_text("timings", encoding="utf8")
    (out / "report.html").write_text("<p>", encoding="utf8")
    _syn_over(out, "seed=3")
    assert json.loads((out / "manifest.json").read_text())["recipe"]["synthetic"]["seed"] == 3
    assert not (out / "report.html").exists()
    added = add_features(out, graphs=True)  # a features update is a replacement of a recdata folder
    assert (added / "graphs" / "user_item.parquet").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporaries


def _syn_over(out: Path, *extra: str) -> Path:
    return build("synthetic", out=out, overrides=[*SMALL, *extra], features=False, overwrite=True)


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x", encoding="utf8")
    with pytest.raises(UsageError, match="not a folder"):
        _atomic.check_target(target, overwrite=True)
    assert target.read_text(encoding="utf8") == "x"


def test_a_foreign_manifest_is_not_recdata(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "manifest.json").write_text('{"version": 3, "files": ["a"]}', encoding="utf8")
    (out / "a").write_text("a", encoding="utf8")
    with pytest.raises(UsageError, match="not written by recdata"):
        _atomic.check_target(out, overwrite=True)


# --------------------------------------------------------------------------- the placement rule

PLACES = ["a", "a/b", "a/b/c", "a/d", "e", "e/f"]


def _reference_refuses(out: str, raw: str, cache: str, cwd: str, home: str) -> bool:
    """Obvious rule over resolved path strings: related to raw/cache, or holding cwd/home."""

    def inside(child: str, parent: str) -> bool:
        return child == parent or child.startswith(parent.rstrip("/") + "/")

    return (
        any(inside(out, p) or inside(p, out) for p in (raw, cache))
        or inside(cwd, out)
        or inside(home, out)
    )


def _recdata_folder(folder: Path) -> None:
    """A folder recdata could have written: a manifest listing the one file beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "interactions.parquet").write_bytes(b"PAR1")
    manifest = {
        "format_version": "1",
        "name": "x",
        "files": {"interactions.parquet": {"sha256": "0", "bytes": 4}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf8")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    out=st.sampled_from(PLACES),
    raw=st.sampled_from(PLACES),
    cache=st.sampled_from(PLACES),
    cwd=st.sampled_from(PLACES),
    home=st.sampled_from(PLACES),
    spelling=st.sampled_from(["plain", "dotdot", "symlink"]),
)
def test_placements_follow_the_reference(
    out: str,
    raw: str,
    cache: str,
    cwd: str,
    home: str,
    spelling: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp).resolve() / "t"
        for place in PLACES:
            (base / place).mkdir(parents=True, exist_ok=True)
        _recdata_folder(base / out)
        monkeypatch.setenv("HOME", str(base / home))
        monkeypatch.setenv("RECDATA_HOME", str(base / cache))
        monkeypatch.chdir(base / cwd)
        spelled = {
            "plain": base / out,
            "dotdot": base / "e" / ".." / out,
            "symlink": Path(tmp) / "link",
        }[spelling]
        if spelling == "symlink":
            spelled.symlink_to(base / out, target_is_directory=True)
        expect = _reference_refuses(*(str(base / p) for p in (out, raw, cache, cwd, home)))
        try:
            _atomic.check_target(spelled, overwrite=True, protect={"--raw-dir": [base / raw]})
        except UsageError:
            refused = True
        else:
            refused = False
        # a folder holding another place holds folders its manifest does not list, but those are
        # empty folders: the placement rule alone must decide
        assert refused == expect, (out, raw, cache, cwd, home, spelling)
        os.chdir("/")
