"""Impressions: the items shown with a row, as raw ids until indexing, then as ``item_idx``.

Shown items that filtering removed (not in the final item index) are dropped from the lists
and counted: every impression item exists in ``items.parquet`` and negatives drawn from the
lists are items a model can score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import polars as pl

from recdata.errors import TransformError
from recdata.schema import IMPRESSIONS, ITEM, ITEM_ID, USER_ID

_ROW = "__impression_row"


@dataclass(frozen=True)
class ImpressionsReport:
    """What mapping the shown raw ids to ``item_idx`` did (recorded in the manifest)."""

    rows_with_impressions: int
    """Rows whose ``impressions`` is not null."""
    shown: int
    """Shown items in those lists before mapping (repeats counted)."""
    kept: int
    """Shown items whose raw id is in the final item index."""
    dropped_unindexed: int
    """Shown items dropped because filtering removed their item (or it never had a row)."""
    rows_clicked_missing: int
    """Rows whose own item is not in their list after mapping (0 for well-formed sources)."""

    def as_dict(self) -> dict[str, int | str]:
        """JSON-ready, with the policy spelled out."""
        return {"policy": "drop_unindexed", **asdict(self)}


def map_impressions(
    frame: pl.DataFrame,
    item_map: pl.DataFrame,
    *,
    column: str = IMPRESSIONS,
    item: str = ITEM,
) -> tuple[pl.DataFrame, ImpressionsReport]:
    """Replace the raw-id lists of ``column`` by ``list<int32>`` of ``item_idx``, in list order.

    ``item_map`` is the index's (``item_idx``, ``item_id``) table. Ids without an index are
    dropped and counted; a null list stays null. Vectorised: one explode, one join, one group-by.
    """
    if column not in frame.columns:
        return frame, ImpressionsReport(0, 0, 0, 0, 0)
    ids = item_map.select(
        pl.col(ITEM_ID).cast(pl.String).alias("__raw"), pl.col(ITEM).cast(pl.Int32).alias("__idx")
    )
    lists = frame.select(pl.col(column).cast(pl.List(pl.String))).with_row_index(_ROW)
    shown = lists.explode(column).filter(pl.col(column).is_not_null())
    joined = shown.join(ids, left_on=column, right_on="__raw", how="left", maintain_order="left")
    mapped = (
        joined.filter(pl.col("__idx").is_not_null())
        .group_by(_ROW, maintain_order=True)
        .agg(pl.col("__idx"))
    )
    out = (
        lists.select(_ROW, pl.col(column).is_null().alias("__null"))
        .join(mapped, on=_ROW, how="left", maintain_order="left")
        .select(
            pl.when(pl.col("__null"))
            .then(None)
            .otherwise(pl.col("__idx").fill_null(pl.lit([], dtype=pl.List(pl.Int32))))
            .cast(pl.List(pl.Int32))
            .alias(column)
        )
    )
    result = frame.with_columns(out[column])
    kept = int(joined["__idx"].is_not_null().sum())
    with_lists = result.filter(pl.col(column).is_not_null())
    missing = 0
    if item in result.columns and with_lists.height:
        missing = int(
            (~with_lists.select(pl.col(column).list.contains(pl.col(item))).to_series()).sum()
        )
    report = ImpressionsReport(
        rows_with_impressions=with_lists.height,
        shown=shown.height,
        kept=kept,
        dropped_unindexed=shown.height - kept,
        rows_clicked_missing=missing,
    )
    return result, report


def exposures_to_impressions(
    lf: pl.LazyFrame,
    *,
    group: Sequence[str],
    clicked: str,
    user: str = USER_ID,
    item: str = ITEM_ID,
    column: str = IMPRESSIONS,
) -> pl.LazyFrame:
    """From exposure logs (one row per shown item, ``clicked`` 0/1), keep the clicked rows and
    give each the list of items exposed in its group (the user plus ``group`` columns), in file
    order, the clicked item included. Groups without a click leave no row.
    """
    names = lf.collect_schema().names()
    keys = [user, *[g for g in group if g != user]]
    missing = [c for c in [*keys, clicked, item] if c not in names]
    if missing:
        raise TransformError(f"exposures_to_impressions: column(s) {missing} are not mapped")
    shown = lf.group_by(keys, maintain_order=True).agg(pl.col(item).cast(pl.String).alias(column))
    clicks = lf.filter(pl.col(clicked).cast(pl.Int64) == 1)
    if column in names:
        clicks = clicks.drop(column)
    return clicks.join(shown, on=keys, how="left", nulls_equal=True, maintain_order="left")
