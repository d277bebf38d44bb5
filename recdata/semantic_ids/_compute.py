"""From an embedding frame to a semantic-ID frame and its manifest details (no I/O)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.semantic_ids._collisions import resolve
from recdata.semantic_ids._kmeans import Quantization, residual_kmeans
from recdata.semantic_ids._metrics import category_check, quality
from recdata.semantic_ids._spec import MAX_CODE, SemanticIdsSpec

log = logging.getLogger("recdata.semantic_ids")

CAP_RULE = "codebook <= max(1, n_items // min_items_per_code)"


@dataclass
class SemanticIds:
    """The ``semantic_ids-<method>`` table and what goes into its manifest record."""

    frame: pl.DataFrame
    """``item_idx`` int32 and ``codes`` list<int16> (levels + 1 values), in item_idx order."""
    details: dict[str, Any]
    """Method, parameters, embedding, codebook cap and quality metrics."""
    warnings: list[str] = field(default_factory=list)
    """The codebook cap, when it applied."""


def file_key(method: str) -> str:
    """The feature key (file stem) of a method's semantic IDs: ``semantic_ids-<method>``."""
    return f"semantic_ids-{method}"


def capped_codebook(n_items: int, spec: SemanticIdsSpec) -> int:
    """The codebook size used for ``n_items`` items (see :data:`CAP_RULE`)."""
    return min(spec.codebook, max(1, n_items // spec.min_items_per_code))


def quantize(
    x: np.ndarray, spec: SemanticIdsSpec, codebook: int, *, overwrite: bool = False
) -> Quantization:
    """Run the spec's method on the float32 matrix ``x`` (rows in item_idx order); with
    ``overwrite`` the k-means methods use ``x`` itself as their residual buffer."""
    common = {"levels": spec.levels, "codebook": codebook, "seed": spec.seed, "niter": spec.niter}
    if spec.method == "rq-kmeans":
        return residual_kmeans(x, nredo=spec.nredo, overwrite=overwrite, **common)
    if spec.method == "rq-kmeans-balanced":
        return residual_kmeans(
            x, balanced=True, overwrite=overwrite, **{**common, "niter": spec.balanced_niter}
        )
    from recdata.semantic_ids._rqvae import rq_vae

    return rq_vae(
        x,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        lr=spec.lr,
        latent_dim=spec.latent_dim,
        hidden=list(spec.hidden),
        beta=spec.beta,
        **common,
    )


def embedding_matrix(embeddings: pl.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(item_idx, float32 matrix owned by the caller) of an embedding frame sorted by item_idx;
    no null rows allowed."""
    frame = embeddings.select(S.ITEM, "embedding")
    if not frame[S.ITEM].is_sorted():
        frame = frame.sort(S.ITEM)
    nulls = frame.filter(pl.col("embedding").is_null())
    if nulls.height:
        raise FeatureError(
            f"{what}: {nulls.height:,} item(s) have no embedding (first item_idx "
            f"{nulls[S.ITEM][0]}); semantic IDs need one vector per item: choose another --embedding"
        )
    if frame.height == 0:
        raise FeatureError(f"{what} has no rows; semantic IDs need at least one item")
    column = frame["embedding"]
    if not isinstance(column.dtype, pl.Array):
        column = column.list.to_array(int(column.list.len().max()))
    x = column.to_numpy()
    owned = x.flags.writeable and x.flags.c_contiguous and x.base is None
    if not (owned and x.dtype == np.float32):  # never a view of the caller's frame
        x = np.array(x, dtype=np.float32, copy=True)
    if not np.isfinite(x).all():
        raise FeatureError(f"{what} holds NaN or infinite values; semantic IDs need finite vectors")
    return frame[S.ITEM].to_numpy().astype(np.int32), x


def compute_semantic_ids(
    embeddings: pl.DataFrame,
    *,
    spec: SemanticIdsSpec,
    items: pl.DataFrame | None = None,
    embedding_file: str | None = None,
    embedding_sha256: str | None = None,
) -> SemanticIds:
    """Quantise an embedding (``item_idx``, ``embedding``) into unique code tuples.

    Parameters
    ----------
    embeddings
        One row per item; only item content goes in, never interactions.
    spec
        Method, levels, codebook, collision handling, seed.
    items
        The items table, for the category check (its ``categories`` column); None skips it.
    embedding_file, embedding_sha256
        Recorded as the embedding used.
    """
    what = embedding_file or "the embedding"
    item_idx, x = embedding_matrix(embeddings, what)
    n = x.shape[0]
    codebook = capped_codebook(n, spec)
    warnings: list[str] = []
    if codebook < spec.codebook:
        warnings.append(
            f"semantic IDs ({spec.method}): codebook capped at {codebook} for {n:,} items "
            f"(requested {spec.codebook}; rule {CAP_RULE}, min_items_per_code={spec.min_items_per_code})"
        )
    dim = int(x.shape[1])
    quant = quantize(x, spec, codebook, overwrite=True)  # x is this function's own copy
    del x
    codes, handling = resolve(
        quant,
        collisions=spec.collisions,
        epsilon=spec.sinkhorn_epsilon,
        iters=spec.sinkhorn_iters,
        rounds=spec.sinkhorn_rounds,
    )
    if handling["suffix_size"] > MAX_CODE + 1:
        raise FeatureError(
            f"semantic IDs ({spec.method}): {handling['suffix_size']:,} items share one tuple, more "
            f"than the int16 suffix level holds ({MAX_CODE + 1:,}); use more levels or a larger codebook"
        )
    sizes = [codebook] * spec.levels + [handling["suffix_size"]]
    metrics = quality(quant.codes, sizes[:-1])
    metrics["after"] = handling
    metrics["category_check"] = (
        category_check(item_idx, quant.codes[:, 0], items, seed=spec.seed)
        if items is not None
        else {"available": False, "reason": "no items table given"}
    )
    frame = pl.DataFrame(
        {
            S.ITEM: pl.Series(item_idx, dtype=pl.Int32),
            "codes": pl.Series(codes.astype(np.int16)).cast(pl.List(pl.Int16)),
        }
    )
    details = {
        "method": spec.method,
        "params": spec.params(),
        "embedding": {"file": embedding_file, "sha256": embedding_sha256, "dim": dim},
        "codebook": {
            "requested": spec.codebook,
            "used": codebook,
            "capped": codebook < spec.codebook,
            "rule": CAP_RULE,
        },
        "code_length": spec.levels + 1,
        "level_sizes": sizes,
        "suffix_order": "item_idx",
        "metrics": metrics,
        "method_details": quant.details,
    }
    return SemanticIds(frame=frame, details=details, warnings=warnings)
