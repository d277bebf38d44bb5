"""The numbers behind ``recdata report``: small tables computed with lazy polars aggregations.

Nothing here collects a row per interaction into Python: each quantity is a group-by whose
result has at most one row per distinct degree, month, rating or Lorenz sample point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.dataset._card import funnel
from recdata.statistics import coverage_stats

LORENZ_POINTS = 512
SAMPLE_TEXTS = 8


@dataclass
class ReportData:
    """Everything the report page shows, already aggregated."""

    name: str
    summary: list[list[Any]]
    funnel: list[tuple[str, int, int, int]]
    user_degrees: pl.DataFrame
    """``degree``, ``count``: how many users have each number of interactions."""
    item_degrees: pl.DataFrame
    """``degree``, ``count``: how many items have each number of interactions."""
    lorenz: pl.DataFrame
    """``items_share``, ``interactions_share``: the popularity Lorenz curve (sampled)."""
    gini: float
    monthly: pl.DataFrame | None
    """``month``, ``interactions`` (None without timestamps)."""
    ratings: pl.DataFrame | None
    """``rating``, ``count`` (None without ratings)."""
    splits: list[dict[str, Any]]
    coverage: dict[str, Any]
    texts: list[tuple[int, str]]
    notes: list[str] = field(default_factory=list)


def _degree_query(interactions: pl.LazyFrame, key: str) -> pl.LazyFrame:
    return (
        interactions.group_by(key)
        .agg(pl.len().alias("degree"))
        .group_by("degree")
        .agg(pl.len().alias("count"))
        .sort("degree")
        .select(pl.col("degree").cast(pl.Int64), pl.col("count").cast(pl.Int64))
    )


def degree_counts(interactions: pl.LazyFrame, key: str) -> pl.DataFrame:
    """(degree, count) sorted by degree: the number of entities with each interaction count."""
    return _degree_query(interactions, key).collect(engine="streaming")


def lorenz_curve(
    item_degrees: pl.DataFrame, *, points: int = LORENZ_POINTS
) -> tuple[pl.DataFrame, float]:
    """The Lorenz curve of item popularity (items sorted from least to most popular) and its Gini.

    Computed from the (degree, count) table, so its size is the number of distinct degrees.
    The Gini coefficient is ``1 - sum((X_k - X_{k-1}) * (Y_k + Y_{k-1}))`` over the exact curve
    (trapezoids between consecutive degree groups, which is exact for a step-free cumulative).
    """
    if item_degrees.is_empty():
        return pl.DataFrame({"items_share": [0.0, 1.0], "interactions_share": [0.0, 1.0]}), 0.0
    table = item_degrees.sort("degree").with_columns(
        (pl.col("degree") * pl.col("count")).alias("mass")
    )
    n_items = int(table["count"].sum())
    total = int(table["mass"].sum())
    curve = table.select(
        (pl.col("count").cum_sum() / n_items).alias("items_share"),
        (pl.col("mass").cum_sum() / total).alias("interactions_share"),
    )
    curve = pl.concat([pl.DataFrame({"items_share": [0.0], "interactions_share": [0.0]}), curve])
    x, y = curve["items_share"], curve["interactions_share"]
    area = float(((x - x.shift(1)) * (y + y.shift(1))).drop_nulls().sum())
    gini = round(1.0 - area, 6)
    if curve.height > points:
        # keep evenly spaced rows (and the last) so the plot stays small
        step = curve.height / points
        keep = sorted(
            {min(int(i * step), curve.height - 1) for i in range(points)} | {curve.height - 1}
        )
        curve = curve[keep]
    return curve, gini


def monthly_counts(interactions: pl.LazyFrame) -> pl.DataFrame | None:
    """(month, interactions) for interactions with a timestamp; None when there are none."""
    return _months(_monthly_query(interactions).collect(engine="streaming"))


def _monthly_query(interactions: pl.LazyFrame) -> pl.LazyFrame:
    time = pl.col(S.TIME)
    return (
        interactions.filter(time.is_not_null())
        .group_by((time.dt.year().cast(pl.Int32) * 12 + time.dt.month() - 1).alias("m"))
        .agg(pl.len().alias("interactions"))
        .sort("m")
    )


def _months(out: pl.DataFrame) -> pl.DataFrame | None:
    if not out.height:
        return None
    month = pl.date(pl.col("m") // 12, pl.col("m") % 12 + 1, 1)
    return out.select(month.alias("month"), pl.col("interactions"))


def rating_counts(interactions: pl.LazyFrame) -> pl.DataFrame | None:
    """(rating, count) of non-null ratings; None without ratings."""
    out = _rating_query(interactions).collect(engine="streaming")
    return out if out.height else None


def _rating_query(interactions: pl.LazyFrame) -> pl.LazyFrame:
    return (
        interactions.filter(pl.col(S.RATING).is_not_null())
        .group_by(S.RATING)
        .agg(pl.len().alias("count"))
        .sort(S.RATING)
    )


def _leaks(train: pl.LazyFrame, valid: pl.LazyFrame, test: pl.LazyFrame) -> dict[str, int]:
    """Per held-out part, rows strictly earlier than their user's latest train row."""
    last = train.group_by(S.USER).agg(pl.col(S.TIME).max().alias("__last"))
    held = pl.concat(
        [
            valid.select(S.USER, S.TIME, pl.lit("valid").alias("part")),
            test.select(S.USER, S.TIME, pl.lit("test").alias("part")),
        ]
    )
    found = (
        held.join(last, on=S.USER, how="inner")
        .filter(pl.col(S.TIME) < pl.col("__last"))
        .group_by("part")
        .agg(pl.len().alias("n"))
        .collect(engine="streaming")
    )
    counts = dict(found.iter_rows())
    return {part: int(counts.get(part, 0)) for part in ("valid", "test")}


