"""RecBole and Hugging Face exports carry the event column (and weights, impressions)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from raw_kit import build_tiny

from recdata.exporters import export
from recdata.exporters._hf import to_hf

from .test_recbole import read_atomic

EVENTS = """\
timestamp,visitorid,event,itemid,transactionid
1433221332117,1,view,10,
1433221332118,1,addtocart,10,
1433221332119,1,transaction,11,7
1433221332120,2,view,11,
1433221332121,2,view,12,
1433221332122,2,transaction,12,8
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return build_tiny(
        tmp_path,
        monkeypatch,
        "retailrocket",
        {"events.csv": EVENTS},
        overrides=[
            "expected={}",
            "steps=[{event_weights: {weights: {view: 1, cart: 2, order: 3}}}]",
        ],
    )


def test_recbole_inter_has_event_and_weight(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "rb"
    export(folder, to="recbole", out=out)
    types, rows = read_atomic(out / "retailrocket.inter")
    assert types["event"] == "token" and types["weight"] == "float"
    got = [(r["user_id"], r["item_id"], r["event"], r["weight"]) for r in rows]
    assert got == [
        ("1", "10", "view", 1.0),
        ("1", "10", "cart", 2.0),
        ("1", "11", "order", 3.0),
        ("2", "11", "view", 1.0),
        ("2", "12", "view", 1.0),
        ("2", "12", "order", 3.0),
    ]


def test_hf_rows_have_event_weight_and_impressions(folder: Path) -> None:
    pytest.importorskip("datasets")
    path = folder / "interactions.parquet"
    frame = pl.read_parquet(path)
    frame.with_columns(
        pl.concat_list(pl.col("item_idx")).cast(pl.List(pl.Int32)).alias("impressions")
    ).write_parquet(path)
    for part in ("train", "valid", "test"):
        p = folder / f"splits/loo/{part}.parquet"
        pl.read_parquet(p).with_columns(
            pl.concat_list(pl.col("item_idx")).cast(pl.List(pl.Int32)).alias("impressions")
        ).write_parquet(p)
    dd = to_hf(folder, split="loo", history=False)
    test = dd["test"]
    assert test.features["event"].dtype == "string"
    assert test.features["weight"].dtype == "float32"
    assert test["event"] == ["order", "order"]
    assert test["impressions"] == [[i] for i in test["item_idx"]]
