"""Each catalog family's mapping on tiny files written in that family's real raw format.

The real files cannot be fetched here, so each test writes a few lines in the publisher's format
(separators, encodings, Python literals, nested JSON) into a --raw-dir, drops the recipe's
checksums (they belong to the real files) and steps, builds, and checks the mapped columns.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from recdata import schema as S
from recdata.dataset import Manifest
from recdata.pipeline import build
from recdata.recipe import resolve
from recdata.validation import validate


def _offline(name: str) -> list[str]:
    """Overrides that drop a recipe's checksums, steps and URLs (files come from --raw-dir only)."""
    out = ["steps=[]", "expected={}"]
    for source in resolve(name).sources:
        out += [f"sources.{source.name}.{k}=null" for k in ("sha256", "md5", "size")]
        out += [
            f"sources.{source.name}.urls=[]",
            f"sources.{source.name}.filename={source.file_name}",
        ]
        out.append(f"sources.{source.name}.manual=test file in --raw-dir")
        if source.members:
            members = ", ".join(f"{{name: '{m.name}'}}" for m in source.members)
            out.append(f"sources.{source.name}.members=[{members}]")
    return out


def _build(
    name: str, raw: Path, tmp_path: Path, extra: list[str] | None = None
) -> tuple[Path, Manifest]:
    out = build(
        name,
        out=tmp_path / "out",
        raw_dir=raw,
        home=tmp_path / "home",
        overrides=_offline(name) + (extra or []),
        features=False,
    )
    report = validate(out)
    assert report.ok, report.violations
    return out, Manifest.read(out)


def _write(path: Path, data: bytes | str, *, gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf8") if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_movielens_1m_dat_latin1(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(
        raw / "ml-1m/ratings.dat", "1::2::5::978300760\n1::1::3::978300760\n2::1::4::978300000\n"
    )
    _write(
        raw / "ml-1m/movies.dat",
        "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Misérables, Les (1995)::Drama\n".encode(
            "latin-1"
        ),
    )
    _write(raw / "ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")
    out, m = _build("ml-1m", raw, tmp_path)
    items = pl.read_parquet(out / "items.parquet")
    assert items["title"].to_list() == ["Toy Story (1995)", "Misérables, Les (1995)"]
    assert items["year"].to_list() == [1995, 1995]
    assert items["categories"].to_list() == [["Animation", "Children's", "Comedy"], ["Drama"]]
    users = pl.read_parquet(out / "users.parquet")
    assert users.row(0) == (1, "1", "F", 1, 10, "48067")
    inter = pl.read_parquet(out / "interactions.parquet")
    # user 1's two ratings share a timestamp: the file's order is kept (item 2 before item 1)
    assert inter.filter(pl.col(S.USER) == 1)[S.ITEM].to_list() == [2, 1]


