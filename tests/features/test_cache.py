"""The embedding cache: only changed texts are re-encoded, a killed run resumes, results are stable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recdata import schema as S
from recdata.features import EmbeddingCache, TextSpec, _embed, embed_texts


class CountingEncode:
    """Wraps SentenceTransformer.encode: counts calls and texts; can fail after ``fail_after`` calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_after: int | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.calls = 0
        self.texts: list[str] = []
        self.fail_after = fail_after
        original = SentenceTransformer.encode

        def encode(model, inputs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise KeyboardInterrupt("killed")
            self.calls += 1
            self.texts.extend(inputs)
            return original(model, inputs, *args, **kwargs)

        monkeypatch.setattr(SentenceTransformer, "encode", encode)


def _texts(n: int, changed: dict[int, str] | None = None) -> pl.DataFrame:
    texts = [f"item number {i} of the catalogue" for i in range(1, n + 1)]
    for idx, text in (changed or {}).items():
        texts[idx - 1] = text
    return pl.DataFrame({S.ITEM: list(range(1, n + 1)), "text": texts})


def test_only_changed_items_are_reencoded(
    minilm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = TextSpec(model=minilm, batch_size=8)
    counter = CountingEncode(monkeypatch)
    first = embed_texts(_texts(40), spec, cache_dir=tmp_path)
    assert len(counter.texts) == 40 and first.encoded == 40
    counter.texts.clear()
    again = embed_texts(_texts(40), spec, cache_dir=tmp_path)
    assert counter.texts == [] and again.encoded == 0
    assert again.frame.equals(first.frame)
    changed = embed_texts(
        _texts(40, {3: "a brand new text", 17: "another edit"}), spec, cache_dir=tmp_path
    )
    assert sorted(counter.texts) == ["a brand new text", "another edit"]
    unchanged = [i for i in range(1, 41) if i not in (3, 17)]
    keep = pl.col(S.ITEM).is_in(unchanged)
    assert changed.frame.filter(keep).equals(first.frame.filter(keep))
    assert not changed.frame.filter(pl.col(S.ITEM) == 3).equals(
        first.frame.filter(pl.col(S.ITEM) == 3)
    )
    # a different setting (no normalisation) is a different cache identity: everything is encoded
    counter.texts.clear()
    embed_texts(_texts(40), spec.model_copy(update={"normalize": False}), cache_dir=tmp_path)
    assert len(counter.texts) == 40


def test_killed_run_resumes(minilm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_embed, "CHUNK_BATCHES", 1)  # a cache write after every batch
    spec = TextSpec(model=minilm, batch_size=4)
    counter = CountingEncode(monkeypatch, fail_after=3)
    with pytest.raises(KeyboardInterrupt):
        embed_texts(_texts(30), spec, cache_dir=tmp_path)
    assert len(counter.texts) == 12
    counter.fail_after = None
    counter.texts.clear()
    resumed = embed_texts(_texts(30), spec, cache_dir=tmp_path)
    assert len(counter.texts) == 18 and resumed.encoded == 18
    assert resumed.frame["embedding"].null_count() == 0
    fresh = embed_texts(_texts(30), spec, cache_dir=tmp_path / "fresh")
    np.testing.assert_allclose(
        resumed.frame["embedding"].to_numpy(), fresh.frame["embedding"].to_numpy(), atol=1e-5
    )


def test_null_texts_and_duplicates(
    minilm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingEncode(monkeypatch)
    texts = pl.DataFrame({S.ITEM: [4, 1, 2, 3], "text": ["same", "same", None, "other"]})
    result = embed_texts(texts, TextSpec(model=minilm), cache_dir=tmp_path)
    assert sorted(counter.texts) == ["other", "same"]
    frame = result.frame
    assert frame[S.ITEM].to_list() == [1, 2, 3, 4]
    assert frame["embedding"].is_null().to_list() == [False, True, False, False]
    assert frame["embedding"][0].to_list() == frame["embedding"][3].to_list()
    assert result.details["items_without_text"] == 1 and result.details["distinct_texts"] == 2


def test_cache_store_compacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recdata.features import _cache

    monkeypatch.setattr(_cache, "_COMPACT_AFTER", 3)
    cache = EmbeddingCache(tmp_path, {"model": "Some/Model", "revision": None})
    rng = np.random.default_rng(1)
    keys = [f"{i:064x}" for i in range(10)]
    vectors = rng.normal(size=(10, 4)).astype(np.float32)
    for start in range(0, 10, 2):
        cache.put(keys[start : start + 2], vectors[start : start + 2])
    assert len(list(cache.folder.glob("chunk-*.parquet"))) == 5
    cache.compact()
    assert len(list(cache.folder.glob("chunk-*.parquet"))) == 1
    got = cache.get(keys + ["f" * 64], dim=4)
    assert set(got) == set(keys)
    np.testing.assert_array_equal(np.stack([got[k] for k in keys]), vectors)
    assert cache.get(keys, dim=8) == {}  # a dimension mismatch is ignored, not trusted
    assert cache.folder.name.startswith("some-model-")
