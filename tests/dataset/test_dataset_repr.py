"""`print(recdata.load(DIR))` is a short summary, not the whole manifest."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from factory import make_small_dataset

from recdata.dataset import load
from recdata.features import add_features


def test_repr_is_short_and_names_what_the_folder_holds(tmp_path: Path) -> None:
    folder = make_small_dataset(tmp_path / "small")
    add_features(folder, graphs=True, progress=False)
    ds = load(folder)
    manifest = ds.manifest
    text = repr(ds)
    assert str(ds) == text
    lines = text.splitlines()
    assert len(lines) <= 6, text
    assert max(map(len, lines)) <= 120, text
    # nothing of the manifest's bulk: no recipe, no checksums, no step parameters
    assert manifest.recipe_hash is None or manifest.recipe_hash not in text
    assert not any(record.sha256 in text for record in manifest.files.values())
    assert "sha256" not in text and "params" not in text
    # name, path, counts, splits, features, graphs
    rows = {rel: record.rows for rel, record in manifest.files.items()}
    assert lines[0] == f"Dataset {manifest.name!r} at {str(folder)!r}"
    assert (
        f"{rows['users.parquet']:,} users, {rows['items.parquet']:,} items, "
        f"{rows['interactions.parquet']:,} interactions"
    ) in text
    split = manifest.default_split
    parts = " / ".join(
        f"{rows[f'splits/{split}/{p}.parquet']:,}" for p in ("train", "valid", "test")
    )
    assert f"splits: {split} ({parts}, default)" in text
    features = ", ".join(sorted(ds.features))
    graphs = ", ".join(sorted(ds.graphs))
    assert f"features: {features}" in text and f"graphs: {graphs}" in text


def test_repr_of_a_folder_without_splits_or_features(tmp_path: Path) -> None:
    folder = make_small_dataset(tmp_path / "small")
    ds = load(folder)
    bare = ds.__class__(**{**ds.__dict__, "splits": {}, "features": {}, "graphs": {}})
    text = repr(bare)
    assert "splits: none" in text and "features: none" in text and "graphs: none" in text


def test_repr_counts_a_table_written_as_parts(tmp_path: Path) -> None:
    from recdata.cli import main

    out = tmp_path / "parts"
    args = ["build", "synthetic", "-o", str(out), "--set", "size=3000", "--no-features"]
    assert main([*args, "--set", "output.max_rows_per_file=500"]) == 0
    ds = load(out)
    assert any(rel.startswith("interactions/part-") for rel in ds.manifest.files)
    rows = ds.interactions.select(pl.len()).collect().item()
    train = ds.split().train.select(pl.len()).collect().item()
    text = repr(ds)
    assert f"{rows:,} interactions" in text and "?" not in text
    assert f"loo ({train:,} / " in text
