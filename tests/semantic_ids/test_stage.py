"""add_semantic_ids / `recdata features --semantic-ids` on a folder with a seeded embedding."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sid_factory import make_folder

import recdata
from recdata.cli import main
from recdata.dataset import Manifest, file_sha256, load, manifest_hash
from recdata.errors import FeatureError, UsageError
from recdata.semantic_ids import add_semantic_ids
from recdata.validation import validate

REL = "features/semantic_ids-rq-kmeans.parquet"


def _codes(folder: Path, rel: str = REL) -> np.ndarray:
    return np.stack(pl.read_parquet(folder / rel)["codes"].to_numpy())


def test_adds_a_valid_unique_file_with_its_record(seeded_folder: Path) -> None:
    out = recdata.add_semantic_ids(seeded_folder, codebook=16)
    assert out == seeded_folder
    table = pq.read_table(seeded_folder / REL)
    assert table.schema.names == ["item_idx", "codes"]
    assert table.schema.field("item_idx").type == pa.int32()
    assert table.schema.field("codes").type == pa.list_(pa.int16())
    frame = pl.read_parquet(seeded_folder / REL)
    assert frame["item_idx"].to_list() == list(range(1, 301))
    codes = _codes(seeded_folder)
    assert codes.shape == (300, 4)
    assert len({tuple(r) for r in codes.tolist()}) == 300
    manifest = Manifest.read(seeded_folder)
    record = manifest.features[REL]
    assert record.kind == "semantic_ids" and record.dim == 4
    details = record.details
    assert details["params"]["method"] == "rq-kmeans" and details["params"]["codebook"] == 16
    assert details["embedding"] == {
        "file": "features/text-seeded.parquet",
        "sha256": file_sha256(seeded_folder / "features/text-seeded.parquet"),
        "dim": 16,
    }
    assert details["codebook"]["used"] == 16 and not details["codebook"]["capped"]
    assert details["level_sizes"] == [16, 16, 16, details["metrics"]["after"]["suffix_size"]]
    assert codes[:, 3].max() + 1 == details["level_sizes"][3]
    metrics = details["metrics"]
    raw = {tuple(r) for r in codes[:, :3].tolist()}
    assert metrics["collision_rate"] == pytest.approx(1 - len(raw) / 300, abs=1e-6)
    assert [lv["used"] for lv in metrics["levels"]] == [
        len(set(codes[:, i].tolist())) for i in range(3)
    ]
    check = metrics["category_check"]
    assert check["available"] and check["ratio"] > 2  # first codes follow the blobs (categories)
    assert manifest.files[REL].rows == 300
    assert validate(seeded_folder).ok, [str(v) for v in validate(seeded_folder).violations]
    lazy = load(seeded_folder).semantic_ids()
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect().equals(frame)
    assert load(seeded_folder).semantic_ids("rq-kmeans").collect().equals(frame)
    with pytest.raises(UsageError, match="no semantic IDs of method 'rq-vae'; it has: rq-kmeans"):
        load(seeded_folder).semantic_ids("rq-vae")


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    one = make_folder(tmp_path / "one")
    two = make_folder(tmp_path / "two")
    for folder in (one, two):
        add_semantic_ids(folder, codebook=8, collisions="sinkhorn")
    assert (one / REL).read_bytes() == (two / REL).read_bytes()
    assert manifest_hash(one) == manifest_hash(two)


def test_rerun_with_other_parameters_replaces_and_says_so(
    seeded_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    add_semantic_ids(seeded_folder, codebook=16)
    first = (seeded_folder / REL).read_bytes()
    with caplog.at_level(logging.WARNING, logger="recdata.semantic_ids"):
        add_semantic_ids(seeded_folder, codebook=16, levels=2)
    assert "replacing features/semantic_ids-rq-kmeans.parquet: levels 3 -> 2" in caplog.text
    assert (seeded_folder / REL).read_bytes() != first
    assert _codes(seeded_folder).shape == (300, 3)
    manifest = Manifest.read(seeded_folder)
    assert manifest.features[REL].details["params"]["levels"] == 2
    assert [r for r in manifest.files if "semantic_ids" in r] == [REL]
    assert validate(seeded_folder).ok
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recdata.semantic_ids"):
        add_semantic_ids(seeded_folder, codebook=16, levels=2)
    assert "replacing" not in caplog.text


def test_cli_prints_the_quality_report_and_exit_codes(
    seeded_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["features", str(seeded_folder), "--semantic-ids", "rq-kmeans", "--codebook", "8"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"added {REL} (300 rows)" in err
    assert "collision rate before handling" in out and "perplexity" in out
    assert "category check: items sharing their first code share a category" in out
    assert set(Manifest.read(seeded_folder).features) == {"features/text-seeded.parquet", REL}
    code = main(["features", str(seeded_folder), "--semantic-ids", "rq-kmeans", "--levels", "2"])
    out, err = capsys.readouterr()
    assert code == 0 and f"replaced {REL}" in err and "replacing" in err
    code = main(["features", str(seeded_folder), "--semantic-ids", "kmeans"])
    assert code == 2
    code = main(
        ["features", str(seeded_folder), "--semantic-ids", "rq-kmeans", "--embedding", "nope"]
    )
    _, err = capsys.readouterr()
    assert code == 2 and "features/nope.parquet is not an embedding" in err
    assert "Traceback" not in err


def test_small_catalogue_cap_is_recorded_and_warned(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "small", n_items=148)
    add_semantic_ids(folder)
    manifest = Manifest.read(folder)
    cap = manifest.features[REL].details["codebook"]
    assert cap["used"] == 37 and cap["capped"] and cap["requested"] == 256
    assert any("codebook capped at 37 for 148 items" in w for w in manifest.warnings)
    assert _codes(folder)[:, :3].max() < 37


def test_no_text_embedding_is_a_feature_error(tmp_path: Path) -> None:
    from factory import make_small_dataset

    folder = make_small_dataset(tmp_path / "plain")
    with pytest.raises(FeatureError, match="has no text embedding to quantise"):
        add_semantic_ids(folder)
    with pytest.raises(UsageError, match="levels"):
        add_semantic_ids(folder, levels=0)


def _rewrite(folder: Path, frame: pl.DataFrame) -> None:
    """Replace the semantic-ID file and fix its checksum, so only the content checks can fire."""
    path = folder / REL
    path.unlink()
    pq.write_table(
        frame.with_columns(
            pl.col("item_idx").cast(pl.Int32), pl.col("codes").cast(pl.List(pl.Int16))
        )
        .to_arrow()
        .cast(
            pa.schema(
                [pa.field("item_idx", pa.int32(), False), pa.field("codes", pa.list_(pa.int16()))]
            )
        ),
        path,
    )
    manifest = Manifest.read(folder)
    files = dict(manifest.files)
    files[REL] = files[REL].model_copy(
        update={"sha256": file_sha256(path), "bytes": path.stat().st_size, "rows": frame.height}
    )
    (folder / "manifest.json").write_text(manifest.model_copy(update={"files": files}).to_json())


def test_validate_flags_collisions_lengths_and_ranges(tmp_path: Path) -> None:
    base = make_folder(tmp_path / "base", n_items=40)
    add_semantic_ids(base, codebook=4, min_items_per_code=1)
    good = pl.read_parquet(base / REL)
    sizes = Manifest.read(base).features[REL].details["level_sizes"]
    cases = {
        "semantic_ids_collision": good.with_columns(
            pl.when(pl.col("item_idx") == 2)
            .then(pl.col("codes").first())
            .otherwise(pl.col("codes"))
            .alias("codes")
        ),
        "semantic_ids_length": good.with_columns(
            pl.when(pl.col("item_idx") == 3)
            .then(pl.col("codes").list.slice(0, 2))
            .otherwise(pl.col("codes"))
            .alias("codes")
        ),
        "semantic_ids_range": good.with_columns(
            pl.when(pl.col("item_idx") == 4)
            .then(pl.concat_list(pl.lit(sizes[0], pl.Int16), pl.col("codes").list.slice(1)))
            .otherwise(pl.col("codes"))
            .alias("codes")
        ),
        "duplicate_index": pl.concat([good, good.head(1)]),
    }
    for check, frame in cases.items():
        folder = tmp_path / check
        shutil.copytree(base, folder)
        _rewrite(folder, frame)
        report = validate(folder)
        assert check in report.checks(), (check, [str(v) for v in report.violations])
        assert "checksum" not in report.checks()


def test_recipe_key_without_an_embedding_is_skipped_with_a_warning() -> None:
    from recdata.features import FeaturesSpec, GraphsSpec, compute_features

    spec = FeaturesSpec.model_validate({"text": None, "semantic_ids": True})
    assert spec.semantic_ids is not None and spec.semantic_ids.method == "rq-kmeans"
    items = pl.DataFrame({"item_idx": [1, 2], "item_id": ["a", "b"], "title": ["A", "B"]})
    out = compute_features(
        items,
        None,
        features=spec,
        graphs=GraphsSpec(user_item=None, item_item=None),
        split=None,
    )
    assert out.warnings == ["semantic IDs skipped: the build made no embedding to quantise"]
    assert not any(k.startswith("semantic_ids") for k in out.features)
    with pytest.raises(ValueError, match="semantic_ids.levels"):
        FeaturesSpec.model_validate({"semantic_ids": {"levels": 0}})
    with pytest.raises(ValueError, match="extra"):
        FeaturesSpec.model_validate({"semantic_ids": {"codebok": 8}})


def test_an_embedding_missing_items_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "partial", n_items=50)
    path = folder / "features/text-seeded.parquet"
    frame = pl.read_parquet(path).filter(pl.col("item_idx") != 7)
    path.unlink()
    frame.write_parquet(path)
    manifest = Manifest.read(folder)
    files = dict(manifest.files)
    files["features/text-seeded.parquet"] = files["features/text-seeded.parquet"].model_copy(
        update={"sha256": file_sha256(path), "bytes": path.stat().st_size, "rows": 49}
    )
    (folder / "manifest.json").write_text(manifest.model_copy(update={"files": files}).to_json())
    with pytest.raises(FeatureError, match="49 rows for 50 items \\(1 items without a row\\)"):
        add_semantic_ids(folder)
    assert not (folder / REL).exists()
