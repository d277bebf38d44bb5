"""Amazon Reviews 2023 ``*_w_his`` CSVs, read back with the csv module; history vs a reference."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.exporters import export


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["user_id", "parent_asin", "rating", "timestamp", "history"]
        return list(reader)


def _check(out: Path, kit: Any, rows: list[Any], cap: int | None) -> None:
    seq = kit.sequence_rows(rows)
    parts = kit.loo_parts(seq)
    history = kit.reference_history(parts)
    raw = {r["item_idx"]: r["item_id"] for r in seq}
    for part in ("train", "valid", "test"):
        got = read_csv(out / f"toy.{part}.csv")
        expected = sorted(parts[part], key=lambda r: r["interaction_idx"])
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert (g["user_id"], g["parent_asin"]) == (e["user_id"], e["item_id"])
            assert g["timestamp"] == str(e["seconds"] * 1000)
            assert (float(g["rating"]) if g["rating"] else None) == e["rating"]
            items = history[e["interaction_idx"]]
            items = items if cap is None else items[len(items) - min(cap, len(items)) :]
            assert g["history"].split() == [raw[i] for i in items]


def test_round_trip_with_history(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="amazon2023", out=tmp_path / "a")
    _check(out, kit, kit.rows, None)


def test_history_cap(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="amazon2023", out=tmp_path / "a", history_cap=1)
    _check(out, kit, kit.rows, 1)


def test_split_history_column_is_used(kit: Any, tmp_path: Path) -> None:
    folder = kit.build_folder(tmp_path / "toy", kit.rows, history=True)
    _check(export(folder, to="amazon2023", out=tmp_path / "a"), kit, kit.rows, None)
    _check(export(folder, to="amazon2023", out=tmp_path / "b", history_cap=2), kit, kit.rows, 2)


def test_needs_a_split(kit: Any, tmp_path: Path) -> None:
    from recdata.errors import ExportError

    folder = kit.build_folder(tmp_path / "toy", kit.rows, split=False)
    with pytest.raises(ExportError, match="no split"):
        export(folder, to="amazon2023", out=tmp_path / "a")


ROWS = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3"]),
        st.sampled_from(["A", "B", "C", "D", "E"]),
        st.integers(0, 5),
        st.sampled_from([1.0, 2.5, None]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None)
@given(rows=ROWS, cap=st.one_of(st.none(), st.integers(0, 3)))
def test_history_matches_reference(rows: list[Any], cap: int | None, kit: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = kit.build_folder(Path(tmp) / "toy", rows)
        _check(
            export(folder, to="amazon2023", out=Path(tmp) / "out", history_cap=cap), kit, rows, cap
        )
