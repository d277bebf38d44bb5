"""Whole builds: the Spark engine writes the same tables and manifest statistics as polars
(ml-100k and Amazon 2018 Gift_Cards from ../shared; synthetic offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from recdata.dataset import Manifest
from recdata.pipeline import build
from recdata.validation import validate

pytestmark = pytest.mark.spark


def assert_same_folders(a: Path, b: Path) -> None:
    """Every Parquet table equal, and the manifests equal in everything but file checksums."""
    tables = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    assert tables == sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
    for rel in tables:
        assert_frame_equal(pl.read_parquet(b / rel), pl.read_parquet(a / rel), check_exact=True)
    ma, mb = Manifest.read(a), Manifest.read(b)
    assert mb.statistics == ma.statistics
    assert mb.steps == ma.steps
    assert mb.splits == ma.splits
    assert mb.graphs == ma.graphs
    assert mb.features == ma.features
    assert mb.warnings == ma.warnings
    assert {k: v.rows for k, v in mb.files.items()} == {k: v.rows for k, v in ma.files.items()}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    return tmp_path / "home"


def test_synthetic(engine: Any, home: Path, tmp_path: Path) -> None:
    # repeated pairs (dedup), iterative 5-core, leave-one-out, item texts and both graphs; a
    # second split protocol with history and a ratio split run on the same interactions
    overrides = [
        "size=10000",
        "splits.hist={protocol: global_temporal, quantiles: [0.7, 0.85], unseen: drop, history: true}",
        "splits.rnd={protocol: ratio, order: random, seed: 3}",
    ]
    a = build("synthetic", out=tmp_path / "polars", overrides=overrides)
    b = build("synthetic", out=tmp_path / "spark", overrides=overrides, engine=engine)
    assert validate(b).ok
    assert_same_folders(a, b)
    steps = Manifest.read(b).steps
    assert steps[0].rows_before > steps[0].rows_after  # dedup removed repeated pairs
    assert steps[1].details["rounds"] >= 1


@pytest.mark.shared
def test_ml100k(engine: Any, home: Path, shared_datasets: Path, tmp_path: Path) -> None:
    raw = shared_datasets / "ml-100k"
    opts: dict[str, Any] = {"raw_dir": raw, "overrides": ["features.text=null"]}
    a = build("ml-100k", out=tmp_path / "polars", **opts)
    b = build("ml-100k", out=tmp_path / "spark", engine=engine, **opts)
    assert_same_folders(a, b)
    assert Manifest.read(b).statistics["stages"]["final"] == {
        "users": 943,
        "items": 1349,
        "interactions": 99287,
    }


@pytest.mark.shared
def test_gift_cards(engine: Any, home: Path, shared_datasets: Path, tmp_path: Path) -> None:
    # gzipped JSON-lines reviews (read and mapped by Spark tasks) and metadata, from a mirror
    mirror = str(shared_datasets / "amazon-2018")
    opts: dict[str, Any] = {"mirror": mirror, "overrides": ["features.text=null"]}
    a = build("amazon2018-gift-cards-5core", out=tmp_path / "polars", **opts)
    b = build("amazon2018-gift-cards-5core", out=tmp_path / "spark", engine=engine, **opts)
    assert validate(b).ok
    assert_same_folders(a, b)
    assert Manifest.read(b).statistics["stages"]["final"]["interactions"] == 2965
