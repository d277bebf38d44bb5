"""``--to srgnn``: pair lines, session order, valid part, n_node, --no-augment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from raw_kit import build_tiny

from recdata.cli import main
from recdata.exporters import export

# a yoochoose-format file: sessions a (3 clicks), b (2), c (1), d (4) at increasing times
CLICKS = """\
1,2014-04-01T10:00:00.000Z,30,0
1,2014-04-01T10:01:00.000Z,10,0
1,2014-04-01T10:02:00.000Z,20,0
2,2014-04-02T10:00:00.000Z,10,0
2,2014-04-02T10:01:00.000Z,10,0
3,2014-04-03T10:00:00.000Z,40,0
4,2014-04-04T10:00:00.000Z,20,0
4,2014-04-04T10:01:00.000Z,30,0
4,2014-04-04T10:02:00.000Z,40,0
4,2014-04-04T10:03:00.000Z,10,0
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # 4 session starts, lower quantile rule: t1 = the 3rd start, t2 = the 4th: 1, 2 -> train,
    # 3 -> valid, 4 -> test
    return build_tiny(
        tmp_path,
        monkeypatch,
        "yoochoose",
        {"yoochoose-clicks.dat": CLICKS},
        overrides=["splits.temporal.quantiles=[0.7, 1.0]"],
    )


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_pairs_in_session_order_longest_prefix_first(folder: Path, tmp_path: Path) -> None:
    out = export(folder, to="srgnn", out=tmp_path / "x")
    # items are numbered by first appearance in time: 30 -> 1, 10 -> 2, 20 -> 3, 40 -> 4
    assert _lines(out / "train.txt") == ["1 2\t3", "1\t2", "2\t2"]
    assert _lines(out / "valid.txt") == []  # session 3 has one click: no pair
    assert _lines(out / "test.txt") == ["3 1 4\t2", "3 1\t4", "3\t1"]
    assert _lines(out / "all_train_seq.txt") == ["1 2 3", "2 2"]
    record = json.loads((out / "recdata-export.json").read_text())
    assert record["n_node"] == 5 and record["options"] == {"split": "temporal", "augment": True}
    assert any("valid: 1 session(s) of one item" in c for c in record["conversions"])


def test_no_augment_writes_one_line_per_session(folder: Path, tmp_path: Path) -> None:
    out = export(folder, to="srgnn", out=tmp_path / "x", augment=False)
    assert _lines(out / "train.txt") == ["1 2\t3", "2\t2"]
    assert _lines(out / "test.txt") == ["3 1 4\t2"]


def test_cli_no_augment_only_for_srgnn(folder: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code = main(
        ["export", str(folder), "--to", "sasrec", "-o", str(tmp_path / "s"), "--no-augment"]
    )
    assert code == 2 and "srgnn only" in capsys.readouterr().err
    code = main(["export", str(folder), "--to", "srgnn", "-o", str(tmp_path / "x"), "--no-augment"])
    assert code == 0
    assert _lines(tmp_path / "x" / "test.txt") == ["3 1 4\t2"]
