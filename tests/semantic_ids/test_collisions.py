"""Collision handling against slow obvious references: suffix ranks, collision rate, Sinkhorn."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recdata.semantic_ids import Quantization, collision_rate, resolve, sinkhorn, suffix_level

codes_strategy = st.integers(1, 4).flatmap(
    lambda levels: arrays(
        np.int64, st.tuples(st.integers(0, 60), st.just(levels)), elements=st.integers(0, 3)
    )
)


def reference_suffix(codes: np.ndarray) -> list[int]:
    """Row by row: how many earlier rows had the same tuple."""
    seen: dict[tuple, int] = defaultdict(int)
    out = []
    for row in codes.tolist():
        out.append(seen[tuple(row)])
        seen[tuple(row)] += 1
    return out


@settings(max_examples=60, deadline=None)
@given(codes_strategy)
def test_suffix_matches_reference_and_makes_tuples_unique(codes: np.ndarray) -> None:
    suffix = suffix_level(codes)
    assert suffix.tolist() == reference_suffix(codes)
    full = np.column_stack([codes, suffix])
    assert len({tuple(r) for r in full.tolist()}) == codes.shape[0]
    expected_rate = (
        1 - len({tuple(r) for r in codes.tolist()}) / codes.shape[0] if len(codes) else 0
    )
    assert collision_rate(codes) == expected_rate


def _quant(codes: np.ndarray, seed: int, k: int = 4) -> Quantization:
    rng = np.random.default_rng(seed)
    return Quantization(
        codes=codes,
        residual=rng.standard_normal((codes.shape[0], 3)).astype(np.float32),
        last_codebook=rng.standard_normal((k, 3)).astype(np.float32),
        details={},
    )


@settings(max_examples=40, deadline=None)
@given(codes_strategy, st.integers(0, 1000), st.sampled_from(["suffix", "sinkhorn"]))
def test_resolve_always_gives_unique_tuples(codes: np.ndarray, seed: int, how: str) -> None:
    quant = _quant(codes, seed)
    full, report = resolve(quant, collisions=how)
    assert full.shape == (codes.shape[0], codes.shape[1] + 1)
    assert len({tuple(r) for r in full.tolist()}) == codes.shape[0]
    # only the last quantised level may change, and only under sinkhorn
    assert np.array_equal(full[:, :-2], codes[:, :-1])
    if how == "suffix":
        assert np.array_equal(full[:, :-1], codes)
    assert 0 <= full[:, -2].min() if len(codes) else True
    assert (full[:, -2] < 4).all()
    counts = Counter(tuple(r) for r in full[:, :-1].tolist())
    assert report["suffix_size"] == (max(counts.values()) if counts else 0)


def test_sinkhorn_plan_has_uniform_marginals_and_spreads_a_group() -> None:
    rng = np.random.default_rng(0)
    cost = rng.random((1, 8, 8))
    log_q = sinkhorn(cost, epsilon=0.05, iters=500)
    q = np.exp(log_q[0])
    np.testing.assert_allclose(q.sum(axis=1), 1 / 8, atol=1e-6)
    np.testing.assert_allclose(q.sum(axis=0), 1 / 8, atol=1e-3)
    # eight items that all prefer code 0 are spread over the codebook by the balanced plan
    codes = np.zeros((8, 2), dtype=np.int64)
    residual = np.tile(np.array([[1.0, 0.0, 0.0]], np.float32), (8, 1))
    residual += rng.standard_normal((8, 3)).astype(np.float32) * 0.01
    book = np.eye(8, 3, dtype=np.float32)
    # the last level's input is residual + book[code]: code 0 everywhere, so subtract book[0]
    quant = Quantization(codes=codes, residual=residual - book[0], last_codebook=book, details={})
    plain_winner = np.argmin(((residual[:, None] - book[None]) ** 2).sum(-1), axis=1)
    assert set(plain_winner.tolist()) == {0}
    full, report = resolve(quant, collisions="sinkhorn", epsilon=0.003, iters=50)
    assert len(set(full[:, 1].tolist())) > 1
    assert report["items_reassigned"] > 0
    assert report["collision_rate_after_sinkhorn"] < 7 / 8
