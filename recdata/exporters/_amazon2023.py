"""The Amazon Reviews 2023 benchmark layout: ``<name>.{train,valid,test}.csv`` with history.

Header ``user_id,parent_asin,rating,timestamp,history``: raw ids, the rating, the timestamp as
integer milliseconds and the space-separated raw ids of the user's earlier items (``*_w_his``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.exporters._common import (
    ExportResult,
    check_ids,
    epoch_ms,
    history_to_raw,
    split_with_history,
    with_raw_ids,
)

HEADER = ["user_id", "parent_asin", "rating", "timestamp", "history"]


def export_amazon2023(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    name: str | None = None,
    history_cap: int | None = None,
) -> ExportResult:
    """Write ``<name>.train.csv``, ``.valid.csv``, ``.test.csv`` for one split.

    Parameters
    ----------
    history_cap
        Keep only the most recent ``history_cap`` items in ``history`` (None: all, as published).
    """
    name = name or ds.manifest.name
    check_ids(
        ds.items.select(S.ITEM_ID).collect(), S.ITEM_ID, what="items.parquet", forbidden=" \t\r\n"
    )
    split_name, parts = split_with_history(ds, split, cap=history_cap)
    for part, lf in parts.items():
        frame = (
            with_raw_ids(ds, history_to_raw(ds, lf, sep=" "))
            .select(
                pl.col(S.USER_ID).alias("user_id"),
                pl.col(S.ITEM_ID).alias("parent_asin"),
                pl.col(S.RATING).cast(pl.Float64).alias("rating"),
                epoch_ms().alias("timestamp"),
                pl.when(pl.col(S.HISTORY) != "").then(pl.col(S.HISTORY)).alias("history"),
            )
            .collect()
        )
        frame.write_csv(
            out / f"{name}.{part}.csv", quote_style="necessary", line_terminator="\n", null_value=""
        )
    return ExportResult(
        ids="raw",
        index_base=None,
        split=split_name,
        conversions=[
            "user_id, parent_asin: raw ids",
            "timestamp: integer milliseconds since the epoch (UTC)",
            "history: space-separated raw item ids of the user's earlier items in sequence order "
            "(train rows: earlier train items; valid/test rows: all earlier items of the split)",
            "an empty history and a missing rating or timestamp are empty cells",
        ],
        options={"name": name, "history_cap": history_cap},
    )
