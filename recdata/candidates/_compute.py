"""Candidate lists of a split's valid/test parts from frames: pure, seeded, no I/O."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from recdata import schema as S
from recdata.candidates._exclude import Exclusion, exclusion
from recdata.candidates._hash import counters, draw, row_keys, stream_key
from recdata.candidates._sample import Lists, Rows, Sampler
from recdata.candidates._spec import EVAL_PARTS, CandidatesSpec
from recdata.dataset.manifest import CandidatePartRecord, CandidatesRecord
from recdata.errors import SchemaError, UsageError

log = logging.getLogger("recdata.candidates")

IMPRESSIONS = S.IMPRESSIONS
_IMPRESSION_ATTEMPT = 0xFFFF_FFFE


@dataclass
class CandidateOutputs:
    """The candidate frames of one protocol (``{part: frame}``, empty for ``all``) and their record."""

    frames: dict[str, pl.DataFrame]
    record: CandidatesRecord
    files: dict[str, str] = field(default_factory=dict)
    """``{part: relative path}`` of the frames."""


def candidates_path(protocol: str, part: str) -> str:
    """``splits/<protocol>/candidates-<part>.parquet``."""
    return f"splits/{protocol}/candidates-{part}.parquet"


def popularity_weights(train: pl.LazyFrame, *, n_items: int, alpha: float) -> np.ndarray:
    """``count ** alpha`` of each item's train interactions (index 0 and unseen items: 0)."""
    counts = (
        train.select(pl.col(S.ITEM).cast(pl.Int64))
        .filter((pl.col(S.ITEM) >= 1) & (pl.col(S.ITEM) <= n_items))
        .collect()[S.ITEM]
        .to_numpy()
    )
    weights = np.bincount(counts, minlength=n_items + 1).astype(np.float64)
    seen = weights > 0
    weights[seen] = weights[seen] ** alpha
    weights[0] = 0.0
    return weights


def _rows(part: pl.LazyFrame) -> tuple[pl.DataFrame, Rows]:
    frame = (
        part.select(S.INTERACTION, S.USER, S.ITEM)
        .sort(S.INTERACTION)
        .collect()
        .with_columns(
            pl.col(S.INTERACTION).cast(pl.Int64),
            pl.col(S.USER).cast(pl.Int32),
            pl.col(S.ITEM).cast(pl.Int32),
        )
    )
    rows = Rows(
        frame[S.INTERACTION].to_numpy(),
        frame[S.USER].to_numpy(),
        frame[S.ITEM].to_numpy(),
    )
    return frame, rows