def test_movielens_csv_quoted_titles_and_tags(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(
        raw / "ml-20m/ratings.csv",
        "userId,movieId,rating,timestamp\n1,3,3.5,1112486027\n2,1,4.0,1112484676\n",
    )
    _write(
        raw / "ml-20m/movies.csv",
        'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,"American President, The (1995)",Comedy|Drama\n'
        "4,Nothing (2015),(no genres listed)\n",
    )
    _write(
        raw / "ml-20m/tags.csv",
        "userId,movieId,tag,timestamp\n18,3,politics,1240597180\n65,3,politics,1240597181\n65,1,pixar,1368150078\n",
    )
    out, _ = _build("ml-20m", raw, tmp_path)
    items = pl.read_parquet(out / "items.parquet").sort(S.ITEM_ID)
    assert items["title"].to_list() == ["Toy Story (1995)", "American President, The (1995)"]
    assert items["tags"].to_list() == [["pixar"], ["politics"]]


def test_amazon2014_python_literal_meta(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    reviews = [
        {
            "reviewerID": "U1",
            "asin": "A1",
            "overall": 5.0,
            "unixReviewTime": 1252800000,
            "summary": "s",
            "reviewText": "t",
        },
        {
            "reviewerID": "U1",
            "asin": "A2",
            "overall": 4.0,
            "unixReviewTime": 1252800001,
            "summary": "s",
            "reviewText": "t",
        },
    ]
    _write(raw / "reviews_Beauty_5.json.gz", _jsonl(reviews), gz=True)
    meta = (
        "{'asin': 'A1', 'title': 'Lip Balm', 'price': 12.5, 'imUrl': 'http://x/1.jpg', "
        "'categories': [['Beauty', 'Skin Care'], ['Beauty', 'Lips']], 'brand': 'Acme', 'salesRank': {'Beauty': 3}}\n"
        "{'asin': 'A2', 'description': u'Caf\\xe9 \"quoted\"', 'categories': [['Beauty']]}\n"
    )
    _write(raw / "meta_Beauty.json.gz", meta, gz=True)
    out, m = _build("amazon-beauty", raw, tmp_path)
    assert m.name == "amazon-beauty" and m.recipe["alias_of"] == "amazon2014-beauty-5core"
    items = pl.read_parquet(out / "items.parquet").sort(S.ITEM_ID)
    assert items["categories"].to_list() == [["Beauty", "Skin Care", "Lips"], ["Beauty"]]
    assert items["price"].to_list() == [12.5, None]
    assert items["image_urls"].to_list() == [["http://x/1.jpg"], None]
    assert items["description"].to_list() == [None, 'Café "quoted"']


def test_amazon2023_nested_meta_and_benchmark_csv(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    reviews = [
        {
            "rating": 5.0,
            "title": "Great",
            "text": "ok",
            "images": [],
            "asin": "B1",
            "parent_asin": "P1",
            "user_id": "U1",
            "timestamp": 1588687728923,
            "helpful_vote": 0,
            "verified_purchase": True,
        },
        {
            "rating": 3.0,
            "title": "Meh",
            "text": "ok",
            "images": [],
            "asin": "B2",
            "parent_asin": "P1",
            "user_id": "U1",
            "timestamp": 1588687728000,
            "helpful_vote": 2,
            "verified_purchase": False,
        },
    ]
    _write(raw / "All_Beauty.jsonl.gz", _jsonl(reviews), gz=True)
    meta = [
        {
            "main_category": "All Beauty",
            "title": "Soap",
            "average_rating": 4.5,
            "rating_number": 10,
            "features": ["a", "b"],
            "description": [],
            "price": None,
            "images": [{"thumb": "t.jpg", "large": "l.jpg", "variant": "MAIN", "hi_res": None}],
            "videos": [],
            "store": "Acme",
            "categories": [],
            "details": {"x": "y"},
            "parent_asin": "P1",
            "bought_together": None,
        }
    ]
    _write(raw / "meta_All_Beauty.jsonl.gz", _jsonl(meta), gz=True)
    out, m = _build("amazon2023-all-beauty", raw, tmp_path, ["steps=[{dedup: {keep: first}}]"])
    inter = pl.read_parquet(out / "interactions.parquet")
    assert (
        inter.height == 1 and inter["review_title"].item() == "Meh"
    )  # the earliest review of the pair
    assert inter[S.TIME].dt.epoch("ms").item() == 1588687728000
    items = pl.read_parquet(out / "items.parquet")
    row = items.row(0, named=True)
    assert (row["title"], row["brand"], row["image_urls"], row["features_text"]) == (
        "Soap",
        "Acme",
        ["l.jpg"],
        "a\nb",
    )
    assert set(m.splits) == {"loo", "timestamp"}

    raw5 = tmp_path / "raw5"
    _write(
        raw5 / "All_Beauty.csv.gz",
        "user_id,parent_asin,rating,timestamp\nU1,P1,5.0,1588687728923\nU1,P2,4.0,1658002729837\n",
        gz=True,
    )
    out5 = build(
        "amazon2023-all-beauty-5core",
        out=tmp_path / "b5",
        raw_dir=raw5,
        home=tmp_path / "home",
        overrides=_offline("amazon2023-all-beauty-5core"),
        features=False,
    )
    assert validate(out5).ok
    test = pl.read_parquet(out5 / "splits/timestamp/test.parquet")
    assert test.height == 1  # 1658002729837 is the official second cut-off: test starts there


def test_gowalla_iso_times_and_friendships(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(
        raw / "loc-gowalla_totalCheckins.txt.gz",
        "0\t2010-10-19T23:55:27Z\t30.23\t-97.79\t22847\n0\t2010-10-18T22:17:43Z\t30.26\t-97.75\t420315\n"
        "1\t2010-10-17T23:42:03Z\t30.25\t-97.76\t22847\n",
        gz=True,
    )
    _write(raw / "loc-gowalla_edges.txt.gz", "0\t1\n1\t0\n1\t7\n", gz=True)
    out, m = _build("gowalla", raw, tmp_path)
    inter = pl.read_parquet(out / "interactions.parquet")
    assert inter.filter(pl.col(S.USER) == 1)[S.TIME].dt.to_string(
        "%Y-%m-%dT%H:%M:%S"
    ).to_list() == ["2010-10-18T22:17:43", "2010-10-19T23:55:27"]
    assert "latitude" in inter.columns
    social = pl.read_parquet(out / "graphs/social.parquet")
    assert social.rows() == [(1, 2, 1.0), (2, 1, 1.0)]  # the edge to unknown user 7 is dropped
    assert m.graphs["graphs/social.parquet"].kind == "social"


def test_yelp_manual_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(
        raw / "yelp_academic_dataset_review.json",
        _jsonl(
            [
                {
                    "review_id": "r1",
                    "user_id": "u1",
                    "business_id": "b1",
                    "stars": 4.0,
                    "useful": 0,
                    "text": "x",
                    "date": "2018-07-07 22:09:11",
                },
                {
                    "review_id": "r2",
                    "user_id": "u2",
                    "business_id": "b1",
                    "stars": 2.0,
                    "useful": 0,
                    "text": "y",
                    "date": "2012-01-03 15:28:18",
                },
            ]
        ),
    )
    _write(
        raw / "yelp_academic_dataset_business.json",
        _jsonl(
            [
                {
                    "business_id": "b1",
                    "name": "Cafe",
                    "city": "Tucson",
                    "state": "AZ",
                    "latitude": 1.0,
                    "longitude": 2.0,
                    "stars": 4.5,
                    "review_count": 7,
                    "categories": "Coffee & Tea, Food, Cafes",
                },
            ]
        ),
    )
    out, m = _build("yelp", raw, tmp_path)
    items = pl.read_parquet(out / "items.parquet")
    assert items["categories"].to_list() == [["Coffee & Tea", "Food", "Cafes"]]
    assert [s.name for s in m.sources if s.missing] == ["user"]
    assert any("yelp_academic_dataset_user.json" in w for w in m.warnings)


def test_manual_source_missing_says_where_to_get_it(tmp_path: Path) -> None:
    from recdata.errors import SourceError

    with pytest.raises(
        SourceError, match=r"must be downloaded by hand: accept the terms.*--raw-dir"
    ):
        build("yelp", out=tmp_path / "o", home=tmp_path / "home", raw_dir=tmp_path, features=False)
