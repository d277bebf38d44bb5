"""Shared bits of the exporters: what an exporter returns, histories, raw ids, text cleaning."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset import Dataset
from recdata.errors import ExportError, UsageError

EXPORT_RECORD = "recdata-export.json"
"""Name of the file every export writes into its output folder."""

_ORDER = [S.USER, S.TIME, S.INTERACTION]


@dataclass(frozen=True)
class ExportResult:
    """What one exporter wrote: recorded in ``recdata-export.json`` beside the files."""

    ids: str
    """How users and items are identified in the output (``raw``, ``user_idx/item_idx``...)."""
    index_base: int | None
    """First index of the integer ids in the output; None when raw ids are written."""
    split: str | None = None
    """The split protocol exported (None when only the interactions were)."""
    conversions: list[str] = field(default_factory=list)
    """One line per conversion applied (timestamp units, escaping, id shifts)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Every option, with its default filled in."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Format-specific facts written at the top level of the record (SR-GNN's ``n_node``)."""


def sequence_sort(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Sort rows into sequence order: (user_idx, timestamp, interaction_idx)."""
    return lf.sort(_ORDER, nulls_last=True, maintain_order=True)


def resolve_split(ds: Dataset, split: str | None) -> str:
    """The split protocol name to export: ``split`` or the folder's default; error if none."""
    if not ds.splits:
        raise ExportError(f"{ds.path.name} has no split; this format needs train/valid/test parts")
    name = split or ds.manifest.default_split or next(iter(ds.splits))
    ds.split(name)  # raises UsageError naming the known splits
    return name


def split_candidates(ds: Dataset, split: str, *, what: str) -> tuple[Any, dict[str, pl.LazyFrame]]:
    """The split's candidate record and ``{part: candidates}`` (empty for full ranking).

    Raises ExportError naming the command to run when the split has no candidates.
    """
    frames = ds.split(split)
    record = frames.candidates_record
    if record is None:
        raise ExportError(
            f"{what} needs evaluation candidates, and split {split!r} of {ds.path.name} has none; "
            f"add them with `recdata candidates {ds.path} --protocol {split}`"
        )
    return record, dict(frames.candidate_frames)


def _history_of(cap: int | None) -> pl.Expr:
    """(Over a frame with ``_pos`` and ``_seq``) the earlier items, at most ``cap`` of them."""
    pos = pl.col("_pos")
    if cap is None:
        return pl.col("_seq").list.slice(0, pos)
    offset = pl.max_horizontal(pos - cap, pl.lit(0))
    return pl.col("_seq").list.slice(offset, pl.min_horizontal(pos, pl.lit(cap)))


def _with_positions(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add each row's position in its user's sequence and the user's whole item sequence."""
    lf = sequence_sort(lf)
    seqs = lf.group_by(S.USER, maintain_order=True).agg(pl.col(S.ITEM).alias("_seq"))
    return lf.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(S.USER).alias("_pos")).join(
        seqs, on=S.USER, how="left", maintain_order="left"
    )


def split_with_history(
    ds: Dataset, split: str | None, *, cap: int | None = None
) -> tuple[str, dict[str, pl.LazyFrame]]:
    """Each part of a split in sequence order with a ``history`` list<int32> column.

    The split files' own ``history`` is used when present. Otherwise a train row's history is
    the user's earlier train items and a valid/test row's history is all the user's earlier
    items of the split (train + valid + test) in sequence order, as in Amazon 2023's
    ``*_w_his`` files. ``cap`` keeps the most recent ``cap`` items.
    """
    if cap is not None and cap < 0:
        raise UsageError(f"history_cap must be >= 0 or None, got {cap}")
    name = resolve_split(ds, split)
    frames = ds.split(name)
    parts = {p: frames[p] for p in SPLIT_PARTS}
    if all(S.HISTORY in lf.collect_schema().names() for lf in parts.values()):
        out = {}
        for p, lf in parts.items():
            hist = pl.col(S.HISTORY).cast(pl.List(pl.Int32))
            if cap is not None:
                hist = hist.list.tail(cap)
            out[p] = sequence_sort(lf.with_columns(hist))
        return name, out
    cols = [S.INTERACTION, S.USER, S.ITEM, S.TIME, S.RATING]
    labelled = pl.concat(
        [lf.select(cols).with_columns(pl.lit(p).alias("_part")) for p, lf in parts.items()],
        how="vertical",
    )
    # valid/test rows see every earlier row of the user; train rows only earlier train rows
    full = (
        _with_positions(labelled)
        .filter(pl.col("_part") != "train")
        .select(S.INTERACTION, "_part", _history_of(cap).alias(S.HISTORY))
    )
    train = _with_positions(parts["train"].select(cols)).select(
        S.INTERACTION, _history_of(cap).alias(S.HISTORY)
    )
    train_keys, other_keys = pl.collect_all([train, full])
    keys = {"train": train_keys.lazy()}
    for p in ("valid", "test"):
        keys[p] = other_keys.lazy().filter(pl.col("_part") == p).drop("_part")
    out = {}
    for p, lf in parts.items():
        joined = lf.drop(S.HISTORY, strict=False).join(
            keys[p], on=S.INTERACTION, how="left", maintain_order="left"
        )
        out[p] = sequence_sort(joined.with_columns(pl.col(S.HISTORY).cast(pl.List(pl.Int32))))
    return name, out


def with_raw_ids(ds: Dataset, lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``user_id`` and ``item_id`` (raw ids) to a frame with user_idx and item_idx."""
    return lf.join(
        ds.users.select(S.USER, S.USER_ID), on=S.USER, how="left", maintain_order="left"
    ).join(ds.items.select(S.ITEM, S.ITEM_ID), on=S.ITEM, how="left", maintain_order="left")


def item_lookup(ds: Dataset, column: str = S.ITEM_ID) -> tuple[pl.Series, pl.Series]:
    """(item_idx, ``column``) of every item, for ``replace_strict`` inside list expressions."""
    items = ds.items.select(S.ITEM, column).collect()
    return items[S.ITEM], items[column]


def history_to_raw(ds: Dataset, lf: pl.LazyFrame, *, sep: str = " ") -> pl.LazyFrame:
    """Replace the list<int32> ``history`` with the raw item ids joined by ``sep`` (a string)."""
    idx, raw = item_lookup(ds)
    mapped = pl.col(S.HISTORY).list.eval(
        pl.element().replace_strict(idx, raw, return_dtype=pl.String)
    )
    return lf.with_columns(mapped.list.join(sep).alias(S.HISTORY))


_ESCAPES = {"\t": r"\t", "\r": r"\r", "\n": r"\n"}


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Tabs, carriage returns and newlines become one space, NUL is dropped (text in TSV/lines)."""
    return expr.str.replace_all(r"[\t\r\n]+", " ").str.replace_all("\x00", "", literal=True)


def check_ids(frame: pl.DataFrame, column: str, *, what: str, forbidden: str = "\t\r\n") -> None:
    """Raise ExportError when a raw id holds a character the format cannot carry."""
    pattern = "[" + "".join(_ESCAPES.get(c, re.escape(c)) for c in forbidden) + "]"
    bad = frame.filter(pl.col(column).str.contains(pattern))
    if bad.height:
        example = bad[column][0]
        raise ExportError(
            f"{what}: raw {column} {example!r} contains a character ({forbidden!r}) this format "
            f"cannot carry ({bad.height} such ids); export with a format that keeps raw ids intact"
        )


def epoch_ms(column: str = S.TIME) -> pl.Expr:
    """A timestamp column as integer milliseconds since the epoch (UTC)."""
    return pl.col(column).dt.epoch("ms")


def epoch_seconds(column: str = S.TIME) -> pl.Expr:
    """A timestamp column as float seconds since the epoch (UTC)."""
    return pl.col(column).dt.epoch("ms").cast(pl.Float64) / 1000.0


def has_values(lf: pl.LazyFrame, column: str) -> bool:
    """True when ``column`` exists and holds at least one non-null value."""
    if column not in lf.collect_schema().names():
        return False
    return bool(lf.select(pl.col(column).is_not_null().any()).collect().item())


def write_lines(path: Path, lines: pl.Series) -> None:
    """Write a string series as ``\\n``-terminated lines (UTF-8), nothing quoted."""
    pl.DataFrame({"line": lines}).write_csv(
        path, include_header=False, quote_style="never", line_terminator="\n"
    )
