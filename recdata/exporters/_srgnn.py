"""SR-GNN text files: ``train.txt``/``test.txt`` with one ``prefix<TAB>target`` line per
sequence (item_idx, space-separated prefix), ``all_train_seq.txt`` with one train session per
line, and ``n_node`` in ``recdata-export.json``. Text, never pickles.

Sessions are ``session_id`` within a user when the folder has that column, else users; they
come in order of their first row in sequence order, which for a folder built with the
``srgnn`` step is SR-GNN's own order (its ``srgnn_order`` column orders each session's clicks).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.exporters._common import ExportResult, resolve_split, sequence_sort, write_lines
from recdata.sessions._augment import PREFIX, TARGET, prefix_pairs, session_sequences
from recdata.sessions._srgnn import ORDER

_KEY = "__session"


def _sessions(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Rows in sequence order (SR-GNN's click order where ``srgnn_order`` is present) with one
    ``__session`` key per (user, session)."""
    names = lf.collect_schema().names()
    key = pl.struct(S.USER, S.SESSION) if S.SESSION in names else pl.col(S.USER)
    rows = sequence_sort(lf)
    if ORDER in names:
        rows = rows.sort(S.USER, ORDER, maintain_order=True)
    return rows.with_columns(key.alias(_KEY)).select(_KEY, S.ITEM)


def _joined(expr: pl.Expr) -> pl.Expr:
    return expr.list.eval(pl.element().cast(pl.String)).list.join(" ")


def _pair_lines(lf: pl.LazyFrame, augment: bool) -> tuple[pl.Series, int]:
    """The ``prefix<TAB>target`` lines of one part, and the sessions too short for a pair."""
    rows = _sessions(lf)
    if augment:
        pairs = prefix_pairs(rows, session=_KEY, item=S.ITEM)
    else:
        seqs = session_sequences(rows, session=_KEY, item=S.ITEM)
        pairs = seqs.filter(pl.col("sequence").list.len() >= 2).select(
            pl.col("sequence").list.head(pl.col("sequence").list.len() - 1).alias(PREFIX),
            pl.col("sequence").list.last().alias(TARGET),
        )
    lines = pairs.select(
        pl.concat_str(_joined(pl.col(PREFIX)), pl.col(TARGET).cast(pl.String), separator="\t")
    )
    short = rows.group_by(_KEY).agg(pl.len().alias("n")).filter(pl.col("n") < 2).select(pl.len())
    out, n_short = pl.collect_all([lines, short])
    return out.to_series(), int(n_short.item())


def export_srgnn(
    ds: Dataset, out: Path, *, split: str | None = None, augment: bool = True
) -> ExportResult:
    """Write ``train.txt``, ``test.txt`` (``valid.txt`` when the split has a valid part) and
    ``all_train_seq.txt`` as SR-GNN's ``preprocess.py`` lays them out, in text.

    Parameters
    ----------
    augment
        True (default): each session of n items gives n-1 lines, ``seq[:-1] -> seq[-1]`` first,
        as SR-GNN's ``process_seqs``; False: one line per session (all but the last item, then
        the last). Sessions of one item give no line (counted in the conversions).
    """
    name = resolve_split(ds, split)
    parts = ds.split(name)
    conversions = [
        "items are recdata's item_idx unchanged (from 1; 0 is padding); n_node = items + 1",
        "one line per (prefix, target): prefix item_idx space-separated, a tab, the target",
        "sessions in order of their first row in sequence order (SR-GNN's order for srgnn builds)"
        + (", longest prefix first within a session" if augment else ""),
    ]
    for part in ("train", "valid", "test"):
        lf = parts[part]
        if part == "valid" and lf.select(pl.len()).collect().item() == 0:
            continue
        lines, short = _pair_lines(lf, augment)
        write_lines(out / f"{part}.txt", lines)
        if short:
            conversions.append(f"{part}: {short} session(s) of one item give no line")
    seqs = session_sequences(_sessions(parts["train"]), session=_KEY, item=S.ITEM)
    all_train = seqs.select(_joined(pl.col("sequence"))).collect().to_series()
    write_lines(out / "all_train_seq.txt", all_train)
    n_items = ds.items.select(pl.len()).collect().item()
    return ExportResult(
        ids="item_idx",
        index_base=1,
        split=name,
        conversions=conversions,
        options={"split": name, "augment": augment},
        extra={"n_node": int(n_items) + 1},
    )


__all__ = ["export_srgnn"]