def split_summaries(dataset: Dataset) -> list[dict[str, Any]]:
    """Per split protocol: sizes (rows, users, items per part), the splitter's report and leaks."""
    out = []
    for name, record in dataset.manifest.splits.items():
        frames = dataset.splits[name]
        parts = {}
        for part in ("train", "valid", "test"):
            known = record.report.get(part)
            if isinstance(known, dict) and {"rows", "users", "items"} <= set(known):
                parts[part] = {k: int(known[k]) for k in ("rows", "users", "items")}
                continue  # the splitter's own counts, recorded in the manifest
            row = (
                frames[part]
                .select(
                    pl.len().alias("rows"),
                    pl.col(S.USER).n_unique().alias("users"),
                    pl.col(S.ITEM).n_unique().alias("items"),
                )
                .collect(engine="streaming")
                .row(0, named=True)
            )
            parts[part] = {k: int(v) for k, v in row.items()}
        leaks = _leaks(frames.train, frames.valid, frames.test)
        report = record.report
        out.append(
            {
                "name": name,
                "protocol": record.protocol,
                "params": record.params,
                "ordered": record.ordered,
                "partition": record.partition,
                "parts": parts,
                "leaks": leaks,
                "dropped": report.get("dropped", {}),
                "moved": report.get("moved", {}),
                "counts": report.get("counts", {}),
            }
        )
    return out


def sample_texts(dataset: Dataset, *, n: int = SAMPLE_TEXTS) -> list[tuple[int, str]]:
    """Rendered texts of ``n`` items evenly spaced by item_idx (the folder's item_text, or the
    default template rendered now)."""
    if "item_text" in dataset.features:
        texts = dataset.features["item_text"]
    else:
        from recdata.features import render_item_text
        from recdata.features._spec import DEFAULT_TEMPLATE
        from recdata.features._text import has_text

        if not has_text(dataset.items.collect_schema(), DEFAULT_TEMPLATE):
            return []
        texts = None
    total = int(dataset.items.select(pl.len()).collect().item())
    if total == 0:
        return []
    step = max(total // n, 1)
    wanted = [1 + i * step for i in range(min(n, total))]
    if texts is None:
        items = dataset.items.filter(pl.col(S.ITEM).is_in(wanted)).collect()
        texts = render_item_text(items, template=DEFAULT_TEMPLATE).lazy()
    rows = (
        texts.filter(pl.col(S.ITEM).is_in(wanted) & pl.col("text").is_not_null())
        .sort(S.ITEM)
        .collect()
    )
    return [(int(i), str(t)) for i, t in rows.select(S.ITEM, "text").iter_rows()]


def report_data(dataset: Dataset) -> ReportData:
    """Aggregate a dataset folder for the report page."""
    from recdata.dataset._card import summary_rows

    manifest = dataset.manifest
    inter = dataset.interactions
    schema = inter.collect_schema()
    queries = [_degree_query(inter, S.USER), _degree_query(inter, S.ITEM)]
    if S.TIME in schema:
        queries.append(_monthly_query(inter))
    if S.RATING in schema:
        queries.append(_rating_query(inter))
    results = pl.collect_all(queries)  # one shared scan of the interactions
    users, items = results[0], results[1]
    monthly = _months(results[2]) if S.TIME in schema else None
    ratings = results[-1] if S.RATING in schema and results[-1].height else None
    curve, gini = lorenz_curve(items)
    coverage = manifest.statistics.get("coverage") or {
        "items": coverage_stats(dataset.items),
        "users": coverage_stats(dataset.users),
    }
    summary = summary_rows(manifest)
    if not summary:
        from recdata.statistics import interaction_stats

        stats = interaction_stats(inter)
        summary = [[k, v] for k, v in stats.items() if not isinstance(v, dict)]
    return ReportData(
        name=manifest.name,
        summary=summary,
        funnel=funnel(manifest),
        user_degrees=users,
        item_degrees=items,
        lorenz=curve,
        gini=gini,
        monthly=monthly,
        ratings=ratings,
        splits=split_summaries(dataset),
        coverage=coverage,
        texts=sample_texts(dataset),
    )
