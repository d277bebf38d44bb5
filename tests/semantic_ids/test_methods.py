"""The three quantisers on seeded embeddings: determinism, ranges, structure, caps, missing extras."""

from __future__ import annotations

import builtins

import numpy as np
import polars as pl
import pytest
from sid_factory import N_CLUSTERS, clustered, embedding_frame

from recdata.errors import FeatureError, MissingExtra
from recdata.semantic_ids import (
    SemanticIdsSpec,
    capped_codebook,
    compute_semantic_ids,
    level_usage,
    quantize,
)
from recdata.semantic_ids._kmeans import balanced_kmeans, kmeans


def _purity(labels: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of items whose cluster label agrees with the majority true cluster of its label."""
    agree = 0
    for label in np.unique(labels):
        members = truth[labels == label]
        agree += np.bincount(members).max()
    return agree / labels.size


def test_rq_kmeans_is_deterministic_and_finds_the_clusters() -> None:
    x, truth = clustered(600)
    k = 2 * N_CLUSTERS
    spec = SemanticIdsSpec(levels=3, codebook=k, nredo=5)
    one = quantize(x, spec, k)
    two = quantize(x.copy(), spec, k)
    assert np.array_equal(one.codes, two.codes)
    assert one.codes.shape == (600, 3) and one.codes.min() >= 0 and one.codes.max() < k
    assert _purity(one.codes[:, 0], truth) > 0.99  # level-0 codes never mix the separated blobs
    # residuals shrink level by level: the reconstruction beats level 0 alone
    centroids, assign = kmeans(x, k, seed=0, niter=25)
    level0_mse = float(np.mean(np.sum((x - centroids[assign]) ** 2, axis=1)))
    assert one.details["reconstruction_mse"] < level0_mse
    other_seed = quantize(x, spec.model_copy(update={"seed": 1}), k)
    assert not np.array_equal(one.codes[:, 1:], other_seed.codes[:, 1:])


def test_rq_kmeans_same_codes_whatever_faiss_threads() -> None:
    faiss = pytest.importorskip("faiss")
    x, _ = clustered(2000, dim=32, seed=3)
    before = faiss.omp_get_max_threads()
    try:
        faiss.omp_set_num_threads(2)
        a = kmeans(x, 32, seed=0, niter=10)
        faiss.omp_set_num_threads(1)
        b = kmeans(x, 32, seed=0, niter=10)
    finally:
        faiss.omp_set_num_threads(before)
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0])
    assert faiss.omp_get_max_threads() == before  # the stage restores the caller's setting


def test_balanced_levels_have_equal_sizes() -> None:
    pytest.importorskip("k_means_constrained")
    x, _ = clustered(203, seed=1)
    _, labels = balanced_kmeans(x, 10, seed=0, niter=10)
    sizes = np.bincount(labels, minlength=10)
    assert sizes.min() == 20 and sizes.max() == 21
    spec = SemanticIdsSpec(method="rq-kmeans-balanced", levels=2, codebook=10, balanced_niter=10)
    quant = quantize(x, spec, 10)
    for level in range(2):
        sizes = np.bincount(quant.codes[:, level], minlength=10)
        assert sizes.min() >= 20 and sizes.max() <= 21
    assert np.array_equal(quantize(x, spec, 10).codes, quant.codes)


def test_rq_vae_is_deterministic_on_cpu() -> None:
    torch = pytest.importorskip("torch")
    x, truth = clustered(300, dim=16)
    spec = SemanticIdsSpec(
        method="rq-vae", levels=2, codebook=N_CLUSTERS, epochs=3, hidden=[32], latent_dim=8
    )
    threads = torch.get_num_threads()
    one = quantize(x, spec, N_CLUSTERS)
    two = quantize(x, spec, N_CLUSTERS)
    assert np.array_equal(one.codes, two.codes)
    assert np.array_equal(one.last_codebook, two.last_codebook)
    assert one.codes.shape == (300, 2) and one.codes.max() < N_CLUSTERS
    assert one.residual.shape == (300, 8)
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()
    assert _purity(one.codes[:, 0], truth) > 0.8


def test_codebook_cap_rule_and_warning() -> None:
    spec = SemanticIdsSpec(codebook=256)
    assert capped_codebook(148, spec) == 37  # Gift_Cards: 148 // 4
    assert capped_codebook(12_000, spec) == 256
    assert capped_codebook(3, spec) == 1
    x, _ = clustered(148)
    result = compute_semantic_ids(embedding_frame(x), spec=spec)
    assert result.details["codebook"] == {
        "requested": 256,
        "used": 37,
        "capped": True,
        "rule": "codebook <= max(1, n_items // min_items_per_code)",
    }
    assert result.details["level_sizes"][:3] == [37, 37, 37]
    assert result.warnings and "capped at 37 for 148 items" in result.warnings[0]
    codes = np.stack(result.frame["codes"].to_numpy())
    assert codes[:, :3].max() < 37
    assert len({tuple(r) for r in codes.tolist()}) == 148


def test_identical_vectors_are_told_apart_by_the_suffix() -> None:
    x = np.ones((5, 4), dtype=np.float32)
    result = compute_semantic_ids(
        embedding_frame(x), spec=SemanticIdsSpec(codebook=2, min_items_per_code=1)
    )
    codes = np.stack(result.frame["codes"].to_numpy())
    assert codes[:, -1].tolist() == [0, 1, 2, 3, 4]  # item_idx order
    metrics = result.details["metrics"]
    assert metrics["collision_rate"] == pytest.approx(0.8) and metrics["max_group_size"] == 5
    assert result.details["level_sizes"][-1] == 5


def test_level_usage_perplexity() -> None:
    assert level_usage(np.array([0, 1, 2, 3]), 8) == {
        "size": 8,
        "used": 4,
        "usage": 0.5,
        "perplexity": 4.0,
    }
    assert level_usage(np.array([5, 5, 5]), 8)["perplexity"] == 1.0


def test_bad_embeddings_are_feature_errors() -> None:
    frame = pl.DataFrame({"item_idx": [1, 2], "embedding": [[1.0, 2.0], None]}).with_columns(
        pl.col("item_idx").cast(pl.Int32)
    )
    with pytest.raises(FeatureError, match="1 item\\(s\\) have no embedding"):
        compute_semantic_ids(frame, spec=SemanticIdsSpec())
    nan = pl.DataFrame({"item_idx": [1, 2], "embedding": [[1.0, float("nan")], [0.0, 1.0]]})
    with pytest.raises(FeatureError, match="NaN"):
        compute_semantic_ids(nan, spec=SemanticIdsSpec())


def test_missing_faiss_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_faiss(name: str, *args: object, **kwargs: object):  # noqa: ANN202
        if name == "faiss" or name.startswith("k_means_constrained"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    x, _ = clustered(50)
    with pytest.raises(MissingExtra, match=r"recdata\[semantic\]") as info:
        compute_semantic_ids(embedding_frame(x), spec=SemanticIdsSpec())
    assert info.value.extra == "semantic"
    with pytest.raises(MissingExtra, match=r"recdata\[semantic\]"):
        compute_semantic_ids(embedding_frame(x), spec=SemanticIdsSpec(method="rq-kmeans-balanced"))


def test_the_callers_frame_is_never_modified() -> None:
    x, _ = clustered(200)
    frame = embedding_frame(x)
    before = frame.clone()
    compute_semantic_ids(frame, spec=SemanticIdsSpec(codebook=8))
    assert frame.equals(before)
    kept = x.copy()
    quantize(x, SemanticIdsSpec(codebook=8), 8)  # overwrite defaults to False
    assert np.array_equal(x, kept)
