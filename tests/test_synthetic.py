"""The synthetic generator: schema, determinism, power law, and the k-core tuning."""

from __future__ import annotations

import polars as pl

from recdata.synthetic import generate, write_csv
from recdata.transforms import dedup, kcore_report


def test_schema_and_determinism(tmp_path):
    a = generate(20_000, seed=1)
    b = generate(20_000, seed=1)
    assert a.interactions.equals(b.interactions) and a.items.equals(b.items)
    assert not a.interactions.equals(generate(20_000, seed=2).interactions)
    assert a.interactions.schema == pl.Schema(
        {"user_id": pl.String, "item_id": pl.String, "rating": pl.Float32, "timestamp": pl.Int64}
    )
    assert a.items.columns == ["item_id", "title", "categories", "brand", "price", "description"]
    assert a.items.schema["categories"] == pl.List(pl.String)
    assert a.items["item_id"].n_unique() == a.items.height
    assert set(a.interactions["item_id"].unique()) <= set(a.items["item_id"])
    ts = a.interactions["timestamp"]
    assert ts.is_sorted() and ts.n_unique() < ts.len()  # increasing, with ties
    path = write_csv(a, tmp_path / "x.csv")
    back = pl.read_csv(path, schema_overrides={"rating": pl.Float32})
    assert back.equals(a.interactions)


def test_power_law_and_kcore_tuning():
    data = generate(200_000, seed=0)
    counts = data.interactions["user_id"].value_counts()["count"]
    assert counts.max() > 20 * counts.median()  # heavy head
    lf = dedup(
        data.interactions.lazy().with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC"))),
        user="user_id",
        item="item_id",
    )
    out, report = kcore_report(lf, user_k=5, item_k=5, user="user_id", item="item_id")
    removed = 1 - report.rows_after / report.rows_before
    assert report.rounds >= 3
    assert 0.10 <= removed <= 0.30


def test_sizes_override():
    d = generate(1000, n_users=7, n_items=3, seed=0)
    assert d.interactions["user_id"].n_unique() <= 7 and d.items.height == 3
    assert generate(0).interactions.height == 0
