"""End to end on the real MovieLens-100K: build, add candidates, validate, export to NCF, read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import recdata
from recdata.exporters import export

pytestmark = pytest.mark.shared


def test_ml100k_candidates_end_to_end(shared_datasets: Path, tmp_path: Path) -> None:
    folder = recdata.build(
        "ml-100k",
        raw_dir=shared_datasets / "ml-100k",
        out=tmp_path / "ml",
        features=False,
        home=tmp_path / "home",
        progress=False,
    )
    ds = recdata.load(folder)
    n_items = ds.items.collect().height
    recdata.add_candidates(folder, n=99, seed=0)
    ds = recdata.load(folder)
    record = ds.manifest.candidates[ds.manifest.default_split]
    test = ds.split().candidates("test").collect()
    rows = ds.split().test.collect()
    assert test.height == rows.height == record.parts["test"].rows
    # every ML-100K user has at most 737 of the items: 99 eligible negatives for everyone
    assert record.parts["test"].short_rows == 0 and set(test["negatives"].list.len()) == {99}
    interactions = ds.interactions.collect()
    seen = interactions.group_by("user_idx").agg("item_idx")
    seen_by = {u: set(items) for u, items in seen.iter_rows()}
    for row in test.head(200).iter_rows(named=True):
        negs = row["negatives"]
        assert len(set(negs)) == 99 and not set(negs) & seen_by[row["user_idx"]]
        assert all(1 <= i <= n_items for i in negs)
    assert recdata.validate(folder).ok
    # NCF reads it: one .test.negative line per .test.rating line, 99 negatives each
    out = export(folder, to="ncf", out=tmp_path / "ncf", name="ml-100k")
    ratings = (out / "ml-100k.test.rating").read_text().splitlines()
    negatives = (out / "ml-100k.test.negative").read_text().splitlines()
    assert len(ratings) == len(negatives) == rows.height
    first = negatives[0].split("\t")
    user, item = ratings[0].split("\t")[:2]
    assert first[0] == f"({user},{item})" and len(first) == 100
    # same folder + parameters -> same bytes
    again = tmp_path / "ml2"

    shutil.copytree(folder, again)
    recdata.add_candidates(again, n=99, seed=0)
    for part in ("valid", "test"):
        rel = f"splits/{ds.manifest.default_split}/candidates-{part}.parquet"
        assert (folder / rel).read_bytes() == (again / rel).read_bytes()
