"""Raw ids to contiguous int32 indices from 1 (0 = padding), and back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

import numpy as np
import polars as pl

from recdata._types import IndexOrder
from recdata.errors import TransformError
from recdata.schema import INTERACTION, ITEM, ITEM_ID, TIME, USER, USER_ID
from recdata.transforms._codes import (
    PARALLEL_ROWS,
    Encoded,
    both,
    encode,
    encode_pair,
    sorted_with_order,
    value_order,
)
from recdata.transforms._sort import (
    order_key,
    sequence_order,
    sequence_permutation,
    stable_argsort,
)

IndexIdsOrder: TypeAlias = IndexOrder | Literal["any"]
"""Orders :func:`index_ids` accepts: a recipe's ``index.order`` or ``any`` (no particular order,
for frames that are filtered and then :func:`reindex`-ed)."""


@dataclass(frozen=True)
class IndexedData:
    """Interactions with int32 indices and the two mapping tables.

    ``interactions``: ``interaction_idx`` (int64, position in sequence order), ``user_idx``,
    ``item_idx`` (int32 from 1), then the remaining input columns; ``user_map``
    (``user_idx``, ``user_id``) and ``item_map`` (``item_idx``, ``item_id``) sorted by index.
    """

    interactions: pl.DataFrame
    user_map: pl.DataFrame
    item_map: pl.DataFrame
    order: IndexIdsOrder = "raw_id"
    raw_keys: tuple[pl.Series, pl.Series] | None = field(default=None, repr=False, compare=False)
    """For ``order="any"``: the user and item keys in their input type, at position idx - 1
    (the maps hold them as strings), so :func:`reindex` can order survivors by raw id."""

    def without_interactions(self) -> IndexedData:
        """A copy with no interaction rows (same columns): all :func:`reindex` needs, so a
        pipeline can free the full frame once it has filtered it."""
        return replace(self, interactions=self.interactions.clear())


def _rank_codes(
    enc: Encoded, order: IndexOrder, first_pos: np.ndarray | None, keys: pl.Series | None = None
) -> np.ndarray:
    """Index (1..k) of each code under ``order``; ``keys`` (default ``enc.values``) are what
    raw-id order sorts: the raw keys when ``enc`` encodes indices of an ``order="any"``
    indexing (see :func:`_keys_of`)."""
    k = enc.size
    in_value_order = enc.by_value and keys is None
    keys = enc.values if keys is None else keys
    if order == "raw_id":
        ordering = np.arange(k) if in_value_order else value_order(keys)
    elif order == "popularity":
        counts = np.bincount(enc.codes, minlength=k)
        if in_value_order:
            value_rank = np.arange(k)
        else:
            value_rank = np.empty(k, dtype=np.int64)
            value_rank[value_order(keys)] = np.arange(k)
        ordering = np.lexsort((value_rank, -counts))
    elif order in ("first_seen", "input"):
        assert first_pos is not None
        ordering = np.argsort(first_pos, kind="stable")
    else:
        raise TransformError(
            f"index_ids: order={order!r} is not one of raw_id, first_seen, popularity, input"
        )
    idx = np.empty(k, dtype=np.int32)
    idx[ordering] = np.arange(1, k + 1, dtype=np.int32)
    return idx


def _ranked(
    s: pl.Series, order: IndexIdsOrder, raw: pl.Series | None = None
) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Index a key column by ``raw_id``, ``popularity`` or ``any``: the key of each code, the
    index of each code and of each row (one unit of work, so two columns run in parallel).
    ``raw``: see :func:`_rank_codes`."""
    if raw is not None and order == "raw_id":
        fast = _reranked(s, raw)
        if fast is not None:
            return fast
    enc = encode(s)
    if order == "any" or (enc.by_value and raw is None and order == "raw_id"):
        # index = code + 1, computed in place: the codes are not used again
        idx = np.add(enc.codes, 1, out=enc.codes, dtype=np.int32)
        return _keys_of(enc.values, raw), np.arange(1, enc.size + 1, dtype=np.int32), idx
    keys = _keys_of(enc.values, raw)
    idx_of = _rank_codes(enc, order, None, None if raw is None else keys)
    return keys, idx_of, np.take(idx_of, enc.codes, mode="clip")


