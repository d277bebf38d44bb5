"""``validate`` catches each kind of corrupted candidate file (written into a copy of a good folder)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from candidate_kit import loo_folder

import recdata
from recdata.dataset import Manifest, update_dataset

N = 3


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # users 1-3 with 5 items each over 12 items; user 4 has all 12 (short lists)
    history = {1: [1, 2, 3, 4, 5], 2: [6, 7, 8, 9, 10], 3: [11, 12, 1, 2, 3], 4: list(range(1, 13))}
    folder = loo_folder(tmp_path_factory.mktemp("v") / "good", history, n_items=12)
    recdata.add_candidates(folder, n=N, seed=2)
    assert recdata.validate(folder).ok
    return folder


def _corrupt(
    good: Path, tmp_path: Path, change: Callable[[pl.DataFrame], pl.DataFrame], *, record=None
) -> Path:  # noqa: ANN001
    """A copy of the folder whose test candidates are ``change(frame)``, checksums kept valid."""
    folder = tmp_path / "bad"
    shutil.copytree(good, folder)
    frame = change(pl.read_parquet(folder / "splits/loo/candidates-test.parquet"))

    def update(manifest: Manifest) -> Manifest:
        return record(manifest) if record is not None else manifest

    update_dataset(folder, add={"splits/loo/candidates-test": frame}, update_manifest=update)
    return folder


def _set_negatives(frame: pl.DataFrame, row: int, values: list[int]) -> pl.DataFrame:
    negs = frame["negatives"].to_list()
    negs[row] = values
    return frame.with_columns(pl.Series("negatives", negs, dtype=pl.List(pl.Int32)))


def _checks(folder: Path) -> set[str]:
    return recdata.validate(folder).checks()


def test_duplicate_negative(good: Path, tmp_path: Path) -> None:
    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [6, 6, 7]))
    assert _checks(bad) == {"candidates_duplicate"}


def test_negative_the_user_interacted_with(good: Path, tmp_path: Path) -> None:
    # row 0 is user 1 (items 1..5): item 2 is in the user's interactions
    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [2, 6, 7]))
    assert _checks(bad) == {"candidates_excluded"}


def test_positive_given_as_negative(good: Path, tmp_path: Path) -> None:
    def change(frame: pl.DataFrame) -> pl.DataFrame:
        return _set_negatives(frame, 0, [int(frame["item_idx"][0]), 6, 7])

    assert "candidates_excluded" in _checks(_corrupt(good, tmp_path, change))


def test_item_out_of_range(good: Path, tmp_path: Path) -> None:
    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [6, 7, 99]))
    assert _checks(bad) == {"candidates_range"}


def test_list_longer_than_n(good: Path, tmp_path: Path) -> None:
    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [6, 7, 8, 9]))
    assert _checks(bad) == {"candidates_length"}


def test_short_list_not_counted(good: Path, tmp_path: Path) -> None:
    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [6, 7]))
    assert _checks(bad) == {"candidates_length"}
    messages = [str(v) for v in recdata.validate(bad).violations]
    assert any("manifest records 1" in m for m in messages), messages


def test_short_count_wrong_in_manifest(good: Path, tmp_path: Path) -> None:
    def record(manifest: Manifest) -> Manifest:
        rec = manifest.candidates["loo"]
        part = rec.parts["test"].model_copy(update={"short_rows": 0})
        parts = {**rec.parts, "test": part}
        return manifest.model_copy(
            update={"candidates": {"loo": rec.model_copy(update={"parts": parts})}}
        )

    bad = _corrupt(good, tmp_path, lambda f: f, record=record)
    assert _checks(bad) == {"candidates_length"}


def test_positive_not_in_the_part(good: Path, tmp_path: Path) -> None:
    bad = _corrupt(
        good, tmp_path, lambda f: f.with_columns(pl.col("item_idx").shift(1, fill_value=12))
    )
    assert {"candidates_positive", "candidates_missing"} <= _checks(bad)


def test_missing_row(good: Path, tmp_path: Path) -> None:
    def record(manifest: Manifest) -> Manifest:
        return manifest

    bad = _corrupt(good, tmp_path, lambda f: f.slice(1), record=record)
    assert "candidates_missing" in _checks(bad)


def test_short_list_that_is_not_exhaustive(good: Path, tmp_path: Path) -> None:
    # user 1 has 7 eligible items: a list of 2 (counted short) still breaks "short only when needed"
    def record(manifest: Manifest) -> Manifest:
        rec = manifest.candidates["loo"]
        part = rec.parts["test"].model_copy(update={"short_rows": rec.parts["test"].short_rows + 1})
        return manifest.model_copy(
            update={
                "candidates": {"loo": rec.model_copy(update={"parts": {**rec.parts, "test": part}})}
            }
        )

    bad = _corrupt(good, tmp_path, lambda f: _set_negatives(f, 0, [6, 7]), record=record)
    assert _checks(bad) == {"candidates_length"}
    assert any("eligible" in str(v) for v in recdata.validate(bad).violations)


def test_unlisted_or_missing_file(good: Path, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    shutil.copytree(good, folder)
    (folder / "splits/loo/candidates-valid.parquet").unlink()
    assert "missing_file" in _checks(folder)
