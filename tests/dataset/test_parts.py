"""Tables written as folders of ordered parts: the layout, and every reader giving the same
results as for the one-file build of the same recipe."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from recdata import schema as S
from recdata.candidates import add_candidates
from recdata.dataset import Manifest, load, table_files
from recdata.exporters import EXPORT_RECORD, EXPORTERS, export
from recdata.pipeline import build
from recdata.statistics import stats
from recdata.validation import validate

SMALL = ["size=6000", "n_users=300", "n_items=150"]
PART = 700


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic recipe built twice: one file per table, and parts of ``PART`` rows; both
    with evaluation candidates (added to the folder afterwards, which rewrites it)."""
    root = tmp_path_factory.mktemp("parts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECDATA_HOME", str(root / "home"))
        single = build("synthetic", out=root / "single", overrides=SMALL)
        parts = build(
            "synthetic",
            out=root / "parts",
            overrides=[*SMALL, f"output.max_rows_per_file={PART}"],
        )
        for folder in (single, parts):
            add_candidates(folder, n=9, seed=1)
    return single, parts


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "build.log"
    }


def test_parts_layout_and_manifest(builds: tuple[Path, Path]) -> None:
    single, parts = builds
    manifest = Manifest.read(parts)
    n = pl.read_parquet(single / "interactions.parquet").height
    assert n > 3 * PART  # several parts
    files = table_files(manifest.files, "interactions.parquet")
    assert files == [f"interactions/part-{i:05d}.parquet" for i in range(-(-n // PART))]
    assert not (parts / "interactions.parquet").exists()
    rows = [manifest.files[f].rows for f in files]
    assert rows[:-1] == [PART] * (len(files) - 1) and sum(rows) == n  # type: ignore[arg-type]
    for f in files:
        assert pl.read_parquet(parts / f).height == manifest.files[f].rows
    train = table_files(manifest.files, "splits/loo/train.parquet")
    assert train[0] == "splits/loo/train/part-00000.parquet" and len(train) > 1
    # small tables stay single files
    assert table_files(manifest.files, "splits/loo/test.parquet") == ["splits/loo/test.parquet"]
    assert "items.parquet" in manifest.files
    assert manifest.recipe is not None
    assert manifest.recipe["output"] == {"max_rows_per_file": PART}
    # the parts concatenated are the one-file table, row for row
    assert_frame_equal(
        pl.concat([pl.read_parquet(parts / f) for f in files]),
        pl.read_parquet(single / "interactions.parquet"),
    )


def test_parts_are_deterministic(builds: tuple[Path, Path], tmp_path: Path) -> None:
    _, parts = builds
    again = build(
        "synthetic", out=tmp_path / "again", overrides=[*SMALL, f"output.max_rows_per_file={PART}"]
    )
    add_candidates(again, n=9, seed=1)
    assert _folder_bytes(again) == _folder_bytes(parts)


def test_load_validate_stats_equal(builds: tuple[Path, Path]) -> None:
    single, parts = builds
    a, b = load(single), load(parts)
    assert_frame_equal(a.interactions.collect(), b.interactions.collect())
    for part in ("train", "valid", "test"):
        assert_frame_equal(a.split("loo")[part].collect(), b.split("loo")[part].collect())
    for part in ("valid", "test"):
        assert_frame_equal(
            a.split("loo").candidates(part).collect(), b.split("loo").candidates(part).collect()
        )
    assert_frame_equal(a.items.collect(), b.items.collect())
    for key in a.graphs:
        assert_frame_equal(a.graphs[key].collect(), b.graphs[key].collect())
    report = validate(parts)
    assert report.ok, report.violations
    assert stats(parts) == stats(single)
    assert stats(parts, split="loo") == stats(single, split="loo")
    single_stats = Manifest.read(single).statistics
    assert Manifest.read(parts).statistics == single_stats


@pytest.mark.parametrize("to", sorted(EXPORTERS))
def test_every_exporter_reads_parts(to: str, builds: tuple[Path, Path], tmp_path: Path) -> None:
    if to == "hf":
        pytest.importorskip("datasets")
    if to == "graph":
        pytest.importorskip("scipy")
    if to == "semantic-ids":
        pytest.skip("reads only items and a features/ embedding table, never written as parts")
    single, parts = builds
    a = _folder_bytes(export(single, to=to, out=tmp_path / "a"))
    b = _folder_bytes(export(parts, to=to, out=tmp_path / "b"))
    record_a, record_b = json.loads(a.pop(EXPORT_RECORD)), json.loads(b.pop(EXPORT_RECORD))
    assert record_a["options"] == record_b["options"]
    if to == "hf":  # the datasets fingerprint in state.json is the source manifest's hash
        for rel in [rel for rel in a if rel.endswith("state.json")]:
            state_a, state_b = json.loads(a.pop(rel)), json.loads(b.pop(rel))
            assert state_a.pop("_fingerprint") != state_b.pop("_fingerprint")
            assert state_a == state_b
    assert a.keys() == b.keys() and a == b


def _copy(folder: Path, to: Path) -> Path:
    import shutil

    return Path(shutil.copytree(folder, to))


def test_corrupted_part_is_named(builds: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(builds[1], tmp_path / "d")
    target = folder / "interactions" / "part-00001.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    report = validate(folder)
    bad = [v for v in report.violations if v.check == "checksum"]
    assert [v.file for v in bad] == ["interactions/part-00001.parquet"]


def test_missing_part_is_named(builds: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(builds[1], tmp_path / "d")
    (folder / "splits" / "loo" / "train" / "part-00002.parquet").unlink()
    report = validate(folder)
    missing = [v.file for v in report.violations if v.check == "missing_file"]
    assert missing == ["splits/loo/train/part-00002.parquet"]


def test_part_dropped_from_manifest_is_a_gap(builds: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(builds[1], tmp_path / "d")
    (folder / "interactions" / "part-00001.parquet").unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["interactions/part-00001.parquet"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = validate(folder)
    missing = [v.file for v in report.violations if v.check == "missing_file"]
    assert missing == ["interactions/part-00001.parquet"]


def test_stray_part_is_unlisted(builds: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(builds[1], tmp_path / "d")
    n = len(table_files(Manifest.read(folder).files, "interactions.parquet"))
    stray = folder / "interactions" / f"part-{n:05d}.parquet"
    pl.read_parquet(folder / "interactions" / "part-00000.parquet").write_parquet(stray)
    report = validate(folder)
    assert [(v.check, v.file) for v in report.violations] == [
        ("unlisted_file", f"interactions/part-{n:05d}.parquet")
    ]


def test_parts_keep_sequence_checks(builds: tuple[Path, Path], tmp_path: Path) -> None:
    """A part swapped for another breaks interaction_idx = row position across parts."""
    folder = _copy(builds[1], tmp_path / "d")
    first, second = (folder / "interactions" / f"part-0000{i}.parquet" for i in (0, 1))
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    key_a, key_b = "interactions/part-00000.parquet", "interactions/part-00001.parquet"
    files[key_a], files[key_b] = files[key_b], files[key_a]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = validate(folder)
    assert "non_contiguous_index" in report.checks()
    assert any(v.file == "interactions.parquet" for v in report.violations)


def test_one_file_and_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the option a table is one file up to PART_ROWS rows; a bad value is refused."""
    import recdata.dataset._folder as folder_module
    from recdata.errors import RecipeError, UsageError

    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(folder_module, "PART_ROWS", 1000)
    out = build("synthetic", out=tmp_path / "auto", overrides=SMALL)
    manifest = Manifest.read(out)
    n = manifest.statistics["stages"]["final"]["interactions"]
    assert len(table_files(manifest.files, "interactions.parquet")) == -(-n // 1000)
    assert table_files(manifest.files, "items.parquet") == ["items.parquet"]
    with pytest.raises((RecipeError, UsageError), match="max_rows_per_file"):
        build("synthetic", out=tmp_path / "bad", overrides=[*SMALL, "output.max_rows_per_file=0"])
    assert S.INTERACTION in load(out).interactions.collect_schema().names()
