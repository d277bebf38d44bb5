"""Session recipes end to end: diginetica, yoochoose and their SR-GNN aliases built from files
in the publishers' exact formats, exported with --to srgnn and compared with the output of
SR-GNN's own datasets/preprocess.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from recdata.cli import main
from recdata.dataset import Manifest
from recdata.errors import ChecksumMismatch, SourceError
from recdata.exporters import export
from recdata.pipeline import build
from recdata.validation import validate

# yoochoose-clicks.dat as published: no header, comma-separated, ISO times with milliseconds
YOOCHOOSE_CLICKS = """\
1,2014-04-01T10:00:00.000Z,214000001,0
1,2014-04-01T10:01:00.000Z,214000002,0
1,2014-04-01T10:02:00.000Z,214000003,0
2,2014-04-01T09:00:00.000Z,214000001,S
2,2014-04-01T09:05:00.000Z,214000002,S
3,2014-04-01T11:00:00.000Z,214000001,0
4,2014-04-02T08:00:00.000Z,214000003,1
4,2014-04-02T08:01:00.000Z,214000004,1
4,2014-04-02T08:02:00.000Z,214000004,1
4,2014-04-02T08:03:00.000Z,214000009,1
5,2014-04-02T07:59:00.000Z,214000002,0
5,2014-04-02T08:03:00.000Z,214000001,0
6,2014-04-02T12:10:00.000Z,214000004,0
6,2014-04-02T12:00:00.000Z,214000001,0
6,2014-04-02T12:05:00.000Z,214000002,0
7,2014-04-02T13:00:00.000Z,214000009,0
7,2014-04-02T13:01:00.000Z,214000009,0
8,2014-04-02T14:00:00.000Z,214000001,0
8,2014-04-02T14:01:00.000Z,214000009,0
9,2014-04-03T10:00:00.000Z,214000001,0
9,2014-04-03T10:01:00.000Z,214000003,0
10,2014-04-03T09:00:00.000Z,214000002,0
10,2014-04-03T09:01:00.000Z,214000003,0
9,2014-04-03T10:02:00.000Z,214000004,0
16,2014-04-04T09:00:00.000Z,214000001,2053
16,2014-04-04T09:01:00.000Z,214000002,2053
16,2014-04-04T09:02:00.000Z,214000003,2053
16,2014-04-04T09:03:00.000Z,214000004,2053
16,2014-04-04T09:04:00.000Z,214000001,2053
11,2014-04-04T11:59:00.000Z,214000001,0
11,2014-04-04T12:00:00.400Z,214000002,0
13,2014-04-04T20:00:00.000Z,214000777,0
13,2014-04-04T20:01:00.000Z,214000003,0
14,2014-04-05T01:00:00.000Z,214000777,0
14,2014-04-05T01:01:00.000Z,214000777,0
14,2014-04-05T01:02:00.000Z,214000777,0
14,2014-04-05T01:03:00.000Z,214000004,0
14,2014-04-05T01:04:00.000Z,214000001,0
12,2014-04-05T12:00:00.000Z,214000001,0
12,2014-04-05T12:00:00.500Z,214000777,0
12,2014-04-05T12:00:00.900Z,214000002,0
"""

# train-item-views.csv as published: ';'-separated, the publisher's header, userId mostly NA
DIGINETICA_VIEWS = """\
sessionId;userId;itemId;timeframe;eventdate
1;NA;701;300;2016-03-20
1;NA;702;100;2016-03-20
1;NA;703;200;2016-03-20
2;NA;701;50;2016-03-21
2;NA;704;10;2016-03-21
3;5;702;10;2016-03-22
3;5;799;20;2016-03-22
4;NA;703;10;2016-03-23
4;NA;704;20;2016-03-23
5;NA;701;10;2016-03-24
5;NA;702;10;2016-03-24
6;NA;704;900;2016-03-19
6;NA;701;100;2016-03-18
7;NA;703;5;2016-03-30
7;NA;702;6;2016-03-30
8;NA;701;1;2016-03-17
8;NA;702;2;2016-03-17
8;NA;703;3;2016-03-17
8;NA;704;4;2016-03-17
9;NA;799;1;2016-03-25
9;NA;799;2;2016-03-25
10;NA;701;1;2016-03-26
11;NA;703;1;2016-03-16
11;NA;704;2;2016-03-16
"""

# What SR-GNN's datasets/preprocess.py (CRIPAC-DIG/SR-GNN; the file as stored at a58c6c6, the
# same script the e21cfa4 sample ships with) wrote for the two files above, run once with
# Python 3.11 under TZ=UTC (and TZ=Europe/Berlin where said); the Yoochoose file was given the
# header line `session_id,timestamp,item_id,category` the script needs, the Diginetica one
# SR-GNN's `session_id;user_id;item_id;timeframe;eventdate`. (prefix, target) pairs:
YC_TEST = [([4], 1), ([1], 2)]
YC_1_4_TRAIN = [([1, 2, 3], 4), ([1, 2], 3), ([1], 2)]
YC_1_64_TRAIN = [
    ([1], 2), ([1, 2], 3), ([1], 2), ([3, 4], 4), ([3], 4), ([2], 1), ([4, 1], 2), ([4], 1),
    ([2], 3), ([1, 3], 4), ([1], 3), ([1, 2, 3, 4], 1), ([1, 2, 3], 4), ([1, 2], 3), ([1], 2),
]  # fmt: skip
YC_1_64_ALL_TRAIN_SEQ = [
    [1, 2],
    [1, 2, 3],
    [3, 4, 4],
    [2, 1],
    [4, 1, 2],
    [2, 3],
    [1, 3, 4],
    [1, 2, 3, 4, 1],
]
YC_1_4_ALL_TRAIN_SEQ = [[1, 2, 3, 4, 1]]  # the script writes the boundary session whole
DG_TRAIN = [
    ([1], 2),
    ([3, 4, 1], 2),
    ([3, 4], 1),
    ([3], 4),
    ([3], 2),
    ([4, 1], 3),
    ([4], 1),
    ([2], 3),
]
DG_TEST_UTC = [([3], 4), ([1], 4)]
DG_TEST_BERLIN = [([1], 2), ([3], 4), ([1], 4)]
DG_ALL_TRAIN_SEQ = [[1, 2], [3, 4, 1, 2], [3, 2], [4, 1, 3], [2, 3]]

# The same script on ../shared/datasets/diginetica-srgnn-sample (TZ=UTC; the sample's dates do
# not straddle a DST change, so any zone gives these): sha256 of its pairs written one per line
# as "prefix<TAB>target\n" (prefix space-separated), and of all_train_seq one session per line.
SAMPLE_TRAIN = (1205, "f9134edfd8f2a9bfa8e2ab358ed1d29a2a84438ab304073c698b2548b0a4783e")
SAMPLE_TEST = (99, "6ea1508bfad58eeb2cbd7c5911c77168fc84b23b4cf1d96cfde38cd6c9ab4277")
SAMPLE_ALL_TRAIN_SEQ = (469, "ea4721eedc68cf379a9d285a11d5e77e4c6b1832604da81f8c24c4daf7bc1a8f")
SAMPLE_N_NODE = 310  # the script's item_ctr; SR-GNN's main.py hard-codes 310 for the sample


def _pairs(path: Path) -> list[tuple[list[int], int]]:
    out = []
    for line in path.read_text().splitlines():
        prefix, target = line.split("\t")
        out.append(([int(v) for v in prefix.split(" ")], int(target)))
    return out


def _seqs(path: Path) -> list[list[int]]:
    return [[int(v) for v in line.split(" ")] for line in path.read_text().splitlines()]


def _raw(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def _export(folder: Path, out: Path, **options: object) -> Path:
    return export(folder, to="srgnn", out=out, **options)


@pytest.mark.parametrize(
    ("alias", "train", "all_train"),
    [
        ("yoochoose-1-4-srgnn", YC_1_4_TRAIN, [[1, 2, 3, 4]]),
        ("yoochoose-1-64-srgnn", YC_1_64_TRAIN, YC_1_64_ALL_TRAIN_SEQ),
    ],
)
def test_yoochoose_fractions_give_the_scripts_pairs(
    alias: str, train: list, all_train: list, tmp_path: Path, home: Path
) -> None:
    raw = _raw(tmp_path, "yoochoose-clicks.dat", YOOCHOOSE_CLICKS)
    folder = build(alias, out=tmp_path / "ds", raw_dir=raw, features=False)
    assert validate(folder).ok
    out = _export(folder, tmp_path / "x")
    assert _pairs(out / "train.txt") == train
    assert _pairs(out / "test.txt") == YC_TEST
    # all_train_seq: the 1/4 boundary session is the part train keeps (the script writes it
    # whole, YC_1_4_ALL_TRAIN_SEQ); for 1/64 (floor(15 / 64) = 0: the script's [-0:]) all of it
    assert _seqs(out / "all_train_seq.txt") == all_train
    if alias.endswith("1-4-srgnn"):
        assert YC_1_4_ALL_TRAIN_SEQ[0][: len(all_train[0])] == all_train[0]
    record = json.loads((out / "recdata-export.json").read_text())
    assert record["n_node"] == 5  # items numbered over the whole train, as the script does
    report = Manifest.read(folder).splits[next(iter(Manifest.read(folder).splits))].report
    assert report["counts"]["train_pairs_before_fraction"] == 15


@pytest.mark.parametrize(("tz", "test"), [("UTC", DG_TEST_UTC), ("Europe/Berlin", DG_TEST_BERLIN)])
def test_diginetica_publisher_file_gives_the_scripts_pairs(
    tz: str, test: list, tmp_path: Path, home: Path
) -> None:
    raw = _raw(tmp_path, "train-item-views.csv", DIGINETICA_VIEWS)
    folder = build(
        "diginetica-srgnn",
        out=tmp_path / "ds",
        raw_dir=raw,
        features=False,
        overrides=[f"steps.srgnn.timezone={tz}", "check_stats=false"],
    )
    out = _export(folder, tmp_path / "x")
    assert _pairs(out / "train.txt") == DG_TRAIN
    assert _pairs(out / "test.txt") == test
    assert _seqs(out / "all_train_seq.txt") == DG_ALL_TRAIN_SEQ
    whole = _export(folder, tmp_path / "w", augment=False)
    assert _pairs(whole / "train.txt") == [
        ([1], 2),
        ([3, 4, 1], 2),
        ([3], 2),
        ([4, 1], 3),
        ([2], 3),
    ]


def test_diginetica_srgnn_refuses_the_full_files_statistics_on_other_bytes(
    tmp_path: Path, home: Path
) -> None:
    from recdata.errors import StatsMismatch

    raw = _raw(tmp_path, "train-item-views.csv", DIGINETICA_VIEWS)
    with pytest.raises(StatsMismatch, match="43,097"):
        build("diginetica-srgnn", out=tmp_path / "ds", raw_dir=raw, features=False)


def _sha(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return data.count(b"\n"), hashlib.sha256(data).hexdigest()


@pytest.mark.shared
def test_shared_sample_gives_exactly_the_scripts_output(
    shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:  # noqa: ANN001
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    sample = shared_datasets / "diginetica-srgnn-sample"
    folder = tmp_path / "dg"
    code = main(["build", "diginetica-srgnn", "--raw-dir", str(sample), "-o", str(folder)])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "variant" in err  # the full file's statistics were not checked
    code = main(["export", str(folder), "--to", "srgnn", "-o", str(tmp_path / "x")])
    assert code == 0
    out = tmp_path / "x"
    assert _sha(out / "train.txt") == SAMPLE_TRAIN
    assert _sha(out / "test.txt") == SAMPLE_TEST
    assert _sha(out / "all_train_seq.txt") == SAMPLE_ALL_TRAIN_SEQ
    assert json.loads((out / "recdata-export.json").read_text())["n_node"] == SAMPLE_N_NODE
    m = Manifest.read(folder)
    assert m.sources[0].url == "manual:sample_train-item-views.csv"
    assert m.sources[0].sha256 == "98da96e05c87ef12b739e4bfd9bc7b4864106ee77371f1db9eb4413e3f78d37e"
    details = m.steps[0].details
    assert (details["train_sessions"], details["test_sessions"]) == (469, 39)
    assert details["split_day_sessions"] == 9  # sessions dated 2016-05-25: in neither part
    assert m.statistics["sessions"]["users_are_sessions"] is True
    assert validate(folder).ok
    # --no-augment: one line per session
    assert (
        main(["export", str(folder), "--to", "srgnn", "-o", str(tmp_path / "w"), "--no-augment"])
        == 0
    )
    assert (tmp_path / "w" / "train.txt").read_text().count("\n") == 469


@pytest.mark.shared
def test_shared_sample_rebuilds_byte_identical_and_a_changed_variant_is_refused(
    shared_datasets: Path, tmp_path: Path, home: Path, folder_bytes
) -> None:  # noqa: ANN001
    sample = shared_datasets / "diginetica-srgnn-sample"
    a = build("diginetica-srgnn", out=tmp_path / "a", raw_dir=sample, features=False)
    b = build("diginetica-srgnn", out=tmp_path / "b", raw_dir=sample, features=False)
    assert folder_bytes(a) == folder_bytes(b)
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (sample / "sample_train-item-views.csv").read_text()
    (bad / "sample_train-item-views.csv").write_text(text + "\n")
    with pytest.raises(ChecksumMismatch):
        build("diginetica-srgnn", out=tmp_path / "c", raw_dir=bad, features=False)


def test_a_missing_file_names_the_variant(tmp_path: Path, home: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="sample_train-item-views.csv"):
        build("diginetica-srgnn", out=tmp_path / "ds", raw_dir=empty, features=False)


def test_raw_diginetica_keeps_every_view_with_typed_session_ids(tmp_path: Path, home: Path) -> None:
    raw = _raw(tmp_path, "train-item-views.csv", DIGINETICA_VIEWS)
    folder = build("diginetica", out=tmp_path / "ds", raw_dir=raw, features=False)
    assert validate(folder).ok
    inter = pl.read_parquet(folder / "interactions.parquet")
    assert inter.height == 24 and inter.schema["session_id"] == pl.String
    assert inter.schema["timeframe"] == pl.Int64
    users = pl.read_parquet(folder / "users.parquet")
    assert sorted(users["user_id"].to_list(), key=int) == [str(i) for i in range(1, 12)]
    joined = inter.join(users, on="user_idx")
    assert (joined["user_id"] == joined["session_id"]).all()  # each session is its own user
    assert inter["customer_id"].drop_nulls().to_list() == ["5", "5"]
    m = Manifest.read(folder)
    assert m.statistics["sessions"] == {
        "sessions": 11,
        "mean_length": round(24 / 11, 6),
        "users_are_sessions": True,
    }
    report = m.splits["temporal"].report
    assert report["protocol"] == "temporal_sessions"
    # a session's rows are never split between parts
    parts = {
        p: set(pl.read_parquet(folder / f"splits/temporal/{p}.parquet")["session_id"])
        for p in ("train", "valid", "test")
    }
    assert not (parts["train"] & parts["valid"]) and not (parts["train"] & parts["test"])


def test_raw_yoochoose_reads_the_headerless_publisher_file(tmp_path: Path, home: Path) -> None:
    raw = _raw(tmp_path, "yoochoose-clicks.dat", YOOCHOOSE_CLICKS)
    folder = build("yoochoose", out=tmp_path / "ds", raw_dir=raw, features=False)
    assert validate(folder).ok
    inter = pl.read_parquet(folder / "interactions.parquet")
    assert inter.height == YOOCHOOSE_CLICKS.count("\n")
    assert sorted(set(inter["category"])) == ["0", "1", "2053", "S"]
    first = inter.filter(pl.col("session_id") == "11").sort("interaction_idx")
    assert first["timestamp"].dt.epoch("ms").to_list() == [1396612740000, 1396612800400]


def test_session_folders_export_to_recbole_and_hf_with_session_ids(
    tmp_path: Path, home: Path
) -> None:
    raw = _raw(tmp_path, "yoochoose-clicks.dat", YOOCHOOSE_CLICKS)
    folder = build("yoochoose-1-64-srgnn", out=tmp_path / "ds", raw_dir=raw, features=False)
    rb = export(folder, to="recbole", out=tmp_path / "rb")
    header = (rb / "yoochoose-1-64-srgnn.inter").read_text().splitlines()[0]
    assert header.split("\t")[0] == "session_id:token"
    assert "USER_ID_FIELD: session_id" in (rb / "yoochoose-1-64-srgnn.yaml").read_text()
    assert not (rb / "yoochoose-1-64-srgnn.user").exists()
    pytest.importorskip("datasets")
    from recdata.exporters import to_hf

    hf = to_hf(folder)
    assert hf["test"]["session_id"] == ["14", "14", "12", "12"]
