"""validate(): a valid hand-made folder passes; each kind of violation is caught and named."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from factory import make_small_dataset, small_manifest, small_tables

from recdata import schema as S
from recdata.dataset import (
    FeatureRecord,
    GraphRecord,
    Manifest,
    file_sha256,
    write_dataset,
    write_parquet,
)
from recdata.validation import validate


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_small_dataset(tmp_path / "small")


def rewrite(folder: Path, rel: str, frame: pl.DataFrame) -> None:
    """Replace one table and fix its manifest checksum, so only the intended rule breaks."""
    write_parquet(frame.to_arrow(), folder / rel)
    manifest = Manifest.read(folder)
    record = manifest.files[rel].model_copy(
        update={
            "sha256": file_sha256(folder / rel),
            "bytes": (folder / rel).stat().st_size,
            "rows": frame.height,
        }
    )
    manifest.files[rel] = record
    (folder / "manifest.json").write_text(manifest.to_json())


def only(report, check: str):
    assert not report.ok
    found = [v for v in report.violations if v.check == check]
    assert found, f"expected a {check!r} violation, got {[str(v) for v in report.violations]}"
    return found


def test_valid_folder_passes(folder: Path) -> None:
    report = validate(folder)
    assert report.ok, [str(v) for v in report.violations]


def test_missing_folder_and_manifest(tmp_path: Path) -> None:
    assert only(validate(tmp_path / "nope"), "missing_file")
    (tmp_path / "empty").mkdir()
    assert "manifest.json" in only(validate(tmp_path / "empty"), "missing_file")[0].message


def test_missing_file(folder: Path) -> None:
    (folder / "splits/loo/valid.parquet").unlink()
    v = only(validate(folder), "missing_file")
    assert v[0].file == "splits/loo/valid.parquet"
    assert "missing" in v[0].message


def test_wrong_type(folder: Path) -> None:
    items = pl.read_parquet(folder / "items.parquet").with_columns(pl.col(S.ITEM).cast(pl.Int64))
    rewrite(folder, "items.parquet", items)
    v = only(validate(folder), "type")
    assert v[0].column == S.ITEM and "int64" in v[0].message and "expected int32" in v[0].message


def test_non_contiguous_item_index(folder: Path) -> None:
    items = pl.read_parquet(folder / "items.parquet").with_columns(
        pl.when(pl.col(S.ITEM) == 5).then(7).otherwise(pl.col(S.ITEM)).cast(pl.Int32).alias(S.ITEM)
    )
    rewrite(folder, "items.parquet", items)
    v = only(validate(folder), "non_contiguous_index")
    assert "1..5" in v[0].message and "max 7" in v[0].message


def test_duplicate_item_index(folder: Path) -> None:
    items = pl.read_parquet(folder / "items.parquet")
    items = items.with_columns(
        pl.when(pl.col(S.ITEM) == 2).then(1).otherwise(pl.col(S.ITEM)).cast(pl.Int32).alias(S.ITEM)
    )
    rewrite(folder, "items.parquet", items)
    v = only(validate(folder), "duplicate_index")
    assert v[0].file == "items.parquet" and v[0].count == 1 and v[0].examples[0][S.ITEM] == 1


def test_duplicate_interaction_index(folder: Path) -> None:
    inter = pl.read_parquet(folder / "interactions.parquet")
    inter = inter.with_columns(
        pl.when(pl.col(S.INTERACTION) == 3)
        .then(2)
        .otherwise(pl.col(S.INTERACTION))
        .alias(S.INTERACTION)
    )
    rewrite(folder, "interactions.parquet", inter)
    v = only(validate(folder), "non_contiguous_index")
    assert v[0].column == S.INTERACTION and v[0].examples[0][S.INTERACTION] == 2


def test_dangling_item(folder: Path) -> None:
    inter = pl.read_parquet(folder / "interactions.parquet")
    inter = inter.with_columns(
        pl.when(pl.col(S.INTERACTION) == 0)
        .then(99)
        .otherwise(pl.col(S.ITEM))
        .cast(pl.Int32)
        .alias(S.ITEM)
    )
    rewrite(folder, "interactions.parquet", inter)
    v = only(validate(folder), "dangling_item")
    assert (
        v[0].file == "interactions.parquet" and v[0].count == 1 and v[0].examples[0][S.ITEM] == 99
    )


def test_overlapping_splits(folder: Path) -> None:
    train = pl.read_parquet(folder / "splits/loo/train.parquet")
    test = pl.read_parquet(folder / "splits/loo/test.parquet")
    rewrite(folder, "splits/loo/train.parquet", pl.concat([train, test.head(1)]))
    v = only(validate(folder), "split_overlap")
    assert "overlap" in v[0].message and v[0].count == 1


def test_split_not_covering_interactions(folder: Path) -> None:
    train = pl.read_parquet(folder / "splits/loo/train.parquet")
    rewrite(folder, "splits/loo/train.parquet", train.slice(1))
    v = only(validate(folder), "split_union")
    assert "13 distinct interactions of 14" in v[0].message


def test_test_before_train_under_leave_one_out(folder: Path) -> None:
    # swap user 2's train item at 110 s with its test item: the test row is now the earliest
    train = pl.read_parquet(folder / "splits/loo/train.parquet")
    test = pl.read_parquet(folder / "splits/loo/test.parquet")
    moved_to_test = train.filter((pl.col(S.USER) == 2) & (pl.col(S.INTERACTION) == 4))
    moved_to_train = test.filter(pl.col(S.USER) == 2)
    rewrite(
        folder,
        "splits/loo/train.parquet",
        pl.concat([train.filter(pl.col(S.INTERACTION) != 4), moved_to_train]),
    )
    rewrite(
        folder,
        "splits/loo/test.parquet",
        pl.concat([test.filter(pl.col(S.USER) != 2), moved_to_test]),
    )
    found = {v.file: v for v in only(validate(folder), "test_before_train")}
    # the old test row (410 s) now sits in train, so both user 2's valid and test rows are earlier
    assert set(found) == {"splits/loo/test.parquet", "splits/loo/valid.parquet"}
    assert "earlier" in found["splits/loo/test.parquet"].message
    assert found["splits/loo/test.parquet"].examples[0][S.INTERACTION] == 4


def test_graph_edge_from_test(folder: Path) -> None:
    graph = pl.read_parquet(folder / "graphs/user_item.parquet")
    test_row = pl.read_parquet(folder / "splits/loo/test.parquet").row(0, named=True)
    leak = pl.DataFrame(
        {"src": [test_row[S.USER]], "dst": [test_row[S.ITEM]], "weight": [1.0]}, schema=graph.schema
    )
    rewrite(folder, "graphs/user_item.parquet", pl.concat([graph, leak]))
    v = only(validate(folder), "graph_leak")
    assert "valid/test" in v[0].message and v[0].examples[0]["src"] == test_row[S.USER]


def test_item_item_graph_edge_without_train_support(tmp_path: Path) -> None:
    tables = small_tables()
    # items 1 and 5 are never together in any user's train part (user 2 has 5 only in test)
    edges = pl.DataFrame({"src": [1, 1], "dst": [2, 5], "weight": [1.0, 1.0]})
    tables.graphs = {**tables.graphs, "item_item": edges}
    manifest = small_manifest()
    manifest.graphs["graphs/item_item.parquet"] = GraphRecord(
        kind="item_item", split="loo", params={"window": 100}
    )
    folder = write_dataset(tmp_path / "g", tables, manifest)
    v = only(validate(folder), "graph_leak")
    assert v[0].count == 1 and v[0].examples[0]["dst"] == 5


def _with_embedding(tmp_path: Path, values: list[list[float]]) -> Path:
    tables = small_tables()
    tables.features = {
        "text-tiny": pl.DataFrame({S.ITEM: list(range(1, len(values) + 1)), "embedding": values})
    }
    manifest = small_manifest()
    manifest.features["features/text-tiny.parquet"] = FeatureRecord(
        kind="text", model="tiny", dim=2
    )
    return write_dataset(tmp_path / "emb", tables, manifest)


def test_nan_embedding(tmp_path: Path) -> None:
    good = [[0.1, 0.2]] * 5
    assert validate(_with_embedding(tmp_path / "a", good)).ok
    bad = good[:3] + [[float("nan"), 0.0]] + good[4:]
    v = only(validate(_with_embedding(tmp_path / "b", bad)), "embedding_nan")
    assert v[0].examples == [{S.ITEM: 4}]


def test_embedding_missing_items(tmp_path: Path) -> None:
    v = only(validate(_with_embedding(tmp_path, [[0.1, 0.2]] * 4)), "embedding_rows")
    assert "4 distinct items" in v[0].message


def test_checksum_mismatch(folder: Path) -> None:
    users = pl.read_parquet(folder / "users.parquet").with_columns(
        pl.col(S.USER_ID).str.to_uppercase()
    )
    write_parquet(users.to_arrow(), folder / "users.parquet")  # manifest not updated
    v = only(validate(folder), "checksum")
    assert v[0].file == "users.parquet" and ("sha256" in v[0].message or "size" in v[0].message)


def test_report_json_roundtrip(folder: Path) -> None:
    (folder / "users.parquet").unlink()
    data = json.loads(validate(folder).to_json())
    assert data["ok"] is False
    assert {"check", "file", "column", "count", "message", "examples"} <= set(data["violations"][0])
