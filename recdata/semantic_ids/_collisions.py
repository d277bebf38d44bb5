"""Make every item's code tuple unique: a suffix level, optionally after LC-Rec's Sinkhorn step."""

from __future__ import annotations

from typing import Any

import numpy as np

from recdata.semantic_ids._kmeans import Quantization


def tuple_groups(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group id of each row, size of each group) for rows of equal code tuples."""
    if codes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)


def collision_rate(codes: np.ndarray) -> float:
    """``1 - unique tuples / items`` (0 when every tuple is unique)."""
    if codes.shape[0] == 0:
        return 0.0
    _, counts = tuple_groups(codes)
    return 1.0 - counts.size / codes.shape[0]


def suffix_level(codes: np.ndarray) -> np.ndarray:
    """The rank of each row among the rows sharing its tuple, in row (item_idx) order, from 0."""
    groups, _ = tuple_groups(codes)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, sorted_groups.size]))
    rank = np.empty(codes.shape[0], dtype=np.int64)
    rank[order] = np.arange(codes.shape[0]) - first
    return rank


def sinkhorn(cost: np.ndarray, *, epsilon: float, iters: int) -> np.ndarray:
    """Log-domain Sinkhorn over a batch of cost matrices ``(G, B, K)``: each row gets mass 1/B,
    each column 1/K, after rescaling each matrix's costs to [-1, 1] as LC-Rec does; returns the
    log transport plans (argmax over K = the balanced assignment)."""
    lo = cost.min(axis=(1, 2), keepdims=True)
    hi = cost.max(axis=(1, 2), keepdims=True)
    middle, amplitude = (hi + lo) / 2, (hi - lo) / 2 + 1e-5
    log_q = -((cost.astype(np.float64) - middle) / amplitude) / epsilon
    _, b, k = log_q.shape
    for _ in range(iters):
        log_q -= _logsumexp(log_q, axis=1) + np.log(k)
        log_q -= _logsumexp(log_q, axis=2) + np.log(b)
    return log_q


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = a.max(axis=axis, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))


def sinkhorn_reassign(
    quant: Quantization, *, epsilon: float, iters: int, rounds: int
) -> tuple[np.ndarray, int]:
    """LC-Rec's uniform semantic mapping: the items of each colliding group get their last level
    re-assigned by Sinkhorn over their distances to the last codebook, for up to ``rounds``
    rounds while collisions remain and codes still change; returns (codes, rounds used).

    Groups of equal size are solved together as one batch, so the work is vectorised.
    """
    codes = quant.codes.copy()
    book = quant.last_codebook.astype(np.float64)
    book_sq = (book**2).sum(1)
    used = 0
    for _ in range(rounds):
        groups, counts = tuple_groups(codes)
        if not (counts > 1).any():
            break
        used += 1
        order = np.argsort(groups, kind="stable")
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        before = codes[:, -1].copy()
        for size in np.unique(counts[counts > 1]):
            which = np.flatnonzero(counts == size)
            members = order[starts[which][:, None] + np.arange(size)[None, :]]  # (G, size)
            r = quant.last_input(members).astype(np.float64)  # (G, size, d)
            cost = (r**2).sum(-1)[..., None] + book_sq - 2 * np.einsum("gsd,kd->gsk", r, book)
            codes[members, -1] = sinkhorn(cost, epsilon=epsilon, iters=iters).argmax(axis=2)
        if np.array_equal(before, codes[:, -1]):
            break
    return codes, used


def resolve(
    quant: Quantization,
    *,
    collisions: str,
    epsilon: float = 0.003,
    iters: int = 50,
    rounds: int = 20,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Unique tuples: ``(n, levels + 1)`` codes (the last column is the suffix) and a report."""
    codes = quant.codes
    report: dict[str, Any] = {"method": collisions}
    if collisions == "sinkhorn":
        codes, used = sinkhorn_reassign(quant, epsilon=epsilon, iters=iters, rounds=rounds)
        report["sinkhorn_rounds_used"] = used
        report["collision_rate_after_sinkhorn"] = round(collision_rate(codes), 6)
        report["items_reassigned"] = int((codes[:, -1] != quant.codes[:, -1]).sum())
    suffix = suffix_level(codes)
    report["suffix_size"] = int(suffix.max()) + 1 if suffix.size else 0
    report["items_with_suffix"] = int((suffix > 0).sum())
    return np.column_stack([codes, suffix]), report
