"""``add_candidates``: files, manifest records, load, reruns, full ranking, impressions, determinism."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from candidate_kit import loo_folder, reference_negatives_ok

import recdata
from recdata.dataset import Manifest
from recdata.errors import SchemaError, UsageError

N_ITEMS = 40


def _histories(n_users: int = 30, seed: int = 0) -> dict[int, list[int]]:
    rng = np.random.default_rng(seed)
    out = {}
    for user in range(1, n_users + 1):
        size = int(rng.integers(1, 12))
        out[user] = rng.choice(np.arange(1, N_ITEMS + 1), size=size, replace=False).tolist()
    out[n_users + 1] = list(range(1, N_ITEMS + 1))  # a user who saw everything: 0 eligible
    return out


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return loo_folder(tmp_path / "f", _histories(), n_items=N_ITEMS)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lists_follow_the_rules_against_a_reference(folder: Path) -> None:
    recdata.add_candidates(folder, n=10, seed=4)
    ds = recdata.load(folder)
    history = _histories()
    for part in ("valid", "test"):
        lists = ds.split("loo").candidates(part).collect()
        rows = ds.split("loo")[part].collect()
        assert lists[recdata.schema.INTERACTION].to_list() == sorted(rows["interaction_idx"])
        for row in lists.iter_rows(named=True):
            eligible = set(range(1, N_ITEMS + 1)) - set(history[row["user_idx"]])
            assert reference_negatives_ok(row["negatives"], eligible=eligible, n=10) == []
    record = ds.manifest.candidates["loo"]
    assert (record.sampler, record.n, record.seed, record.exclude, record.alpha) == (
        "uniform",
        10,
        4,
        "all",
        None,
    )
    test_rows = ds.split("loo").candidates("test").collect()
    short = int((test_rows["negatives"].list.len() < 10).sum())
    assert record.parts["test"].short_rows == short >= 1  # the user who saw everything
    assert record.parts["test"].file == "splits/loo/candidates-test.parquet"
    assert "splits/loo/candidates-test.parquet" in ds.manifest.files
    assert recdata.validate(folder).ok


def test_exclude_train_allows_the_users_later_items(tmp_path: Path) -> None:
    # user 1: train 1,2; valid 3; test 4 -> with exclude=train, item 3 may be a test negative
    folder = loo_folder(tmp_path / "f", {1: [1, 2, 3, 4]}, n_items=4)
    recdata.add_candidates(folder, n=5, exclude="train")
    test = recdata.load(folder).split().candidates("test").collect()
    assert test["negatives"].to_list() == [[3]]
    valid = recdata.load(folder).split().candidates("valid").collect()
    assert valid["negatives"].to_list() == [[4]]
    recdata.add_candidates(folder, n=5, exclude="all")
    assert recdata.load(folder).split().candidates("test").collect()["negatives"].to_list() == [[]]
    assert recdata.validate(folder).ok


def test_same_parameters_give_the_same_bytes(tmp_path: Path) -> None:
    a = loo_folder(tmp_path / "a", _histories(), n_items=N_ITEMS)
    b = loo_folder(tmp_path / "b", _histories(), n_items=N_ITEMS)
    recdata.add_candidates(a, n=7, seed=1, sampler="popularity", alpha=0.5)
    recdata.add_candidates(b, n=7, seed=1, sampler="popularity", alpha=0.5)
    for rel in (
        "splits/loo/candidates-valid.parquet",
        "splits/loo/candidates-test.parquet",
        "manifest.json",
    ):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    recdata.add_candidates(b, n=7, seed=2, sampler="popularity", alpha=0.5)
    assert _sha(a / "splits/loo/candidates-test.parquet") != _sha(
        b / "splits/loo/candidates-test.parquet"
    )


_CHILD = textwrap.dedent(
    """
    import hashlib, sys
    from pathlib import Path
    import recdata
    folder = Path(sys.argv[1])
    recdata.add_candidates(folder, n=9, seed=5, sampler=sys.argv[2], workers=int(sys.argv[3]))
    for part in ("valid", "test"):
        data = (folder / f"splits/loo/candidates-{part}.parquet").read_bytes()
        print(hashlib.sha256(data).hexdigest())
    """
)


@pytest.mark.parametrize("sampler", ["uniform", "popularity"])
def test_thread_counts_do_not_change_the_bytes(tmp_path: Path, sampler: str) -> None:
    script = tmp_path / "child.py"
    script.write_text(_CHILD, encoding="utf-8")
    digests = []
    for threads, workers in (("1", 1), ("4", 2)):
        folder = loo_folder(tmp_path / f"f{threads}", _histories(60, seed=3), n_items=N_ITEMS)
        env = {
            **os.environ,
            "POLARS_MAX_THREADS": threads,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "PYTHONPATH": os.pathsep.join(
                [str(Path(recdata.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
            ),
        }
        done = subprocess.run(
            [sys.executable, str(script), str(folder), sampler, str(workers)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.split())
    assert digests[0] == digests[1] and len(digests[0]) == 2


def test_rerun_with_other_parameters_replaces_and_says_so(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recdata.add_candidates(folder, n=5)
    with caplog.at_level(logging.WARNING, logger="recdata.candidates"):
        recdata.add_candidates(folder, n=3, sampler="popularity")
    assert "replacing the candidates of split loo" in caplog.text
    assert "sampler=uniform n=5" in caplog.text and "sampler=popularity n=3" in caplog.text
    lists = recdata.load(folder).split().candidates("test").collect()
    assert lists["negatives"].list.len().max() == 3
    assert recdata.load(folder).manifest.candidates["loo"].sampler == "popularity"
    assert recdata.validate(folder).ok


def test_popularity_never_draws_items_unseen_in_train(folder: Path) -> None:
    recdata.add_candidates(folder, n=30, sampler="popularity")
    ds = recdata.load(folder)
    train_items = set(ds.split().train.collect()["item_idx"].to_list())
    for part in ("valid", "test"):
        negs = ds.split().candidates(part).collect()["negatives"].explode().drop_nulls()
        assert set(negs.to_list()) <= train_items
    assert recdata.validate(folder).ok


def test_full_ranking_writes_no_file(folder: Path) -> None:
    recdata.add_candidates(folder, n=5)
    recdata.add_candidates(folder, sampler="all")
    ds = recdata.load(folder)
    record = ds.manifest.candidates["loo"]
    assert record.sampler == "all"
    assert all(p.file is None for p in record.parts.values())
    assert record.parts["test"].rows == ds.split().test.collect().height
    assert not list(folder.glob("splits/loo/candidates-*"))
    assert not [r for r in ds.manifest.files if "candidates" in r]
    with pytest.raises(UsageError, match="full ranking"):
        ds.split().candidates("test")
    assert recdata.validate(folder).ok


def test_no_candidates_and_bad_requests(folder: Path) -> None:
    with pytest.raises(UsageError, match="has no candidates"):
        recdata.load(folder).split().candidates("test")
    with pytest.raises(UsageError, match="no split 'nope'"):
        recdata.add_candidates(folder, protocol="nope")
    with pytest.raises(UsageError, match="candidates"):
        recdata.add_candidates(folder, n=0)
    with pytest.raises(UsageError, match="valid and test only"):
        recdata.load(folder).split().candidates("train")


def test_impressions_sampler(tmp_path: Path) -> None:
    history = {1: [1, 2, 3, 4], 2: [5, 6, 7], 3: [8, 9, 10]}
    # interaction_idx: user 1 -> 0..3, user 2 -> 4..6, user 3 -> 7..9 (impressions unknown)
    # valid = 2, 5, 8 and test = 3, 6, 9
    shown = {2: [3, 8, 9, 1, 9], 3: [4, 10, 11, 12, 2], 5: [6, 1], 6: [7, 5]}
    folder = loo_folder(tmp_path / "f", history, n_items=12, impressions=shown)
    recdata.add_candidates(folder, sampler="impressions", n=2)
    ds = recdata.load(folder)
    got = {}
    for part in ("valid", "test"):
        for row in ds.split().candidates(part).collect().iter_rows(named=True):
            got[row["interaction_idx"]] = row["negatives"]
    assert got[2] == [8, 9]  # 3 is the positive, 1 the user's own, 9 repeated
    assert len(got[3]) == 2 and set(got[3]) <= {10, 11, 12}  # 2 of 3 by seeded keys
    assert got[5] == [1]  # item 1 is user 1's, not user 2's
    assert got[6] == []  # 5 is the user's own
    assert got[8] == got[9] == []  # impressions unknown (null): no negatives
    record = ds.manifest.candidates["loo"]
    assert record.parts["valid"].short_rows == 2 and record.parts["test"].short_rows == 2
    assert recdata.validate(folder).ok


def test_impressions_sampler_refuses_without_the_column(folder: Path) -> None:
    with pytest.raises(SchemaError, match="has no impressions column"):
        recdata.add_candidates(folder, sampler="impressions")
    assert "candidates" not in Manifest.read(folder).model_dump(exclude_defaults=True)


def test_every_protocol(tmp_path: Path) -> None:
    folder = loo_folder(tmp_path / "f", _histories(), n_items=N_ITEMS)
    recdata.add_candidates(folder, protocol="all", n=4)
    assert list(Manifest.read(folder).candidates) == ["loo"]
    frame = pl.read_parquet(folder / "splits/loo/candidates-valid.parquet")
    assert frame.schema == {
        "interaction_idx": pl.Int64,
        "user_idx": pl.Int32,
        "item_idx": pl.Int32,
        "negatives": pl.List(pl.Int32),
    }
