"""ReChorus, Elliot and NCF exports read back by readers that mimic each project's own parsing."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from candidate_kit import loo_folder

import recdata
from recdata.errors import ExportError
from recdata.exporters import EXPORT_RECORD, export


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    history = {u: [(u * 5 + 3 * k) % 30 + 1 for k in range(3 + u % 4)] for u in range(1, 13)}
    out = loo_folder(tmp_path / "f", history, n_items=30)
    recdata.add_candidates(out, n=6, seed=9)
    return out


def _candidates(folder: Path, part: str) -> pl.DataFrame:
    return recdata.load(folder).split().candidates(part).collect().sort("interaction_idx")


# ReChorus helpers/BaseReader.py: pd.read_csv(sep="\t"), utils.eval_list_columns, n_items check
def _rechorus_read(path: Path) -> dict[str, pd.DataFrame]:
    data = {}
    for key in ("train", "dev", "test"):
        df = pd.read_csv(path / f"{key}.csv", sep="\t")
        for col in df.columns:
            if pd.api.types.is_string_dtype(df[col]):
                df[col] = df[col].apply(lambda x: eval(str(x)))  # noqa: S307 - as ReChorus does
        data[key] = df
    all_df = pd.concat([df[["user_id", "item_id", "time"]] for df in data.values()])
    n_items = all_df["item_id"].max() + 1
    for key in ("dev", "test"):
        neg_items = np.array(data[key]["neg_items"].tolist())
        assert (neg_items >= n_items).sum() == 0
    return data


def test_rechorus_reads_the_export(folder: Path, tmp_path: Path) -> None:
    out = export(folder, to="rechorus", out=tmp_path / "rc")
    data = _rechorus_read(out)
    ds = recdata.load(folder)
    for key, part in (("train", "train"), ("dev", "valid"), ("test", "test")):
        frame = data[key]
        rows = ds.split()[part].collect()
        assert len(frame) == rows.height
        assert list(frame.columns[:3]) == ["user_id", "item_id", "time"]
        assert frame["time"].is_monotonic_increasing
        pairs = sorted(zip(frame["user_id"], frame["item_id"], strict=True))
        assert pairs == sorted(
            zip(rows["user_idx"].to_list(), rows["item_idx"].to_list(), strict=True)
        )
        if part != "train":
            expected = {
                (r["user_idx"], r["item_idx"]): r["negatives"]
                for r in _candidates(folder, part).iter_rows(named=True)
            }
            got = {
                (u, i): list(n)
                for u, i, n in zip(
                    frame["user_id"], frame["item_id"], frame["neg_items"], strict=True
                )
            }
            assert got == expected
    record = json.loads((out / EXPORT_RECORD).read_text())
    assert (record["ids"], record["index_base"]) == ("user_idx/item_idx", 1)


def test_rechorus_refuses_uneven_lists(tmp_path: Path) -> None:
    folder = loo_folder(tmp_path / "f", {1: [1, 2, 3, 4], 2: [1, 2, 3]}, n_items=6)
    recdata.add_candidates(folder, n=3)  # user 1 has 2 eligible items
    with pytest.raises(ExportError, match="same number of negatives"):
        export(folder, to="rechorus", out=tmp_path / "rc")
    assert not (tmp_path / "rc").exists()


def test_formats_need_candidates(tmp_path: Path) -> None:
    folder = loo_folder(tmp_path / "f", {1: [1, 2, 3, 4]}, n_items=9)
    for to in ("rechorus", "elliot", "ncf"):
        with pytest.raises(ExportError, match="recdata candidates"):
            export(folder, to=to, out=tmp_path / to)


# Elliot: read_negatives -> user_id = str(literal_eval(line[0])[0]); negatives = line[1:]
def _elliot_negatives(path: Path) -> dict[str, tuple[str, list[str]]]:
    neg = {}
    with open(path) as file:
        for line in file:
            parts = line.rstrip("\n").split("\t")
            head = ast.literal_eval(parts[0])
            neg[str(head[0])] = (str(head[1]), list(parts[1:]))
    return neg


def test_elliot_reads_the_export(folder: Path, tmp_path: Path) -> None:
    out = export(folder, to="elliot", out=tmp_path / "el")
    ds = recdata.load(folder)
    raw_item = dict(ds.items.collect().select("item_idx", "item_id").iter_rows())
    raw_user = dict(ds.users.collect().select("user_idx", "user_id").iter_rows())
    for part, name in (("test", "test_negative.tsv"), ("valid", "val_negative.tsv")):
        got = _elliot_negatives(out / name)
        expected = {
            raw_user[r["user_idx"]]: (
                raw_item[r["item_idx"]],
                [raw_item[i] for i in r["negatives"]],
            )
            for r in _candidates(folder, part).iter_rows(named=True)
        }
        assert got == expected
    train = pd.read_csv(out / "train.tsv", sep="\t", header=None, names=["u", "i", "r", "t"])
    assert len(train) == ds.split().train.collect().height
    assert set(train["u"]) <= set(raw_user.values()) and set(train["i"]) <= set(raw_item.values())


def test_elliot_ids_with_quotes_survive_literal_eval(tmp_path: Path) -> None:
    from recdata.exporters._elliot import _py_str

    ids = pl.DataFrame({"x": ["it's", "back\\slash", 'dq"', "plain"]})
    texts = ids.select(_py_str("x"))["x"].to_list()
    assert [ast.literal_eval(t) for t in texts] == ids["x"].to_list()


# NCF Dataset.py: split("\t"); .rating -> int user, int item; .negative -> arr[1:] as ints
def _ncf_read(prefix: Path) -> tuple[list[list[int]], list[list[int]], list[str], tuple[int, int]]:
    ratings, negatives, heads = [], [], []
    with open(f"{prefix}.test.rating") as f:
        for line in f:
            arr = line.split("\t")
            ratings.append([int(arr[0]), int(arr[1])])
    with open(f"{prefix}.test.negative") as f:
        for line in f:
            arr = line.split("\t")
            heads.append(arr[0].strip())
            negatives.append([int(x) for x in arr[1:]])
    num_users = num_items = 0
    with open(f"{prefix}.train.rating") as f:
        for line in f:
            arr = line.split("\t")
            u, i, rating = int(arr[0]), int(arr[1]), float(arr[2])
            assert rating > 0
            num_users, num_items = max(num_users, u), max(num_items, i)
    assert len(ratings) == len(negatives)
    return ratings, negatives, heads, (num_users + 1, num_items + 1)


def test_ncf_reads_the_export(folder: Path, tmp_path: Path) -> None:
    out = export(folder, to="ncf", out=tmp_path / "ncf", name="toy")
    ratings, negatives, heads, _ = _ncf_read(out / "toy")
    test = _candidates(folder, "test")
    assert ratings == [
        [u - 1, i - 1] for u, i in zip(test["user_idx"], test["item_idx"], strict=True)
    ]
    assert negatives == [[x - 1 for x in negs] for negs in test["negatives"].to_list()]
    assert heads == [f"({u},{i})" for u, i in ratings]
    record = json.loads((out / EXPORT_RECORD).read_text())
    assert (record["ids"], record["index_base"]) == ("user_idx-1/item_idx-1", 0)


def test_full_ranking_exports(folder: Path, tmp_path: Path) -> None:
    recdata.add_candidates(folder, sampler="all")
    out = export(folder, to="rechorus", out=tmp_path / "rc")
    assert "neg_items" not in pd.read_csv(out / "test.csv", sep="\t").columns
    for to in ("elliot", "ncf"):
        with pytest.raises(ExportError, match="full ranking"):
            export(folder, to=to, out=tmp_path / to)


def test_hf_carries_negatives(folder: Path) -> None:
    pytest.importorskip("datasets")
    dd = recdata.to_hf(folder)
    assert "negatives" not in dd["train"].column_names
    test = _candidates(folder, "test")
    rows = {r["interaction_idx"]: r["negatives"] for r in dd["test"]}
    assert rows == dict(zip(test["interaction_idx"], test["negatives"].to_list(), strict=True))
    assert str(dd["valid"].features["negatives"].feature) == "Value('int32')"
    assert "negatives" not in recdata.to_hf(folder, negatives=False)["test"].column_names
