"""Slow, obviously-correct pure-Python references for the graph builders, and a data strategy."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import polars as pl
from hypothesis import strategies as st

from recdata import schema as S


@st.composite
def interactions(draw: st.DrawFn, max_rows: int = 40) -> pl.DataFrame:
    """A small train part: users 1..4, items 1..6, coarse timestamps (ties happen), ratings."""
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(1, 4),
                st.integers(1, 6),
                st.integers(0, 5),
                st.sampled_from([1.0, 2.5, 4.0, 5.0]),
            ),
            max_size=max_rows,
        )
    )
    return pl.DataFrame(
        {
            S.INTERACTION: list(range(len(rows))),
            S.USER: [r[0] for r in rows],
            S.ITEM: [r[1] for r in rows],
            S.TIME: [datetime.fromtimestamp(r[2] * 100, UTC) for r in rows],
            S.RATING: [r[3] for r in rows],
        },
        schema={
            S.INTERACTION: pl.Int64,
            S.USER: pl.Int32,
            S.ITEM: pl.Int32,
            S.TIME: S.POLARS_TIMESTAMP,
            S.RATING: pl.Float32,
        },
    )


def sequences(frame: pl.DataFrame) -> dict[int, list[int]]:
    """Each user's items in sequence order (timestamp, then interaction_idx)."""
    rows = sorted(
        frame.iter_rows(named=True), key=lambda r: (r[S.USER], r[S.TIME], r[S.INTERACTION])
    )
    out: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        out[row[S.USER]].append(row[S.ITEM])
    return out


def cooc_reference(
    frame: pl.DataFrame, *, window: int | None, symmetric: bool, top_k: int | None, self_loops: bool
) -> dict[tuple[int, int], float]:
    """Pairs (a earlier, b later) at most ``window`` apart, counted by two nested loops."""
    directed: Counter[tuple[int, int]] = Counter()
    for seq in sequences(frame).values():
        for i in range(len(seq)):
            for j in range(i + 1, len(seq)):
                if window is not None and j - i > window:
                    break
                if seq[i] == seq[j] and not self_loops:
                    continue
                directed[(seq[i], seq[j])] += 1
    if symmetric:
        both: Counter[tuple[int, int]] = Counter()
        for (a, b), n in directed.items():
            both[(a, b)] += n
            if a != b:
                both[(b, a)] += n
        directed = both
    edges = {pair: float(n) for pair, n in directed.items()}
    if top_k is not None:
        by_src: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for (a, b), w in edges.items():
            by_src[a].append((b, w))
        edges = {}
        for a, lst in by_src.items():
            for b, w in sorted(lst, key=lambda bw: (-bw[1], bw[0]))[:top_k]:
                edges[(a, b)] = w
    return edges


def as_dict(edges: pl.DataFrame) -> dict[tuple[int, int], float]:
    return {(s, d): w for s, d, w in edges.select("src", "dst", "weight").iter_rows()}
