"""SASRec / S3-Rec text files, read back as their data loaders do (1-based ids, sequence order)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from recdata.errors import UsageError
from recdata.exporters import export


def read_pairs(path: Path) -> dict[int, list[int]]:
    """SASRec's ``data_partition``: ``u i`` per line, appended in file order."""
    user_train: dict[int, list[int]] = defaultdict(list)
    for line in path.read_text().splitlines():
        u, i = line.rstrip().split(" ")
        user_train[int(u)].append(int(i))
    return dict(user_train)


def read_lines(path: Path) -> dict[int, list[int]]:
    """S3-Rec's ``get_user_seqs``: ``user item1 item2 ...``, items as ints."""
    seqs = {}
    for line in path.read_text().splitlines():
        user, items = line.strip().split(" ", 1)
        seqs[int(user)] = [int(i) for i in items.split(" ")]
    return seqs


def _expected(kit: Any) -> dict[int, list[int]]:
    seqs: dict[int, list[int]] = defaultdict(list)
    for row in kit.sequence_rows(kit.rows):
        seqs[row["user_idx"]].append(row["item_idx"])
    return dict(seqs)


def test_pairs_and_lines_round_trip(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="sasrec", out=tmp_path / "s")
    expected = _expected(kit)
    assert read_pairs(out / "toy.txt") == expected
    assert read_lines(out / "toy_seq.txt") == expected
    assert min(min(v) for v in expected.values()) == 1  # 1-based, 0 left for padding


def test_lines_layout_and_item_attributes(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="sasrec", out=tmp_path / "s3", layout="lines")
    assert read_lines(out / "toy.txt") == _expected(kit)
    assert not (out / "toy_seq.txt").exists()
    item2attr = json.loads((out / "toy_item2attributes.json").read_text())
    names = json.loads((out / "toy_attributes.json").read_text())
    seq = kit.sequence_rows(kit.rows)
    idx = {r["item_id"]: r["item_idx"] for r in seq}
    assert set(item2attr) == {str(i) for i in idx.values()}
    for raw, i in idx.items():
        assert sorted(names[str(a)] for a in item2attr[str(i)]) == sorted(
            f"category:{c}" for c in kit.categories.get(raw, [])
        )
    assert sorted(int(a) for a in names) == list(range(1, len(names) + 1))


def test_bad_layout(toy: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="layout"):
        export(toy, to="sasrec", out=tmp_path / "x", layout="nope")
    assert not (tmp_path / "x").exists()
