"""ReChorus: ``train.csv``, ``dev.csv`` and ``test.csv`` with the dev/test ``neg_items``.

ReChorus (``helpers/BaseReader.py``) reads each file with ``pd.read_csv(sep='\\t')`` and a header
``user_id  item_id  time`` (+ ``neg_items`` for dev/test), turns every string column into a
Python list with ``eval`` and checks that no negative is ``>= max item_id + 1``. Its ids are
integers from 1 (0 is padding), so recdata's user_idx/item_idx are written unchanged.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import ExportError
from recdata.exporters._common import ExportResult, resolve_split, split_candidates

_NAMES = {"train": "train.csv", "valid": "dev.csv", "test": "test.csv"}


def _neg_text() -> pl.Expr:
    """``[1, 2, 3]``: a Python list literal, as ReChorus ``eval``s it."""
    return pl.format("[{}]", pl.col(S.NEGATIVES).cast(pl.List(pl.String)).list.join(", "))


def export_rechorus(ds: Dataset, out: Path, *, split: str | None = None) -> ExportResult:
    """Write ReChorus's ``train.csv``, ``dev.csv`` and ``test.csv`` for one split.

    Rows are in time order (ties in sequence order); ``time`` is integer seconds since the
    epoch. dev/test carry ``neg_items`` from the split's candidates, which must all have the
    same length (ReChorus stacks them into one array); with the ``all`` sampler the column is
    left out (full ranking, ReChorus ``--test_all 1``).
    """
    name = resolve_split(ds, split)
    record, lists = split_candidates(ds, name, what="the ReChorus export")
    if record.sampler != "all":
        for part, rec in record.parts.items():
            if rec.short_rows:
                raise ExportError(
                    f"ReChorus needs the same number of negatives in every {part} row; "
                    f"{rec.short_rows:,} list(s) of splits/{name}/candidates-{part} are shorter than "
                    f"n = {record.n} (too few eligible items); re-run `recdata candidates` with a smaller -n"
                )
    frames = ds.split(name)
    for part, file_name in _NAMES.items():
        lf = frames[part].select(S.INTERACTION, S.USER, S.ITEM, S.TIME)
        if lf.select(pl.col(S.TIME).is_null().any()).collect().item():
            raise ExportError(
                f"ReChorus needs a time for every row; splits/{name}/{part}.parquet has null timestamps"
            )
        lf = lf.with_columns(pl.col(S.TIME).dt.epoch("s").alias("time"))
        columns = [pl.col(S.USER).alias("user_id"), pl.col(S.ITEM).alias("item_id"), "time"]
        if part != "train" and part in lists:
            lf = lf.join(
                lists[part].select(S.INTERACTION, S.NEGATIVES),
                on=S.INTERACTION,
                how="left",
                maintain_order="left",
            )
            columns.append(_neg_text().alias("neg_items"))
        frame = lf.sort("time", S.USER, S.INTERACTION).select(columns).collect()
        frame.write_csv(out / file_name, separator="\t", quote_style="never", line_terminator="\n")
    negatives = "none (full ranking)" if record.sampler == "all" else f"{record.n} per row"
    return ExportResult(
        ids="user_idx/item_idx",
        index_base=1,
        split=name,
        conversions=[
            "user_id/item_id are recdata's user_idx/item_idx unchanged (from 1; 0 is padding)",
            "time: integer seconds since the epoch (UTC); rows sorted by time, ties in sequence order",
            "valid part -> dev.csv, test part -> test.csv",
            f"neg_items: the split's candidates ({record.sampler}, {negatives}) as a list literal",
        ],
        options={"split": name},
    )
