"""Vectorised, seeded negative sampling without replacement: rejection, then exact small sets.

Both paths draw from the same law: *successive sampling* (each next negative is drawn with
probability proportional to its weight among the eligible items not yet drawn). Rejection
keeps the first N distinct eligible items of an i.i.d. stream of draws; the small-set path ranks
every eligible item by an Efraimidis-Spirakis key ``-log(1 - u) / w`` and keeps the N smallest.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from recdata.candidates._exclude import Exclusion
from recdata.candidates._hash import counters, draw, row_keys

CHUNK_ROWS = 1 << 13
"""Rows sampled together (bounds memory: about 40 bytes per row and negative)."""
MAX_ROUNDS = 32
"""Rejection rounds after the first before the remaining rows take the exact small-set path."""
_DENSE_CELLS = 1 << 22
"""Row x item cells of one small-set block (32 MB of float64 keys)."""
_SMALL_ATTEMPT = 0xFFFF_FFFF
"""The attempt label of the small-set keys (the rejection stream uses attempt 0)."""
_ROUND_CELLS = 1 << 20
"""Row x slot cells of one rejection block (bounds memory: about 40 bytes per cell)."""
_MARGIN = 2.0
"""The first round aims at this many standard deviations (about sqrt(n)) over n."""
_LATER_SHARE = 4
"""Later rounds read this fraction of the first round's slots (rows short by a few)."""
_MAX_WIDTH = 16
"""The first round reads at most this many slots per negative."""


@dataclass(frozen=True)
class Rows:
    """The evaluated rows: their interaction_idx, user and positive item (numpy arrays)."""

    ids: np.ndarray
    users: np.ndarray
    positives: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: np.ndarray | slice) -> Rows:
        return Rows(self.ids[index], self.users[index], self.positives[index])


