"""Every events/impressions recipe built end to end from tiny files in the publisher's format.

The real files cannot be fetched here: each test writes a few rows exactly as the publisher
does (separators, header, quoting, units, archive folder layout) into a --raw-dir, drops the
recipe's checksums and expected statistics (they describe the real files), builds through the
CLI's library entry point, validates the folder and checks the mapped columns by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from raw_kit import offline_overrides, write_text

from recdata import schema as S
from recdata.cli import main
from recdata.dataset import Manifest
from recdata.recipe import resolve
from recdata.validation import validate


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)


def _build(name: str, raw: Path, tmp_path: Path) -> tuple[Path, Manifest]:
    out = tmp_path / "out"
    args = ["build", name, "-o", str(out), "--raw-dir", str(raw), "--no-features"]
    for item in offline_overrides(name):
        args += ["--set", item]
    code = main(args)
    assert code == 0, f"recdata build {name} exited {code}"
    report = validate(out)
    assert report.ok, report.violations
    return out, Manifest.read(out)


def _raw_ids(out: Path) -> pl.DataFrame:
    """Interactions with raw user and item ids joined back, in file (sequence) order."""
    inter = pl.read_parquet(out / "interactions.parquet")
    items = pl.read_parquet(out / "items.parquet").select(S.ITEM, S.ITEM_ID)
    users = pl.read_parquet(out / "users.parquet").select(S.USER, S.USER_ID)
    return inter.join(users, on=S.USER, maintain_order="left").join(
        items, on=S.ITEM, maintain_order="left"
    )


def _ms(text: str) -> int:
    import datetime as dt

    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


def test_retailrocket_events_csv(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_text(
        raw / "events.csv",
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n"
        "1433224214164,992329,view,248676,\n"
        "1433221999827,111016,view,318965,\n"
        "1433222000000,257597,addtocart,355908,\n"
        "1433223000000,257597,transaction,355908,4000\n"
        "1433224000000,257597,view,248676,\n"
        "1433225000000,257597,transaction,248676,4001\n"
        "1433226000000,257597,transaction,318965,4002\n",
    )
    out, manifest = _build("retailrocket", raw, tmp_path)
    got = _raw_ids(out)
    assert got.height == 8
    assert manifest.statistics["events"] == {
        "vocabulary": ["view", "cart", "order"],
        "counts": {"cart": 1, "order": 3, "view": 4},
    }
    visitor = got.filter(pl.col(S.USER_ID) == "257597")
    assert visitor["event"].to_list() == ["view", "cart", "order", "view", "order", "order"]
    assert visitor["transaction_id"].to_list() == [None, None, "4000", None, "4001", "4002"]
    assert visitor[S.TIME].dt.epoch("ms").to_list()[0] == 1433221332117
    # purchase: the visitor's last order is test, the one before valid, train = every event
    # before the valid order (the first order included)
    test = pl.read_parquet(out / "splits/purchase/test.parquet")
    valid = pl.read_parquet(out / "splits/purchase/valid.parquet")
    train = pl.read_parquet(out / "splits/purchase/train.parquet")
    v_rows = visitor[S.INTERACTION].to_list()
    assert test[S.INTERACTION].to_list() == [v_rows[5]]
    assert valid[S.INTERACTION].to_list() == [v_rows[4]]
    assert set(train[S.INTERACTION].to_list()) >= set(v_rows[:4])
    assert v_rows[4] not in train[S.INTERACTION].to_list()


def test_otto_jsonl_sessions(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    rows = [
        {
            "session": 0,
            "events": [
                {"aid": 1517085, "ts": 1659304800025, "type": "clicks"},
                {"aid": 1563459, "ts": 1659304904511, "type": "clicks"},
                {"aid": 1517085, "ts": 1659305000000, "type": "carts"},
                {"aid": 1517085, "ts": 1659306000000, "type": "orders"},
            ],
        },
        {"session": 1, "events": [{"aid": 424964, "ts": 1659304800073, "type": "carts"}]},
    ]
    write_text(
        raw / "train.jsonl", "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
    )
    out, manifest = _build("otto", raw, tmp_path)
    got = _raw_ids(out)
    assert got.height == 5
    s0 = got.filter(pl.col(S.USER_ID) == "0")
    assert s0[S.ITEM_ID].to_list() == ["1517085", "1563459", "1517085", "1517085"]
    assert s0["event"].to_list() == ["click", "click", "cart", "order"]
    assert s0[S.TIME].dt.epoch("ms").to_list() == [
        1659304800025,
        1659304904511,
        1659305000000,
        1659306000000,
    ]
    assert set(got[S.SESSION].to_list()) == {"0", "1"}
    assert manifest.statistics["sessions"]["users_are_sessions"] is True
    assert manifest.statistics["events"]["counts"] == {"cart": 2, "click": 2, "order": 1}


def test_tmall_user_log_mmdd_and_action_types(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_text(
        raw / "user_log_format1.csv",
        "user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type\n"
        "328862,323294,833,2882,2661,829,0\n"
        "328862,844400,1271,2882,2661,829,0\n"
        "328862,575153,1271,2882,2661,829,2\n"
        "234512,1055154,1429,4468,,1111,3\n"
        "234512,1055154,1429,4468,,511,1\n",
    )
    out, manifest = _build("tmall", raw, tmp_path)
    got = _raw_ids(out)
    u = got.filter(pl.col(S.USER_ID) == "234512")
    # sequence order sorts the May row first; the empty brand_id is null
    assert u[S.TIME].dt.date().cast(pl.String).to_list() == ["2014-05-11", "2014-11-11"]
    assert u["event"].to_list() == ["cart", "favourite"]
    assert u["brand_id"].to_list() == [None, None]
    v = got.filter(pl.col(S.USER_ID) == "328862")
    assert v["event"].to_list() == ["click", "click", "order"]
    assert v[S.TIME].dt.date().cast(pl.String).unique().to_list() == ["2014-08-29"]
    assert manifest.statistics["events"]["vocabulary"] == ["click", "cart", "order", "favourite"]


def _mind(raw: Path, folder: str, behaviors: str, news: str) -> None:
    write_text(raw / folder / "behaviors.tsv", behaviors)
    write_text(raw / folder / "news.tsv", news)


def test_mind_small_impressions_and_news(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    news = (
        "N55528\tlifestyle\tlifestyleroyals\tThe Brands Queen Elizabeth, Prince Charles, and "
        "Prince Philip Swear By\tShop the notebooks, jackets, and more that the royals can't "
        'live without.\thttps://assets.msn.com/labs/mind/AAGH0ET.html\t[{"Label": "Prince '
        'Philip", "Type": "P"}]\t[]\n'
        'N19639\thealth\tweightloss\t50 Worst Habits For Belly Fat\t"These seemingly harmless '
        'habits"\thttps://assets.msn.com/labs/mind/AAB19MK.html\t[]\t[]\n'
        "N61837\tnews\tnewsworld\tThe Cost of Trump's Aid Freeze\t\thttps://assets.msn.com/x.html\t[]\t[]\n"
        "N99999\tnews\tnewsus\tNever clicked\t\thttps://assets.msn.com/y.html\t[]\t[]\n"
    )
    _mind(
        raw,
        "MINDsmall_train",
        "1\tU13740\t11/11/2019 9:05:58 AM\tN55189 N42782\tN55528-1 N19639-0 N99999-0\n"
        "2\tU91836\t11/12/2019 6:11:30 PM\tN31739\tN19639-1 N61837-1 N55528-0\n",
        news,
    )
    _mind(
        raw,
        "MINDsmall_dev",
        "1\tU13740\t11/15/2019 8:55:22 AM\t\tN61837-1 N19639-0\n"
        "2\tU91836\t11/15/2019 1:00:00 PM\tN31739\tN55528-1\n",
        news,
    )
    out, manifest = _build("mind-small", raw, tmp_path)
    got = _raw_ids(out)
    items = pl.read_parquet(out / "items.parquet")
    idx = dict(zip(items[S.ITEM_ID].to_list(), items[S.ITEM].to_list(), strict=True))
    assert sorted(idx) == ["N19639", "N55528", "N61837"]  # N99999 was shown, never clicked
    u1 = got.filter(pl.col(S.USER_ID) == "U13740")
    assert u1[S.ITEM_ID].to_list() == ["N55528", "N61837"]
    assert u1[S.IMPRESSIONS].to_list() == [
        [idx["N55528"], idx["N19639"]],
        [idx["N61837"], idx["N19639"]],
    ]
    assert u1["news_history"].to_list() == [["N55189", "N42782"], None]
    assert u1[S.TIME].dt.strftime("%Y-%m-%d %H:%M:%S").to_list() == [
        "2019-11-11 09:05:58",
        "2019-11-15 08:55:22",
    ]
    u2 = got.filter(pl.col(S.USER_ID) == "U91836")
    assert u2[S.ITEM_ID].to_list() == ["N19639", "N61837", "N55528"]
    expected_shown = [idx["N19639"], idx["N61837"], idx["N55528"]]
    assert u2[S.IMPRESSIONS].to_list()[:2] == [expected_shown, expected_shown]
    assert manifest.statistics["impressions"] == {
        "policy": "drop_unindexed",
        "rows_with_impressions": 5,
        "shown": 12,
        "kept": 11,
        "dropped_unindexed": 1,
        "rows_clicked_missing": 0,
    }
    n55528 = items.filter(pl.col(S.ITEM_ID) == "N55528")
    assert n55528["title"].item().startswith("The Brands Queen Elizabeth")
    assert n55528["category"].item() == "lifestyle"
    assert json.loads(n55528["title_entities"].item())[0]["Label"] == "Prince Philip"
    # the impressions column is carried into the split files
    test = pl.read_parquet(out / "splits/temporal/test.parquet")
    assert S.IMPRESSIONS in test.columns


def _kuairec(raw: Path, size: str) -> None:
    # small_matrix.csv writes date as a float (20200705.0) and leaves time, date and timestamp
    # empty on the rows without one; big_matrix.csv has them on every row, date an integer
    if size == "small":
        rows = (
            "14,148,4381,6067,2020-07-05 05:27:48.378,20200705.0,1593898068.378,0.7221031811438932\n"
            "14,183,11635,6100,2020-07-05 05:28:00.057,20200705.0,1593898080.057,1.907377049180328\n"
            "19,148,0,6067,,,,0.0\n"
        )
    else:
        rows = (
            "14,148,4381,6067,2020-07-05 05:27:48.378,20200705,1593898068.378,0.7221031811438932\n"
            "14,183,11635,6100,2020-07-05 05:28:00.057,20200705,1593898080.057,1.907377049180328\n"
            "19,148,2000,6067,2020-07-06 01:00:25.5,20200706,1593997225.5,0.3296523\n"
        )
    write_text(
        raw / "KuaiRec 2.0" / "data" / f"{size}_matrix.csv",
        "user_id,video_id,play_duration,video_duration,time,date,timestamp,watch_ratio\n" + rows,
    )


def test_kuairec_small_and_big(tmp_path: Path) -> None:
    for size in ("small", "big"):
        raw = tmp_path / size / "raw"
        _kuairec(raw, size)
        out, _ = _build(f"kuairec-{size}", raw, tmp_path / size)
        got = _raw_ids(out)
        assert got.height == 3
        u14 = got.filter(pl.col(S.USER_ID) == "14")
        assert u14[S.TIME].dt.epoch("ms").to_list() == [1593898068000, 1593898080000]
        assert u14["watch_ratio"].to_list() == [0.7221031811438932, 1.907377049180328]
        u19 = got.filter(pl.col(S.USER_ID) == "19")[S.TIME]
        if size == "small":
            assert u19.to_list() == [None]
        else:
            assert u19.dt.epoch("ms").to_list() == [1593997225000]


def test_kuairand_exposures_become_impressions(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    header = (
        "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,"
        "is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,"
        "comment_stay_time,is_profile_enter,is_rand,tab\n"
    )
    data = raw / "KuaiRand-1K" / "data"
    write_text(
        data / "log_standard_4_08_to_4_21_1k.csv",
        header
        + "0,3219,20220408,1600,1649405042264,1,0,0,0,0,0,1,13000,10867,0,0,0,0,1\n"
        + "0,6110,20220408,1600,1649405043100,0,0,0,0,0,0,0,0,6000,0,0,0,0,1\n"
        + "0,3219,20220408,1700,1649409000000,0,0,0,0,0,0,0,0,10867,0,0,0,0,1\n"
        + "0,8801,20220408,1700,1649409001000,1,1,0,0,0,0,1,9000,9000,0,0,0,0,1\n",
    )
    write_text(
        data / "log_standard_4_22_to_5_08_1k.csv",
        header + "1,6110,20220422,1000,1650592800000,1,0,0,0,0,0,1,6000,6000,0,0,0,0,1\n",
    )
    write_text(
        data / "log_random_4_22_to_5_08_1k.csv",
        header + "1,3219,20220422,1000,1650592801000,0,0,0,0,0,0,0,0,10867,0,0,0,1,1\n",
    )
    out, manifest = _build("kuairand-1k", raw, tmp_path)
    got = _raw_ids(out)
    items = pl.read_parquet(out / "items.parquet")
    idx = dict(zip(items[S.ITEM_ID].to_list(), items[S.ITEM].to_list(), strict=True))
    assert got[S.ITEM_ID].to_list() == ["3219", "8801", "6110"]  # the clicked rows only
    # hour 16 showed 3219 and 6110; hour 17 showed 3219 and 8801; user 1's hour showed 6110 and
    # (randomly) 3219
    assert got[S.IMPRESSIONS].to_list() == [
        [idx["3219"], idx["6110"]],
        [idx["3219"], idx["8801"]],
        [idx["6110"], idx["3219"]],
    ]
    assert got["is_like"].to_list() == [0, 1, 0]
    assert manifest.statistics["impressions"]["dropped_unindexed"] == 0


def _yambda_parquet(path: Path) -> None:
    day = 86_400
    t_test, gap = 25_913_600, 1_800
    rows = {
        "uid": [10, 10, 10, 10, 10, 20, 20],
        "timestamp": [
            100,  # train
            t_test - day - 2 * gap - 5,  # train (just before t1 - gap)
            t_test - day - 2 * gap + 5,  # in the first gap: dropped
            t_test - day - gap + 100,  # valid
            t_test + 10,  # test
            t_test - gap + 5,  # second gap: dropped
            t_test + 20,  # test, but user 20 has no train row: dropped
        ],
        "item_id": [5, 6, 7, 8, 9, 5, 6],
        "is_organic": [1, 0, 1, 1, 0, 1, 1],
        "played_ratio_pct": [100, None, 50, 80, 12, None, 99],
        "track_length_seconds": [200, None, 180, 240, 210, None, 200],
        "event_type": ["listen", "like", "listen", "listen", "listen", "dislike", "listen"],
    }
    table = pa.table(
        {
            "uid": pa.array(rows["uid"], pa.uint32()),
            "timestamp": pa.array(rows["timestamp"], pa.uint32()),
            "item_id": pa.array(rows["item_id"], pa.uint32()),
            "is_organic": pa.array(rows["is_organic"], pa.uint8()),
            "played_ratio_pct": pa.array(rows["played_ratio_pct"], pa.uint16()),
            "track_length_seconds": pa.array(rows["track_length_seconds"], pa.uint32()),
            "event_type": pa.array(rows["event_type"]).dictionary_encode(),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_yambda_flat_parquet_and_benchmark_split(tmp_path: Path) -> None:
    for size in ("50m", "500m", "5b"):
        raw = tmp_path / size / "raw"
        _yambda_parquet(raw / "multi_event.parquet")
        out, manifest = _build(f"yambda-{size}", raw, tmp_path / size)
        got = _raw_ids(out)
        assert got.height == 7
        assert got["event"].to_list()[:2] == ["listen", "like"]
        assert got["is_organic"].to_list()[:2] == [True, False]
        assert got[S.TIME].dt.epoch("ms").to_list()[0] == 100_000
        parts = {
            p: pl.read_parquet(out / f"splits/temporal/{p}.parquet")
            .join(got.select(S.INTERACTION, S.ITEM_ID), on=S.INTERACTION)[S.ITEM_ID]
            .to_list()
            for p in ("train", "valid", "test")
        }
        assert parts == {"train": ["5", "6"], "valid": ["8"], "test": ["9"]}
        report = manifest.splits["temporal"].report
        assert report["dropped"]["gap"] == 2
        assert report["dropped"]["test_unseen_users"] == 1


def test_microlens_pairs_and_titles(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_text(
        raw / "MicroLens-100k_pairs.csv",
        "user,item,timestamp\n1,10924,1583314166000\n1,5473,1583314172000\n2,10924,1590000000000\n",
    )
    # the title file has no header and unquoted commas inside titles; a title may be empty
    write_text(
        raw / "MicroLens-100k_title_en.csv",
        '10924,Spring, in the park, with "friends"\n5473,Cat video\n777,\n',
    )
    out, _ = _build("microlens-100k", raw, tmp_path)
    got = _raw_ids(out)
    assert got.filter(pl.col(S.USER_ID) == "1")[S.ITEM_ID].to_list() == ["10924", "5473"]
    assert got[S.TIME].dt.epoch("ms").to_list()[0] == 1583314166000
    items = pl.read_parquet(out / "items.parquet")
    titles = dict(zip(items[S.ITEM_ID].to_list(), items["title"].to_list(), strict=True))
    assert titles["5473"] == "Cat video"
    assert titles["10924"] == 'Spring, in the park, with "friends"'
    assert titles.get("777") is None


def test_yambda_50m_from_a_local_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipe's pinned Hugging Face file (repo, revision, path) served by a 127.0.0.1 Hub."""
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pytest.importorskip("huggingface_hub")
    spec = resolve("yambda-50m").sources[0].hf
    assert spec is not None
    _yambda_parquet(tmp_path / "multi_event.parquet")
    body = (tmp_path / "multi_event.parquet").read_bytes()
    wanted = f"/datasets/{spec.repo_id}/resolve/{spec.revision}/{spec.filename}"
    seen: list[str] = []

    class Hub(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _answer(self, with_body: bool) -> None:
            seen.append(self.path)
            if self.path != wanted:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("X-Repo-Commit", spec.revision)
            self.send_header("ETag", '"' + hashlib.sha256(body).hexdigest() + '"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(True)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    try:
        out = tmp_path / "out"
        code = main(
            ["build", "yambda-50m", "-o", str(out), "--no-features", "--set", "expected={}"]
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert code == 0
    assert wanted in seen
    assert validate(out).ok
    manifest = Manifest.read(out)
    assert (
        manifest.sources[0].url
        == f"hf://datasets/yandex/yambda@{spec.revision}/flat/50m/multi_event.parquet"
    )
    assert manifest.statistics["events"]["counts"] == {"dislike": 1, "like": 1, "listen": 5}
