"""Semantic IDs: item code tuples quantised from an item embedding, for generative recommenders.

Methods ``rq-kmeans`` (residual k-means, faiss), ``rq-kmeans-balanced`` (k-means-constrained)
and ``rq-vae`` (torch); collisions resolved by a ``suffix`` level, optionally after LC-Rec's
Sinkhorn re-assignment. Importing this package imports neither faiss nor torch.
"""

from recdata.semantic_ids._collisions import collision_rate, resolve, sinkhorn, suffix_level
from recdata.semantic_ids._compute import (
    CAP_RULE,
    SemanticIds,
    capped_codebook,
    compute_semantic_ids,
    file_key,
    quantize,
)
from recdata.semantic_ids._kmeans import Quantization
from recdata.semantic_ids._metrics import category_check, level_usage, quality
from recdata.semantic_ids._spec import COLLISIONS, MAX_CODE, METHODS, SemanticIdsSpec
from recdata.semantic_ids._stage import add_semantic_ids, resolve_embedding

__all__ = [
    "CAP_RULE",
    "COLLISIONS",
    "MAX_CODE",
    "METHODS",
    "Quantization",
    "SemanticIds",
    "SemanticIdsSpec",
    "add_semantic_ids",
    "capped_codebook",
    "category_check",
    "collision_rate",
    "compute_semantic_ids",
    "file_key",
    "level_usage",
    "quality",
    "quantize",
    "resolve",
    "resolve_embedding",
    "sinkhorn",
    "suffix_level",
]
