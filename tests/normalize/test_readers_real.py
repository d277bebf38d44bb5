"""Readers on the real files in ../shared/datasets, checked against the counts in SOURCE.md."""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from recdata.normalize import READERS, read_delimited, read_jsonl, read_python_literal

pytestmark = pytest.mark.shared


def test_ml100k_u_data(shared_datasets: Path) -> None:
    result = read_delimited(
        shared_datasets / "ml-100k" / "u.data",
        sep="\t",
        columns=["user_id", "item_id", "rating", "timestamp"],
    )
    df = result.frame.collect()
    assert df.height == 100_000 and result.bad_lines == 0
    assert df.columns == ["user_id", "item_id", "rating", "timestamp"]
    assert df.row(0) == (196, 242, 3, 881250949)  # first line of u.data
    assert df["user_id"].n_unique() == 943 and df["item_id"].n_unique() == 1682
    assert all(dt == pl.Int64 for dt in df.dtypes)


def test_ml100k_u_item_latin1(shared_datasets: Path) -> None:
    df = read_delimited(
        shared_datasets / "ml-100k" / "u.item", sep="|", encoding="latin-1"
    ).frame.collect()
    assert df.shape == (1682, 24)
    assert df["column_2"][542] == "Misérables, Les (1995)"  # line 543
    assert df["column_2"][49] == "Star Wars (1977)"
    with pytest.raises(Exception, match="u.item"):
        read_delimited(shared_datasets / "ml-100k" / "u.item", sep="|")  # not UTF-8


def test_amazon2018_reviews_and_meta(shared_datasets: Path) -> None:
    folder = shared_datasets / "amazon-2018"
    gift = read_jsonl(folder / "Gift_Cards_5.json.gz").frame.collect()
    beauty = read_jsonl(folder / "All_Beauty_5.json.gz").frame.collect()
    meta = read_jsonl(folder / "meta_Gift_Cards.json.gz").frame.collect()
    assert gift.height == 2972 and beauty.height == 5269 and meta.height == 1547
    assert gift["reviewerID"].n_unique() == 458 and gift["asin"].n_unique() == 148
    assert beauty["reviewerID"].n_unique() == 991 and beauty["asin"].n_unique() == 85
    assert meta["asin"].n_unique() == 1547
    # optional fields are null where absent; requested-but-unknown fields are null columns
    fields = ["reviewerID", "asin", "overall", "unixReviewTime", "reviewText", "no_such_field"]
    picked = read_jsonl(folder / "All_Beauty_5.json.gz", fields=fields).frame.collect()
    assert picked.columns == fields
    assert picked["no_such_field"].null_count() == 5269
    raw = [json.loads(x) for x in gzip.open(folder / "All_Beauty_5.json.gz", "rt")]
    assert picked["reviewText"].null_count() == sum("reviewText" not in r for r in raw) > 0
    assert picked["reviewerID"].to_list() == [r["reviewerID"] for r in raw]  # file order


def test_steam_games_python_literal(shared_datasets: Path) -> None:
    path = shared_datasets / "steam" / "steam_games.json.gz"
    result = read_python_literal(path)
    df = result.frame.collect()
    assert df.height == 32135 and result.bad_lines == 0
    ids = df["id"].drop_nulls()
    assert ids.len() == 32133 and ids.n_unique() == 32132
    with gzip.open(path, "rt", encoding="utf8") as fh:
        first = ast.literal_eval(fh.readline())
    assert df.row(0, named=True)["app_name"] == first["app_name"]
    assert df.row(0, named=True)["early_access"] is first["early_access"]
    assert df.row(0, named=True)["genres"] == first["genres"]


def test_lastfm_dat_files(shared_datasets: Path) -> None:
    folder = shared_datasets / "lastfm-hetrec2011"
    ua = read_delimited(folder / "user_artists.dat", sep="\t", has_header=True).frame.collect()
    assert ua.columns == ["userID", "artistID", "weight"] and ua.height == 92834
    assert ua.schema["weight"] == pl.Int64  # CRLF stripped, so the last column is numeric
    tags = read_delimited(
        folder / "tags.dat", sep="\t", has_header=True, encoding="latin-1"
    ).frame.collect()
    assert tags.height == 11946 and tags["tagValue"].str.contains("[^\\x00-\\x7f]").sum() > 0
    assert not tags["tagValue"].str.ends_with("\r").any()
    friends = read_delimited(folder / "user_friends.dat", sep="\t", has_header=True)
    assert friends.frame.collect().height == 25434
    artists = read_delimited(folder / "artists.dat", sep="\t", has_header=True).frame.collect()
    assert artists.height == 17632
    tagged = READERS["tsv"](folder / "user_taggedartists.dat", has_header=True).frame.collect()
    assert tagged.height == 186479


def test_diginetica_no_trailing_newline(shared_datasets: Path) -> None:
    path = shared_datasets / "diginetica-srgnn-sample" / "sample_train-item-views.csv"
    assert not path.read_bytes().endswith(b"\n")
    df = read_delimited(path, sep=";", has_header=True, null_values=["NA"]).frame.collect()
    assert df.columns == ["session_id", "user_id", "item_id", "timeframe", "eventdate"]
    assert df.height == 12391
    assert df["session_id"].n_unique() == 2986 and df["item_id"].n_unique() == 7139
    last_line = path.read_text().rsplit("\n", 1)[1].split(";")
    assert str(df["eventdate"][-1]) == last_line[-1]
    assert df["user_id"].null_count() > 0