@dataclass(frozen=True)
class Lists:
    """Negatives of many rows: ``values[offsets[r]:offsets[r + 1]]`` are row r's, sorted."""

    offsets: np.ndarray
    values: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @staticmethod
    def concat(parts: list[Lists]) -> Lists:
        if not parts:
            return Lists(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        lengths = np.concatenate([p.lengths for p in parts])
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.concatenate([p.values for p in parts]).astype(np.int32, copy=False)
        return Lists(offsets, values)


def _lists_from_mask(items: np.ndarray, mask: np.ndarray) -> Lists:
    """Row-wise lists of the masked entries of a (rows, k) matrix (already sorted per row)."""
    lengths = mask.sum(axis=1)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Lists(offsets, items[mask].astype(np.int32))


class Sampler:
    """Draws N negatives per row from items 1..n_items, by weight, outside the exclusion sets.

    ``weights`` (length n_items + 1, index 0 unused) gives popularity sampling; None is uniform.
    An item of weight 0 is never drawn.
    """

    def __init__(
        self,
        *,
        n: int,
        exclusion: Exclusion,
        weights: np.ndarray | None,
        key: np.uint64,
        workers: int | None = None,
    ) -> None:
        self.n = n
        self.exclusion = exclusion
        self.n_items = exclusion.n_items
        self.key = key
        self.workers = max(1, workers or 1)
        if weights is None:
            self.weights = None
            self.cdf = None
            self.drawable = np.ones(self.n_items + 1, dtype=bool)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (self.n_items + 1,) or (w < 0).any() or not np.isfinite(w).all():
                raise ValueError("weights must be n_items + 1 finite non-negative numbers")
            self.weights = w.copy()
            self.weights[0] = 0.0
            self.cdf = np.cumsum(self.weights[1:])
            if self.cdf[-1] <= 0:
                self.cdf = None
                self.weights = np.zeros_like(self.weights)
            self.drawable = self.weights > 0
        self.drawable[0] = False
        self.n_drawable = int(self.drawable.sum())
        # per user: excluded items that could be drawn
        excl_users = self.exclusion.keys // self.exclusion.stride
        excl_items = self.exclusion.keys % self.exclusion.stride
        counted = self.drawable[np.minimum(excl_items, self.n_items)]
        self.user_blocked = np.bincount(
            excl_users[counted], minlength=len(self.exclusion.offsets) - 1
        ).astype(np.int64)

    # ------------------------------------------------------------------ public

    def keyed(self, key: np.uint64) -> Sampler:
        """The same sampler (exclusions, weights) drawing from another stream key."""
        other = copy.copy(self)
        other.key = key
        return other

    def eligible(self, rows: Rows) -> np.ndarray:
        """How many items each row may receive as negatives."""
        users = np.minimum(rows.users.astype(np.int64), len(self.user_blocked) - 1)
        blocked = self.user_blocked[users]
        pos = rows.positives.astype(np.int64)
        pos_ok = (pos >= 1) & (pos <= self.n_items)
        pos_counted = np.zeros(len(rows), dtype=bool)
        pos_counted[pos_ok] = self.drawable[pos[pos_ok]] & ~self.exclusion.contains(
            rows.users[pos_ok], pos[pos_ok]
        )
        return self.n_drawable - blocked - pos_counted

    def sample(self, rows: Rows) -> Lists:
        """Sorted negatives for every row, ``min(n, eligible)`` of them, in row order."""
        chunks = [rows.take(slice(s, s + CHUNK_ROWS)) for s in range(0, len(rows), CHUNK_ROWS)]
        if self.workers > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                parts = list(pool.map(self._chunk, chunks))
        else:
            parts = [self._chunk(c) for c in chunks]
        return Lists.concat(parts)

    # ------------------------------------------------------------------ per chunk

    def _chunk(self, rows: Rows) -> Lists:
        if self.n == 0 or len(rows) == 0:
            return Lists(np.zeros(len(rows) + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        eligible = self.eligible(rows)
        big = eligible >= 2 * self.n
        lengths = np.zeros(len(rows), dtype=np.int64)
        pieces: list[tuple[np.ndarray, Lists]] = []
        big_idx = np.flatnonzero(big)
        small_idx = np.flatnonzero(~big)
        if len(big_idx):
            solved, failed = self._rejection(rows.take(big_idx))
            pieces += [(big_idx[idx], lists) for idx, lists in solved]
            small_idx = np.sort(np.concatenate([small_idx, big_idx[failed]]))
        if len(small_idx):
            pieces.append((small_idx, self._small(rows.take(small_idx))))
        for idx, lists in pieces:
            lengths[idx] = lists.lengths
        return _assemble(len(rows), lengths, pieces)

    def _items_of(self, u: np.ndarray) -> np.ndarray:
        """Items from uniforms: Walker's alias table of the weights (or uniform 1..n_items).

        ``u * n_items`` picks a column (its integer part) and a coin (its fraction): the
        column's own item when the coin is under the column's share, else its alias. O(1) per
        draw, and each item's total probability is its share of the weight.
        """
        if self.cdf is None:
            return (u * self.n_items).astype(np.int64) + 1
        share, alias = self._alias()
        x = u * len(share)
        col = x.astype(np.intp)
        x -= col
        out = np.where(x < share.take(col), col, alias.take(col))  # take: faster than []
        out += 1
        return out

    def _alias(self) -> tuple[np.ndarray, np.ndarray]:
        """(share, alias) of each column 0..n_items-1 (item = column + 1); built once."""
        cached = self.__dict__.get("_alias_table")
        if cached is None:
            cached = self._alias_table = alias_table(self.weights[1:])
        return cached

    def _stream_width(self) -> int:
        """Draws per row in the first round: enough for ``n`` fresh eligible items on average.

        The expected number of distinct drawable items in ``m`` i.i.d. draws, each counted
        with the share of users not excluding it, must reach ``n`` plus a margin (rows left
        short take further rounds, so this changes the cost only, never the lists).
        """
        cached = self.__dict__.get("_width")
        if cached is not None:
            return cached
        n_users = max(1, len(self.exclusion.offsets) - 2)
        excl_items = self.exclusion.keys % self.exclusion.stride
        kept_share = 1.0 - np.bincount(excl_items, minlength=self.n_items + 1) / n_users
        if self.weights is None:
            p = np.where(self.drawable, 1.0 / max(1, self.n_drawable), 0.0)
        else:
            p = self.weights / self.weights.sum()
        p, kept_share = p[self.drawable], np.clip(kept_share[self.drawable], 0.0, 1.0)
        target = self.n + 1 + _MARGIN * np.sqrt(self.n)
        log_q = np.log1p(-np.minimum(p, 1.0 - 1e-16))
        if float((-np.expm1(self.n * log_q) * kept_share).sum()) >= self.n - 1:
            self._width = self.n  # under one draw lost per row: no surplus, no ranking
            return self._width
        lo, hi = self.n, _MAX_WIDTH * self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if float((-np.expm1(mid * log_q) * kept_share).sum()) >= target:
                hi = mid
            else:
                lo = mid + 1
        self._width = int(lo)
        return self._width

    def _rejection(self, rows: Rows) -> tuple[list[tuple[np.ndarray, Lists]], np.ndarray]:
        """(row positions, lists) of the rows solved within MAX_ROUNDS; the other rows.

        Each row's draws are one i.i.d. stream (slot 0, 1, 2, ...); its negatives are the
        first N distinct eligible items of the stream, which is successive sampling. The first
        round reads enough slots of every row for most rows, each later round a quarter as many
        more of the rows still short (the lists do not depend on these sizes). Kept negatives are one sorted array of keys ``row * stride + item``.
        """
        n, stride, n_rows = self.n, self.n_items + 1, len(rows)
        first = self._stream_width()
        keys = row_keys(self.key, rows.ids)
        pos = rows.positives.astype(np.int64)
        ex_keys, ex_items = self.exclusion.expand(rows.users)  # this chunk's excluded pairs
        ex_keys *= stride
        ex_keys += ex_items
        need = np.full(n_rows, n, dtype=np.int64)
        kept = extra = np.zeros(0, dtype=np.int64)
        active = np.arange(n_rows, dtype=np.int64)
        start = 0
        for attempt in range(MAX_ROUNDS + 1):
            width = first
            if attempt:
                active = np.flatnonzero(need > 0)
                width = max(8, first // _LATER_SHARE)
            if len(active) == 0:
                break
            block = max(1, _ROUND_CELLS // width)
            fresh = [
                self._round(
                    keys, pos, active[s : s + block], start, width, need, ex_keys, kept, extra
                )
                for s in range(0, len(active), block)
            ]
            start += width
            fresh = np.concatenate(fresh)
            need -= np.bincount(fresh // stride, minlength=n_rows)
            if attempt == 0:
                kept = fresh
            else:  # later rounds add few: keep them apart, merge once at the end
                extra = np.insert(extra, np.searchsorted(extra, fresh), fresh)
        kept = np.insert(kept, np.searchsorted(kept, extra), extra)
        kept_rows = kept // stride
        failed = need > 0
        if failed.any():
            keep = ~failed[kept_rows]
            kept, kept_rows = kept[keep], kept_rows[keep]
        kept -= kept_rows * stride
        solved = np.flatnonzero(~failed)
        return [(solved, _full_lists(kept, len(solved), n))], np.flatnonzero(failed)

    def _round(
        self,
        keys: np.ndarray,
        pos: np.ndarray,
        active: np.ndarray,
        start: int,
        width: int,
        need: np.ndarray,
        ex_keys: np.ndarray,
        kept: np.ndarray,
        extra: np.ndarray,
    ) -> np.ndarray:
        """Sorted keys of the fresh negatives in slots ``start..start+width`` of the active rows.

        A draw counts when its item is not excluded, not the positive, not kept already and
        not drawn at an earlier slot of this round; each row takes its first ``need`` by slot.
        """
        n_act, stride = len(active), self.n_items + 1
        u = draw(keys[active][:, None], counters(0, np.arange(start, start + width))[None, :])
        items = self._items_of(u)
        ranked = width > need[active].min()  # else every fresh draw is kept, in any order
        if ranked:  # sort each row by (item, slot): the first of equal items is the earliest
            small = (self.n_items + 1) * width < 2**31
            code = items.astype(np.int32 if small else np.int64)
            code *= width
            code += np.arange(width, dtype=code.dtype)[None, :]
            code.sort(axis=1)
            items = (code // width).astype(np.int64)
            slots = code % width
        else:
            items.sort(axis=1)
        ok = items != pos[active][:, None]
        ok[:, 1:] &= items[:, 1:] != items[:, :-1]
        items += (active * stride)[:, None]
        flat, okf = items.ravel(), ok.ravel()  # sorted: rows in order, items within a row
        _mark(okf, flat, ex_keys)
        _mark(okf, flat, kept)
        _mark(okf, flat, extra)
        if not ranked:
            return flat[okf]
        # rank of each fresh draw among its row's fresh draws, in slot order
        at = slots
        at += (np.arange(n_act, dtype=at.dtype) * width)[:, None]
        by_slot = np.zeros((n_act, width), dtype=np.int32)
        by_slot.put(at, ok)
        np.cumsum(by_slot, axis=1, out=by_slot)
        rank = by_slot.take(at)
        ok &= rank <= need[active][:, None]
        return flat[okf]

    def _small(self, rows: Rows) -> Lists:
        """Exact path: rank every eligible item by its seeded key; keep the N smallest."""
        n_cols = self.n_items + 1
        block = max(1, _DENSE_CELLS // n_cols)
        parts = []
        for start in range(0, len(rows), block):
            parts.append(self._small_block(rows.take(slice(start, start + block))))
        return Lists.concat(parts)

    def _small_block(self, rows: Rows) -> Lists:
        n_rows, n_cols = len(rows), self.n_items + 1
        keys = row_keys(self.key, rows.ids)
        u = draw(keys[:, None], counters(_SMALL_ATTEMPT, np.arange(n_cols))[None, :])
        if self.weights is None:
            score = u
        else:
            with np.errstate(divide="ignore"):
                score = -np.log1p(-u) / self.weights[None, :]
        blocked = np.broadcast_to(~self.drawable, (n_rows, n_cols)).copy()
        row_of, items = self.exclusion.expand(rows.users)
        blocked[row_of, items] = True
        pos = rows.positives.astype(np.int64)
        ok = (pos >= 0) & (pos < n_cols)
        blocked[np.flatnonzero(ok), pos[ok]] = True
        score[blocked] = np.inf
        k = min(self.n, n_cols)
        if k < n_cols:
            top = np.argpartition(score, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
        chosen = np.take_along_axis(score, top, axis=1)
        mask = np.isfinite(chosen)
        items = np.where(mask, top, np.iinfo(np.int64).max)
        items.sort(axis=1)
        mask = items != np.iinfo(np.int64).max
        return _lists_from_mask(items, mask)


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction) of non-negative weights with a positive sum.

    Column i is kept with probability ``share[i]``, else ``alias[i]`` is drawn; a weight-0
    item is never drawn (share 0, and no column aliases it).
    """
    k = len(weights)
    scaled = weights * (k / weights.sum())
    share = np.zeros(k, dtype=np.float64)
    alias = np.arange(k, dtype=np.int32 if k < 2**31 else np.int64)
    small = np.flatnonzero(scaled < 1.0).tolist()
    large = np.flatnonzero(scaled >= 1.0).tolist()
    left = scaled.tolist()
    while small and large:  # over items, once per sampler
        s, g = small.pop(), large[-1]
        share[s], alias[s] = left[s], g
        left[g] -= 1.0 - left[s]
        if left[g] < 1.0:
            small.append(large.pop())
    heaviest = int(np.argmax(weights))
    for i in large + small:  # leftovers hold about 1 (float rounding)
        share[i], alias[i] = (1.0, i) if weights[i] > 0 else (0.0, heaviest)
    return share, alias


def _full_lists(values: np.ndarray, n_rows: int, n: int) -> Lists:
    """Lists of ``n`` values for each of ``n_rows`` rows."""
    return Lists(np.arange(n_rows + 1, dtype=np.int64) * n, values.astype(np.int32))


def _mark(valid: np.ndarray, sorted_keys: np.ndarray, hits: np.ndarray) -> None:
    """Clear ``valid`` at the first position of ``sorted_keys`` equal to each of ``hits``.

    Later equal positions are duplicates and already invalid; both arrays are sorted, so
    numpy's binary search runs near linearly.
    """
    if len(hits) == 0 or len(sorted_keys) == 0:
        return
    at = np.searchsorted(sorted_keys, hits)
    inside = at < len(sorted_keys)
    at = at[inside]
    valid[at[sorted_keys[at] == hits[inside]]] = False


def _assemble(n_rows: int, lengths: np.ndarray, pieces: list[tuple[np.ndarray, Lists]]) -> Lists:
    """One Lists in row order from pieces of (row positions, their lists)."""
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.empty(offsets[-1], dtype=np.int32)
    for idx, lists in pieces:
        if len(idx) == 0:
            continue
        starts = offsets[idx]
        lens = lists.lengths
        target = np.repeat(starts, lens) + (
            np.arange(len(lists.values)) - np.repeat(lists.offsets[:-1], lens)
        )
        values[target] = lists.values
    return Lists(offsets, values)
