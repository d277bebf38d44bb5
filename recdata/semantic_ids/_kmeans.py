"""Residual k-means (faiss) and its balanced variant (k-means-constrained), seeded, on one thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from recdata.errors import MissingExtra

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Quantization:
    """Codes of one quantiser plus what collision handling needs to re-assign the last level."""

    codes: np.ndarray
    """``(n, levels)`` int64 codes, rows in item_idx order."""
    residual: np.ndarray
    """``(n, d)`` float32: what every level together left unexplained (the last level's input
    is ``residual + last_codebook[codes[:, -1]]``)."""
    last_codebook: np.ndarray
    """``(K, d)`` float32: the last level's centroids."""

    def last_input(self, rows: np.ndarray) -> np.ndarray:
        """The vectors the last level quantised, for the given rows."""
        return self.residual[rows] + self.last_codebook[self.codes[rows, -1]]

    details: dict
    """Method-specific facts (training sample size, final loss)."""


def faiss_module():  # noqa: ANN201 - faiss has no stubs
    """faiss, or MissingExtra naming the ``semantic`` extra."""
    try:
        import faiss
    except ImportError as exc:
        raise MissingExtra("faiss-cpu", "semantic", "semantic IDs") from exc
    return faiss


@contextlib.contextmanager
def one_thread(faiss) -> Iterator[None]:  # noqa: ANN001
    """Run faiss on one OpenMP thread (its k-means and search are then bit-for-bit repeatable)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def kmeans(
    x: np.ndarray, k: int, *, seed: int, niter: int, nredo: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(centroids ``(k, d)``, assignment ``(n,)``) of faiss k-means; at most 256 points per
    centroid are sampled (seeded) for training, every point is assigned."""
    faiss = faiss_module()
    x = np.ascontiguousarray(x, dtype=np.float32)
    with one_thread(faiss):
        km = faiss.Kmeans(
            x.shape[1],
            k,
            niter=niter,
            nredo=nredo,
            seed=seed,
            verbose=False,
            max_points_per_centroid=256,
            min_points_per_centroid=1,
        )
        km.train(x)
        _, assign = km.index.search(x, 1)
    return np.asarray(km.centroids, dtype=np.float32), assign[:, 0].astype(np.int64)


def balanced_kmeans(
    x: np.ndarray, k: int, *, seed: int, niter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-size clusters (sizes ``floor(n/k)`` or ``ceil(n/k)``) with k-means-constrained."""
    try:
        from k_means_constrained import KMeansConstrained
    except ImportError as exc:
        raise MissingExtra("k-means-constrained", "semantic", "balanced semantic IDs") from exc
    n = x.shape[0]
    model = KMeansConstrained(
        n_clusters=k,
        size_min=n // k,
        size_max=-(-n // k),
        random_state=seed,
        n_init=1,
        max_iter=niter,
        n_jobs=1,
    )
    labels = model.fit_predict(np.ascontiguousarray(x, dtype=np.float64))
    return np.asarray(model.cluster_centers_, dtype=np.float32), np.asarray(labels, dtype=np.int64)


def residual_kmeans(
    x: np.ndarray,
    *,
    levels: int,
    codebook: int,
    seed: int,
    niter: int,
    nredo: int = 1,
    balanced: bool = False,
    overwrite: bool = False,
) -> Quantization:
    """Residual k-means: level ``l`` clusters what levels ``< l`` left unexplained (seed + l).

    With ``overwrite`` a float32 C-contiguous ``x`` becomes the residual buffer (no copy)."""
    residual = (
        x
        if overwrite and x.dtype == np.float32 and x.flags.c_contiguous and x.flags.writeable
        else np.array(x, dtype=np.float32, copy=True)
    )
    codes = np.empty((x.shape[0], levels), dtype=np.int64)
    centroids = np.zeros((codebook, x.shape[1]), dtype=np.float32)
    for level in range(levels):
        if balanced:
            centroids, assign = balanced_kmeans(residual, codebook, seed=seed + level, niter=niter)
        else:
            centroids, assign = kmeans(
                residual, codebook, seed=seed + level, niter=niter, nredo=nredo
            )
        codes[:, level] = assign
        for start in range(0, x.shape[0], _CHUNK):  # in place, in chunks: no second n x d copy
            stop = start + _CHUNK
            residual[start:stop] -= centroids[assign[start:stop]]
    mse = sum(
        float(np.einsum("ij,ij->", chunk, chunk, dtype=np.float64))
        for chunk in (residual[i : i + _CHUNK] for i in range(0, x.shape[0], _CHUNK))
    ) / max(x.shape[0], 1)
    return Quantization(
        codes=codes,
        residual=residual,
        last_codebook=centroids,
        details={
            "train_points_per_level": int(min(x.shape[0], 256 * codebook))
            if not balanced
            else int(x.shape[0]),
            "reconstruction_mse": round(mse, 6),
        },
    )