def _keys_of(values: pl.Series, raw: pl.Series | None) -> pl.Series:
    """The keys that codes stand for: ``values`` itself, or when ``values`` are indices of an
    ``order="any"`` indexing, their raw keys ``raw[values - 1]``."""
    return values if raw is None else raw.gather(values.cast(pl.Int64) - 1)


def _reranked(old: pl.Series, raw: pl.Series) -> tuple[pl.Series, np.ndarray, np.ndarray] | None:
    """:func:`_ranked` by ``raw_id`` for indices ``old`` of an ``order="any"`` indexing whose
    raw keys are ``raw``: one lookup table from old to new index, so one gather per row.
    None when ``old`` is not a null-free integer column within ``1..len(raw)``."""
    if not old.dtype.is_integer() or old.null_count() or len(old) == 0:
        return None
    if int(old.min()) < 1 or int(old.max()) > len(raw):  # type: ignore[arg-type]
        return None
    codes = old.to_numpy()
    seen = np.zeros(len(raw) + 1, dtype=bool)
    seen[codes] = True
    present = np.flatnonzero(seen)  # old indices that survived, ascending
    ordering, keys = sorted_with_order(raw.gather(present - 1))  # keys: raw keys by new index
    by_raw = present[ordering]
    lut = np.zeros(len(raw) + 1, dtype=np.int32)
    lut[by_raw] = np.arange(1, len(by_raw) + 1, dtype=np.int32)
    return keys, np.arange(1, len(by_raw) + 1, dtype=np.int32), np.take(lut, codes, mode="clip")


def _first_positions(codes: np.ndarray, k: int, positions: np.ndarray) -> np.ndarray:
    """Smallest ``positions`` value seen for each code."""
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, positions)
    return first


def _time_key(s: pl.Series | None, n: int) -> np.ndarray:
    """Int64 sort key of a time column (zeros when there is none), nulls first."""
    return np.zeros(n, dtype=np.int64) if s is None else order_key(s)


def _index_frame(
    df: pl.DataFrame,
    user: str,
    item: str,
    time: str | None,
    order: IndexIdsOrder,
    sort: bool = True,
    raw_keys: tuple[pl.Series, pl.Series] | None = None,
) -> tuple[pl.DataFrame, pl.Series, np.ndarray, pl.Series, np.ndarray]:
    """Indexed interactions plus, per key column, the key of each code and its index
    (``values[c]`` gets index ``idx_of[c]``); with ``raw_keys`` the keys are raw keys.

    ``raw_keys``: when ``user``/``item`` hold indices of an ``order="any"`` indexing, the raw
    keys of those indices (see :attr:`IndexedData.raw_keys`), which then define raw-id order.
    """
    if order not in ("raw_id", "first_seen", "popularity", "input", "any"):
        raise TransformError(
            f"index_ids: order={order!r} is not one of raw_id, first_seen, popularity, input, any"
        )
    raw_user, raw_item = raw_keys if raw_keys is not None else (None, None)
    clash = {INTERACTION, USER, ITEM} & (set(df.columns) - {user, item})
    if clash:
        raise TransformError(
            f"index_ids: the frame already has column(s) {sorted(clash)}; drop or rename them"
        )
    n = df.height
    rest = df.drop(user, item) if df.width > 2 else None
    need_time = sort or order == "first_seen"
    tkey = _time_key(df[time] if time is not None and need_time else None, n)
    if order in ("first_seen", "input"):
        eu, ei = encode_pair(df[user], df[item])
        if order == "first_seen":
            chron = stable_argsort(tkey)
            pos = np.empty(n, dtype=np.int64)
            pos[chron] = np.arange(n)
        else:  # input: first appearance in the input rows, for users and items alike
            pos = np.arange(n, dtype=np.int64)
        uidx_of = _rank_codes(eu, order, _first_positions(eu.codes, eu.size, pos))
        user_idx = uidx_of[eu.codes]
        perm = sequence_permutation(user_idx, tkey, ascending=True)
        if order == "first_seen":
            seq_pos = np.empty(n, dtype=np.int64)
            seq_pos[perm] = np.arange(n)
        else:
            seq_pos = pos
        iidx_of = _rank_codes(ei, order, _first_positions(ei.codes, ei.size, seq_pos))
        item_idx = iidx_of[ei.codes]
        uvalues, ivalues = _keys_of(eu.values, raw_user), _keys_of(ei.values, raw_item)
    else:
        (uvalues, uidx_of, user_idx), (ivalues, iidx_of, item_idx) = both(
            lambda: _ranked(df[user], order, raw_user),
            lambda: _ranked(df[item], order, raw_item),
            parallel=n >= PARALLEL_ROWS,
        )
        if sort and rest is not None:
            # the sequence sort (numpy, one core) runs while polars rechunks the other columns
            perm, rest = both(
                lambda: sequence_order(user_idx, tkey, ascending=True),
                rest.rechunk,
                parallel=n >= PARALLEL_ROWS,
            )
        else:
            perm = sequence_order(user_idx, tkey, ascending=True) if sort else None
    identity = not sort or perm is None
    body = pl.DataFrame([pl.Series(ITEM, item_idx, dtype=pl.Int32)])
    if rest is not None:
        # before a gather, one chunk per column (CSV reads come in many): gathers are 3x faster
        body = pl.concat([body, rest if identity else rest.rechunk()], how="horizontal")
    if not identity:
        assert perm is not None
        body = body[_gather_index(perm)]  # one gather of every column, in parallel
        user_idx = _users_in_order(user_idx)  # in sequence order they are ascending
    body = body.insert_column(0, pl.Series(USER, user_idx, dtype=pl.Int32))
    interactions = body.insert_column(0, pl.Series(INTERACTION, np.arange(n, dtype=np.int64)))
    return interactions, uvalues, uidx_of, ivalues, iidx_of


