"""Real data: semantic IDs of ml-100k and Amazon 2018 Gift Cards from default builds (MiniLM titles)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recdata.dataset import Manifest, file_sha256
from recdata.pipeline import build
from recdata.semantic_ids import add_semantic_ids
from recdata.validation import validate

pytestmark = pytest.mark.shared

REL = "features/semantic_ids-rq-kmeans.parquet"
EMB = "features/text-all-minilm-l6-v2.parquet"


def test_ml100k_ids_are_unique_reproducible_and_follow_genres(
    ml100k_folder: Path, tmp_path: Path
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(ml100k_folder, one)
    shutil.copytree(ml100k_folder, two)
    add_semantic_ids(one)
    add_semantic_ids(two)
    assert (one / REL).read_bytes() == (two / REL).read_bytes()
    assert (one / "manifest.json").read_bytes() == (two / "manifest.json").read_bytes()
    report = validate(one)
    assert report.ok, [str(v) for v in report.violations]
    codes = np.stack(pl.read_parquet(one / REL)["codes"].to_numpy())
    assert codes.shape == (1349, 4)
    assert len({tuple(r) for r in codes.tolist()}) == 1349
    details = Manifest.read(one).features[REL].details
    assert details["codebook"]["used"] == 256 and not details["codebook"]["capped"]
    assert details["embedding"]["sha256"] == file_sha256(one / EMB)
    check = details["metrics"]["category_check"]
    # movies sharing their first code share a genre more often than random pairs
    assert check["available"] and check["ratio"] > 1.2, check
    assert details["metrics"]["levels"][0]["used"] > 200


def test_ml100k_recipe_key_gives_the_same_ids(
    ml100k_folder: Path, shared_datasets: Path, tmp_path: Path
) -> None:
    out = build(
        "ml-100k",
        out=tmp_path / "ml",
        raw_dir=shared_datasets / "ml-100k",
        overrides=["features.semantic_ids.method=rq-kmeans", "features.semantic_ids.levels=3"],
    )
    manifest = Manifest.read(out)
    record = manifest.features[REL]
    assert record.details["embedding"]["file"] == EMB
    assert record.details["embedding"]["sha256"] == manifest.files[EMB].sha256
    assert validate(out).ok
    again = tmp_path / "again"
    shutil.copytree(ml100k_folder, again)
    add_semantic_ids(again)
    assert (out / REL).read_bytes() == (again / REL).read_bytes()
    assert Manifest.read(again).features[REL] == record


def test_gift_cards_default_build_gets_a_capped_codebook(
    amazon_mirror: str, real_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDATA_MIRROR", amazon_mirror)
    out = build("amazon2018-gift-cards-5core", out=tmp_path / "gift")
    add_semantic_ids(out, collisions="sinkhorn")
    report = validate(out)
    assert report.ok, [str(v) for v in report.violations]
    manifest = Manifest.read(out)
    details = manifest.features[REL].details
    assert details["codebook"] == {
        "requested": 256,
        "used": 37,
        "capped": True,
        "rule": "codebook <= max(1, n_items // min_items_per_code)",
    }
    assert any("codebook capped at 37 for 148 items" in w for w in manifest.warnings)
    codes = np.stack(pl.read_parquet(out / REL)["codes"].to_numpy())
    assert codes.shape == (148, 4) and len({tuple(r) for r in codes.tolist()}) == 148
    assert details["metrics"]["after"]["method"] == "sinkhorn"