def impression_negatives(
    part: pl.LazyFrame,
    rows: Rows,
    *,
    n: int,
    n_items: int,
    excluded: Exclusion,
    key: np.uint64,
    where: str,
) -> Lists:
    """Per row: the shown items that are not the positive nor excluded; ``n`` of them by seeded keys."""
    names = part.collect_schema().names()
    if IMPRESSIONS not in names:
        raise SchemaError(
            f"{where} has no impressions column; sampler 'impressions' needs the list<int32> "
            "column impressions (items shown with each event); use --sampler uniform or popularity",
            path=where,
        )
    shown = (
        part.select(S.INTERACTION, pl.col(IMPRESSIONS).cast(pl.List(pl.Int64)))
        .sort(S.INTERACTION)
        .collect()[IMPRESSIONS]
    )
    items = shown.explode().drop_nulls().to_numpy().astype(np.int64)
    lengths = shown.list.eval(pl.element().drop_nulls()).list.len().fill_null(0).to_numpy()
    bad = (items < 1) | (items > n_items)
    if bad.any():
        raise SchemaError(
            f"{where}: impressions hold item_idx {int(items[bad][0])}, outside items.parquet (1..{n_items})",
            path=where,
        )
    row = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    ok = items != rows.positives[row]
    ok &= ~excluded.contains(rows.users[row], items)
    row, items = row[ok], items[ok]
    pair = row * (n_items + 1) + items
    pair, first = np.unique(pair, return_index=True)
    row, items = row[first], items[first]
    score = draw(row_keys(key, rows.ids)[row], counters(_IMPRESSION_ATTEMPT, items))
    order = np.lexsort((score, row))
    row, items = row[order], items[order]
    starts = np.ones(len(row), dtype=bool)
    starts[1:] = row[1:] != row[:-1]
    run = np.cumsum(starts) - 1
    rank = np.arange(len(row)) - np.flatnonzero(starts)[run] if len(row) else row
    keep = rank < n
    row, items = row[keep], items[keep]
    order = np.lexsort((items, row))
    row, items = row[order], items[order]
    counts = np.bincount(row, minlength=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Lists(offsets, items.astype(np.int32))


def _frame(rows_frame: pl.DataFrame, lists: Lists) -> pl.DataFrame:
    """The candidate table: the row's ids and its sorted negatives as list<int32>."""
    negatives = pa.LargeListArray.from_arrays(
        pa.array(lists.offsets, type=pa.int64()), pa.array(lists.values, type=pa.int32())
    )
    series = pl.Series(S.NEGATIVES, pl.from_arrow(negatives)).cast(pl.List(pl.Int32))
    return rows_frame.with_columns(series)


def compute_candidates(
    interactions: pl.LazyFrame,
    parts: Mapping[str, pl.LazyFrame],
    *,
    protocol: str,
    spec: CandidatesSpec,
    n_items: int,
    n_users: int,
    workers: int | None = None,
) -> CandidateOutputs:
    """Candidate lists for the valid and test parts of one split protocol.

    ``parts`` holds the split's ``train``, ``valid`` and ``test`` frames. Every valid/test row
    gets its positive (``item_idx``) and ``spec.n`` negatives, sorted by item_idx: none equal
    to the positive, none in the user's excluded set, no repeats; fewer only when fewer items
    are eligible (counted in ``short_rows``). The draws depend only on (seed, protocol, part,
    interaction_idx): reruns give the same lists whatever the thread count.
    """
    missing = [p for p in ("train", *EVAL_PARTS) if p not in parts]
    if missing:
        raise UsageError(f"split {protocol!r}: missing part(s) {missing}")
    record_parts: dict[str, CandidatePartRecord] = {}
    frames: dict[str, pl.DataFrame] = {}
    files: dict[str, str] = {}
    params = spec.params()
    if spec.sampler == "all":
        for part in EVAL_PARTS:
            rows = parts[part].select(pl.len()).collect().item()
            record_parts[part] = CandidatePartRecord(file=None, rows=int(rows))
        return CandidateOutputs({}, CandidatesRecord(**params, parts=record_parts))
    source = interactions if spec.exclude == "all" else parts["train"]
    excluded = exclusion(source.select(S.USER, S.ITEM), n_items=n_items, n_users=n_users)
    sampler = None
    if spec.sampler in ("uniform", "popularity"):
        weights = None
        if spec.sampler == "popularity":
            weights = popularity_weights(parts["train"], n_items=n_items, alpha=spec.alpha)
        sampler = Sampler(
            n=spec.n, exclusion=excluded, weights=weights, key=np.uint64(0), workers=workers
        )
    for part in EVAL_PARTS:
        rows_frame, rows = _rows(parts[part])
        key = stream_key(spec.seed, protocol, part)
        if sampler is None:
            lists = impression_negatives(
                parts[part],
                rows,
                n=spec.n,
                n_items=n_items,
                excluded=excluded,
                key=key,
                where=f"splits/{protocol}/{part}.parquet",
            )
        else:
            lists = sampler.keyed(key).sample(rows)
        lengths = lists.lengths
        rel = candidates_path(protocol, part)
        frames[part] = _frame(rows_frame, lists)
        files[part] = rel
        record_parts[part] = CandidatePartRecord(
            file=rel,
            rows=len(rows),
            short_rows=int((lengths < spec.n).sum()),
            negatives=int(lengths.sum()),
        )
        log.info(
            "candidates %s/%s: %d rows, %d short (sampler %s, n %d)",
            protocol,
            part,
            len(rows),
            record_parts[part].short_rows,
            spec.sampler,
            spec.n,
        )
    return CandidateOutputs(frames, CandidatesRecord(**params, parts=record_parts), files)
