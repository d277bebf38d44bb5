"""add_features / `recdata features` on a small folder; compute_features without the embed extra."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import polars as pl
import pytest
from factory import make_small_dataset, small_tables

from recdata import schema as S
from recdata.cli import main
from recdata.dataset import Manifest, load, manifest_hash
from recdata.errors import FeatureError
from recdata.features import FeaturesSpec, GraphsSpec, TextSpec, add_features, compute_features
from recdata.graphs import item_cooccurrence, user_item
from recdata.validation import validate


def test_default_add_features(minilm: str, tmp_path: Path) -> None:
    folder = make_small_dataset(tmp_path / "small")
    add_features(folder, progress=False)
    manifest = Manifest.read(folder)
    expected = {
        "features/item_text.parquet",
        "features/text-all-minilm-l6-v2.parquet",
        "graphs/item_item.parquet",
        "graphs/user_item.parquet",
    }
    assert expected <= set(manifest.files)
    assert set(manifest.features) | set(manifest.graphs) == expected
    for rel in expected:
        assert (folder / rel).is_file()
    report = validate(folder)
    assert report.ok, [str(v) for v in report.violations]
    ds = load(folder)
    train = ds.split("loo").train.collect()
    assert ds.graphs["item_item"].collect().equals(item_cooccurrence(train))
    assert ds.graphs["user_item"].collect().equals(user_item(train))
    emb = ds.features["text-all-minilm-l6-v2"].collect()
    assert emb.schema["embedding"] == pl.Array(pl.Float32, 384) and emb.height == 5
    texts = ds.features["item_text"].collect()
    assert texts.row(1) == (2, "Beta\nCategories: x, y")
    assert texts.row(3) == (4, "Delta")  # empty categories: that line is dropped
    record = manifest.features["features/text-all-minilm-l6-v2.parquet"]
    assert record.model == "all-MiniLM-L6-v2" and record.dim == 384 and record.normalized
    assert record.revision and record.revision.startswith("sha256:")
    assert manifest.graphs["graphs/item_item.parquet"].split == "loo"
    assert manifest.graphs["graphs/item_item.parquet"].params["window"] == 1


def test_deterministic_bytes(minilm: str, tmp_path: Path) -> None:
    one = make_small_dataset(tmp_path / "one")
    two = make_small_dataset(tmp_path / "two")
    add_features(one, knn=2, text=minilm, graphs=True, progress=False)
    add_features(two, knn=2, text=minilm, graphs=True, progress=False)  # second run: from the cache
    assert manifest_hash(one) == manifest_hash(two)
    for rel in Manifest.read(one).files:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel


def test_knn_from_existing_embedding_and_cli(
    minilm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_small_dataset(tmp_path / "small")
    assert main(["features", str(folder), "--text", minilm, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "added features/text-all-minilm-l6-v2.parquet (5 rows)" in err
    assert "graphs/item_item" not in err  # only what was asked
    assert main(["features", str(folder), "--knn", "2", "--no-progress"]) == 0
    manifest = Manifest.read(folder)
    knn = manifest.graphs["graphs/item_knn.parquet"]
    assert (
        knn.kind == "item_knn"
        and knn.params["embedding"] == "features/text-all-minilm-l6-v2.parquet"
    )
    assert pl.read_parquet(folder / "graphs/item_knn.parquet").height == 10
    assert validate(folder).ok


def test_graphs_only_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_small_dataset(tmp_path / "small")
    add_features(folder, graphs=True, window=2)
    manifest = Manifest.read(folder)
    assert (
        not manifest.features and manifest.graphs["graphs/item_item.parquet"].params["window"] == 2
    )
    train = load(folder).split().train.collect()
    assert pl.read_parquet(folder / "graphs/item_item.parquet").equals(
        item_cooccurrence(train, window=2)
    )
    with pytest.raises(FeatureError, match="no text embedding"):
        add_features(folder, knn=3)
    with pytest.raises(FeatureError, match="no image_urls"):
        add_features(folder, image="clip-ViT-B-32")
    assert main(["features", str(folder), "--graphs", "--split", "nope"]) == 2
    assert "no split 'nope'" in capsys.readouterr().err


def test_validate_flags_a_leaky_graph(tmp_path: Path) -> None:
    folder = make_small_dataset(tmp_path / "small")
    add_features(folder, graphs=True)
    tables = small_tables()
    leaky = item_cooccurrence(tables.interactions)  # built from all interactions, test included
    from recdata.dataset import update_dataset

    update_dataset(folder, add={"graphs/item_item": leaky}, update_manifest=lambda m: m)
    assert "graph_leak" in validate(folder).checks()


def test_without_embed_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def no_st(name: str, *args: object, **kwargs: object):  # noqa: ANN202
        return None if name in ("sentence_transformers", "torch") else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", no_st)
    tables = small_tables()
    out = compute_features(
        tables.items,
        tables.splits["loo"]["train"],
        features=FeaturesSpec(),
        graphs=GraphsSpec(item_knn=True),
        split="loo",
        progress=False,
    )
    assert "text embeddings skipped: pip install torch==2.13.0 'recdata[embed]'" in out.warnings
    assert "item_knn graph skipped: no text embeddings were built" in out.warnings
    assert set(out.features) == {"item_text"} and set(out.graphs) == {"user_item", "item_item"}
    assert set(out.feature_records) == {"features/item_text.parquet"}
    assert set(out.graph_records) == {"graphs/user_item.parquet", "graphs/item_item.parquet"}
    folder = make_small_dataset(tmp_path / "small")
    with pytest.raises(Exception, match=r"pip install torch==2\.13\.0 'recdata\[embed\]'"):
        add_features(folder, text="all-MiniLM-L6-v2")
    add_features(folder)  # the default skips embeddings with a warning, adds the rest
    manifest = Manifest.read(folder)
    assert (
        "text embeddings skipped: pip install torch==2.13.0 'recdata[embed]'" in manifest.warnings
    )
    assert "features/item_text.parquet" in manifest.files


def test_items_without_text_and_no_split(tmp_path: Path) -> None:
    tables = small_tables()
    items = tables.items.select(S.ITEM, S.ITEM_ID)
    out = compute_features(items, None, features=FeaturesSpec(), graphs=GraphsSpec(), split=None)
    assert out.features == {} and out.graphs == {}
    assert out.warnings == [
        "user_item/item_item graphs skipped: no split to take a train part from"
    ]
    with pytest.raises(FeatureError, match="template"):
        compute_features(
            tables.items,
            None,
            features=FeaturesSpec(text=TextSpec(template="{title:>10}")),
            graphs=GraphsSpec(user_item=None, item_item=None),
            split=None,
        )


def test_unknown_model_is_a_feature_error(tmp_path: Path) -> None:
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("needs the embed extra")
    folder = make_small_dataset(tmp_path / "small")
    before = manifest_hash(folder)
    with pytest.raises(FeatureError, match="cannot load model 'no-such-org/no-such-model'"):
        add_features(folder, text="no-such-org/no-such-model")
    assert manifest_hash(folder) == before
    shutil.rmtree(folder)


def test_recdata_features_is_callable(tmp_path: Path) -> None:
    import recdata
    import recdata.features as package

    folder = make_small_dataset(tmp_path / "small")
    assert callable(recdata.features) and callable(package)
    package(folder, graphs=True, window=2)  # the package itself calls add_features
    assert Manifest.read(folder).graphs["graphs/item_item.parquet"].params["window"] == 2
