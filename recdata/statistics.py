"""Statistics of interactions: counts, density, activity distributions, time range, ties, duplicates.

One lazy aggregation per quantity family, so a folder of 10^8 rows is summarised without
loading it; the same function serves the CLI, the manifest and the recipe's expected-stats check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset._check import reads_folder


def _distribution(counts: pl.LazyFrame) -> dict[str, float]:
    row = (
        counts.select(
            pl.col("n").min().alias("min"),
            pl.col("n").median().alias("median"),
            pl.col("n").mean().alias("mean"),
            pl.col("n").max().alias("max"),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    return {k: (round(float(v), 4) if v is not None else None) for k, v in row.items()}


def _packable(column: pl.Series) -> bool:
    if not column.dtype.is_integer() or column.null_count():
        return False
    return not len(column) or (column.min() >= 0 and column.max() < 1 << 31)  # type: ignore[operator]


def _pairs_and_ties(
    frame: pl.DataFrame, user: str, item: str, time: str | None
) -> tuple[int | None, int | None]:
    """Distinct (user, item) pairs and rows in tied (user, time) groups of an in-memory frame,
    by numpy (a sorted 64-bit key per row; adjacent rows when sorted by user and time), which
    needs a fraction of a group-by's memory; None for what the polars path must count."""
    users, items = frame.get_column(user), frame.get_column(item)
    if not (_packable(users) and _packable(items)):
        return None, None
    u = users.cast(pl.Int64).to_numpy()
    keys = u << 32
    keys |= items.cast(pl.Int64).to_numpy()
    keys.sort()
    pairs = int(len(keys) and 1 + np.count_nonzero(keys[1:] != keys[:-1]))
    del keys
    if time is None or time not in frame.columns:
        return pairs, None
    times = frame.get_column(time)
    if times.null_count() or not times.dtype.is_temporal() and not times.dtype.is_integer():
        return pairs, None
    t = times.to_physical().to_numpy()
    if len(t) < 2:
        return pairs, 0
    same_user = u[1:] == u[:-1]
    if np.any(same_user & (t[1:] < t[:-1])) or np.any(u[1:] < u[:-1]):
        return pairs, None  # not in (user, time) order: ties are not adjacent
    same = same_user & (t[1:] == t[:-1])
    tied = np.zeros(len(t), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return pairs, int(np.count_nonzero(tied))


def interaction_stats(
    lf: pl.LazyFrame | pl.DataFrame,
    *,
    user: str = S.USER,
    item: str = S.ITEM,
    time: str | None = S.TIME,
) -> dict[str, Any]:
    """Statistics of one interaction frame (raw ids or indices alike).

    ``tied_timestamp_share`` is the share of interactions whose (user, timestamp) is shared with
    another interaction of the same user: how much the tie order (source order) matters.
    ``duplicate_pairs`` counts rows beyond the first of each repeated (user, item). An
    in-memory frame (a ``DataFrame``) of integer indices is counted with less memory.
    """
    fast_pairs = fast_tied = None
    if isinstance(lf, pl.DataFrame):
        fast_pairs, fast_tied = _pairs_and_ties(lf, user, item, time)
        lf = lf.lazy()
    schema = lf.collect_schema()
    has_time = time is not None and time in schema
    head = (
        lf.select(
            pl.len().alias("interactions"),
            pl.col(user).n_unique().alias("users"),
            pl.col(item).n_unique().alias("items"),
            *(
                [
                    pl.col(time).min().alias("t_min"),
                    pl.col(time).max().alias("t_max"),
                    pl.col(time).null_count().alias("t_null"),
                ]
                if has_time
                else []
            ),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    n, users, items = head["interactions"], head["users"], head["items"]
    if fast_pairs is None:
        pairs = lf.group_by(user, item).agg(pl.len().alias("n"))
        distinct_pairs = pairs.select(pl.len()).collect(engine="streaming").item()
    else:
        distinct_pairs = fast_pairs
    out: dict[str, Any] = {
        "users": int(users),
        "items": int(items),
        "interactions": int(n),
        "density": round(n / (users * items), 8) if users and items else 0.0,
        "per_user": _distribution(lf.group_by(user).agg(pl.len().alias("n"))) if n else {},
        "per_item": _distribution(lf.group_by(item).agg(pl.len().alias("n"))) if n else {},
        "duplicate_pairs": int(n - distinct_pairs),
    }
    if has_time:
        out["timestamp_min"] = None if head["t_min"] is None else str(head["t_min"])
        out["timestamp_max"] = None if head["t_max"] is None else str(head["t_max"])
        out["timestamp_nulls"] = int(head["t_null"])
        tied = fast_tied
        if tied is None:
            tied = (
                lf.filter(pl.col(time).is_not_null())
                .group_by(user, time)
                .agg(pl.len().alias("n"))
                .filter(pl.col("n") > 1)
                .select(pl.col("n").sum())
                .collect(engine="streaming")
                .item()
            )
        out["tied_timestamp_share"] = round((tied or 0) / n, 6) if n else 0.0
    return out


_QUANTILES = {"min": 0.0, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95, "max": 1.0}
_ID_COLUMNS = frozenset({S.USER, S.ITEM, S.USER_ID, S.ITEM_ID})


def _present(name: str, dtype: pl.DataType) -> pl.Expr:
    """True where a value is there: not null, and not an empty string or empty list."""
    col = pl.col(name)
    if dtype == pl.String:
        return col.is_not_null() & (col.str.len_chars() > 0)
    if isinstance(dtype, pl.List):
        return col.is_not_null() & (col.list.len() > 0)
    if isinstance(dtype, pl.Array):
        return col.is_not_null()
    if dtype.is_float():
        return col.is_not_null() & col.is_not_nan()
    return col.is_not_null()


def coverage_stats(table: pl.LazyFrame | pl.DataFrame) -> dict[str, Any]:
    """Metadata coverage of an items or users table: per field the share of rows with a value.

    ``fields[f]["coverage"]`` is the share of rows whose ``f`` is not null (an empty string or
    list counts as missing); string fields add ``length`` (quantiles of the length in characters
    of present values, nearest rank), list fields the quantiles of their element counts. With a
    ``title`` column, ``duplicate_titles`` counts rows whose title another row also has.
    Identifier columns (``*_idx``, ``*_id``) are left out. One lazy aggregation per field kind.
    """
    lf = table.lazy()
    schema = lf.collect_schema()
    names = [n for n in schema.names() if n not in _ID_COLUMNS]
    aggs: list[pl.Expr] = [pl.len().alias("::rows")]
    for name in names:
        dtype = schema[name]
        present = _present(name, dtype)
        aggs.append(present.sum().alias(f"{name}::n"))
        length = None
        if dtype == pl.String:
            length = pl.col(name).str.len_chars()
        elif isinstance(dtype, pl.List):
            length = pl.col(name).list.len()
        if length is not None:
            kept = length.filter(present)
            aggs += [
                kept.quantile(q, interpolation="nearest").alias(f"{name}::{key}")
                for key, q in _QUANTILES.items()
            ]
    if "title" in schema and schema["title"] == pl.String:
        title = pl.col("title").filter(_present("title", pl.String))
        aggs.append(title.is_duplicated().sum().alias("::duplicate_titles"))
    row = lf.select(aggs).collect(engine="streaming").row(0, named=True)
    rows = int(row["::rows"])
    fields: dict[str, Any] = {}
    for name in names:
        n = int(row[f"{name}::n"])
        entry: dict[str, Any] = {"coverage": round(n / rows, 6) if rows else 0.0, "present": n}
        if f"{name}::min" in row:
            entry["length"] = {
                key: (None if row[f"{name}::{key}"] is None else int(row[f"{name}::{key}"]))
                for key in _QUANTILES
            }
        fields[name] = entry
    out: dict[str, Any] = {"rows": rows, "fields": fields}
    if "::duplicate_titles" in row:
        out["duplicate_titles"] = int(row["::duplicate_titles"] or 0)
    return out


def coverage_shortfalls(
    coverage: dict[str, dict[str, Any]], expected: dict[str, dict[str, float]]
) -> list[str]:
    """One message per field whose coverage is below the expected minimum (absent fields: 0)."""
    out = []
    for table, minimums in sorted(expected.items()):
        fields = coverage.get(table, {}).get("fields", {})
        for name, minimum in sorted(minimums.items()):
            share = fields.get(name, {}).get("coverage", 0.0)
            if share < minimum:
                missing = "" if name in fields else " (no such column)"
                out.append(
                    f"{table}.{name} coverage is {share:.1%}{missing}, "
                    f"expected at least {minimum:.1%}"
                )
    return out


@reads_folder
def stats(
    source: str | Path | pl.LazyFrame | pl.DataFrame, *, split: str | None = None
) -> dict[str, Any]:
    """Statistics of a dataset folder (its interactions), of one of its splits, or of a frame.

    With ``split`` the result has one entry per part (``train``, ``valid``, ``test``). For a
    folder without ``split`` it adds ``coverage``: :func:`coverage_stats` of items and users.
    """
    if isinstance(source, (pl.LazyFrame, pl.DataFrame)):
        return interaction_stats(source.lazy())
    from recdata.dataset import load

    dataset = load(source)
    if split is None:
        out = interaction_stats(dataset.interactions)
        out["coverage"] = {
            "items": coverage_stats(dataset.items),
            "users": coverage_stats(dataset.users),
        }
        return out
    frames = dataset.split(split)
    return {part: interaction_stats(frames[part]) for part in SPLIT_PARTS}


__all__ = ["coverage_shortfalls", "coverage_stats", "interaction_stats", "stats"]
