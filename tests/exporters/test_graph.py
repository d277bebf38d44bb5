"""LightGCN-style graph files, read back as LightGCN's ``Loader`` does (0-based ids)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recdata.exporters import export


def read_lightgcn(path: Path) -> dict[int, list[int]]:
    """LightGCN's loader: ``l.strip('\\n').split(' ')``, uid = first, items = the rest as ints."""
    out = {}
    for line in path.read_text().split("\n"):
        if len(line) > 0:
            cells = line.strip("\n").split(" ")
            out[int(cells[0])] = [int(i) for i in cells[1:]]
    return out


def read_map(path: Path) -> dict[str, int]:
    lines = path.read_text().splitlines()
    assert lines[0] == "org_id remap_id"
    return {raw: int(remap) for raw, remap in (line.split(" ") for line in lines[1:])}


def test_round_trip_zero_based(toy: Path, tmp_path: Path, kit: Any) -> None:
    sp = pytest.importorskip("scipy.sparse")
    out = export(toy, to="graph", out=tmp_path / "g")
    seq = kit.sequence_rows(kit.rows)
    parts = kit.loo_parts(seq)
    users = read_map(out / "user_list.txt")
    items = read_map(out / "item_list.txt")
    assert users == {r["user_id"]: r["user_idx"] - 1 for r in seq}
    assert items == {r["item_id"]: r["item_idx"] - 1 for r in seq}
    for part in ("train", "valid", "test"):
        expected: dict[int, list[int]] = {}
        for r in sorted(parts[part], key=lambda r: r["interaction_idx"]):
            got = expected.setdefault(users[r["user_id"]], [])
            if items[r["item_id"]] not in got:
                got.append(items[r["item_id"]])
        assert read_lightgcn(out / f"{part}.txt") == expected, part
    matrix = sp.load_npz(out / "train.npz")
    assert matrix.shape == (len(users), len(items)) and matrix.dtype == np.float32
    pairs = {(u, i) for u, its in read_lightgcn(out / "train.txt").items() for i in its}
    rows, cols = matrix.nonzero()
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == pairs
    assert set(matrix.data.tolist()) == {1.0}


def test_npz_bytes_are_deterministic(toy: Path, tmp_path: Path) -> None:
    a = export(toy, to="graph", out=tmp_path / "a")
    b = export(toy, to="graph", out=tmp_path / "b")
    assert (a / "train.npz").read_bytes() == (b / "train.npz").read_bytes()
