"""The Hugging Face bridge: typed features, load_from_disk, same rows as the folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recdata.exporters import export, to_hf

datasets = pytest.importorskip("datasets")


def _check_features(features: Any, history: bool) -> None:
    Value = datasets.Value
    expected = {
        "interaction_idx": Value("int64"),
        "user_idx": Value("int32"),
        "item_idx": Value("int32"),
        "user_id": Value("string"),
        "item_id": Value("string"),
        "timestamp": Value("int64"),
        "rating": Value("float32"),
    }
    if history:
        expected["history"] = datasets.Sequence(Value("int32"))
    assert dict(features) == expected
    assert not any(isinstance(f, datasets.ClassLabel) for f in features.values())


def test_save_and_load_from_disk(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="hf", out=tmp_path / "hf")
    loaded = datasets.load_from_disk(str(out))
    assert isinstance(loaded, datasets.DatasetDict) and list(loaded) == ["train", "valid", "test"]
    seq = kit.sequence_rows(kit.rows)
    parts = kit.loo_parts(seq)
    history = kit.reference_history(parts)
    for part in ("train", "valid", "test"):
        _check_features(loaded[part].features, history=True)
        expected = sorted(parts[part], key=lambda r: r["interaction_idx"])
        got = loaded[part].to_list()
        assert [g["interaction_idx"] for g in got] == [e["interaction_idx"] for e in expected]
        assert [(g["user_id"], g["item_id"], g["item_idx"], g["timestamp"]) for g in got] == [
            (e["user_id"], e["item_id"], e["item_idx"], e["seconds"] * 1000) for e in expected
        ]
        assert [g["history"] for g in got] == [history[e["interaction_idx"]] for e in expected]


def test_to_hf_in_memory_with_embeddings_and_without_history(toy: Path) -> None:
    dd = to_hf(toy, history=False, embeddings=True)
    assert list(dd) == ["train", "valid", "test", "items"]
    _check_features(dd["train"].features, history=False)
    items = dd["items"]
    assert items.features["text-tiny"] == datasets.Sequence(datasets.Value("float32"), length=3)
    assert items.features["item_idx"] == datasets.Value("int32")
    assert items["item_idx"] == [1, 2, 3, 4, 5, 6]
    assert items["text-tiny"][0] == [0.0, 0.5, -1.0]


def test_top_level_names() -> None:
    import recdata

    assert recdata.to_hf is to_hf and recdata.export is export
