"""Prompt records: deterministic for a seed, negatives never in the history or the target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import ExportError, UsageError
from recdata.exporters import TEMPLATES, export, sample_negatives


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _many_items(kit: Any, tmp: Path) -> Path:
    """A folder with 40 items and 6 users with long histories."""
    rng = np.random.default_rng(7)
    rows = []
    for u in range(6):
        for t, item in enumerate(rng.choice(40, size=12, replace=False)):
            rows.append((f"u{u}", f"i{item:02d}", t, 1.0))
    titles = {f"i{i:02d}": f"Title {i}" for i in range(40)}
    return kit.build_folder(tmp / "many", rows, titles=titles)


def test_next_item_records(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="prompts", out=tmp_path / "p", history_cap=2)
    seq = kit.sequence_rows(kit.rows)
    parts = kit.loo_parts(seq)
    history = kit.reference_history(parts)
    by_idx = {r["item_idx"]: kit.titles[r["item_id"]] for r in seq}
    test = read_jsonl(out / "test.jsonl")
    expected = sorted(parts["test"], key=lambda r: r["interaction_idx"])
    assert [r["target_item_idx"] for r in test] == [e["item_idx"] for e in expected]
    for record, row in zip(test, expected, strict=True):
        shown = history[row["interaction_idx"]][-2:]
        assert record["history_item_idx"] == shown
        assert record["output"] == by_idx[row["item_idx"]]
        assert record["input"] == "User history:\n" + "\n".join(
            f"{n}. {by_idx[i]}" for n, i in enumerate(shown, start=1)
        )
        assert record["template"] == "next_item" and record["split"] == "test"
    train = read_jsonl(out / "train.jsonl")
    # one record per train row with a non-empty history
    assert len(train) == sum(1 for r in parts["train"] if history[r["interaction_idx"]])


def test_candidates_deterministic_and_clean(kit: Any, tmp_path: Path) -> None:
    folder = _many_items(kit, tmp_path)
    options = {"template": "candidates", "n_candidates": 10, "seed": 3}
    a = export(folder, to="prompts", out=tmp_path / "a", **options)
    b = export(folder, to="prompts", out=tmp_path / "b", **options)
    c = export(folder, to="prompts", out=tmp_path / "c", **{**options, "seed": 4})
    for part in ("train", "valid", "test"):
        assert (a / f"{part}.jsonl").read_bytes() == (b / f"{part}.jsonl").read_bytes()
    assert (a / "test.jsonl").read_bytes() != (c / "test.jsonl").read_bytes()
    for part in ("train", "valid", "test"):
        for record in read_jsonl(a / f"{part}.jsonl"):
            cands = record["candidate_item_idx"]
            assert len(cands) == 10 and len(set(cands)) == 10
            assert cands.count(record["target_item_idx"]) == 1
            negatives = set(cands) - {record["target_item_idx"]}
            assert not negatives & set(record["history_item_idx"])
            assert record["output"] in record["input"].split("Candidates:\n", 1)[1]


def test_unknown_template_and_too_many_candidates(toy: Path, tmp_path: Path) -> None:
    assert {"next_item", "candidates"} <= set(TEMPLATES)
    with pytest.raises(UsageError, match="template"):
        export(toy, to="prompts", out=tmp_path / "x", template="nope")
    with pytest.raises(ExportError, match="n_candidates"):
        export(toy, to="prompts", out=tmp_path / "y", template="candidates", n_candidates=6)
    assert not (tmp_path / "y").exists()


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n_items=st.integers(2, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_negatives_property(data: st.DataObject, n_items: int, seed: int) -> None:
    k = data.draw(st.integers(0, n_items - 1))
    rows = data.draw(
        st.lists(st.lists(st.integers(1, n_items), max_size=n_items - k, unique=True), max_size=8)
    )
    first = sample_negatives(rows, n_items, k, np.random.default_rng(seed))
    again = sample_negatives(rows, n_items, k, np.random.default_rng(seed))
    assert first.shape == (len(rows), k)
    assert np.array_equal(first, again)
    for row, negatives in zip(rows, first.tolist(), strict=True):
        assert len(set(negatives)) == k
        assert all(1 <= n <= n_items and n not in row for n in negatives)


def test_sample_negatives_when_almost_everything_is_excluded() -> None:
    rows = [list(range(1, 999))]  # only 999 and 1000 are left
    got = sample_negatives(rows, 1000, 2, np.random.default_rng(0))
    assert sorted(got[0].tolist()) == [999, 1000]
