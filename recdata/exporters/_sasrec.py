"""SASRec / S3-Rec text files: ``user item`` lines and one line per user, plus item attributes.

recdata's ``user_idx``/``item_idx`` are already what these scripts expect: contiguous from 1,
0 left for padding, so they are written unchanged, in sequence order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import UsageError
from recdata.exporters._common import ExportResult, sequence_sort, write_lines

Layout = Literal["both", "pairs", "lines"]


def _attributes(ds: Dataset) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(item_idx, attribute ids) for every item and the attribute map, or None without attributes."""
    names = ds.items.collect_schema().names()
    sources = []
    if "categories" in names:
        sources.append(
            ds.items.select(S.ITEM, pl.col("categories").alias("value"))
            .explode("value")
            .with_columns(pl.lit("category").alias("kind"))
        )
    if "brand" in names:
        sources.append(
            ds.items.select(S.ITEM, pl.col("brand").alias("value")).with_columns(
                pl.lit("brand").alias("kind")
            )
        )
    if not sources:
        return None
    pairs = pl.concat(sources, how="vertical").filter(
        pl.col("value").is_not_null() & (pl.col("value") != "")
    )
    attrs = (
        pairs.select("kind", "value")
        .unique()
        .sort("kind", "value")
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("attribute"))
    )
    per_item = (
        ds.items.select(S.ITEM)
        .join(
            pairs.join(attrs, on=["kind", "value"], how="inner")
            .group_by(S.ITEM)
            .agg(pl.col("attribute").unique().sort()),
            on=S.ITEM,
            how="left",
        )
        .with_columns(pl.col("attribute").fill_null(pl.lit([], dtype=pl.List(pl.Int64))))
        .sort(S.ITEM)
    )
    return per_item.collect(), attrs.collect()


def export_sasrec(
    ds: Dataset,
    out: Path,
    *,
    name: str | None = None,
    layout: Layout = "both",
) -> ExportResult:
    """Write ``<name>.txt`` (SASRec ``user item`` lines) and/or the one-line-per-user file.

    Parameters
    ----------
    layout
        ``pairs``: ``<name>.txt`` with one ``user item`` line per interaction (SASRec);
        ``lines``: ``<name>.txt`` with ``user item1 item2 ...`` per user (S3-Rec);
        ``both``: pairs in ``<name>.txt`` and lines in ``<name>_seq.txt``.
        Items with categories or brand also get ``<name>_item2attributes.json``
        (S3-Rec: item id -> attribute ids from 1) and ``<name>_attributes.json`` (id -> name).
    """
    if layout not in ("both", "pairs", "lines"):
        raise UsageError(f"layout must be one of both, pairs, lines; got {layout!r}")
    name = name or ds.manifest.name
    seq = sequence_sort(ds.interactions.select(S.USER, S.ITEM, S.TIME, S.INTERACTION))
    if layout in ("both", "pairs"):
        pairs = seq.select(pl.format("{} {}", S.USER, S.ITEM).alias("line")).collect()["line"]
        write_lines(out / f"{name}.txt", pairs)
    if layout in ("both", "lines"):
        lines = (
            seq.group_by(S.USER, maintain_order=True)
            .agg(pl.col(S.ITEM).cast(pl.String))
            .select(
                pl.concat_str(
                    pl.col(S.USER).cast(pl.String), pl.col(S.ITEM).list.join(" "), separator=" "
                ).alias("line")
            )
            .collect()["line"]
        )
        write_lines(out / (f"{name}.txt" if layout == "lines" else f"{name}_seq.txt"), lines)
    attributes = _attributes(ds)
    if attributes is not None:
        per_item, attrs = attributes
        item2attr = dict(
            zip(
                (str(i) for i in per_item[S.ITEM].to_list()),
                per_item["attribute"].to_list(),
                strict=True,
            )
        )
        names = {
            str(a): f"{k}:{v}"
            for a, k, v in zip(
                attrs["attribute"].to_list(),
                attrs["kind"].to_list(),
                attrs["value"].to_list(),
                strict=True,
            )
        }
        (out / f"{name}_item2attributes.json").write_text(
            json.dumps(item2attr) + "\n", encoding="utf-8"
        )
        (out / f"{name}_attributes.json").write_text(
            json.dumps(names, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return ExportResult(
        ids="user_idx/item_idx",
        index_base=1,
        conversions=[
            "user and item ids are recdata's user_idx/item_idx unchanged (from 1; 0 is padding)",
            "rows in sequence order (user_idx, timestamp, interaction_idx); ratings and times dropped",
            "attributes: 'category:<name>' and 'brand:<name>' numbered from 1 in sorted order",
        ],
        options={"name": name, "layout": layout},
    )
