"""README.md (dataset card) and croissant.json: written by every folder write, deterministic,
checksummed in the manifest, loadable by mlcroissant; folders without them still validate."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from factory import small_manifest, small_tables

from recdata import schema as S
from recdata.dataset import (
    FeatureRecord,
    Manifest,
    file_sha256,
    update_dataset,
    write_dataset,
)
from recdata.dataset._card import size_category
from recdata.validation import validate

DESCRIPTIONS = ("README.md", "croissant.json")


def _header(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_card_and_croissant_are_listed_and_identical_across_folders(tmp_path: Path) -> None:
    a = write_dataset(tmp_path / "a", small_tables(), small_manifest())
    b = write_dataset(tmp_path / "deeper" / "elsewhere" / "b", small_tables(), small_manifest())
    manifest = Manifest.read(a)
    for name in DESCRIPTIONS:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert manifest.files[name].sha256 == file_sha256(a / name)
        text = (a / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and "/tmp" not in text
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    assert validate(a).ok


def test_card_header_names_every_split_file(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    header = _header(folder)
    configs = {c["config_name"]: c["data_files"] for c in header["configs"]}
    assert configs["interactions"] == "interactions.parquet"
    manifest = Manifest.read(folder)
    for protocol in manifest.splits:
        parts = configs[f"split-{protocol}"]
        assert {p["split"] for p in parts} == {"train", "validation", "test"}
        for part in parts:
            assert (folder / part["path"]).is_file()
    rows = manifest.files["interactions.parquet"].rows
    assert header["size_categories"] == [size_category(rows)]
    assert header["license"] == "other"


def test_size_categories() -> None:
    assert size_category(14) == "n<1K"
    assert size_category(999) == "n<1K"
    assert size_category(1000) == "1K<n<10K"
    assert size_category(99_287) == "10K<n<100K"
    assert size_category(10_000_000) == "10M<n<100M"


def test_croissant_has_a_file_and_record_set_per_table(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    doc = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    manifest = Manifest.read(folder)
    parquet = sorted(r for r in manifest.files if r.endswith(".parquet"))
    assert [d["contentUrl"] for d in doc["distribution"]] == parquet
    assert {d["contentUrl"]: d["sha256"] for d in doc["distribution"]} == {
        r: manifest.files[r].sha256 for r in parquet
    }
    items = next(r for r in doc["recordSet"] if r["@id"] == "items")
    assert [f["name"] for f in items["field"]] == pl.read_parquet_schema(
        folder / "items.parquet"
    ).names()


def test_mlcroissant_loads_the_folder_and_reads_its_records(tmp_path: Path) -> None:
    mlc = pytest.importorskip("mlcroissant")
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    dataset = mlc.Dataset(str(folder / "croissant.json"))
    names = sorted(r.name for r in dataset.metadata.record_sets)
    assert "interactions" in names and "items" in names
    pytest.importorskip("pandas")
    records = list(itertools.islice(dataset.records("interactions"), 100))
    want = pl.read_parquet(folder / "interactions.parquet")
    assert [r["interactions/item_idx"] for r in records] == want[S.ITEM].to_list()


def test_update_rewrites_card_and_croissant(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    old_card = (folder / "README.md").read_bytes()
    emb = pl.DataFrame({S.ITEM: [1, 2, 3, 4, 5], "embedding": [[1.0, 0.0]] * 5})

    def note(m: Manifest) -> Manifest:
        record = FeatureRecord(kind="text", model="x", dim=2)
        return m.model_copy(update={"features": {"features/text-x.parquet": record}})

    update_dataset(folder, add={"features/text-x": emb}, update_manifest=note)
    assert (folder / "README.md").read_bytes() != old_card
    assert "features/text-x.parquet" in (folder / "README.md").read_text(encoding="utf-8")
    doc = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    assert "features-text-x" in [r["@id"] for r in doc["recordSet"]]
    manifest = Manifest.read(folder)
    for name in DESCRIPTIONS:
        assert manifest.files[name].sha256 == file_sha256(folder / name)
    assert validate(folder).ok


def _strip_descriptions(folder: Path) -> None:
    """Make the folder look like one written before cards existed."""
    manifest = Manifest.read(folder)
    for name in DESCRIPTIONS:
        (folder / name).unlink()
    files = {k: v for k, v in manifest.files.items() if k not in DESCRIPTIONS}
    (folder / "manifest.json").write_text(
        manifest.model_copy(update={"files": files}).to_json(), encoding="utf-8"
    )


def test_folder_from_before_cards_still_validates_and_gains_them_on_update(
    tmp_path: Path,
) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    _strip_descriptions(folder)
    assert validate(folder).ok
    emb = pl.DataFrame({S.ITEM: [1, 2, 3, 4, 5], "embedding": [[0.0, 1.0]] * 5})
    update_dataset(folder, add={"features/text-y": emb}, update_manifest=lambda m: m)
    assert all((folder / name).is_file() for name in DESCRIPTIONS)
    assert validate(folder).ok


def test_edited_card_fails_validation_by_checksum(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    with open(folder / "README.md", "a", encoding="utf-8") as handle:
        handle.write("edited\n")
    report = validate(folder)
    assert [(v.check, v.file) for v in report.violations] == [("checksum", "README.md")]
