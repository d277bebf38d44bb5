"""``validate`` on event and impressions columns: vocabulary, types, shown items, clicked item."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from raw_kit import build_tiny

from recdata.validation import validate

EVENTS = """\
timestamp,visitorid,event,itemid,transactionid
1433221332117,1,view,10,
1433221332118,1,addtocart,10,
1433221332119,1,transaction,10,7
1433221332120,2,view,11,
1433221332121,2,view,12,
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return build_tiny(
        tmp_path, monkeypatch, "retailrocket", {"events.csv": EVENTS}, overrides=["expected={}"]
    )


def _rewrite(folder: Path, *columns: pl.Expr) -> None:
    path = folder / "interactions.parquet"
    pl.read_parquet(path).with_columns(*columns).write_parquet(path)


def _checks(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in validate(folder).violations:
        out.setdefault(v.check, []).append(v.message)
    return out


def test_an_events_folder_is_valid(folder: Path) -> None:
    assert validate(folder).ok


def test_an_event_outside_the_vocabulary_is_a_violation(folder: Path) -> None:
    _rewrite(
        folder,
        pl.when(pl.col("interaction_idx") == 0)
        .then(pl.lit("refund"))
        .otherwise(pl.col("event"))
        .alias("event"),
    )
    messages = _checks(folder)["event"]
    assert messages == [
        "1 row(s) have an event outside the vocabulary ['view', 'cart', 'order'] (or null)"
    ]


def test_a_non_string_event_is_a_type_violation(folder: Path) -> None:
    _rewrite(folder, pl.lit(1).alias("event"))
    assert any("'event' has type int32" in m for m in _checks(folder)["type"]), _checks(folder)


def test_impressions_checks(folder: Path) -> None:
    # rows of item 1, 1, 1, 2, 3 (items indexed 1..3); every list holds its own item
    good = pl.col("item_idx").map_batches(
        lambda s: pl.Series([[int(v), 3] if v != 3 else [3] for v in s], dtype=pl.List(pl.Int32))
    )
    _rewrite(folder, good.alias("impressions"))
    assert "impressions" not in _checks(folder)  # (only the rewritten file's checksum differs)
    _rewrite(
        folder,
        pl.when(pl.col("interaction_idx") == 0)
        .then(pl.lit([9], dtype=pl.List(pl.Int32)))
        .otherwise(pl.col("impressions"))
        .alias("impressions"),
    )
    messages = _checks(folder)["impressions"]
    assert "1 row(s) show an item not in items.parquet (1..3)" in messages
    assert "1 row(s) have an item that is not in their impressions list" in messages
    _rewrite(folder, pl.col("impressions").cast(pl.List(pl.Int64)))
    assert any("'impressions' has type" in m for m in _checks(folder)["type"])
