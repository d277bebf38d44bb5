"""Real Amazon 2018 Gift Cards metadata (skipped without ../shared): cleaned text, recorded counts."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from recdata.dataset import Manifest
from recdata.normalize._clean import MARKUP
from recdata.pipeline import build

pytestmark = pytest.mark.shared

GIFT = "amazon2018-gift-cards-5core"


@pytest.fixture
def gift_mirror(shared_datasets: Path, mirror_dir: Path, mirror_url: str) -> str:
    for name in ("Gift_Cards_5.json.gz", "meta_Gift_Cards.json.gz"):
        shutil.copyfile(shared_datasets / "amazon-2018" / name, mirror_dir / name)
    return mirror_url


def test_gift_cards_items_hold_no_markup(
    gift_mirror: str, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDATA_MIRROR", gift_mirror)
    out = build(GIFT, out=tmp_path / "gift", overrides=["features.text=null"])
    items = pl.read_parquet(out / "items.parquet")
    pattern = MARKUP.pattern
    for column in ("title", "description", "brand", "features_text", "main_category"):
        assert items[column].str.contains(pattern).sum() == 0, column
    assert items["categories"].explode().str.contains(pattern).sum() == 0
    text = pl.read_parquet(out / "features" / "item_text.parquet")["text"]
    assert text.str.contains(pattern).sum() == 0
    # the raw file does hold markup in these fields, so the counts are not zero
    raw = [
        json.loads(line) for line in gzip.open(out.parent / "mirror" / "meta_Gift_Cards.json.gz")
    ]
    raw_titles = [r.get("title") for r in raw if r.get("title")]
    assert sum(bool(MARKUP.search(t)) for t in raw_titles) > 0
    counts = Manifest.read(out).statistics["normalisations"]["items"]
    assert counts["source"] == "meta"
    assert counts["fields"]["title"]["values"] == len(raw_titles)
    assert counts["fields"]["title"]["changed"] >= sum(bool(MARKUP.search(t)) for t in raw_titles)
    assert counts["fields"]["description"]["changed"] > 0
    # items whose metadata title was only markup are null now, never the fragment
    assert not items["title"].str.starts_with("<span").any()
