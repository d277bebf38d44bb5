"""The folder writer: deterministic bytes, atomic rename, checksummed manifest, lazy load."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from factory import small_manifest, small_tables

from recdata import schema as S
from recdata.dataset import (
    Manifest,
    file_sha256,
    load,
    manifest_hash,
    update_dataset,
    write_dataset,
)
from recdata.errors import SchemaError, UsageError


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_frames_give_byte_identical_folders(tmp_path: Path) -> None:
    a = write_dataset(tmp_path / "a", small_tables(), small_manifest())
    b = write_dataset(tmp_path / "elsewhere" / "b", small_tables(), small_manifest())
    assert tree_bytes(a) == tree_bytes(b)
    assert manifest_hash(a) == manifest_hash(b)


def test_item_text_bytes_do_not_depend_on_how_the_frame_is_chunked(tmp_path: Path) -> None:
    # enough distinct text that the writer's dictionary overflows and falls back part-way
    texts = pl.DataFrame(
        {
            S.ITEM: range(80_000),
            "text": [f"item {i} {i * 7919 % 100_003:06d}" for i in range(80_000)],
        }
    )
    folders = []
    for cut in (None, 20_000, 51_111):
        chunked = (
            texts
            if cut is None
            else pl.concat([texts.slice(0, cut), texts.slice(cut)], rechunk=False)
        )
        assert chunked.n_chunks() == (1 if cut is None else 2)
        tables = small_tables()
        tables.features = {"item_text": chunked}
        folders.append(write_dataset(tmp_path / f"f{cut}", tables, small_manifest()))
    files = [(f / "features" / "item_text.parquet").read_bytes() for f in folders]
    assert files[0] == files[1] == files[2]
    assert pl.read_parquet(folders[1] / "features" / "item_text.parquet").equals(
        texts.with_columns(pl.col(S.ITEM).cast(pl.Int32))
    )


def test_different_frames_give_different_hash(tmp_path: Path) -> None:
    a = write_dataset(tmp_path / "a", small_tables(), small_manifest())
    tables = small_tables()
    tables.users = tables.users.with_columns(pl.col(S.USER_ID).str.to_uppercase())
    b = write_dataset(tmp_path / "b", tables, small_manifest())
    assert manifest_hash(a) != manifest_hash(b)


def test_manifest_lists_every_file_with_checksum_and_rows(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    manifest = Manifest.read(folder)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")}
    assert set(manifest.files) == on_disk | {"README.md", "croissant.json"}
    for rel, record in manifest.files.items():
        assert record.sha256 == file_sha256(folder / rel)
        if rel.endswith(".parquet"):
            assert record.rows == pl.read_parquet(folder / rel).height
        else:
            assert record.rows is None
    assert manifest.files["interactions.parquet"].rows == 14
    text = (folder / "manifest.json").read_text()
    assert str(tmp_path) not in text  # no absolute paths


def test_zstd_and_canonical_types(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    meta = pq.ParquetFile(folder / "interactions.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(folder / "interactions.parquet")
    assert schema.names[:5] == S.INTERACTIONS.names
    assert [schema.field(n).type for n in S.INTERACTIONS.names] == list(S.INTERACTIONS.types)


def test_failure_leaves_no_half_folder(tmp_path: Path) -> None:
    tables = small_tables()
    tables.items = tables.items.drop(S.ITEM_ID)
    with pytest.raises(SchemaError, match="item_id"):
        write_dataset(tmp_path / "d", tables, small_manifest())
    assert list(tmp_path.iterdir()) == []


def test_failure_during_write_leaves_no_half_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recdata.dataset._folder as folder_module

    calls = {"n": 0}
    real = folder_module.write_parquet

    def flaky(table, path):  # noqa: ANN001
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(table, path)

    monkeypatch.setattr(folder_module, "write_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(tmp_path / "d", small_tables(), small_manifest())
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_overwrite(tmp_path: Path) -> None:
    write_dataset(tmp_path / "d", small_tables(), small_manifest())
    with pytest.raises(UsageError, match="already exists"):
        write_dataset(tmp_path / "d", small_tables(), small_manifest())
    write_dataset(tmp_path / "d", small_tables(), small_manifest(), overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_load_gives_lazy_frames_for_tables_and_splits(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    ds = load(folder)
    assert isinstance(ds.interactions, pl.LazyFrame)
    assert ds.interactions.collect().height == 14
    split = ds.split()  # default split
    sizes = {part: split[part].collect().height for part in ("train", "valid", "test")}
    assert sizes == {"train": 8, "valid": 3, "test": 3}
    assert set(ds.graphs) == {"user_item"}
    with pytest.raises(UsageError, match="no split"):
        ds.split("nope")


def test_update_dataset_adds_features_atomically(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    before = file_sha256(folder / "interactions.parquet")
    emb = pl.DataFrame({S.ITEM: [1, 2, 3, 4, 5], "embedding": [[1.0, 0.0]] * 5})

    def note(m: Manifest) -> Manifest:
        from recdata.dataset import FeatureRecord

        return m.model_copy(
            update={
                "features": {
                    "features/text-x.parquet": FeatureRecord(kind="text", model="x", dim=2)
                }
            }
        )

    update_dataset(folder, add={"features/text-x": emb}, update_manifest=note)
    ds = load(folder)
    assert ds.features["text-x"].collect().height == 5
    assert ds.manifest.files["features/text-x.parquet"].rows == 5
    assert file_sha256(folder / "interactions.parquet") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    from recdata.validation import validate

    assert validate(folder).ok