def _users_in_order(user_idx: np.ndarray) -> np.ndarray:
    """``user_idx`` sorted, for indices 1..k: each index repeated as often as it occurs
    (a count and a fill, where a gather through the permutation reads at random)."""
    counts = np.bincount(user_idx)
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


def _gather_index(perm: np.ndarray) -> pl.Series:
    """``perm`` as polars' native row-index type (UInt32 unless polars is built for more)."""
    if len(perm) < 2**32 - 1:
        return pl.Series(perm.astype(np.uint32))
    return pl.Series(perm)


def index_ids(
    lf: pl.LazyFrame,
    *,
    user: str = USER_ID,
    item: str = ITEM_ID,
    time: str | None = TIME,
    order: IndexIdsOrder = "raw_id",
    sort: bool = True,
) -> IndexedData:
    """Replace raw ``user``/``item`` ids by int32 indices from 1 and sort in sequence order.

    ``order``: ``raw_id`` sorts the raw ids by value as given (numbers numerically, strings
    lexicographically); ``first_seen`` numbers users by their first interaction in time
    (ties: input row order) and items by first appearance in the resulting sequence order;
    ``popularity`` numbers by descending interaction count, ties by raw id; ``input`` numbers
    users and items by first appearance in the input rows (a step that leaves rows in a
    protocol's own order, such as SR-GNN's, then fixes the numbering); ``any`` in no
    particular (but deterministic) order, the cheapest, for frames that are filtered and then
    :func:`reindex`-ed, which orders the survivors by raw id. Rows are then
    sorted stably by (user_idx, time) (ties keep input order; null time first) and numbered
    by ``interaction_idx``. Raw id columns are dropped; other columns are kept.

    ``sort=False`` keeps the input row order (``interaction_idx`` is then the input row
    number): the cheap first half of "index early, filter on int32, :func:`reindex` last".
    """
    df = lf.collect()
    interactions, uvalues, uidx_of, ivalues, iidx_of = _index_frame(
        df, user, item, time, order, sort
    )
    return IndexedData(
        interactions=interactions,
        user_map=_map_frame(uvalues, uidx_of, USER, USER_ID),
        item_map=_map_frame(ivalues, iidx_of, ITEM, ITEM_ID),
        order=order,
        raw_keys=(uvalues, ivalues) if order == "any" else None,
    )


