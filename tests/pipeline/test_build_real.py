"""Real data end to end (skipped without ../shared/datasets): Amazon 2018 from a local HTTP
mirror, MovieLens-100K from --raw-dir; validate passes, builds are byte-identical, tampering
is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from recdata import schema as S
from recdata.dataset import Manifest
from recdata.errors import ChecksumMismatch
from recdata.pipeline import build
from recdata.validation import validate

pytestmark = pytest.mark.shared

GIFT = "amazon2018-gift-cards-5core"
BEAUTY = "amazon2018-all-beauty-5core"


def _stage(manifest: Manifest, name: str) -> tuple[int, int, int]:
    c = manifest.statistics["stages"][name]
    return c["users"], c["items"], c["interactions"]


@pytest.fixture
def amazon_mirror(shared_datasets: Path, mirror_dir: Path, mirror_url: str) -> str:
    for name in ("Gift_Cards_5.json.gz", "All_Beauty_5.json.gz", "meta_Gift_Cards.json.gz"):
        shutil.copyfile(shared_datasets / "amazon-2018" / name, mirror_dir / name)
    return mirror_url


def test_gift_cards_from_mirror(
    amazon_mirror: str, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder_bytes
) -> None:  # noqa: ANN001
    monkeypatch.setenv("RECDATA_MIRROR", amazon_mirror)
    out = build(GIFT, out=tmp_path / "gift", features=False)
    report = validate(out)
    assert report.ok, report.violations
    m = Manifest.read(out)
    assert _stage(m, "raw") == (458, 148, 2972)
    assert _stage(m, "final") == (458, 148, 2965)  # 7 repeated (user, item) pairs dropped
    assert m.steps[0].name == "dedup" and m.steps[0].rows_before == 2972
    assert {s.name: s.sha256 for s in m.sources} == {
        "reviews": "41e1f0e50d3c1c9d7d949fb6315944c8bde51ea6b7429a29fdd0d02cbc07ef25",
        "meta": "24ac90af3eb47d9c04458a61a44a76a882419190e027c6ec14ee0a993549c34a",
    }
    assert m.sources[0].url.startswith("http://deepyeti.ucsd.edu/")  # canonical URL, not the mirror
    assert not m.warnings
    items = pl.read_parquet(out / "items.parquet")
    assert items.height == 148
    assert items["title"].null_count() == 0  # metadata joined into every item
    assert items.schema["categories"] == pl.List(pl.String)
    assert items.schema["price"] == pl.Float64
    assert items["image_urls"].list.len().max() >= 1
    # a second build (from the cache this time) is byte-identical
    again = build(GIFT, out=tmp_path / "gift2", features=False)
    assert folder_bytes(out) == folder_bytes(again)
    # with graphs (text embeddings off to keep the test fast)
    with_graphs = build(GIFT, out=tmp_path / "gift3", overrides=["features.text=null"])
    assert validate(with_graphs).ok
    assert "graphs/item_item.parquet" in Manifest.read(with_graphs).files


def test_all_beauty_without_its_metadata(amazon_mirror: str, home: Path, tmp_path: Path) -> None:
    # keep the missing metadata's fallback URL on 127.0.0.1 too: no test touches the internet
    offline = [f"sources.meta.urls=[{amazon_mirror}/not-here/meta_All_Beauty.json.gz]"]
    out = build(
        BEAUTY, out=tmp_path / "beauty", mirror=amazon_mirror, overrides=offline, features=False
    )
    assert validate(out).ok
    m = Manifest.read(out)
    assert _stage(m, "raw") == (991, 85, 5269)
    assert _stage(m, "final") == (991, 85, 4092)
    assert [s.name for s in m.sources if s.missing] == ["meta"]
    assert any("meta_All_Beauty.json.gz" in w and "missing" in w for w in m.warnings)
    items = pl.read_parquet(out / "items.parquet")
    assert items.columns == [S.ITEM, S.ITEM_ID] and items.height == 85


def test_tampered_source_is_refused(
    amazon_mirror: str, mirror_dir: Path, home: Path, tmp_path: Path
) -> None:
    data = bytearray((mirror_dir / "Gift_Cards_5.json.gz").read_bytes())
    data[-20] ^= 0xFF
    (mirror_dir / "Gift_Cards_5.json.gz").write_bytes(bytes(data))
    # the canonical URLs cannot be reached either way; keep them on 127.0.0.1
    offline = [f"sources.reviews.urls=[{amazon_mirror}/canonical/Gift_Cards_5.json.gz]"]
    with pytest.raises(ChecksumMismatch):
        build(GIFT, out=tmp_path / "bad", mirror=amazon_mirror, overrides=offline, features=False)
    assert not (tmp_path / "bad").exists()


def test_ml100k_from_raw_dir(
    shared_datasets: Path, home: Path, tmp_path: Path, folder_bytes
) -> None:  # noqa: ANN001
    raw = shared_datasets / "ml-100k"
    out = build("ml-100k", out=tmp_path / "ml", raw_dir=raw, features=False)
    assert validate(out).ok
    m = Manifest.read(out)
    assert _stage(m, "raw") == (943, 1682, 100000)
    assert m.sources[0].url == "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
    items = pl.read_parquet(out / "items.parquet")
    star_wars = items.filter(pl.col(S.ITEM_ID) == "50").row(0, named=True)
    assert star_wars["title"] == "Star Wars (1977)" and star_wars["year"] == 1977
    assert star_wars["categories"] == ["Action", "Adventure", "Romance", "Sci-Fi", "War"]
    assert items.filter(pl.col(S.ITEM_ID) == "543")["title"].item() == "Misérables, Les (1995)"
    users = pl.read_parquet(out / "users.parquet")
    assert users.columns == [S.USER, S.USER_ID, "age", "gender", "occupation", "zip_code"]
    assert users.row(0) == (1, "1", 24, "M", "technician", "85711")
    # numeric raw ids in raw-id order: user_idx == user id
    assert (users[S.USER_ID].cast(pl.Int32) == users[S.USER]).all()
    again = build("ml-100k", out=tmp_path / "ml2", raw_dir=raw, features=False)
    assert folder_bytes(out) == folder_bytes(again)


def test_ml100k_tampered_member_is_refused(
    shared_datasets: Path, home: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw" / "ml-100k"
    raw.mkdir(parents=True)
    for name in ("u.data", "u.item", "u.user"):
        shutil.copyfile(shared_datasets / "ml-100k" / name, raw / name)
    with open(raw / "u.data", "ab") as handle:
        handle.write(b"1\t1\t5\t881250949\n")
    with pytest.raises(ChecksumMismatch, match="u.data"):
        build("ml-100k", out=tmp_path / "bad", raw_dir=raw.parent, features=False)


def test_lastfm_from_raw_dir_with_social_graph(
    shared_datasets: Path, home: Path, tmp_path: Path
) -> None:
    out = build(
        "lastfm-hetrec2011",
        out=tmp_path / "lf",
        raw_dir=shared_datasets / "lastfm-hetrec2011",
        features=False,
    )
    assert validate(out).ok
    m = Manifest.read(out)
    assert _stage(m, "final") == (1892, 17632, 92834)
    assert m.graphs["graphs/social.parquet"].stats["edges"] == 25434
    inter = pl.read_parquet(out / "interactions.parquet")
    assert inter[S.TIME].null_count() == inter.height and inter["plays"].sum() > 0
    items = pl.read_parquet(out / "items.parquet")
    assert items.filter(pl.col(S.ITEM_ID) == "1")["title"].item() == "MALICE MIZER"
    tags = items.filter(pl.col(S.ITEM_ID) == "1")["tags"].item().to_list()
    assert "j-rock" in tags and "visual kei" in tags  # tag ids translated through tags.dat
    assert items["tags"].list.len().max() > 10
    assert m.splits["random"].protocol == "ratio"


def test_steam_games_metadata(shared_datasets: Path, home: Path, tmp_path: Path) -> None:
    import gzip
    import re

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copyfile(shared_datasets / "steam" / "steam_games.json.gz", raw / "steam_games.json.gz")
    text = gzip.decompress((raw / "steam_games.json.gz").read_bytes()).decode()
    games = list(dict.fromkeys(re.findall(r"u'id': u'(\d+)'", text)))
    lines = [
        repr(
            {
                "username": f"user{k % 7}",
                "hours": 1.5,
                "product_id": games[k % 11],
                "page_order": 0,
                "date": f"2017-0{1 + k % 9}-1{k % 10}",
                "text": 'it\'s "fine"',
                "early_access": False,
                "page": 1,
            }
        )
        for k in range(60)
    ]
    (raw / "steam_reviews.json.gz").write_bytes(
        gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    )
    offline = [
        "sources.reviews.urls=[]",
        "sources.reviews.manual=a test file",
        "sources.reviews.filename=steam_reviews.json.gz",
        "steps=[{dedup: {keep: first}}]",
    ]
    out = build("steam", out=tmp_path / "steam", raw_dir=raw, overrides=offline, features=False)
    assert validate(out).ok
    m = Manifest.read(out)
    assert {s.name: s.sha256 for s in m.sources}["games"] == (
        "717f4653a26585fec8f463f59311a654127c2ed66b07b9f78b4c0ce64961c740"
    )
    items = pl.read_parquet(out / "items.parquet")
    assert items.height == 11 and items["title"].null_count() == 0
    assert items.schema["categories"] == pl.List(pl.String) and items.schema["price"] == pl.Float64
    inter = pl.read_parquet(out / "interactions.parquet")
    assert inter["review_text"].unique().to_list() == ['it\'s "fine"']
