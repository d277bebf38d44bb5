"""Real data (skipped without ../shared): report, dataset card and Croissant of ml-100k and
Amazon 2018 Gift Cards; mlcroissant loads the Croissant file and reads records."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from recdata.dataset import Manifest
from recdata.pipeline import build
from recdata.reports import report
from recdata.validation import validate

pytestmark = pytest.mark.shared
pytest.importorskip("matplotlib")


def _check_folder(folder: Path) -> str:
    assert validate(folder).ok
    page = report(folder).read_text(encoding="utf-8")
    assert page.count("<svg") >= 7 and "<script" not in page
    card = (folder / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["source_datasets"] and header["citation"]
    manifest = Manifest.read(folder)
    for config in header["configs"]:
        files = config["data_files"]
        paths = [files] if isinstance(files, str) else [f["path"] for f in files]
        assert all(p in manifest.files for p in paths)
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(str(folder / "croissant.json"))
    assert {r.name for r in dataset.metadata.record_sets} >= {"interactions", "items", "users"}
    records = list(itertools.islice(dataset.records("items"), 5))
    items = pl.read_parquet(folder / "items.parquet").head(5)
    assert [r["items/item_idx"] for r in records] == items["item_idx"].to_list()
    return page


def test_ml100k_report_card_and_croissant(
    shared_datasets: Path, home: Path, tmp_path: Path
) -> None:
    raw = shared_datasets / "ml-100k"
    out = build("ml-100k", out=tmp_path / "ml", raw_dir=raw, features=False)
    page = _check_folder(out)
    assert "Toy Story (1995)" in page  # a sample item text
    assert "Gini coefficient" in page and "leave_one_out" in page
    again = build("ml-100k", out=tmp_path / "other" / "ml", raw_dir=raw, features=False)
    for name in ("README.md", "croissant.json", "manifest.json"):
        assert (out / name).read_bytes() == (again / name).read_bytes()
    assert report(again).read_bytes() == (out / "report.html").read_bytes()


def test_gift_cards_report_card_and_croissant(
    shared_datasets: Path,
    mirror_dir: Path,
    mirror_url: str,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("Gift_Cards_5.json.gz", "meta_Gift_Cards.json.gz"):
        shutil.copyfile(shared_datasets / "amazon-2018" / name, mirror_dir / name)
    monkeypatch.setenv("RECDATA_MIRROR", mirror_url)
    out = build(
        "amazon2018-gift-cards-5core", out=tmp_path / "gift", overrides=["features.text=null"]
    )
    page = _check_folder(out)
    assert "Gift Card" in page
    coverage = Manifest.read(out).statistics["coverage"]["items"]["fields"]
    assert coverage["title"]["coverage"] == 1.0 and coverage["image_urls"]["coverage"] > 0.5
