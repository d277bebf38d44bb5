"""Options of the semantic-ID stage (the ``features: semantic_ids:`` recipe key and the CLI)."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

Method: TypeAlias = Literal["rq-kmeans", "rq-kmeans-balanced", "rq-vae"]
Collisions: TypeAlias = Literal["suffix", "sinkhorn"]

METHODS: tuple[str, ...] = ("rq-kmeans", "rq-kmeans-balanced", "rq-vae")
COLLISIONS: tuple[str, ...] = ("suffix", "sinkhorn")
MAX_CODE = 32767
"""Codes are stored as int16: every level's size must stay at or below 32,767 values."""

_RQVAE_KEYS = ("epochs", "batch_size", "lr", "latent_dim", "hidden", "beta")
_KMEANS_KEYS = ("niter", "nredo")
_BALANCED_KEYS = ("balanced_niter",)
_SINKHORN_KEYS = ("sinkhorn_epsilon", "sinkhorn_iters", "sinkhorn_rounds")


class SemanticIdsSpec(BaseModel):
    """Semantic IDs quantised from an item embedding of the folder (content only)."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "rq-kmeans"
    """``rq-kmeans`` (residual k-means, faiss), ``rq-kmeans-balanced`` (equal-size clusters per
    level, k-means-constrained) or ``rq-vae`` (residual-quantised autoencoder, torch)."""
    levels: int = Field(default=3, ge=1, le=26)
    """Quantisation levels before the collision suffix."""
    codebook: int = Field(default=256, ge=1, le=MAX_CODE)
    """Codes per level (capped for small catalogues, see ``min_items_per_code``)."""
    collisions: Collisions = "suffix"
    """``suffix``: an extra level numbering items that share a tuple, in item_idx order;
    ``sinkhorn``: re-assign colliding items' last level with Sinkhorn (LC-Rec), then ``suffix``."""
    embedding: str | None = None
    """``text``, ``image`` or a file ``features/<kind>-<model>.parquet``; None: the first text
    embedding of the folder's manifest."""
    seed: int = Field(default=0, ge=0)
    """Seed of every random choice (k-means init, sub-sampling, RQ-VAE init and batches)."""
    min_items_per_code: int = Field(default=4, ge=1)
    """Cap rule: the codebook is at most ``max(1, n_items // min_items_per_code)``."""
    niter: int = Field(default=25, ge=1)
    """k-means iterations per level (rq-kmeans; RQ-VAE's k-means initialisation)."""
    nredo: int = Field(default=1, ge=1)
    """k-means restarts per level; the best (lowest error) is kept (rq-kmeans)."""
    balanced_niter: int = Field(default=10, ge=1)
    """Iterations per level of the balanced method (each solves a min-cost flow over all items)."""
    sinkhorn_epsilon: float = Field(default=0.003, gt=0)
    """Entropy regularisation of the Sinkhorn re-assignment (LC-Rec's default)."""
    sinkhorn_iters: int = Field(default=50, ge=1)
    """Sinkhorn iterations per colliding group."""
    sinkhorn_rounds: int = Field(default=20, ge=1)
    """Re-assignment rounds while collisions remain (LC-Rec's limit); ``suffix`` does the rest."""
    epochs: int = Field(default=100, ge=1)
    """RQ-VAE training epochs."""
    batch_size: int = Field(default=1024, ge=1)
    """RQ-VAE batch size."""
    lr: float = Field(default=1e-3, gt=0)
    """RQ-VAE Adam learning rate."""
    latent_dim: int = Field(default=32, ge=1)
    """RQ-VAE latent dimension (the quantised space)."""
    hidden: list[int] = Field(default_factory=lambda: [512, 256, 128])
    """RQ-VAE encoder layer widths (the decoder mirrors them)."""
    beta: float = Field(default=0.25, ge=0)
    """RQ-VAE commitment weight."""

    def params(self) -> dict[str, Any]:
        """The parameters that affect this method's output (recorded in the manifest)."""
        keys = ["method", "levels", "codebook", "collisions", "seed", "min_items_per_code"]
        keys += {
            "rq-kmeans": list(_KMEANS_KEYS),
            "rq-kmeans-balanced": list(_BALANCED_KEYS),
            "rq-vae": ["niter"],
        }[self.method]
        if self.method == "rq-vae":
            keys += list(_RQVAE_KEYS)
        if self.collisions == "sinkhorn":
            keys += list(_SINKHORN_KEYS)
        dumped = self.model_dump(mode="json")
        return {k: dumped[k] for k in keys}


__all__ = ["COLLISIONS", "MAX_CODE", "METHODS", "Collisions", "Method", "SemanticIdsSpec"]
