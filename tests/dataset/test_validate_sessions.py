"""``validate`` on session columns: a string type, no nulls, one user per session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from raw_kit import build_tiny

from recdata.validation import validate

CLICKS = """\
1,2014-04-01T10:00:00.000Z,30,0
1,2014-04-01T10:01:00.000Z,10,0
2,2014-04-02T10:00:00.000Z,10,0
2,2014-04-02T10:01:00.000Z,20,0
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return build_tiny(tmp_path, monkeypatch, "yoochoose", {"yoochoose-clicks.dat": CLICKS})


def _rewrite(folder: Path, column: pl.Expr) -> None:
    path = folder / "interactions.parquet"
    pl.read_parquet(path).with_columns(column).write_parquet(path)


def _checks(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in validate(folder).violations:
        out.setdefault(v.check, []).append(v.message)
    return out


def test_a_session_folder_is_valid(folder: Path) -> None:
    assert validate(folder).ok


def test_null_and_shared_session_ids_are_violations(folder: Path) -> None:
    _rewrite(
        folder,
        pl.when(pl.col("interaction_idx") == 0)
        .then(None)
        .otherwise(pl.col("session_id"))
        .alias("session_id"),
    )
    assert any("null session_id" in m for m in _checks(folder)["session"])
    _rewrite(folder, pl.lit("same").alias("session_id"))
    assert any("shared by more than one user" in m for m in _checks(folder)["session"])


def test_a_non_string_session_id_is_a_type_violation(folder: Path) -> None:
    _rewrite(folder, pl.col("session_id").cast(pl.Int64))
    assert any("'session_id'" in m for m in _checks(folder)["type"])
