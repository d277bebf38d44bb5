"""The impressions sampler on a folder built by the mind-small recipe from tiny MIND-format files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from raw_kit import offline_overrides, write_text

import recdata
from recdata import schema as S
from recdata.cli import main

NEWS = (
    "N55528\tlifestyle\tlifestyleroyals\tRoyals\tabstract\thttps://x.test/a.html\t[]\t[]\n"
    "N19639\thealth\tweightloss\tHabits\tabstract\thttps://x.test/b.html\t[]\t[]\n"
    "N61837\tnews\tnewsworld\tAid\t\thttps://x.test/c.html\t[]\t[]\n"
)


def test_mind_impressions_give_the_shown_unclicked_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    raw = tmp_path / "raw"
    write_text(
        raw / "MINDsmall_train" / "behaviors.tsv",
        "1\tU13740\t11/11/2019 9:05:58 AM\tN55189\tN55528-1 N19639-0\n"
        "2\tU91836\t11/12/2019 6:11:30 PM\tN31739\tN19639-1 N61837-1 N55528-0\n",
    )
    write_text(raw / "MINDsmall_train" / "news.tsv", NEWS)
    write_text(
        raw / "MINDsmall_dev" / "behaviors.tsv",
        "1\tU13740\t11/15/2019 8:55:22 AM\t\tN61837-1 N19639-0 N55528-0\n"
        "2\tU91836\t11/15/2019 1:00:00 PM\tN31739\tN55528-1\n",
    )
    write_text(raw / "MINDsmall_dev" / "news.tsv", NEWS)
    out = tmp_path / "mind"
    args = ["build", "mind-small", "-o", str(out), "--raw-dir", str(raw), "--no-features"]
    for item in offline_overrides("mind-small"):
        args += ["--set", item]
    assert main(args) == 0
    recdata.add_candidates(out, sampler="impressions", n=4)
    ds = recdata.load(out)
    idx = dict(ds.items.collect().select(S.ITEM_ID, S.ITEM).iter_rows())
    rows = {}
    for part in ("valid", "test"):
        frame = ds.split().candidates(part).collect()
        users = dict(ds.users.collect().select(S.USER, S.USER_ID).iter_rows())
        for row in frame.iter_rows(named=True):
            rows[(part, users[row[S.USER]])] = (row[S.ITEM], row[S.NEGATIVES])
    # U13740 at 8:55 on the 15th (valid): clicked N61837; N19639 shown, not clicked; N55528
    # shown but clicked by the user on the 11th (excluded)
    assert rows[("valid", "U13740")] == (idx["N61837"], [idx["N19639"]])
    # U91836 at 13:00 (test): only the clicked item was shown
    assert rows[("test", "U91836")] == (idx["N55528"], [])
    record = ds.manifest.candidates[ds.manifest.default_split]
    assert record.sampler == "impressions" and record.parts["test"].short_rows == 1
    assert recdata.validate(out).ok
    assert pl.read_parquet(out / record.parts["valid"].file).height == 1
