"""Small dataset folders for the candidate tests, written by hand (no splitter code involved)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import DatasetTables, Manifest, SplitRecord, write_dataset


def loo_folder(
    path: Path,
    histories: Mapping[int, Sequence[int]],
    *,
    n_items: int,
    impressions: Mapping[int, Sequence[int]] | None = None,
    n_users: int | None = None,
) -> Path:
    """A folder from ``{user_idx: [item_idx in time order]}`` with a hand-made ``loo`` split.

    The last item of a user with >= 3 goes to test, the one before to valid, the rest to train.
    ``impressions`` maps interaction_idx -> shown items (an ``impressions`` column on every file;
    null for the other rows).
    """
    rows = []
    for user in sorted(histories):
        for t, item in enumerate(histories[user]):
            rows.append((user, item, 1_000 * (t + 1)))
    frame = pl.DataFrame(
        {
            S.INTERACTION: list(range(len(rows))),
            S.USER: [r[0] for r in rows],
            S.ITEM: [r[1] for r in rows],
            S.TIME: [r[2] for r in rows],
            S.RATING: [1.0] * len(rows),
        },
        schema={
            S.INTERACTION: pl.Int64,
            S.USER: pl.Int32,
            S.ITEM: pl.Int32,
            S.TIME: pl.Int64,
            S.RATING: pl.Float32,
        },
    ).with_columns(pl.col(S.TIME).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    if impressions is not None:
        frame = frame.with_columns(
            pl.Series(
                "impressions",
                [
                    list(impressions[i]) if i in impressions else None  # null: unknown
                    for i in range(len(rows))
                ],
                dtype=pl.List(pl.Int32),
            )
        )
    pos = pl.int_range(pl.len()).over(S.USER)
    count = pl.len().over(S.USER)
    role = (
        pl.when(count < 3)
        .then(pl.lit("train"))
        .when(pos == count - 1)
        .then(pl.lit("test"))
        .when(pos == count - 2)
        .then(pl.lit("valid"))
        .otherwise(pl.lit("train"))
    )
    labelled = frame.with_columns(role.alias("_part"))
    parts = {
        p: labelled.filter(pl.col("_part") == p).drop("_part") for p in ("train", "valid", "test")
    }
    users = n_users or max(histories)
    tables = DatasetTables(
        interactions=frame,
        items=pl.DataFrame(
            {
                S.ITEM: list(range(1, n_items + 1)),
                S.ITEM_ID: [f"i{k}" for k in range(1, n_items + 1)],
            }
        ),
        users=pl.DataFrame(
            {S.USER: list(range(1, users + 1)), S.USER_ID: [f"u{k}" for k in range(1, users + 1)]}
        ),
        splits={"loo": parts},
    )
    manifest = Manifest(
        name="cands",
        default_split="loo",
        splits={"loo": SplitRecord(protocol="leave_one_out", partition=True, ordered=True)},
    )
    return write_dataset(path, tables, manifest)


def reference_negatives_ok(negatives: Sequence[int], *, eligible: set[int], n: int) -> list[str]:
    """What is wrong with one list, checked the slow, obvious way (empty when nothing)."""
    problems = []
    if len(set(negatives)) != len(negatives):
        problems.append("duplicate")
    if not set(negatives) <= eligible:
        problems.append(f"not eligible: {sorted(set(negatives) - eligible)}")
    if len(negatives) != min(n, len(eligible)):
        problems.append(f"length {len(negatives)}, expected {min(n, len(eligible))}")
    if list(negatives) != sorted(negatives):
        problems.append("not sorted")
    return problems
