"""Metadata coverage: per-field shares, length quantiles, duplicated titles; expected minimums."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from factory import make_small_dataset

from recdata.cli import main
from recdata.dataset import Manifest
from recdata.pipeline import build
from recdata.statistics import coverage_shortfalls, coverage_stats, stats


def test_coverage_against_a_hand_computation() -> None:
    items = pl.DataFrame(
        {
            "item_idx": [1, 2, 3, 4, 5],
            "item_id": ["a", "b", "c", "d", "e"],
            "title": ["ab", None, "ab", "", "wxyz"],  # "" counts as missing
            "categories": [["x"], [], None, ["x", "y", "z"], ["y"]],
            "price": [1.0, None, float("nan"), 2.0, 3.0],
        }
    )
    got = coverage_stats(items)
    assert got["rows"] == 5
    assert set(got["fields"]) == {"title", "categories", "price"}  # identifiers left out
    # title: present in rows 1, 3, 5 -> 3/5; lengths [2, 2, 4]
    assert got["fields"]["title"] == {
        "coverage": 0.6,
        "present": 3,
        "length": {"min": 2, "p25": 2, "median": 2, "p75": 4, "p95": 4, "max": 4},
    }
    # categories: rows 1, 4, 5 -> 3/5; element counts [1, 3, 1]
    assert got["fields"]["categories"]["coverage"] == 0.6
    assert got["fields"]["categories"]["length"]["median"] == 1
    assert got["fields"]["categories"]["length"]["max"] == 3
    # price: NaN is missing -> rows 1, 4, 5
    assert got["fields"]["price"] == {"coverage": 0.6, "present": 3}
    assert got["duplicate_titles"] == 2  # the two "ab" rows


def test_shortfalls_name_table_field_and_numbers() -> None:
    coverage = {"items": {"fields": {"title": {"coverage": 0.5}}}}
    assert coverage_shortfalls(coverage, {"items": {"title": 0.5}}) == []
    msgs = coverage_shortfalls(coverage, {"items": {"title": 0.9, "brand": 0.1}})
    assert msgs == [
        "items.brand coverage is 0.0% (no such column), expected at least 10.0%",
        "items.title coverage is 50.0%, expected at least 90.0%",
    ]


def test_build_warns_when_coverage_falls_short(tmp_path: Path) -> None:
    sets = ["size=3000", "expected_coverage={items: {title: 1.0, isbn: 0.5}}"]
    out = build("synthetic", out=tmp_path / "s", overrides=sets, features=False)
    manifest = Manifest.read(out)
    coverage = manifest.statistics["coverage"]
    assert coverage["items"]["fields"]["title"]["coverage"] == 1.0
    assert coverage["items"]["rows"] == manifest.files["items.parquet"].rows
    assert coverage["users"]["rows"] == manifest.files["users.parquet"].rows
    assert [w for w in manifest.warnings if "coverage" in w] == [
        "metadata coverage: items.isbn coverage is 0.0% (no such column), expected at least 50.0%"
    ]


def test_expected_coverage_shares_are_checked(tmp_path: Path) -> None:
    from recdata.errors import RecdataError

    with pytest.raises(RecdataError, match=r"shares must be in \[0, 1\]"):
        build("synthetic", out=tmp_path / "s", overrides=["expected_coverage={items: {title: 2}}"])


def test_stats_reports_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_small_dataset(tmp_path / "d")
    result = stats(folder)
    assert result["coverage"]["items"]["fields"]["categories"]["coverage"] == 0.8  # one []
    assert main(["stats", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "metadata coverage" in out and "80.0%" in out