def reindex(
    data: IndexedData,
    lf: pl.LazyFrame | pl.DataFrame,
    *,
    time: str | None = TIME,
    order: IndexOrder = "raw_id",
) -> IndexedData:
    """Re-number a filtered subset of ``data.interactions`` as :func:`index_ids` would.

    This lets a pipeline index raw ids once, up front (``order="any"``, the cheapest, or
    ``"raw_id"``), run dedup, k-core and the other filters on int32 columns, and then get
    exactly the indices, maps and
    ``interaction_idx`` that :func:`index_ids` gives on the filtered raw frame: contiguous
    from 1 in ``order``, rows in sequence order (ties by the old ``interaction_idx``).
    For ``order="first_seen"`` this is exact when ``data`` was indexed with ``sort=False``
    (its ``interaction_idx`` then is the input row order that breaks time ties).
    """
    if data.order not in ("raw_id", "any"):
        raise TransformError(
            f"reindex: data was indexed with order={data.order!r}; index with order='any' or "
            "'raw_id' first"
        )
    if order == "any":
        raise TransformError("reindex: order must be one of raw_id, first_seen, popularity")
    df = lf.lazy().collect() if isinstance(lf, pl.DataFrame) else lf.collect()
    if INTERACTION in df.columns:
        if df.height and not df[INTERACTION].is_sorted():
            df = df.sort(INTERACTION)
        df = df.drop(INTERACTION)
    interactions, uvalues, uidx_of, ivalues, iidx_of = _index_frame(
        df, USER, ITEM, time, order, raw_keys=data.raw_keys
    )
    if data.raw_keys is not None:  # the keys are raw keys already
        user_map = _map_frame(uvalues, uidx_of, USER, USER_ID)
        item_map = _map_frame(ivalues, iidx_of, ITEM, ITEM_ID)
    else:
        user_map = _compose(uvalues, uidx_of, data.user_map, USER, USER_ID)
        item_map = _compose(ivalues, iidx_of, data.item_map, ITEM, ITEM_ID)
    return IndexedData(interactions=interactions, user_map=user_map, item_map=item_map, order=order)


def _compose(
    values: pl.Series, idx_of: np.ndarray, old_map: pl.DataFrame, idx_name: str, id_name: str
) -> pl.DataFrame:
    """New idx -> raw id, through the old indices (``values``) and the old map."""
    old_idx = _in_index_order(values, idx_of).cast(pl.Int64).to_numpy()
    return pl.DataFrame(
        {
            idx_name: pl.Series(np.arange(1, len(values) + 1, dtype=np.int32)),
            id_name: old_map[id_name].gather(old_idx - 1),
        }
    )


def _in_index_order(values: pl.Series, idx_of: np.ndarray) -> pl.Series:
    """``values`` reordered so that position i holds the value indexed i + 1."""
    if np.array_equal(idx_of, np.arange(1, len(values) + 1, dtype=np.int32)):
        return values
    inv = np.empty(len(values), dtype=np.int64)
    inv[idx_of - 1] = np.arange(len(values))
    return values.gather(inv)


def _map_frame(values: pl.Series, idx_of: np.ndarray, idx_name: str, id_name: str) -> pl.DataFrame:
    """(idx, raw id as string) sorted by idx."""
    numbers = pl.Series(np.arange(1, len(values) + 1, dtype=np.int32))
    return pl.DataFrame(
        {idx_name: numbers, id_name: _in_index_order(values, idx_of).cast(pl.String)}
    )


def inverse_ids(
    lf: pl.LazyFrame,
    *,
    user_map: pl.DataFrame,
    item_map: pl.DataFrame,
    user: str = USER,
    item: str = ITEM,
) -> pl.LazyFrame:
    """Replace ``user``/``item`` indices by raw ids (the maps' id columns), in place.

    The output columns take the maps' id names (``user_id``, ``item_id``); row order is kept.
    An index absent from its map is an error when collected.
    """
    uidx, uid = user_map.columns[:2]
    iidx, iid = item_map.columns[:2]
    return lf.with_columns(
        pl.col(user).replace_strict(user_map[uidx], user_map[uid], return_dtype=pl.String),
        pl.col(item).replace_strict(item_map[iidx], item_map[iid], return_dtype=pl.String),
    ).rename({user: uid, item: iid})
