"""Transforms and splits on real public files (../shared/datasets; skipped when absent)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import polars as pl
import pytest

from recdata.splits import check_leakage, global_temporal, leave_one_out
from recdata.transforms import dedup, index_ids, kcore_report, to_timestamp

pytestmark = pytest.mark.shared


def ml100k(root: Path) -> pl.LazyFrame:
    path = root / "ml-100k" / "u.data"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    lf = pl.scan_csv(
        path,
        separator="\t",
        has_header=False,
        new_columns=["user_id", "item_id", "rating", "timestamp"],
        schema_overrides={
            "user_id": pl.String,
            "item_id": pl.String,
            "rating": pl.Float32,
            "timestamp": pl.Int64,
        },
    )
    return to_timestamp(lf, unit="s")


def amazon(root: Path, name: str) -> pl.DataFrame:
    path = root / "amazon-2018" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    raw = pl.read_ndjson(io.BytesIO(gzip.decompress(path.read_bytes())), infer_schema_length=None)
    return raw.select(
        pl.col("reviewerID").alias("user_id"),
        pl.col("asin").alias("item_id"),
        pl.col("overall").cast(pl.Float32).alias("rating"),
        pl.col("unixReviewTime").cast(pl.Int64).alias("timestamp"),
    )


def test_ml100k_index_counts_and_loo(shared_datasets):
    data = index_ids(ml100k(shared_datasets))
    it = data.interactions
    assert (data.user_map.height, data.item_map.height, it.height) == (943, 1682, 100_000)
    assert data.user_map["user_id"].head(3).to_list() == [
        "1",
        "10",
        "100",
    ]  # strings sort as strings
    assert it["interaction_idx"].to_list() == list(range(100_000))
    assert it.select((pl.col("user_idx").diff() >= 0).all()).item()
    split = leave_one_out(it.lazy())
    train, valid, test = split.collect()
    assert (train.height, valid.height, test.height) == (100_000 - 2 * 943, 943, 943)
    assert split.partition and check_leakage(train, valid, test).height == 0
    union = pl.concat([train, valid, test])["interaction_idx"].sort()
    assert union.to_list() == list(range(100_000))
    # the test row is each user's last in sequence order
    last = it.group_by("user_idx").agg(pl.col("interaction_idx").max()).sort("user_idx")
    assert test.sort("user_idx")["interaction_idx"].to_list() == last["interaction_idx"].to_list()


def test_ml100k_kcore_matches_reference(shared_datasets):
    df = ml100k(shared_datasets).collect()
    rows = list(zip(df["user_id"].to_list(), df["item_id"].to_list(), strict=True))
    alive = set(range(len(rows)))
    rounds = 0
    while True:
        cu: dict[str, int] = {}
        ci: dict[str, int] = {}
        for r in alive:
            cu[rows[r][0]] = cu.get(rows[r][0], 0) + 1
            ci[rows[r][1]] = ci.get(rows[r][1], 0) + 1
        keep = {r for r in alive if cu[rows[r][0]] >= 10 and ci[rows[r][1]] >= 10}
        if keep == alive:
            break
        alive, rounds = keep, rounds + 1
    out, report = kcore_report(df.lazy(), user_k=10, item_k=10, user="user_id", item="item_id")
    assert report.rows_after == len(alive) and report.rounds == rounds and report.converged
    assert report.users_before == 943 and report.items_before == 1682
    assert out.height < 100_000


def test_ml100k_global_temporal_quantiles(shared_datasets):
    it = index_ids(ml100k(shared_datasets)).interactions
    split = global_temporal(it.lazy(), quantiles=(0.8, 0.9))
    rep = split.report
    assert rep.train.rows + rep.valid.rows + rep.test.rows == 100_000
    assert abs(rep.train.rows - 80_000) < 200
    assert check_leakage(*split.collect()).height == 0


@pytest.mark.parametrize(
    ("name", "rows", "users", "items"),
    [("Gift_Cards_5.json.gz", 2972, 458, 148), ("All_Beauty_5.json.gz", 5269, 991, 85)],
)
def test_amazon_2018_dedup(shared_datasets, name, rows, users, items):
    raw = amazon(shared_datasets, name)
    assert (raw.height, raw["user_id"].n_unique(), raw["item_id"].n_unique()) == (
        rows,
        users,
        items,
    )
    records = list(zip(raw["user_id"], raw["item_id"], raw["timestamp"], strict=True))
    pairs = {(u, i) for u, i, _ in records}
    assert len(pairs) < rows  # the published files repeat (user, item) pairs
    lf = to_timestamp(raw.with_row_index("row").lazy(), unit="s")
    for keep in ("first", "last"):
        out = dedup(lf, keep=keep, user="user_id", item="item_id").collect()
        best: dict[tuple[str, str], tuple[int, int]] = {}
        for r, (u, i, t) in enumerate(records):
            k = (t, r)
            if (u, i) not in best or (k < best[(u, i)] if keep == "first" else k > best[(u, i)]):
                best[(u, i)] = k
        assert out.height == len(pairs)
        assert out["row"].to_list() == sorted(r for _, r in best.values())
    assert dedup(lf, keep="none", user="user_id", item="item_id").collect().height == rows
