"""Hand-made small dataset folders for tests (independent of transforms/splits code)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import DatasetTables, GraphRecord, Manifest, SplitRecord, write_dataset

# 4 users, 5 items, 14 interactions; user 4 has two interactions (stays wholly in train under LOO).
ROWS = [
    # user, item, ts (seconds), rating
    (1, 1, 100, 5.0),
    (1, 2, 200, 3.0),
    (1, 3, 300, 4.0),
    (1, 4, 300, 2.0),
    (2, 2, 110, 4.0),
    (2, 3, 210, 5.0),
    (2, 5, 310, 1.0),
    (2, 1, 410, 3.0),
    (3, 1, 120, 2.0),
    (3, 4, 220, 4.0),
    (3, 5, 320, 5.0),
    (3, 2, 420, 4.0),
    (4, 3, 130, 3.0),
    (4, 5, 230, 4.0),
]


def small_tables() -> DatasetTables:
    """Tables of a valid folder: interactions in sequence order, a leave-one-out split, a graph."""
    inter = pl.DataFrame(
        {
            S.USER: [r[0] for r in ROWS],
            S.ITEM: [r[1] for r in ROWS],
            S.TIME: [r[2] * 1000 for r in ROWS],
            S.RATING: [r[3] for r in ROWS],
        }
    ).with_columns(
        pl.col(S.TIME).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(S.INTERACTION),
    )
    pos = pl.int_range(pl.len()).over(S.USER)
    n = pl.len().over(S.USER)
    role = (
        pl.when(n < 3)
        .then(pl.lit("train"))
        .when(pos == n - 1)
        .then(pl.lit("test"))
        .when(pos == n - 2)
        .then(pl.lit("valid"))
        .otherwise(pl.lit("train"))
    )
    labelled = inter.with_columns(role.alias("_part"))
    parts = {
        p: labelled.filter(pl.col("_part") == p).drop("_part") for p in ("train", "valid", "test")
    }
    items = pl.DataFrame(
        {
            S.ITEM: [1, 2, 3, 4, 5],
            S.ITEM_ID: ["a", "b", "c", "d", "e"],
            "title": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"],
            "categories": [["x"], ["x", "y"], ["y"], [], ["z"]],
        }
    )
    users = pl.DataFrame({S.USER: [1, 2, 3, 4], S.USER_ID: ["u1", "u2", "u3", "u4"]})
    train = parts["train"]
    user_item = (
        train.group_by(S.USER, S.ITEM)
        .len()
        .sort(S.USER, S.ITEM)
        .select(
            pl.col(S.USER).alias("src"),
            pl.col(S.ITEM).alias("dst"),
            pl.col("len").cast(pl.Float32).alias("weight"),
        )
    )
    return DatasetTables(
        interactions=inter,
        items=items,
        users=users,
        splits={"loo": parts},
        graphs={"user_item": user_item},
    )


def small_manifest() -> Manifest:
    """The manifest (without files) that goes with :func:`small_tables`."""
    return Manifest(
        name="small",
        default_split="loo",
        splits={"loo": SplitRecord(protocol="leave_one_out", partition=True, ordered=True)},
        graphs={"graphs/user_item.parquet": GraphRecord(kind="user_item", split="loo")},
    )


def make_small_dataset(folder: Path) -> Path:
    """Write the small valid folder to ``folder`` and return it."""
    return write_dataset(folder, small_tables(), small_manifest())
